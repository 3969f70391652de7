"""Requests for support: opened, routed to volunteers on call, escalated while nobody answers, claimed by
one volunteer, closed. Plain Python; the reach-out cog posts, pings and relays what these return.

The ladder, as chained jobs in the durable queue (cancelled when a volunteer takes the request):
step 1, the next volunteers; step 2, the moderators; step 3, the requester is told honestly that nobody is
free yet, with the crisis lines and the next meeting they could join. With nobody on call at the start,
the ladder starts at the moderators. Each step's job is booked before the step runs, so a step that fails
for good never stops the next one.

Routing chooses volunteers on call, never the requester, those pinged longest ago first, within their
limits (open requests, pings a day). Its reads and writes for one server must not interleave with another
routing of the same server, or two requests could both take a volunteer's last ping: callers hold
`turn(guild_id)` around the whole transaction (every interaction of a server reaches one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import weakref
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ReachoutPing, ReachoutRequest, Volunteer
from bot.scheduler import DueJob, NewJob, Scheduler
from bot.services import anonymity, guild_config
from bot.services.errors import DomainError, InvalidInput, NotFound
from bot.services.reachout import roster
from bot.services.reachout import settings as reach_settings
from bot.services.reachout.settings import Settings
from bot.services.text import checked

KINDS = ("talk", "advice", "vent", "urgent")
KIND_WORDS = {"talk": "to talk", "advice": "advice", "vent": "to vent", "urgent": "urgent"}
MESSAGE_MAX = 1000
STEP_JOB = "reachout.step"
NEXT_VOLUNTEERS, MODERATORS, TELL_REQUESTER = 1, 2, 3
_MENTION = re.compile(r"<@[!&]?\d+>|<#\d+>|@everyone|@here", re.IGNORECASE)


class RequestRefused(DomainError):
    """A request that can't be sent; the reach-out cog shows the crisis lines beside the message, always."""


class AlreadyTaken(DomainError):
    def __init__(self, message: str, claimed_by: int | None) -> None:
        super().__init__(message)
        self.claimed_by = claimed_by


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    guild_id: int
    kind: str
    anonymous: bool
    message: str | None
    requester_id: int | None  # named requests only
    origin_channel_id: int | None  # named requests: where they asked
    author_key: str | None
    state: str
    step: int
    claimed_by: int | None
    claimed_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    card_channel_id: int | None
    card_message_id: int | None
    thread_id: int | None
    created_at: datetime

    @property
    def urgent(self) -> bool:
        return self.kind == "urgent"


def _request(row: ReachoutRequest) -> Request:
    return Request(row.id, row.guild_id, row.kind, row.anonymous, row.message, row.requester_id,
                   row.origin_channel_id, row.author_key,
                   row.state, row.step, row.claimed_by, row.claimed_at, row.closed_at, row.outcome,
                   row.card_channel_id, row.card_message_id, row.thread_id, row.created_at)


@dataclass(frozen=True, slots=True)
class Opened:
    request: Request
    pinged: list[int]  # the volunteers to ping now
    alert_moderators: bool  # nobody on call: the ladder starts at the moderators
    reachout_channel_id: int
    moderator_role_id: int | None
    settings: Settings


# -- one routing at a time per server ----------------------------------------------------------------

# One lock per server, per event loop (an asyncio lock belongs to the loop it was first used in).
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def turn(guild_id: int) -> AsyncIterator[None]:
    """Hold around a transaction that routes or claims for `guild_id` (see the module's docstring)."""
    lock = _turns.setdefault(asyncio.get_running_loop(), {}).setdefault(guild_id, asyncio.Lock())
    async with lock:
        yield


# -- opening -----------------------------------------------------------------------------------------

def check_message(message: str | None) -> str | None:
    """The request's words, cleaned; `InvalidInput` for what can't be sent as it is."""
    text = checked(message, "message", MESSAGE_MAX, one_line=False)
    if text and _MENTION.search(text):
        raise InvalidInput("Please write your message without @mentions or #channel links: they could ping "
                           "people or point at someone. Everything else you write is shown as you wrote it.")
    return text


def check_kind(kind: str | None) -> str:
    chosen = (kind or "talk").strip().lower()
    if chosen not in KINDS:
        raise InvalidInput(f"Choose what you need: {', '.join(KINDS)}.")
    return chosen


@dataclass(frozen=True, slots=True)
class Ask:
    """One member's request, as they sent it."""

    requester_id: int
    message: str | None
    kind: str | None
    anonymous: bool
    origin_channel_id: int | None = None  # where they asked (a named request's thread goes there)


