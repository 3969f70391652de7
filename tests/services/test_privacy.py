"""The member-data registry on real databases: an export holds everything about one member and nothing about
anyone else; forgetting leaves no trace of their id in any column, keeps the server's records under a
stable pseudonym, and every table that holds a member's id belongs to an area."""

from __future__ import annotations

import json
from datetime import date, time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import privacy
from bot.db import encryption
from bot.db.base import Base, Snowflake, member_id
from bot.db.models import AuditEntry, MeetingFeed, MeetingRow
from bot.services import guild_config, meetings, recurrence
from bot.services.meetings import feeds
from bot.services.meetings.data import Location, MeetingDraft, MeetingKind, Place
from tests.raw_database import assert_id_not_stored, assert_id_stored

Sessions = async_sessionmaker[AsyncSession]

GUILD, OTHER_GUILD = 880_000_000_000_000_001, 880_000_000_000_000_002
ALEX = 412_345_678_901_234_567  # a moderator in one server, a member with reminders in another
SAM = 498_765_432_109_876_543


def draft(name: str) -> MeetingDraft:
    return MeetingDraft(name=name, recurrence=recurrence.weekly(("MO",), time(19), "America/New_York",
                                                                date(2026, 11, 23)),
                        kind=MeetingKind.TWELVE_STEP, location=Location(Place.VOICE, channel_id=555))


async def alex_and_sam(sessions: Sessions) -> tuple[int, int]:
    """Alex sets a server's time zone, adds a meeting, follows a feed and asks for reminders; Sam asks too."""
    async with sessions.begin() as session:
        await guild_config.set_timezone(session, GUILD, ALEX, "Europe/Dublin")
        big_book = await meetings.create(session, GUILD, ALEX, draft("Big Book"))
        await feeds.follow(session, GUILD, "https://intergroup.example/feed.json", ALEX, sync_daily=True)
        smart = await meetings.create(session, OTHER_GUILD, SAM, draft("SMART"))
        await meetings.opt_in(session, big_book.id, ALEX, 30)
        await meetings.opt_in(session, smart.id, ALEX, 10)
        await meetings.opt_in(session, big_book.id, SAM, 60)
    return big_book.id, smart.id


async def test_an_export_holds_everything_about_the_member_and_nothing_about_others(
    sessions: Sessions, bot_key: bytes
) -> None:
    big_book, smart = await alex_and_sam(sessions)
    async with sessions() as session:
        exported = await privacy.export_member(session, ALEX)

    assert "/privacy delete" in exported["readme"]
    assert exported["member"] == str(ALEX)
    mine = exported["areas"]["Meetings"]
    assert [(r["meeting"], r["name"], r["minutes_before"]) for r in mine["reminders_you_asked_for"]] == [
        (str(big_book), "Big Book", 30), (str(smart), "SMART", 10)]
    assert [m["name"] for m in mine["meetings_you_added"]] == ["Big Book"]
    assert [f["url"] for f in mine["feeds_you_imported"]] == ["https://intergroup.example/feed.json"]
    actions = [entry["action"] for entry in exported["areas"]["Server setup log"]["changes_you_made"]]
    assert "config.timezone" in actions and "meeting.feed.follow" in actions
    as_file = privacy.as_json(exported).decode()
    assert json.loads(as_file) == exported
    assert str(SAM) not in as_file  # nor Sam's reminder (60 minutes before): Alex's two are all there is


async def test_forgetting_a_member_leaves_their_id_nowhere_and_the_servers_records_under_a_pseudonym(
    sessions: Sessions, engine: AsyncEngine, bot_key: bytes
) -> None:
    big_book, _ = await alex_and_sam(sessions)
    async with sessions() as session:
        logged_before = len((await session.scalars(select(AuditEntry))).all())
    await assert_id_stored(engine, ALEX)

    async with sessions.begin() as session:
        touched = (await privacy.forget_member(session, ALEX)).touched
    assert touched["Meetings"] == 4  # two reminder choices gone; a meeting and a feed under a pseudonym
    assert touched["Server setup log"] >= 3
    await assert_id_not_stored(engine, ALEX)

    stand_in = privacy.pseudonym(ALEX)
    async with sessions() as session:
        assert await meetings.reminder_recipients(session, big_book) == [SAM]
        assert (await session.get(MeetingRow, big_book)).created_by == stand_in
        assert await session.scalar(select(MeetingFeed.created_by)) == stand_in
        log = (await session.scalars(select(AuditEntry))).all()
        assert len(log) == logged_before  # what was done stays
        assert {entry.actor_id for entry in log} == {stand_in, SAM}
        again = await privacy.export_member(session, ALEX)
    assert all(not entries for area in again["areas"].values() for entries in area.values())
    async with sessions.begin() as session:
        assert set((await privacy.forget_member(session, ALEX)).touched.values()) == {0}
    await assert_id_stored(engine, SAM)


def test_a_pseudonym_is_stable_distinct_never_a_real_id_and_tied_to_the_key(bot_key: bytes) -> None:
    first = privacy.pseudonym(ALEX)
    assert privacy.pseudonym(ALEX) == first
    assert privacy.pseudonym(SAM) != first
    assert -(2**63) <= first < 0  # fits the column; a Discord id is never negative
    encryption.configure([bot_key, Fernet.generate_key()])  # another key added for decrypting only
    assert privacy.pseudonym(ALEX) == first
    encryption.configure([Fernet.generate_key()])
    assert privacy.pseudonym(ALEX) != first


def test_every_table_holding_a_members_id_belongs_to_an_area() -> None:
    assert privacy.uncovered_tables(Base.metadata) == []


def test_a_new_table_with_a_members_id_and_no_area_is_caught() -> None:
    scratch = MetaData()
    Table("checkin_scratch", scratch, Column("id", Snowflake, primary_key=True),
          member_id(name="author_id").column)
    Table("meetings", scratch, Column("id", Snowflake, primary_key=True), member_id(name="created_by").column)
    assert privacy.uncovered_tables(scratch) == ["checkin_scratch"]


@pytest.mark.parametrize("column", [column for table in Base.metadata.sorted_tables for column in table.columns
                                    if isinstance(column.type, Integer) and column.name.endswith(
                                        ("user_id", "_by", "actor_id", "author_id", "member_id"))],
                         ids=lambda column: f"{column.table.name}.{column.name}")
def test_a_column_named_for_a_member_is_marked_as_one(column: Column[int]) -> None:
    assert privacy.holds_member_id(column), f"mark {column.table.name}.{column.name} with bot.db.base.member_id()"


def test_every_area_speaks_plainly_and_fits_discord() -> None:
    for area in privacy.areas():
        for words in (area.stored, area.encrypted, area.who_sees, area.kept_for):
            assert words.strip() and words.endswith(".") and len(words) <= 250
