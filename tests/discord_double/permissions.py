"""Permission bits and Discord's permission computation.

The double enforces permissions on the bot (so a missing permission shows up in
tests as the same ``403 / 50013`` the bot would get in production) and computes
``member.permissions`` / ``app_permissions`` for interactions. The algorithm is
the one documented by Discord ("Permission Overwrites" in the developer docs):

1. guild owner -> everything;
2. base = @everyone role | every role of the member;
3. ADMINISTRATOR in base -> everything;
4. channel overwrites, in this order: @everyone, then the union of all role
   overwrites of the member's roles (deny first, then allow), then the member's own
   overwrite;
5. implicit rules: without VIEW_CHANNEL nothing else applies; without
   SEND_MESSAGES in a text channel the message-related bits are gone; threads use
   their parent's overwrites.
"""

from __future__ import annotations

from enum import IntFlag
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import Channel, Guild, Member


class P(IntFlag):
    """Discord permission bits (names as in the Discord docs)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SET_VOICE_CHANNEL_STATUS = 1 << 48
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50
    PIN_MESSAGES = 1 << 51
    BYPASS_SLOWMODE = 1 << 52


ALL_PERMISSIONS: int = 0
for _flag in P:
    ALL_PERMISSIONS |= int(_flag)

#: What @everyone gets in a freshly created Discord guild (close enough for tests).
DEFAULT_EVERYONE_PERMISSIONS: int = int(
    P.CREATE_INSTANT_INVITE
    | P.ADD_REACTIONS
    | P.STREAM
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.MENTION_EVERYONE
    | P.USE_EXTERNAL_EMOJIS
    | P.CONNECT
    | P.SPEAK
    | P.USE_VAD
    | P.CHANGE_NICKNAME
    | P.USE_APPLICATION_COMMANDS
    | P.REQUEST_TO_SPEAK
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.USE_EXTERNAL_STICKERS
    | P.SEND_MESSAGES_IN_THREADS
    | P.USE_EMBEDDED_ACTIVITIES
    | P.SEND_VOICE_MESSAGES
    | P.SEND_POLLS
    | P.USE_EXTERNAL_APPS
)

#: Default permissions of the bot's integration role when a test does not say otherwise.
DEFAULT_BOT_PERMISSIONS: int = int(
    P.MANAGE_CHANNELS
    | P.MANAGE_ROLES
    | P.MANAGE_EVENTS
    | P.CREATE_EVENTS
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.SEND_MESSAGES_IN_THREADS
    | P.MANAGE_THREADS
    | P.CONNECT
    | P.USE_APPLICATION_COMMANDS
)

#: Permissions in a DM channel (what Discord reports as app_permissions there).
DM_PERMISSIONS: int = int(
    P.ADD_REACTIONS
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.MENTION_EVERYONE
    | P.USE_EXTERNAL_EMOJIS
    | P.USE_APPLICATION_COMMANDS
)

# Bits that only make sense in text-like channels and vanish without SEND_MESSAGES.
_SEND_DEPENDENT = int(P.SEND_TTS_MESSAGES | P.MENTION_EVERYONE | P.EMBED_LINKS | P.ATTACH_FILES | P.SEND_POLLS)
_VOICE_TYPES = {2, 13}


def base_permissions(guild: Guild, member: Member) -> int:
    """Guild-level permissions of ``member`` (no channel overwrites)."""
    if member.user.id == guild.owner_id:
        return ALL_PERMISSIONS
    perms = guild.everyone_role.permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & P.ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(guild: Guild, member: Member, channel: Channel | None) -> int:
    """Permissions of ``member`` in ``channel`` (``None``: guild-level only)."""
    perms = base_permissions(guild, member)
    if perms & P.ADMINISTRATOR or member.user.id == guild.owner_id or channel is None:
        return perms

    # Threads carry no overwrites of their own: they use the parent's.
    source = channel
    if channel.is_thread and channel.parent_id is not None:
        source = guild.channels.get(channel.parent_id, channel)

    overwrites = {ow.id: ow for ow in source.overwrites}
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow

    allow = deny = 0
    for role_id in member.role_ids:
        ow = overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow

    own = overwrites.get(member.user.id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow

    if not perms & P.VIEW_CHANNEL:
        return 0
    if source.type not in _VOICE_TYPES and not perms & P.SEND_MESSAGES:
        perms &= ~_SEND_DEPENDENT
    if source.type in _VOICE_TYPES and not perms & P.CONNECT:
        perms &= ~int(P.SPEAK | P.MUTE_MEMBERS | P.DEAFEN_MEMBERS | P.MOVE_MEMBERS | P.USE_VAD | P.STREAM)
    return perms


def has(perms: int, *needed: int) -> bool:
    """True if ``perms`` contains every bit in ``needed`` (ADMINISTRATOR implies all)."""
    if perms & P.ADMINISTRATOR:
        return True
    want = 0
    for bit in needed:
        want |= int(bit)
    return perms & want == want
