"""An intergroup's website on this machine, serving a Meeting Guide feed the test sets (cog and e2e tests)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

NY = "America/New_York"


@dataclass
class FeedSite:
    """An intergroup's website: serves whatever the test sets, and remembers what it was asked."""

    body: bytes = b"[]"
    status: int = 200
    etag: str | None = None
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def serve(self, rows: list[dict[str, Any]], *, etag: str | None = None) -> None:
        self.body, self.status, self.etag = json.dumps(rows).encode(), 200, etag

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        if self.etag is not None and request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304)
        headers = {"ETag": self.etag} if self.etag else {}
        return web.Response(body=self.body, status=self.status, headers=headers, content_type="application/json")


@contextlib.asynccontextmanager
async def feed_site() -> AsyncIterator[FeedSite]:
    """A FeedSite listening on 127.0.0.1 at a free port; its feed is at `site.url`."""
    feed = FeedSite()
    app = web.Application()
    app.router.add_get("/wp-admin/admin-ajax.php", feed.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    listening = web.TCPSite(runner, "127.0.0.1", 0)
    await listening.start()
    port = runner.addresses[0][1]
    feed.url = f"http://127.0.0.1:{port}/wp-admin/admin-ajax.php?action=meetings"
    try:
        yield feed
    finally:
        await runner.cleanup()


def online(slug: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"name": slug.replace("-", " ").title(), "slug": slug, "day": 2, "time": "7:00 pm",
                           "end_time": "8:00 pm", "timezone": NY, "types": ["O", "D", "ONL"],
                           "conference_url": f"https://us02web.zoom.us/j/8{len(slug):02d}1234567",
                           "attendance_option": "online", "updated": "2026-10-01 12:00:00"}
    row.update(changes)
    return row


def in_person(slug: str) -> dict[str, Any]:
    return {"name": slug.title(), "slug": slug, "day": 3, "time": "19:00", "timezone": NY, "location": "Alano Club",
            "formatted_address": "123 Main St, Wilmington, DE 19801, USA", "attendance_option": "in_person"}
