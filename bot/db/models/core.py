"""The core's tables: a server's setup, the audit log, the job queue, the bot's own small facts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot import clock
from bot.db.base import Base, Snowflake, member_id
from bot.db.types import UTCDateTime

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
    # Check-ins: words that show a member the crisis lines, beyond the bot's own list; anonymous shares a day.
    crisis_words: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    checkin_daily_shares: Mapped[int | None] = mapped_column(Integer)
    # Milestones: which schedule (a preset's name, or "custom" with its list), and the local hour announcements go out.
    milestone_schedule: Mapped[str | None] = mapped_column(String(16))
    milestone_custom: Mapped[str | None] = mapped_column(String(300))
    milestone_hour: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class AuditEntry(Base):
    """Who changed which setting, from what to what, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_created", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    actor_id: Mapped[int] = member_id()
    action: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BotState(Base):
    """Small facts the bot keeps about itself, such as the hash of the last command sync."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
