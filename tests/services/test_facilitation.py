"""Running meetings on real databases: hands raised at the same moment each get their own place, who hasn't
shared goes first when the format says so, attendance minutes add up across leaving and coming back, slips
check out only as issued, formats survive their text file, and erasing a member leaves no id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import privacy
from bot.db.engine import writing
from bot.db.models import MeetingRun
from bot.services.errors import InvalidInput
from bot.services.facilitation import attendance, formats, queue, runs
from bot.services.meetings import store
from bot.services.meetings.data import Location, MeetingDraft, MeetingKind, Place
from bot.services.recurrence import weekly
from tests.raw_database import assert_id_not_stored

Sessions = async_sessionmaker[AsyncSession]

GUILD, CHAIR, VOICE = 8001, 8100, 9100
NOW = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
MEMBERS = [412_345_678_901_234_500 + n for n in range(40)]


@pytest.fixture
async def run(sessions: Sessions, bot_key: bytes) -> runs.Run:
    draft = MeetingDraft(name="Tuesday Night Group", kind=MeetingKind.TWELVE_STEP,
                         recurrence=weekly(["TU"], time(19), "UTC", NOW.date()),
                         location=Location(Place.VOICE, channel_id=VOICE))
    async with writing(sessions) as session:
        meeting = await store.create(session, GUILD, CHAIR, draft)
        chosen = await formats.of_meeting(session, meeting.id, meeting.kind)
        return await runs.start(session, meeting, chosen, CHAIR, VOICE, NOW)


async def raise_hand(sessions: Sessions, run_id: int, who: int) -> int:
    async with writing(sessions) as session:
        return await queue.raise_hand(session, run_id, who)


async def test_hands_raised_at_the_same_moment_each_get_their_own_place(sessions: Sessions, run: runs.Run) -> None:
    assert run.occurrence == NOW and run.voice_channel_id == VOICE
    places = await asyncio.gather(*(raise_hand(sessions, run.id, who) for who in MEMBERS))
    assert sorted(places) == list(range(1, len(MEMBERS) + 1))
    assert await raise_hand(sessions, run.id, MEMBERS[0]) == places[0]  # again: the same place
    async with sessions() as session:
        assert sorted(await queue.hands(session, run.id)) == sorted(MEMBERS)


async def test_who_has_not_shared_goes_first_only_when_the_format_says_so(sessions: Sessions,
                                                                         run: runs.Run) -> None:
    first, second = MEMBERS[:2]
    async with writing(sessions) as session:
        await queue.raise_hand(session, run.id, first)
        assert (await queue.take_next(session, run.id, shares=True)).user_id == first
        await queue.raise_hand(session, run.id, first)
        await queue.raise_hand(session, run.id, second)
        assert (await queue.take_next(session, run.id, shares=False)).user_id == first  # first come, first served
        await queue.raise_hand(session, run.id, first)
        row = await session.get(MeetingRun, run.id)
        assert row is not None
        row.newcomers_first = True
        assert (await queue.take_next(session, run.id, shares=True)).user_id == second
        with pytest.raises(InvalidInput, match="Nobody is in the queue"):
            await queue.clear(session, run.id) and await queue.take_next(session, run.id, shares=True)


async def test_attendance_minutes_add_up_and_slips_check_out_only_as_issued(sessions: Sessions,
                                                                           run: runs.Run) -> None:
    sam, alex = MEMBERS[:2]
    async with writing(sessions) as session:
        await queue.raise_hand(session, run.id, alex)
        await attendance.arrived(session, run.id, sam, NOW)
        await attendance.left(session, run.id, sam, NOW + timedelta(minutes=20))
        await attendance.arrived(session, run.id, sam, NOW + timedelta(minutes=30))
        await attendance.arrived(session, run.id, alex, NOW + timedelta(minutes=50))
        ended, summary = await runs.end(session, run.id, NOW + timedelta(minutes=60))
    assert (summary.minutes, summary.attendees, summary.shares) == (60, 2, 0) and ended.ended_at is not None
    async with sessions() as session:
        assert await queue.hands(session, run.id) == []  # hands matter only while the meeting runs
    async with sessions() as session:
        slip = await attendance.slip(session, run.id, sam, NOW + timedelta(hours=2))
        assert slip.minutes == 50
        assert (await attendance.verify(session, slip.code.lower(), sam)).minutes == 50
        number, minutes, mac = slip.code.split("-")
        for forged, who in [(slip.code, alex), (f"{number}-55-{mac}", sam), (f"{int(number) + 1}-{minutes}-{mac}", sam),
                            (f"{number}-{minutes}-{mac[:-1]}{'B' if mac.endswith('A') else 'A'}", sam), ("", sam)]:
            with pytest.raises(InvalidInput, match="not a genuine slip"):
                await attendance.verify(session, forged, who)
        with pytest.raises(Exception, match="not on this meeting's attendance"):
            await attendance.slip(session, run.id, MEMBERS[5], NOW)


def test_a_format_survives_its_text_file_and_bad_files_are_refused_kindly() -> None:
    chosen = formats.default_for(MeetingKind.SMART)
    text = formats.to_text(chosen, "Thursday SMART")
    assert formats.read_text(text) == chosen
    edited = formats.read_text(text.replace("share-minutes: 3", "share-minutes: 5")
                               .replace("newcomers-first: no", "newcomers-first: yes"))
    assert (edited.share_minutes, edited.newcomers_first) == (5, True)
    assert formats.render(formats.Step("Sharing", "{share_minutes} min. {milestones} {name}"), 4, "Sam 1 year") == \
        "4 min. Sam 1 year {name}"
    for bad, says in [("", "no steps"), ("share-minutes: 0\n## A\nx", "from 1 to 15"),
                      ("colour: red\n## A", "don't know"),
                      ("## A\n" + "x" * 1001, "keep it to 1,000"), ("## \u200b\ntext", "title of the step on line 1"),
                      ("\n".join(f"## S{n}" for n in range(21)), "at most 20 steps")]:
        with pytest.raises(InvalidInput, match=says):
            formats.read_text(bad)


async def test_erasing_a_member_leaves_no_id_in_attendance_queues_or_runs(sessions: Sessions, run: runs.Run,
                                                                          engine: AsyncEngine) -> None:
    sam = MEMBERS[0]
    async with writing(sessions) as session:
        await queue.raise_hand(session, run.id, sam)
        await queue.take_next(session, run.id, shares=True)
        await runs.speak(session, run.id, sam, NOW)
        await attendance.arrived(session, run.id, sam, NOW)
        await runs.take_over(session, run.id, sam)
    async with sessions() as session:
        kept = (await privacy.export_member(session, sam))["areas"]["Meeting attendance"]
    assert kept["meetings_attended"][0]["meeting"] == "Tuesday Night Group"
    assert kept["meetings_chaired"] == [{"meeting": "Tuesday Night Group", "on": NOW.isoformat()}]
    async with writing(sessions) as session:
        await privacy.forget_member(session, sam)
    await assert_id_not_stored(engine, sam)
