"""Typed models of everything the bot stores.

Each feature adds its tables here and a migration under migrations/versions.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake
from bot.db.types import UTCDateTime, utcnow

# SQLite only auto-increments a column typed exactly INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class GuildSettings(Base):
    """One server's setup: its channels, roles, default zone and crisis region."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    announcements_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    checkins_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    reachout_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    meetings_log_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    volunteer_role_id: Mapped[int | None] = mapped_column(Snowflake)
    facilitator_role_id: Mapped[int | None] = mapped_column(Snowflake)
    moderator_role_id: Mapped[int | None] = mapped_column(Snowflake)
    timezone: Mapped[str | None] = mapped_column(String(64))
    crisis_region: Mapped[str | None] = mapped_column(String(16))
    # Minutes before each meeting that its channel gets an announcement; None means the default.
    meeting_reminder_offsets: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who changed which setting, from what to what, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_created", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    actor_id: Mapped[int] = mapped_column(Snowflake)
    action: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
    DROPPED = "dropped"


class Job(Base):
    """A unit of work due at an instant, in the one durable queue every feature shares."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # due_at is the instant the work is meant for (catch-up is judged against it); run_at is
    # when it may next be tried, which retries push back.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, name="job_state", native_enum=False, length=16,
             values_callable=lambda states: [s.value for s in states]),
        default=JobState.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BotState(Base):
    """Small facts the bot keeps about itself, such as the hash of the last command sync."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MeetingFeed(Base):
    """A Meeting Guide feed a server imports from a URL, and (when asked) keeps in sync daily."""

    __tablename__ = "meeting_feeds"
    __table_args__ = (UniqueConstraint("guild_id", "url"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    sync_daily: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(Snowflake)
    # The last attempt, and the last one that changed the schedule or found it unchanged.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problem: Mapped[str | None] = mapped_column(String(500))  # why the last attempt changed nothing
    # What the feed's server said of its last version, so an unchanged feed isn't downloaded again.
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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
    created_by: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MeetingReminderOptIn(Base):
    """A member who asked for a DM before each occurrence of a meeting, and how long before."""

    __tablename__ = "meeting_reminder_opt_ins"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(Snowflake, index=True)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
