"""Importing Meeting Guide feeds on Discord: a file or a feed URL from /meeting import, and the daily sync.

A feed is read, checked and stored in full before anything is said; a feed that fails to download or
parse changes nothing, and the daily sync says why in the meetings log channel. Parsing thousands of rows
runs in a thread, so the bot keeps answering everyone meanwhile. One import at a time per server: a
moderator's import and the daily sync of the same server take turns.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime

import discord

from bot import clock
from bot.client import RecoveryBot
from bot.render import plain
from bot.scheduler import DueJob
from bot.services import guild_config, meetings
from bot.services.errors import DomainError, InvalidInput
from bot.services.meetings import ImportResult
from bot.services.meetings import feeds as meeting_feeds
from bot.services.meetings.actions import local_today
from bot.services.meetings.feed_fetch import FeedFetchError, check_url, fetch_feed
from bot.services.meetings.feeds import FeedInfo, Report
from bot.services.meetings.guide_import import FEED_MAX_BYTES, FeedImport, parse_feed

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 30.0
AfterImport = Callable[[int, ImportResult, datetime], Awaitable[None]]


class FeedImports:
    """/meeting import and the daily sync of feed URLs, for one bot."""

    def __init__(self, bot: RecoveryBot, after_import: AfterImport) -> None:
        self.bot = bot
        self.after_import = after_import
        self._turns: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def from_file(self, guild_id: int, actor_id: int, attachment: discord.Attachment) -> Report:
        if attachment.size > FEED_MAX_BYTES:
            raise InvalidInput(f"That file is {attachment.size / 1_000_000:.1f} MB; I take feeds up to "
                               f"{FEED_MAX_BYTES / 1_000_000:.0f} MB.")
        raw = await attachment.read()
        source = f"the file {plain(attachment.filename)}"
        async with self._turns[guild_id]:
            parsed = await self._parse(guild_id, raw, feed_id=None)
            return await self._store(guild_id, actor_id, parsed, feed=None, source=source)

    async def from_url(self, guild_id: int, actor_id: int, url: str, *, sync_daily: bool) -> Report:
        """Import the feed at `url` now; remember it, and sync it daily if asked. A feed that can't be
        read changes nothing, and isn't remembered unless it already was."""
        address = str(check_url(url.strip(), allow_private=self._allow_private()))
        async with self._turns[guild_id]:
            async with self.bot.sessions() as session:
                known = next((f for f in await meeting_feeds.of_server(session, guild_id) if f.url == address), None)
            now = clock.now()
            try:
                fetched = await fetch_feed(address, max_bytes=FEED_MAX_BYTES, timeout=FETCH_TIMEOUT,
                                           allow_private=self._allow_private())
                assert fetched.body is not None  # not a conditional request
                parsed = await self._parse(guild_id, fetched.body, feed_id=known.id if known else None)
                _refuse_empty(parsed)
            except DomainError as problem:
                if known is None:
                    raise
                stopping = known.sync_daily and not sync_daily  # a feed gone for good can still be stopped
                async with self.bot.sessions.begin() as session:
                    await meeting_feeds.record_attempt(session, known.id, now, problem=problem.message)
                    if stopping:
                        stopped = await meeting_feeds.follow(session, guild_id, address, actor_id, sync_daily=False)
                        await meeting_feeds.book_sync(session, self.bot.scheduler, stopped, now)
                if not stopping:
                    raise
                raise DomainError(f"{problem.message}\nI've stopped syncing this feed; its meetings stay as they "
                                  "are.") from None
            async with self.bot.sessions.begin() as session:
                feed = await meeting_feeds.follow(session, guild_id, address, actor_id, sync_daily=sync_daily)
                await meeting_feeds.book_sync(session, self.bot.scheduler, feed, now)
            return await self._store(guild_id, actor_id, parsed, feed=feed, source=_source(address), fetched_at=now,
                                     etag=fetched.etag, last_modified=fetched.last_modified)

    async def run_sync(self, job: DueJob) -> None:
        """The daily sync of one feed: changes are stored and summed up in the meetings log channel; a
        feed that can't be downloaded or read changes nothing, and the log channel is told why."""
        async with self.bot.sessions() as session:
            feed = await meeting_feeds.find(session, int(job.payload["feed_id"]))
        if feed is None or not feed.sync_daily or self.bot.get_guild(feed.guild_id) is None:
            return  # stopped, or a server the bot has left (or another shard's: not claimed here)
        now = clock.now()
        async with self._turns[feed.guild_id]:
            try:
                fetched = await fetch_feed(feed.url, max_bytes=FEED_MAX_BYTES, timeout=FETCH_TIMEOUT,
                                           allow_private=self._allow_private(), etag=feed.etag,
                                           last_modified=feed.last_modified)
                if fetched.not_modified or fetched.body is None:
                    async with self.bot.sessions.begin() as session:
                        await meeting_feeds.record_attempt(session, feed.id, now, etag=fetched.etag,
                                                           last_modified=fetched.last_modified)
                    log.info("meeting feed %d unchanged since the last sync", feed.id)
                    return
                parsed = await self._parse(feed.guild_id, fetched.body, feed_id=feed.id)
                _refuse_empty(parsed)
            except (FeedFetchError, InvalidInput) as problem:
                async with self.bot.sessions.begin() as session:
                    await meeting_feeds.record_attempt(session, feed.id, now, problem=problem.message)
                await self._tell_log(feed.guild_id, f"⚠️ I couldn't sync the meeting feed {_source(feed.url)}: "
                                                    f"{problem.message}\nThe schedule is unchanged; I'll try again "
                                                    "tomorrow.")
                return
            me = self.bot.user.id if self.bot.user else 0  # the audit log shows the sync as the bot's doing
            report = await self._store(feed.guild_id, me, parsed, feed=feed, source=_source(feed.url),
                                       fetched_at=now, etag=fetched.etag, last_modified=fetched.last_modified)
        if report.changed_anything or report.details is not None:
            await self._tell_log(feed.guild_id, f"🔄 Daily sync. {report.summary}", report.details)

    # -- shared steps -------------------------------------------------------------------------------

    def _allow_private(self) -> bool:
        return self.bot.settings.feed_allow_private_hosts

    async def _parse(self, guild_id: int, raw: bytes, *, feed_id: int | None) -> FeedImport:
        async with self.bot.sessions() as session:
            zone = await meetings.server_zone(session, guild_id, self.bot.settings.default_timezone)
        # Thousands of rows: a thread, so everyone else's commands are answered meanwhile.
        return await asyncio.to_thread(parse_feed, raw, default_zone=zone, today=local_today(clock.now(), zone),
                                       feed_id=feed_id)

    async def _store(self, guild_id: int, actor_id: int, parsed: FeedImport, *, feed: FeedInfo | None, source: str,
                     fetched_at: datetime | None = None, etag: str | None = None,
                     last_modified: str | None = None) -> Report:
        now = clock.now()
        async with self.bot.sessions.begin() as session:
            result = await meeting_feeds.store(session, self.bot.scheduler, guild_id, actor_id, parsed, now,
                                               feed_id=feed.id if feed else None, source=source)
            if feed is not None:
                await meeting_feeds.record_attempt(session, feed.id, fetched_at or now, etag=etag,
                                                   last_modified=last_modified)
        if result.changed:
            await self.after_import(guild_id, result, now)
        return meeting_feeds.report(parsed, result, source=source)

    async def _tell_log(self, guild_id: int, message: str, details: str | None = None) -> None:
        """Post in the server's meetings log channel, if it has one the bot can post in."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return
        async with self.bot.sessions() as session:
            config = await guild_config.get(session, guild_id)
        channel = guild.get_channel(config.meetings_log_channel_id or 0)
        if not isinstance(channel, discord.TextChannel) or not channel.permissions_for(guild.me).send_messages:
            log.info("meeting feed news for a server with no meetings log channel I can post in")
            return
        attached = discord.File(io.BytesIO(details.encode()), filename="feed-sync-report.txt") if details \
            else discord.utils.MISSING
        try:
            await channel.send(message[:2000], file=attached)
        except discord.HTTPException as exc:
            log.warning("could not post feed news in the meetings log channel: %s", exc.status)


def _refuse_empty(parsed: FeedImport) -> None:
    """A feed with no online meeting at all is refused whole: syncing it would end every meeting."""
    if not parsed.drafts and not parsed.skipped:
        raise InvalidInput(f"That feed lists no online meetings ({parsed.rows:,} rows, none with a conference_url or "
                           "conference_phone), so I changed nothing.")


def _source(url: str) -> str:
    return f"the feed at <{url}>"
