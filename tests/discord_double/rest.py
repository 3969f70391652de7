"""REST API v10: routing, recording, fault injection and the route handlers.

Adding a route: write a method on :class:`RestApi` decorated with
``@route("METHOD", "/template/{param}")``. The handler gets a :class:`Call`
(params, json, files, query) and returns a JSON-able value (200), ``None``
(204) or a :class:`Reply`; it raises :class:`ApiError` for Discord errors.
Everything else — auth, recording, fail_next, unknown-route logging — happens
in :meth:`RestApi.handle` so handlers stay small.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import payloads
from .interactions import InteractionResult
from .permissions import P, channel_permissions, has
from .state import Attachment, Channel, Guild, Member, Message, Overwrite, Role, ScheduledEvent, User

if TYPE_CHECKING:
    from .server import DiscordDouble

log = logging.getLogger("discord_double.rest")

API_PREFIXES = ("/api/v10", "/api/v9")


# --------------------------------------------------------------------------------------
# Errors and replies
# --------------------------------------------------------------------------------------
class ApiError(Exception):
    """A Discord error response."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body = payloads.error(code, message, errors)

    @classmethod
    def form(cls, field_errors: dict[str, tuple[str, str]]) -> ApiError:
        err = cls(400, 50035, "Invalid Form Body")
        err.body = payloads.form_error(field_errors)
        return err


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


UNKNOWN = {
    "channel": (10003, "Unknown Channel"),
    "guild": (10004, "Unknown Guild"),
    "member": (10007, "Unknown Member"),
    "message": (10008, "Unknown Message"),
    "role": (10011, "Unknown Role"),
    "user": (10013, "Unknown User"),
    "webhook": (10015, "Unknown Webhook"),
    "interaction": (10062, "Unknown interaction"),
    "command": (10063, "Unknown application command"),
    "event": (10070, "Unknown Guild Scheduled Event"),
}


def unknown(kind: str) -> ApiError:
    code, msg = UNKNOWN[kind]
    return ApiError(404, code, msg)


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------
# Recording / faults
# --------------------------------------------------------------------------------------
@dataclass
class UploadedFile:
    field_name: str
    filename: str
    content: bytes
    content_type: str | None


@dataclass
class RecordedRequest:
    """One HTTP request the bot made to the double."""

    time_monotonic: float
    time_wall: datetime
    method: str
    path: str  # without the /api/v10 prefix
    route: str | None  # template, e.g. "/channels/{channel_id}/messages"; None if unknown
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    status: int = 0
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    route_key: str
    status: int
    times: int
    retry_after: float | None = None
    body: dict[str, Any] | None = None


def route_key(template: str) -> str:
    """Normalise a template so parameter names don't matter ("/x/{a}" == "/x/{b}")."""
    return re.sub(r"\{[^}]+\}", "{}", template.rstrip("/"))


# --------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------
@dataclass
class Call:
    """What a handler receives."""

    request: web.Request
    params: dict[str, str]
    json: Any
    files: list[UploadedFile]
    query: dict[str, str]

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError as exc:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {name: {"_errors": [{"code": "NUMBER_TYPE_COERCE", "message": "Value is not snowflake."}]}},
            ) from exc

    @property
    def body(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}


Handler = Callable[["RestApi", Call], Awaitable[Any]]


@dataclass
class RouteSpec:
    method: str
    template: str
    handler: Handler
    #: Authenticated by the interaction token in the path, not the bot token.
    token_auth: bool = False
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.regex = re.compile(f"^{pattern}$")

    @property
    def literal_score(self) -> int:
        # Routes with more literal segments win (/users/@me before /users/{user_id}).
        return -self.template.count("{")


_ROUTES: list[RouteSpec] = []


def route(method: str, template: str, *, token_auth: bool = False) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _ROUTES.append(RouteSpec(method, template, fn, token_auth))
        return fn

    return deco


