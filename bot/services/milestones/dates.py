"""Members' clean dates: setting, resetting and erasing them, how each server may announce them, and when
each is next due for a server's announcement.

`milestone_due` holds, for each date and each server where its member chose public or anonymous, the
instant its next milestone is announced: the server's announcement hour on the milestone's day, on the
member's clock (public) or on the server's (anonymous, so the moment of posting says nothing of where the
member lives). Every change here keeps that table true in the same transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MilestoneChoice, MilestoneDue, MilestoneRow
from bot.services import guild_config, timezones
from bot.services.errors import InvalidInput, NotFound
from bot.services.guild_config import GuildConfig
from bot.services.milestones.schedules import (
    EXAMPLE as SCHEDULE_EXAMPLE,
)
from bot.services.milestones.schedules import (
    MAX_YEARS,
    Milestone,
    Preset,
    Schedule,
    first_on_or_after,
    read_custom,
    schedule_of,
)
from bot.services.text import checked, escape_markdown, excerpt

MAX_DATES = 5
LABEL_LIMIT = 40
EXAMPLE = "2025-03-14"
UPCOMING_DAYS = 7
UPCOMING_LIMIT = 5_000  # members looked at for one server's upcoming list; a server this size is rare
THREAD_FROM = 200  # recomputing more due instants than this leaves the event loop


class Mode(StrEnum):
    PUBLIC = "public"
    ANONYMOUS = "anonymous"
    OFF = "off"


MODE_WORDS = {
    Mode.PUBLIC: "announced with your name (and a mention) in the announcements channel",
    Mode.ANONYMOUS: "announced anonymously (“A member celebrates…”), naming nobody",
    Mode.OFF: "not announced",
}


@dataclass(frozen=True, slots=True)
class CleanDate:
    id: int
    user_id: int
    label: str | None
    start: date
    zone: str

    @property
    def called(self) -> str:
        return f"“{escape_markdown(self.label)}”" if self.label else "your clean date"


def _clean_date(row: MilestoneRow) -> CleanDate:
    return CleanDate(row.id, row.user_id, row.label, row.start_date, row.zone)


def read_date(text: str, today: date) -> date:
    """A clean date as typed: year-month-day, not in the future, not before anyone alive could have one."""
    cleaned = text.strip()
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(f"I can't read “{excerpt(cleaned, 20)}” as a date. Write it as year-month-day, "
                           f"e.g. {EXAMPLE}.") from None
    if day > today:
        raise InvalidInput(f"{day.isoformat()} hasn't come yet (today is {today.isoformat()} on your clock). Give "
                           f"the first day you were clean, e.g. {EXAMPLE}.")
    if day.year < today.year - MAX_YEARS:
        raise InvalidInput(f"{day.isoformat()} is more than {MAX_YEARS} years ago. Check the year, e.g. {EXAMPLE}.")
    return day


def _label(text: str | None) -> str | None:
    return checked(text, "label", LABEL_LIMIT)


def _same_label(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


async def dates_of(session: AsyncSession, user_id: int) -> list[CleanDate]:
    rows = await session.scalars(select(MilestoneRow).where(MilestoneRow.user_id == user_id).order_by(MilestoneRow.id))
    return [_clean_date(row) for row in rows]


def pick(dates: Sequence[CleanDate], label: str | None) -> CleanDate:
    """The date `label` names; with no label, the only one (or the unlabelled one)."""
    if not dates:
        raise NotFound("You have no clean date yet. Set one with /milestone set, e.g. date: " + EXAMPLE + ".")
    if label is not None:
        wanted = _label(label)
        for found in dates:
            if _same_label(found.label, wanted):
                return found
    elif len(dates) == 1:
        return dates[0]
    else:
        unlabelled = [d for d in dates if d.label is None]
        if len(unlabelled) == 1:
            return unlabelled[0]
    names = ", ".join(f"“{escape_markdown(d.label)}”" if d.label else "(no label)" for d in dates)
    raise InvalidInput(f"Which one? Give its label: you have {names}.")


async def set_date(session: AsyncSession, user_id: int, day_text: str, label: str | None, zone: str | None,
                   default_zone: str, now: datetime) -> tuple[CleanDate, bool]:
    """Add a clean date, or move the one with the same label; returns it and whether it is new."""
    rows = list(await session.scalars(select(MilestoneRow).where(MilestoneRow.user_id == user_id)))
    wanted = _label(label)
    row = next((r for r in rows if _same_label(r.label, wanted)), None)
    chosen_zone = timezones.validate(zone) if zone else (row.zone if row else default_zone)
    start = read_date(day_text, timezones.today_in(chosen_zone, now))
    created = row is None
    if row is None:
        if len(rows) >= MAX_DATES:
            raise InvalidInput(f"You have {MAX_DATES} dates already, the most there can be. Change one by setting it "
                               "again with its label, or erase one with /milestone delete.")
        row = MilestoneRow(user_id=user_id, label=wanted, start_date=start, zone=chosen_zone)
        session.add(row)
    else:
        row.start_date, row.zone = start, chosen_zone
    await session.flush()
    await _refresh_member(session, [row], now)
    return _clean_date(row), created


async def reset(session: AsyncSession, user_id: int, label: str | None, day_text: str | None,
                now: datetime) -> CleanDate:
    """A new clean date for one of theirs (today, unless given). Its milestones are celebrated afresh."""
    found = pick(await dates_of(session, user_id), label)
    today = timezones.today_in(found.zone, now)
    start = read_date(day_text, today) if day_text else today
    row = await session.get(MilestoneRow, found.id)
    assert row is not None
    row.start_date = start
    await session.flush()
    await _refresh_member(session, [row], now)
    return _clean_date(row)


async def erase(session: AsyncSession, user_id: int, label: str | None) -> CleanDate:
    found = pick(await dates_of(session, user_id), label)
    await session.execute(delete(MilestoneDue).where(MilestoneDue.milestone_id == found.id))
    await session.execute(delete(MilestoneRow).where(MilestoneRow.id == found.id))
    return found


async def choice_of(session: AsyncSession, user_id: int, guild_id: int) -> Mode | None:
    mode = await session.scalar(select(MilestoneChoice.mode).where(MilestoneChoice.user_id == user_id,
                                                                   MilestoneChoice.guild_id == guild_id))
    return Mode(mode) if mode else None


async def choose(session: AsyncSession, user_id: int, guild_id: int, mode: Mode, now: datetime) -> None:
    """How this server may announce the member's milestones; takes effect for every date they have."""
    row = await session.get(MilestoneChoice, (user_id, guild_id))
    if row is None:
        session.add(MilestoneChoice(user_id=user_id, guild_id=guild_id, mode=mode.value))
    else:
        row.mode = mode.value
    await session.flush()
    rows = list(await session.scalars(select(MilestoneRow).where(MilestoneRow.user_id == user_id)))
    await _refresh_member(session, rows, now)


