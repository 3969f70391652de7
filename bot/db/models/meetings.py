"""The meetings area's tables: meetings, members' reminder choices, feeds a server follows."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot import clock
from bot.db.base import Base, Snowflake, member_id
from bot.db.models.core import AutoId
from bot.db.types import UTCDateTime


class MeetingFeed(Base):
    """A Meeting Guide feed a server imports from a URL, and (when asked) keeps in sync daily."""

    __tablename__ = "meeting_feeds"
    __table_args__ = (UniqueConstraint("guild_id", "url"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    sync_daily: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = member_id()
    # The last attempt, and the last one that changed the schedule or found it unchanged.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problem: Mapped[str | None] = mapped_column(String(500))  # why the last attempt changed nothing
    # What the feed's server said of its last version, so an unchanged feed isn't downloaded again.
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class MeetingRow(Base):
    """A recurring meeting: local wall time + IANA zone + RRULE; every instant is derived."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("guild_id", "slug"), Index("ix_meetings_guild_feed_slug", "guild_id",
                                                                     "feed_slug"))

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    fellowship: Mapped[str | None] = mapped_column(String(40))
    types: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(8))
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    url: Mapped[str | None] = mapped_column(String(500))
    url_notes: Mapped[str | None] = mapped_column(Text)  # a passcode, say: the feed's conference_url_notes
    phone: Mapped[str | None] = mapped_column(String(64))  # a dial-in number, for phone-only or both
    phone_notes: Mapped[str | None] = mapped_column(Text)
    # Where a hybrid meeting also meets in person: the building's name and its address.
    venue: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(500))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    facilitator_role_id: Mapped[int | None] = mapped_column(Snowflake)
    ping_role_id: Mapped[int | None] = mapped_column(Snowflake)
    rule: Mapped[str] = mapped_column(String(300))
    local_time: Mapped[time] = mapped_column(Time)
    zone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    skipped_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO local dates
    # The Discord scheduled event that shows the next occurrence, and which occurrence it shows.
    event_id: Mapped[int | None] = mapped_column(Snowflake)
    event_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the event could not be kept (a missing permission, the server's event limit), if so.
    event_problem: Mapped[str | None] = mapped_column(String(300))
    # Where an imported meeting came from: its feed (when synced from a URL), its slug there as the
    # feed spells it (the key the next import matches on), and when the feed says it last changed.
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_feeds.id", ondelete="SET NULL"), index=True)
    feed_slug: Mapped[str | None] = mapped_column(String(255))
    listed_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = member_id()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class MeetingReminderOptIn(Base):
    """A member who asked for a DM before each occurrence of a meeting, and how long before."""

    __tablename__ = "meeting_reminder_opt_ins"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = member_id(index=True)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