async def open_request(session: AsyncSession, scheduler: Scheduler, guild_id: int, requester_id: int,
                       message: str | None, kind: str | None, anonymous: bool, now: datetime,
                       origin_channel_id: int | None = None) -> Opened:
    """Open and route one request; `open_requests` for why and how."""
    [result] = await open_requests(session, scheduler, guild_id,
                                   [Ask(requester_id, message, kind, anonymous, origin_channel_id)], now)
    if isinstance(result, DomainError):
        raise result
    return result


async def open_requests(session: AsyncSession, scheduler: Scheduler, guild_id: int, asks: Sequence[Ask],
                        now: datetime) -> list[Opened | DomainError]:
    """Open and route requests of one server that arrived together, in one transaction: one read of who is
    free, one write of every ping, in order of arrival. Each gets its `Opened`, or the reason it can't be sent
    (the others go on). Hold `turn(guild_id)` around the transaction."""
    results: list[Opened | DomainError | None] = [None] * len(asks)
    config = await guild_config.get(session, guild_id)
    if config.reachout_channel_id is None:
        return [RequestRefused("This server hasn't set up reach-out yet, so there is nobody I can send your request "
                               "to here. A moderator can set it up with /setup.") for _ in asks]
    settings = await reach_settings.get(session, guild_id)
    keys = [anonymity.author_key(ask.requester_id) for ask in asks]
    earlier: dict[str, tuple[datetime | None, int | None]] = {key: (last, waiting) for key, last, waiting in
                                                              await session.execute(
        select(ReachoutRequest.author_key, func.max(ReachoutRequest.created_at),
               func.max(case((ReachoutRequest.state == "open", ReachoutRequest.id))))
        .where(ReachoutRequest.guild_id == guild_id, ReachoutRequest.author_key.in_(set(keys)))
        .group_by(ReachoutRequest.author_key))}
    accepted: list[tuple[int, ReachoutRequest]] = []
    asking_now: set[str] = set()
    for index, (ask, key) in enumerate(zip(asks, keys, strict=True)):
        try:
            text, chosen_kind = check_message(ask.message), check_kind(ask.kind)
            if await anonymity.is_blocked(session, guild_id, key):
                raise RequestRefused("You can't send requests in this server right now.")
            last, waiting = earlier.get(key, (None, None))
            _refuse_repeat(last, waiting, key in asking_now, settings, now)
        except DomainError as refused:
            results[index] = refused
            continue
        asking_now.add(key)
        accepted.append((index, ReachoutRequest(
            guild_id=guild_id, kind=chosen_kind, anonymous=ask.anonymous, message=text,
            requester_id=None if ask.anonymous else ask.requester_id,
            origin_channel_id=None if ask.anonymous else ask.origin_channel_id,
            requester_secret=str(ask.requester_id) if ask.anonymous else None,
            author_key=key, state="open", step=0, created_at=now)))
    if accepted:
        session.add_all([row for _, row in accepted])
        await session.flush()
        ledger = await _ledger(session, guild_id, now)
        volunteers = await roster.all_of(session, guild_id)
        jobs: list[NewJob] = []
        for index, row in accepted:
            pinged = ledger.choose(volunteers, settings, now, row, exclude={asks[index].requester_id})
            # Nobody on call: straight to the moderators, never silence.
            row.step = 0 if pinged else MODERATORS
            jobs.append(_step_job(row, NEXT_VOLUNTEERS if pinged else TELL_REQUESTER, settings))
            results[index] = Opened(_request(row), pinged, not pinged, config.reachout_channel_id,
                                    config.moderator_role_id, settings)
        await ledger.write(session, now)
        await scheduler.schedule_many(jobs, session=session)
        await session.flush()
    return [result for result in results if result is not None]


def _refuse_repeat(last: datetime | None, waiting: int | None, asked_just_now: bool, settings: Settings,
                   now: datetime) -> None:
    if waiting is not None or asked_just_now:
        number = f" #{waiting}" if waiting is not None else ""
        raise RequestRefused(f"Your request{number} is still waiting for a volunteer. I'll let you know as soon as "
                             "someone takes it; you don't need to ask again.")
    if last is not None and now < last + timedelta(minutes=settings.cooldown_minutes):
        wait = last + timedelta(minutes=settings.cooldown_minutes) - now
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        raise RequestRefused(f"You sent a request a moment ago. You can ask again in {minutes} "
                             f"minute{'s' if minutes != 1 else ''}.")


