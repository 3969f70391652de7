"""The /meeting commands and the jobs that follow meetings: reminders, the Events tab, the daily plan and sync."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import clock
from bot.checks import Role, requires
from bot.client import RecoveryBot
from bot.dm import send_to_many
from bot.render import plain, timestamp
from bot.scheduler import DueJob, NewJob
from bot.services import guild_config, meetings, recurrence, timezones
from bot.services.errors import DomainError, InvalidInput
from bot.services.meetings import ImportResult, ScheduleText
from bot.services.meetings import actions as meeting_actions
from bot.services.meetings import feeds as meeting_feeds
from bot.services.meetings import guide as meeting_guide
from bot.services.meetings import reminders as meeting_reminders
from bot.services.meetings.actions import WHOLE_SERIES, MeetingFields
from bot.services.meetings.data import (
    KIND_LABELS,
    Location,
    Meeting,
    MeetingKind,
    Place,
    parse_types,
    type_names,
    validate_phone,
    validate_url,
)
from bot.services.meetings.reminders import OccurrenceJob
from bot.tasks import create_task
from cogs.meetings.events import MISSING_PERMISSION, TOO_MANY_EVENTS, EventKeeper
from cogs.meetings.feeds import FeedImports
from cogs.meetings.views import (
    ConfirmDelete,
    ListPager,
    ReminderPanel,
    RemindMeButton,
    announcement,
    cancelled_dm,
    meeting_embed,
    member_count_words,
    offset_words,
    remind_me_view,
    reminder_dm,
)

if TYPE_CHECKING:
    from cogs.facilitation.cog import Facilitation

log = logging.getLogger(__name__)

KIND_CHOICES = [app_commands.Choice(name=label, value=kind.value) for kind, label in KIND_LABELS.items()]
CLEAR_CHOICES = [
    app_commands.Choice(name="description", value="description"),
    app_commands.Choice(name="end date", value="ends"),
    app_commands.Choice(name="ping role", value="ping"),
    app_commands.Choice(name="facilitator role", value="facilitator"),
    app_commands.Choice(name="fellowship", value="fellowship"),
    app_commands.Choice(name="phone number", value="phone"),
]
MeetingChannel = discord.VoiceChannel | discord.StageChannel | discord.TextChannel


class Meetings(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.events = EventKeeper(bot)
        self.feeds = FeedImports(bot, self.after_import)
        # One server's events change one step at a time: jobs, commands and retries run
        # concurrently, and a slow refusal must not overwrite a success recorded meanwhile.
        self._event_turns: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._background: set[asyncio.Task[None]] = set()  # Events-tab work after imports; stopped on unload

    async def cog_load(self) -> None:
        RemindMeButton.opener = self.open_reminder_panel
        self.bot.add_dynamic_items(RemindMeButton)
        scheduler = self.bot.scheduler
        meeting_reminders.register(scheduler, self.bot.sessions, {
            meeting_reminders.ANNOUNCE: self.run_announcement,
            meeting_reminders.REMIND: self.run_member_reminders,
            meeting_reminders.EVENT_START: self.run_event_start,
            meeting_reminders.EVENT_END: self.run_event_end,
        })
        scheduler.register(meeting_reminders.PLAN, self.run_plan)
        scheduler.register(meeting_feeds.SYNC, self.feeds.run_sync, max_attempts=2, then=self._following_sync)
        # Planning runs in the queue, not here, so start-up stays quick with many meetings. After
        # downtime the overdue daily run catches up by itself; this only matters on a first start.
        await meeting_reminders.book_daily_plan(scheduler, clock.now())

    async def cog_unload(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self.bot.remove_dynamic_items(RemindMeButton)
        for kind in (*meeting_reminders.STEPS, meeting_reminders.PLAN, meeting_feeds.SYNC):
            self.bot.scheduler.unregister(kind)

    meeting = app_commands.Group(name="meeting", description="Recurring meetings.", guild_only=True)

    # -- moderators ---------------------------------------------------------------------------

    @meeting.command(name="create", description="Add a recurring meeting.")
    @requires(Role.MODERATOR)
    @app_commands.describe(
        name="What people call it, e.g. Monday Night Big Book",
        time="Start time in the meeting's zone, e.g. 19:00 or 7:30 pm",
        kind="Fellowship or kind of meeting",
        days="Weekdays, e.g. Mon, Thu (or use rule)",
        zone="Time zone, e.g. America/New_York; defaults to the server's",
        rule="For anything else, an RRULE: FREQ=WEEKLY;INTERVAL=2;BYDAY=TU or FREQ=MONTHLY;BYDAY=1SA",
        duration="Length in minutes (default 60)",
        channel="The voice, stage or text channel it happens in",
        link="Or an external link (Zoom, Meet, …)",
        phone="A number to dial in, with the country code, e.g. +1 646 558 8656 (with a link or alone)",
        types="Meeting Guide types, e.g. O, D or Open, Discussion, Women",
        description="What newcomers should know (up to 1,000 characters)",
        facilitator="Role of the people who chair it",
        ping="Role to mention in the last reminder before it",
        starts="First date, e.g. 2026-12-01 (default today)",
        ends="Last date, if the series ends",
        fellowship="Your fellowship's name, e.g. AA, NA, CA, Al-Anon",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def create(
        self, interaction: discord.Interaction, name: str, time: str, kind: app_commands.Choice[str],
        days: str | None = None, zone: str | None = None, rule: str | None = None,
        duration: app_commands.Range[int, 5, 480] = 60, channel: MeetingChannel | None = None,
        link: str | None = None, types: str | None = None, description: str | None = None,
        facilitator: discord.Role | None = None, ping: discord.Role | None = None,
        starts: str | None = None, ends: str | None = None, fellowship: str | None = None,
        phone: str | None = None,
    ) -> None:
        guild_id = _guild_id(interaction)
        location = _location(channel, link, phone)
        if location.place is None:
            raise InvalidInput("Where does it happen? Pick a `channel` (voice, stage or text), or give a `link` or "
                               "a `phone` number.")
        if days is None and rule is None:
            raise InvalidInput("Which days? Give `days` such as “Mon, Thu”, or a `rule` such as "
                               f"{recurrence.RULE_EXAMPLES}.")
        now = clock.now()
        schedule = ScheduleText(days=days, time=time, zone=zone, rule=rule, starts=starts, ends=ends)
        fields = MeetingFields(
            name=name, kind=MeetingKind(kind.value), duration_minutes=duration, location=location,
            types=_types(types), description=description, fellowship=fellowship,
            facilitator_role_id=facilitator.id if facilitator else None, ping_role_id=_ping_id(ping),
        )
        async with self.bot.sessions.begin() as session:
            created = await meeting_actions.add(session, self.bot.scheduler, guild_id, interaction.user.id, schedule,
                                                fields, now, fallback_zone=self.bot.settings.default_timezone)
        await self.confirm_change(interaction, created.id, now, "Added **{name}**. Members can find it with "
                                  "/meeting list.")

    @meeting.command(name="edit", description="Change a meeting; reminders and the event follow.")
    @requires(Role.MODERATOR)
    @app_commands.describe(
        meeting="The meeting to change", name="New name", time="New start time, e.g. 19:30",
        days="New weekdays, e.g. Tue, Thu", zone="New time zone", rule="New RRULE instead of weekdays",
        duration="New length in minutes", channel="New channel", link="New external link",
        phone="New dial-in number",
        types="New Meeting Guide types (replaces the old ones)", description="New description",
        facilitator="New facilitator role", ping="New role to mention", starts="New first date",
        ends="New last date", fellowship="New fellowship name", clear="Remove one optional detail",
    )
    @app_commands.choices(kind=KIND_CHOICES, clear=CLEAR_CHOICES)
    async def edit(
        self, interaction: discord.Interaction, meeting: str, name: str | None = None, time: str | None = None,
        days: str | None = None, zone: str | None = None, rule: str | None = None,
        kind: app_commands.Choice[str] | None = None, duration: app_commands.Range[int, 5, 480] | None = None,
        channel: MeetingChannel | None = None, link: str | None = None, types: str | None = None,
        description: str | None = None, facilitator: discord.Role | None = None, ping: discord.Role | None = None,
        starts: str | None = None, ends: str | None = None, fellowship: str | None = None,
        clear: app_commands.Choice[str] | None = None, phone: str | None = None,
    ) -> None:
        guild_id = _guild_id(interaction)
        now = clock.now()
        async with self.bot.sessions() as session:
            current = await meetings.resolve(session, guild_id, meeting)
        clear_end = clear is not None and clear.value == "ends"
        schedule = ScheduleText(days=days, time=time, zone=zone, rule=rule, starts=starts,
                                ends=None if clear_end else ends, clear_end=clear_end)
        changes: dict[str, Any] = {}
        if channel is not None or link is not None or phone is not None:
            changes["location"] = _location(channel, link, phone, current.location)
        if clear is not None and clear.value == "phone":
            changes["location"] = _without_phone(changes.get("location", current.location))
        for field, value in (("name", name), ("description", description), ("fellowship", fellowship),
                             ("duration_minutes", duration)):
            if value is not None:
                changes[field] = value
        if kind is not None:
            changes["kind"] = MeetingKind(kind.value)
        if types is not None:
            changes["types"] = _types(types)
        if facilitator is not None:
            changes["facilitator_role_id"] = facilitator.id
        if ping is not None:
            changes["ping_role_id"] = _ping_id(ping)
        cleared = {"description": "description", "ping": "ping_role_id", "facilitator": "facilitator_role_id",
                   "fellowship": "fellowship"}
        if clear and clear.value in cleared:
            changes[cleared[clear.value]] = None
        async with self.bot.sessions.begin() as session:
            updated = await meeting_actions.change(session, self.bot.scheduler, guild_id, interaction.user.id,
                                                   current, schedule, changes, now)
        await self.confirm_change(interaction, updated.id, now, "Saved **{name}**. Reminders and the Events tab "
                                  "now follow the new details.")

    @meeting.command(name="cancel", description="Cancel one date of a meeting, or end the series.")
    @requires(Role.MODERATOR)
    @app_commands.describe(meeting="The meeting", date="Which date (suggested as you type), or the whole series")
    async def cancel(self, interaction: discord.Interaction, meeting: str, date: str) -> None:
        guild_id = _guild_id(interaction)
        now = clock.now()
        async with self.bot.sessions.begin() as session:
            cancelled = await meeting_actions.cancel(session, self.bot.scheduler, guild_id, interaction.user.id,
                                                     meeting, date, now)
        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = await self.refresh_event(guild_id, cancelled.meeting.id, now)
        told = 0
        if cancelled.start is not None:
            told = await self.tell_cancelled(shown, cancelled.start, cancelled.recipients, interaction.guild)
        if cancelled.whole_series:
            what = "The series has ended"
        else:
            when = timestamp(cancelled.start, "F") if cancelled.start else f"{cancelled.day:%d %B %Y}"
            what = f"Cancelled **{plain(shown.name)}** on {when}"
        await interaction.followup.send(
            f"{what}. I told {member_count_words(told)} who asked for reminders.",
            embed=meeting_embed(shown, now, for_moderator=True), ephemeral=True)

    @meeting.command(name="delete", description="Delete a meeting and everything planned for it.")
    @requires(Role.MODERATOR)
    @app_commands.describe(meeting="The meeting to delete")
    async def delete(self, interaction: discord.Interaction, meeting: str) -> None:
        guild_id = _guild_id(interaction)
        async with self.bot.sessions() as session:
            current = await meetings.resolve(session, guild_id, meeting)

        async def really_delete() -> str:
            async with self.bot.sessions.begin() as session:
                gone = await meeting_actions.delete(session, self.bot.scheduler, guild_id, interaction.user.id,
                                                    current.id)
            guild = self.bot.get_guild(guild_id)
            event = await self.events.fetch(guild, gone.event_id) if guild else None
            if event is not None:
                try:
                    await self.events.remove(event)
                except discord.HTTPException:
                    log.info("could not remove the event of deleted meeting %d", gone.id)
            return f"Deleted **{plain(gone.name)}**, its reminders and its event."

        view = ConfirmDelete(interaction.user.id, current, really_delete)
        await interaction.response.send_message(
            f"Delete **{plain(current.name)}**? Its reminders, its event and members' reminder choices go too. "
            "To skip one date instead, use /meeting cancel.", view=view, ephemeral=True)
        view.origin = interaction

    @meeting.command(name="export", description="Download the meetings as a Meeting Guide JSON feed.")
    @requires(Role.MODERATOR)
    async def export(self, interaction: discord.Interaction) -> None:
        guild_id = _guild_id(interaction)
        async with self.bot.sessions() as session:
            stored = await meetings.all_in(session, guild_id)
        if not stored:
            raise InvalidInput("There are no meetings to export yet. Add one with /meeting create.")
        feed = await asyncio.to_thread(meeting_guide.export_feed, stored, updated=clock.now())
        data = json.dumps(feed.rows, indent=2, ensure_ascii=False).encode()
        lines = [f"Exported {len(feed.rows)} meeting{'s' if len(feed.rows) != 1 else ''} in the Meeting Guide format."]
        lines += [f"• Left out **{plain(m.name)}**: {reason}" for m, reason in feed.left_out[:10]]
        await interaction.response.send_message(
            "\n".join(lines)[:2000], file=discord.File(io.BytesIO(data), filename="meetings.json"), ephemeral=True)

    @meeting.command(name="import",
                     description="Add or update meetings from a Meeting Guide feed: a file, or a URL kept in sync.")
    @requires(Role.MODERATOR)
    @app_commands.describe(
        file="A Meeting Guide / 12 Step Meeting List JSON file (up to 10 MB, 5,000 rows)",
        url="Or the feed's web address, e.g. https://intergroup.org/wp-admin/admin-ajax.php?action=meetings",
        sync="With a URL: keep the schedule in step with it every day (default yes; no stops a sync)",
    )
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment | None = None,
                      url: str | None = None, sync: bool | None = None) -> None:
        guild_id = _guild_id(interaction)
        if (file is None) == (url is None):
            raise InvalidInput("Give either a `file` (a .json feed) or a `url` (the feed's web address), one of them.")
        if file is not None and sync is not None:
            raise InvalidInput("Only a feed URL can be kept in sync: give `url` instead of `file`, or leave `sync` "
                               "out.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        if file is not None:
            report = await self.feeds.from_file(guild_id, interaction.user.id, file)
        else:
            assert url is not None
            report = await self.feeds.from_url(guild_id, interaction.user.id, url, sync_daily=sync is not False)
            if sync is False:
                report = dataclasses.replace(report, summary=f"{report.summary}\nI won't sync this feed daily.")
            else:
                report = dataclasses.replace(report, summary=f"{report.summary}\nI'll check the feed every day and "
                                                             "post what changes in the meetings log channel.")
        attached = discord.File(io.BytesIO(report.details.encode()), filename="import-report.txt") \
            if report.details else discord.utils.MISSING
        await interaction.followup.send(report.summary[:2000], ephemeral=True, file=attached)

    async def after_import(self, guild_id: int, result: ImportResult, now: datetime) -> None:
        """Bring the Events tab in line with an import, in the background: the moderator's answer doesn't
        wait for a hundred calls to Discord."""
        task = create_task(self._refresh_imported(guild_id, result, now), name=f"events-after-import-{guild_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _refresh_imported(self, guild_id: int, result: ImportResult, now: datetime) -> None:
        for meeting in [*result.updated, *result.ended]:
            if meeting.event_id is not None:
                await self.refresh_event(guild_id, meeting.id, now)
        # New meetings get events soonest first, until the server's 100 upcoming events are reached.
        await self.retry_missing_events(now, guild_id)

    # -- everyone -----------------------------------------------------------------------------

    @meeting.command(name="list", description="Meetings in the next 7 days, in your own time zone.")
    @app_commands.describe(kind="Only this kind of meeting", type="Only meetings with this format, e.g. Women")
    @app_commands.choices(kind=KIND_CHOICES)
    async def list_(self, interaction: discord.Interaction, kind: app_commands.Choice[str] | None = None,
                    type: str | None = None) -> None:
        guild_id = _guild_id(interaction)
        type_codes = _types(type) if type is not None else ()
        if type is not None and not type_codes:
            raise InvalidInput("Give a meeting type to filter by, such as Women or W (suggested as you type).")
        now = clock.now()
        async with self.bot.sessions() as session:
            entries = await meetings.upcoming(session, guild_id, now, kind=MeetingKind(kind.value) if kind else None,
                                              types=type_codes)
        title = "Meetings in the next 7 days"
        if kind or type_codes:
            title += " · " + " · ".join([*([kind.name] if kind else []), *(type_names()[c] for c in type_codes)])
        view = ListPager(interaction.user.id, entries, now, title, self.open_info)
        await interaction.response.send_message(embed=view.embed(), view=view, ephemeral=True)
        view.origin = interaction

    @meeting.command(name="info", description="A meeting's details, and your reminder for it.")
    @app_commands.describe(meeting="The meeting")
    async def info(self, interaction: discord.Interaction, meeting: str) -> None:
        await self.open_info(interaction, meeting)

    @meeting.command(name="calendar", description="An .ics file for your calendar app (Google, Outlook, Apple).")
    @app_commands.describe(meeting="Just this meeting (default: all of them)")
    async def calendar(self, interaction: discord.Interaction, meeting: str | None = None) -> None:
        guild_id = _guild_id(interaction)
        async with self.bot.sessions() as session:
            chosen = [await meetings.resolve(session, guild_id, meeting)] if meeting else \
                await meetings.all_in(session, guild_id)
        if not chosen:
            raise InvalidInput("There are no meetings here yet, so there is nothing to put in a calendar.")
        guild_name = interaction.guild.name if interaction.guild else "Meetings"
        name = chosen[0].name if meeting else f"{guild_name} meetings"
        data, left_out = await asyncio.to_thread(_calendar_file, chosen, calendar_name=name,
                                                 generated_at=clock.now())
        filename = f"{chosen[0].slug if meeting else 'meetings'}.ics"
        note = ""
        if left_out:
            names = ", ".join(f"**{plain(m.name)}**" for m in left_out[:5])
            note = (f"\n\nI left out {names}{' and more' if len(left_out) > 5 else ''}: a calendar can't describe "
                    "its schedule. A moderator can fix it with /meeting edit and a new `rule` or `days`.")
        await interaction.response.send_message(
            "Open this file, or import it in your calendar app; the times follow daylight saving by themselves. "
            f"Import it again after changes to stay up to date.{note}",
            file=discord.File(io.BytesIO(data), filename=filename), ephemeral=True)

    # -- autocomplete ---------------------------------------------------------------------------

    # -- running a meeting: the facilitation extension (cogs/facilitation) does the work ------------------

    def _facilitation(self) -> Facilitation:
        cog = self.bot.get_cog("Facilitation")
        if cog is None:
            raise RuntimeError("the facilitation extension is not loaded")
        return cog  # type: ignore[return-value]

    # Who may chair a meeting (the server's facilitators and moderators, and the meeting's own facilitator role)
    # is checked once the meeting is known.
    @meeting.command(name="start", description="Open a meeting: the live panel with its steps, queue and timer.")
    @app_commands.describe(meeting="The meeting to start")
    async def start(self, interaction: discord.Interaction, meeting: str) -> None:
        await self._facilitation().start(interaction, meeting)

    @meeting.command(name="end", description="Close the meeting running here, with a summary for you.")
    async def end(self, interaction: discord.Interaction) -> None:
        await self._facilitation().end(interaction)

    @meeting.command(name="timer", description="A one-off share timer for the meeting running here.")
    @app_commands.describe(minutes="Minutes, 1 to 15")
    async def timer(self, interaction: discord.Interaction, minutes: app_commands.Range[int, 1, 15]) -> None:
        await self._facilitation().timer(interaction, minutes)

    @meeting.command(name="verify", description="Check a proof-of-attendance slip someone shows you.")
    @app_commands.describe(code="The slip's verification code", member="Whom the slip is for")
    async def verify(self, interaction: discord.Interaction, code: app_commands.Range[str, 1, 60],
                     member: discord.User) -> None:
        await self._facilitation().verify(interaction, code, member)

    @meeting.command(name="format", description="A meeting's steps, share length and queue rule: a form, or a file.")
    @requires(Role.MODERATOR)
    @app_commands.describe(meeting="The meeting", file="A format file to bring in (from export: True)",
                           export="Get the format as a file to edit")
    async def meeting_format(self, interaction: discord.Interaction, meeting: str,
                             file: discord.Attachment | None = None, export: bool = False) -> None:
        await self._facilitation().edit_format(interaction, meeting, file, export)

    @edit.autocomplete("meeting")
    @cancel.autocomplete("meeting")
    @start.autocomplete("meeting")
    @meeting_format.autocomplete("meeting")
    @delete.autocomplete("meeting")
    @info.autocomplete("meeting")
    @calendar.autocomplete("meeting")
    async def meeting_autocomplete(self, interaction: discord.Interaction,
                                   current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.sessions() as session:
            found = await meetings.search(session, interaction.guild_id, current)
        return [app_commands.Choice(name=_choice_name(m), value=str(m.id)) for m in found]

    @cancel.autocomplete("date")
    async def date_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        chosen = str(getattr(interaction.namespace, "meeting", "") or "")
        if interaction.guild_id is None or not chosen:
            return []
        async with self.bot.sessions() as session:
            try:
                found = await meetings.resolve(session, interaction.guild_id, chosen)
            except DomainError:  # not a meeting (yet): no dates to suggest
                return []
        choices = [app_commands.Choice(name="The whole series (no more meetings)", value=WHOLE_SERIES)]
        for start in meetings.upcoming_dates(found, clock.now(), 20):
            local = start.astimezone(found.recurrence.tz)
            choices.append(app_commands.Choice(name=f"{local:%A %d %B %Y, %H:%M} ({found.recurrence.zone})",
                                               value=local.date().isoformat()))
        return [c for c in choices if current.lower() in c.name.lower() or current in c.value][:25]

    @create.autocomplete("zone")
    @edit.autocomplete("zone")
    async def zone_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        suggestions = timezones.search(current)
        if not current and interaction.guild_id is not None:
            async with self.bot.sessions() as session:
                default = await meetings.server_zone(session, interaction.guild_id,
                                                     self.bot.settings.default_timezone)
            suggestions = [default, *[z for z in suggestions if z != default]]
        return [app_commands.Choice(name=z, value=z) for z in suggestions[:25]]

    @create.autocomplete("types")
    @edit.autocomplete("types")
    @list_.autocomplete("type")
    async def types_autocomplete(self, interaction: discord.Interaction,
                                 current: str) -> list[app_commands.Choice[str]]:
        done, _, last = current.rpartition(",")
        prefix = f"{done}, " if done else ""
        needle = last.strip().lower()
        names = type_names()
        matches = [(c, n) for c, n in names.items() if c.lower().startswith(needle) or needle in n.lower()]
        return [app_commands.Choice(name=f"{prefix}{n} ({c})"[:100], value=f"{prefix}{c}"[:100])
                for c, n in matches[:25]]

    # -- shared steps ------------------------------------------------------------------------------

    async def refresh_event(self, guild_id: int, meeting_id: int, now: datetime) -> Meeting:
        """Bring the meeting's Discord event in line with it and store how that went."""
        async with self._event_turns[guild_id]:
            async with self.bot.sessions() as session:  # read once it is our turn: it may have changed
                meeting = await meetings.find(session, meeting_id)
            if meeting is None:
                raise InvalidInput("That meeting was deleted meanwhile.")
            event_id, event_start, problem = await self.events.show_next(meeting, now)
            async with self.bot.sessions.begin() as session:
                await meetings.record_event(session, meeting_id, event_id, event_start, problem)
        return dataclasses.replace(meeting, event_id=event_id, event_start=event_start, event_problem=problem)

    async def confirm_change(self, interaction: discord.Interaction, meeting_id: int, now: datetime,
                             template: str) -> None:
        """After a saved change: update the event (which can take a moment), then show the result."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = await self.refresh_event(_guild_id(interaction), meeting_id, now)
        await interaction.followup.send(template.format(name=plain(shown.name)),
                                        embed=meeting_embed(shown, now, for_moderator=True), ephemeral=True)

    async def open_info(self, interaction: discord.Interaction, meeting: int | str) -> None:
        """A meeting's details and the member's reminder for it: `meeting` is an id (from a menu or button)
        or what they typed or picked (/meeting info)."""
        guild_id = _guild_id(interaction)
        async with self.bot.sessions() as session:
            found = await (meetings.get(session, guild_id, meeting) if isinstance(meeting, int)
                           else meetings.resolve(session, guild_id, meeting))
            reminder = await meetings.reminder_of(session, found.id, interaction.user.id)
        embed = meeting_embed(found, clock.now(), reminder=reminder,
                              for_moderator=interaction.permissions.manage_events)
        view = remind_me_view(found.id)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def open_reminder_panel(self, interaction: discord.Interaction, meeting_id: int) -> None:
        guild_id = _guild_id(interaction)
        user_id = interaction.user.id
        async with self.bot.sessions() as session:
            found = await meetings.get(session, guild_id, meeting_id)
            current = await meetings.reminder_of(session, meeting_id, user_id)

        async def save(minutes: int, previous: int | None) -> datetime | None:
            now = clock.now()
            async with self.bot.sessions.begin() as session:
                await meeting_actions.choose_reminder(session, self.bot.scheduler, found, user_id, minutes or None, now)
            return found.next_occurrence(now)

        state = f"You get a DM {offset_words(current)} each time." if current else "You have no reminder for it."
        panel = ReminderPanel(user_id, found, current, save)
        await interaction.response.send_message(f"**{plain(found.name)}**: {state}", view=panel, ephemeral=True)
        panel.origin = interaction

    async def tell_cancelled(self, meeting: Meeting, start: datetime, recipients: list[int],
                             guild: discord.Guild | None) -> int:
        """DM everyone who asked for reminders that this date is off; returns how many got it."""
        text = cancelled_dm(meeting, start, meeting.next_occurrence(clock.now()), guild.name if guild else "")
        return await self.dm_members(recipients, content=text)

    async def dm_members(self, user_ids: list[int], **message: Any) -> int:
        """DM each member once, whatever happens to the others; returns how many got it."""
        return len((await send_to_many(self.bot, user_ids, **message)).delivered)

    # -- jobs ---------------------------------------------------------------------------------------

    async def _job_meeting(self, job: DueJob, *, before_start: bool = False) -> tuple[Meeting, OccurrenceJob] | None:
        """The job's meeting and occurrence, or None when that occurrence is off (or, for a
        reminder, already started)."""
        occurrence = OccurrenceJob.from_payload(job.payload)
        if before_start and clock.now() >= occurrence.start:
            return None
        async with self.bot.sessions() as session:
            meeting = await meetings.find(session, occurrence.meeting_id)
        if meeting is None or not meeting_reminders.still_happening(meeting, occurrence.start):
            return None  # deleted, skipped or moved since this job was planned
        return meeting, occurrence

    async def run_announcement(self, job: DueJob) -> None:
        found = await self._job_meeting(job, before_start=True)
        if found is None:
            return
        meeting, occurrence = found
        guild = self.bot.get_guild(meeting.guild_id)
        if guild is None:
            return
        channel = await self._announcement_channel(guild, meeting)
        if channel is None:
            return
        async with self.bot.sessions() as session:
            offsets = await meetings.reminder_offsets(session, meeting.guild_id)
        # Mention the ping role once, in the last reminder, not in every one.
        last = occurrence.offset_minutes == min(offsets, default=None)
        await channel.send(**announcement(meeting, occurrence.start, meeting.ping_role_id if last else None))

    async def _announcement_channel(self, guild: discord.Guild, meeting: Meeting) -> discord.abc.Messageable | None:
        if meeting.location.place in (Place.VOICE, Place.STAGE, Place.TEXT) and meeting.location.channel_id:
            channel = guild.get_channel(meeting.location.channel_id)
        else:
            async with self.bot.sessions() as session:
                config = await guild_config.get(session, guild.id)
            channel = guild.get_channel(config.announcements_channel_id or 0)
        if isinstance(channel, discord.TextChannel | discord.VoiceChannel | discord.StageChannel) and \
                channel.permissions_for(guild.me).send_messages:
            return channel
        log.info("meeting %d has no channel I can post its reminder in", meeting.id)
        return None

    async def run_member_reminders(self, job: DueJob) -> None:
        found = await self._job_meeting(job, before_start=True)
        if found is None:
            return
        meeting, occurrence = found
        async with self.bot.sessions() as session:
            recipients = await meetings.reminder_recipients(session, meeting.id, occurrence.offset_minutes)
        guild = self.bot.get_guild(meeting.guild_id)
        embed = reminder_dm(meeting, occurrence.start, guild.name if guild else "your server")
        # One attempt only (max_attempts=1): a retry would DM again the members already reached.
        sent = await self.dm_members(recipients, embed=embed)
        log.info("meeting %d reminder: %d of %d DMs delivered", meeting.id, sent, len(recipients))

    async def run_event_start(self, job: DueJob) -> None:
        found = await self._job_meeting(job)
        if found is not None:
            await self.events.go_live(found[0], found[1].start)

    async def run_event_end(self, job: DueJob) -> None:
        occurrence = OccurrenceJob.from_payload(job.payload)
        if job.guild_id is None:
            return
        async with self._event_turns[job.guild_id]:
            async with self.bot.sessions() as session:
                meeting = await meetings.find(session, occurrence.meeting_id)
            if meeting is None or meeting.event_start != occurrence.start:
                return  # deleted, or the event shows another occurrence (moved by an edit or a cancel)
            await self.events.finish(meeting, occurrence.start)
            async with self.bot.sessions.begin() as session:
                await meetings.record_event(session, meeting.id, None, None, None)
        # The freed slot (Discord allows 100 upcoming events) goes to the soonest waiting meeting,
        # which is usually this one's next occurrence.
        await self.retry_missing_events(max(clock.now(), occurrence.start + meeting.duration), job.guild_id)

    async def _following_sync(self, job: DueJob) -> NewJob | None:
        async with self.bot.sessions() as session:
            return await meeting_feeds.following_sync(session, job)

    async def run_plan(self, job: DueJob) -> None:
        now = clock.now()
        async with self.bot.sessions.begin() as session:
            await meeting_reminders.plan_everything(session, self.bot.scheduler, now)
        await self.retry_missing_events(now)

    async def retry_missing_events(self, now: datetime, guild_id: int | None = None) -> None:
        """Try again to show meetings that have no event (a permission granted since, a free slot), soonest
        first, until the server's reason for having none (the event limit, no permission) comes back."""
        async with self.bot.sessions() as session:
            servers = [guild_id] if guild_id is not None else await meetings.servers_waiting_for_events(session)
        for server in servers:
            if self.bot.get_guild(server) is None:
                continue  # another shard's server, or one the bot has left
            async with self.bot.sessions() as session:
                waiting = await meetings.waiting_for_events(session, server, now)
            for meeting in waiting:
                shown = await self.refresh_event(server, meeting.id, now)
                if shown.event_problem in (TOO_MANY_EVENTS, MISSING_PERMISSION):
                    async with self.bot.sessions.begin() as session:
                        await meetings.note_event_problem(session, server, shown.event_problem)
                    break


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise InvalidInput("Meetings belong to a server: use this inside one.")
    return interaction.guild_id


