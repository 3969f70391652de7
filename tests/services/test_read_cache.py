"""Hot reads kept in memory (a server's settings, its meetings, a member's reminders) are never stale: every
kind of write the bot makes shows in the next read, a write not committed never does, and a value read
while another session committed is not kept as if it were current."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import changes
from bot.services import guild_config, meetings, recurrence
from bot.services.errors import NotFound
from bot.services.meetings import kept
from bot.services.meetings.data import Location, MeetingDraft, MeetingKind, Place

Sessions = async_sessionmaker[AsyncSession]

GUILD, OTHER_GUILD = 1001, 1002
MODERATOR, ALEX = 2002, 3001
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday


def draft(name: str, **changes_: object) -> MeetingDraft:
    base = MeetingDraft(name=name, recurrence=recurrence.weekly(("MO", "TU"), time(19), "America/New_York",
                                                                date(2026, 11, 23)),
                        kind=MeetingKind.TWELVE_STEP, location=Location(Place.VOICE, channel_id=555))
    return dataclasses.replace(base, **changes_)


async def read_config(sessions: Sessions, guild: int = GUILD) -> guild_config.GuildConfig:
    async with sessions() as session:
        return await guild_config.get(session, guild)


async def listed(sessions: Sessions, guild: int = GUILD) -> list[str]:
    async with sessions() as session:
        return sorted({entry.meeting.name for entry in await meetings.upcoming(session, guild, NOW)})


async def test_a_servers_settings_change_shows_at_once_and_a_rolled_back_one_never(sessions: Sessions) -> None:
    assert (await read_config(sessions)).timezone is None  # now kept
    async with sessions.begin() as session:
        await guild_config.set_timezone(session, GUILD, MODERATOR, "Europe/Dublin")
    assert (await read_config(sessions)).timezone == "Europe/Dublin"

    async with sessions() as session:  # a command that writes, then fails before committing
        await guild_config.set_timezone(session, GUILD, MODERATOR, "Asia/Tokyo")
        assert (await guild_config.get(session, GUILD)).timezone == "Asia/Tokyo"  # its own write
        await session.rollback()
    assert (await read_config(sessions)).timezone == "Europe/Dublin"
    assert (await read_config(sessions, OTHER_GUILD)).timezone is None


async def test_every_kind_of_meeting_write_shows_in_the_next_read(sessions: Sessions) -> None:
    assert await listed(sessions) == []  # the empty server is now kept
    async with sessions.begin() as session:
        big_book = await meetings.create(session, GUILD, MODERATOR, draft("Big Book"))
    assert await listed(sessions) == ["Big Book"]

    async with sessions.begin() as session:  # a change through the ORM
        await meetings.replace_details(session, GUILD, big_book.id, MODERATOR, draft("Big Book Study"))
    assert await listed(sessions) == ["Big Book Study"]
    async with sessions() as session:
        assert (await meetings.resolve(session, GUILD, "big book study")).id == big_book.id
        assert [m.name for m in await meetings.search(session, GUILD, "study")] == ["Big Book Study"]

    async with sessions.begin() as session:  # many rows in one INSERT statement
        await meetings.import_drafts(session, GUILD, MODERATOR, [draft("Step Study"), draft("Women's Meeting")],
                                     NOW)
    assert await listed(sessions) == ["Big Book Study", "Step Study", "Women's Meeting"]

    async with sessions.begin() as session:  # a background write: the Events tab's event id
        await meetings.record_event(session, big_book.id, 777, None, None)
    async with sessions() as session:
        assert (await meetings.get(session, GUILD, big_book.id)).event_id == 777

    async with sessions.begin() as session:
        await meetings.delete_meeting(session, GUILD, big_book.id, MODERATOR)
    assert await listed(sessions) == ["Step Study", "Women's Meeting"]
    async with sessions() as session:
        with pytest.raises(NotFound):
            await meetings.get(session, GUILD, big_book.id)


async def test_a_members_reminder_choices_show_at_once(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        big_book = await meetings.create(session, GUILD, MODERATOR, draft("Big Book"))
    async with sessions() as session:
        assert await meetings.reminder_of(session, big_book.id, ALEX) is None
    async with sessions.begin() as session:
        await meetings.opt_in(session, big_book.id, ALEX, 30)
        assert await meetings.reminder_of(session, big_book.id, ALEX) == 30  # its own write, not yet committed
    async with sessions() as session:
        assert await meetings.reminder_of(session, big_book.id, ALEX) == 30
    async with sessions.begin() as session:
        await meetings.opt_out(session, big_book.id, ALEX)  # one DELETE statement
    async with sessions() as session:
        assert await meetings.reminder_of(session, big_book.id, ALEX) is None


async def test_one_servers_change_leaves_the_others_kept(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await meetings.create(session, OTHER_GUILD, MODERATOR, draft("SMART"))
    async with sessions() as session:
        other = await kept.of_server(session, OTHER_GUILD)
    async with sessions.begin() as session:
        await meetings.create(session, GUILD, MODERATOR, draft("Big Book"))
    async with sessions() as session:
        assert await kept.of_server(session, OTHER_GUILD) is other  # not read again
        assert [m.name for m in (await kept.of_server(session, GUILD)).meetings] == ["Big Book"]


async def test_a_value_read_from_before_a_commit_is_not_kept(sessions: Sessions, engine: AsyncEngine) -> None:
    """A transaction that sees a snapshot (PostgreSQL's REPEATABLE READ here; SQLite reads without one in
    this driver) can read a server's settings as they were before another session's commit. It may use
    that value, but must not keep it for everyone after it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads through aiosqlite see each commit at once: no snapshot to read from")
    async with sessions.begin() as session:
        await guild_config.set_timezone(session, GUILD, MODERATOR, "Europe/Dublin")
    async with sessions() as old_reader:
        await old_reader.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        assert (await guild_config.get(old_reader, GUILD)).timezone == "Europe/Dublin"
        async with sessions.begin() as writer:
            await guild_config.set_timezone(writer, GUILD, MODERATOR, "Asia/Tokyo")
        assert (await guild_config.get(old_reader, GUILD)).timezone == "Europe/Dublin"  # its snapshot
    assert (await read_config(sessions)).timezone == "Asia/Tokyo"


