"""Check-ins: recording one, sharing it anonymously, and a member's own history.

A check-in is stored under its author's keyed code (bot.services.anonymity), never their id; its note is
encrypted. Sharing one anonymously with a server keeps the id too, encrypted, only to pass support replies on
by DM, and posts it after a short random delay, so the moment it appears can't point at whoever was just
active. The member's own history is found by the same keyed code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, Text, bindparam, func, insert, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import encryption
from bot.db.models import CheckinRow
from bot.scheduler import Scheduler
from bot.services import anonymity, crisis, guild_config
from bot.services.errors import DomainError, InvalidInput, NotFound
from bot.services.text import checked

MOODS = {1: ("😣", "struggling"), 2: ("😔", "low"), 3: ("😐", "okay"), 4: ("🙂", "good"), 5: ("😄", "great")}
NOTE_MAX = 1000
POST_JOB = "checkin.post"
# Shares appear this long after they're sent, at random: long enough to blur who was just active.
POST_DELAY_SECONDS = (60, 300)
HISTORY_DAYS = 30


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    mood: int
    craving: int
    note: str | None
    local_date: date
    created_at: datetime
    guild_id: int | None  # shared with this server
    shared_at: datetime | None
    removed: bool

    @property
    def mood_words(self) -> str:
        emoji, words = MOODS[self.mood]
        return f"{emoji} {words}"


def as_entry(row: CheckinRow) -> Entry:
    return Entry(row.id, row.mood, row.craving, row.note, row.local_date, row.created_at, row.guild_id, row.shared_at,
                 row.removed)


def check(mood: int, craving: int, note: str | None) -> str | None:
    """The note cleaned; `InvalidInput` for a mood, craving or note that can't be kept as given."""
    if mood not in MOODS:
        raise InvalidInput("Choose a mood from 1 (struggling) to 5 (great).")
    if not 0 <= craving <= 10:
        raise InvalidInput("Give your craving from 0 (none) to 10 (overwhelming).")
    return checked(note, "note", NOTE_MAX, one_line=False)


def calls_for_the_lines(mood: int, craving: int, note: str | None, extra_words: tuple[str, ...] = ()) -> bool:
    """A mood of 1, a craving of 8 or more, or crisis wording in the note: show the lines at once."""
    return mood == 1 or craving >= 8 or bool(crisis.crisis_words_in(note, extra_words))


@dataclass(frozen=True, slots=True)
class NewCheckin:
    user_id: int
    mood: int
    craving: int
    note: str | None
    zone: str  # the member's: the check-in's day is the day it is there


async def record(session: AsyncSession, user_id: int, mood: int, craving: int, note: str | None, zone: str,
                 now: datetime) -> Entry:
    """Keep a check-in, private to its author, on the day it is on their clock."""
    [result] = await record_many(session, [NewCheckin(user_id, mood, craving, note, zone)], now)
    if isinstance(result, Exception):
        raise result
    return result


async def record_many(session: AsyncSession, checkins: list[NewCheckin], now: datetime) -> list[Entry | Exception]:
    """Keep check-ins that arrived together, in one statement; each gets its entry, or why it can't be kept."""
    results: list[Entry | Exception | None] = [None] * len(checkins)
    rows: list[tuple[int, dict[str, Any]]] = []
    for index, new in enumerate(checkins):
        try:
            text = check(new.mood, new.craving, new.note)
        except InvalidInput as refused:
            results[index] = refused
            continue
        rows.append((index, {"author_key": anonymity.author_key(new.user_id), "mood": new.mood,
                             "craving": new.craving, "note": text, "created_at": now, "removed": False,
                             "local_date": now.astimezone(ZoneInfo(new.zone)).date()}))
    if rows:
        # One multi-row INSERT for the lot (through the ORM's unit of work it would be a round trip each).
        # SQLite can't promise RETURNING's order, so rows are matched back by what they hold. The note is sealed
        # here and travels as its token both ways (each token is unique), so nothing is decrypted only to match;
        # two rows alike in everything else and without a note are the same member's identical check-ins, and
        # either id serves either.
        table = cast(Table, CheckinRow.__table__)
        sealed = type_coerce(table.c.note, Text())
        statement = insert(table).values(note=bindparam("sealed", type_=Text())).returning(
            table.c.id, table.c.author_key, table.c.mood, table.c.craving, table.c.local_date, sealed)
        params = [{**{k: v for k, v in values.items() if k != "note"},
                   "sealed": None if values["note"] is None else encryption.encrypt(values["note"])}
                  for _, values in rows]
        ids: dict[tuple[Any, ...], list[int]] = {}
        for number, *held in await session.execute(statement, params):
            ids.setdefault(tuple(held), []).append(number)
        for (index, values), given in zip(rows, params, strict=True):
            number = ids[(given["author_key"], given["mood"], given["craving"], given["local_date"],
                          given["sealed"])].pop()
            results[index] = Entry(number, values["mood"], values["craving"], values["note"], values["local_date"],
                                   now, None, None, False)
    return [result for result in results if result is not None]


