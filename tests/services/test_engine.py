"""The database engine keeps what members wrote out of error messages, which reach the log."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_a_failed_statement_does_not_quote_its_values(engine: AsyncEngine) -> None:
    secret = "I relapsed last night and I'm scared"
    with pytest.raises((IntegrityError, DBAPIError)) as failure:
        async with engine.begin() as conn:
            # bot_state.value is NOT NULL: the statement fails with the secret among its parameters.
            await conn.execute(text("INSERT INTO bot_state (key, value, updated_at) VALUES (:key, NULL, :at)"),
                               {"key": secret, "at": "2026-01-01"})
    assert secret not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)
