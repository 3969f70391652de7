"""What the meetings area keeps about a member, for /privacy: to export it and to erase it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import privacy
from bot.db.models import MeetingFeed, MeetingReminderOptIn, MeetingRow


async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    reminders = await session.execute(
        select(MeetingRow.guild_id, MeetingRow.id, MeetingRow.name, MeetingReminderOptIn.offset_minutes,
               MeetingReminderOptIn.created_at)
        .join(MeetingRow, MeetingRow.id == MeetingReminderOptIn.meeting_id)
        .where(MeetingReminderOptIn.user_id == user_id).order_by(MeetingReminderOptIn.id))
    created = await session.execute(select(MeetingRow.guild_id, MeetingRow.id, MeetingRow.name, MeetingRow.created_at)
                                    .where(MeetingRow.created_by == user_id).order_by(MeetingRow.id))
    feeds = await session.execute(select(MeetingFeed.guild_id, MeetingFeed.url, MeetingFeed.created_at)
                                  .where(MeetingFeed.created_by == user_id).order_by(MeetingFeed.id))
    return {
        "reminders_you_asked_for": [
            {"server": str(guild), "meeting": str(meeting), "name": name, "minutes_before": minutes,
             "since": since.isoformat()} for guild, meeting, name, minutes, since in reminders],
        "meetings_you_added": [{"server": str(guild), "meeting": str(meeting), "name": name,
                                "at": at.isoformat()} for guild, meeting, name, at in created],
        "feeds_you_imported": [{"server": str(guild), "url": url, "at": at.isoformat()} for guild, url, at in feeds],
    }


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Reminder choices go; meetings and feeds a moderator added stay the server's, under a pseudonym."""
    stand_in = privacy.pseudonym(user_id)
    return await privacy.run_all(
        session,
        delete(MeetingReminderOptIn).where(MeetingReminderOptIn.user_id == user_id),
        update(MeetingRow).where(MeetingRow.created_by == user_id).values(created_by=stand_in),
        update(MeetingFeed).where(MeetingFeed.created_by == user_id).values(created_by=stand_in),
    )


privacy.register(privacy.Area(
    name="Meetings",
    stored="The meetings you asked to be reminded of by DM, and how long before. If you added meetings or "
           "imported a meeting feed as a moderator: that it was you.",
    encrypted="Nothing: reminder choices and who added a meeting are not sensitive text.",
    who_sees="Your reminder choices: only you (the bot reads them to remind you). Who added a meeting: nobody "
             "in Discord; it is kept for the server's records.",
    kept_for="Reminder choices until you stop them, the meeting is deleted, or you delete your data. Deleting "
             "your data replaces your id on meetings and feeds you added with a pseudonym; they stay the server's.",
    tables=("meeting_reminder_opt_ins", "meetings", "meeting_feeds"),
    export=export_member,
    forget=forget_member,
))
