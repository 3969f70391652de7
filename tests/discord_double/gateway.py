"""The gateway: websocket connections and resumable sessions.

A :class:`GatewayConnection` is one websocket. A :class:`GatewaySession` is the
logical session created by IDENTIFY; it outlives its connection so the bot can
RESUME and get the events it missed replayed (Discord keeps them too). Every
outgoing frame goes through the connection's queue, which keeps frames in order
and lets synchronous code (``double.add_channel(...)``) dispatch events.

Frames are plain JSON text: discord.py's ``DiscordWebSocket.received_message``
only decompresses ``bytes`` frames, so ``compress=zlib-stream`` can be ignored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads

if TYPE_CHECKING:
    from .server import DiscordDouble

log = logging.getLogger("discord_double.gateway")

# Opcodes
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

HEARTBEAT_INTERVAL_MS = 41250


class Intents:
    """Gateway intent bits the double cares about."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16

    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


def required_intent(event: str) -> int | None:
    """Which intent a dispatch needs (None: always sent). From Discord's intents table."""
    if event.startswith(("GUILD_SCHEDULED_EVENT_",)):
        return Intents.GUILD_SCHEDULED_EVENTS
    if event in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE"):
        return Intents.GUILD_MEMBERS
    if event == "VOICE_STATE_UPDATE":
        return Intents.GUILD_VOICE_STATES
    if event.startswith(("GUILD_", "CHANNEL_", "THREAD_", "STAGE_INSTANCE_")):
        return Intents.GUILDS
    if event.startswith("MESSAGE_"):
        return Intents.GUILD_MESSAGES
    return None


