"""What the check-ins area keeps about a member, for /privacy: to export it and to erase it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import privacy
from bot.db.models import CheckinReminder, CheckinReport, CheckinRow
from bot.services import anonymity
from bot.services.checkins import posts, reminders


async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    key = anonymity.author_key(user_id)
    rows = await session.scalars(select(CheckinRow).where(CheckinRow.author_key == key).order_by(CheckinRow.id))
    reminder = await session.scalar(select(CheckinReminder).where(CheckinReminder.user_id == user_id))
    return {
        "check_ins": [
            {"number": r.id, "day": r.local_date.isoformat(), "at": r.created_at.isoformat(), "mood": r.mood,
             "craving": r.craving, "note": r.note,
             "shared_anonymously_with_server": str(r.guild_id) if r.guild_id else None,
             "post_taken_down": r.removed if r.guild_id else None} for r in rows],
        "daily_reminder": None if reminder is None else {
            "at": reminder.local_time.strftime("%H:%M"), "zone": reminder.zone, "paused": reminder.paused},
    }


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Every check-in and report goes (their posts are taken down by the caller, see `posts_of`); and the reminder."""
    key = anonymity.author_key(user_id)
    touched = await privacy.run_all(session, delete(CheckinReport).where(CheckinReport.reporter_key == key),
                                    delete(CheckinRow).where(CheckinRow.author_key == key))
    return touched + await reminders.forget(session, user_id)


privacy.register(privacy.Area(
    name="Check-ins",
    stored="Each check-in: mood, craving, your note, the day, and whether you shared it anonymously and where. "
           "Your reports of others' posts. Your daily reminder's time and zone.",
    encrypted="Your notes. Check-ins carry a keyed code instead of your id; a shared one also your id, encrypted, "
              "read only to pass support to you by DM.",
    who_sees="Private check-ins: only you. Shared ones: the server, as an anonymous post that names nobody.",
    kept_for="Until you delete your data, which erases every check-in and takes your anonymous posts down. You can "
             "take one post down any time.",
    tables=("checkins", "checkin_reports", "checkin_reminders"),
    export=export_member,
    forget=forget_member,
    posts=posts.posts_of,
))
