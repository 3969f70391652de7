"""The member-data registry: every area says what it keeps about a member, and how to export and erase it.

`/privacy info` reads the words each area gives (what is stored, what is encrypted, who can see it, for
how long); `/privacy export` gathers every area's data about one member; `/privacy delete` has every area
forget them. An area registers when its services are imported (`load_areas` imports them all). A column
that holds a member's id is marked (`bot.db.base.member_id`), and a test fails when such a column's table
belongs to no area, so no feature can forget to let members take or erase their data.

Plain Python: no Discord. A pseudonym replaces a member's id where a row must stay (the audit log keeps
what was done, not who did it): the same member always gets the same pseudonym under the same key, so a
moderator can still see that several entries were one person's.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Executable, MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import encryption
from bot.db.base import HOLDS_MEMBER_ID

# The areas that keep member data, imported so each registers itself.
AREA_MODULES = ("bot.services.audit", "bot.services.meetings", "bot.services.reachout", "bot.services.checkins",
                "bot.services.milestones", "bot.services.facilitation", "bot.services.anonymity")

Exporter = Callable[[AsyncSession, int], Awaitable[dict[str, Any]]]
Forgetter = Callable[[AsyncSession, int], Awaitable[int]]
PostsFinder = Callable[[AsyncSession, int], Awaitable[list[tuple[int, int]]]]


@dataclass(frozen=True, slots=True)
class Area:
    """What one area keeps about a member, in plain words, and how to hand it over or erase it."""

    name: str
    stored: str  # what is kept
    encrypted: str  # what of it is encrypted at rest
    who_sees: str  # who can see it
    kept_for: str  # for how long, and what deleting does
    tables: tuple[str, ...]  # the tables whose member-id columns this area answers for
    export: Exporter
    forget: Forgetter  # returns how many rows it erased or made anonymous
    # Messages the bot posted for the member (anonymously, say) that erasing must also take down from Discord:
    # (channel, message), read before `forget` so the caller can delete them once the erasure is committed.
    posts: PostsFinder | None = None


_areas: dict[str, Area] = {}


def register(area: Area) -> None:
    _areas[area.name] = area


def areas() -> list[Area]:
    """Every registered area, in the order they registered."""
    load_areas()
    return list(_areas.values())


def load_areas() -> None:
    for module in AREA_MODULES:
        importlib.import_module(module)


README = (
    "This file holds everything the bot keeps about you, one section per part of the bot. Times are in UTC. "
    "Servers are named by their Discord ids, meetings by the bot's own. Nothing about any other member is in it. "
    "To erase it all, use /privacy delete."
)


async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Everything every area keeps about `user_id`, with a short readme, ready to be written as JSON."""
    gathered = {area.name: await area.export(session, user_id) for area in areas()}
    return {"readme": README, "member": str(user_id), "areas": gathered}


@dataclass(frozen=True, slots=True)
class Forgotten:
    touched: dict[str, int]  # area -> rows erased or made anonymous
    posts: list[tuple[int, int]]  # (channel, message) the caller must now delete from Discord


async def forget_member(session: AsyncSession, user_id: int) -> Forgotten:
    """Have every area erase `user_id` (or make their rows anonymous): how many rows each touched, and the
    posts to take down once this is committed."""
    posts = [post for area in areas() if area.posts is not None for post in await area.posts(session, user_id)]
    return Forgotten({area.name: await area.forget(session, user_id) for area in areas()}, posts)


async def run_all(session: AsyncSession, *statements: Executable) -> int:
    """Run an area's erasing statements in order; how many rows they touched (what /privacy delete reports)."""
    touched = 0
    for statement in statements:
        touched += int(getattr(await session.execute(statement), "rowcount", 0) or 0)
    return touched


def as_json(export: dict[str, Any]) -> bytes:
    """An export as the file a member receives: readable, indented, UTF-8."""
    return json.dumps(export, indent=2, ensure_ascii=False).encode()


def holds_member_id(column: Column[Any]) -> bool:
    return bool(column.info.get(HOLDS_MEMBER_ID))


def uncovered_tables(metadata: MetaData) -> list[str]:
    """Tables with a column marked as holding a member's id that no registered area answers for."""
    covered = {table for area in areas() for table in area.tables}
    marked = {table.name for table in metadata.tables.values() if any(map(holds_member_id, table.columns))}
    return sorted(marked - covered)


def pseudonym(user_id: int) -> int:
    """The same stand-in for a member every time (under the same key), never a real Discord id: negative,
    where snowflakes are positive, and not reversible without the bot's key."""
    digest = hmac.new(encryption.signing_key(), f"member:{user_id}".encode(), hashlib.sha256).digest()
    return -(int.from_bytes(digest[:7], "big") + 1)
