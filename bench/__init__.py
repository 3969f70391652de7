"""Benchmarks, one command each; each prints its figures (see the README's "Measured")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.databases import postgres_database, postgres_url


def on_chosen_database(run: Callable[[str | None], Awaitable[None]]) -> None:
    """Run a whole-bot benchmark on a fresh PostgreSQL database when TEST_DATABASE_URL names a server, else on the
    bot's own SQLite (None), saying which."""

    async def go() -> None:
        if postgres_url():
            async with postgres_database() as url:
                print("PostgreSQL:", end=" ")
                await run(url)
        else:
            print("SQLite:", end=" ")
            await run(None)

    asyncio.run(go())