def _location(channel: MeetingChannel | None, link: str | None, phone: str | None = None,
              current: Location | None = None) -> Location:
    """Where a meeting happens from the options given; an edit keeps what it doesn't replace (the
    other of link and phone, their notes, a hybrid meeting's venue)."""
    if channel is not None and (link or phone):
        raise InvalidInput("Give a channel, or a link and/or a phone number, not both: where should people go?")
    current = current or Location()
    venue, address = current.venue, current.address
    if isinstance(channel, discord.StageChannel):
        return Location(Place.STAGE, channel.id, venue=venue, address=address)
    if isinstance(channel, discord.VoiceChannel):
        return Location(Place.VOICE, channel.id, venue=venue, address=address)
    if channel is not None:
        return Location(Place.TEXT, channel.id, venue=venue, address=address)
    if link or phone:
        online = current if current.place is Place.LINK else Location()
        return Location(Place.LINK, url=validate_url(link) if link else online.url,
                        phone=validate_phone(phone) if phone else online.phone,
                        url_notes=None if link else online.url_notes, phone_notes=None if phone else online.phone_notes,
                        venue=venue, address=address)
    return Location()


def _without_phone(location: Location) -> Location:
    if location.phone is None:
        raise InvalidInput("That meeting has no phone number to remove.")
    if location.url is None:
        raise InvalidInput("The phone number is the only way to join that meeting: give a `link` or a `channel` "
                           "before removing it.")
    return dataclasses.replace(location, phone=None, phone_notes=None)


def _types(text: str | None) -> tuple[str, ...]:
    return parse_types(text) if text else ()


def _ping_id(role: discord.Role | None) -> int | None:
    if role is None:
        return None
    if role.is_default():
        raise InvalidInput("I won't mention @everyone for a meeting. Pick a role people chose to join.")
    return role.id


def _choice_name(meeting: Meeting) -> str:
    return f"{meeting.name} · {recurrence.describe(meeting.recurrence)}"[:100]


def _calendar_file(chosen: list[Meeting], *, calendar_name: str, generated_at: datetime) -> tuple[bytes, list[Meeting]]:
    """The .ics file, made in a worker thread. The calendar library is imported here, at its first use and
    off the event loop: most bots never make a calendar, and it would hold memory for nothing."""
    from bot.services.meetings import calendar as calendar_feed

    return calendar_feed.calendar_export(chosen, calendar_name=calendar_name, generated_at=generated_at)
