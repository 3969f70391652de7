"""Milestones on real databases: dates kept with their labels encrypted, announced only as the member chose, at
the server's hour on the right clock, once ever (across restarts, concurrent sweeps and the same date set
again), late by up to a week after downtime, and erased without trace."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import privacy
from bot.db.engine import writing
from bot.db.models import Celebration, MilestoneDue
from bot.scheduler import NewJob
from bot.services import guild_config
from bot.services.errors import InvalidInput
from bot.services.guild_config import ChannelPurpose
from bot.services.milestones import dates, sweep
from bot.services.milestones.dates import Mode
from tests.raw_database import assert_id_not_stored, assert_not_stored

Sessions = async_sessionmaker[AsyncSession]

GUILD, OTHER_GUILD, MODERATOR, CHANNEL = 8001, 8002, 8100, 777
SAM, ALEX, JO = 412_345_678_901_234_511, 412_345_678_901_234_522, 412_345_678_901_234_533
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NEW_YORK, TOKYO = "America/New_York", "Asia/Tokyo"
ONE_YEAR_DAY = date(2026, 12, 1)  # SAM's 1 year, for a clean date of 2025-12-01


@pytest.fixture
async def server(sessions: Sessions, bot_key: bytes) -> None:
    async with sessions.begin() as session:
        await guild_config.set_channels(session, GUILD, MODERATOR, {ChannelPurpose.ANNOUNCEMENTS: CHANNEL})
        await guild_config.set_timezone(session, GUILD, MODERATOR, NEW_YORK)


async def set_date(sessions: Sessions, who: int, day: str, *, label: str | None = None, zone: str = NEW_YORK,
                   mode: Mode | None = Mode.PUBLIC, now: datetime = NOW) -> dates.CleanDate:
    async with writing(sessions) as session:
        found, _ = await dates.set_date(session, who, day, label, zone, NEW_YORK, now)
        if mode is not None:
            await dates.choose(session, who, GUILD, mode, now)
    return found


async def run_sweep(sessions: Sessions, now: datetime) -> list[NewJob]:
    async with writing(sessions) as session:
        return (await sweep.sweep(session, now)).jobs


def lines_of(jobs: list[NewJob]) -> list[str]:
    return [line for job in jobs for line in str(job.payload["content"]).splitlines() if line.startswith("🎉")]


def at_nine(day: date, zone: str) -> datetime:
    from zoneinfo import ZoneInfo
    return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def test_dates_are_kept_within_limits_and_their_labels_are_not_readable(sessions: Sessions, server: None,
                                                                             engine: AsyncEngine) -> None:
    await set_date(sessions, SAM, "2025-12-01", label="gambling")
    for n in range(4):
        await set_date(sessions, SAM, f"2024-0{n + 1}-01", label=f"habit {n}")
    with pytest.raises(InvalidInput, match="5 dates already"):
        await set_date(sessions, SAM, "2023-01-01", label="one too many")
    moved = await set_date(sessions, SAM, "2025-12-02", label="GAMBLING")  # the same label, in other letters
    assert moved.start == date(2025, 12, 2)
    with pytest.raises(InvalidInput, match="hasn't come yet"):
        await set_date(sessions, SAM, "2026-11-21", label="gambling")
    await assert_not_stored(engine, "gambling")
    async with sessions() as session:
        assert len(await dates.dates_of(session, SAM)) == 5
        with pytest.raises(InvalidInput, match="Which one"):
            dates.pick(await dates.dates_of(session, SAM), None)


async def test_a_milestone_is_announced_once_at_the_hour_on_the_members_clock(sessions: Sessions,
                                                                             server: None) -> None:
    await set_date(sessions, SAM, "2025-12-01", zone=TOKYO)
    nine_in_tokyo = at_nine(ONE_YEAR_DAY, TOKYO)
    assert await run_sweep(sessions, nine_in_tokyo - timedelta(minutes=15)) == []
    jobs = await run_sweep(sessions, nine_in_tokyo)
    assert lines_of(jobs) == [f"🎉 <@{SAM}> celebrates **1 year** today!"]
    assert jobs[0].payload["mentions"] == [SAM] and jobs[0].guild_id == GUILD
    assert str(SAM) not in jobs[0].key
    # again, after a restart, and with the same date set again: never twice
    assert await run_sweep(sessions, nine_in_tokyo + timedelta(minutes=15)) == []
    await set_date(sessions, SAM, "2025-12-01", zone=TOKYO, now=nine_in_tokyo + timedelta(hours=1))
    assert await run_sweep(sessions, nine_in_tokyo + timedelta(hours=1)) == []
    async with sessions() as session:
        due = await session.scalar(select(MilestoneDue.next_at))
    assert due == at_nine(date(2027, 6, 1), TOKYO)  # 18 months comes next


async def test_nothing_is_announced_until_chosen_and_off_stops_it(sessions: Sessions, server: None) -> None:
    await set_date(sessions, SAM, "2025-12-01", mode=None)
    assert await run_sweep(sessions, at_nine(ONE_YEAR_DAY, NEW_YORK)) == []
    async with writing(sessions) as session:
        await dates.choose(session, SAM, GUILD, Mode.OFF, NOW)
    assert await run_sweep(sessions, at_nine(ONE_YEAR_DAY, NEW_YORK)) == []


async def test_anonymous_ones_name_nobody_and_go_out_on_the_servers_clock(sessions: Sessions, server: None,
                                                                         engine: AsyncEngine) -> None:
    await set_date(sessions, SAM, "2025-12-01", zone=TOKYO, mode=Mode.ANONYMOUS)
    assert await run_sweep(sessions, at_nine(ONE_YEAR_DAY, TOKYO)) == []  # not on the member's clock
    jobs = await run_sweep(sessions, at_nine(ONE_YEAR_DAY, NEW_YORK))
    assert lines_of(jobs) == ["🎉 A member celebrates **1 year** today!"]
    assert jobs[0].payload["mentions"] == [] and str(SAM) not in repr(jobs)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Celebration)) == 1


async def test_one_sweep_gathers_a_channels_milestones_in_one_message(sessions: Sessions, server: None) -> None:
    await set_date(sessions, SAM, "2025-12-01")
    await set_date(sessions, ALEX, "2026-09-02", mode=Mode.ANONYMOUS)  # 90 days on 2026-12-01
    await set_date(sessions, JO, "2026-11-30", now=datetime(2026, 11, 30, 18, tzinfo=UTC))  # 24 hours on 1 December
    jobs = await run_sweep(sessions, at_nine(ONE_YEAR_DAY, NEW_YORK))
    assert len(jobs) == 1
    assert sorted(lines_of(jobs)) == sorted([f"🎉 <@{SAM}> celebrates **1 year** today!",
                                             "🎉 A member celebrates **90 days** today!",
                                             f"🎉 <@{JO}> celebrates **24 hours** today!"])
    assert sorted(jobs[0].payload["mentions"]) == sorted([SAM, JO])


async def test_after_downtime_late_ones_are_still_celebrated_and_older_ones_passed_over(sessions: Sessions,
                                                                                       server: None) -> None:
    await set_date(sessions, SAM, "2025-12-01")
    await set_date(sessions, ALEX, "2025-11-20", now=datetime(2026, 11, 1, tzinfo=UTC))  # 1 year on 2026-11-20
    jobs = await run_sweep(sessions, at_nine(date(2026, 12, 3), NEW_YORK))  # down since 20 November
    assert lines_of(jobs) == [f"🎉 <@{SAM}> reached **1 year** this week!"]


async def test_two_sweeps_at_once_announce_each_milestone_once(sessions: Sessions, server: None) -> None:
    for n in range(30):
        await set_date(sessions, SAM + n, "2025-12-01")
    at = at_nine(ONE_YEAR_DAY, NEW_YORK)
    first, second = await asyncio.gather(run_sweep(sessions, at), run_sweep(sessions, at))
    announced = lines_of(first) + lines_of(second)
    assert sorted(announced) == sorted(f"🎉 <@{SAM + n}> celebrates **1 year** today!" for n in range(30))


async def test_a_reset_starts_afresh_and_its_milestones_are_celebrated_again(sessions: Sessions,
                                                                            server: None) -> None:
    await set_date(sessions, SAM, "2026-11-01")  # 30 days on 2026-12-01
    assert lines_of(await run_sweep(sessions, at_nine(ONE_YEAR_DAY, NEW_YORK))) == [
        f"🎉 <@{SAM}> celebrates **30 days** today!"]
    async with writing(sessions) as session:
        found = await dates.reset(session, SAM, None, None, at_nine(date(2026, 12, 2), NEW_YORK))
    assert found.start == date(2026, 12, 2)
    assert await run_sweep(sessions, at_nine(date(2026, 12, 2), NEW_YORK)) == []  # a reset posts nothing
    assert lines_of(await run_sweep(sessions, at_nine(date(2026, 12, 3), NEW_YORK))) == [
        f"🎉 <@{SAM}> celebrates **24 hours** today!"]


async def test_a_server_changing_its_schedule_or_hour_moves_whats_due(sessions: Sessions, server: None) -> None:
    await set_date(sessions, SAM, "2026-09-15", zone=NEW_YORK)  # default: 90 days on 2026-12-14
    async with writing(sessions) as session:
        await guild_config.set_milestones(session, GUILD, MODERATOR, schedule="monthly", hour=18)
        assert await dates.refresh_server(session, GUILD, NOW) == 1
    async with sessions() as session:
        due = await session.scalar(select(MilestoneDue.next_at))
    assert due == datetime(2026, 12, 15, 23, tzinfo=UTC)  # 3 months, 18:00 in New York


async def test_facilitators_see_upcoming_ones_of_those_who_chose_to_be_named(sessions: Sessions,
                                                                            server: None) -> None:
    await set_date(sessions, SAM, "2025-12-01")  # 1 year in 11 days: not within 7
    await set_date(sessions, ALEX, "2026-10-22")  # 30 days on 2026-11-21
    await set_date(sessions, JO, "2026-11-19", mode=Mode.ANONYMOUS)  # 7 days on 2026-11-26
    await set_date(sessions, JO + 1, "2026-11-19", mode=Mode.OFF)
    async with sessions() as session:
        coming = await dates.upcoming(session, GUILD, NOW)
    assert [(c.user_id, c.day, c.milestone.name) for c in coming.named] == [(ALEX, date(2026, 11, 21), "30 days")]
    assert coming.anonymous == 1


async def test_erasing_a_member_leaves_no_date_no_choice_and_no_record(sessions: Sessions, server: None,
                                                                       engine: AsyncEngine) -> None:
    await set_date(sessions, SAM, "2025-12-01", label="alcohol")
    await run_sweep(sessions, at_nine(ONE_YEAR_DAY, NEW_YORK))
    async with sessions() as session:
        exported = await privacy.export_member(session, SAM)
    kept = exported["areas"]["Milestones"]
    assert kept["clean_dates"] == [{"label": "alcohol", "date": "2025-12-01", "zone": NEW_YORK}]
    assert len(kept["milestones_announced"]) == 1
    async with writing(sessions) as session:
        await privacy.forget_member(session, SAM)
    await assert_id_not_stored(engine, SAM)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Celebration)) == 0
        assert await session.scalar(select(func.count()).select_from(MilestoneDue)) == 0
