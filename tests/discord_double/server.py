"""``DiscordDouble``: the facade tests use to run and script the fake Discord.

It owns the in-memory :class:`~.state.World`, the aiohttp server (REST under
``/api/v10`` and ``/api/v9``, the gateway at ``/gateway``, uploaded files under
``/attachments``), and the scripting API: build a world (``add_guild`` …),
act as users (``invoke``, ``click``, ``select``, ``submit_modal`` …) and
inspect what the bot did (``messages``, ``requests`` …).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aiohttp import web

from . import payloads
from .gateway import GatewayServer, GatewaySession, Intents
from .interactions import (
    CommandNotRegistered,
    CommandNotVisible,
    InteractionError,
    InteractionNotAcknowledged,
    InteractionResult,
    InvalidOption,
    ResolvedBuilder,
    base_payload,
    build_options,
    find_command,
    nest_options,
    new_token,
    walk_path,
)
from .permissions import (
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    P,
    base_permissions,
    channel_permissions,
    has,
)
from .rest import Fault, RecordedRequest, RestApi, route_key
from .state import (
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    User,
    World,
)
from .waiting import Notifier

log = logging.getLogger("discord_double")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

OverwriteSpec = Sequence[Overwrite] | Mapping[Role | Member | User, tuple[int, int]] | None


class DiscordDouble:
    """A fake Discord (REST v10 + gateway) on 127.0.0.1 for end-to-end bot tests."""

    def __init__(
        self,
        token: str = "test-token",
        *,
        shard_count: int = 1,
        callback_deadline: float = 3.0,
        bot_name: str = "Recovery Bot",
    ) -> None:
        self.world = World()
        self.token = token
        #: What GET /gateway/bot recommends.
        self.shard_count = shard_count
        #: Seconds the bot has for the initial interaction callback (Discord: 3).
        self.callback_deadline = callback_deadline
        #: Privileged intents "enabled in the developer portal" (others -> close 4014).
        self.privileged_intents = Intents.PRIVILEGED
        #: Discord's limit of uncompleted scheduled events per guild.
        self.max_scheduled_events = 100
        #: True: an IDENTIFY for a shard leaves that shard's earlier session connected (two processes on
        #: one token, as bench/hot_path.py runs the bot and a bare floor bot). Dispatches go to the newest
        #: session; ``invoke(session=...)`` reaches another.
        self.parallel_sessions = False

        self.application_id = self.world.new_id()
        # Modern applications: the bot user's id equals the application id.
        self.bot_user = User(id=self.application_id, username=bot_name, bot=True)
        self.owner_user = User(id=self.world.new_id(), username="app-owner")
        self.world.bot_user = self.bot_user
        for u in (self.bot_user, self.owner_user):
            self.world.users[u.id] = u

        #: Every HTTP request the bot made, in order.
        self.requests: list[RecordedRequest] = []
        #: (method, path) of requests to routes the double does not implement.
        self.unknown_routes: list[tuple[str, str]] = []
        #: Requests whose handler crashed (a bug in the double).
        self.handler_errors: list[str] = []
        #: Number of command registrations (bulk PUTs and single POSTs).
        self.command_registrations = 0
        #: Interactions sent to the bot, by id and by token.
        self.interactions: dict[int, InteractionResult] = {}
        self.interactions_by_token: dict[str, InteractionResult] = {}
        #: (shard_id, shard_count, intents) of every IDENTIFY.
        self.identifies: list[tuple[int, int, int]] = []
        self.resumes = 0

        self._command_sets: dict[int | None, list[dict[str, Any]]] = {}
        self._faults: list[Fault] = []
        self._notifier = Notifier()
        self._gateway = GatewayServer(self)
        self._rest = RestApi(self)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # ================================================================ lifecycle
    async def start(self) -> DiscordDouble:
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self._rest.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        # Port 0: the OS picks a free port; AppRunner reports what it bound.
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        await self._gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("DiscordDouble not started: await double.start() first")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        """Set ``discord.http.Route.BASE = f"{api_base_url}/v10"``."""
        return f"{self.base_url}/api"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ================================================================ building the world
    def add_user(
        self,
        username: str,
        *,
        dms_open: bool = True,
        bot: bool = False,
        global_name: str | None = None,
        locale: str = "en-US",
    ) -> User:
        user = User(
            id=self.world.new_id(),
            username=username,
            global_name=global_name,
            bot=bot,
            dms_open=dms_open,
            locale=locale,
        )
        self.world.users[user.id] = user
        return user

    def set_dms_open(self, user: User | Member, dms_open: bool) -> None:
        """Closed DMs make the bot's DM sends fail with 403 / 50007."""
        _user(user).dms_open = dms_open

    def add_guild(
        self,
        name: str,
        *,
        owner: User | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        shard_id: int | None = None,
        locale: str = "en-US",
        features: Iterable[str] = (),
        channels: Iterable[str] = (),
    ) -> Guild:
        """A guild the bot is in: @everyone (id == guild id), the owner, and the bot's
        member with its managed integration role carrying ``bot_permissions``; ``channels``
        are text channels it already has (added while the bot runs, the bot joins a
        server that has them, as on Discord).

        ``shard_id``: pick the guild id so it lands on that shard (for ``shard_count``
        as set now) — handy for multi-shard tests.
        """
        gid = self.world.new_id()
        if shard_id is not None:
            count = self._effective_shard_count()
            while (gid >> 22) % count != shard_id:
                gid = self.world.new_id()
        if owner is None:
            owner = self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = Guild(id=gid, name=name, owner_id=owner.id, preferred_locale=locale, features=list(features))
        guild.roles[gid] = Role(id=gid, guild_id=gid, name="@everyone", permissions=everyone_permissions, position=0)
        bot_role = Role(
            id=self.world.new_id(),
            guild_id=gid,
            name=self.bot_user.username,
            permissions=bot_permissions,
            position=1,
            managed=True,
            tags={"bot_id": str(self.bot_user.id)},
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        self.world.guilds[gid] = guild
        guild.members[owner.id] = Member(user=owner, guild_id=gid)
        guild.members[self.bot_user.id] = Member(user=self.bot_user, guild_id=gid, role_ids=[bot_role.id])
        for channel_name in channels:
            self.add_channel(guild, channel_name)
        session = self._session_for(guild)
        if session is not None and session.ready:  # added while the bot runs: the bot joins it now
            session.dispatch("GUILD_CREATE", self.guild_create_payload(guild, session, joined=True))
            guild.announced = True
        return guild

    def add_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        position: int | None = None,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        """A role. Default position: just below the bot's integration role (so the bot
        can manage it); pass ``position`` to put it elsewhere (e.g. above the bot)."""
        if position is None:
            position = 1
        for r in guild.roles.values():
            if r.id != guild.id and r.position >= position:
                r.position += 1
        role = Role(
            id=self.world.new_id(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            color=color,
            position=position,
            hoist=hoist,
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        self.dispatch_guild_event(guild, "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": payloads.role(role)})
        return role

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = 0,
        parent: Channel | None = None,
        overwrites: OverwriteSpec = None,
        topic: str | None = None,
        position: int | None = None,
    ) -> Channel:
        """A guild channel: 0 text, 2 voice, 4 category, 5 news, 13 stage, 15 forum.

        ``overwrites``: a list of :class:`Overwrite`, or ``{role_or_member: (allow, deny)}``.
        """
        if position is None:
            position = sum(1 for c in guild.channels.values() if not c.is_thread and c.type == type)
        channel = Channel(
            id=self.world.new_id(),
            type=type,
            name=name,
            guild_id=guild.id,
            position=position,
            parent_id=parent.id if parent else None,
            topic=topic,
            overwrites=self._overwrites(overwrites),
        )
        guild.channels[channel.id] = channel
        self.world.channels[channel.id] = channel
        self.dispatch_guild_event(guild, "CHANNEL_CREATE", payloads.channel(channel))
        return channel

    def add_thread(
        self,
        parent: Channel,
        name: str,
        *,
        owner: User | Member | None = None,
        type: int = 11,
        members: Iterable[User | Member] = (),
    ) -> Channel:
        guild = self._guild_of(parent)
        owner_user = _user(owner) if owner else self.bot_user
        thread = Channel(
            id=self.world.new_id(), type=type, name=name, guild_id=guild.id, parent_id=parent.id, owner_id=owner_user.id
        )
        thread.thread_member_ids = {owner_user.id, *(_user(m).id for m in members)}
        guild.channels[thread.id] = thread
        self.world.channels[thread.id] = thread
        self.dispatch_guild_event(guild, "THREAD_CREATE", {**payloads.thread(thread), "newly_created": True})
        return thread

    def add_member(self, guild: Guild, user: User, *, roles: Iterable[Role] = (), nick: str | None = None) -> Member:
        member = Member(user=user, guild_id=guild.id, role_ids=[r.id for r in roles], nick=nick)
        guild.members[user.id] = member
        self.dispatch_guild_event(guild, "GUILD_MEMBER_ADD", payloads.member_with_guild(member))
        return member

    def add_scheduled_event(
        self,
        guild: Guild,
        name: str,
        *,
        start: str,
        end: str | None = None,
        channel: Channel | None = None,
        location: str | None = None,
        creator: User | None = None,
        status: int = 1,
    ) -> ScheduledEvent:
        """A pre-existing event (e.g. created by a human); ``start``/``end`` ISO 8601."""
        entity_type = 3 if channel is None else (1 if channel.type == 13 else 2)
        ev = ScheduledEvent(
            id=self.world.new_id(),
            guild_id=guild.id,
            name=name,
            scheduled_start_time=start,
            scheduled_end_time=end,
            entity_type=entity_type,
            status=status,
            channel_id=channel.id if channel else None,
            creator_id=(creator or self.world.users[guild.owner_id]).id,
            entity_metadata={"location": location or "somewhere"} if channel is None else None,
        )
        guild.scheduled_events[ev.id] = ev
        self.dispatch_guild_event(guild, "GUILD_SCHEDULED_EVENT_CREATE", payloads.scheduled_event(self.world, ev))
        return ev

    def attachment(self, filename: str, content: bytes, content_type: str | None = None) -> Attachment:
        """A file a user "uploads" for an ATTACHMENT option; served at ``attachment.url``."""
        att = Attachment(
            id=self.world.new_id(),
            filename=filename,
            content=content,
            content_type=content_type or _guess_type(filename),
            ephemeral=True,
        )
        att.url = f"{self.base_url}/attachments/{att.id}/{filename}"
        self.world.attachments[att.id] = att
        return att

    def _overwrites(self, spec: OverwriteSpec) -> list[Overwrite]:
        if not spec:
            return []
        if isinstance(spec, Mapping):
            out = []
            for target, (allow, deny) in spec.items():
                kind = 0 if isinstance(target, Role) else 1
                out.append(Overwrite(id=target.id, type=kind, allow=int(allow), deny=int(deny)))
            return out
        return list(spec)

    # ================================================================ gateway plumbing
    def _effective_shard_count(self) -> int:
        """The shard count the bot actually identified with (else the recommendation)."""
        for session in self._gateway.shards.values():
            return session.shard_count
        return self.shard_count

    def shard_for(self, guild: Guild | None) -> int:
        """Discord's rule: ``(guild_id >> 22) % shard_count``; DMs go to shard 0."""
        if guild is None:
            return 0
        return (guild.id >> 22) % self._effective_shard_count()

    def _session_for(self, guild: Guild | None) -> GatewaySession | None:
        return self._gateway.shards.get(self.shard_for(guild))

    def sessions(self) -> dict[int, GatewaySession]:
        """Current gateway session per shard id."""
        return dict(self._gateway.shards)

    def guilds_for_shard(self, shard_id: int, shard_count: int) -> list[Guild]:
        return [
            g
            for g in self.world.guilds.values()
            if self.bot_user.id in g.members and (g.id >> 22) % shard_count == shard_id
        ]

    def guild_create_payload(self, guild: Guild, session: GatewaySession, *, joined: bool = False) -> dict[str, Any]:
        """Without GUILD_PRESENCES Discord only includes the bot and voice-connected
        members; the rest come from member chunking (op 8), as on Discord. ``joined``: announce the
        guild as one the bot was just added to (see payloads.guild_create)."""
        members = list(guild.members.values())
        if not (session.intents & Intents.GUILD_PRESENCES and len(members) <= session.large_threshold):
            members = [m for m in members if m.user.id == self.bot_user.id or m.voice_channel_id]
        data = payloads.guild_create(self.world, guild, members, joined=joined)
        if not session.intents & Intents.GUILD_VOICE_STATES:
            data["voice_states"] = []
        return data

    def dispatch_guild_event(self, guild: Guild | None, event: str, data: dict[str, Any]) -> bool:
        """Send ``event`` to the shard owning ``guild`` if the bot was told about the
        guild and its IDENTIFY intents ask for the event. Returns whether it was sent."""
        if guild is not None and not guild.announced:
            return False
        session = self._session_for(guild)
        if session is None or not session.wants(event):
            return False
        session.dispatch(event, data)
        return True

    async def dispatch(self, guild: Guild | None, event: str, data: dict[str, Any]) -> None:
        """Raw escape hatch: dispatch any event to the owning shard and wait until it is
        written to the socket (intents are not checked)."""
        session = self._session_for(guild)
        if session is None:
            raise RuntimeError(f"no gateway session for shard {self.shard_for(guild)}; is the bot connected?")
        session.dispatch(event, data)
        await self.flush()

    async def flush(self) -> None:
        """Wait until every queued gateway frame has been written to its socket."""
        for conn in list(self._gateway.connections):
            await conn.drain()

    async def disconnect(self, shard_id: int = 0, *, code: int = 4000) -> None:
        """Drop a shard's websocket (the session stays resumable) to exercise RESUME."""
        session = self._gateway.shards.get(shard_id)
        if session is not None and session.connection is not None:
            await session.connection.close(code, "closed by discord double")

    # ================================================================ waiting
    async def wait_until_ready(self, timeout: float = 30) -> None:
        """Every shard identified and received all its GUILD_CREATEs."""

        def ready() -> bool:
            count = self._effective_shard_count()
            shards = self._gateway.shards
            return all(s in shards and shards[s].ready and shards[s].connection is not None for s in range(count))

        await self._notifier.wait_for(ready, timeout, "every shard to IDENTIFY and receive its guilds")

    async def wait_for_commands(self, timeout: float = 30, guild: Guild | None = None) -> list[dict[str, Any]]:
        scope = guild.id if guild else None
        await self._notifier.wait_for(
            lambda: scope in self._command_sets,
            timeout,
            f"command registration ({'guild ' + guild.name if guild else 'global'})",
        )
        return self._command_sets[scope]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy; re-checked whenever the double changes."""
        return await self._notifier.wait_for(predicate, timeout, what)

    # ================================================================ inspection
    def commands(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        return list(self._command_sets.get(guild.id if guild else None, []))

    def requests_to(self, method: str, route_template: str) -> list[RecordedRequest]:
        key = route_key(route_template)
        return [r for r in self.requests if r.method == method.upper() and r.route and route_key(r.route) == key]

    def messages(self, channel: Channel | User | Member) -> list[Message]:
        """Messages the bot sent there (no ephemeral, no deleted), oldest first."""
        if isinstance(channel, (User, Member)):
            return self.dms(channel)
        return list(self.world.channel_messages.get(channel.id, []))

    def dms(self, user: User | Member) -> list[Message]:
        cid = self.world.dm_channels.get(_user(user).id)
        return [] if cid is None else list(self.world.channel_messages.get(cid, []))

    async def wait_for_message(
        self,
        channel_or_user: Channel | User | Member,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5,
    ) -> Message:
        """The first message (already sent or new) there that matches ``predicate``."""

        def find() -> Message | None:
            return next((m for m in self.messages(channel_or_user) if predicate is None or predicate(m)), None)

        found = await self._notifier.wait_for(find, timeout, f"a message in {_describe(channel_or_user)}")
        assert found is not None
        return found

    def scheduled_events(self, guild: Guild) -> list[ScheduledEvent]:
        return list(guild.scheduled_events.values())

    def permissions_of(self, member: Member, channel: Channel | None = None) -> int:
        guild = self.world.guilds[member.guild_id]
        return channel_permissions(guild, member, channel)

    def assert_no_unknown_routes(self) -> None:
        assert not self.unknown_routes, f"bot called routes the double does not implement: {self.unknown_routes}"
        assert not self.handler_errors, f"double handlers crashed on: {self.handler_errors}"

    # ================================================================ fault injection
    def fail_next(
        self,
        method: str,
        route_template: str,
        status: int = 500,
        times: int = 1,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (429 gets the
        rate-limit body and headers discord.py understands)."""
        self._faults.append(Fault(method.upper(), route_key(route_template), status, times, retry_after, body))

    def _take_fault(self, method: str, template: str) -> Fault | None:
        key = route_key(template)
        for fault in self._faults:
            if fault.method == method and fault.route_key == key and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ================================================================ users acting
    def _guild_of(self, obj: Channel | Message) -> Guild:
        guild = self.world.guilds.get(obj.guild_id) if obj.guild_id else None
        if guild is None:
            raise InteractionError(f"{obj!r} is not in a guild")
        return guild

    def _context(
        self, user: User | Member, guild: Any, channel: Channel | None
    ) -> tuple[User, Member | None, Guild | None, Channel]:
        """Work out who acts where: a Member implies its guild unless ``guild`` is given;
        ``guild=None`` means the bot's DM with the user."""
        the_user = _user(user)
        if guild is UNSET:
            if channel is not None and channel.guild_id is not None:
                guild = self.world.guilds[channel.guild_id]
            elif isinstance(user, Member):
                guild = self.world.guilds[user.guild_id]
            else:
                guild = None
        if guild is None:
            if channel is not None and not channel.is_dm:
                raise InteractionError("guild=None (a DM) but a guild channel was given")
            return the_user, None, None, self.world.dm_channel(the_user)
        member = guild.members.get(the_user.id)
        if member is None:
            raise InteractionError(f"{the_user.username} is not a member of {guild.name}: double.add_member(...) first")
        if channel is None:
            channel = next(
                (
                    c
                    for c in sorted(guild.channels.values(), key=lambda c: c.position)
                    if c.type == 0 and has(channel_permissions(guild, member, c), P.VIEW_CHANNEL)
                ),
                None,
            )
            if channel is None:
                raise InteractionError(f"no text channel {the_user.username} can see in {guild.name}; pass channel=")
        if channel.guild_id != guild.id:
            raise InteractionError(f"channel {channel.name} is not in guild {guild.name}")
        return the_user, member, guild, channel

    def _command(
        self, path: str, guild: Guild | None, commands: Sequence[dict[str, Any]] | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        parts = path.split()
        if not parts:
            raise InvalidOption("empty command path")
        name, rest = parts[0].lstrip("/"), parts[1:]
        if commands is not None:
            cmd = find_command(list(commands), name)
            if cmd is None:
                raise CommandNotRegistered(f"/{name} is not in the given commands: {[c['name'] for c in commands]}")
            return cmd, rest
        scopes: list[int | None] = ([guild.id] if guild else []) + [None]
        for scope in scopes:
            cmd = find_command(self._command_sets.get(scope, []), name)
            if cmd is not None:
                return cmd, rest
        known = {
            ("global" if s is None else f"guild {s}"): [c["name"] for c in cmds]
            for s, cmds in self._command_sets.items()
        }
        raise CommandNotRegistered(f"/{name} is not registered (registered: {known or 'nothing yet'})")

    def _check_visible(
        self, cmd: dict[str, Any], desc: str, member: Member | None, guild: Guild | None, channel: Channel
    ) -> None:
        contexts = cmd.get("contexts")
        if guild is None:
            if cmd.get("guild_id"):
                raise CommandNotRegistered(f"{desc} is a guild command; it does not exist in DMs")
            if (contexts is not None and 1 not in contexts) or cmd.get("dm_permission") is False:
                raise CommandNotVisible(f"{desc} is not available in DMs (contexts={contexts})")
            return
        assert member is not None
        if contexts is not None and 0 not in contexts:
            raise CommandNotVisible(f"{desc} is not available in guilds (contexts={contexts})")
        perms = channel_permissions(guild, member, channel)
        if not has(perms, P.VIEW_CHANNEL, P.USE_APPLICATION_COMMANDS):
            raise CommandNotVisible(f"{member.user.username} cannot use application commands in #{channel.name}")
        dmp = cmd.get("default_member_permissions")
        if dmp is not None and not has(base_permissions(guild, member), int(dmp)):
            missing = [p.name for p in P if int(dmp) & p and not base_permissions(guild, member) & p]
            raise CommandNotVisible(
                f"{member.user.username} cannot see {desc}: default_member_permissions requires {missing or 'ADMIN'}"
                " (pass bypass_default_permissions=True to exercise the bot's own check)"
            )

    async def _send_interaction(
        self,
        *,
        kind: int,
        data: dict[str, Any],
        description: str,
        user: User,
        member: Member | None,
        guild: Guild | None,
        channel: Channel,
        source_message: Message | None = None,
        timeout: float | None = None,
        locale: str | None = None,
        session: GatewaySession | None = None,
    ) -> InteractionResult:
        interaction_id = self.world.new_id()
        token = new_token()
        payload = base_payload(
            world=self.world,
            interaction_id=interaction_id,
            token=token,
            application_id=self.application_id,
            kind=kind,
            user=user,
            member=member,
            guild=guild,
            channel=channel,
            locale=locale or user.locale,
        )
        payload["data"] = data
        if source_message is not None:
            payload["message"] = payloads.message(self.world, source_message)
        result = InteractionResult(
            id=interaction_id,
            token=token,
            kind=kind,
            description=description,
            payload=payload,
            user=user,
            guild_id=guild.id if guild else None,
            channel_id=channel.id,
            source_message=source_message,
            _double=self,
        )
        session = session or self._session_for(guild)
        if session is None or session.connection is None:
            raise RuntimeError(
                f"cannot send {description}: no connected gateway session for shard {self.shard_for(guild)} "
                "(await double.wait_until_ready() first)"
            )
        self.interactions[interaction_id] = result
        self.interactions_by_token[token] = result
        session.dispatch("INTERACTION_CREATE", payload)
        limit = timeout if timeout is not None else self.callback_deadline + 2
        try:
            await self._notifier.wait_for(
                lambda: result.acknowledged or result.rejected_callbacks, limit, f"the bot's callback to {description}"
            )
        except TimeoutError:
            raise InteractionNotAcknowledged(
                f"the bot sent no interaction callback for {description} (interaction {interaction_id}) "
                f"within {limit:g}s"
            ) from None
        if not result.acknowledged:
            raise InteractionNotAcknowledged(
                f"the bot's callback for {description} was rejected: {result.rejected_callbacks} "
                f"(deadline {self.callback_deadline:g}s)"
            )
        return result

    async def invoke(
        self,
        command: str,
        *,
        user: User | Member,
        guild: Guild | None = UNSET,
        channel: Channel | None = None,
        options: Mapping[str, Any] | None = None,
        bypass_default_permissions: bool = False,
        timeout: float | None = None,
        locale: str | None = None,
        session: GatewaySession | None = None,
        commands: Sequence[dict[str, Any]] | None = None,
    ) -> InteractionResult:
        """Run a slash command as ``user``: ``"name"``, ``"name sub"`` or ``"name group sub"``.

        ``session`` sends it to that gateway session rather than the guild's shard's current one, and
        ``commands`` builds it from that registered set (a snapshot of ``double.commands()``) rather than
        the double's current one: two processes on one token (``parallel_sessions``) each get
        interactions built from the commands they registered."""
        the_user, member, guild, channel = self._context(user, guild, channel)
        cmd, path = self._command(command, guild, commands)
        desc = f"/{command}"
        if not bypass_default_permissions:
            self._check_visible(cmd, desc, member, guild, channel)
        data = self._command_data(cmd, path, desc, options, guild, member, channel)
        return await self._send_interaction(
            kind=2,
            data=data,
            description=desc,
            user=the_user,
            member=member,
            guild=guild,
            channel=channel,
            timeout=timeout,
            locale=locale,
            session=session,
        )

    async def autocomplete(
        self,
        command: str,
        *,
        user: User | Member,
        focused: str,
        guild: Guild | None = UNSET,
        channel: Channel | None = None,
        options: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """Send an autocomplete request (the user is typing into ``focused``); returns the choices."""
        the_user, member, guild, channel = self._context(user, guild, channel)
        cmd, path = self._command(command, guild)
        desc = f"/{command} (autocomplete {focused!r})"
        data = self._command_data(cmd, path, desc, options, guild, member, channel, focused=focused)
        result = await self._send_interaction(
            kind=4,
            data=data,
            description=desc,
            user=the_user,
            member=member,
            guild=guild,
            channel=channel,
            timeout=timeout,
        )
        return list(result.choices or [])

    def _command_data(
        self,
        cmd: dict[str, Any],
        path: list[str],
        desc: str,
        options: Mapping[str, Any] | None,
        guild: Guild | None,
        member: Member | None,
        channel: Channel,
        focused: str | None = None,
    ) -> dict[str, Any]:
        """The interaction's ``data``: options nested along the subcommand path, typed by the
        registered schema, with users/roles/channels in ``resolved`` as Discord sends them."""
        chain, leaf = walk_path(cmd, path)
        resolved = ResolvedBuilder(self.world, guild, member, channel)
        leaf_opts = build_options(desc, leaf, dict(options or {}), resolved, focused=focused)
        options_payload = nest_options(chain, leaf_opts)
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": cmd.get("type", 1),
            "options": options_payload,
        }
        if resolved.data:
            data["resolved"] = resolved.to_dict()
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return data

    def _component_context(
        self, message: Message, user: User | Member
    ) -> tuple[User, Member | None, Guild | None, Channel]:
        if message.deleted:
            raise InteractionError(f"message {message.id} was deleted")
        channel = self.world.channels[message.channel_id]
        guild = self.world.guilds.get(message.guild_id) if message.guild_id else None
        return self._context(user, guild, channel if guild else None)

    def _component(self, message: Message, custom_id: str) -> dict[str, Any]:
        comp = message.find_component(custom_id)
        if comp is None:
            raise InteractionError(f"no component {custom_id!r} on message {message.id}; it has {message.custom_ids()}")
        if comp.get("disabled"):
            raise InteractionError(f"component {custom_id!r} is disabled")
        return comp

    async def click(
        self, message: Message, custom_id: str, *, user: User | Member, timeout: float | None = None,
        session: GatewaySession | None = None, **_: Any
    ) -> InteractionResult:
        """Click the button ``custom_id`` on ``message`` (a message the bot sent). ``session`` sends it to that
        gateway session rather than the guild's shard's current one (a benchmark's second bot)."""
        comp = self._component(message, custom_id)
        if comp.get("type") != 2:
            raise InteractionError(f"{custom_id!r} is not a button (type {comp.get('type')}); use double.select")
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._component_interaction(message, data, f"click {custom_id!r}", user, timeout, session)

    async def select(
        self,
        message: Message,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: User | Member,
        timeout: float | None = None,
        **_: Any,
    ) -> InteractionResult:
        """Pick ``values`` in a select menu: strings for string selects, state objects
        (users/members, roles, channels) for the other select types."""
        comp = self._component(message, custom_id)
        ctype = comp.get("type")
        _user, member, guild, channel = self._component_context(message, user)
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise InteractionError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(values)}")
        resolved = ResolvedBuilder(self.world, guild, member, channel)
        wire: list[str] = []
        if ctype == 3:
            allowed = [o["value"] for o in comp.get("options", [])]
            for v in values:
                if v not in allowed:
                    raise InteractionError(f"select {custom_id!r}: {v!r} is not an option; options: {allowed}")
                wire.append(v)
        elif ctype in (5, 6, 7, 8):
            for v in values:
                if isinstance(v, Role) and ctype in (6, 7):
                    wire.append(str(resolved.role(v)))
                elif isinstance(v, (User, Member)) and ctype in (5, 7):
                    wire.append(str(resolved.user(v)))
                elif isinstance(v, Channel) and ctype == 8:
                    wire.append(str(resolved.channel(v)))
                else:
                    raise InteractionError(f"select {custom_id!r} (type {ctype}) cannot take {v!r}")
        else:
            raise InteractionError(f"{custom_id!r} is not a select menu (type {ctype})")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype, "values": wire}
        if resolved.data:
            data["resolved"] = resolved.to_dict()
        return await self._component_interaction(message, data, f"select {custom_id!r}", user, timeout)

    async def _component_interaction(
        self, message: Message, data: dict[str, Any], description: str, user: User | Member, timeout: float | None,
        session: GatewaySession | None = None,
    ) -> InteractionResult:
        """A component interaction (type 3) on ``message``, in that message's guild and channel."""
        the_user, member, guild, channel = self._component_context(message, user)
        return await self._send_interaction(
            kind=3,
            data=data,
            description=description,
            user=the_user,
            member=member,
            guild=guild,
            channel=channel,
            source_message=message,
            timeout=timeout,
            session=session,
        )

    async def submit_modal(
        self,
        previous: InteractionResult,
        values: Mapping[str, Any],
        *,
        user: User | Member | None = None,
        timeout: float | None = None,
    ) -> InteractionResult:
        """Fill in and submit the modal the bot answered ``previous`` with."""
        modal = previous.modal
        if modal is None:
            raise InteractionError(f"{previous.description} was answered with type {previous.type}, not a modal")
        guild = self.world.guilds.get(previous.guild_id) if previous.guild_id else None
        channel = self.world.channels[previous.channel_id]
        actor: User | Member = user or (guild.members[previous.user.id] if guild else previous.user)
        the_user, member, guild, channel = self._context(actor, guild, channel if guild else None)
        remaining = dict(values)
        desc = f"modal {modal['custom_id']!r}"

        def fill(comp: dict[str, Any]) -> dict[str, Any]:
            ctype = comp.get("type")
            cid: str = comp.get("custom_id") or ""
            if ctype == 4:
                value = remaining.pop(cid, None)
                if value is None:
                    if comp.get("required", True):
                        raise InteractionError(f"{desc}: required field {cid!r} not filled")
                    value = ""
                if not isinstance(value, str):
                    raise InteractionError(f"{desc}: field {cid!r} takes a str, got {value!r}")
                if len(value) > comp.get("max_length", 4000) or (value and len(value) < comp.get("min_length", 0)):
                    raise InteractionError(f"{desc}: field {cid!r} length {len(value)} outside the allowed range")
                return {"type": 4, "custom_id": cid, "value": value, **({"id": comp["id"]} if "id" in comp else {})}
            if ctype in (3, 5, 6, 7, 8):
                picked = remaining.pop(cid, [])
                return {"type": ctype, "custom_id": cid, "values": [str(getattr(v, "id", v)) for v in picked]}
            return {k: v for k, v in comp.items() if k in ("type", "id", "content")}

        components: list[dict[str, Any]] = []
        for top in modal.get("components", []):
            if top.get("type") == 1:
                components.append({"type": 1, "components": [fill(c) for c in top.get("components", [])]})
            elif top.get("type") == 18:
                components.append({"type": 18, "id": top.get("id"), "component": fill(top["component"])})
            else:
                components.append(fill(top))
        if remaining:
            raise InteractionError(f"{desc} has no field(s) {sorted(remaining)}")
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self._send_interaction(
            kind=5,
            data=data,
            description=f"submit {desc}",
            user=the_user,
            member=member,
            guild=guild,
            channel=channel,
            source_message=previous.source_message,
            timeout=timeout,
        )

    # ================================================================ members & voice
    async def member_join(self, guild: Guild, user: User, *, roles: Iterable[Role] = ()) -> Member:
        member = self.add_member(guild, user, roles=roles)
        await self.flush()
        return member

    async def member_leave(self, guild: Guild, user: User | Member) -> None:
        the_user = _user(user)
        member = guild.members.pop(the_user.id, None)
        if member is None:
            raise InteractionError(f"{the_user.username} is not in {guild.name}")
        self.dispatch_guild_event(
            guild, "GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": payloads.user(the_user)}
        )
        await self.flush()

    async def update_member(
        self, member: Member, *, roles: Iterable[Role] | None = None, nick: str | None = UNSET
    ) -> None:
        """A human (not the bot) changed a member's roles or nickname."""
        if roles is not None:
            member.role_ids = [r.id for r in roles]
        if nick is not UNSET:
            member.nick = nick
        self.dispatch_guild_event(
            self.world.guilds[member.guild_id], "GUILD_MEMBER_UPDATE", payloads.member_with_guild(member)
        )
        await self.flush()

    async def join_voice(self, member: Member, channel: Channel) -> None:
        if channel.type not in (2, 13):
            raise InteractionError(f"#{channel.name} is not a voice/stage channel")
        member.voice_channel_id = channel.id
        member.voice_session_id = member.voice_session_id or secrets.token_hex(16)
        self.dispatch_guild_event(
            self.world.guilds[member.guild_id], "VOICE_STATE_UPDATE", payloads.voice_state(member)
        )
        await self.flush()

    async def leave_voice(self, member: Member) -> None:
        member.voice_channel_id = None
        self.dispatch_guild_event(
            self.world.guilds[member.guild_id], "VOICE_STATE_UPDATE", payloads.voice_state(member)
        )
        member.voice_session_id = None
        await self.flush()

    async def subscribe_to_event(self, event: ScheduledEvent, user: User | Member) -> None:
        """A user clicks "Interested" on a scheduled event."""
        uid = _user(user).id
        if uid not in event.subscriber_ids:
            event.subscriber_ids.append(uid)
        self.dispatch_guild_event(
            self.world.guilds[event.guild_id],
            "GUILD_SCHEDULED_EVENT_USER_ADD",
            {"guild_scheduled_event_id": str(event.id), "user_id": str(uid), "guild_id": str(event.guild_id)},
        )
        await self.flush()

    # ================================================================ hooks from REST
    def _on_interaction_acknowledged(self, result: InteractionResult) -> None:
        self._notifier.notify()

    def _on_channel_message(self, message: Message) -> None:
        self._notifier.notify()


def _user(obj: User | Member) -> User:
    return obj.user if isinstance(obj, Member) else obj


def _describe(obj: Channel | User | Member) -> str:
    if isinstance(obj, Channel):
        return f"#{obj.name}" if obj.name else f"channel {obj.id}"
    return f"DMs with {_user(obj).username}"


def _guess_type(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


__all__ = [
    "UNSET",
    "CommandNotRegistered",
    "CommandNotVisible",
    "DiscordDouble",
    "InteractionError",
    "InteractionNotAcknowledged",
    "InvalidOption",
]
