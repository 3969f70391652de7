"""fetch_feed against a real aiohttp server on 127.0.0.1: SSRF refusals, redirects, size cap, timeout, statuses.

Names are resolved by a fake resolver, so no test needs DNS or the internet. Tests that must not touch the network
spy on the event loop's connect calls and on the resolver, and assert neither was used.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from bot.services.errors import DomainError
from bot.services.meetings import feed_fetch as feed_fetch
from bot.services.meetings.feed_fetch import (
    ACCEPT,
    USER_AGENT,
    FeedFetchError,
    FetchResult,
    SafeResolver,
    check_url,
    fetch_feed,
    is_public_address,
)

FEED = json.dumps([{"name": "Hope at Noon", "slug": "hope-noon", "day": 1, "time": "12:00"}]).encode()
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
MAX = 1_000_000


@dataclass
class FeedServer:
    port: int = 0
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]

    async def hang(self) -> None:
        # Handlers that must outlive the client's patience wait here; teardown releases them.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.release.wait(), 30)


def _app(server: FeedServer) -> web.Application:
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        server.seen.append((request.path_qs, dict(request.headers)))
        response: web.StreamResponse = await handler(request)
        return response

    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG or request.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.Response(
            body=FEED, content_type="application/json", headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        )

    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(body=FEED, content_type="application/json")
        # Alternate relative and absolute Locations: both kinds must be followed.
        location = str(n - 1) if n % 2 == 0 else server.url(f"/r/{n - 1}")
        return web.Response(status=302, headers={"Location": location})

    async def slow_chain(request: web.Request) -> web.Response:
        # Each hop alone is well within the timeout; only a deadline over the whole fetch catches the sum.
        await asyncio.sleep(0.3)
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(body=FEED)
        return web.Response(status=302, headers={"Location": str(n - 1)})

    async def redirect_to(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.query["url"]})

    async def redirect_nowhere(request: web.Request) -> web.Response:
        return web.Response(status=302)

    async def sized(request: web.Request) -> web.Response:
        return web.Response(body=b"a" * int(request.match_info["n"]))

    async def lying_length(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 10 * MAX
        await response.prepare(request)
        await response.write(b"[")
        await server.hang()
        return response

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        remaining = int(request.match_info["n"])
        while remaining:
            step = min(remaining, 10_000)
            await response.write(b"a" * step)
            remaining -= step
        if "hang" in request.query:
            await server.hang()
        await response.write_eof()
        return response

    async def gzipped(request: web.Request) -> web.Response:
        body = gzip.compress(b"a" * int(request.match_info["n"]))
        return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    async def slow(request: web.Request) -> web.Response:
        await server.hang()
        return web.Response(body=FEED)

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(300):
            await response.write(b" ")
            await asyncio.sleep(0.1)
        return response

    async def cut_off(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b"[{")
        assert request.transport is not None
        request.transport.close()
        return response

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]))

    app = web.Application(middlewares=[web.middleware(record)])
    app.router.add_get("/feed.json", feed)
    app.router.add_get("/r/{n}", chain)
    app.router.add_get("/slow-r/{n}", slow_chain)
    app.router.add_get("/redirect-to", redirect_to)
    app.router.add_get("/redirect-nowhere", redirect_nowhere)
    app.router.add_get("/sized/{n}", sized)
    app.router.add_get("/lying-length", lying_length)
    app.router.add_get("/chunked/{n}", chunked)
    app.router.add_get("/gzip/{n}", gzipped)
    app.router.add_get("/slow", slow)
    app.router.add_get("/trickle", trickle)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/cut-off", cut_off)
    return app


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    state = FeedServer()
    runner = web.AppRunner(_app(state), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = int(runner.addresses[0][1])
    try:
        yield state
    finally:
        state.release.set()
        await runner.cleanup()


class FakeResolver(AbstractResolver):
    """DNS for tests: a fixed name -> addresses table; every lookup is recorded."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = table or {}
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
async def connects(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every outgoing connect the event loop is asked to make (aiohappyeyeballs uses sock_connect)."""
    loop = asyncio.get_running_loop()
    attempts: list[object] = []
    sock_connect, create_connection = loop.sock_connect, loop.create_connection

    async def spy_sock_connect(sock: socket.socket, address: Any) -> None:
        attempts.append(address)
        await sock_connect(sock, address)

    async def spy_create_connection(*args: Any, **kwargs: Any) -> Any:
        attempts.append((args, kwargs))
        return await create_connection(*args, **kwargs)

    monkeypatch.setattr(loop, "sock_connect", spy_sock_connect)
    monkeypatch.setattr(loop, "create_connection", spy_create_connection)
    return attempts


def assert_kind(message: str) -> None:
    """Shown to a moderator as is: plain English, no Python internals."""
    for internal in ("Error", "Exception", "aiohttp", "Traceback", "errno", "Errno"):
        assert internal not in message, message
    assert message[0].isupper(), message


async def refused(url: str, **kwargs: Any) -> str:
    kwargs.setdefault("max_bytes", MAX)
    with pytest.raises(FeedFetchError) as info:
        await fetch_feed(url, **kwargs)
    assert isinstance(info.value, DomainError)
    assert_kind(info.value.message)
    return info.value.message


# ------------------------------------------------------------------------------------------------- loopback


async def test_feed_on_loopback_is_refused_without_allow_private(server: FeedServer, connects: list[object]) -> None:
    message = await refused(server.url("/feed.json"))
    assert "private or local network" in message
    assert connects == []
    assert server.seen == []


async def test_feed_on_loopback_is_fetched_with_allow_private(server: FeedServer, connects: list[object]) -> None:
    result = await fetch_feed(server.url("/feed.json"), max_bytes=MAX, allow_private=True)
    assert result == FetchResult(
        body=FEED, final_url=server.url("/feed.json"), etag=ETAG, last_modified=LAST_MODIFIED, not_modified=False
    )
    headers = server.seen[0][1]
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == ACCEPT
    assert "If-None-Match" not in headers
    assert connects, "the connect spy must see real connections, or its empty lists above prove nothing"


# ---------------------------------------------------------------------------------------------- IP literals

NUMERIC_SPELLING = "unusual way of writing a numeric IP address"
PRIVATE = "private or local network"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1/", PRIVATE),
        ("http://127.0.0.1./", PRIVATE),
        ("http://[::1]/", PRIVATE),
        ("http://[::ffff:127.0.0.1]/", PRIVATE),
        ("http://[::ffff:169.254.169.254]/", PRIVATE),
        ("http://169.254.169.254/latest/meta-data", PRIVATE),
        ("http://10.0.0.1/", PRIVATE),
        ("http://172.16.0.1/", PRIVATE),
        ("http://192.168.1.1/", PRIVATE),
        ("http://100.64.0.1/", PRIVATE),
        ("http://0.0.0.0/", PRIVATE),
        ("http://224.0.0.1/", PRIVATE),  # multicast: ipaddress calls it global
        ("http://[fe80::1]/", PRIVATE),
        ("http://[fe80::1%25eth0]/", PRIVATE),
        ("http://[2606:4700::1%25eth0]/", PRIVATE),  # a zone id names an interface of the bot's own host
        ("http://[fc00::1]/", PRIVATE),
        ("http://[fec0::1]/", PRIVATE),  # site-local: ipaddress calls it global
        ("http://[2002:7f00:1::]/", PRIVATE),  # 6to4 wrapping 127.0.0.1
        ("http://[64:ff9b::a00:1]/", PRIVATE),  # NAT64 wrapping 10.0.0.1
        ("http://2130706433/", NUMERIC_SPELLING),
        ("http://0x7f.1/", NUMERIC_SPELLING),
        ("http://0177.0.0.1/", NUMERIC_SPELLING),
        ("http://127.1/", NUMERIC_SPELLING),
        ("http://0x7f000001/", NUMERIC_SPELLING),
        ("http://127%2E0%2E0%2E1/", "host name I can't read"),
    ],
)
async def test_internal_ip_literals_are_refused_without_connecting(
    url: str, expected: str, connects: list[object]
) -> None:
    resolver = FakeResolver()
    assert expected in await refused(url, resolver=resolver)
    assert connects == []
    assert resolver.calls == []


async def test_odd_numeric_spellings_are_refused_even_with_allow_private(connects: list[object]) -> None:
    assert NUMERIC_SPELLING in await refused("http://0x7f.1/", allow_private=True)
    assert connects == []


@given(st.ip_addresses(v=4))
def test_ipv4_mapped_ipv6_is_judged_like_the_ipv4_inside(address: ipaddress.IPv4Address) -> None:
    def allowed(url: str) -> bool:
        try:
            check_url(url, allow_private=False)
        except FeedFetchError:
            return False
        return True

    plain = allowed(f"http://{address}/")
    assert plain == allowed(f"http://[::ffff:{address}]/")
    assert plain == is_public_address(address)
    if plain:
        assert address.is_global
        assert not address.is_multicast


# ------------------------------------------------------------------------------------------------- resolver


async def test_name_resolving_to_loopback_is_refused(connects: list[object]) -> None:
    resolver = FakeResolver({"feeds.example.org": ["127.0.0.1"]})
    message = await refused("http://feeds.example.org/feed.json", resolver=resolver)
    assert PRIVATE in message
    assert resolver.calls == ["feeds.example.org"]
    assert connects == []


async def test_name_with_any_private_address_is_refused(connects: list[object]) -> None:
    resolver = FakeResolver({"feeds.example.org": ["93.184.215.14", "10.1.2.3"]})
    assert PRIVATE in await refused("https://feeds.example.org/feed.json", resolver=resolver)
    assert connects == []


async def test_public_addresses_pass_the_resolver_check() -> None:
    inner = FakeResolver({"feeds.example.org": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})
    results = await SafeResolver(inner, allow_private=False).resolve("feeds.example.org", 443, socket.AF_UNSPEC)
    assert [r["host"] for r in results] == ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]


async def test_the_injected_resolver_is_what_the_connection_uses(server: FeedServer) -> None:
    resolver = FakeResolver({"meetings.example.org": ["127.0.0.1"]})
    url = server.url("/feed.json", host="meetings.example.org")
    result = await fetch_feed(url, max_bytes=MAX, allow_private=True, resolver=resolver)
    assert result.body == FEED
    assert result.final_url == url
    assert resolver.calls == ["meetings.example.org"]
    assert server.seen[0][1]["Host"] == f"meetings.example.org:{server.port}"


async def test_unknown_host_says_it_could_not_be_found() -> None:
    message = await refused("https://no-such-intergroup.example/feed", resolver=FakeResolver())
    assert "couldn't find a website called no-such-intergroup.example" in message


async def test_closed_port_says_it_could_not_connect() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    message = await refused(f"http://127.0.0.1:{port}/feed.json", allow_private=True)
    assert "couldn't connect to 127.0.0.1" in message


# ------------------------------------------------------------------------------------------------ redirects


async def test_redirect_chain_of_five_ends_at_the_feed(server: FeedServer) -> None:
    result = await fetch_feed(server.url("/r/5"), max_bytes=MAX, allow_private=True)
    assert result.body == FEED
    assert result.final_url == server.url("/r/0")
    assert server.paths == ["/r/5", "/r/4", "/r/3", "/r/2", "/r/1", "/r/0"]


async def test_more_than_five_redirects_are_refused(server: FeedServer) -> None:
    message = await refused(server.url("/r/6"), allow_private=True)
    assert "redirected more than 5 times" in message
    assert "/r/0" not in server.paths


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("ftp://127.0.0.1/feed.json", "starting with https:// or http://"),
        ("http://user:pw@127.0.0.1:{port}/feed.json", "user name or password"),
        ("http://0x7f.1:{port}/feed.json", NUMERIC_SPELLING),
        ("file:///etc/passwd", "starting with https:// or http://"),
    ],
)
async def test_each_redirect_hop_is_checked(server: FeedServer, target: str, expected: str) -> None:
    location = target.format(port=server.port)
    message = await refused(str(URL(server.url("/redirect-to")).with_query(url=location)), allow_private=True)
    assert "redirected me to another address, which I won't follow" in message
    assert expected in message
    assert "/feed.json" not in server.paths


async def test_redirect_without_location_is_refused(server: FeedServer) -> None:
    assert "without saying where" in await refused(server.url("/redirect-nowhere"), allow_private=True)


async def test_unreadable_redirect_location_is_refused(server: FeedServer) -> None:
    message = await refused(str(URL(server.url("/redirect-to")).with_query(url="http://[::1")), allow_private=True)
    assert "redirected to an address I can't read" in message


def test_redirect_target_check_refuses_metadata_address() -> None:
    with pytest.raises(FeedFetchError, match="private or local network"):
        check_url("http://169.254.169.254/latest/meta-data", allow_private=False)
    assert check_url("https://example.org/wp-admin/admin-ajax.php?action=meetings#x", allow_private=False) == URL(
        "https://example.org/wp-admin/admin-ajax.php?action=meetings"
    )


@pytest.fixture
def loopback_counts_as_public(server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the test server stand in for "the public internet", so the allow_private=False loop can run end to end.

    Only 127.0.0.1 and the server's port are added to what is allowed; every other rule stays real.
    """
    real = feed_fetch.is_public_address
    monkeypatch.setattr(feed_fetch, "is_public_address", lambda ip: ip == ipaddress.ip_address("127.0.0.1") or real(ip))
    monkeypatch.setattr(feed_fetch, "STANDARD_PORTS", frozenset({80, 443, server.port}))


@pytest.mark.usefixtures("loopback_counts_as_public")
async def test_public_feed_redirecting_to_metadata_is_refused(server: FeedServer) -> None:
    # Control: with the stand-in, an ordinary redirect chain is fetched with allow_private=False.
    assert (await fetch_feed(server.url("/r/2"), max_bytes=MAX)).body == FEED
    message = await refused(
        str(URL(server.url("/redirect-to")).with_query(url="http://169.254.169.254/latest/meta-data"))
    )
    assert "redirected me to another address" in message
    assert PRIVATE in message


@pytest.mark.usefixtures("loopback_counts_as_public")
async def test_public_feed_redirecting_to_an_internal_name_is_refused(server: FeedServer) -> None:
    resolver = FakeResolver({"public.example": ["127.0.0.1"], "intranet.example": ["10.0.0.5"]})
    start = server.url("/redirect-to", host="public.example")
    location = f"http://intranet.example:{server.port}/feed.json"
    message = await refused(str(URL(start).with_query(url=location)), resolver=resolver)
    assert PRIVATE in message
    assert resolver.calls == ["public.example", "intranet.example"]
    assert server.paths == [str(URL("/redirect-to").with_query(url=location))]


# ------------------------------------------------------------------------------------------------------ size


async def test_body_over_the_limit_with_content_length_is_refused(server: FeedServer) -> None:
    message = await refused(server.url(f"/sized/{MAX + 1}"), allow_private=True)
    assert "bigger than the 1 MB limit" in message


async def test_content_length_over_the_limit_is_refused_before_reading(server: FeedServer) -> None:
    # The server sends one byte and then stalls: only an up-front check can answer before the timeout.
    started = time.monotonic()
    assert "1 MB limit" in await refused(server.url("/lying-length"), allow_private=True, timeout=5)
    assert time.monotonic() - started < 2


async def test_chunked_body_over_the_limit_is_refused_as_soon_as_it_passes_it(server: FeedServer) -> None:
    # No Content-Length, and the server stalls after MAX + 1 bytes: the cap must trigger while streaming.
    started = time.monotonic()
    assert "1 MB limit" in await refused(server.url(f"/chunked/{MAX + 1}?hang=1"), allow_private=True, timeout=5)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", [f"/sized/{MAX}", f"/chunked/{MAX}", f"/gzip/{MAX}"])
async def test_body_of_exactly_the_limit_is_accepted(server: FeedServer, path: str) -> None:
    result = await fetch_feed(server.url(path), max_bytes=MAX, allow_private=True)
    assert result.body == b"a" * MAX


async def test_limit_applies_to_decompressed_bytes(server: FeedServer) -> None:
    assert len(gzip.compress(b"a" * (MAX + 1))) < MAX // 100
    assert "1 MB limit" in await refused(server.url(f"/gzip/{MAX + 1}"), allow_private=True)


# --------------------------------------------------------------------------------------------------- timeout


@pytest.mark.parametrize("path", ["/slow", "/trickle"])
async def test_slow_server_times_out(server: FeedServer, path: str) -> None:
    started = time.monotonic()
    message = await refused(server.url(path), allow_private=True, timeout=0.5)
    assert "didn't answer within 0.5 seconds" in message
    assert time.monotonic() - started < 2


async def test_timeout_covers_the_whole_redirect_chain(server: FeedServer) -> None:
    started = time.monotonic()
    message = await refused(server.url("/slow-r/4"), allow_private=True, timeout=0.5)
    assert "didn't answer within 0.5 seconds" in message
    assert time.monotonic() - started < 1


# -------------------------------------------------------------------------------------------------- statuses


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (404, "not found at that address (HTTP 404)"),
        (410, "not found at that address (HTTP 410)"),
        (401, "site refused"),
        (403, "site refused"),
        (500, "site had a problem answering (HTTP 500)"),
        (503, "site had a problem answering (HTTP 503)"),
        (418, "unexpected answer (HTTP 418)"),
        (304, "unexpected answer (HTTP 304)"),  # 304 to a request that wasn't conditional
    ],
)
async def test_error_statuses_have_clear_messages(server: FeedServer, code: int, expected: str) -> None:
    assert expected in await refused(server.url(f"/status/{code}"), allow_private=True)


