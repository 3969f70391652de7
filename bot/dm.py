"""Direct messages, the one way: a closed inbox is an expected answer, not an error."""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

DMS_CLOSED = 50007  # Discord: "Cannot send messages to this user"

DMS_CLOSED_HINT = (
    "I couldn't send you a DM: your DMs are closed to me. To allow them, open this server's menu → "
    "Privacy Settings → Direct Messages."
)


async def send_dm(user: discord.User | discord.Member, **message: Any) -> bool:
    """Send `message` to `user` by DM; False when their DMs are closed to the bot."""
    try:
        await user.send(**message)
    except discord.Forbidden as exc:
        if exc.code != DMS_CLOSED:
            raise
        log.info("a DM was refused: the recipient's DMs are closed")
        return False
    return True
