"""Anonymous means anonymous: the one check every anonymous flow's test runs at its end."""

from __future__ import annotations

import json
import logging

import pytest

from bot import logs
from bot.client import RecoveryBot
from tests.community import Community
from tests.discord_double import Member
from tests.raw_database import assert_id_not_stored, assert_not_stored


def capture_logs_as_the_bot_runs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log line at DEBUG, the chatty libraries at INFO, as `bot.logs.configure("DEBUG")` runs
    the bot (their DEBUG lines are payloads and statements' parameters)."""
    for name in logs.CHATTY:
        caplog.set_level(logging.INFO, logger=name)
    caplog.set_level(logging.DEBUG)  # last: it also lowers the capturing handler to DEBUG


async def assert_never_named(bot: RecoveryBot, community: Community, asker: Member,
                             caplog: pytest.LogCaptureFixture, *, secret: str) -> None:
    """The author's id, username and display name are in nothing the bot sent anyone else, no log line, no job
    key and nowhere in the raw database; what they wrote (`secret`) is not readable in the database."""
    double = community.double
    theirs = {i for i, r in double.interactions.items() if r.user.id == asker.id}
    their_tokens = {r.token for i, r in double.interactions.items() if i in theirs}
    their_dm = double.world.dm_channels.get(asker.id)
    needles = {str(asker.id), asker.user.username, asker.user.global_name or asker.user.username}
    for request in double.requests:
        if request.route == "/users/@me/channels" or request.params.get("channel_id") == str(their_dm) \
                or request.params.get("interaction_token") in their_tokens:
            continue  # to Discord, to open the DM; or the bot's answers to the asker themselves
        sent = json.dumps(request.json) if request.json is not None else ""
        for needle in needles:
            assert needle not in sent, f"{needle!r} went out in {request.method} {request.path}"
    for needle in needles:
        assert needle not in caplog.text, f"{needle!r} is in the log"
    for job in await bot.scheduler.jobs():
        assert str(asker.id) not in job.key
    engine = bot.sessions.kw["bind"]
    await assert_id_not_stored(engine, asker.id)
    await assert_not_stored(engine, secret)  # the words are encrypted
