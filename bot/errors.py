"""The one error handler for application commands, views and modals.

People see a kind, ephemeral sentence; the log gets the traceback, tied to a short reference
the person can quote to a moderator.
"""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.checks import Refused, permission_names
from bot.services.errors import DomainError

log = logging.getLogger(__name__)

REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_reference() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(6))


def describe(error: BaseException, where: str) -> str:
    """The sentence to show for `error`; unexpected errors are logged with a reference."""
    if isinstance(error, app_commands.TransformerError) and error.__cause__ is None:
        # The option named something I can't use: a channel or role deleted (or not yet seen)
        # between choosing it and sending the command, or one of the wrong kind.
        return "I couldn't use one of the options you chose; it may have just been deleted. Please pick it again."
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or error
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the **{permission_names(error.missing_permissions)}** permission to use this."
    if isinstance(error, app_commands.BotMissingPermissions):
        return (f"I need the **{permission_names(error.missing_permissions)}** permission here. "
                "A server manager can grant it in Server Settings → Roles.")
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This works only inside a server, not in DMs."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Please wait {error.retry_after:.0f} seconds and try again."
    if isinstance(error, Refused):
        return error.message
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, discord.Forbidden):
        return ("Discord didn't let me do that: I'm missing a permission. A server manager can check "
                "my role's permissions in Server Settings → Roles.")
    reference = new_reference()
    # No user or guild ids here: errors can come from anonymous features.
    log.error("unexpected error in %s (ref %s)", where, reference, exc_info=error)
    return f"Something went wrong on my side. It has been logged (ref {reference}); please try again in a moment."


async def reply_privately(interaction: discord.Interaction, message: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error (interaction expired or Discord failed)")


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    command = interaction.command.qualified_name if interaction.command else "an unknown command"
    await reply_privately(interaction, describe(error, f"/{command}"))


async def on_component_error(interaction: discord.Interaction, error: Exception, where: str) -> None:
    await reply_privately(interaction, describe(error, where))
