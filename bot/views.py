"""Base classes for panels and forms: only their owner can press them, they tidy up on timeout,
and their errors go through the one central handler."""

from __future__ import annotations

import contextlib
from typing import Any

import discord

from bot.errors import on_component_error


class OwnedView(discord.ui.View):
    """A panel that answers only the person it was opened for."""

    def __init__(self, owner_id: int, *, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.origin: discord.Interaction | None = None  # set once sent, to edit it on timeout

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "This panel belongs to someone else. Run the command yourself to get your own.", ephemeral=True
        )
        return False

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.origin is not None:
            # The message may be gone or the token expired: then there is nothing left to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.origin.edit_original_response(view=self)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await on_component_error(interaction, error, f"{type(self).__name__}.{getattr(item, 'custom_id', '?')}")


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button that keeps working after a restart: what it acts on is in its custom id.

    discord.py only logs an error raised by a dynamic item's callback, and the person who pressed
    it sees "This interaction failed". Subclasses implement `pressed`; its errors reach the one
    central handler, like every other component's, so the person always gets an answer.
    """

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.pressed(interaction)
        except Exception as error:  # every error, as the central handler decides what to say
            await on_component_error(interaction, error, f"{type(self).__name__}.{self.custom_id.split(':')[0]}")

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


class BaseModal(discord.ui.Modal):
    # discord.py's own Modal.on_error has this signature; its stubs disagree with BaseView's.
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await on_component_error(interaction, error, type(self).__name__)