async def test_connection_cut_off_mid_body_is_explained(server: FeedServer) -> None:
    assert "broke off before the feed was downloaded" in await refused(server.url("/cut-off"), allow_private=True)


async def test_conditional_request_with_etag_gets_not_modified(server: FeedServer) -> None:
    first = await fetch_feed(server.url("/feed.json"), max_bytes=MAX, allow_private=True)
    second = await fetch_feed(server.url("/feed.json"), max_bytes=MAX, allow_private=True, etag=first.etag)
    assert second == FetchResult(
        body=None, final_url=server.url("/feed.json"), etag=ETAG, last_modified=None, not_modified=True
    )
    assert server.seen[1][1]["If-None-Match"] == ETAG


async def test_conditional_request_with_last_modified_gets_not_modified(server: FeedServer) -> None:
    result = await fetch_feed(server.url("/feed.json"), max_bytes=MAX, allow_private=True, last_modified=LAST_MODIFIED)
    assert result.not_modified
    assert result.body is None
    assert result.last_modified == LAST_MODIFIED  # the server's 304 omitted it, so the one we sent comes back
    assert server.seen[0][1]["If-Modified-Since"] == LAST_MODIFIED


# -------------------------------------------------------------------------------------------------- bad URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://x", "starting with https:// or http://"),
        ("file:///etc/passwd", "starting with https:// or http://"),
        ("javascript:alert(1)", "starting with https:// or http://"),
        ("http://", "no site name"),
        ("http://user:pw@example.org/", "user name or password"),
        ("http://@example.org/", "user name or password"),
        ("http://example.org/" + "a" * 2981, "too long (over 2,000 characters)"),
        ("http://example.org:22/", "uses port 22"),
        ("http://example.org:99999/", "doesn't look like a valid web address"),
        ("http://exa mple.org/", "spaces"),
        ("http://example.org\\@127.0.0.1/", "spaces or other characters"),
    ],
)
async def test_bad_urls_are_refused_without_connecting(url: str, expected: str, connects: list[object]) -> None:
    resolver = FakeResolver({"example.org": ["93.184.215.14"], "x": ["93.184.215.14"]})
    assert expected in await refused(url, resolver=resolver)
    assert connects == []
    assert resolver.calls == []


def test_standard_ports_are_allowed_and_other_ports_only_with_allow_private() -> None:
    assert check_url("http://example.org:80/feed", allow_private=False).port == 80
    assert check_url("https://example.org:443/feed", allow_private=False).port == 443
    assert check_url("http://example.org:8080/feed", allow_private=True).port == 8080
