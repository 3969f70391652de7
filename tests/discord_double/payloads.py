"""Discord-shaped JSON for each state object.

Shapes follow Discord's API v10 documentation and discord.py's TypedDicts in
``discord/types/*.py`` (discord.py indexes some keys directly, so a missing key
here is a ``KeyError`` inside the bot). Keep every renderer pure: state in,
dict out.
"""

from __future__ import annotations

from typing import Any

from .permissions import channel_permissions
from .state import (
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
    User,
    World,
    iso,
)


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.username,
        "global_name": u.global_name,
        "discriminator": "0",
        "avatar": u.avatar,
        "avatar_decoration_data": None,
        "bot": u.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "primary_guild": None,
        "collectibles": None,
    }


def current_user(u: User) -> dict[str, Any]:
    """GET /users/@me: the user object plus the private fields."""
    data = user(u)
    data.update({"verified": True, "mfa_enabled": True, "locale": "en-US", "email": None})
    return data


def role(r: Role) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.tags:
        data["tags"] = dict(r.tags)
    return data


def overwrites(ch: Channel) -> list[dict[str, Any]]:
    return [{"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)} for o in ch.overwrites]


def channel(ch: Channel) -> dict[str, Any]:
    """A full channel object (guild channel, thread or DM)."""
    if ch.is_dm:
        return {
            "id": str(ch.id),
            "type": ch.type,
            "last_message_id": str(ch.last_message_id) if ch.last_message_id else None,
            "recipients": [user(ch.recipient)] if ch.recipient else [],
            "flags": ch.flags,
        }
    if ch.is_thread:
        return thread(ch)
    data: dict[str, Any] = {
        "id": str(ch.id),
        "type": ch.type,
        "guild_id": str(ch.guild_id),
        "name": ch.name,
        "position": ch.position,
        "permission_overwrites": overwrites(ch),
        "parent_id": str(ch.parent_id) if ch.parent_id else None,
        "nsfw": ch.nsfw,
        "flags": ch.flags,
    }
    if ch.type in (0, 5, 15, 16):
        data.update(
            {
                "topic": ch.topic,
                "rate_limit_per_user": ch.rate_limit_per_user,
                "last_message_id": str(ch.last_message_id) if ch.last_message_id else None,
                "default_auto_archive_duration": 1440,
            }
        )
    if ch.type in (15, 16):
        data.update(
            {
                "available_tags": ch.available_tags,
                "default_reaction_emoji": None,
                "default_thread_rate_limit_per_user": 0,
                "default_sort_order": None,
                "default_forum_layout": 0,
            }
        )
    if ch.type in (2, 13):
        data.update(
            {
                "bitrate": ch.bitrate,
                "user_limit": ch.user_limit,
                "rtc_region": None,
                "video_quality_mode": 1,
                "rate_limit_per_user": ch.rate_limit_per_user,
                "last_message_id": str(ch.last_message_id) if ch.last_message_id else None,
            }
        )
    return data


def thread(ch: Channel) -> dict[str, Any]:
    return {
        "id": str(ch.id),
        "type": ch.type,
        "guild_id": str(ch.guild_id),
        "parent_id": str(ch.parent_id),
        "owner_id": str(ch.owner_id),
        "name": ch.name,
        "last_message_id": str(ch.last_message_id) if ch.last_message_id else None,
        "rate_limit_per_user": ch.rate_limit_per_user,
        "message_count": ch.message_count,
        "member_count": len(ch.thread_member_ids),
        "total_message_sent": ch.message_count,
        "flags": ch.flags,
        "applied_tags": [],
        "thread_metadata": {
            "archived": ch.archived,
            "auto_archive_duration": ch.auto_archive_duration,
            "archive_timestamp": iso(ch.created_at),
            "locked": ch.locked,
            "invitable": ch.invitable,
            "create_timestamp": iso(ch.created_at),
        },
    }


def thread_member(ch: Channel, user_id: int) -> dict[str, Any]:
    return {
        "id": str(ch.id),
        "user_id": str(user_id),
        "join_timestamp": iso(ch.created_at),
        "flags": 0,
    }


def partial_channel(world: World, ch: Channel, viewer: Member | None) -> dict[str, Any]:
    """Channel as it appears in interactions (``channel`` and ``resolved.channels``):
    includes ``permissions`` of the invoking member in that channel."""
    data = channel(ch)
    guild = world.guild_of(ch)
    if guild is not None and viewer is not None:
        data["permissions"] = str(channel_permissions(guild, viewer, ch))
    else:
        from .permissions import DM_PERMISSIONS

        data["permissions"] = str(DM_PERMISSIONS)
    if ch.is_dm:
        data["name"] = None
    return data


def member(m: Member, *, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.role_ids],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": m.pending,
        "communication_disabled_until": iso(m.communication_disabled_until),
    }
    if with_user:
        data["user"] = user(m.user)
    return data


def member_with_guild(m: Member) -> dict[str, Any]:
    """GUILD_MEMBER_ADD / UPDATE: member + guild_id."""
    data = member(m)
    data["guild_id"] = str(m.guild_id)
    return data


def voice_state(m: Member) -> dict[str, Any]:
    return {
        "guild_id": str(m.guild_id),
        "channel_id": str(m.voice_channel_id) if m.voice_channel_id else None,
        "user_id": str(m.user.id),
        "member": member(m),
        "session_id": m.voice_session_id or "",
        "deaf": False,
        "mute": False,
        "self_deaf": False,
        "self_mute": False,
        "self_stream": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }


def scheduled_event(world: World, ev: ScheduledEvent, *, with_user_count: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(ev.id),
        "guild_id": str(ev.guild_id),
        "channel_id": str(ev.channel_id) if ev.channel_id else None,
        "creator_id": str(ev.creator_id) if ev.creator_id else None,
        "name": ev.name,
        "description": ev.description,
        "scheduled_start_time": ev.scheduled_start_time,
        "scheduled_end_time": ev.scheduled_end_time,
        "privacy_level": ev.privacy_level,
        "status": ev.status,
        "entity_type": ev.entity_type,
        "entity_id": str(ev.channel_id) if ev.channel_id and ev.entity_type in (1, 2) else None,
        "entity_metadata": ev.entity_metadata,
        "image": ev.image,
        "recurrence_rule": ev.recurrence_rule,
    }
    creator = world.users.get(ev.creator_id) if ev.creator_id else None
    if creator is not None:
        data["creator"] = user(creator)
    if with_user_count:
        data["user_count"] = len(ev.subscriber_ids)
    return data


def attachment(a: Attachment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": a.url,
        "proxy_url": a.url,
        "content_type": a.content_type,
    }
    if a.description is not None:
        data["description"] = a.description
    if a.ephemeral:
        data["ephemeral"] = True
    return data


def message(world: World, msg: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(msg.id),
        "type": msg.type,
        "channel_id": str(msg.channel_id),
        "author": user(msg.author),
        "content": msg.content,
        "timestamp": iso(msg.timestamp),
        "edited_timestamp": iso(msg.edited_timestamp),
        "tts": msg.tts,
        "mention_everyone": msg.pinged_everyone,
        "mentions": [user(world.users[u]) for u in sorted(msg.pinged_user_ids) if u in world.users],
        "mention_roles": [str(r) for r in sorted(msg.pinged_role_ids)],
        "attachments": [attachment(a) for a in msg.attachments],
        "embeds": msg.embeds,
        "components": msg.components,
        "pinned": msg.pinned,
        "flags": msg.flags,
        "reactions": [],
    }
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
    if msg.webhook_id is not None:
        data["webhook_id"] = str(msg.webhook_id)
    if msg.application_id is not None:
        data["application_id"] = str(msg.application_id)
    if msg.interaction_metadata is not None:
        data["interaction_metadata"] = msg.interaction_metadata
    if msg.message_reference is not None:
        data["message_reference"] = msg.message_reference
    if msg.thread_id is not None and msg.thread_id in world.channels:
        data["thread"] = thread(world.channels[msg.thread_id])
    return data


def guild_base(g: Guild) -> dict[str, Any]:
    """The guild object as returned by GET /guilds/{id} (no gateway-only fields)."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in sorted(g.roles.values(), key=lambda r: r.position)],
        "emojis": [],
        "stickers": [],
        "features": list(g.features),
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_presences": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "description": g.description,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.preferred_locale,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "incidents_data": None,
    }


def guild_create(world: World, g: Guild, members: list[Member], *, joined: bool = False) -> dict[str, Any]:
    """GUILD_CREATE: the guild plus the gateway-only fields discord.py's Guild._from_data reads.

    `joined`: the bot was just added to the guild. Discord then sends the guild without `unavailable`
    (discord.py raises `guild_join`); a guild READY listed as unavailable comes with `unavailable: false`
    (discord.py raises `guild_available`)."""
    data = guild_base(g)
    channels = [c for c in g.channels.values() if not c.is_thread]
    threads = [c for c in g.channels.values() if c.is_thread and not c.archived]
    bot_member = g.members.get(world.bot_user.id) if world.bot_user else None
    data.update(
        {
            "joined_at": iso(bot_member.joined_at) if bot_member else None,
            "large": len(g.members) > 250,
            "unavailable": False,
            "member_count": len(g.members),
            "voice_states": [
                {k: v for k, v in voice_state(m).items() if k != "guild_id"}
                for m in g.members.values()
                if m.voice_channel_id
            ],
            "members": [member(m) for m in members],
            "channels": [channel(c) for c in channels],
            "threads": [thread(t) for t in threads],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [scheduled_event(world, e) for e in g.scheduled_events.values()],
            "soundboard_sounds": [],
        }
    )
    if joined:
        del data["unavailable"]
    return data


def unavailable_guild(g: Guild) -> dict[str, Any]:
    return {"id": str(g.id), "unavailable": True}


def error(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """Discord's JSON error body."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return body


def form_error(field_errors: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """400 Invalid Form Body (50035). ``field_errors``: "path.to.field" -> (code, message)."""
    errors: dict[str, Any] = {}
    for path, (code, msg) in field_errors.items():
        node = errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": msg})
    return error(50035, "Invalid Form Body", errors)