class GatewayConnection:
    """One websocket; an ordered outbox drained by a writer task."""

    def __init__(
        self, ws: web.WebSocketResponse, on_written: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self.ws = ws
        #: Called with each frame once it has been written to the socket.
        self.on_written = on_written
        self._outbox: asyncio.Queue[dict[str, Any] | asyncio.Future[None] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="discord-double-gateway-writer")
        self.session: GatewaySession | None = None
        self.closed = False

    def send(self, payload: dict[str, Any]) -> None:
        if not self.closed:
            self._outbox.put_nowait(payload)

    async def drain(self) -> None:
        """Wait until everything queued so far has been written to the socket."""
        if self.closed:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.put_nowait(fut)
        await fut

    async def _write_loop(self) -> None:
        while True:
            item = await self._outbox.get()
            if item is None:
                return
            if isinstance(item, asyncio.Future):
                if not item.done():
                    item.set_result(None)
                continue
            if self.closed or self.ws.closed:
                continue
            try:
                await self.ws.send_str(json.dumps(item))
            except (ConnectionError, RuntimeError) as exc:  # peer went away
                log.debug("gateway write failed: %s", exc)
                self.closed = True
                continue
            if self.on_written is not None:
                self.on_written(item)

    async def close(self, code: int = 1000, message: str = "") -> None:
        self.closed = True
        self._outbox.put_nowait(None)
        if not self.ws.closed:
            await self.ws.close(code=code, message=message.encode())
        await asyncio.gather(self._writer, return_exceptions=True)
        # release anyone waiting in drain()
        while not self._outbox.empty():
            item = self._outbox.get_nowait()
            if isinstance(item, asyncio.Future) and not item.done():
                item.set_result(None)


@dataclass(eq=False)
class GatewaySession:
    """A session created by IDENTIFY: shard, intents, sequence and replay history."""

    session_id: str
    shard_id: int
    shard_count: int
    intents: int
    large_threshold: int = 50
    seq: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    #: READY and every initial GUILD_CREATE have been written to the socket.
    ready: bool = False
    #: Every dispatch sent (event name, data) for assertions in tests.
    dispatched: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def wants(self, event: str) -> bool:
        needed = required_intent(event)
        return needed is None or bool(self.intents & needed)

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Queue a DISPATCH; kept in history so a RESUME can replay it."""
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.history.append(frame)
        self.dispatched.append((event, data))
        if self.connection is not None:
            self.connection.send(frame)


class GatewayServer:
    """Handles ``/gateway`` websockets for a :class:`DiscordDouble`."""

    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.connections: set[GatewayConnection] = set()
        #: All sessions by id (for RESUME).
        self.sessions: dict[str, GatewaySession] = {}
        #: The current session of each shard id (the one dispatches go to).
        self.shards: dict[int, GatewaySession] = {}
        #: Raw frames the bot sent (op, d) — useful to assert presence / voice updates.
        self.received: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, self._written)
        self.connections.add(conn)
        conn.send({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
                elif msg.type == WSMsgType.BINARY:
                    await self._on_frame(conn, json.loads(msg.data.decode()))
                elif msg.type == WSMsgType.ERROR:
                    break
                if conn.closed:
                    break
        finally:
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
            await conn.close()
            self.connections.discard(conn)
            self.double._notifier.notify()
        return ws

    def _written(self, frame: dict[str, Any]) -> None:
        """Stamp an interaction with the moment its INTERACTION_CREATE reached the socket."""
        if frame.get("t") != "INTERACTION_CREATE":
            return
        result = self.double.interactions.get(int(frame["d"]["id"]))
        if result is not None and result.sent_monotonic is None:
            result.sent_monotonic = time.monotonic()

    async def _on_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        self.received.append(frame)
        if op == HEARTBEAT:
            conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(conn, data or {})
        elif op == RESUME:
            await self._resume(conn, data or {})
        elif op == REQUEST_GUILD_MEMBERS:
            self._request_members(conn, data or {})
        elif op in (PRESENCE_UPDATE, VOICE_STATE_UPDATE):
            pass  # recorded in self.received
        else:
            log.warning("discord double: unknown gateway opcode %s: %s", op, frame)
            await conn.close(4001, "Unknown opcode")

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        double = self.double
        if conn.session is not None:
            await conn.close(4005, "Already authenticated")
            return
        if data.get("token") != double.token:
            await conn.close(4004, "Authentication failed")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not (0 <= shard_id < shard_count):
            await conn.close(4010, "Invalid shard")
            return
        intents = int(data.get("intents", 0))
        if intents & Intents.PRIVILEGED & ~double.privileged_intents:
            await conn.close(4014, "Disallowed intent(s)")
            return

        session = GatewaySession(
            session_id=secrets.token_hex(16),
            shard_id=shard_id,
            shard_count=shard_count,
            intents=intents,
            large_threshold=int(data.get("large_threshold", 50)),
        )
        old = self.shards.get(shard_id)
        if old is not None and old.connection is not None and old.connection is not conn \
                and not double.parallel_sessions:
            old.connection = None
        self.sessions[session.session_id] = session
        self.shards[shard_id] = session
        session.connection = conn
        conn.session = session
        double.identifies.append((shard_id, shard_count, intents))

        guilds = double.guilds_for_shard(shard_id, shard_count)
        assert double.bot_user is not None
        session.dispatch(
            "READY",
            {
                "v": 10,
                "user": payloads.current_user(double.bot_user),
                "guilds": [payloads.unavailable_guild(g) for g in guilds],
                "session_id": session.session_id,
                "resume_gateway_url": double.gateway_url,
                "shard": [shard_id, shard_count],
                "application": {"id": str(double.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
                "_trace": ["discord-double"],
            },
        )
        for guild in guilds:
            session.dispatch("GUILD_CREATE", double.guild_create_payload(guild, session))
            guild.announced = True
        await conn.drain()
        session.ready = True
        double._notifier.notify()

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if (
            session is None
            or data.get("token") != self.double.token
            or self.shards.get(session.shard_id) is not session
        ):
            conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        seq = int(data.get("seq") or 0)
        if session.connection is not None and session.connection is not conn:
            await session.connection.close(4000, "Session resumed elsewhere")
        session.connection = conn
        conn.session = session
        for frame in session.history:
            if frame["s"] > seq:
                conn.send(frame)
        session.dispatch("RESUMED", {"_trace": ["discord-double"]})
        self.double.resumes += 1
        await conn.drain()
        self.double._notifier.notify()

    def _request_members(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = conn.session
        if session is None:
            return
        guild_ids = data.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        user_ids = {int(u) for u in (data.get("user_ids") or [])}
        for gid in guild_ids:
            guild = self.double.world.guilds.get(int(gid))
            if guild is None:
                continue
            members = list(guild.members.values())
            if user_ids:
                members = [m for m in members if m.user.id in user_ids]
            elif query:
                members = [
                    m
                    for m in members
                    if m.user.username.lower().startswith(query) or (m.nick or "").lower().startswith(query)
                ]
            if limit:
                members = members[:limit]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [payloads.member(m) for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [str(u) for u in user_ids - {m.user.id for m in members}],
            }
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.close(1001, "Discord double stopping")
        self.connections.clear()
