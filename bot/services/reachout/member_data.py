"""What the reach-out area keeps about a member, for /privacy: to export it and to erase it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import privacy
from bot.db.models import ReachoutPing, ReachoutRequest, Volunteer
from bot.services import anonymity


def _theirs(user_id: int) -> Any:
    return or_(ReachoutRequest.requester_id == user_id, ReachoutRequest.author_key == anonymity.author_key(user_id))


async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    asked = await session.scalars(select(ReachoutRequest).where(_theirs(user_id)).order_by(ReachoutRequest.id))
    roster = await session.scalars(select(Volunteer).where(Volunteer.user_id == user_id).order_by(Volunteer.id))
    took = await session.execute(select(ReachoutRequest.guild_id, ReachoutRequest.id, ReachoutRequest.kind,
                                        ReachoutRequest.claimed_at, ReachoutRequest.closed_at)
                                 .where(ReachoutRequest.claimed_by == user_id).order_by(ReachoutRequest.id))
    pings = await session.execute(select(ReachoutPing.guild_id, ReachoutPing.request_id, ReachoutPing.pinged_at)
                                  .where(ReachoutPing.volunteer_id == user_id).order_by(ReachoutPing.id))
    return {
        "requests_you_made": [
            {"server": str(r.guild_id), "request": r.id, "kind": r.kind, "anonymous": r.anonymous,
             "message": r.message, "at": r.created_at.isoformat(), "state": r.state, "how_it_went": r.outcome}
            for r in asked],
        "volunteer_roster": [
            {"server": str(v.guild_id), "status": v.status, "hours": v.hours, "zone": v.zone,
             "available_until": v.available_until.isoformat() if v.available_until else None,
             "joined": v.joined_at.isoformat()} for v in roster],
        "requests_you_took": [
            {"server": str(g), "request": number, "kind": kind, "taken": taken.isoformat() if taken else None,
             "closed": closed.isoformat() if closed else None} for g, number, kind, taken, closed in took],
        "times_you_were_pinged": [{"server": str(g), "request": number, "at": at.isoformat()}
                                  for g, number, at in pings],
    }


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Their requests lose their words and every link to them (what is left counts in figures); their roster
    entries and pings go; requests they took stay the server's, under a pseudonym."""
    return await privacy.run_all(
        session,
        update(ReachoutRequest).where(_theirs(user_id), ReachoutRequest.state == "open")
        .values(state="closed", closed_by="requester"),
        update(ReachoutRequest).where(_theirs(user_id))
        .values(requester_id=None, requester_secret=None, author_key=None, message=None, origin_channel_id=None),
        update(ReachoutRequest).where(ReachoutRequest.claimed_by == user_id)
        .values(claimed_by=privacy.pseudonym(user_id)),
        delete(ReachoutPing).where(ReachoutPing.volunteer_id == user_id),
        delete(Volunteer).where(Volunteer.user_id == user_id),
    )


privacy.register(privacy.Area(
    name="Reach-out",
    stored="If you asked for support: each request's kind, message, time and how it went, with your id (named) "
           "or your id encrypted and a keyed code (anonymous). If you volunteer: your roster entry, your pings "
           "and the requests you took.",
    encrypted="Your message, and who asked an anonymous request (read only to pass a volunteer's replies to you).",
    who_sees="Your message: the server's volunteers and moderators. Your name only if you asked by name or chose "
             "to share it. Moderators' figures are counts and times, never who.",
    kept_for="Until you delete your data: then your words and every link to you are erased, leaving a count in "
             "the figures. Roster entries until you leave the roster or delete your data.",
    tables=("reachout_requests", "reachout_pings", "volunteers"),
    export=export_member,
    forget=forget_member,
))
