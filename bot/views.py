"""Base classes for panels and forms: they answer only those they are for, and their errors go through the
one central handler. `OwnedView` is a short-lived private panel (it tidies up on timeout);
`PersistentButton` is a button on a lasting message that survives restarts."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any, ClassVar

import discord

from bot.checks import REFUSALS, Refused, Role, holds
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
    """A button that keeps working after a restart, answers only those it is for, and never goes silent.

    What it acts on lives in its custom id (subclasses give a `template` with named groups, and register
    the class with `bot.add_dynamic_items` when their cog loads). Who may press it: its owner
    (`owner_id`), the members and Discord roles it lists (`listed_members`, `listed_roles`: ids from its
    custom id, say a reach-out's volunteers), and whoever holds `who` (a role from bot.checks). With none of
    these, anyone. discord.py only logs an error raised by a dynamic item, and the person who pressed sees
    "This interaction failed"; here refusals and errors reach the one central handler, so the person
    always gets an answer. Subclasses implement `pressed`.
    """

    who: ClassVar[Role | None] = None

    def owner_id(self) -> int | None:
        """The member this button belongs to, if only they (and the others allowed) may press it."""
        return None

    def listed_members(self) -> Collection[int]:
        """Members (besides the owner) who may press it."""
        return ()

    def listed_roles(self) -> Collection[int]:
        """Discord roles whose members may press it."""
        return ()

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self._check(interaction)
            await self.pressed(interaction)
        except Exception as error:  # every error, as the central handler decides what to say
            await on_component_error(interaction, error, f"{type(self).__name__}.{self.custom_id.split(':')[0]}")

    async def _check(self, interaction: discord.Interaction) -> None:
        owner, members, roles = self.owner_id(), set(self.listed_members()), set(self.listed_roles())
        if owner is None and not members and not roles and self.who is None:
            return
        user = interaction.user
        if user.id == owner or user.id in members:
            return
        if roles and isinstance(user, discord.Member) and roles.intersection(role.id for role in user.roles):
            return
        if self.who is not None and await holds(interaction, self.who):
            return
        raise Refused(self.refusal(owner is not None or bool(members), bool(roles)))

    def refusal(self, owned: bool, by_role: bool) -> str:
        """What someone who may not press it is told (a subclass may say more precisely who can)."""
        if owned:
            return "This panel belongs to someone else. Run the command yourself to get your own."
        if self.who is not None and not by_role:
            return REFUSALS[self.who]
        return "This button is for members with a particular role here, and you don't have it."

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


class BaseModal(discord.ui.Modal):
    # discord.py's own Modal.on_error has this signature; its stubs disagree with BaseView's.
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await on_component_error(interaction, error, type(self).__name__)
