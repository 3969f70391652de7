"""/reachout and what follows it: the card and the pings, taking a request, the private thread or the
anonymous relay, closing, the escalation ladder's steps.

The service (bot.services.reachout) decides; this cog posts, pings and relays. Who asked an anonymous request
is read from the database only to send them a DM, and is never written into anything anyone else sees, a log
line, an error or a job key.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import clock
from bot.checks import Role, holds
from bot.client import RecoveryBot
from bot.db.engine import writing
from bot.dm import send_dm, send_dm_to, send_to_many
from bot.render import crisis_embed, plain, timestamp
from bot.scheduler import DueJob, PermanentJobError
from bot.servers import ServerChoice, servers_of
from bot.services import crisis, guild_config, meetings
from bot.services.errors import DomainError
from bot.services.guild_config import ChannelPurpose
from bot.services.reachout import requests
from bot.services.reachout.requests import AlreadyTaken, Ask, Escalation, Opened, Request
from bot.services.reachout.router import Router
from cogs.reachout import cards
from cogs.reachout.buttons import (
    BUTTONS,
    CloseButton,
    HelpedButton,
    NotHelpedButton,
    ReplyButton,
    RevealButton,
    TakeButton,
    buttons,
)

log = logging.getLogger(__name__)

KIND_CHOICES = [app_commands.Choice(name=name, value=value) for value, name in (
    ("talk", "Talk: I'd like to talk to someone"), ("advice", "Advice: I'd like some advice"),
    ("vent", "Vent: I need to get something off my chest"), ("urgent", "Urgent: I'm struggling right now"))]
THREAD_HOMES = (ChannelPurpose.CHECKINS, ChannelPurpose.ANNOUNCEMENTS)  # where a named request's thread may go


class ReachOut(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.router = Router(bot.sessions, bot.scheduler, clock.now)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*BUTTONS)

        async def then(job: DueJob) -> Any:
            async with self.bot.sessions() as session:
                return await requests.following_step(session, job)

        # However late: after downtime, telling someone nobody was free is still better than silence.
        self.bot.scheduler.register(requests.STEP_JOB, self.run_step, max_lateness=None, max_attempts=3, then=then)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*BUTTONS)
        self.bot.scheduler.unregister(requests.STEP_JOB)

    # -- asking -----------------------------------------------------------------------------------

    @app_commands.command(name="reachout", description="Ask for support now. A volunteer peer will reach out to you.")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(message="What's going on, if you'd like to say (up to 1,000 characters)",
                           kind="What you need right now (default: talk)",
                           anonymous="Hide who you are from the volunteers (default: no)")
    @app_commands.choices(kind=KIND_CHOICES)
    async def reachout(self, interaction: discord.Interaction, message: app_commands.Range[str, 1, 1000] | None = None,
                       kind: app_commands.Choice[str] | None = None, anonymous: bool = False) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen = kind.value if kind else None
        if interaction.guild_id is not None:
            await self.ask(interaction, interaction.guild_id, message, chosen, anonymous)
            return
        # From DMs: one of the member's servers that use reach-out.
        found = await servers_of(self.bot, interaction.user.id, ChannelPurpose.REACHOUT)
        if not found:
            await interaction.followup.send(
                "You're not in any server where I can reach volunteers, so I can't send a request from here. "
                "The lines below are free and answer now.", embed=crisis_embed(crisis.for_region(None)),
                ephemeral=True)
        elif len(found) == 1:
            await self.ask(interaction, found[0].id, message, chosen, anonymous)
        else:
            picker = ServerChoice(interaction.user.id, found,
                                  lambda picked, guild_id: self.ask(picked, guild_id, message, chosen, anonymous))
            await interaction.followup.send("Which server's volunteers should I reach?", view=picker, ephemeral=True)

    async def ask(self, interaction: discord.Interaction, guild_id: int, message: str | None, kind: str | None,
                  anonymous: bool) -> None:
        """Open the request and tell the member what happens next; then post the card and ping. The crisis
        lines are shown with every answer, a refusal included."""
        region = await self._region(guild_id)
        lines = crisis_embed(crisis.for_region(region))
        origin = interaction.channel_id if interaction.guild_id == guild_id else None
        try:
            opened = await self.router.open(guild_id, Ask(interaction.user.id, message, kind, anonymous, origin))
        except DomainError as refused:
            await self._answer(interaction, refused.message, embed=lines)
            return
        dms_open = True
        if opened.request.anonymous:
            dms_open = await send_dm(interaction.user, content=(
                f"💙 Your request #{opened.request.id} is open. When a volunteer takes it, their messages will "
                "come here, and you can answer with the **Reply** button."))
        text = cards.confirmation(opened.request, len(opened.pinged), opened.alert_moderators,
                                  opened.settings.tell_requester_after, dms_open)
        # The member's answer and the volunteers' ping go out together: neither waits for the other.
        await asyncio.gather(self._answer(interaction, text, embed=lines), self.post_card(opened))

    async def _answer(self, interaction: discord.Interaction, text: str, *, embed: discord.Embed) -> None:
        if interaction.response.is_done():
            await interaction.followup.send(text, embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(text, embed=embed, ephemeral=True)

    async def post_card(self, opened: Opened) -> None:
        request = opened.request
        channel = self.bot.get_channel(opened.reachout_channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.error("request %s: the reach-out channel is gone; the ladder goes on", request.id)
            await self._ping_by_dm(request, opened.pinged)
            return
        if opened.alert_moderators:
            content, mentions = self._moderators(opened.moderator_role_id, "No volunteer is on call.")
        else:
            content = " ".join(f"<@{user_id}>" for user_id in opened.pinged)
            mentions = discord.AllowedMentions(users=[discord.Object(u) for u in opened.pinged], roles=False,
                                               everyone=False)
        try:
            card = await channel.send(content, embed=cards.card_embed(request, cards.waiting()),
                                      view=buttons(request.id, TakeButton), allowed_mentions=mentions)
        except discord.HTTPException as exc:
            log.error("request %s: the card could not be posted (%s %s); the ladder goes on", request.id,
                      exc.status, exc.code)
        else:
            async with writing(self.bot.sessions) as session:
                await requests.record_card(session, request.id, channel.id, card.id)
        await self._ping_by_dm(request, opened.pinged)

    def _moderators(self, role_id: int | None, why: str) -> tuple[str, discord.AllowedMentions]:
        if role_id is None:
            return f"{why} (No moderator role is set: a manager can choose one in /setup.)", \
                discord.AllowedMentions.none()
        return f"<@&{role_id}> {why}", discord.AllowedMentions(roles=[discord.Object(role_id)], users=False,
                                                               everyone=False)

    async def _ping_by_dm(self, request: Request, volunteers: list[int]) -> None:
        if not volunteers:
            return
        guild = self.bot.get_guild(request.guild_id)
        server = guild.name if guild else "a server"
        await send_to_many(self.bot, volunteers, content=cards.volunteer_dm(request, server),
                           view=buttons(request.id, TakeButton))

    async def _region(self, guild_id: int) -> str | None:
        async with self.bot.sessions() as session:
            return (await guild_config.get(session, guild_id)).crisis_region

    # -- taking -----------------------------------------------------------------------------------

    async def take(self, interaction: discord.Interaction, request_id: int) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.sessions() as session:
            guild_id = (await requests.get(session, request_id)).guild_id
        moderator = interaction.guild_id == guild_id and await holds(interaction, Role.MODERATOR)
        try:
            async with requests.turn(guild_id), writing(self.bot.sessions) as session:
                claimed = await requests.claim(session, self.bot.scheduler, request_id, interaction.user.id,
                                               clock.now(), moderator=moderator)
        except AlreadyTaken as taken:
            if taken.claimed_by == interaction.user.id:
                await interaction.followup.send(f"Request #{request_id} is already yours.", ephemeral=True)
                return
            who = f" by <@{taken.claimed_by}>" if taken.claimed_by else ""
            await interaction.followup.send(f"{taken.message.removesuffix('.')}{who}. Thank you for being ready.",
                                            ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
            return
        request = claimed.request
        await self._update_card(request, cards.taken(interaction.user.id, request.claimed_at or clock.now()))
        if request.anonymous:
            where = await self._anonymous_thread(request, interaction.user, claimed.requester_id)
        else:
            where = await self._named_thread(request, interaction.user, claimed.requester_id)
        await interaction.followup.send(f"It's yours: request #{request.id}. {where}", ephemeral=True)

    async def _named_thread(self, request: Request, volunteer: discord.abc.User, requester_id: int | None) -> str:
        """A private thread for the two, in a channel the requester can see; or the relay if none can be made."""
        guild = self.bot.get_guild(request.guild_id)
        if guild is None or requester_id is None:
            return "I couldn't open a thread: the server is out of my reach right now."
        for channel in await self._thread_homes(guild, request):
            try:
                thread = await channel.create_thread(name=f"Support · request #{request.id}",
                                                     type=discord.ChannelType.private_thread, invitable=False)
                for user_id in (requester_id, volunteer.id):
                    await thread.add_user(discord.Object(user_id))
                await thread.send(
                    f"<@{requester_id}> <@{volunteer.id}> This private thread is for you two (the server's moderators "
                    "can see private threads too). Take your time. When you're done, either of you can press "
                    "**Close**.", view=buttons(request.id, CloseButton),
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(requester_id),
                                                                    discord.Object(volunteer.id)]))
            except discord.HTTPException as exc:
                log.warning("request %s: no private thread in one channel (%s %s)", request.id, exc.status, exc.code)
                continue
            async with writing(self.bot.sessions) as session:
                await requests.record_thread(session, request.id, thread.id)
            return f"Your private thread with them: {thread.mention}."
        return await self._anonymous_thread(request, volunteer, requester_id, named=True)

    async def _thread_homes(self, guild: discord.Guild, request: Request) -> list[discord.TextChannel]:
        async with self.bot.sessions() as session:
            config = await guild_config.get(session, guild.id)
        ids = [request.origin_channel_id, *(config.channel(purpose) for purpose in THREAD_HOMES)]
        homes = []
        for channel_id in dict.fromkeys(i for i in ids if i is not None):
            channel = guild.get_channel(channel_id)
            if isinstance(channel, discord.TextChannel) and channel.permissions_for(guild.me).create_private_threads:
                homes.append(channel)
        return homes

    async def _anonymous_thread(self, request: Request, volunteer: discord.abc.User, requester_id: int | None,
                                *, named: bool = False) -> str:
        """A private thread in the reach-out channel for the volunteer; the requester talks through DMs with me."""
        channel = self.bot.get_channel(await self._reachout_channel(request.guild_id) or 0)
        if not isinstance(channel, discord.TextChannel):
            return "I couldn't open a thread: the reach-out channel is gone. Ask a moderator to set it again."
        thread = await channel.create_thread(name=f"Request #{request.id}" + ("" if named else " (anonymous)"),
                                             type=discord.ChannelType.private_thread, invitable=False)
        await thread.add_user(volunteer)
        words = f"“{plain(request.message)}”" if request.message else "They didn't write a message."
        await thread.send(
            f"<@{volunteer.id}> You took request #{request.id}. {words}\n\nI pass messages both ways: press **Reply** "
            "to write to them, and their answers arrive here. When you're done, press **Close**.",
            view=buttons(request.id, ReplyButton, CloseButton),
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(volunteer.id)]))
        async with writing(self.bot.sessions) as session:
            await requests.record_thread(session, request.id, thread.id)
        if requester_id is not None:
            view = buttons(request.id, ReplyButton, CloseButton, *([RevealButton] if request.anonymous else []))
            delivered = await self._dm(requester_id, content=(
                f"💙 A volunteer, **{plain(_name(volunteer))}**, has taken your request #{request.id}. Their "
                "messages will come here. Press **Reply** to write to them. "
                + ("They don't know who you are unless you choose to tell them." if request.anonymous else "")),
                view=view)
            if not delivered:
                await thread.send("⚠️ Their DMs are closed to me at the moment, so your messages can't reach them "
                                  "yet. Keep the thread: if they open their DMs, it works from then on.")
        return f"Your private thread: {thread.mention}. I'll pass messages between you."

    async def _reachout_channel(self, guild_id: int) -> int | None:
        async with self.bot.sessions() as session:
            return (await guild_config.get(session, guild_id)).reachout_channel_id

    async def _update_card(self, request: Request, status: str) -> None:
        if request.card_channel_id is None or request.card_message_id is None:
            return
        channel = self.bot.get_channel(request.card_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            await channel.get_partial_message(request.card_message_id).edit(
                content=None, embed=cards.card_embed(request, status), view=None)
        except discord.HTTPException as exc:
            log.warning("request %s: the card could not be updated (%s %s)", request.id, exc.status, exc.code)

    # -- talking and closing -------------------------------------------------------------------------

    async def check_side(self, interaction: discord.Interaction, request_id: int) -> None:
        """Refuse (kindly) anyone but the two sides before a form opens."""
        async with self.bot.sessions() as session:
            await requests.conversation(session, request_id, interaction.user.id)

    async def relay(self, interaction: discord.Interaction, request_id: int, text: str) -> None:
        async with self.bot.sessions() as session:
            talk = await requests.conversation(session, request_id, interaction.user.id)
        request = talk.request
        if talk.side == "requester":
            delivered = await self._to_thread(request, cards.relayed(text, from_volunteer=None, request_id=request.id),
                                              ping=talk.volunteer_id)
        else:
            delivered = talk.requester_id is not None and await self._dm(
                talk.requester_id, content=cards.relayed(text, from_volunteer=_name(interaction.user),
                                                         request_id=request.id),
                view=buttons(request.id, ReplyButton, CloseButton,
                             *([RevealButton] if request.anonymous else [])))
        if delivered:
            await interaction.response.send_message(f"📤 **You**, request #{request.id}:\n{plain(text)}",
                                                    ephemeral=interaction.guild_id is None)
        else:
            await interaction.response.send_message(
                "I couldn't pass that on: " + ("their DMs are closed to me right now." if talk.side != "requester"
                                               else "the volunteer's thread is gone. A moderator can help."),
                ephemeral=True)

    async def _to_thread(self, request: Request, content: str, *, ping: int | None = None) -> bool:
        thread = self.bot.get_channel(request.thread_id or 0)
        if not isinstance(thread, discord.Thread):
            return False
        try:
            await thread.send((f"<@{ping}> " if ping else "") + content,
                              view=buttons(request.id, ReplyButton, CloseButton),
                              allowed_mentions=discord.AllowedMentions(users=[discord.Object(ping)] if ping else []))
        except discord.HTTPException as exc:
            log.warning("request %s: a message could not reach the thread (%s %s)", request.id, exc.status, exc.code)
            return False
        return True

    async def _dm(self, user_id: int, **message: Any) -> bool:
        return await send_dm_to(self.bot, user_id, **message)

    async def close(self, interaction: discord.Interaction, request_id: int) -> None:
        moderator = interaction.guild_id is not None and await holds(interaction, Role.MODERATOR)
        async with writing(self.bot.sessions) as session:
            talk = await requests.close(session, self.bot.scheduler, request_id, interaction.user.id, clock.now(),
                                        moderator=moderator)
        request = talk.request
        await self._update_card(request, cards.closed(clock.now(), talk.volunteer_id))
        ask_feedback = buttons(request.id, HelpedButton, NotHelpedButton)
        if talk.side == "requester":
            await interaction.response.send_message(
                f"Closed request #{request.id}. I'm glad you reached out. Did it help? Your answer is kept without "
                "your name.", view=ask_feedback, ephemeral=interaction.guild_id is not None)
            await self._to_thread(request, "They closed the conversation. Thank you for being there for them. 💙",
                                  ping=talk.volunteer_id)
        else:
            await interaction.response.send_message(f"Closed request #{request.id}. Thank you. 💙",
                                                    ephemeral=interaction.guild_id is None)
            if talk.requester_id is not None:
                await self._dm(talk.requester_id, content=(
                    f"Request #{request.id} is closed. I hope it helped; reach out again whenever you need to. "
                    "Did it help? Your answer is kept without your name."), view=ask_feedback)
        await self._archive(request)

    async def _archive(self, request: Request) -> None:
        thread = self.bot.get_channel(request.thread_id or 0)
        if isinstance(thread, discord.Thread):
            try:
                await thread.edit(archived=True, locked=True)
            except discord.HTTPException as exc:
                log.warning("request %s: the thread could not be archived (%s %s)", request.id, exc.status, exc.code)

    async def reveal(self, interaction: discord.Interaction, request_id: int) -> None:
        async with self.bot.sessions() as session:
            talk = await requests.conversation(session, request_id, interaction.user.id)
        if talk.side != "requester":
            raise DomainError("Only the person who asked can share who they are.")
        name = plain(_name(interaction.user))
        shared = await self._to_thread(talk.request, f"The person who asked chose to tell you who they are: "
                                       f"<@{interaction.user.id}> (**{name}**).", ping=talk.volunteer_id)
        await interaction.response.send_message(
            "Done: they can see who you are now." if shared else "I couldn't reach the volunteer's thread just now.",
            ephemeral=interaction.guild_id is not None)

    async def feedback(self, interaction: discord.Interaction, request_id: int, *, helped: bool) -> None:
        async with writing(self.bot.sessions) as session:
            await requests.feedback(session, request_id, interaction.user.id, helped)
        await interaction.response.send_message(
            "Thank you for telling me. 💙" + ("" if helped else " I'm sorry it didn't help this time. /resources has "
                                                               "lines that answer at any hour."),
            ephemeral=interaction.guild_id is not None)

    # -- the ladder ---------------------------------------------------------------------------------

    async def run_step(self, job: DueJob) -> None:
        request_id, step = int(job.payload["request_id"]), int(job.payload["step"])
        async with self.bot.sessions() as session:
            guild_id = (await requests.get(session, request_id)).guild_id
        async with requests.turn(guild_id), writing(self.bot.sessions) as session:
            escalation = await requests.escalate(session, request_id, step, clock.now())
        if escalation is None:
            return
        await self._tell_set_away(escalation)
        if step == requests.TELL_REQUESTER:
            await self._tell_nobody_free(escalation)
            return
        if step == requests.NEXT_VOLUNTEERS and not escalation.pinged:
            return  # nobody else on call: the moderators come next
        await self._post_step(escalation)

    async def _post_step(self, escalation: Escalation) -> None:
        request = escalation.request
        waited = int((clock.now() - request.created_at).total_seconds() // 60)
        if escalation.step == requests.NEXT_VOLUNTEERS:
            content = " ".join(f"<@{u}>" for u in escalation.pinged) + \
                f" Request #{request.id} has waited {waited} minutes. Can you take it?"
            mentions = discord.AllowedMentions(users=[discord.Object(u) for u in escalation.pinged], roles=False)
        else:
            content, mentions = self._moderators(
                escalation.moderator_role_id, f"Request #{request.id} has waited {waited} minutes and no volunteer "
                                              "has taken it. Can a moderator take it or find someone?")
        channel = self.bot.get_channel(escalation.reachout_channel_id or 0)
        try:
            if not isinstance(channel, discord.TextChannel):
                raise PermanentJobError("the reach-out channel is gone")
            await channel.send(content, embed=cards.card_embed(request, cards.waiting()),
                               view=buttons(request.id, TakeButton), allowed_mentions=mentions)
        except discord.NotFound as exc:
            raise PermanentJobError("the reach-out channel is gone") from exc
        except discord.Forbidden as exc:
            raise PermanentJobError("the bot may not post in the reach-out channel") from exc
        finally:
            await self._ping_by_dm(request, escalation.pinged)

    async def _tell_nobody_free(self, escalation: Escalation) -> None:
        request = escalation.request
        if escalation.requester_id is None:
            return
        async with self.bot.sessions() as session:
            coming = [u for u in await meetings.upcoming(session, request.guild_id, clock.now(), days=2)
                      if u.start > clock.now()]
        nxt = f"**{plain(coming[0].meeting.name)}**, {timestamp(coming[0].start, 'F')}" if coming else None
        if not await self._dm(escalation.requester_id, content=cards.nobody_free(request, nxt),
                              embed=crisis_embed(crisis.for_region(escalation.region))):
            log.info("request %s: the requester could not be told (DMs closed)", request.id)

    async def _tell_set_away(self, escalation: Escalation) -> None:
        guild = self.bot.get_guild(escalation.request.guild_id)
        if escalation.set_away:
            await send_to_many(self.bot, escalation.set_away, content=(
                f"Hi! A few requests in **{plain(guild.name if guild else 'your server')}** came while you couldn't "
                "answer. That's completely OK: you may be busy or resting. I've set you to away so you can; use "
                "/volunteer available when you're ready again. Thank you for all you do. 💙"))


def _name(user: discord.abc.User) -> str:
    return user.display_name
