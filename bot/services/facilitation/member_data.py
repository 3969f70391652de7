"""What the facilitation area keeps about a member, for /privacy: to export it and to erase it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import privacy
from bot.db.models import Attendance, MeetingRun, QueuedHand, Shared


async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    rows = (await session.execute(
        select(MeetingRun.meeting_name, MeetingRun.occurrence, Attendance.seconds)
        .join(MeetingRun, MeetingRun.id == Attendance.run_id).where(Attendance.user_id == user_id)
        .order_by(MeetingRun.occurrence))).all()
    chaired = await session.scalars(select(MeetingRun).where(MeetingRun.chair_id == user_id))
    return {
        "meetings_attended": [{"meeting": name, "on": at.isoformat(), "minutes_counted": round(seconds / 60)}
                              for name, at, seconds in rows],
        "meetings_chaired": [{"meeting": r.meeting_name, "on": r.occurrence.isoformat()} for r in chaired],
    }


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Attendance, raised hands and shares go; a run they chaired stays the server's, under a pseudonym."""
    return await privacy.run_all(
        session,
        delete(Attendance).where(Attendance.user_id == user_id),
        delete(QueuedHand).where(QueuedHand.user_id == user_id),
        delete(Shared).where(Shared.user_id == user_id),
        update(MeetingRun).where(MeetingRun.speaker_id == user_id).values(speaker_id=None),
        update(MeetingRun).where(MeetingRun.chair_id == user_id).values(chair_id=privacy.pseudonym(user_id)),
    )


privacy.register(privacy.Area(
    name="Meeting attendance",
    stored="The meetings you attended (by voice, or pressing I'm here) and your minutes present; your raised "
           "hands and whether you shared, while a meeting runs; the meetings you chaired.",
    encrypted="Nothing: attendance is a count of minutes, not what anyone said.",
    who_sees="Moderators and chairs see how many attended, never who. Slips go only to you, by DM, when you ask; "
             "whoever you show one can check it.",
    kept_for="Until you delete your data; slips you were given still check out, as they carry their own proof. "
             "Meetings you chaired "
             "stay the server's record, under a pseudonym.",
    tables=("meeting_attendance", "meeting_queue", "meeting_shared", "meeting_runs"),
    export=export_member,
    forget=forget_member,
))