@dataclass
class _Ledger:
    """Who holds how many open requests and who was pinged when, read once per routing and kept up to date
    as pings are given out, so requests routed together respect every limit."""

    guild_id: int
    holding: dict[int | None, int]
    today: dict[int, int]  # pings in the last 24 hours
    latest: dict[int, datetime]  # the last ping in the past week
    given: list[tuple[int, int]] = field(default_factory=list)  # (request, volunteer) to write

    def choose(self, volunteers: Sequence[roster.VolunteerInfo], settings: Settings, now: datetime,
               row: ReachoutRequest, exclude: Iterable[int] = ()) -> list[int]:
        """The volunteers to ping for `row`: on call, not the requester, not already pinged for it, within
        their limits, those pinged longest ago (or never) first; recorded as pinged."""
        excluded = set(exclude)
        never = datetime.min.replace(tzinfo=now.tzinfo)
        candidates = sorted(  # sorted() is stable: equals keep the order they joined in
            (v for v in volunteers
             if v.user_id not in excluded and v.on_call(now)
             and self.holding.get(v.user_id, 0) < settings.max_open
             and self.today.get(v.user_id, 0) < settings.daily_pings),
            key=lambda v: self.latest.get(v.user_id, never))
        chosen = [v.user_id for v in candidates
                  if row.author_key is None or anonymity.author_key(v.user_id) != row.author_key][:settings.ping_count]
        for user_id in chosen:
            self.today[user_id] = self.today.get(user_id, 0) + 1
            self.latest[user_id] = now
            self.given.append((row.id, user_id))
        return chosen

    async def write(self, session: AsyncSession, now: datetime) -> None:
        if self.given:
            await session.execute(insert(ReachoutPing), [
                {"request_id": request, "guild_id": self.guild_id, "volunteer_id": user_id, "pinged_at": now,
                 "missed": False} for request, user_id in self.given])
            self.given.clear()


async def _ledger(session: AsyncSession, guild_id: int, now: datetime) -> _Ledger:
    holding: dict[int | None, int] = {claimer: count for claimer, count in await session.execute(
        select(ReachoutRequest.claimed_by, func.count()).where(
            ReachoutRequest.guild_id == guild_id, ReachoutRequest.state == "claimed")
        .group_by(ReachoutRequest.claimed_by))}
    day_ago = now - timedelta(days=1)
    today: dict[int, int] = {}
    latest: dict[int, datetime] = {}
    for volunteer, pings_today, last in await session.execute(
            select(ReachoutPing.volunteer_id, func.sum(case((ReachoutPing.pinged_at > day_ago, 1), else_=0)),
                   func.max(ReachoutPing.pinged_at))
            .where(ReachoutPing.guild_id == guild_id, ReachoutPing.pinged_at > now - timedelta(days=7))
            .group_by(ReachoutPing.volunteer_id)):
        today[volunteer], latest[volunteer] = int(pings_today or 0), last
    return _Ledger(guild_id, holding, today, latest)


async def _route(session: AsyncSession, row: ReachoutRequest, settings: Settings, now: datetime) -> list[int]:
    """The next volunteers for a request that waited (the ladder's first step)."""
    already = set(await session.scalars(select(ReachoutPing.volunteer_id).where(ReachoutPing.request_id == row.id)))
    ledger = await _ledger(session, row.guild_id, now)
    chosen = ledger.choose(await roster.all_of(session, row.guild_id), settings, now, row, exclude=already)
    await ledger.write(session, now)
    return chosen


# -- the ladder --------------------------------------------------------------------------------------

def _step_due(row: ReachoutRequest, step: int, settings: Settings) -> datetime:
    minutes = {NEXT_VOLUNTEERS: settings.next_volunteers_after, MODERATORS: settings.moderators_after,
               TELL_REQUESTER: settings.tell_requester_after}[step]
    return row.created_at + timedelta(minutes=minutes)


def _step_job(row: ReachoutRequest, step: int, settings: Settings) -> NewJob:
    # The key names the request's public number and the step: never who asked.
    return NewJob(STEP_JOB, f"reachout:{row.id}:step:{step}", _step_due(row, step, settings),
                  {"request_id": row.id, "step": step}, guild_id=row.guild_id)


