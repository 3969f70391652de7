"""Interactions: building INTERACTION_CREATE payloads and tracking the bot's answers.

Options are built from the command schema the bot *registered* (not from the
bot's Python code), so a test that uses a wrong option name or type fails
loudly with the list of what the schema allows, exactly like a user in the
Discord client could not have sent it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import payloads
from .permissions import DM_PERMISSIONS, channel_permissions
from .state import Attachment, Channel, Guild, Member, Message, Role, User, World

if TYPE_CHECKING:
    from .server import DiscordDouble


class InteractionError(AssertionError):
    """A test tried to send an interaction the Discord client could not send."""


class CommandNotRegistered(InteractionError):
    """The command (or subcommand) is not in the set the bot registered."""


class CommandNotVisible(InteractionError):
    """The member lacks the command's default_member_permissions (or it is not usable here)."""


class InvalidOption(InteractionError):
    """Unknown option name, missing required option, or a value of the wrong type."""


class InteractionNotAcknowledged(TimeoutError):
    """The bot did not send an initial callback in time."""


OPTION_TYPE_NAMES = {
    1: "SUB_COMMAND",
    2: "SUB_COMMAND_GROUP",
    3: "STRING",
    4: "INTEGER",
    5: "BOOLEAN",
    6: "USER",
    7: "CHANNEL",
    8: "ROLE",
    9: "MENTIONABLE",
    10: "NUMBER",
    11: "ATTACHMENT",
}

# Callback types (Discord "Interaction Callback Type").
PONG = 1
CHANNEL_MESSAGE_WITH_SOURCE = 4
DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
MODAL = 9


@dataclass(eq=False)
class InteractionResult:
    """One interaction sent to the bot, and everything the bot answered.

    Filled in by the REST handlers as the bot calls back; tests read it and wait
    on it (``wait_for_followup``, ``wait_for_edit``, ``wait_until``).
    """

    id: int
    token: str
    kind: int  # interaction type: 2 command, 3 component, 4 autocomplete, 5 modal submit
    description: str  # human-readable, for error messages ("/config timezone")
    payload: dict[str, Any]
    user: User
    guild_id: int | None
    channel_id: int
    created_monotonic: float = field(default_factory=time.monotonic)
    #: The message a component was on (component / modal-from-component interactions).
    source_message: Message | None = None
    #: Callback type the bot answered with (None until it did).
    type: int | None = None
    callback_payload: dict[str, Any] | None = None
    #: The original response message (or, for 6/7, the component's message).
    message: Message | None = None
    followups: list[Message] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    #: Number of PATCHes to @original.
    edit_count: int = 0
    #: Callbacks rejected because they came too late or twice (status, body).
    rejected_callbacks: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    deferred_ephemeral: bool = False
    #: time.monotonic() when INTERACTION_CREATE was written to the bot's websocket, and when the
    #: double received the bot's accepted initial callback: their difference is the time spent on the
    #: bot's side (bench/hot_path.py).
    sent_monotonic: float | None = None
    callback_monotonic: float | None = None
    _double: DiscordDouble | None = field(default=None, repr=False)

    # ----- convenience views on the response message -------------------------------
    @property
    def acknowledged(self) -> bool:
        return self.type is not None

    @property
    def ephemeral(self) -> bool:
        if self.message is not None and self.type in (4, 5):
            return self.message.ephemeral
        return self.deferred_ephemeral

    @property
    def content(self) -> str | None:
        return None if self.message is None else self.message.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return [] if self.message is None else self.message.embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        return [] if self.message is None else self.message.components

    @property
    def attachments(self) -> list[Attachment]:
        return [] if self.message is None else self.message.attachments

    # ----- waiting ----------------------------------------------------------------------
    async def wait_until(self, predicate: Callable[[InteractionResult], Any], timeout: float = 5) -> InteractionResult:
        """Wait until ``predicate(self)`` is truthy (re-checked on every change in the double)."""
        assert self._double is not None
        await self._double._notifier.wait_for(
            lambda: bool(predicate(self)), timeout, f"condition on interaction {self.description}"
        )
        return self

    async def wait_for_followup(self, count: int = 1, timeout: float = 5) -> Message:
        """Wait until at least ``count`` follow-ups exist; returns the ``count``-th."""
        await self.wait_until(lambda r: len(r.followups) >= count, timeout)
        return self.followups[count - 1]

    async def wait_for_edit(self, count: int = 1, timeout: float = 5) -> Message:
        """Wait until @original has been edited ``count`` times (e.g. after a defer)."""
        await self.wait_until(lambda r: r.edit_count >= count and r.message is not None, timeout)
        assert self.message is not None
        return self.message