async def test_only_so_many_are_kept_the_least_recently_used_go_first(sessions: Sessions) -> None:
    cache: changes.ReadCache[int] = changes.ReadCache("guild_settings", kept=2)
    loads: list[int] = []

    async def read(key: int) -> int:
        async def load() -> int:
            loads.append(key)
            return key * 10
        async with sessions() as session:
            return await cache.get(session, key, load)

    for key in (1, 2, 1, 3, 1, 2):
        assert await read(key) == key * 10
    assert loads == [1, 2, 3, 2]  # 1 was used again before 3 came, so 2 went


async def test_a_kept_list_is_the_list_worked_out_afresh_at_every_moment(sessions: Sessions) -> None:
    """Lists are kept until one of their meetings ends or the next comes into the window: asked every
    7 minutes for two days, with and without a filter, each equals the week worked out from scratch."""
    async with sessions.begin() as session:
        for name, days, at, minutes in [("Early", ("MO", "WE"), time(7), 60), ("Noon", ("TU",), time(12), 45),
                                        ("Late", ("MO", "TU", "TH"), time(21, 30), 90)]:
            rule = recurrence.weekly(days, at, "America/New_York", date(2026, 11, 23))
            await meetings.create(session, GUILD, MODERATOR, draft(name, recurrence=rule, duration_minutes=minutes,
                                                                   types=("O",) if name == "Noon" else ()))
    async with sessions() as session:
        every = await meetings.all_in(session, GUILD)
    moment = NOW
    while moment < NOW + timedelta(days=2):
        async with sessions() as session:
            kept_list = await meetings.upcoming(session, GUILD, moment)
            open_only = await meetings.upcoming(session, GUILD, moment, types=("O",))
        afresh = meetings.occurrences_between(every, moment, moment + timedelta(days=7))
        assert [(u.meeting.name, u.start) for u in kept_list] == [(u.meeting.name, u.start) for u in afresh], moment
        assert [(u.meeting.name, u.start) for u in open_only] == [
            (u.meeting.name, u.start) for u in afresh if u.meeting.name == "Noon"], moment
        moment += timedelta(minutes=7)
