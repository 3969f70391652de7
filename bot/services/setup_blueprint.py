"""What /setup creates when a server has none of its own: names, topics and who may see what.

Plain data; the setup cog turns `Visibility` into Discord permission overwrites.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.services.guild_config import ChannelPurpose, RolePurpose


class Visibility(StrEnum):
    EVERYONE = "everyone"  # members read and write
    EVERYONE_READ_ONLY = "everyone-read-only"  # members read; staff and the bot post
    VOLUNTEERS_AND_MODERATORS = "volunteers-and-moderators"  # hidden from members
    STAFF = "staff"  # facilitators and moderators


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    purpose: ChannelPurpose
    name: str
    topic: str
    visibility: Visibility


@dataclass(frozen=True, slots=True)
class RoleSpec:
    purpose: RolePurpose
    name: str


CATEGORY_NAME = "Recovery"

CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec(ChannelPurpose.ANNOUNCEMENTS, "announcements",
                "Meeting reminders and milestone celebrations.", Visibility.EVERYONE_READ_ONLY),
    ChannelSpec(ChannelPurpose.CHECKINS, "check-ins",
                "Daily check-ins. Share what you are comfortable sharing.", Visibility.EVERYONE),
    ChannelSpec(ChannelPurpose.REACHOUT, "reach-out",
                "Requests for support. Only volunteers and moderators can see this channel.",
                Visibility.VOLUNTEERS_AND_MODERATORS),
    ChannelSpec(ChannelPurpose.MEETINGS_LOG, "meetings-log",
                "Meeting starts, ends and attendance counts for facilitators and moderators.", Visibility.STAFF),
)

ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(RolePurpose.VOLUNTEER, "Volunteer"),
    RoleSpec(RolePurpose.FACILITATOR, "Facilitator"),
    RoleSpec(RolePurpose.MODERATOR, "Moderator"),
)