async def following_step(session: AsyncSession, job: DueJob) -> NewJob | None:
    """The chain's next step, booked before this one runs (so this one failing never stops it)."""
    step = int(job.payload["step"])
    row = await session.get(ReachoutRequest, int(job.payload["request_id"]))
    if row is None or row.state != "open" or step >= TELL_REQUESTER:
        return None
    return _step_job(row, step + 1, await reach_settings.get(session, row.guild_id))


@dataclass(frozen=True, slots=True)
class Escalation:
    request: Request
    step: int
    pinged: list[int]  # step 1: the next volunteers
    reachout_channel_id: int | None
    moderator_role_id: int | None  # step 2
    requester_id: int | None  # step 3: whom to tell (in memory only, for the DM)
    region: str | None
    set_away: list[int]  # volunteers who let too many pings pass: set away, to be told gently


async def escalate(session: AsyncSession, request_id: int, step: int, now: datetime) -> Escalation | None:
    """Take the request one step up the ladder; None when it no longer waits (taken, closed, gone)."""
    row = await session.get(ReachoutRequest, request_id)
    if row is None or row.state != "open" or row.step >= step:
        return None
    settings = await reach_settings.get(session, row.guild_id)
    config = await guild_config.get(session, row.guild_id)
    set_away = await _mark_missed(session, row, settings, now)
    row.step = step
    pinged = await _route(session, row, settings, now) if step == NEXT_VOLUNTEERS else []
    requester = requester_of(row) if step == TELL_REQUESTER else None
    await session.flush()
    return Escalation(_request(row), step, pinged, config.reachout_channel_id, config.moderator_role_id,
                      requester, config.crisis_region, set_away)


async def _mark_missed(session: AsyncSession, row: ReachoutRequest, settings: Settings, now: datetime) -> list[int]:
    """Pings of this request that went unanswered until this step count against their volunteer; a volunteer
    who lets `missed_before_away` pass in a row is set away (they may be busy or asleep)."""
    missed = list(await session.scalars(select(ReachoutPing).where(
        ReachoutPing.request_id == row.id, ReachoutPing.missed.is_(False), ReachoutPing.pinged_at < now)))
    set_away: list[int] = []
    for ping in missed:
        ping.missed = True
        volunteer = await session.scalar(select(Volunteer).where(Volunteer.guild_id == row.guild_id,
                                                                 Volunteer.user_id == ping.volunteer_id))
        if volunteer is None:
            continue
        volunteer.missed_in_a_row += 1
        if volunteer.missed_in_a_row >= settings.missed_before_away and volunteer.status != "away":
            volunteer.status, volunteer.available_until = "away", None
            set_away.append(volunteer.user_id)
    return set_away


def requester_of(row: ReachoutRequest) -> int | None:
    """Who asked: the named requester's id, or an anonymous one's, decrypted for this moment only."""
    if row.requester_id is not None:
        return row.requester_id
    return int(row.requester_secret) if row.requester_secret else None


# -- taking, talking, closing -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Claimed:
    request: Request
    requester_id: int | None  # in memory only: to open the thread or relay


async def claim(session: AsyncSession, scheduler: Scheduler, request_id: int, volunteer_id: int, now: datetime,
                *, moderator: bool = False) -> Claimed:
    """Give the request to the first who asks; everyone after is told who took it. The winner is decided by
    one conditional UPDATE, so two presses at the same instant (even in two processes) give one winner."""
    row = await session.get(ReachoutRequest, request_id)
    if row is None:
        raise NotFound("That request no longer exists.")
    if row.state == "open":
        refusal = await _may_claim(session, row, volunteer_id, moderator)
        if refusal is not None:
            raise refusal
    result = await session.execute(
        update(ReachoutRequest).where(ReachoutRequest.id == request_id, ReachoutRequest.state == "open")
        .values(state="claimed", claimed_by=volunteer_id, claimed_at=now)
        .execution_options(synchronize_session=False))
    await session.refresh(row)
    if not getattr(result, "rowcount", 0):
        if row.claimed_by is None:
            raise AlreadyTaken(f"Request #{row.id} was closed before anyone took it.", None)
        raise AlreadyTaken(f"Request #{row.id} was already taken.", row.claimed_by)
    await scheduler.cancel_prefix(f"reachout:{row.id}:", session=session)
    await session.execute(update(Volunteer).where(Volunteer.guild_id == row.guild_id,
                                                  Volunteer.user_id == volunteer_id).values(missed_in_a_row=0))
    return Claimed(_request(row), requester_of(row))


