"""The double's in-memory Discord world.

Plain mutable dataclasses, one per Discord object the bot touches. They are the
single source of truth: REST handlers mutate them, :mod:`payloads` renders them
as Discord JSON, and tests hold references to them (``guild``, ``member`` …) to
script scenarios and make assertions. Identity-based equality (``eq=False``)
keeps them hashable and avoids surprising deep comparisons.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Discord's epoch (2015-01-01) in milliseconds, used to mint snowflakes.
DISCORD_EPOCH_MS = 1420070400000

THREAD_TYPES = frozenset({10, 11, 12})
TEXTLIKE_TYPES = frozenset({0, 5, 10, 11, 12, 2, 13})


class SnowflakeGenerator:
    """Mints unique, increasing snowflakes.

    The timestamp part advances by one millisecond per id, so ids are unique,
    ordered, and ``(id >> 22) % shard_count`` spreads consecutive ids over shards.
    """

    def __init__(self) -> None:
        self._base_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        self._counter = itertools.count()

    def next(self) -> int:
        return (self._base_ms + next(self._counter)) << 22


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    """Discord's timestamp format (ISO 8601 with offset)."""
    return None if dt is None else dt.isoformat()


@dataclass(eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    #: False: sending a DM to this user fails with 50007, as when a user blocks DMs.
    dms_open: bool = True
    avatar: str | None = None
    locale: str = "en-US"

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    color: int = 0
    position: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    #: For the bot's integration role: {"bot_id": "..."} (Discord's role tags).
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass(eq=False)
class Overwrite:
    """A channel permission overwrite. ``type``: 0 role, 1 member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass(eq=False)
class Channel:
    id: int
    type: int
    name: str | None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    bitrate: int = 64000
    user_limit: int = 0
    last_message_id: int | None = None
    flags: int = 0
    #: DM channels: the other user.
    recipient: User | None = None
    # --- threads only ---
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    invitable: bool = True
    thread_member_ids: set[int] = field(default_factory=set)
    message_count: int = 0
    created_at: datetime = field(default_factory=utcnow)
    #: Forum channels: available tags (kept as sent).
    available_tags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type in (1, 3)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


@dataclass(eq=False)
class Member:
    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=utcnow)
    #: Voice channel the member is connected to (None: not in voice).
    voice_channel_id: int | None = None
    voice_session_id: str | None = None
    pending: bool = False
    communication_disabled_until: datetime | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return f"<@{self.user.id}>"


@dataclass(eq=False)
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    scheduled_start_time: str
    entity_type: int
    privacy_level: int = 2
    status: int = 1
    channel_id: int | None = None
    creator_id: int | None = None
    description: str | None = None
    scheduled_end_time: str | None = None
    entity_metadata: dict[str, Any] | None = None
    image: str | None = None
    recurrence_rule: dict[str, Any] | None = None
    subscriber_ids: list[int] = field(default_factory=list)

    @property
    def is_uncompleted(self) -> bool:
        """Scheduled (1) or active (2): what Discord's 100-event limit counts."""
        return self.status in (1, 2)


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)
    preferred_locale: str = "en-US"
    features: list[str] = field(default_factory=list)
    description: str | None = None
    #: Id of the managed role Discord creates for the bot when it joins.
    bot_role_id: int | None = None
    #: Whether the guild has been announced to the bot (so later changes dispatch events).
    announced: bool = False

    @property
    def everyone_role(self) -> Role:
        return self.roles[self.id]


@dataclass(eq=False)
class Attachment:
    """A file: either uploaded by the bot, or offered by a test for an option."""

    id: int
    filename: str
    content: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(eq=False)
class Message:
    """A message the bot sent (channel message, interaction response or follow-up)."""

    id: int
    channel_id: int
    author: User
    guild_id: int | None = None
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    tts: bool = False
    #: allowed_mentions exactly as the bot sent it (None: field absent).
    allowed_mentions: dict[str, Any] | None = None
    pinged_user_ids: set[int] = field(default_factory=set)
    pinged_role_ids: set[int] = field(default_factory=set)
    pinged_everyone: bool = False
    message_reference: dict[str, Any] | None = None
    timestamp: datetime = field(default_factory=utcnow)
    edited_timestamp: datetime | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    #: Set for interaction responses / follow-ups (Discord's interaction_metadata).
    interaction_metadata: dict[str, Any] | None = None
    #: Message type: 0 default, 19 reply, 20 chat-input command response.
    type: int = 0
    deleted: bool = False
    pinned: bool = False
    #: Every edit, oldest first: (fields sent in the PATCH).
    edits: list[dict[str, Any]] = field(default_factory=list)
    #: Thread started from this message, if any.
    thread_id: int | None = None

    EPHEMERAL = 64
    LOADING = 128

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & self.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & self.LOADING)

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The component with ``custom_id`` anywhere in the (possibly nested) tree."""
        return _find_component(self.components, custom_id)

    def custom_ids(self) -> list[str]:
        out: list[str] = []
        _collect_custom_ids(self.components, out)
        return out


def _children(component: dict[str, Any]) -> list[dict[str, Any]]:
    kids: list[dict[str, Any]] = list(component.get("components") or [])
    for key in ("component", "accessory"):
        if isinstance(component.get(key), dict):
            kids.append(component[key])
    return kids


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        found = _find_component(_children(comp), custom_id)
        if found is not None:
            return found
    return None


def _collect_custom_ids(components: list[dict[str, Any]], out: list[str]) -> None:
    for comp in components:
        if "custom_id" in comp:
            out.append(comp["custom_id"])
        _collect_custom_ids(_children(comp), out)


@dataclass
class World:
    """Every object of the simulated Discord, indexed the way routes look them up."""

    snowflakes: SnowflakeGenerator = field(default_factory=SnowflakeGenerator)
    #: The bot's own user (set by DiscordDouble).
    bot_user: User | None = None
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    #: Every channel including DMs and threads, by id.
    channels: dict[int, Channel] = field(default_factory=dict)
    #: Every message the bot sent (including ephemeral ones), by id.
    messages: dict[int, Message] = field(default_factory=dict)
    #: Non-ephemeral messages per channel, in send order (deleted ones removed).
    channel_messages: dict[int, list[Message]] = field(default_factory=dict)
    #: Files by attachment id (served by the double at their url).
    attachments: dict[int, Attachment] = field(default_factory=dict)
    #: DM channel id per user id.
    dm_channels: dict[int, int] = field(default_factory=dict)

    def new_id(self) -> int:
        return self.snowflakes.next()

    def guild_of(self, obj: Channel | Member | Role | ScheduledEvent | Message) -> Guild | None:
        gid = obj.guild_id
        return None if gid is None else self.guilds.get(gid)

    def member(self, guild: Guild, user_id: int) -> Member | None:
        return guild.members.get(user_id)

    def top_role_position(self, guild: Guild, member: Member) -> int:
        """Position of the member's highest role (0 = only @everyone)."""
        positions = [guild.roles[r].position for r in member.role_ids if r in guild.roles]
        return max(positions, default=0)

    def dm_channel(self, user: User) -> Channel:
        """The bot's DM channel with ``user``, created on first use (like POST /users/@me/channels)."""
        cid = self.dm_channels.get(user.id)
        if cid is not None:
            return self.channels[cid]
        channel = Channel(id=self.new_id(), type=1, name=None, recipient=user)
        self.channels[channel.id] = channel
        self.dm_channels[user.id] = channel.id
        return channel
