"""Buttons on lasting messages: they survive a restart, answer only those they are for, and never go silent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord

from bot.checks import Role
from bot.client import RecoveryBot
from bot.views import PersistentButton
from tests.community import Community
from tests.discord_double import DiscordDouble, Message
from tests.harness import bot_in_process

pressed: list[tuple[int, int]] = []


class NextStep(PersistentButton, template=r"test-panel:(?P<meeting>[0-9]{1,18}):(?P<owner>[0-9]{1,20})"):
    """A facilitator's button: its owner, or anyone with the facilitator role, may press it."""

    who = Role.FACILITATOR

    def __init__(self, meeting: int, owner: int) -> None:
        super().__init__(discord.ui.Button(label="Next step", custom_id=f"test-panel:{meeting}:{owner}"))
        self.meeting, self.owner = meeting, owner

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> NextStep:
        return cls(int(match["meeting"]), int(match["owner"]))

    def owner_id(self) -> int | None:
        return self.owner

    async def pressed(self, interaction: discord.Interaction) -> None:
        if self.meeting == 0:
            raise RuntimeError("a bug in a button's handler")
        pressed.append((self.meeting, interaction.user.id))
        await interaction.response.send_message("Next step.", ephemeral=True)


class Huddle(PersistentButton, template=r"test-huddle:(?P<members>[0-9.]+):(?P<role>[0-9]{1,20})"):
    """A button for the members and the role it lists (as a reach-out lists the volunteers it pinged)."""

    def __init__(self, members: tuple[int, ...], role: int) -> None:
        ids = ".".join(map(str, members))
        super().__init__(discord.ui.Button(label="Join", custom_id=f"test-huddle:{ids}:{role}"))
        self.members, self.role = members, role

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> Huddle:
        return cls(tuple(int(i) for i in match["members"].split(".")), int(match["role"]))

    def listed_members(self) -> tuple[int, ...]:
        return self.members

    def listed_roles(self) -> tuple[int, ...]:
        return (self.role,)

    async def pressed(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Joined.", ephemeral=True)


async def post_panel(bot: RecoveryBot, community: Community, meeting: int, owner: int,
                     item: PersistentButton | None = None) -> Message:
    bot.add_dynamic_items(NextStep, Huddle)
    channel = bot.get_channel(community.general.id)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(item or NextStep(meeting, owner))
    sent = await channel.send("The meeting panel", view=view)
    [message] = [m for m in community.double.messages(community.general) if m.id == sent.id]
    return message


async def test_the_owner_and_the_role_may_press_others_are_told_kindly(bot: RecoveryBot, community: Community) -> None:
    await community.configure()  # the facilitator role is set
    pressed.clear()
    panel = await post_panel(bot, community, 42, community.alice.id)
    by_owner = await community.double.click(panel, f"test-panel:42:{community.alice.id}", user=community.alice)
    by_facilitator = await community.double.click(panel, f"test-panel:42:{community.alice.id}",
                                                  user=community.facilitator)
    by_other = await community.double.click(panel, f"test-panel:42:{community.alice.id}", user=community.bob)
    assert pressed == [(42, community.alice.id), (42, community.facilitator.id)]
    assert by_owner.content == by_facilitator.content == "Next step."
    assert by_other.ephemeral and "belongs to someone else" in (by_other.content or "")


async def test_listed_members_and_roles_may_press_others_may_not(bot: RecoveryBot, community: Community) -> None:
    huddle = Huddle((community.alice.id, community.bob.id), community.volunteer_role.id)
    panel = await post_panel(bot, community, 0, 0, huddle)
    custom_id = str(huddle.custom_id)
    for member in (community.alice, community.bob, community.volunteer):  # listed, listed, has the role
        assert (await community.double.click(panel, custom_id, user=member)).content == "Joined."
    refused = await community.double.click(panel, custom_id, user=community.facilitator)
    assert refused.ephemeral and "belongs to someone else" in (refused.content or "")


async def test_an_error_in_a_buttons_handler_gets_an_answer_not_silence(bot: RecoveryBot,
                                                                         community: Community) -> None:
    panel = await post_panel(bot, community, 0, community.alice.id)
    answer = await community.double.click(panel, f"test-panel:0:{community.alice.id}", user=community.alice)
    assert answer.ephemeral and "Something went wrong on my side" in (answer.content or "")


async def test_the_button_still_works_after_a_restart(double: DiscordDouble, community: Community,
                                                      tmp_path: Path) -> None:
    pressed.clear()
    async with bot_in_process(double, tmp_path / "data") as first:
        panel = await post_panel(first, community, 7, community.alice.id)
    async with bot_in_process(double, tmp_path / "data") as second:
        second.add_dynamic_items(NextStep)  # as the cog that owns the button does when it loads
        answer = await double.click(panel, f"test-panel:7:{community.alice.id}", user=community.alice)
    assert answer.content == "Next step." and pressed == [(7, community.alice.id)]
