"""The reach-out area's tables: volunteers on the roster, a server's reach-out settings, requests, who was
pinged for each, and the blocks moderators put on anonymous authors.

An anonymous requester's Discord id is never stored in plain: `requester_secret` holds it encrypted (read
back only to relay a volunteer's replies to them), `author_key` a keyed hash (to match them for cooldowns,
caps and blocks without knowing who they are). A named request keeps the id in `requester_id`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot import clock
from bot.db.base import Base, Snowflake, member_id
from bot.db.encryption import EncryptedText
from bot.db.models.core import AutoId
from bot.db.types import UTCDateTime


class Volunteer(Base):
    """A volunteer peer on a server's roster, and when they are on call."""

    __tablename__ = "volunteers"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    user_id: Mapped[int] = member_id()
    # "hours": on call inside their weekly hours; "available": on call now (until available_until, if set);
    # "away": not on call, hours or not, until they say they are available again.
    status: Mapped[str] = mapped_column(String(16), default="hours")
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours: Mapped[str | None] = mapped_column(String(300))  # e.g. "Mon-Fri 18:00-22:00, Sun 10:00-14:00"
    zone: Mapped[str | None] = mapped_column(String(64))  # the zone those hours are in
    missed_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class ReachoutSettings(Base):
    """A server's reach-out settings; a server without a row uses the defaults."""

    __tablename__ = "reachout_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    max_open: Mapped[int] = mapped_column(Integer, default=1)
    daily_pings: Mapped[int] = mapped_column(Integer, default=10)
    missed_before_away: Mapped[int] = mapped_column(Integer, default=3)
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=10)
    ping_count: Mapped[int] = mapped_column(Integer, default=3)
    next_volunteers_after: Mapped[int] = mapped_column(Integer, default=5)
    moderators_after: Mapped[int] = mapped_column(Integer, default=10)
    tell_requester_after: Mapped[int] = mapped_column(Integer, default=15)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class ReachoutRequest(Base):
    """One request for support; its id is the public number moderators and volunteers see."""

    __tablename__ = "reachout_requests"
    __table_args__ = (Index("ix_reachout_requests_guild_author", "guild_id", "author_key"),
                      Index("ix_reachout_requests_guild_created", "guild_id", "created_at"))

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(16))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str | None] = mapped_column(EncryptedText)
    requester_id: Mapped[int | None] = member_id(nullable=True)  # named requests only
    origin_channel_id: Mapped[int | None] = mapped_column(Snowflake)  # named: where they asked (their thread's home)
    requester_secret: Mapped[str | None] = mapped_column(EncryptedText)  # anonymous: the id, encrypted
    author_key: Mapped[str | None] = mapped_column(String(64))  # keyed hash of the requester's id
    state: Mapped[str] = mapped_column(String(16), default="open")  # open, claimed, closed
    step: Mapped[int] = mapped_column(Integer, default=0)  # the escalation step reached
    claimed_by: Mapped[int | None] = member_id(nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(16))  # requester, volunteer, moderator
    outcome: Mapped[str | None] = mapped_column(String(16))  # helped, not-helped: the requester's word
    card_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    card_message_id: Mapped[int | None] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ReachoutPing(Base):
    """A volunteer pinged for a request: for least-recently-pinged routing, daily caps and missed pings."""

    __tablename__ = "reachout_pings"
    __table_args__ = (UniqueConstraint("request_id", "volunteer_id"),
                      Index("ix_reachout_pings_volunteer", "guild_id", "volunteer_id", "pinged_at"))

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("reachout_requests.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    volunteer_id: Mapped[int] = member_id()
    pinged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)  # the request waited past them


class AnonBlock(Base):
    """An anonymous author a moderator blocked, by a keyed hash: nobody learns who it is."""

    __tablename__ = "anon_blocks"
    __table_args__ = (UniqueConstraint("guild_id", "author_key"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    author_key: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(32))  # the public number it was blocked by, e.g. "request 42"
    blocked_by: Mapped[int] = member_id()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
