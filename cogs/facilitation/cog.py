"""Running a meeting: the live panel, the speaking queue (/queue and the panel's buttons), the share timer,
attendance from voice presence or "I'm here", slips, and the format.

`/meeting start|end|timer|verify|format` live in the /meeting group (cogs/meetings), which hands them to this
cog; everything a run is lives in the database (bot.services.facilitation), so a restart keeps the queue and
the panel's buttons go on working.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Hashable
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import clock
from bot.batching import Batcher
from bot.checks import Refused, Role, holds
from bot.client import RecoveryBot
from bot.db.engine import writing
from bot.dm import send_privately
from bot.render import plain, timestamp
from bot.scheduler import DueJob
from bot.services import meetings
from bot.services.errors import InvalidInput
from bot.services.facilitation import attendance, formats, queue, runs
from bot.services.facilitation.runs import AlreadyRunning, Run
from bot.services.meetings.data import Place
from bot.services.milestones import dates as milestone_dates
from cogs.facilitation.forms import FormatForm
from cogs.facilitation.panel import BUTTONS, PanelKeeper, chairs_only, closed_embed, closed_view, live_view, panel_embed

log = logging.getLogger(__name__)


class Facilitation(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.panels = PanelKeeper(self.redraw)
        self.voice_runs: dict[int, int] = {}  # voice channel -> the run whose attendance it counts
        # A room raising hands at once: those arriving while one is written go in together (one transaction).
        self.hands: Batcher[int, int] = Batcher(self._raise_hands, name="hands")

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*BUTTONS)
        self.bot.scheduler.register(runs.TIMER_JOB, self.run_timer, max_attempts=3)
        async with self.bot.sessions() as session:
            for run in await runs.open_runs(session):
                if run.voice_channel_id is not None:
                    self.voice_runs[run.voice_channel_id] = run.id

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*BUTTONS)
        self.bot.scheduler.unregister(runs.TIMER_JOB)
        await self.panels.close()

    # -- /meeting start | end | timer | verify | format (called by the /meeting group) ---------------------

    async def start(self, interaction: discord.Interaction, reference: str) -> None:
        guild = _guild(interaction)
        now = clock.now()
        async with self.bot.sessions() as session:
            meeting = await meetings.resolve(session, guild.id, reference)
            chosen = await formats.of_meeting(session, meeting.id, meeting.kind)
        await self.ensure_chair(interaction, meeting.facilitator_role_id)
        in_channel = meeting.location.place in (Place.VOICE, Place.STAGE, Place.TEXT)
        channel_id = meeting.location.channel_id if in_channel and meeting.location.channel_id else \
            interaction.channel_id
        assert channel_id is not None
        try:
            async with writing(self.bot.sessions) as session:
                run = await runs.start(session, meeting, chosen, interaction.user.id, channel_id, now)
        except AlreadyRunning as running:
            self.panels.changed(running.run.id)  # brings a deleted panel back
            await interaction.response.send_message(
                f"“{plain(meeting.name)}” is already running: its live panel is in <#{running.run.channel_id}>. "
                "To chair it, press 🪑 Take over there.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.redraw(run.id)
        if run.voice_channel_id is not None:
            self.voice_runs[run.voice_channel_id] = run.id
            await self._count_those_present(run, now)
        events = getattr(self.bot.get_cog("Meetings"), "events", None)
        if events is not None and run.occurrence != now:
            await events.go_live(meeting, run.occurrence)
        await interaction.followup.send(
            f"Started “{plain(meeting.name)}”. The live panel is in <#{run.channel_id}>: the format's steps, the "
            f"queue and the share timer ({run.share_minutes} min). /meeting end closes it.", ephemeral=True)

    async def end(self, interaction: discord.Interaction) -> None:
        run = await self._here(interaction)
        await self.ensure_chair(interaction, run.chair_role_id)
        now = clock.now()
        async with writing(self.bot.sessions) as session:
            ended, summary = await runs.end(session, run.id, now)
        if ended.voice_channel_id is not None:
            self.voice_runs.pop(ended.voice_channel_id, None)
        await self.bot.scheduler.cancel_prefix(f"facilitation:{run.id}:timer:")
        self.panels.changed(run.id)
        if ended.meeting_id is not None:
            async with self.bot.sessions() as session:
                meeting = await meetings.find(session, ended.meeting_id)
            events = getattr(self.bot.get_cog("Meetings"), "events", None)
            if meeting is not None and events is not None:
                await events.finish(meeting, ended.occurrence)
        await interaction.response.send_message(
            f"“{plain(ended.meeting_name)}” has ended. {summary.minutes} minutes, {summary.attendees} "
            f"{'person' if summary.attendees == 1 else 'people'} attended, {summary.shares} "
            f"share{'' if summary.shares == 1 else 's'}. Thank you for chairing. 💙", ephemeral=True)

    async def timer(self, interaction: discord.Interaction, minutes: int) -> None:
        run = await self._here(interaction)
        await self.ensure_chair(interaction, run.chair_role_id)
        async with writing(self.bot.sessions) as session:
            timed, job = await runs.speak(session, run.id, None, clock.now(), minutes)
            if job is not None:
                await self.bot.scheduler.schedule_many([job], session=session)
        self.panels.changed(run.id)
        assert timed.timer_ends_at is not None
        await interaction.response.send_message(
            f"Timer set: {minutes} minute{'' if minutes == 1 else 's'}, time's up "
            f"{timestamp(timed.timer_ends_at, 'R')}.",
            ephemeral=True)

    async def verify(self, interaction: discord.Interaction, code: str, member: discord.User | discord.Member) -> None:
        async with self.bot.sessions() as session:
            slip = await attendance.verify(session, code, member.id)
        await interaction.response.send_message(
            f"✅ Genuine: {member.mention} attended “{plain(slip.meeting_name)}” on "
            f"{timestamp(slip.occurrence, 'D')}, present for {slip.minutes} minute{'' if slip.minutes == 1 else 's'}.",
            ephemeral=True)

    async def edit_format(self, interaction: discord.Interaction, reference: str, file: discord.Attachment | None,
                     export: bool) -> None:
        guild = _guild(interaction)
        async with self.bot.sessions() as session:
            meeting = await meetings.resolve(session, guild.id, reference)
            current = await formats.of_meeting(session, meeting.id, meeting.kind)
        if export:
            text = formats.to_text(current, meeting.name)
            await interaction.response.send_message(
                f"The format of “{plain(meeting.name)}”: edit the file and bring it back with `file:`.",
                file=discord.File(io.BytesIO(text.encode()), filename="meeting-format.txt"), ephemeral=True)
            return
        if file is not None:
            if file.size > formats.FILE_MAX * 4:
                raise InvalidInput(f"That file is too large; a format fits in {formats.FILE_MAX:,} characters.")
            try:
                text = (await file.read()).decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput("I can't read that file as text. Save it as plain UTF-8 text.") from None
            chosen = formats.read_text(text)
            await self.save_format(interaction, meeting.id, meeting.name, chosen)
            return
        steps = formats.steps_text(current)
        if len(steps) > 4000:
            raise InvalidInput("This format is too long for the form: use `export: True`, edit the file, and "
                                       "bring it back with `file:`.")
        await interaction.response.send_modal(FormatForm(meeting.id, meeting.name, current, steps))

    async def save_format(self, interaction: discord.Interaction, meeting_id: int, name: str,
                          chosen: formats.Format) -> None:
        async with writing(self.bot.sessions) as session:
            await formats.save(session, meeting_id, chosen)
        titles = " → ".join(plain(s.title) for s in chosen.steps)
        await interaction.response.send_message(
            f"Saved the format of “{plain(name)}”: {titles}. Shares about {chosen.share_minutes} min"
            f"{', who has not shared goes first' if chosen.newcomers_first else ''}. It applies from the next start.",
            ephemeral=True)

    # -- /queue ----------------------------------------------------------------------------------------

    queue_group = app_commands.Group(name="queue", description="The speaking queue of the meeting running here.",
                                     guild_only=True)

    @queue_group.command(name="join", description="Raise your hand to share.")
    async def queue_join(self, interaction: discord.Interaction) -> None:
        await self.raise_hand(interaction, (await self._here(interaction)).id)

    @queue_group.command(name="leave", description="Lower your hand.")
    async def queue_leave(self, interaction: discord.Interaction) -> None:
        await self.lower_hand(interaction, (await self._here(interaction)).id)

    @queue_group.command(name="show", description="Who is waiting to share, in order.")
    async def queue_show(self, interaction: discord.Interaction) -> None:
        run = await self._here(interaction)
        async with self.bot.sessions() as session:
            hands = await queue.hands(session, run.id)
        listed = "\n".join(f"{n}. <@{u}>" for n, u in enumerate(hands[:queue.SHOWN], start=1))
        more = f"\n… and {len(hands) - queue.SHOWN} more" if len(hands) > queue.SHOWN else ""
        await interaction.response.send_message(
            f"**Queue of “{plain(run.meeting_name)}”** ({len(hands)}):\n{listed}{more}" if hands else
            "Nobody is in the queue. /queue join (or ✋ Raise hand on the panel) to share.", ephemeral=True)

    @queue_group.command(name="next", description="Call the next speaker (the meeting's chairs).")
    async def queue_next(self, interaction: discord.Interaction) -> None:
        run = await self._here(interaction)
        await self.ensure_chair(interaction, run.chair_role_id)
        await self.call_next(interaction, run.id, shares=True)

    @queue_group.command(name="clear", description="Empty the queue (the meeting's chairs).")
    async def queue_clear(self, interaction: discord.Interaction) -> None:
        run = await self._here(interaction)
        await self.ensure_chair(interaction, run.chair_role_id)
        async with writing(self.bot.sessions) as session:
            cleared = await queue.clear(session, run.id)
        self.panels.changed(run.id)
        await interaction.response.send_message(f"Queue cleared ({cleared} hand{'' if cleared == 1 else 's'}).",
                                                ephemeral=True)

    # -- what the panel's buttons do ----------------------------------------------------------------------

    async def raise_hand(self, interaction: discord.Interaction, run_id: int) -> None:
        place = await self.hands.submit(run_id, interaction.user.id)
        self.panels.changed(run_id)
        await interaction.response.send_message(
            f"✋ You're **#{place}** in the queue. The chair will call you; Lower hand takes you out.", ephemeral=True)

    async def _raise_hands(self, run_id: Hashable, users: list[int]) -> list[int | Exception]:
        assert isinstance(run_id, int)  # the batches are keyed by run
        async with writing(self.bot.sessions) as session:
            places = await queue.raise_hands(session, run_id, users)
        return [places[user] for user in users]

    async def lower_hand(self, interaction: discord.Interaction, run_id: int) -> None:
        async with writing(self.bot.sessions) as session:
            lowered = await queue.lower_hand(session, run_id, interaction.user.id)
        self.panels.changed(run_id)
        await interaction.response.send_message("Hand lowered." if lowered else "Your hand wasn't raised.",
                                                ephemeral=True)

    async def here(self, interaction: discord.Interaction, run_id: int) -> None:
        async with writing(self.bot.sessions) as session:
            await runs.get(session, run_id)
            await attendance.arrived(session, run_id, interaction.user.id, clock.now())
        self.panels.changed(run_id)
        await interaction.response.send_message("🙋 Welcome, you're counted as here. Only a count is shown, never "
                                                "names.", ephemeral=True)

    async def send_slip(self, interaction: discord.Interaction, run_id: int) -> None:
        async with self.bot.sessions() as session:
            slip = await attendance.slip(session, run_id, interaction.user.id, clock.now())
        text = (f"📄 **Proof of attendance**\nMeeting: {plain(slip.meeting_name)}\nDate: "
                f"{timestamp(slip.occurrence, 'D')}\nMinutes present: {slip.minutes}\nAttendee: "
                f"{interaction.user.mention}\nVerification code: `{slip.code}`\n\nTo check it, anyone in the server "
                f"runs `/meeting verify code:{slip.code} member:` and names you. A changed slip won't check out.")
        if await send_privately(interaction, content=text):
            await interaction.response.send_message("Sent to your DMs. 📄", ephemeral=True)

    async def call_next(self, interaction: discord.Interaction, run_id: int, *, shares: bool) -> None:
        async with writing(self.bot.sessions) as session:
            called = await queue.take_next(session, run_id, shares=shares)
            job = None
            if shares:
                run, job = await runs.speak(session, run_id, called.user_id, clock.now())
                await runs.counted_share(session, run_id)
            else:
                run = await runs.get(session, run_id)
            if job is not None:
                await self.bot.scheduler.schedule_many([job], session=session)
        self.panels.changed(run_id)
        channel = self.bot.get_channel(run.channel_id)
        if shares and isinstance(channel, discord.abc.Messageable):
            # The one ping of a meeting: the person called, and only them.
            await channel.send(f"🎙️ <@{called.user_id}>, you have the floor: about {run.share_minutes} minutes.",
                               allowed_mentions=discord.AllowedMentions(users=[discord.Object(called.user_id)]))
        await interaction.response.send_message(
            f"Called <@{called.user_id}>." if shares else f"Skipped <@{called.user_id}> (out of the queue).",
            ephemeral=True)

    async def next_step(self, interaction: discord.Interaction, run_id: int) -> None:
        async with writing(self.bot.sessions) as session:
            run = await runs.next_step(session, run_id)
        self.panels.changed(run_id)
        await interaction.response.send_message(f"Step {run.step + 1}: {plain(run.current_step.title)}.",
                                                ephemeral=True)

    async def take_over(self, interaction: discord.Interaction, run_id: int) -> None:
        async with writing(self.bot.sessions) as session:
            await runs.take_over(session, run_id, interaction.user.id)
        self.panels.changed(run_id)
        await interaction.response.send_message("🪑 You're chairing now. Thank you for stepping in.", ephemeral=True)

    # -- the panel -----------------------------------------------------------------------------------------

    async def redraw(self, run_id: int) -> None:
        """Show the run as it is now; a panel not posted yet, or deleted since, is posted (again)."""
        async with self.bot.sessions() as session:
            run = await runs.get(session, run_id, open_only=False)
            live = run.ended_at is None
            hands = await queue.hands(session, run_id) if live else []
            present = await attendance.present_count(session, run_id)
            coming = await milestone_dates.upcoming(session, run.guild_id, clock.now()) \
                if live and formats.wants_milestones(run.current_step) else None
        channel = self.bot.get_channel(run.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return
        embed, view = (panel_embed(run, hands, present, coming), live_view(run)) if live else \
            (closed_embed(run), closed_view(run.id))
        if run.panel_message_id is not None:
            try:
                await channel.get_partial_message(run.panel_message_id).edit(embed=embed, view=view)
                return
            except discord.NotFound:
                pass  # deleted: posted again below
        if live:
            message = await channel.send(embed=embed, view=view)
            async with writing(self.bot.sessions) as session:
                await runs.set_panel(session, run.id, message.id)

    # -- the share timer, and attendance ---------------------------------------------------------------------

    async def run_timer(self, job: DueJob) -> None:
        async with self.bot.sessions() as session:
            run = await runs.timer_is_current(session, int(job.payload["run_id"]), int(job.payload["turn"]))
        if run is None:
            return  # replaced by a later timer, or the meeting ended
        channel = self.bot.get_channel(run.channel_id)
        if isinstance(channel, discord.abc.Messageable):
            who = f"Thank you, <@{run.speaker_id}>: please" if run.speaker_id else "Please"
            await channel.send(f"⏳ That's the share time. {who} bring your thoughts to a close when you're ready.",
                               allowed_mentions=discord.AllowedMentions.none())
        self.panels.changed(run.id)

    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        if member.bot or before.channel == after.channel:
            return
        now = clock.now()
        was = self.voice_runs.get(before.channel.id) if before.channel else None
        now_in = self.voice_runs.get(after.channel.id) if after.channel else None
        if was is None and now_in is None:
            return
        async with writing(self.bot.sessions) as session:
            if was is not None:
                await attendance.left(session, was, member.id, now)
            if now_in is not None:
                await attendance.arrived(session, now_in, member.id, now)
        for run_id in {was, now_in} - {None}:
            self.panels.changed(run_id)  # type: ignore[arg-type]

    async def _count_those_present(self, run: Run, now: datetime) -> None:
        channel = self.bot.get_channel(run.voice_channel_id or 0)
        if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return
        present = [user_id for user_id, state in channel.voice_states.items() if user_id != self.bot.user.id]  # type: ignore[union-attr]
        if not present:
            return
        async with writing(self.bot.sessions) as session:
            for user_id in present:
                await attendance.arrived(session, run.id, user_id, now)
        self.panels.changed(run.id)

    @staticmethod
    async def ensure_chair(interaction: discord.Interaction, chair_role_id: int | None) -> None:
        """The server's facilitators and moderators may chair any meeting; its own facilitator role, that one."""
        member = interaction.user
        if chair_role_id and isinstance(member, discord.Member) and member.get_role(chair_role_id) is not None:
            return
        if not await holds(interaction, Role.FACILITATOR):
            raise Refused(chairs_only(bool(chair_role_id)))

    async def _here(self, interaction: discord.Interaction) -> Run:
        async with self.bot.sessions() as session:
            return await runs.here(session, _guild(interaction).id, interaction.channel_id)


def _guild(interaction: discord.Interaction) -> discord.Guild:
    assert interaction.guild is not None  # every command here is guild-only
    return interaction.guild
