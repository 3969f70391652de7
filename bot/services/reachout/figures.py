"""Figures for moderators: how many asked, how fast someone answered, how many nobody did; by week.

Counts and times only: never who asked, what they wrote, or which volunteer answered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ReachoutRequest


@dataclass(frozen=True, slots=True)
class Week:
    starts: date  # a Monday (UTC)
    requests: int
    median_to_claim: timedelta | None
    p90_to_claim: timedelta | None
    unclaimed: int  # never taken: still waiting, or closed first
    helped: int
    not_helped: int


async def by_week(session: AsyncSession, guild_id: int, now: datetime, weeks: int = 4) -> list[Week]:
    """The last `weeks` weeks (this one included), most recent first."""
    this_monday = (now.astimezone(UTC) - timedelta(days=now.astimezone(UTC).weekday())).date()
    first = this_monday - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), UTC)
    rows = await session.execute(select(ReachoutRequest.created_at, ReachoutRequest.claimed_at,
                                        ReachoutRequest.outcome)
                                 .where(ReachoutRequest.guild_id == guild_id, ReachoutRequest.created_at >= since))
    buckets: dict[date, list[tuple[datetime, datetime | None, str | None]]] = {}
    for created, claimed, outcome in rows:
        monday = (created - timedelta(days=created.weekday())).date()
        buckets.setdefault(monday, []).append((created, claimed, outcome))
    found = []
    for number in range(weeks):
        monday = this_monday - timedelta(weeks=number)
        entries = buckets.get(monday, [])
        waits = sorted(claimed - created for created, claimed, _ in entries if claimed is not None)
        found.append(Week(
            starts=monday, requests=len(entries),
            median_to_claim=_percentile(waits, 0.5),
            p90_to_claim=_percentile(waits, 0.9),
            unclaimed=sum(1 for _, claimed, _ in entries if claimed is None),
            helped=sum(1 for *_, outcome in entries if outcome == "helped"),
            not_helped=sum(1 for *_, outcome in entries if outcome == "not-helped"),
        ))
    return found


def _percentile(ordered: list[timedelta], share: float) -> timedelta | None:
    """Nearest-rank percentile: the smallest wait at least `share` of them were within."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]