# -- when each date is next due ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Timing:
    """What a server's announcements of one date hang on."""

    schedule: Schedule
    hour: int
    zone: str  # the wall clock the announcement hour is read on


def timing(config: GuildConfig, mode: Mode, member_zone: str) -> Timing:
    zone = member_zone if mode is Mode.PUBLIC else (config.timezone or member_zone)
    return Timing(schedule_of(config.milestone_schedule, config.milestone_custom), config.milestone_hour, zone)


def announce_at(day: date, when: Timing) -> datetime:
    return timezones.wall_instant(day, time(when.hour), when.zone)


def next_due(start: date, member_zone: str, when: Timing, now: datetime) -> datetime | None:
    """The instant of the first milestone falling today or later on the member's clock (today's, even once its
    hour has passed: it is announced at the next sweep); None when the schedule has no more."""
    found = first_on_or_after(start, timezones.today_in(member_zone, now), when.schedule)
    return None if found is None else announce_at(found[0], when)


async def _refresh_member(session: AsyncSession, rows: Sequence[MilestoneRow], now: datetime) -> None:
    """Rewrite the due instants of these dates (one member's) in every server they chose to be announced in."""
    if not rows:
        return
    ids = [row.id for row in rows]
    await session.execute(delete(MilestoneDue).where(MilestoneDue.milestone_id.in_(ids)))
    choices = list(await session.scalars(select(MilestoneChoice).where(MilestoneChoice.user_id == rows[0].user_id,
                                                                       MilestoneChoice.mode != Mode.OFF.value)))
    # Read afresh: from DMs, a member may choose for a server another shard process holds.
    configs = await guild_config.read_many(session, {choice.guild_id for choice in choices})
    for choice in choices:
        config = configs[choice.guild_id]
        for row in rows:
            due = next_due(row.start_date, row.zone, timing(config, Mode(choice.mode), row.zone), now)
            if due is not None:
                session.add(MilestoneDue(milestone_id=row.id, guild_id=choice.guild_id, next_at=due))
    await session.flush()


async def schedule_for(session: AsyncSession, guild_id: int | None) -> Schedule:
    """The server's schedule; in DMs (no server), the default one."""
    if guild_id is None:
        return schedule_of(None, None)
    config = await guild_config.get(session, guild_id)
    return schedule_of(config.milestone_schedule, config.milestone_custom)