class ResolvedBuilder:
    """Accumulates ``data.resolved`` exactly as Discord does."""

    def __init__(self, world: World, guild: Guild | None, viewer: Member | None, channel: Channel | None) -> None:
        self.world = world
        self.guild = guild
        self.viewer = viewer
        #: The interaction's channel: resolved members carry their permissions there.
        self.context_channel = channel
        self.data: dict[str, dict[str, Any]] = {}

    def _put(self, key: str, obj_id: int, value: dict[str, Any]) -> None:
        self.data.setdefault(key, {})[str(obj_id)] = value

    def user(self, obj: User | Member) -> int:
        user = obj.user if isinstance(obj, Member) else obj
        self._put("users", user.id, payloads.user(user))
        member = obj if isinstance(obj, Member) else None
        if member is None and self.guild is not None:
            member = self.guild.members.get(user.id)
        if member is not None and self.guild is not None and member.guild_id == self.guild.id:
            data = payloads.member(member, with_user=False)
            data["permissions"] = str(channel_permissions(self.guild, member, self.context_channel))
            self._put("members", user.id, data)
        return user.id

    def role(self, role: Role) -> int:
        self._put("roles", role.id, payloads.role(role))
        return role.id

    def channel(self, ch: Channel) -> int:
        self._put("channels", ch.id, payloads.partial_channel(self.world, ch, self.viewer))
        return ch.id

    def attachment(self, att: Attachment) -> int:
        self._put("attachments", att.id, payloads.attachment(att))
        return att.id

    def to_dict(self) -> dict[str, Any]:
        return self.data


def find_command(commands: list[dict[str, Any]], name: str, kind: int = 1) -> dict[str, Any] | None:
    for cmd in commands:
        if cmd["name"] == name and cmd.get("type", 1) == kind:
            return cmd
    return None


