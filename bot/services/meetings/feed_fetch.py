"""Download a Meeting Guide JSON feed from a URL a moderator typed, without letting that URL turn the bot into a tool.

Threat model: the URL is untrusted input. It must not reach the bot's own host or network (loopback, private
ranges, cloud metadata at 169.254.169.254), whether directly, through odd numeric IP spellings, a DNS name that
resolves (or later re-resolves) to such an address, or a redirect. It must not make the bot read an unbounded
body or wait forever. Addresses are checked inside the connector's resolver, so the bot connects only to
addresses that were checked (no DNS rebinding window), and every redirect hop is checked again.

Ports: with ``allow_private=False`` only the standard web ports (none given, 80 or 443) are accepted. Meeting
Guide feeds live on ordinary WordPress sites, so this costs real users almost nothing, while allowing any port
would let a moderator use the bot to probe arbitrary services (SSH, SMTP, databases) on public hosts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.services.errors import DomainError

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2000
MAX_REDIRECTS = 5
ALLOWED_SCHEMES = frozenset({"http", "https"})
STANDARD_PORTS = frozenset({80, 443})
USER_AGENT = "RecoveryBot-MeetingSync/1.0 (+meeting feed sync)"
ACCEPT = "application/json, */*;q=0.5"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_SIZE = 64 * 1024

# Carrier-grade NAT is neither private nor global in `ipaddress`; it is someone's internal network all the same.
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
# NAT64 prefixes: a NAT64 gateway turns these into the embedded IPv4 address, so that address is what counts.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
# Registered hostnames are LDH labels (IDN already punycoded by yarl); anything else is refused, not interpreted.
_HOSTNAME_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$")
# WHATWG's "ends in a number": browsers and curl read such hosts as IPv4 (2130706433, 0x7f.1, 0177.0.0.1, 127.1).
_NUMERIC_LABEL_RE = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_CANONICAL_IPV4_RE = re.compile(
    r"^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$"
)

_EXAMPLE = "https://example.org/wp-admin/admin-ajax.php?action=meetings"
_PRIVATE_MESSAGE = (
    "That address points to a private or local network (such as localhost or an internal IP address), "
    "which I'm not allowed to reach. Please use the public web address of the meeting feed."
)


class FeedFetchError(DomainError):
    """The feed could not be downloaded; the message tells a moderator what happened and what to try."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A downloaded feed. `body` is None only when `not_modified` (the server answered 304)."""

    body: bytes | None
    final_url: str
    etag: str | None
    last_modified: str | None
    not_modified: bool


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True when `ip` is a globally routable unicast address the bot may connect to."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL_USE or ip.is_site_local:
            return False
        # Addresses that embed an IPv4 address end up at that IPv4 address, so judge that one.
        embedded = ip.ipv4_mapped if ip.ipv4_mapped is not None else ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and ip in _NAT64_WELL_KNOWN:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    elif ip in _CGNAT:
        return False
    # `is_global` alone lets multicast (224.0.0.0/4) and some reserved IPv6 ranges through, hence the rest.
    return not (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _hostname_problem(host: str, allow_private: bool) -> str | None:
    """Why `host` (yarl's raw, punycoded host) can't be used, or None. DNS names are checked later, at resolve."""
    if ":" in host:
        if "%" in host:  # an IPv6 zone id only makes sense for link-local addresses on the bot's own network
            return _PRIVATE_MESSAGE
        try:
            ip6 = ipaddress.IPv6Address(host)
        except ValueError:
            return "That web address has a host name I can't read. Please check it for typos."
        return None if allow_private or is_public_address(ip6) else _PRIVATE_MESSAGE
    name = host.rstrip(".").lower()
    if not _HOSTNAME_RE.match(name):
        return "That web address has a host name I can't read. Please check it for typos."
    if _NUMERIC_LABEL_RE.match(name.rsplit(".", 1)[-1]):
        # Only the plain dotted form is accepted; other spellings are read differently by different tools.
        if not _CANONICAL_IPV4_RE.match(name):
            return (
                "That web address uses an unusual way of writing a numeric IP address, which I don't "
                "accept. Please use the site's normal name, for example " + _EXAMPLE + "."
            )
        ip4 = ipaddress.IPv4Address(name)
        return None if allow_private or is_public_address(ip4) else _PRIVATE_MESSAGE
    return None


def check_url(url: str | URL, *, allow_private: bool) -> URL:
    """Return `url` parsed, or raise FeedFetchError saying why the bot won't download from it.

    Used for the moderator's URL and for every redirect hop. Host names are only syntax-checked here; the
    addresses they resolve to are checked by the connector's resolver right before connecting.
    """
    raw = str(url)
    if len(raw) > MAX_URL_LENGTH:
        raise FeedFetchError(
            f"That web address is too long (over {MAX_URL_LENGTH:,} characters). Please check you copied the right one."
        )
    if any(ch.isspace() or ord(ch) < 0x20 or ch in "\\\x7f" for ch in raw):
        raise FeedFetchError("That web address contains spaces or other characters a web address can't have.")
    try:
        parsed = url if isinstance(url, URL) else URL(raw)
        # yarl silently drops an empty `@`; the standard-library parser keeps it, and either means credentials.
        has_userinfo = parsed.user is not None or parsed.password is not None or "@" in urlsplit(raw).netloc
        scheme, host, port = parsed.scheme.lower(), parsed.raw_host, parsed.explicit_port
    except ValueError:
        raise FeedFetchError(f"That doesn't look like a valid web address. It should look like {_EXAMPLE}") from None
    if scheme not in ALLOWED_SCHEMES:
        raise FeedFetchError(f"Please give a web address starting with https:// or http://, like {_EXAMPLE}")
    if not host:
        raise FeedFetchError(f"That web address has no site name in it. It should look like {_EXAMPLE}")
    if has_userinfo:
        raise FeedFetchError(
            "That web address contains a user name or password (the part before '@'). "
            "I only download public feeds, so please use the address without it."
        )
    # The host first: for an internal address, that is the problem worth telling the moderator about.
    problem = _hostname_problem(host, allow_private)
    if problem is not None:
        raise FeedFetchError(problem)
    if port is not None and port not in STANDARD_PORTS and not allow_private:
        raise FeedFetchError(
            f"That web address uses port {port}. I only download feeds from the standard web ports "
            f"(80 and 443), so please use the feed's normal address without ':{port}'."
        )
    return parsed.with_fragment(None)


class SafeResolver(AbstractResolver):
    """Resolves through `inner` and refuses the lookup if any address is not public.

    The connector connects only to what this returns, so a name can't pass the check and then be re-resolved
    to an internal address for the actual connection.
    """

    def __init__(self, inner: AbstractResolver, *, allow_private: bool, owns_inner: bool = False) -> None:
        self._inner = inner
        self._allow_private = allow_private
        self._owns_inner = owns_inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results:
            # An empty list would reach aiohttp's connect loop with nothing to try; call it a failed lookup.
            raise OSError(f"no addresses for {host}")
        if not self._allow_private:
            for result in results:
                try:
                    ip = ipaddress.ip_address(result["host"])
                except ValueError:
                    raise FeedFetchError(_PRIVATE_MESSAGE) from None
                if not is_public_address(ip):
                    # Not an OSError, so aiohttp passes it through instead of reporting a DNS failure.
                    raise FeedFetchError(_PRIVATE_MESSAGE)
        return results

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


def _format_number(value: float) -> str:
    return f"{value:g}"


def _too_big(max_bytes: int) -> FeedFetchError:
    return FeedFetchError(
        f"The feed is bigger than the {_format_number(max_bytes / 1_000_000)} MB limit, so I didn't "
        "download it. Please check this is the meeting feed address and not a larger file."
    )


def _status_error(status: int) -> FeedFetchError:
    if status in (404, 410):
        return FeedFetchError(
            f"The feed was not found at that address (HTTP {status}). Please check the address, for example by "
            "opening it in a web browser."
        )
    if status in (401, 403):
        return FeedFetchError(
            f"The site refused to let me download the feed (HTTP {status}). The feed may not be public, or the "
            "site may be blocking bots; the site's administrator can allow it."
        )
    if status == 429:
        return FeedFetchError("The site asked me to slow down (HTTP 429). Please try again later.")
    if 500 <= status <= 599:
        return FeedFetchError(
            f"The site had a problem answering (HTTP {status}). This is usually temporary; please try again later."
        )
    return FeedFetchError(f"The site gave an unexpected answer (HTTP {status}), so the feed wasn't downloaded.")


def _client_error_message(exc: aiohttp.ClientError, host: str) -> str:
    # Subclasses first: a certificate error is also an SSL error, which is also a connector error.
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"I couldn't find a website called {host}. Please check the address is spelled correctly."
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (
            f"The security certificate of {host} couldn't be verified, so I didn't trust the connection. "
            "The site's administrator may need to renew or fix its HTTPS certificate."
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"I couldn't set up a secure (HTTPS) connection to {host}. Please try again later."
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"I couldn't connect to {host}. The site may be down; please try again later."
    if isinstance(exc, aiohttp.InvalidURL):
        return f"That doesn't look like a valid web address. It should look like {_EXAMPLE}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"The website at {host} sent an answer I couldn't understand, so the feed wasn't downloaded."
    return f"The connection to {host} broke off before the feed was downloaded. Please try again later."


def _header_value(value: str | None) -> str | None:
    # Stored validators came from a server; never let one smuggle a header line into our request.
    if value is None or not value or any(ch in value for ch in "\r\n\x00"):
        return None
    return value


async def fetch_feed(
    url: str,
    *,
    max_bytes: int,
    timeout: float = 20.0,
    allow_private: bool = False,
    etag: str | None = None,
    last_modified: str | None = None,
    resolver: AbstractResolver | None = None,
) -> FetchResult:
    """Download `url` (following up to MAX_REDIRECTS redirects) or raise FeedFetchError.

    `etag` / `last_modified` come from an earlier FetchResult; with them the server may answer 304, which
    gives `not_modified=True` and `body=None`. `resolver` replaces DNS (tests); its answers are still checked.
    """
    current = check_url(url.strip(), allow_private=allow_private)
    host = current.host or ""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    sent_etag, sent_last_modified = _header_value(etag), _header_value(last_modified)
    if sent_etag is not None:
        headers["If-None-Match"] = sent_etag
    if sent_last_modified is not None:
        headers["If-Modified-Since"] = sent_last_modified
    conditional = sent_etag is not None or sent_last_modified is not None

    safe_resolver = SafeResolver(
        resolver if resolver is not None else DefaultResolver(),
        allow_private=allow_private,
        owns_inner=resolver is None,
    )
    try:
        # The overall deadline covers every hop; ClientTimeout alone would restart for each redirect.
        async with asyncio.timeout(timeout):
            connector = aiohttp.TCPConnector(resolver=safe_resolver, limit=1, force_close=True)
            async with aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0)),
                headers=headers,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # a proxy from the environment would connect somewhere we didn't check
            ) as session:
                for hop in range(MAX_REDIRECTS + 1):
                    host = current.host or ""
                    async with session.get(current, allow_redirects=False) as response:
                        if response.status in _REDIRECT_STATUSES:
                            location = response.headers.get("Location")
                            if not location:
                                raise FeedFetchError(
                                    f"The website sent a redirect (HTTP {response.status}) without saying where "
                                    "to, so the feed wasn't downloaded."
                                )
                            if hop == MAX_REDIRECTS:
                                raise FeedFetchError(
                                    f"That address redirected more than {MAX_REDIRECTS} times, so I stopped "
                                    "following it. Please open it in a browser and use the address it ends up at."
                                )
                            current = _next_hop(current, location, allow_private)
                            continue
                        return await _read_response(
                            response, current, max_bytes, conditional, sent_etag, sent_last_modified
                        )
    except FeedFetchError:
        raise
    except TimeoutError:  # asyncio.TimeoutError is TimeoutError; aiohttp's ServerTimeoutError subclasses it too
        raise FeedFetchError(
            f"The website didn't answer within {_format_number(timeout)} seconds. It may be down or very slow; "
            "please try again later."
        ) from None
    except aiohttp.ClientError as exc:
        log.info("feed fetch from %s failed: %r", host, exc)
        raise FeedFetchError(_client_error_message(exc, host)) from None
    except (OSError, ValueError) as exc:
        log.info("feed fetch from %s failed: %r", host, exc)
        raise FeedFetchError(
            f"I couldn't download the feed from {host}. Please check the address and try again later."
        ) from None
    finally:
        await safe_resolver.close()
    raise AssertionError("unreachable: the redirect loop always returns or raises")  # pragma: no cover