async def mine(session: AsyncSession, checkin_id: int, user_id: int) -> CheckinRow:
    row = await session.get(CheckinRow, checkin_id)
    if row is None or row.author_key is None:
        raise NotFound("That check-in no longer exists.")
    if row.author_key != anonymity.author_key(user_id):
        raise DomainError("Only the person who checked in can do that.")
    return row


@dataclass(frozen=True, slots=True)
class Shared:
    entry: Entry
    channel_id: int
    posts_at: datetime


async def share(session: AsyncSession, scheduler: Scheduler, checkin_id: int, user_id: int, guild_id: int,
                now: datetime) -> Shared:
    """Share one's check-in anonymously with a server: posted in its check-ins channel a few minutes from now."""
    row = await mine(session, checkin_id, user_id)
    if row.guild_id is not None:
        raise DomainError("You've shared this check-in already.")
    config = await guild_config.get(session, guild_id)
    if config.checkins_channel_id is None:
        raise DomainError("This server hasn't chosen a check-ins channel, so there is nowhere to share it. Your "
                          "check-in is kept, private to you.")
    key = anonymity.author_key(user_id)
    if await anonymity.is_blocked(session, guild_id, key):
        raise DomainError("You can't share check-ins anonymously in this server right now. Your check-in is kept, "
                          "private to you.")
    shared_today = await session.scalar(select(func.count()).select_from(CheckinRow).where(
        CheckinRow.author_key == key, CheckinRow.guild_id == guild_id,
        CheckinRow.shared_at > now - timedelta(days=1))) or 0
    if shared_today >= config.checkin_daily_shares:
        raise DomainError(f"You've shared {shared_today} check-ins here today, this server's limit. This one is "
                          "kept, private to you; you can share again tomorrow.")
    low, high = POST_DELAY_SECONDS
    posts_at = now + timedelta(seconds=low + secrets.randbelow(high - low))
    row.guild_id, row.author_secret, row.shared_at = guild_id, str(user_id), posts_at
    # The key names the check-in's number: never who wrote it.
    await scheduler.schedule(POST_JOB, f"checkin:post:{row.id}", posts_at, {"checkin_id": row.id},
                             guild_id=guild_id, session=session)
    await session.flush()
    return Shared(as_entry(row), config.checkins_channel_id, posts_at)


@dataclass(frozen=True, slots=True)
class History:
    entries: list[Entry]  # the last HISTORY_DAYS days, oldest first
    streak: int  # days in a row with a check-in, up to today (or yesterday, if not yet today)
    days_checked_in: int  # of the last HISTORY_DAYS
    checked_in_today: bool
    mood_average: float | None
    craving_average: float | None
    ever: bool  # any check-in at all, before too


async def history(session: AsyncSession, user_id: int, zone: str, now: datetime) -> History:
    key = anonymity.author_key(user_id)
    today = now.astimezone(ZoneInfo(zone)).date()
    since = today - timedelta(days=HISTORY_DAYS - 1)
    rows = await session.scalars(select(CheckinRow).where(CheckinRow.author_key == key,
                                                          CheckinRow.local_date >= since)
                                 .order_by(CheckinRow.created_at))
    entries = [as_entry(row) for row in rows]
    days = {entry.local_date for entry in entries}
    streak, day = 0, today if today in days else today - timedelta(days=1)
    while day in days:
        streak, day = streak + 1, day - timedelta(days=1)
    ever = bool(entries) or await session.scalar(select(CheckinRow.id).where(CheckinRow.author_key == key)
                                                 .limit(1)) is not None
    return History(entries, streak, len(days), today in days,
                   sum(e.mood for e in entries) / len(entries) if entries else None,
                   sum(e.craving for e in entries) / len(entries) if entries else None, ever)