def walk_path(command: dict[str, Any], path: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Follow ``path`` (subcommand group / subcommand names) through the schema.

    Returns the chain of option dicts walked and the leaf (the command itself when
    the path is empty)."""
    chain: list[dict[str, Any]] = []
    node = command
    for part in path:
        subs = [o for o in node.get("options", []) if o.get("type") in (1, 2)]
        match = next((o for o in subs if o["name"] == part), None)
        if match is None:
            raise CommandNotRegistered(
                f"/{command['name']}: no subcommand {part!r} under {node['name']!r}; "
                f"registered: {sorted(o['name'] for o in subs) or 'none'}"
            )
        chain.append(match)
        node = match
    leftover = [o for o in node.get("options", []) if o.get("type") in (1, 2)]
    if leftover:
        raise CommandNotRegistered(
            f"/{command['name']}: {' '.join([command['name'], *path])!r} is a group; "
            f"pick one of {sorted(o['name'] for o in leftover)}"
        )
    return chain, node


def convert_option(
    cmd_desc: str,
    schema: dict[str, Any],
    value: Any,
    resolved: ResolvedBuilder,
    *,
    focused: bool = False,
) -> Any:
    """Type-check ``value`` against the option ``schema``; return the wire value."""
    otype = schema["type"]
    name = schema["name"]
    tname = OPTION_TYPE_NAMES.get(otype, str(otype))

    def bad(why: str) -> InvalidOption:
        return InvalidOption(f"{cmd_desc}: option {name!r} ({tname}) {why}; got {value!r}")

    if focused:
        # While typing, Discord sends the partial text as-is (always a string for
        # STRING options, the raw text for numbers too).
        return value if otype != 3 else str(value)

    if otype == 3:
        if not isinstance(value, str):
            raise bad("expects a str")
        if "min_length" in schema and len(value) < schema["min_length"]:
            raise bad(f"must be at least {schema['min_length']} characters")
        # Discord caps every string option at 6,000 characters, max_length or not.
        if len(value) > schema.get("max_length", 6000):
            raise bad(f"must be at most {schema.get('max_length', 6000)} characters")
    elif otype == 4:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("expects an int")
    elif otype == 10:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("expects a number")
    elif otype == 5:
        if not isinstance(value, bool):
            raise bad("expects a bool")
    elif otype == 6:
        if not isinstance(value, (User, Member)):
            raise bad("expects a User or Member from the double")
        return str(resolved.user(value))
    elif otype == 7:
        if not isinstance(value, Channel):
            raise bad("expects a Channel from the double")
        allowed = schema.get("channel_types")
        if allowed and value.type not in allowed:
            raise bad(f"only accepts channel types {allowed}")
        return str(resolved.channel(value))
    elif otype == 8:
        if not isinstance(value, Role):
            raise bad("expects a Role from the double")
        return str(resolved.role(value))
    elif otype == 9:
        if isinstance(value, Role):
            return str(resolved.role(value))
        if isinstance(value, (User, Member)):
            return str(resolved.user(value))
        raise bad("expects a User, Member or Role from the double")
    elif otype == 11:
        if not isinstance(value, Attachment):
            raise bad("expects double.attachment(...)")
        return str(resolved.attachment(value))
    else:
        raise bad("has a type the double does not know")

    if otype in (4, 10):
        if "min_value" in schema and value < schema["min_value"]:
            raise bad(f"must be >= {schema['min_value']}")
        if "max_value" in schema and value > schema["max_value"]:
            raise bad(f"must be <= {schema['max_value']}")
    choices = schema.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise bad(f"must be one of the registered choices {[c['value'] for c in choices]}")
    return value


def build_options(
    cmd_desc: str,
    leaf: dict[str, Any],
    options: dict[str, Any],
    resolved: ResolvedBuilder,
    *,
    focused: str | None = None,
) -> list[dict[str, Any]]:
    """Build the value options for the leaf command, in schema order."""
    schema_opts = [o for o in leaf.get("options", []) if o.get("type") not in (1, 2)]
    by_name = {o["name"]: o for o in schema_opts}
    unknown = sorted(set(options) - set(by_name))
    if unknown:
        raise InvalidOption(f"{cmd_desc}: unknown option(s) {unknown}; registered options: {sorted(by_name) or 'none'}")
    if focused is not None:
        if focused not in by_name:
            raise InvalidOption(f"{cmd_desc}: focused option {focused!r} is not registered; options: {sorted(by_name)}")
        if not by_name[focused].get("autocomplete"):
            raise InvalidOption(f"{cmd_desc}: option {focused!r} was not registered with autocomplete=True")
    else:
        missing = [o["name"] for o in schema_opts if o.get("required") and o["name"] not in options]
        if missing:
            raise InvalidOption(f"{cmd_desc}: missing required option(s) {missing}")
    out: list[dict[str, Any]] = []
    for schema in schema_opts:
        name = schema["name"]
        if name not in options and name != focused:
            continue
        is_focused = name == focused
        raw = options.get(name, "")
        opt: dict[str, Any] = {
            "name": name,
            "type": schema["type"],
            "value": convert_option(cmd_desc, schema, raw, resolved, focused=is_focused),
        }
        if is_focused:
            opt["focused"] = True
        out.append(opt)
    return out


def nest_options(chain: list[dict[str, Any]], leaf_options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wrap leaf options in the subcommand / group structure of ``chain``."""
    options = leaf_options
    for node in reversed(chain):
        options = [{"name": node["name"], "type": node["type"], "options": options}]
    return options


def new_token() -> str:
    return "itok_" + secrets.token_urlsafe(24)


def base_payload(
    *,
    world: World,
    interaction_id: int,
    token: str,
    application_id: int,
    kind: int,
    user: User,
    member: Member | None,
    guild: Guild | None,
    channel: Channel,
    locale: str = "en-US",
) -> dict[str, Any]:
    """The fields every interaction carries (Discord "Interaction Object")."""
    bot = world.bot_user
    assert bot is not None
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "channel_id": str(channel.id),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if guild is not None:
        assert member is not None
        bot_member = guild.members[bot.id]
        payload["guild_id"] = str(guild.id)
        payload["guild"] = {"id": str(guild.id), "locale": guild.preferred_locale, "features": list(guild.features)}
        payload["guild_locale"] = guild.preferred_locale
        payload["channel"] = payloads.partial_channel(world, channel, member)
        mdata = payloads.member(member)
        mdata["permissions"] = str(channel_permissions(guild, member, channel))
        payload["member"] = mdata
        payload["app_permissions"] = str(channel_permissions(guild, bot_member, channel))
        payload["authorizing_integration_owners"] = {"0": str(guild.id)}
        payload["context"] = 0
    else:
        payload["user"] = payloads.user(user)
        payload["channel"] = payloads.partial_channel(world, channel, None)
        payload["app_permissions"] = str(DM_PERMISSIONS)
        payload["authorizing_integration_owners"] = {"0": "0"}
        payload["context"] = 1
    return payload
