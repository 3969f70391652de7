"""Typed models of everything the bot stores, one module per area; importing this package registers every
table with `Base.metadata`, which Alembic reads.

A new area adds its module here and a migration under migrations/versions.
"""

from __future__ import annotations

from bot.db.models.checkins import CheckinReminder, CheckinReport, CheckinRow
from bot.db.models.core import AuditEntry, AutoId, BotState, GuildSettings, Job, JobState
from bot.db.models.facilitation import Attendance, MeetingFormat, MeetingRun, QueuedHand, Shared
from bot.db.models.meetings import MeetingFeed, MeetingReminderOptIn, MeetingRow
from bot.db.models.milestones import Celebration, MilestoneChoice, MilestoneDue, MilestoneRow
from bot.db.models.reachout import AnonBlock, ReachoutPing, ReachoutRequest, ReachoutSettings, Volunteer

__all__ = ["AnonBlock", "Attendance", "AuditEntry", "AutoId", "BotState", "Celebration", "CheckinReminder",
           "CheckinReport", "CheckinRow", "GuildSettings", "Job", "JobState", "MeetingFeed", "MeetingFormat",
           "MeetingReminderOptIn", "MeetingRow", "MeetingRun", "MilestoneChoice", "MilestoneDue", "MilestoneRow",
           "QueuedHand", "ReachoutPing", "ReachoutRequest", "ReachoutSettings", "Shared", "Volunteer"]
