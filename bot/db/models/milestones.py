"""The milestones area's tables: members' clean dates, how each server may announce them, when each is next
due, and the ledger of celebrations already made.

Finding what is due is one indexed range scan of `milestone_due.next_at` (the instant of each date's next
milestone in each server that may announce it), never a walk over every member. The label ("alcohol",
"gambling") says what someone is recovering from, so it is encrypted; the date itself is not (see
docs/ARCHITECTURE.md, "Milestones": `next_at` gives it away to within a few candidates anyway).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot import clock
from bot.db.base import Base, Snowflake, member_id
from bot.db.encryption import EncryptedText
from bot.db.models.core import AutoId
from bot.db.types import UTCDateTime


class MilestoneRow(Base):
    """One of a member's clean dates (up to five), with an optional label and the zone its days begin in."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    user_id: Mapped[int] = member_id(index=True)
    label: Mapped[str | None] = mapped_column(EncryptedText)
    start_date: Mapped[date] = mapped_column(Date)
    zone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class MilestoneChoice(Base):
    """How a member wants their milestones announced in one server: public, anonymous or off."""

    __tablename__ = "milestone_choices"

    user_id: Mapped[int] = member_id(primary_key=True, autoincrement=False)
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    mode: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class MilestoneDue(Base):
    """When a date's next milestone is announced in a server: only where the member chose public or anonymous."""

    __tablename__ = "milestone_due"
    __table_args__ = (Index("ix_milestone_due_next_at", "next_at"),)

    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True,
                                              autoincrement=False)
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Celebration(Base):
    """A milestone announced: its key is a keyed hash of (server, member, label, start date, milestone day), so
    each is announced at most once ever, whoever sweeps and however often the date is set again."""

    __tablename__ = "milestone_celebrations"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_key: Mapped[str] = mapped_column(String(64), index=True)  # anonymity.author_key: erasure finds them
    guild_id: Mapped[int] = mapped_column(Snowflake)
    celebrated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
