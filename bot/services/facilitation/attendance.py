"""Attendance at a run: presence in its voice channel (joins and leaves) or the "I'm here" button, minutes
added up; moderators see counts, never names. And proof-of-attendance slips a member asks for: meeting, date
and minutes, with a code that is an HMAC under the bot's key, so a changed or made-up slip is refused.

A slip's code carries the run's number and the minutes; the member it was issued to is inside the HMAC only.
Checking one needs both the code and the member who shows it, so a code alone names nobody.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import encryption
from bot.db.models import Attendance, MeetingRun
from bot.services.errors import InvalidInput, NotFound
from bot.services.text import excerpt

_CODE = re.compile(r"^(\d{1,12})-(\d{1,4})-([A-Z2-7]{12})$")


async def arrived(session: AsyncSession, run_id: int, user_id: int, now: datetime) -> None:
    row = await session.get(Attendance, (run_id, user_id))
    if row is None:
        session.add(Attendance(run_id=run_id, user_id=user_id, present_since=now, seconds=0))
    elif row.present_since is None:
        row.present_since = now
    await session.flush()


async def left(session: AsyncSession, run_id: int, user_id: int, now: datetime) -> None:
    row = await session.get(Attendance, (run_id, user_id))
    if row is not None and row.present_since is not None:
        row.seconds += max(0, int((now - row.present_since).total_seconds()))
        row.present_since = None


async def close_all(session: AsyncSession, run_id: int, now: datetime) -> None:
    for row in await session.scalars(select(Attendance).where(Attendance.run_id == run_id,
                                                              Attendance.present_since.is_not(None))):
        row.seconds += max(0, int((now - row.present_since).total_seconds())) if row.present_since else 0
        row.present_since = None


async def present_count(session: AsyncSession, run_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(Attendance)
                                    .where(Attendance.run_id == run_id)) or 0)


async def minutes_of(session: AsyncSession, run_id: int, user_id: int, now: datetime) -> int | None:
    row = await session.get(Attendance, (run_id, user_id))
    if row is None:
        return None
    seconds = row.seconds + (int((now - row.present_since).total_seconds()) if row.present_since else 0)
    return max(1, round(seconds / 60))


# -- slips -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Slip:
    code: str
    meeting_name: str
    occurrence: datetime
    minutes: int


def _mac(run_id: int, user_id: int, minutes: int) -> str:
    digest = hmac.new(encryption.signing_key(), f"slip:{run_id}:{user_id}:{minutes}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode()[:12]


async def slip(session: AsyncSession, run_id: int, user_id: int, now: datetime) -> Slip:
    run = await session.get(MeetingRun, run_id)
    minutes = await minutes_of(session, run_id, user_id, now)
    if run is None or minutes is None:
        raise NotFound("You're not on this meeting's attendance: join its voice channel, or press I'm here, then "
                       "ask again.")
    return Slip(f"{run_id}-{minutes}-{_mac(run_id, user_id, minutes)}", run.meeting_name, run.occurrence, minutes)


async def verify(session: AsyncSession, code: str, user_id: int) -> Slip:
    """The slip behind `code`, if it was issued to `user_id` exactly as it reads; refused otherwise."""
    cleaned = code.strip().upper()
    match = _CODE.match(cleaned)
    refused = InvalidInput(f"“{excerpt(code.strip(), 40)}” is not a genuine slip for that member: the code was "
                           "changed, made up, or issued to someone else.")
    if match is None:
        raise refused
    run_id, minutes = int(match[1]), int(match[2])
    if not hmac.compare_digest(_mac(run_id, user_id, minutes), match[3]):
        raise refused
    run = await session.get(MeetingRun, run_id)
    if run is None:
        raise refused
    return Slip(cleaned, run.meeting_name, run.occurrence, minutes)
