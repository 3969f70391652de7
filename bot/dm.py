"""Direct messages, the one way: to one member, to many, or privately to whoever pressed a button.

A closed inbox is an expected answer, not an error: members choose whom they hear from. Sending to many
goes a few at a time: discord.py waits out Discord's rate limits by itself, and a handful in flight keeps
one reminder round from filling the bucket that the bot's other messages share.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import discord

log = logging.getLogger(__name__)

DMS_CLOSED = 50007  # Discord: "Cannot send messages to this user"
SENT_AT_ONCE = 4

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


async def send_dm_to(client: discord.Client, user_id: int, **message: Any) -> bool:
    """`send_dm` to a member known by id; False when their DMs are closed or they can't be reached."""
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        return await send_dm(user, **message)
    except discord.HTTPException as exc:
        log.info("a DM could not be delivered: %s %s", exc.status, exc.code)
        return False


@dataclass(frozen=True, slots=True)
class Delivery:
    """Who got a DM sent to many, and who could not be reached (and why)."""

    delivered: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)  # their DMs are closed to the bot
    unreachable: list[int] = field(default_factory=list)  # gone from Discord, or Discord failed

    @property
    def missed(self) -> list[int]:
        return [*self.closed, *self.unreachable]


async def send_to_many(client: discord.Client, user_ids: Iterable[int], *, at_once: int = SENT_AT_ONCE,
                       **message: Any) -> Delivery:
    """DM each member once, a few at a time, whatever happens to the others."""
    delivery = Delivery()
    # One file object can't be read by two sends at once: with a file, one member at a time.
    gate = asyncio.Semaphore(1 if message.get("file") or message.get("files") else at_once)

    async def one(user_id: int) -> None:
        async with gate:
            try:
                user = client.get_user(user_id) or await client.fetch_user(user_id)
                sent = await send_dm(user, **_fresh(message))
            except discord.HTTPException as exc:
                log.info("a DM could not be delivered: %s %s", exc.status, exc.code)
                delivery.unreachable.append(user_id)
                return
            (delivery.delivered if sent else delivery.closed).append(user_id)

    await asyncio.gather(*(one(user_id) for user_id in dict.fromkeys(user_ids)))
    return delivery


async def send_privately(interaction: discord.Interaction, *, resend_here: bool = True, **message: Any) -> bool:
    """DM the person behind `interaction`; if their DMs are closed, answer them ephemerally instead: the same
    message with why it isn't in their DMs (`resend_here`), or only why (when they can already see it).
    Returns whether the DM arrived; when it did, the interaction is left for the caller to answer."""
    if await send_dm(interaction.user, **_fresh(message)):
        return True
    reply = dict(_fresh(message)) if resend_here else {}
    note = f"⚠️ {DMS_CLOSED_HINT}" + (" Here it is instead." if resend_here else "")
    reply["content"] = f"{note}\n\n{reply['content']}" if reply.get("content") else note
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **reply)
    else:
        await interaction.response.send_message(ephemeral=True, **reply)
    return False


def _fresh(message: dict[str, Any]) -> dict[str, Any]:
    """The message again, with its files rewound: a failed send may have read them already."""
    for attached in [message.get("file"), *message.get("files", [])]:
        if isinstance(attached, discord.File):
            attached.reset()
    return message