async def _may_claim(session: AsyncSession, row: ReachoutRequest, volunteer_id: int,
                     moderator: bool) -> DomainError | None:
    if requester_of(row) == volunteer_id:
        return DomainError("This is your own request: a volunteer will take it.")
    on_roster = await roster.get(session, row.guild_id, volunteer_id)
    if on_roster is None and not moderator:
        return DomainError(roster.NOT_ON_ROSTER)
    settings = await reach_settings.get(session, row.guild_id)
    holding = await session.scalar(select(func.count()).select_from(ReachoutRequest).where(
        ReachoutRequest.guild_id == row.guild_id, ReachoutRequest.claimed_by == volunteer_id,
        ReachoutRequest.state == "claimed", ReachoutRequest.id != row.id)) or 0
    if holding >= settings.max_open and not moderator:
        return DomainError(f"You already hold {holding} open request{'s' if holding != 1 else ''}, this server's "
                           "limit. Close one first (its Close button), so you're not stretched too thin.")
    return None


async def held_by(session: AsyncSession, guild_id: int, volunteer_id: int) -> list[Request]:
    """The requests a volunteer has taken and not closed."""
    rows = await session.scalars(select(ReachoutRequest).where(
        ReachoutRequest.guild_id == guild_id, ReachoutRequest.claimed_by == volunteer_id,
        ReachoutRequest.state == "claimed").order_by(ReachoutRequest.id))
    return [_request(row) for row in rows]


async def record_card(session: AsyncSession, request_id: int, channel_id: int, message_id: int) -> None:
    await session.execute(update(ReachoutRequest).where(ReachoutRequest.id == request_id)
                          .values(card_channel_id=channel_id, card_message_id=message_id))


async def record_thread(session: AsyncSession, request_id: int, thread_id: int) -> None:
    await session.execute(update(ReachoutRequest).where(ReachoutRequest.id == request_id).values(thread_id=thread_id))


async def get(session: AsyncSession, request_id: int) -> Request:
    row = await session.get(ReachoutRequest, request_id)
    if row is None:
        raise NotFound("That request no longer exists.")
    return _request(row)


@dataclass(frozen=True, slots=True)
class Conversation:
    request: Request
    requester_id: int | None  # in memory only
    volunteer_id: int | None
    side: str  # who is acting: requester, volunteer or moderator


async def conversation(session: AsyncSession, request_id: int, user_id: int, *, moderator: bool = False,
                       open_only: bool = True) -> Conversation:
    """The request as one of its two sides (or a moderator) acts on it; `DomainError` for anyone else, or once
    it is closed."""
    row = await session.get(ReachoutRequest, request_id)
    if row is None:
        raise NotFound("That request no longer exists.")
    if open_only and row.state == "closed":
        raise DomainError(f"Request #{row.id} is closed, so messages no longer go through.")
    if row.author_key == anonymity.author_key(user_id):
        side = "requester"
    elif row.claimed_by == user_id:
        side = "volunteer"
    elif moderator:
        side = "moderator"
    else:
        raise DomainError("This conversation is between the person who asked and the volunteer who took it.")
    return Conversation(_request(row), requester_of(row), row.claimed_by, side)


async def close(session: AsyncSession, scheduler: Scheduler, request_id: int, user_id: int, now: datetime,
                *, moderator: bool = False) -> Conversation:
    talk = await conversation(session, request_id, user_id, moderator=moderator)
    await session.execute(update(ReachoutRequest).where(ReachoutRequest.id == request_id)
                          .values(state="closed", closed_at=now, closed_by=talk.side))
    await scheduler.cancel_prefix(f"reachout:{request_id}:", session=session)
    return talk


async def feedback(session: AsyncSession, request_id: int, user_id: int, helped: bool) -> None:
    """The requester's word on how it went, kept with the request and nothing else."""
    row = await session.get(ReachoutRequest, request_id)
    if row is None or row.author_key != anonymity.author_key(user_id):
        raise DomainError("Only the person who asked can say how it went.")
    row.outcome = "helped" if helped else "not-helped"


async def block_author(session: AsyncSession, guild_id: int, number: int, moderator_id: int) -> bool:
    """Block the author of request `number` from this server's anonymous features, without learning who."""
    return await anonymity.block_by_number(session, guild_id, ReachoutRequest, "request", number, moderator_id)


async def unblock_author(session: AsyncSession, guild_id: int, number: int, moderator_id: int) -> bool:
    return await anonymity.unblock_by_number(session, guild_id, ReachoutRequest, "request", number, moderator_id)

