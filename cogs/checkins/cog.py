"""/checkin: a check-in in one tap or one command, private or shared anonymously; history with a chart; a
daily DM reminder on the member's own clock.

In a server every answer is private, and nothing public shows that someone checked in: an anonymous share
appears a few minutes later, posted by the bot, naming nobody. The service (bot.services.checkins) decides;
this cog posts, relays and answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import clock
from bot.checks import ANYWHERE
from bot.client import RecoveryBot
from bot.db.engine import writing
from bot.dm import send_dm, send_dm_to
from bot.render import crisis_embed, plain, timestamp
from bot.scheduler import DueJob, NewJob, PermanentJobError
from bot.servers import ServerChoice, servers_of
from bot.services import crisis, guild_config, timezones
from bot.services.checkins import entries, posts, reminders
from bot.services.checkins.entries import MOODS, Entry, NewCheckin
from bot.services.checkins.recorder import Recorder
from bot.services.errors import DomainError, InvalidInput
from bot.services.guild_config import ChannelPurpose
from cogs.checkins.chart import chart_png
from cogs.checkins.views import (
    BUTTONS,
    ReachOutButton,
    ReachOutForm,
    ShareButton,
    TakeDownButton,
    mood_buttons,
    mood_line,
    post_buttons,
    post_embed,
)

log = logging.getLogger(__name__)

MOOD_CHOICES = [app_commands.Choice(name=f"{mood} · {words}", value=mood) for mood, (_, words) in MOODS.items()]
SHARE_CHOICES = [app_commands.Choice(name="Keep it private (only you see it)", value="private"),
                 app_commands.Choice(name="Share anonymously", value="anonymous")]


class CheckIns(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.recorder = Recorder(bot.sessions, clock.now)
        # Who has yet to hear that their reminder paused: asked after every command, so kept in memory (read at
        # start, added to when this process pauses one). A pause made by another shard process is heard of
        # after a restart.
        self.untold: set[int] = set()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*BUTTONS)
        async with self.bot.sessions() as session:
            self.untold = await reminders.paused_and_untold(session)

        async def tomorrow(job: DueJob) -> NewJob | None:
            async with self.bot.sessions() as session:
                return await reminders.following(session, job)

        self.bot.scheduler.register(entries.POST_JOB, self.run_post, max_attempts=5)
        # A reminder hours late (the bot was down) is noise: dropped after an hour; tomorrow's comes as usual.
        self.bot.scheduler.register(reminders.REMIND_JOB, self.run_reminder, max_lateness=reminders.LATE,
                                    max_attempts=3, then=tomorrow)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*BUTTONS)
        for kind in (entries.POST_JOB, reminders.REMIND_JOB):
            self.bot.scheduler.unregister(kind)

    checkin = app_commands.Group(name="checkin", description="How are you today? Check in, privately or anonymously.",
                                 allowed_contexts=ANYWHERE)

    # -- checking in ------------------------------------------------------------------------------

    @checkin.command(name="new", description="Check in: mood, craving, a note. Only you see it unless you share it.")
    @app_commands.describe(mood="How you feel, from 1 (struggling) to 5 (great)",
                           craving="Your craving, from 0 (none) to 10 (overwhelming)",
                           note="Anything you'd like to note (up to 1,000 characters)",
                           share="Keep it private, or share it anonymously (default: private)")
    @app_commands.choices(mood=MOOD_CHOICES, share=SHARE_CHOICES)  # type: ignore[misc]
    async def new(self, interaction: discord.Interaction, mood: app_commands.Choice[int],
                  craving: app_commands.Range[int, 0, 10], note: app_commands.Range[str, 1, 1000] | None = None,
                  share: app_commands.Choice[str] | None = None) -> None:
        await self.record(interaction, mood.value, craving, note, anonymous=bool(share and share.value == "anonymous"))

    async def record_from_form(self, interaction: discord.Interaction, mood: int, craving: str, note: str) -> None:
        """The short form behind a mood button (the daily reminder's one tap)."""
        try:
            level = int(craving.strip() or "0")
        except ValueError:
            raise InvalidInput("Give your craving as a number from 0 (none) to 10 (overwhelming).") from None
        await self.record(interaction, mood, level, note or None, anonymous=False)

    async def record(self, interaction: discord.Interaction, mood: int, craving: int, note: str | None, *,
                     anonymous: bool) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = await self._zone(interaction.user.id, interaction.guild_id)
        entry = await self.recorder.record(NewCheckin(interaction.user.id, mood, craving, note, zone))
        lines = await self._lines_if_needed(entry, interaction.guild_id)
        text = [f"✅ Checked in: {mood_line(entry)}, craving {entry.craving}/10. Only you can see it."]
        view = discord.ui.View(timeout=None)
        if lines is not None:
            text.insert(0, "💙 Thank you for checking in. It sounds like today is really hard, and you don't have to "
                           "face it alone: the lines below answer now, and a volunteer can reach out to you.")
            view.add_item(ReachOutButton(entry.id, anonymous=False))
            view.add_item(ReachOutButton(entry.id, anonymous=True))
        if anonymous:
            shared = await self._share_now(interaction, entry)
            if shared is not None:
                text.append(shared[0])
                if shared[1]:
                    view.add_item(TakeDownButton(entry.id))
        else:
            for guild in await self._share_targets(interaction):
                view.add_item(ShareButton(entry.id, guild.id, guild.name if interaction.guild_id is None else None))
        if await self._paused_notice(interaction.user.id):
            text.append(self.PAUSED)
        await interaction.followup.send("\n\n".join(text), embed=lines or discord.utils.MISSING,
                                        view=view if view.children else discord.utils.MISSING, ephemeral=True)

    async def _share_targets(self, interaction: discord.Interaction) -> list[discord.Guild]:
        if interaction.guild is not None:
            async with self.bot.sessions() as session:
                configured = (await guild_config.get(session, interaction.guild.id)).checkins_channel_id
            return [interaction.guild] if configured else []
        return (await servers_of(self.bot, interaction.user.id, ChannelPurpose.CHECKINS))[:5]

    async def _share_now(self, interaction: discord.Interaction, entry: Entry) -> tuple[str, bool] | None:
        """Share with this server; from DMs, the member's one server, or a menu of them (then None: the menu
        answers). What to tell the member, and whether it was shared."""
        if interaction.guild_id is not None:
            return await self._shared_words(interaction, entry, interaction.guild_id)
        found = await servers_of(self.bot, interaction.user.id, ChannelPurpose.CHECKINS)
        if not found:
            return ("I couldn't share it: you're not in a server with a check-ins channel. It's kept, private to "
                    "you.", False)
        if len(found) == 1:
            return await self._shared_words(interaction, entry, found[0].id)

        async def chosen(picked: discord.Interaction, guild_id: int) -> None:
            words, shared = await self._shared_words(picked, entry, guild_id)
            await picked.followup.send(words, ephemeral=True,
                                       view=self._take_down_view(entry) if shared else discord.utils.MISSING)

        picker = ServerChoice(interaction.user.id, found, chosen)
        await interaction.followup.send("Which server should see it (anonymously)?", view=picker, ephemeral=True)
        return None

    async def _shared_words(self, interaction: discord.Interaction, entry: Entry, guild_id: int) -> tuple[str, bool]:
        try:
            async with writing(self.bot.sessions) as session:
                shared = await entries.share(session, self.bot.scheduler, entry.id, interaction.user.id, guild_id,
                                             clock.now())
        except DomainError as refused:
            return refused.message, False
        return (f"🤝 It will appear anonymously in <#{shared.channel_id}> {timestamp(shared.posts_at, 'R')}: a few "
                "minutes' delay, so the moment it appears can't point at you. Support sent to it reaches you by DM.",
                True)

    def _take_down_view(self, entry: Entry) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(TakeDownButton(entry.id))
        return view

    async def share(self, interaction: discord.Interaction, checkin_id: int, guild_id: int) -> None:
        entry = await self._entry(interaction, checkin_id)
        words, shared = await self._shared_words(interaction, entry, guild_id)
        await interaction.response.send_message(words, ephemeral=True,
                                                view=self._take_down_view(entry) if shared else discord.utils.MISSING)

    async def _entry(self, interaction: discord.Interaction, checkin_id: int) -> Entry:
        async with self.bot.sessions() as session:
            return entries.as_entry(await entries.mine(session, checkin_id, interaction.user.id))

    async def _lines_if_needed(self, entry: Entry, guild_id: int | None) -> discord.Embed | None:
        config = await self._config(guild_id)
        extra = config.crisis_words if config else ()
        if not entries.calls_for_the_lines(entry.mood, entry.craving, entry.note, extra):
            return None
        return crisis_embed(crisis.for_region(config.crisis_region if config else None))

    async def _config(self, guild_id: int | None) -> guild_config.GuildConfig | None:
        if guild_id is None:
            return None
        async with self.bot.sessions() as session:
            return await guild_config.get(session, guild_id)

    async def _zone(self, user_id: int, guild_id: int | None) -> str:
        async with self.bot.sessions() as session:
            reminder = await reminders.of(session, user_id)
            config = await guild_config.get(session, guild_id) if guild_id else None
        return (reminder.zone if reminder else None) or (config.timezone if config else None) or \
            self.bot.settings.default_timezone

    # -- reaching out from a hard check-in -------------------------------------------------------------

    async def open_reach_out(self, interaction: discord.Interaction, checkin_id: int, anonymous: bool) -> None:
        entry = await self._entry(interaction, checkin_id)
        await interaction.response.send_modal(ReachOutForm(checkin_id, anonymous, entry.note))

    async def reach_out(self, interaction: discord.Interaction, checkin_id: int, anonymous: bool,
                        message: str) -> None:
        entry = await self._entry(interaction, checkin_id)
        reach = self.bot.get_cog("ReachOut")
        if reach is None:
            raise DomainError("Reaching out isn't available right now. The lines above answer at any hour.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = entry.guild_id or interaction.guild_id
        if guild_id is None:
            found = await servers_of(self.bot, interaction.user.id, ChannelPurpose.REACHOUT)
            if len(found) == 1:
                guild_id = found[0].id
            elif found:
                picker = ServerChoice(interaction.user.id, found, lambda picked, chosen: reach.ask(  # type: ignore[attr-defined]
                    picked, chosen, message or None, "urgent", anonymous))
                await interaction.followup.send("Which server's volunteers should I reach?", view=picker,
                                                ephemeral=True)
                return
            else:
                await interaction.followup.send(
                    "You're not in any server where I can reach volunteers. The lines above answer now.",
                    ephemeral=True)
                return
        await reach.ask(interaction, guild_id, message or None, "urgent", anonymous)  # type: ignore[attr-defined]

    # -- anonymous posts ---------------------------------------------------------------------------------

    async def run_post(self, job: DueJob) -> None:
        async with self.bot.sessions() as session:
            post = await posts.to_post(session, int(job.payload["checkin_id"]))
        if post is None:
            return  # taken down (or erased) before its time
        channel = self.bot.get_channel(post.channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            raise PermanentJobError("the check-ins channel is gone")
        try:
            sent = await channel.send(embed=post_embed(post.entry), view=post_buttons(post.entry.id),
                                      allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden as exc:
            raise PermanentJobError("the bot may not post in the check-ins channel") from exc
        async with writing(self.bot.sessions) as session:
            await posts.record_post(session, post.entry.id, channel.id, sent.id)

    async def send_support(self, interaction: discord.Interaction, checkin_id: int, text: str,
                           signature: str) -> None:
        words, name = posts.check_support(text, signature)
        async with self.bot.sessions() as session:
            entry, author_id = await posts.author_of(session, checkin_id)
        signed = f"— {plain(name)}" if name else "— someone who chose to stay anonymous too"
        delivered = await self._dm(author_id, content=(
            f"💙 Support for your anonymous check-in #{entry.id}:\n{plain(words)}\n{signed}"))
        await interaction.response.send_message(
            "Sent. Thank you for being there for them. 💙" if delivered
            else "I couldn't pass it on: they can't get DMs from me right now.", ephemeral=True)

    async def _dm(self, user_id: int, **message: Any) -> bool:
        return await send_dm_to(self.bot, user_id, **message)

    async def report(self, interaction: discord.Interaction, checkin_id: int) -> None:
        async with writing(self.bot.sessions) as session:
            entry = await posts.report(session, checkin_id, interaction.user.id)
        await interaction.response.send_message(
            "Thank you: the moderators have it. They can stop its author sharing without learning who it is.",
            ephemeral=True)
        await self._tell_moderators(interaction, entry)

    async def _tell_moderators(self, interaction: discord.Interaction, entry: Entry) -> None:
        config = await self._config(interaction.guild_id)
        channel = self.bot.get_channel(config.reachout_channel_id or 0) if config else None
        if config is None or not isinstance(channel, discord.TextChannel):
            log.warning("check-in %s was reported, but there is no staff channel to tell", entry.id)
            return
        role = config.moderator_role_id
        link = f"https://discord.com/channels/{interaction.guild_id}/{interaction.channel_id}/" \
               f"{interaction.message.id if interaction.message else ''}"
        await channel.send(
            (f"<@&{role}> " if role else "") + f"Anonymous check-in #{entry.id} was reported by a member: {link}\n"
            f"To stop its author sharing anonymously here, without learning who it is: "
            f"`/admin anon-block number:{entry.id} what:check-in`.",
            allowed_mentions=discord.AllowedMentions(roles=[discord.Object(role)] if role else [], users=False))

    async def take_down(self, interaction: discord.Interaction, checkin_id: int) -> None:
        async with writing(self.bot.sessions) as session:
            channel_id, message_id = await posts.take_down(session, checkin_id, interaction.user.id)
        channel = self.bot.get_channel(channel_id or 0)
        if message_id and isinstance(channel, discord.TextChannel):
            with contextlib.suppress(discord.NotFound):  # someone deleted it already
                await channel.get_partial_message(message_id).delete()
        await interaction.response.send_message(
            "Taken down." if message_id else "It won't appear: it was taken down before its time.", ephemeral=True)

    # -- history and the reminder -----------------------------------------------------------------------

    @checkin.command(name="history", description="Your last 30 days of check-ins, with a chart. Only you see it.")
    async def history(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = await self._zone(interaction.user.id, interaction.guild_id)
        async with self.bot.sessions() as session:
            past = await entries.history(session, interaction.user.id, zone, clock.now())
        if not past.entries:
            await interaction.followup.send(
                ("No check-ins in the last 30 days. " if past.ever else "No check-ins yet. ")
                + "Whenever you're ready: /checkin new, or /checkin reminder for a daily nudge by DM.", ephemeral=True)
            return
        words = [f"**{past.days_checked_in} of the last 30 days** you checked in."]
        if past.streak >= 2:
            words.append(f"🔥 {past.streak} days in a row" + ("." if past.checked_in_today else
                                                              ": check in today to keep it going."))
        elif past.days_checked_in > 1:
            words.append("Every check-in counts, however many days between them. Welcome back. 💙")
        words.append(f"Average mood {past.mood_average:.1f}/5, craving {past.craving_average:.1f}/10 (zone: {zone}).")
        image = await asyncio.to_thread(chart_png, past.entries, clock.now(), zone)
        await interaction.followup.send("\n".join(words), file=discord.File(io.BytesIO(image), filename="checkins.png"),
                                        ephemeral=True)

    @checkin.command(name="reminder", description="A daily DM asking how you are, at a time on your own clock.")
    @app_commands.describe(time="When, e.g. 20:00 or 8pm", zone="Your time zone, e.g. Europe/London",
                           off="Turn the reminder off")
    async def reminder(self, interaction: discord.Interaction, time: str | None = None, zone: str | None = None,
                       off: bool = False) -> None:
        if off:
            async with writing(self.bot.sessions) as session:
                was = await reminders.turn_off(session, self.bot.scheduler, interaction.user.id)
            self.untold.discard(interaction.user.id)
            await interaction.response.send_message("Your daily reminder is off." if was else
                                                    "You had no daily reminder.", ephemeral=True)
            return
        if time is None:
            raise InvalidInput("Give a time for your daily reminder, e.g. 20:00 or 8pm (or off: True to stop it).")
        chosen = zone or await self._zone(interaction.user.id, interaction.guild_id)
        async with writing(self.bot.sessions) as session:
            set_to = await reminders.set_daily(session, self.bot.scheduler, interaction.user.id, time, chosen,
                                               clock.now())
        self.untold.discard(interaction.user.id)  # set afresh: the pause is behind them
        closed = "" if await send_dm(interaction.user, content=(
            f"👋 This is where your daily check-in reminder will come, at {set_to.local_time:%H:%M} "
            f"({set_to.zone}). One tap on a mood and you're done.")) else (
            "\n⚠️ Your DMs are closed to me, so the reminder can't reach you. Open them (this server's menu → "
            "Privacy Settings → Direct Messages), then set it again.")
        await interaction.response.send_message(
            f"Every day at **{set_to.local_time:%H:%M}** ({set_to.zone}), first on "
            f"{timestamp(set_to.next_at(clock.now()), 'F')}, I'll DM you to ask how you are.{closed}", ephemeral=True)

    @reminder.autocomplete("zone")
    async def zone_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezones.search(current)[:25]]

    async def run_reminder(self, job: DueJob) -> None:
        async with self.bot.sessions() as session:
            reminder = await reminders.due(session, int(job.payload["reminder_id"]))
        if reminder is None:
            return
        delivered = await self._dm(reminder.user_id, content="How are you today? One tap, and a short form.",
                                   view=mood_buttons())
        if not delivered:
            async with writing(self.bot.sessions) as session:
                await reminders.pause(session, reminder)
            self.untold.add(reminder.user_id)

    PAUSED = ("⏸️ Your daily check-in reminder is paused: your DMs were closed to me, so it couldn't reach you. "
              "Open them, then set it again with /checkin reminder.")

    async def _paused_notice(self, user_id: int) -> bool:
        """Whether to tell the member their reminder paused (once)."""
        if user_id not in self.untold:
            return False
        self.untold.discard(user_id)
        async with writing(self.bot.sessions) as session:
            return await reminders.told(session, user_id)

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction,
                                        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
                                        ) -> None:
        """The next time they use the bot after their reminder paused, they hear why (once)."""
        if command.qualified_name.startswith("checkin") or not interaction.response.is_done():
            return
        if await self._paused_notice(interaction.user.id):
            await interaction.followup.send(self.PAUSED, ephemeral=True)