def _match(method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
    for spec in sorted(_ROUTES, key=lambda r: r.literal_score, reverse=True):
        if spec.method != method:
            continue
        m = spec.regex.match(path)
        if m:
            return spec, m.groupdict()
    return None


# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------
def validate_message(body: dict[str, Any], files: list[UploadedFile], *, creating: bool) -> None:
    """Discord's limits on message payloads -> 400 50035 / 50006."""
    errors: dict[str, tuple[str, str]] = {}
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        errors["content"] = ("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = ("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, emb in enumerate(embeds[:10]):
        for key, limit in (("title", 256), ("description", 4096)):
            val = emb.get(key) or ""
            total += len(val)
            if len(val) > limit:
                errors[f"embeds.{i}.{key}"] = ("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        fields = emb.get("fields") or []
        if len(fields) > 25:
            errors[f"embeds.{i}.fields"] = ("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            total += len(fld.get("name", "")) + len(fld.get("value", ""))
            if len(fld.get("name", "")) > 256:
                errors[f"embeds.{i}.fields.{j}.name"] = ("BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length.")
            if len(fld.get("value", "")) > 1024:
                errors[f"embeds.{i}.fields.{j}.value"] = ("BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
        total += len((emb.get("footer") or {}).get("text", "")) + len((emb.get("author") or {}).get("name", ""))
    if total > 6000:
        errors["embeds"] = ("BASE_TYPE_MAX_LENGTH", "Embed size exceeds maximum size of 6000")
    components = body.get("components") or []
    v2 = bool(int(body.get("flags") or 0) & (1 << 15))
    if not v2 and len(components) > 5:
        errors["components"] = ("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    _validate_components(components, "components", errors)
    if errors:
        raise ApiError.form(errors)
    if creating and not (content or embeds or components or files or body.get("sticker_ids") or body.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")


def _validate_components(components: list[dict[str, Any]], path: str, errors: dict[str, tuple[str, str]]) -> None:
    for i, comp in enumerate(components):
        here = f"{path}.{i}"
        if len(comp.get("custom_id") or "") > 100:
            errors[f"{here}.custom_id"] = ("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        if comp.get("type") == 2 and len(comp.get("label") or "") > 80:
            errors[f"{here}.label"] = ("BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
        if comp.get("type") == 3 and len(comp.get("options") or []) > 25:
            errors[f"{here}.options"] = ("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if comp.get("type") == 1 and len(comp.get("components") or []) > 5:
            errors[f"{here}.components"] = ("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        _validate_components(comp.get("components") or [], f"{here}.components", errors)


_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")


def validate_commands(commands: list[dict[str, Any]]) -> None:
    """The application command limits bots most often trip over."""
    errors: dict[str, tuple[str, str]] = {}
    seen: set[tuple[str, int]] = set()
    if len(commands) > 100:
        errors["_"] = ("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    for i, cmd in enumerate(commands):
        kind = cmd.get("type", 1)
        name = cmd.get("name", "")
        if (name, kind) in seen:
            errors[f"{i}.name"] = (
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {name}",
            )
        seen.add((name, kind))
        if kind == 1:
            if not _NAME_RE.match(name) or name != name.lower():
                errors[f"{i}.name"] = ("APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")
            if not 1 <= len(cmd.get("description", "")) <= 100:
                errors[f"{i}.description"] = ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        _validate_options(cmd.get("options") or [], f"{i}.options", errors)
    if errors:
        raise ApiError.form(errors)


def _validate_options(options: list[dict[str, Any]], path: str, errors: dict[str, tuple[str, str]]) -> None:
    if len(options) > 25:
        errors[path] = ("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    optional_seen = False
    for j, opt in enumerate(options):
        here = f"{path}.{j}"
        name = opt.get("name", "")
        if not _NAME_RE.match(name) or name != name.lower():
            errors[f"{here}.name"] = ("APPLICATION_COMMAND_INVALID_NAME", f"Option name is invalid: {name!r}")
        if not 1 <= len(opt.get("description", "")) <= 100:
            errors[f"{here}.description"] = ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if len(opt.get("choices") or []) > 25:
            errors[f"{here}.choices"] = ("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if opt.get("choices") and opt.get("autocomplete"):
            errors[f"{here}.autocomplete"] = ("AUTOCOMPLETE_CHOICES", "Autocomplete cannot be set with choices.")
        if opt.get("type") in (1, 2):
            _validate_options(opt.get("options") or [], f"{here}.options", errors)
        elif opt.get("required"):
            if optional_seen:
                errors[f"{here}.required"] = (
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------------------
# The API
# --------------------------------------------------------------------------------------
class RestApi:
    """Route handlers plus the request pipeline; one per :class:`DiscordDouble`."""

    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.world = double.world

    # ---------------------------------------------------------------- pipeline
    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/attachments/"):
            return self._serve_attachment(path)
        prefix = next((p for p in API_PREFIXES if path.startswith(p + "/")), None)
        api_path = path[len(prefix) :] if prefix else path
        json_body, files = await self._read_body(request)
        record = RecordedRequest(
            time_monotonic=time.monotonic(),
            time_wall=datetime.now(UTC),
            method=request.method,
            path=api_path,
            route=None,
            query=dict(request.query),
            json=json_body,
            files=files,
        )
        self.double.requests.append(record)
        try:
            reply = await self._dispatch(request, prefix, api_path, record, json_body, files)
        except ApiError as exc:
            reply = Reply(exc.body, exc.status)
        except Exception:  # a bug in the double: make it visible, answer like Discord's 500
            log.exception("discord double: handler crashed for %s %s", request.method, api_path)
            self.double.handler_errors.append(f"{request.method} {api_path}")
            reply = Reply(payloads.error(0, "500: Internal Server Error"), 500)
        record.status = reply.status
        self.double._notifier.notify()
        headers = dict(reply.headers)
        if reply.status == 204 or reply.body is None:
            return web.Response(status=204 if reply.status < 300 else reply.status, headers=headers)
        # discord.py only parses JSON when Content-Type is exactly "application/json".
        headers["Content-Type"] = "application/json"
        return web.Response(body=json.dumps(reply.body).encode(), status=reply.status, headers=headers)

    async def _dispatch(
        self,
        request: web.Request,
        prefix: str | None,
        api_path: str,
        record: RecordedRequest,
        json_body: Any,
        files: list[UploadedFile],
    ) -> Reply:
        matched = _match(request.method, api_path) if prefix else None
        if matched is None:
            log.warning("discord double: UNKNOWN ROUTE %s %s (answering 404)", request.method, request.path)
            self.double.unknown_routes.append((request.method, request.path))
            return Reply(payloads.error(0, "404: Not Found"), 404)
        spec, params = matched
        record.route = spec.template
        record.params = params
        if not spec.token_auth and request.headers.get("Authorization") != f"Bot {self.double.token}":
            return Reply(payloads.error(0, "401: Unauthorized"), 401)
        fault = self.double._take_fault(request.method, spec.template)
        if fault is not None:
            return self._fault_reply(fault)
        call = Call(request=request, params=params, json=json_body, files=files, query=dict(request.query))
        result = await spec.handler(self, call)
        if isinstance(result, Reply):
            return result
        if result is None:
            return Reply(None, 204)
        return Reply(result)

    @staticmethod
    def _fault_reply(fault: Fault) -> Reply:
        if fault.status == 429:
            retry = fault.retry_after if fault.retry_after is not None else 1.0
            body = fault.body or {"message": "You are being rate limited.", "retry_after": retry, "global": False}
            headers = {
                "Retry-After": str(max(1, round(retry))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": "discord-double-fault",
                "X-RateLimit-Scope": "user",
                # discord.py treats a 429 without Via as a Cloudflare ban.
                "Via": "1.1 google",
            }
            return Reply(body, 429, headers)
        body = fault.body or payloads.error(0, f"{fault.status}: injected by discord double")
        return Reply(body, fault.status)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        files: list[UploadedFile] = []
        if not request.can_read_body:
            return None, files
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            json_body: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: discord.py never sends one
                data = await part.read()
                name = part.name or ""
                if name == "payload_json":
                    json_body = json.loads(data.decode())
                else:
                    files.append(
                        UploadedFile(
                            field_name=name,
                            filename=part.filename or name,
                            content=bytes(data),
                            content_type=part.headers.get("Content-Type"),
                        )
                    )
            return json_body, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode(errors="replace"), files

    def _serve_attachment(self, path: str) -> web.Response:
        parts = path.split("/")
        try:
            att = self.world.attachments[int(parts[2])]
        except (IndexError, ValueError, KeyError):
            return web.Response(status=404, text="Not Found")
        return web.Response(body=att.content, content_type=att.content_type or "application/octet-stream")

    # ---------------------------------------------------------------- lookups
    def guild(self, call: Call) -> Guild:
        guild = self.world.guilds.get(call.int_param("guild_id"))
        if guild is None or self.double.bot_user.id not in guild.members:
            raise unknown("guild")
        return guild

    def channel(self, call: Call, name: str = "channel_id") -> Channel:
        ch = self.world.channels.get(call.int_param(name))
        if ch is None:
            raise unknown("channel")
        if ch.guild_id is not None:
            guild = self.world.guilds[ch.guild_id]
            if not channel_permissions(guild, self.bot_member(guild), ch) & P.VIEW_CHANNEL:
                raise missing_access()
        return ch

    def bot_member(self, guild: Guild) -> Member:
        return guild.members[self.double.bot_user.id]

    def bot_perms(self, guild: Guild, channel: Channel | None = None) -> int:
        return channel_permissions(guild, self.bot_member(guild), channel)

    def require(self, guild: Guild, channel: Channel | None, *bits: int) -> None:
        if not has(self.bot_perms(guild, channel), *bits):
            raise missing_permissions()

    def role_below_bot(self, guild: Guild, role: Role) -> None:
        """Bots can only manage roles strictly below their highest role."""
        bot = self.bot_member(guild)
        if bot.user.id == guild.owner_id:
            return
        if role.position >= self.world.top_role_position(guild, bot):
            raise missing_permissions()

    def message_in(self, channel: Channel, call: Call) -> Message:
        msg = self.world.messages.get(call.int_param("message_id"))
        if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral:
            raise unknown("message")
        return msg

    # ---------------------------------------------------------------- messages (shared)
    def compute_pings(self, msg: Message, guild: Guild | None, channel: Channel | None) -> None:
        am = msg.allowed_mentions
        parse = {"users", "roles", "everyone"} if am is None else set(am.get("parse") or [])
        explicit_users = {int(u) for u in (am or {}).get("users") or []}
        explicit_roles = {int(r) for r in (am or {}).get("roles") or []}
        can_mention_everyone = True
        if guild is not None and self.double.bot_user.id in guild.members:
            can_mention_everyone = has(self.bot_perms(guild, channel), P.MENTION_EVERYONE)
        users: set[int] = set()
        for raw in _USER_MENTION.findall(msg.content):
            uid = int(raw)
            if uid in self.world.users and ("users" in parse or uid in explicit_users):
                users.add(uid)
        roles: set[int] = set()
        if guild is not None:
            for raw in _ROLE_MENTION.findall(msg.content):
                rid = int(raw)
                role = guild.roles.get(rid)
                if role is None or not ("roles" in parse or rid in explicit_roles):
                    continue
                if role.mentionable or can_mention_everyone:
                    roles.add(rid)
        everyone = bool(_EVERYONE.search(msg.content)) and "everyone" in parse and can_mention_everyone
        ref = msg.message_reference
        if ref and (am is None or am.get("replied_user", False)):
            replied = self.world.messages.get(int(ref.get("message_id", 0)))
            if replied is not None:
                users.add(replied.author.id)
        msg.pinged_user_ids, msg.pinged_role_ids, msg.pinged_everyone = users, roles, everyone

    def _attachments_from(
        self, body: dict[str, Any], files: list[UploadedFile], ephemeral: bool, existing: list[Attachment] | None = None
    ) -> list[Attachment]:
        """Map ``files[n]`` uploads (and ``attachments`` metadata) to stored attachments."""
        meta = body.get("attachments")
        by_index: dict[str, dict[str, Any]] = {}
        keep: list[Attachment] = []
        existing_by_id = {a.id: a for a in existing or []}
        for entry in meta or []:
            eid = entry.get("id")
            if eid is not None and str(eid).isdigit() and int(eid) in existing_by_id:
                keep.append(existing_by_id[int(eid)])
            else:
                by_index[str(eid)] = entry
        if meta is None and existing:
            keep = list(existing)
        out = keep
        for i, up in enumerate(files):
            idx = up.field_name[len("files[") : -1] if up.field_name.startswith("files[") else str(i)
            entry = by_index.get(idx, {})
            att = Attachment(
                id=self.world.new_id(),
                filename=entry.get("filename") or up.filename,
                content=up.content,
                content_type=up.content_type,
                description=entry.get("description"),
                ephemeral=ephemeral,
            )
            att.url = f"{self.double.base_url}/attachments/{att.id}/{att.filename}"
            self.world.attachments[att.id] = att
            out.append(att)
        return out

    def create_message(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: list[UploadedFile],
        *,
        interaction: InteractionResult | None = None,
        force_flags: int = 0,
    ) -> Message:
        """Store a message the bot sent (channel message, response or follow-up)."""
        validate_message(body, files, creating=True)
        flags = int(body.get("flags") or 0) | force_flags
        ephemeral = bool(flags & Message.EPHEMERAL)
        bot = self.double.bot_user
        msg = Message(
            id=self.world.new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=bot,
            content=str(body.get("content") or ""),
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            flags=flags,
            tts=bool(body.get("tts")),
            allowed_mentions=body.get("allowed_mentions"),
            message_reference=body.get("message_reference"),
        )
        msg.attachments = self._attachments_from(body, files, ephemeral)
        if msg.message_reference:
            msg.type = 19
        if interaction is not None:
            msg.webhook_id = self.double.application_id
            msg.application_id = self.double.application_id
            msg.type = 20 if interaction.kind == 2 else 19 if msg.type == 19 else 0
            msg.interaction_metadata = {
                "id": str(interaction.id),
                "type": interaction.kind,
                "user": payloads.user(interaction.user),
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
        guild = self.world.guild_of(channel)
        self.compute_pings(msg, guild, channel)
        self.world.messages[msg.id] = msg
        if not ephemeral:
            self.world.channel_messages.setdefault(channel.id, []).append(msg)
            channel.last_message_id = msg.id
            if channel.is_thread:
                channel.message_count += 1
        return msg

    def edit_message(self, msg: Message, body: dict[str, Any], files: list[UploadedFile]) -> Message:
        validate_message(body, files, creating=False)
        for key in ("content", "embeds", "components"):
            if key in body:
                value = body[key]
                setattr(msg, key, (value or "") if key == "content" else list(value or []))
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS and IS_COMPONENTS_V2 may change; EPHEMERAL sticks.
            msg.flags = (msg.flags & Message.EPHEMERAL) | (int(body["flags"]) & ~Message.EPHEMERAL)
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        if "attachments" in body or files:
            msg.attachments = self._attachments_from(body, files, msg.ephemeral, existing=msg.attachments)
        msg.flags &= ~Message.LOADING
        msg.edited_timestamp = datetime.now(UTC)
        msg.edits.append(dict(body))
        channel = self.world.channels.get(msg.channel_id)
        self.compute_pings(msg, self.world.guilds.get(msg.guild_id) if msg.guild_id else None, channel)
        return msg

    def delete_message(self, msg: Message) -> None:
        msg.deleted = True
        lst = self.world.channel_messages.get(msg.channel_id, [])
        if msg in lst:
            lst.remove(msg)

    # ================================================================ routes: identity
    @route("GET", "/users/@me")
    async def get_me(self, call: Call) -> Any:
        return payloads.current_user(self.double.bot_user)

    @route("GET", "/users/{user_id}")
    async def get_user(self, call: Call) -> Any:
        user = self.world.users.get(call.int_param("user_id"))
        if user is None:
            raise unknown("user")
        return payloads.user(user)

    @route("GET", "/oauth2/applications/@me")
    @route("GET", "/applications/@me")
    async def get_application(self, call: Call) -> Any:
        d = self.double
        return {
            "id": str(d.application_id),
            "name": d.bot_user.username,
            "icon": None,
            "description": "Discord double application",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "bot": payloads.user(d.bot_user),
            "owner": payloads.user(d.owner_user),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(d.world.guilds),
            "integration_types_config": {"0": {}},
        }

    @route("GET", "/gateway")
    async def get_gateway(self, call: Call) -> Any:
        return {"url": self.double.gateway_url}

    @route("GET", "/gateway/bot")
    async def get_gateway_bot(self, call: Call) -> Any:
        return {
            "url": self.double.gateway_url,
            "shards": self.double.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
        }

    # ================================================================ routes: commands
    def _command_scope(self, call: Call) -> int | None:
        if call.int_param("application_id") != self.double.application_id:
            raise ApiError(403, 50001, "Missing Access")
        if "guild_id" in call.params:
            return self.guild(call).id
        return None

    def _store_command(self, scope: int | None, data: dict[str, Any], existing: list[dict[str, Any]]) -> dict[str, Any]:
        kind = data.get("type", 1)
        old = next((c for c in existing if c["name"] == data.get("name") and c.get("type", 1) == kind), None)
        cmd = dict(data)
        cmd.setdefault("type", 1)
        cmd.setdefault("description", "" if kind != 1 else cmd.get("description", ""))
        cmd.setdefault("options", [])
        cmd.setdefault("default_member_permissions", None)
        cmd.setdefault("nsfw", False)
        cmd.setdefault("contexts", None)
        cmd.setdefault("integration_types", [0])
        if cmd.get("integration_types") is None:
            cmd["integration_types"] = [0]
        if cmd.get("default_member_permissions") is not None:
            cmd["default_member_permissions"] = str(cmd["default_member_permissions"])
        cmd["application_id"] = str(self.double.application_id)
        cmd["id"] = old["id"] if old else str(self.world.new_id())
        comparable = {k: v for k, v in cmd.items() if k not in ("id", "version")}
        old_cmp = {k: v for k, v in old.items() if k not in ("id", "version")} if old else None
        cmd["version"] = old["version"] if old and old_cmp == comparable else str(self.world.new_id())
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    @route("GET", "/applications/{application_id}/commands")
    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def get_commands(self, call: Call) -> Any:
        return self.double._command_sets.get(self._command_scope(call), [])

    @route("PUT", "/applications/{application_id}/commands")
    @route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def put_commands(self, call: Call) -> Any:
        scope = self._command_scope(call)
        if not isinstance(call.json, list):
            raise ApiError.form({"_": ("MODEL_TYPE_CONVERT", "Only iterables may be used in a ListType")})
        validate_commands(call.json)
        existing = self.double._command_sets.get(scope, [])
        stored = [self._store_command(scope, c, existing) for c in call.json]
        self.double._command_sets[scope] = stored
        self.double.command_registrations += 1
        return stored

    @route("POST", "/applications/{application_id}/commands")
    @route("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def post_command(self, call: Call) -> Any:
        scope = self._command_scope(call)
        validate_commands([call.body])
        existing = self.double._command_sets.setdefault(scope, [])
        cmd = self._store_command(scope, call.body, existing)
        existing[:] = [c for c in existing if c["id"] != cmd["id"]] + [cmd]
        self.double.command_registrations += 1
        return Reply(cmd, 201)

    def _find_command(self, call: Call) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        cmds = self.double._command_sets.get(self._command_scope(call), [])
        cmd = next((c for c in cmds if c["id"] == call.params["command_id"]), None)
        if cmd is None:
            raise unknown("command")
        return cmds, cmd

    @route("GET", "/applications/{application_id}/commands/{command_id}")
    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def get_command(self, call: Call) -> Any:
        return self._find_command(call)[1]

    @route("PATCH", "/applications/{application_id}/commands/{command_id}")
    @route("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def patch_command(self, call: Call) -> Any:
        _, cmd = self._find_command(call)
        cmd.update(call.body)
        cmd["version"] = str(self.world.new_id())
        return cmd

    @route("DELETE", "/applications/{application_id}/commands/{command_id}")
    @route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def delete_command(self, call: Call) -> Any:
        cmds, cmd = self._find_command(call)
        cmds.remove(cmd)
        return None

    # ================================================================ routes: interactions
    def _interaction(self, call: Call, id_param: str = "interaction_id") -> InteractionResult:
        try:
            res = self.double.interactions.get(int(call.params[id_param]))
        except ValueError:
            res = None
        if res is None or res.token != call.params["interaction_token"]:
            raise unknown("interaction")
        return res

    def _interaction_by_token(self, call: Call) -> InteractionResult:
        if call.params["application_id"] != str(self.double.application_id):
            raise unknown("webhook")
        res = self.double.interactions_by_token.get(call.params["interaction_token"])
        if res is None:
            raise unknown("webhook")
        return res

    @route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", token_auth=True)
    async def interaction_callback(self, call: Call) -> Any:
        received = time.monotonic()
        res = self._interaction(call)
        body = call.body
        ctype = body.get("type")
        data = body.get("data") or {}
        if res.acknowledged:
            err = ApiError(400, 40060, "Interaction has already been acknowledged.")
            res.rejected_callbacks.append((err.status, err.body))
            raise err
        elapsed = time.monotonic() - res.created_monotonic
        if elapsed > self.double.callback_deadline:
            err = unknown("interaction")
            res.rejected_callbacks.append((err.status, err.body))
            log.warning(
                "discord double: interaction %s answered after %.2fs (deadline %.1fs) -> 10062",
                res.description,
                elapsed,
                self.double.callback_deadline,
            )
            raise err
        allowed = {
            2: {4, 5, 9},
            3: {4, 5, 6, 7, 9},
            4: {8},
            5: {4, 5, 6, 7},
        }.get(res.kind, set())
        if ctype not in allowed:
            raise ApiError.form(
                {
                    "type": (
                        "INTERACTION_RESPONSE_TYPE_INVALID",
                        f"Callback type {ctype} is not valid for interaction type {res.kind}",
                    )
                }
            )
        channel = self.world.channels[res.channel_id]
        message: Message | None = None
        if ctype == 4:
            message = self.create_message(channel, data, call.files, interaction=res)
            res.message = message
        elif ctype == 5:
            flags = int(data.get("flags") or 0) & Message.EPHEMERAL
            res.deferred_ephemeral = bool(flags)
            message = self._loading_message(channel, res, flags)
            res.message = message
        elif ctype in (6, 7):
            if res.source_message is None:
                raise ApiError(400, 50035, "Invalid Form Body")
            res.message = res.source_message
            if ctype == 7:
                message = self.edit_message(res.source_message, data, call.files)
        elif ctype == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise ApiError.form({"data.choices": ("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")})
            res.choices = choices
        elif ctype == 9:
            comps = data.get("components") or []
            if not data.get("custom_id") or not data.get("title") or not 1 <= len(comps) <= 5:
                raise ApiError.form({"data": ("MODAL_INVALID", "Modal needs custom_id, title and 1-5 components")})
            res.modal = data
        res.type = ctype
        res.callback_payload = body
        res.callback_monotonic = received
        self.double._on_interaction_acknowledged(res)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return None
        response: dict[str, Any] = {"interaction": {"id": str(res.id), "type": res.kind}}
        if message is not None:
            response["interaction"]["response_message_id"] = str(message.id)
            response["interaction"]["response_message_loading"] = message.loading
            response["interaction"]["response_message_ephemeral"] = message.ephemeral
            response["resource"] = {"type": ctype, "message": payloads.message(self.world, message)}
        return response

    def _loading_message(self, channel: Channel, res: InteractionResult, flags: int) -> Message:
        """The "Bot is thinking..." placeholder Discord creates for a type-5 defer."""
        msg = Message(
            id=self.world.new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.double.bot_user,
            flags=flags | Message.LOADING,
            webhook_id=self.double.application_id,
            application_id=self.double.application_id,
            type=20 if res.kind == 2 else 0,
            interaction_metadata={
                "id": str(res.id),
                "type": res.kind,
                "user": payloads.user(res.user),
                "authorizing_integration_owners": res.payload.get("authorizing_integration_owners", {}),
            },
        )
        self.world.messages[msg.id] = msg
        if not msg.ephemeral:
            self.world.channel_messages.setdefault(channel.id, []).append(msg)
        return msg

    def _original(self, res: InteractionResult) -> Message:
        if res.message is None or res.message.deleted:
            raise unknown("message")
        return res.message

    @route("GET", "/webhooks/{application_id}/{interaction_token}/messages/@original", token_auth=True)
    async def get_original(self, call: Call) -> Any:
        return payloads.message(self.world, self._original(self._interaction_by_token(call)))

    @route("PATCH", "/webhooks/{application_id}/{interaction_token}/messages/@original", token_auth=True)
    async def edit_original(self, call: Call) -> Any:
        res = self._interaction_by_token(call)
        msg = self.edit_message(self._original(res), call.body, call.files)
        res.edit_count += 1
        return payloads.message(self.world, msg)

    @route("DELETE", "/webhooks/{application_id}/{interaction_token}/messages/@original", token_auth=True)
    async def delete_original(self, call: Call) -> Any:
        self.delete_message(self._original(self._interaction_by_token(call)))
        return None

    @route("POST", "/webhooks/{application_id}/{interaction_token}", token_auth=True)
    async def followup(self, call: Call) -> Any:
        res = self._interaction_by_token(call)
        if not res.acknowledged:
            raise unknown("webhook")
        channel = self.world.channels[res.channel_id]
        msg = self.create_message(channel, call.body, call.files, interaction=res)
        res.followups.append(msg)
        if call.query.get("wait") in ("true", "True", "1"):
            return payloads.message(self.world, msg)
        return None

    def _followup(self, call: Call) -> tuple[InteractionResult, Message]:
        res = self._interaction_by_token(call)
        mid = call.int_param("message_id")
        for msg in [*res.followups, *([res.message] if res.message else [])]:
            if msg.id == mid and not msg.deleted:
                return res, msg
        raise unknown("message")

    @route("GET", "/webhooks/{application_id}/{interaction_token}/messages/{message_id}", token_auth=True)
    async def get_followup(self, call: Call) -> Any:
        return payloads.message(self.world, self._followup(call)[1])

    @route("PATCH", "/webhooks/{application_id}/{interaction_token}/messages/{message_id}", token_auth=True)
    async def edit_followup(self, call: Call) -> Any:
        _, msg = self._followup(call)
        return payloads.message(self.world, self.edit_message(msg, call.body, call.files))

    @route("DELETE", "/webhooks/{application_id}/{interaction_token}/messages/{message_id}", token_auth=True)
    async def delete_followup(self, call: Call) -> Any:
        self.delete_message(self._followup(call)[1])
        return None

    # ================================================================ routes: messages
    @route("POST", "/channels/{channel_id}/messages")
    async def send_message(self, call: Call) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if channel.is_dm:
            assert channel.recipient is not None
            if not channel.recipient.dms_open:
                raise ApiError(403, 50007, "Cannot send messages to this user")
        elif guild is not None:
            send_bit = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
            self.require(guild, channel, P.VIEW_CHANNEL, send_bit)
            if call.files:
                self.require(guild, channel, P.ATTACH_FILES)
            if channel.type in (4, 15, 16):
                raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
            if channel.is_thread and (channel.archived or channel.locked):
                raise ApiError(400, 50083, "Thread is archived")
        msg = self.create_message(channel, call.body, call.files)
        self.double._on_channel_message(msg)
        return payloads.message(self.world, msg)

    @route("GET", "/channels/{channel_id}/messages")
    async def list_messages(self, call: Call) -> Any:
        channel = self.channel(call)
        msgs = list(reversed(self.world.channel_messages.get(channel.id, [])))
        limit = int(call.query.get("limit", 50))
        if "before" in call.query:
            msgs = [m for m in msgs if m.id < int(call.query["before"])]
        if "after" in call.query:
            msgs = [m for m in msgs if m.id > int(call.query["after"])]
        return [payloads.message(self.world, m) for m in msgs[:limit]]

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def get_message(self, call: Call) -> Any:
        channel = self.channel(call)
        return payloads.message(self.world, self.message_in(channel, call))

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def patch_message(self, call: Call) -> Any:
        channel = self.channel(call)
        msg = self.message_in(channel, call)
        if msg.author.id != self.double.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        return payloads.message(self.world, self.edit_message(msg, call.body, call.files))

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_channel_message(self, call: Call) -> Any:
        channel = self.channel(call)
        msg = self.message_in(channel, call)
        guild = self.world.guild_of(channel)
        if msg.author.id != self.double.bot_user.id and guild is not None:
            self.require(guild, channel, P.MANAGE_MESSAGES)
        self.delete_message(msg)
        return None

    @route("POST", "/users/@me/channels")
    async def create_dm(self, call: Call) -> Any:
        try:
            user = self.world.users.get(int(call.body.get("recipient_id", 0)))
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise unknown("user")
        return payloads.channel(self.world.dm_channel(user))

    # ================================================================ routes: channels
    @route("GET", "/channels/{channel_id}")
    async def get_channel(self, call: Call) -> Any:
        return payloads.channel(self.channel(call))

    def _apply_overwrites(self, guild: Guild, channel: Channel | None, raw: list[dict[str, Any]]) -> list[Overwrite]:
        """Parse overwrites; Discord refuses to grant permissions the bot lacks itself."""
        bot_perms = self.bot_perms(guild, channel)
        out: list[Overwrite] = []
        for ow in raw:
            allow, deny = int(ow.get("allow") or 0), int(ow.get("deny") or 0)
            if not bot_perms & P.ADMINISTRATOR and (allow | deny) & ~bot_perms:
                raise missing_permissions()
            out.append(Overwrite(id=int(ow["id"]), type=int(ow.get("type", 0)), allow=allow, deny=deny))
        return out

    @route("PATCH", "/channels/{channel_id}")
    async def patch_channel(self, call: Call) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        body = call.body
        if channel.is_thread:
            if channel.owner_id != self.double.bot_user.id:
                self.require(guild, channel, P.MANAGE_THREADS)
            for key in ("name", "archived", "locked", "auto_archive_duration", "invitable", "rate_limit_per_user"):
                if key in body:
                    setattr(channel, key, body[key])
            self.double.dispatch_guild_event(guild, "THREAD_UPDATE", payloads.thread(channel))
            return payloads.thread(channel)
        self.require(guild, channel, P.MANAGE_CHANNELS)
        if "permission_overwrites" in body:
            self.require(guild, channel, P.MANAGE_ROLES)
            channel.overwrites = self._apply_overwrites(guild, channel, body["permission_overwrites"] or [])
        for key in ("name", "topic", "nsfw", "rate_limit_per_user", "bitrate", "user_limit", "position"):
            if key in body and body[key] is not None:
                setattr(channel, key, body[key])
        if "parent_id" in body:
            channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
        if "type" in body and body["type"] in (0, 5):
            channel.type = body["type"]
        self.double.dispatch_guild_event(guild, "CHANNEL_UPDATE", payloads.channel(channel))
        return payloads.channel(channel)

    @route("DELETE", "/channels/{channel_id}")
    async def delete_channel(self, call: Call) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            return payloads.channel(channel)  # closing a DM
        if channel.is_thread:
            if channel.owner_id != self.double.bot_user.id:
                self.require(guild, channel, P.MANAGE_THREADS)
        else:
            self.require(guild, channel, P.MANAGE_CHANNELS)
        data = payloads.channel(channel)
        del guild.channels[channel.id]
        del self.world.channels[channel.id]
        event = "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE"
        self.double.dispatch_guild_event(guild, event, data)
        return data

    @route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def put_overwrite(self, call: Call) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None or channel.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(guild, channel, P.MANAGE_CHANNELS, P.MANAGE_ROLES)
        oid = call.int_param("overwrite_id")
        body = dict(call.body)
        body["id"] = oid
        [new] = self._apply_overwrites(guild, channel, [body])
        channel.overwrites = [o for o in channel.overwrites if o.id != oid] + [new]
        self.double.dispatch_guild_event(guild, "CHANNEL_UPDATE", payloads.channel(channel))
        return None

    @route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def delete_overwrite(self, call: Call) -> Any:
        channel = self.channel(call)
        guild = self.world.guild_of(channel)
        if guild is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(guild, channel, P.MANAGE_CHANNELS, P.MANAGE_ROLES)
        oid = call.int_param("overwrite_id")
        channel.overwrites = [o for o in channel.overwrites if o.id != oid]
        self.double.dispatch_guild_event(guild, "CHANNEL_UPDATE", payloads.channel(channel))
        return None

    # ================================================================ routes: threads
    def _new_thread(
        self, guild: Guild, parent: Channel, body: dict[str, Any], kind: int, thread_id: int | None = None
    ) -> Channel:
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise ApiError.form({"name": ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")})
        thread = Channel(
            id=thread_id or self.world.new_id(),
            type=kind,
            name=name,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=self.double.bot_user.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            invitable=bool(body.get("invitable", True)),
        )
        thread.thread_member_ids.add(self.double.bot_user.id)
        guild.channels[thread.id] = thread
        self.world.channels[thread.id] = thread
        return thread

    def _announce_thread(self, guild: Guild, thread: Channel) -> None:
        data = payloads.thread(thread)
        data["newly_created"] = True
        data["member"] = payloads.thread_member(thread, self.double.bot_user.id)
        self.double.dispatch_guild_event(guild, "THREAD_CREATE", data)

    @route("POST", "/channels/{channel_id}/threads")
    async def create_thread(self, call: Call) -> Any:
        parent = self.channel(call)
        guild = self.world.guild_of(parent)
        if guild is None or parent.is_thread or parent.type not in (0, 5, 15, 16):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        body = call.body
        if parent.type in (15, 16):
            self.require(guild, parent, P.VIEW_CHANNEL, P.SEND_MESSAGES)
            thread = self._new_thread(guild, parent, body, 11)
            starter = self.create_message(thread, body.get("message") or {}, call.files)
            thread.message_count = 0
            self._announce_thread(guild, thread)
            data = payloads.thread(thread)
            data["message"] = payloads.message(self.world, starter)
            return Reply(data, 201)
        kind = int(body.get("type") or 12)
        need = P.CREATE_PRIVATE_THREADS if kind == 12 else P.CREATE_PUBLIC_THREADS
        self.require(guild, parent, P.VIEW_CHANNEL, need)
        thread = self._new_thread(guild, parent, body, kind)
        self._announce_thread(guild, thread)
        return Reply(payloads.thread(thread), 201)

    @route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
    async def create_thread_from_message(self, call: Call) -> Any:
        parent = self.channel(call)
        msg = self.message_in(parent, call)
        guild = self.world.guild_of(parent)
        if guild is None or parent.type not in (0, 5):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if msg.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        self.require(guild, parent, P.VIEW_CHANNEL, P.CREATE_PUBLIC_THREADS)
        # Discord: a thread started from a message shares the message's id.
        thread = self._new_thread(guild, parent, call.body, 11 if parent.type == 0 else 10, thread_id=msg.id)
        msg.thread_id = thread.id
        self._announce_thread(guild, thread)
        return Reply(payloads.thread(thread), 201)

    def _thread_member_change(self, call: Call, add: bool) -> Any:
        thread = self.channel(call)
        guild = self.world.guild_of(thread)
        if guild is None or not thread.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        uid = self.double.bot_user.id if call.params.get("user_id", "@me") == "@me" else call.int_param("user_id")
        if uid not in guild.members:
            raise unknown("member")
        if uid != self.double.bot_user.id:
            if thread.archived:
                raise ApiError(400, 50083, "Thread is archived")
            if add:
                self.require(guild, thread, P.SEND_MESSAGES_IN_THREADS)
            elif thread.owner_id != self.double.bot_user.id:
                self.require(guild, thread, P.MANAGE_THREADS)
        if add:
            thread.thread_member_ids.add(uid)
        else:
            thread.thread_member_ids.discard(uid)
        update: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(guild.id),
            "member_count": len(thread.thread_member_ids),
        }
        if add:
            tm = payloads.thread_member(thread, uid)
            tm["member"] = payloads.member(guild.members[uid])
            update["added_members"] = [tm]
        else:
            update["removed_member_ids"] = [str(uid)]
        if uid == self.double.bot_user.id and add:
            self.double.dispatch_guild_event(
                guild, "THREAD_MEMBER_UPDATE", {**payloads.thread_member(thread, uid), "guild_id": str(guild.id)}
            )
        self.double.dispatch_guild_event(guild, "THREAD_MEMBERS_UPDATE", update)
        return None

    @route("PUT", "/channels/{channel_id}/thread-members/@me")
    @route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
    async def add_thread_member(self, call: Call) -> Any:
        return self._thread_member_change(call, add=True)

    @route("DELETE", "/channels/{channel_id}/thread-members/@me")
    @route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
    async def remove_thread_member(self, call: Call) -> Any:
        return self._thread_member_change(call, add=False)

    # ================================================================ routes: guilds
    @route("GET", "/guilds/{guild_id}")
    async def get_guild(self, call: Call) -> Any:
        guild = self.guild(call)
        data = payloads.guild_base(guild)
        if call.query.get("with_counts") in ("true", "1", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return data

    @route("GET", "/guilds/{guild_id}/channels")
    async def get_guild_channels(self, call: Call) -> Any:
        guild = self.guild(call)
        return [payloads.channel(c) for c in guild.channels.values() if not c.is_thread]

    @route("POST", "/guilds/{guild_id}/channels")
    async def create_guild_channel(self, call: Call) -> Any:
        guild = self.guild(call)
        body = call.body
        self.require(guild, None, P.MANAGE_CHANNELS)
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise ApiError.form({"name": ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")})
        kind = int(body.get("type") or 0)
        if kind not in (0, 2, 4, 5, 13, 15, 16):
            raise ApiError.form({"type": ("BASE_TYPE_CHOICES", "Value must be one of (0, 2, 4, 5, 13, 15, 16).")})
        parent_id = int(body["parent_id"]) if body.get("parent_id") else None
        if parent_id is not None:
            parent = guild.channels.get(parent_id)
            if parent is None or parent.type != 4:
                raise ApiError.form({"parent_id": ("CHANNEL_PARENT_INVALID", "Not a category")})
        overwrites: list[Overwrite] = []
        if body.get("permission_overwrites"):
            overwrites = self._apply_overwrites(guild, None, body["permission_overwrites"])
        position = body.get("position")
        if position is None:
            position = max((c.position for c in guild.channels.values() if not c.is_thread), default=-1) + 1
        channel = Channel(
            id=self.world.new_id(),
            type=kind,
            name=name,
            guild_id=guild.id,
            position=int(position),
            parent_id=parent_id,
            overwrites=overwrites,
            topic=body.get("topic"),
            nsfw=bool(body.get("nsfw")),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            bitrate=int(body.get("bitrate") or 64000),
            user_limit=int(body.get("user_limit") or 0),
            available_tags=list(body.get("available_tags") or []),
        )
        guild.channels[channel.id] = channel
        self.world.channels[channel.id] = channel
        self.double.dispatch_guild_event(guild, "CHANNEL_CREATE", payloads.channel(channel))
        return Reply(payloads.channel(channel), 201)

    @route("PATCH", "/guilds/{guild_id}/channels")
    async def move_channels(self, call: Call) -> Any:
        guild = self.guild(call)
        self.require(guild, None, P.MANAGE_CHANNELS)
        changed: list[Channel] = []
        for entry in call.json or []:
            ch = guild.channels.get(int(entry["id"]))
            if ch is None:
                raise unknown("channel")
            if entry.get("position") is not None:
                ch.position = int(entry["position"])
            if "parent_id" in entry:
                ch.parent_id = int(entry["parent_id"]) if entry["parent_id"] else None
            if entry.get("lock_permissions") and ch.parent_id:
                ch.overwrites = [
                    Overwrite(o.id, o.type, o.allow, o.deny) for o in guild.channels[ch.parent_id].overwrites
                ]
            changed.append(ch)
        for ch in changed:
            self.double.dispatch_guild_event(guild, "CHANNEL_UPDATE", payloads.channel(ch))
        return None

    # ---------------------------------------------------------------- roles
    @route("GET", "/guilds/{guild_id}/roles")
    async def get_roles(self, call: Call) -> Any:
        guild = self.guild(call)
        return [payloads.role(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)]

    def _role(self, guild: Guild, call: Call) -> Role:
        role = guild.roles.get(call.int_param("role_id"))
        if role is None:
            raise unknown("role")
        return role

    @route("GET", "/guilds/{guild_id}/roles/{role_id}")
    async def get_role(self, call: Call) -> Any:
        guild = self.guild(call)
        return payloads.role(self._role(guild, call))

    def _check_role_permissions(self, guild: Guild, perms: int) -> None:
        bot_perms = self.bot_perms(guild)
        if not bot_perms & P.ADMINISTRATOR and perms & ~bot_perms:
            raise missing_permissions()

    @route("POST", "/guilds/{guild_id}/roles")
    async def create_role(self, call: Call) -> Any:
        guild = self.guild(call)
        self.require(guild, None, P.MANAGE_ROLES)
        body = call.body
        if len(guild.roles) >= 250:
            raise ApiError(400, 30005, "Maximum number of guild roles reached (250)")
        perms = int(body.get("permissions") or guild.everyone_role.permissions)
        self._check_role_permissions(guild, perms)
        for r in guild.roles.values():
            if r.position >= 1 and r.id != guild.id:
                r.position += 1
        colors = body.get("colors") or {}
        role = Role(
            id=self.world.new_id(),
            guild_id=guild.id,
            name=str(body.get("name") or "new role"),
            permissions=perms,
            color=int(body.get("color") or colors.get("primary_color") or 0),
            position=1,
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
        )
        guild.roles[role.id] = role
        self.double.dispatch_guild_event(
            guild, "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
        )
        return payloads.role(role)

    @route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
    async def edit_role(self, call: Call) -> Any:
        guild = self.guild(call)
        self.require(guild, None, P.MANAGE_ROLES)
        role = self._role(guild, call)
        self.role_below_bot(guild, role)
        body = call.body
        if "permissions" in body and body["permissions"] is not None:
            self._check_role_permissions(guild, int(body["permissions"]))
            role.permissions = int(body["permissions"])
        for key in ("name", "hoist", "mentionable", "color"):
            if key in body and body[key] is not None:
                setattr(role, key, body[key])
        if body.get("colors"):
            role.color = int(body["colors"].get("primary_color") or 0)
        self.double.dispatch_guild_event(
            guild, "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
        )
        return payloads.role(role)

    @route("PATCH", "/guilds/{guild_id}/roles")
    async def move_roles(self, call: Call) -> Any:
        guild = self.guild(call)
        self.require(guild, None, P.MANAGE_ROLES)
        bot_top = self.world.top_role_position(guild, self.bot_member(guild))
        for entry in call.json or []:
            role = guild.roles.get(int(entry["id"]))
            if role is None:
                raise unknown("role")
            if role.position >= bot_top or int(entry.get("position") or 0) >= bot_top:
                raise missing_permissions()
            role.position = int(entry.get("position") or 0)
        for role in guild.roles.values():
            self.double.dispatch_guild_event(
                guild, "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
            )
        return [payloads.role(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)]

    @route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
    async def delete_role(self, call: Call) -> Any:
        guild = self.guild(call)
        self.require(guild, None, P.MANAGE_ROLES)
        role = self._role(guild, call)
        if role.id == guild.id or role.managed:
            raise ApiError(400, 50028, "Invalid Role")
        self.role_below_bot(guild, role)
        del guild.roles[role.id]
        for m in guild.members.values():
            if role.id in m.role_ids:
                m.role_ids.remove(role.id)
        self.double.dispatch_guild_event(
            guild, "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}
        )
        return None

    # ---------------------------------------------------------------- members
    def _member(self, guild: Guild, call: Call) -> Member:
        uid = call.int_param("user_id")
        member = guild.members.get(uid)
        if member is None:
            if uid not in self.world.users:
                raise unknown("user")
            raise unknown("member")
        return member

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def get_member(self, call: Call) -> Any:
        guild = self.guild(call)
        return payloads.member(self._member(guild, call))

    @route("GET", "/guilds/{guild_id}/members")
    async def list_members(self, call: Call) -> Any:
        guild = self.guild(call)
        limit = int(call.query.get("limit", 1))
        after = int(call.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id)
        return [payloads.member(m) for m in members[:limit]]

    def _member_updated(self, guild: Guild, member: Member) -> None:
        self.double.dispatch_guild_event(guild, "GUILD_MEMBER_UPDATE", payloads.member_with_guild(member))

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def add_member_role(self, call: Call) -> Any:
        guild = self.guild(call)
        member = self._member(guild, call)
        role = self._role(guild, call)
        self.require(guild, None, P.MANAGE_ROLES)
        self.role_below_bot(guild, role)
        if role.managed or role.id == guild.id:
            raise ApiError(400, 50028, "Invalid Role")
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            self._member_updated(guild, member)
        return None

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def remove_member_role(self, call: Call) -> Any:
        guild = self.guild(call)
        member = self._member(guild, call)
        role = self._role(guild, call)
        self.require(guild, None, P.MANAGE_ROLES)
        self.role_below_bot(guild, role)
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            self._member_updated(guild, member)
        return None

    @route("PATCH", "/guilds/{guild_id}/members/{user_id}")
    async def edit_member(self, call: Call) -> Any:
        guild = self.guild(call)
        member = self._member(guild, call)
        body = call.body
        if "roles" in body:
            self.require(guild, None, P.MANAGE_ROLES)
            new_ids = [int(r) for r in body["roles"] or []]
            for rid in set(new_ids) ^ set(member.role_ids):
                role = guild.roles.get(rid)
                if role is None:
                    raise unknown("role")
                self.role_below_bot(guild, role)
            member.role_ids = new_ids
        if "nick" in body:
            self.require(guild, None, P.MANAGE_NICKNAMES)
            member.nick = body["nick"]
        if "communication_disabled_until" in body:
            self.require(guild, None, P.MODERATE_MEMBERS)
            v = body["communication_disabled_until"]
            member.communication_disabled_until = parse_iso(v) if v else None
        self._member_updated(guild, member)
        return payloads.member(member)

    # ---------------------------------------------------------------- scheduled events
    def _event(self, guild: Guild, call: Call) -> ScheduledEvent:
        ev = guild.scheduled_events.get(call.int_param("event_id"))
        if ev is None:
            raise unknown("event")
        return ev

    def _require_event_perms(self, guild: Guild, channel: Channel | None, *, creator_id: int | None = None) -> None:
        perms = self.bot_perms(guild, channel)
        if has(perms, P.MANAGE_EVENTS):
            return
        if creator_id in (None, self.double.bot_user.id) and has(perms, P.CREATE_EVENTS):
            return
        raise missing_permissions()

    def _event_channel(self, guild: Guild, body: dict[str, Any], entity_type: int) -> Channel | None:
        if entity_type == 3:
            return None
        cid = body.get("channel_id")
        if not cid:
            raise ApiError.form({"channel_id": ("BASE_TYPE_REQUIRED", "This field is required")})
        ch = guild.channels.get(int(cid))
        if ch is None:
            raise unknown("channel")
        if (entity_type == 1 and ch.type != 13) or (entity_type == 2 and ch.type != 2):
            raise ApiError.form(
                {"channel_id": ("GUILD_SCHEDULED_EVENT_INVALID_CHANNEL", "Channel type does not match")}
            )
        return ch

    @route("GET", "/guilds/{guild_id}/scheduled-events")
    async def list_events(self, call: Call) -> Any:
        guild = self.guild(call)
        counts = call.query.get("with_user_count") in ("true", "1", "True")
        return [
            payloads.scheduled_event(self.world, e, with_user_count=counts) for e in guild.scheduled_events.values()
        ]

    @route("POST", "/guilds/{guild_id}/scheduled-events")
    async def create_event(self, call: Call) -> Any:
        guild = self.guild(call)
        body = call.body
        entity_type = int(body.get("entity_type") or 0)
        if entity_type not in (1, 2, 3):
            raise ApiError.form({"entity_type": ("BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3).")})
        channel = self._event_channel(guild, body, entity_type)
        self._require_event_perms(guild, channel)
        errors: dict[str, tuple[str, str]] = {}
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            errors["name"] = ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if len(body.get("description") or "") > 1000:
            errors["description"] = ("BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length.")
        start_raw = body.get("scheduled_start_time")
        if not start_raw:
            errors["scheduled_start_time"] = ("BASE_TYPE_REQUIRED", "This field is required")
        elif parse_iso(start_raw) < datetime.now(UTC):
            errors["scheduled_start_time"] = (
                "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                "Cannot schedule event in the past.",
            )
        end_raw = body.get("scheduled_end_time")
        if entity_type == 3:
            if not (body.get("entity_metadata") or {}).get("location"):
                errors["entity_metadata.location"] = ("BASE_TYPE_REQUIRED", "This field is required")
            errors.update(_event_location_errors(body))
            if not end_raw:
                errors["scheduled_end_time"] = ("BASE_TYPE_REQUIRED", "This field is required")
        if start_raw and end_raw and parse_iso(end_raw) <= parse_iso(start_raw):
            errors["scheduled_end_time"] = (
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "End time must be after start time.",
            )
        if errors:
            raise ApiError.form(errors)
        if sum(1 for e in guild.scheduled_events.values() if e.is_uncompleted) >= self.double.max_scheduled_events:
            raise ApiError(400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)")
        ev = ScheduledEvent(
            id=self.world.new_id(),
            guild_id=guild.id,
            name=name,
            scheduled_start_time=str(start_raw),
            scheduled_end_time=end_raw,
            entity_type=entity_type,
            privacy_level=int(body.get("privacy_level") or 2),
            channel_id=channel.id if channel else None,
            creator_id=self.double.bot_user.id,
            description=body.get("description"),
            entity_metadata=body.get("entity_metadata") if entity_type == 3 else None,
            recurrence_rule=body.get("recurrence_rule"),
            image="image-hash" if body.get("image") else None,
        )
        guild.scheduled_events[ev.id] = ev
        data = payloads.scheduled_event(self.world, ev)
        self.double.dispatch_guild_event(guild, "GUILD_SCHEDULED_EVENT_CREATE", data)
        return data

    @route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def get_event(self, call: Call) -> Any:
        guild = self.guild(call)
        return payloads.scheduled_event(self.world, self._event(guild, call))

    @route("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def edit_event(self, call: Call) -> Any:
        guild = self.guild(call)
        ev = self._event(guild, call)
        body = call.body
        entity_type = int(body.get("entity_type") or ev.entity_type)
        channel = guild.channels.get(ev.channel_id) if ev.channel_id else None
        if "channel_id" in body or "entity_type" in body:
            channel = self._event_channel(guild, {**{"channel_id": ev.channel_id}, **body}, entity_type)
        self._require_event_perms(guild, channel, creator_id=ev.creator_id)
        if "status" in body:
            new = int(body["status"])
            valid = {1: {2, 4}, 2: {3}}.get(ev.status, set())
            if new != ev.status and new not in valid:
                raise ApiError.form(
                    {
                        "status": (
                            "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                            f"Cannot change status from {ev.status} to {new}",
                        )
                    }
                )
            ev.status = new
        errors = _event_location_errors(body)
        if "name" in body and not 1 <= len(str(body["name"] or "")) <= 100:
            errors["name"] = ("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if len(body.get("description") or "") > 1000:
            errors["description"] = ("BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length.")
        if errors:
            raise ApiError.form(errors)
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "privacy_level",
            "entity_metadata",
            "recurrence_rule",
        ):
            if key in body:
                setattr(ev, key, body[key])
        ev.entity_type = entity_type
        ev.channel_id = channel.id if channel and entity_type != 3 else None
        if entity_type != 3:
            ev.entity_metadata = None
        data = payloads.scheduled_event(self.world, ev)
        self.double.dispatch_guild_event(guild, "GUILD_SCHEDULED_EVENT_UPDATE", data)
        return data

    @route("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def delete_event(self, call: Call) -> Any:
        guild = self.guild(call)
        ev = self._event(guild, call)
        channel = guild.channels.get(ev.channel_id) if ev.channel_id else None
        self._require_event_perms(guild, channel, creator_id=ev.creator_id)
        data = payloads.scheduled_event(self.world, ev)
        del guild.scheduled_events[ev.id]
        self.double.dispatch_guild_event(guild, "GUILD_SCHEDULED_EVENT_DELETE", data)
        return None

    @route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}/users")
    async def event_users(self, call: Call) -> Any:
        guild = self.guild(call)
        ev = self._event(guild, call)
        limit = int(call.query.get("limit", 100))
        ids = sorted(ev.subscriber_ids)
        if "after" in call.query:
            ids = [i for i in ids if i > int(call.query["after"])]
        if "before" in call.query:
            ids = [i for i in ids if i < int(call.query["before"])][-limit:]
        with_member = call.query.get("with_member") in ("true", "1", "True")
        out = []
        for uid in ids[:limit]:
            user: User | None = self.world.users.get(uid)
            if user is None:
                continue
            entry: dict[str, Any] = {"guild_scheduled_event_id": str(ev.id), "user": payloads.user(user)}
            if with_member and uid in guild.members:
                entry["member"] = payloads.member(guild.members[uid], with_user=False)
            out.append(entry)
        return out


def _event_location_errors(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Discord refuses an external event's location over 100 characters."""
    location = (body.get("entity_metadata") or {}).get("location") or ""
    if len(location) > 100:
        return {"entity_metadata.location": ("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")}
    return {}
