"""What the milestones area keeps about a member, for /privacy: to export it and to erase it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import privacy
from bot.db.models import Celebration, MilestoneChoice, MilestoneDue, MilestoneRow
from bot.services import anonymity


async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    rows = await session.scalars(select(MilestoneRow).where(MilestoneRow.user_id == user_id).order_by(MilestoneRow.id))
    choices = await session.scalars(select(MilestoneChoice).where(MilestoneChoice.user_id == user_id))
    celebrated = await session.scalars(select(Celebration).where(
        Celebration.member_key == anonymity.author_key(user_id)).order_by(Celebration.celebrated_at))
    return {
        "clean_dates": [{"label": r.label, "date": r.start_date.isoformat(), "zone": r.zone} for r in rows],
        "announcements": [{"server": str(c.guild_id), "choice": c.mode} for c in choices],
        "milestones_announced": [{"server": str(c.guild_id), "at": c.celebrated_at.isoformat()} for c in celebrated],
    }


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Dates, choices and the ledger of what was announced all go (the announcements already posted stay: they
    are the server's messages, and public ones were posted with the member's consent)."""
    ids = list(await session.scalars(select(MilestoneRow.id).where(MilestoneRow.user_id == user_id)))
    return await privacy.run_all(session, delete(MilestoneDue).where(MilestoneDue.milestone_id.in_(ids)),
                                 delete(MilestoneRow).where(MilestoneRow.id.in_(ids)),
                                 delete(MilestoneChoice).where(MilestoneChoice.user_id == user_id),
                                 delete(Celebration).where(Celebration.member_key == anonymity.author_key(user_id)))


privacy.register(privacy.Area(
    name="Milestones",
    stored="Your clean dates (up to five), each with its label and time zone; how each server may announce your "
           "milestones (public, anonymous or off); which milestones were announced, and when.",
    encrypted="Your labels (“alcohol”, “gambling”). The record of what was announced holds keyed codes, not your "
              "id. The dates are not encrypted: the bot needs them to find what is due.",
    who_sees="Only you see your dates. A server sees a milestone only as you chose: with your name, anonymously, "
             "or not at all (the default); its facilitators see upcoming ones of members who chose public.",
    kept_for="Until you erase a date (/milestone delete) or all your data. Announcements already posted stay in "
             "the channel.",
    tables=("milestones", "milestone_choices"),
    export=export_member,
    forget=forget_member,
))