def _next_hop(current: URL, location: str, allow_private: bool) -> URL:
    try:
        target = current.join(URL(location.strip()))
    except ValueError:
        target = None
    if target is None:
        raise FeedFetchError("The website redirected to an address I can't read, so the feed wasn't downloaded.")
    try:
        return check_url(target, allow_private=allow_private)
    except FeedFetchError as exc:
        raise FeedFetchError(
            f"The website redirected me to another address, which I won't follow. {exc.message}"
        ) from None


async def _read_response(
    response: aiohttp.ClientResponse,
    url: URL,
    max_bytes: int,
    conditional: bool,
    sent_etag: str | None,
    sent_last_modified: str | None,
) -> FetchResult:
    etag = response.headers.get("ETag")
    last_modified = response.headers.get("Last-Modified")
    if response.status == 304 and conditional:
        return FetchResult(
            body=None,
            final_url=str(url),
            etag=etag or sent_etag,
            last_modified=last_modified or sent_last_modified,
            not_modified=True,
        )
    if not 200 <= response.status <= 299:
        raise _status_error(response.status)
    # Content-Length counts encoded bytes; only without compression does it bound the decoded size we cap.
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "identity" and response.content_length is not None and response.content_length > max_bytes:
        raise _too_big(max_bytes)
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
        if len(body) + len(chunk) > max_bytes:
            raise _too_big(max_bytes)
        body += chunk
    return FetchResult(body=bytes(body), final_url=str(url), etag=etag, last_modified=last_modified, not_modified=False)
