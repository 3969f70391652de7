"""The facilitation area's tables: a meeting's format, each run of a meeting (its live panel and share timer),
its speaking queue, who has shared, and attendance.

A run is one occurrence being chaired. Everything a live panel shows is here, so a restart of the bot keeps the
queue, the step and the timer, and the panel's buttons (which carry only the run's number) keep working.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot import clock
from bot.db.base import Base, Snowflake, member_id
from bot.db.models.core import AutoId
from bot.db.types import UTCDateTime


class MeetingFormat(Base):
    """A meeting's own script of steps, its share length and its queue rule; absent, the kind's default applies."""

    __tablename__ = "meeting_formats"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    steps: Mapped[list[dict[str, str]]] = mapped_column(JSON)  # [{"title": ..., "text": ...}]
    share_minutes: Mapped[int] = mapped_column(Integer)
    newcomers_first: Mapped[bool] = mapped_column(Boolean, default=False)  # who hasn't shared yet goes first
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class MeetingRun(Base):
    """One occurrence of a meeting being chaired: its panel, its step, the speaker and the share timer."""

    __tablename__ = "meeting_runs"
    __table_args__ = (Index("ix_meeting_runs_open", "guild_id", "ended_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    meeting_name: Mapped[str] = mapped_column(String(100))  # kept for slips after the meeting is deleted
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime)  # the scheduled start, or when it was started
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chair_id: Mapped[int] = member_id()  # the facilitator holding the panel
    chair_role_id: Mapped[int | None] = mapped_column(Snowflake)  # the meeting's own facilitator role, if any
    channel_id: Mapped[int] = mapped_column(Snowflake)  # where the panel is
    voice_channel_id: Mapped[int | None] = mapped_column(Snowflake)  # whose presence counts as attendance
    panel_message_id: Mapped[int | None] = mapped_column(Snowflake)
    steps: Mapped[list[dict[str, str]]] = mapped_column(JSON)  # the format as it was when the meeting started
    step: Mapped[int] = mapped_column(Integer, default=0)
    share_minutes: Mapped[int] = mapped_column(Integer)
    newcomers_first: Mapped[bool] = mapped_column(Boolean, default=False)
    speaker_id: Mapped[int | None] = member_id()
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    turn: Mapped[int] = mapped_column(Integer, default=0)  # numbers each share timer, for its job's key
    shares: Mapped[int] = mapped_column(Integer, default=0)
    attendees: Mapped[int | None] = mapped_column(Integer)  # counted at the end


class QueuedHand(Base):
    """A raised hand in a run's speaking queue; first come, first served (by id)."""

    __tablename__ = "meeting_queue"
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("meeting_runs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = member_id()
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Shared(Base):
    """Someone called to share in a run (for "who hasn't shared yet goes first")."""

    __tablename__ = "meeting_shared"

    run_id: Mapped[int] = mapped_column(ForeignKey("meeting_runs.id", ondelete="CASCADE"), primary_key=True,
                                        autoincrement=False)
    user_id: Mapped[int] = member_id(primary_key=True, autoincrement=False)


class Attendance(Base):
    """Someone present at a run: from voice presence or the "I'm here" button; minutes added up as they leave."""

    __tablename__ = "meeting_attendance"

    run_id: Mapped[int] = mapped_column(ForeignKey("meeting_runs.id", ondelete="CASCADE"), primary_key=True,
                                        autoincrement=False)
    user_id: Mapped[int] = member_id(primary_key=True, autoincrement=False)
    present_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None while away
    seconds: Mapped[int] = mapped_column(Integer, default=0)  # before present_since