async def set_server_schedule(session: AsyncSession, guild_id: int, actor_id: int, preset: str | None,
                              custom: str | None, hour: int | None, now: datetime) -> GuildConfig:
    """A server's schedule (a preset, or a custom list) and announcement hour; every due instant moves with them.
    With nothing given, the setting as it is."""
    chosen = Preset(preset) if preset else None
    if custom is not None and chosen not in (None, Preset.CUSTOM):
        raise InvalidInput("A custom list goes with schedule: Custom. Choose that, or leave custom out.")
    if custom is not None:
        chosen = Preset.CUSTOM
    if chosen is Preset.CUSTOM and custom is None:
        raise InvalidInput(f"Give the custom list too, e.g. custom: {SCHEDULE_EXAMPLE}")
    if chosen is None and hour is None:
        return await guild_config.get(session, guild_id)
    listed = read_custom(custom).as_text() if custom is not None else None
    config = await guild_config.set_milestones(session, guild_id, actor_id, schedule=chosen.value if chosen else None,
                                               custom=listed, hour=hour)
    await refresh_server(session, guild_id, now)
    return config


async def set_server_zone(session: AsyncSession, guild_id: int, actor_id: int, zone: str, now: datetime) -> GuildConfig:
    """The server's zone, and the anonymous announcements that go out on its clock moved with it."""
    config = await guild_config.set_timezone(session, guild_id, actor_id, zone)
    await refresh_server(session, guild_id, now)
    return config


async def refresh_server(session: AsyncSession, guild_id: int, now: datetime) -> int:
    """After a server changes its schedule, hour or zone: every due instant of that server worked out again
    (in a thread when there are many); returns how many."""
    config = await guild_config.get(session, guild_id)
    found = (await session.execute(
        select(MilestoneDue.milestone_id, MilestoneRow.start_date, MilestoneRow.zone, MilestoneChoice.mode)
        .join(MilestoneRow, MilestoneRow.id == MilestoneDue.milestone_id)
        .join(MilestoneChoice, (MilestoneChoice.user_id == MilestoneRow.user_id)
              & (MilestoneChoice.guild_id == MilestoneDue.guild_id))
        .where(MilestoneDue.guild_id == guild_id))).all()

    def work() -> list[tuple[int, datetime | None]]:
        return [(mid, next_due(start, zone, timing(config, Mode(mode), zone), now)) for mid, start, zone, mode in found]

    computed = await asyncio.to_thread(work) if len(found) > THREAD_FROM else work()
    gone = [mid for mid, due in computed if due is None]
    if gone:
        await session.execute(delete(MilestoneDue).where(MilestoneDue.guild_id == guild_id,
                                                         MilestoneDue.milestone_id.in_(gone)))
    kept = [{"milestone_id": mid, "guild_id": guild_id, "next_at": due} for mid, due in computed if due is not None]
    if kept:
        await session.execute(update(MilestoneDue), kept)
    return len(computed)


# -- a server's coming milestones, for its facilitators --------------------------------------------

@dataclass(frozen=True, slots=True)
class Coming:
    user_id: int
    day: date
    milestone: Milestone


@dataclass(frozen=True, slots=True)
class Upcoming:
    named: list[Coming]  # members who chose public: they may be named
    anonymous: int  # how many more chose anonymous: counted, never named


async def upcoming(session: AsyncSession, guild_id: int, now: datetime, days: int = UPCOMING_DAYS) -> Upcoming:
    """Milestones from today to `days` ahead (each on its member's clock) of members who chose to be announced
    here: by name for those who chose public, a count for the rest."""
    config = await guild_config.get(session, guild_id)
    schedule = schedule_of(config.milestone_schedule, config.milestone_custom)
    found = (await session.execute(
        select(MilestoneRow.user_id, MilestoneRow.start_date, MilestoneRow.zone, MilestoneChoice.mode)
        .join(MilestoneChoice, MilestoneChoice.user_id == MilestoneRow.user_id)
        .where(MilestoneChoice.guild_id == guild_id, MilestoneChoice.mode != Mode.OFF.value)
        .limit(UPCOMING_LIMIT))).all()

    def work() -> Upcoming:
        named: list[Coming] = []
        anonymous = 0
        for user_id, start, zone, mode in found:
            today = timezones.today_in(zone, now)
            coming = first_on_or_after(start, today, schedule)
            if coming is None or coming[0] > today + timedelta(days=days):
                continue
            if mode == Mode.PUBLIC:
                named.append(Coming(user_id, coming[0], coming[1]))
            else:
                anonymous += 1
        named.sort(key=lambda c: (c.day, c.user_id))
        return Upcoming(named, anonymous)

    return await asyncio.to_thread(work) if len(found) > THREAD_FROM else work()
