"""Something sent from DMs (a reach-out request, a shared check-in): which of the member's servers is it for?

The bot asks Discord for no member lists (no privileged intent), so membership is checked server by
server: only the servers that set up the channel it needs, at most `MAX_SERVERS` of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.client import RecoveryBot
from bot.services import guild_config
from bot.services.guild_config import ChannelPurpose
from bot.views import OwnedView

MAX_SERVERS = 25  # a menu holds 25 choices


async def servers_of(bot: RecoveryBot, user_id: int, needs: ChannelPurpose) -> list[discord.Guild]:
    """The servers with a `needs` channel set up that `user_id` is a member of."""
    found: list[discord.Guild] = []
    async with bot.sessions() as session:
        candidates = [g for g in bot.guilds if (await guild_config.get(session, g.id)).channel(needs)]
    for guild in candidates[:MAX_SERVERS]:
        if guild.get_member(user_id) is not None:
            found.append(guild)
            continue
        try:
            await guild.fetch_member(user_id)
        except discord.NotFound:
            continue
        except discord.HTTPException:
            continue  # unknown for now: leave it out rather than guess
        found.append(guild)
    return found


class ServerChoice(OwnedView):
    """A menu of the member's servers; choosing one sends the request there (or saves the choice for it)."""

    def __init__(self, owner_id: int, servers: list[discord.Guild],
                 send: Callable[[discord.Interaction, int], Awaitable[None]], *,
                 working: str = "Sending your request…") -> None:
        super().__init__(owner_id, timeout=300)
        self.send, self.working = send, working
        menu: discord.ui.Select[ServerChoice] = discord.ui.Select(
            placeholder="Choose a server", custom_id="servers:choose",
            options=[discord.SelectOption(label=g.name[:100], value=str(g.id)) for g in servers])
        menu.callback = self.chosen  # type: ignore[method-assign]
        self.add_item(menu)
        self.menu = menu

    async def chosen(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.working, view=None)
        await self.send(interaction, int(self.menu.values[0]))
