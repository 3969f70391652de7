"""The check-ins area's tables: check-ins, reports on shared ones, and members' daily reminders.

A check-in never holds its author's Discord id in plain. `author_key` (a keyed hash) matches a member to their
own history and daily limit; a check-in shared anonymously also holds `author_secret`, the id encrypted, read
back only to pass a support reply on to them by DM.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot import clock
from bot.db.base import Base, Snowflake, member_id
from bot.db.encryption import EncryptedText
from bot.db.models.core import AutoId
from bot.db.types import UTCDateTime


class CheckinRow(Base):
    """One check-in: a mood, a craving, maybe a note; private, or shared anonymously with one server."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_author_day", "author_key", "local_date"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    author_key: Mapped[str | None] = mapped_column(String(64))
    mood: Mapped[int] = mapped_column(Integer)  # 1 struggling .. 5 great
    craving: Mapped[int] = mapped_column(Integer)  # 0 none .. 10 overwhelming
    note: Mapped[str | None] = mapped_column(EncryptedText)
    local_date: Mapped[date] = mapped_column(Date)  # the day it was, on the member's clock (streaks)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Shared anonymously: the server, when it was (or will be) posted, and where the post is.
    guild_id: Mapped[int | None] = mapped_column(Snowflake, index=True)
    author_secret: Mapped[str | None] = mapped_column(EncryptedText)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    post_message_id: Mapped[int | None] = mapped_column(Snowflake)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)  # the author took the post down


class CheckinReport(Base):
    """A member reported a shared check-in to the moderators; one report per member and check-in."""

    __tablename__ = "checkin_reports"
    __table_args__ = (UniqueConstraint("checkin_id", "reporter_key"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"), index=True)
    reporter_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class CheckinReminder(Base):
    """A member's daily "how are you today?" DM, at a time on their own clock."""

    __tablename__ = "checkin_reminders"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    user_id: Mapped[int] = member_id(unique=True)
    local_time: Mapped[time] = mapped_column(Time)
    zone: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)  # their DMs were closed to the bot
    tell_paused: Mapped[bool] = mapped_column(Boolean, default=False)  # they have yet to hear why
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
