"""The one durable job queue: reminders, sweeps, escalations and retention all run through it.

Jobs live in the `jobs` table, so nothing is lost on a restart or crash. A job is identified by
an idempotent key (for example ``meeting-reminder:42:2026-12-01T19:00Z``): scheduling the same
key again moves a pending job, and is a no-op once that job has run, so a restart that schedules
everything again never sends anything twice. A key names one occurrence; repeating work
schedules the next occurrence under its own key.

Claiming is one atomic UPDATE (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several
processes can share the queue and each job runs once. A claimed job holds a lease; a process
that dies mid-job leaves it to be reclaimed when the lease expires, and a handler is cut off
before its lease runs out so no two processes ever hold the same job.

Keys and kinds are logged: never put an anonymous author's id in a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Dialect, Integer, Table, and_, delete, event, func, literal, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import ColumnDefault

from bot.clock import now as current_time
from bot.db.engine import writing
from bot.db.models import Job, JobState
from bot.tasks import create_task

log = logging.getLogger(__name__)

FINISHED_STATES = (JobState.DONE, JobState.DEAD, JobState.DROPPED)


@dataclass(frozen=True, slots=True)
class DueJob:
    """What a handler receives: plain data, no database row."""

    id: int
    key: str
    kind: str
    guild_id: int | None
    payload: dict[str, Any]
    due_at: datetime
    attempt: int


Handler = Callable[[DueJob], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    handler: Handler
    # How late a job may still run; None means however late (a missed milestone is still
    # celebrated), a small value drops stale work (a reminder for a meeting that has started).
    max_lateness: timedelta | None
    max_attempts: int
    then: Successor | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    """One job to schedule with `Scheduler.schedule_many`."""

    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    guild_id: int | None = None


# For a job that is one step of a chain (a meeting's reminders, then its start, then its end):
# the job that comes next, or None at the end of the chain.
Successor = Callable[[DueJob], Awaitable[NewJob | None]]


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (the channel was deleted, say)."""


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    key: str
    kind: str
    state: JobState
    due_at: datetime
    run_at: datetime
    attempts: int
    last_error: str | None


class Scheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        worker_id: str | None = None,
        shard_ids: Sequence[int] | None = None,
        shard_count: int | None = None,
        clock: Callable[[], datetime] = current_time,
        lease: timedelta = timedelta(minutes=5),
        max_idle: float = 30.0,
        retry_base: timedelta = timedelta(seconds=30),
        retry_cap: timedelta = timedelta(hours=1),
        concurrency: int = 8,
        retention: timedelta = timedelta(days=30),
    ) -> None:
        self._sessions = sessions
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._shard_ids = tuple(shard_ids) if shard_ids is not None else None
        self._shard_count = shard_count
        self._clock = clock
        self._lease = lease
        self._max_idle = max_idle
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._retention = retention
        self._concurrency = concurrency
        self._kinds: dict[str, JobKind] = {}
        self._wake = asyncio.Event()
        self._next_wake_at: datetime | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._last_purge: datetime | None = None

    # -- registration ---------------------------------------------------------------------

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        max_lateness: timedelta | None = None,
        max_attempts: int = 5,
        then: Successor | None = None,
    ) -> None:
        """`then` makes each job of this kind a step of a chain: before the job runs (or is dropped
        as stale), the job `then` returns is scheduled, so the chain goes on whatever this step does.
        A chain keeps one pending row where a job per step would need many."""
        if kind in self._kinds:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._kinds[kind] = JobKind(kind, handler, max_lateness, max_attempts, then)
        self._wake.set()

    def unregister(self, kind: str) -> None:
        self._kinds.pop(kind, None)

    # -- scheduling -----------------------------------------------------------------------

    async def schedule(
        self,
        kind: str,
        key: str,
        due_at: datetime,
        payload: dict[str, Any] | None = None,
        *,
        guild_id: int | None = None,
        session: AsyncSession | None = None,
    ) -> None:
        """Add the job, or move it if it is still pending; a job that already ran is left alone.

        Pass `session` to make the job part of the caller's transaction: it is then scheduled
        exactly when the caller's change commits, and not at all if it rolls back.
        """
        await self.schedule_many([NewJob(kind, key, due_at, payload or {}, guild_id)], session=session)

    async def schedule_many(self, jobs: Sequence[NewJob], *, session: AsyncSession | None = None) -> None:
        """`schedule` for many jobs at once: one multi-row upsert per chunk instead of one per job."""
        if not jobs:
            return
        if any(job.due_at.tzinfo is None for job in jobs):
            raise ValueError("due_at must be timezone-aware")
        now = self._clock()
        soonest = min(job.due_at for job in jobs)
        if session is None:
            async with self._writing() as own:
                await _upsert(own, jobs, now)
            self._notify(soonest)
        else:
            await _upsert(session, jobs, now)
            _after_commit(session, lambda: self._notify(soonest))

    async def cancel(self, key: str, *, session: AsyncSession | None = None) -> bool:
        """Drop a pending job; returns whether there was one."""
        return await self._delete_pending(Job.key == key, session) > 0

    async def cancel_prefix(self, prefix: str, *, session: AsyncSession | None = None) -> int:
        """Drop every pending job whose key starts with `prefix` (a meeting's reminders, say)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return await self._delete_pending(Job.key.like(f"{escaped}%", escape="\\"), session)

    async def _delete_pending(self, condition: ColumnElement[bool], session: AsyncSession | None) -> int:
        stmt = delete(Job).where(condition, Job.state == JobState.PENDING)
        if session is not None:
            return _rowcount(await session.execute(stmt))
        async with self._sessions.begin() as own:
            return _rowcount(await own.execute(stmt))

    async def jobs(self, prefix: str = "") -> list[ScheduledJob]:
        """Every job whose key starts with `prefix`, soonest first (for admin views and tests)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Job).where(Job.key.startswith(prefix, autoescape=True)).order_by(Job.run_at)
            )
            return [
                ScheduledJob(j.key, j.kind, j.state, j.due_at, j.run_at, j.attempts, j.last_error)
                for j in rows
            ]

    # -- running --------------------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._stopping = False
            self._loop_task = create_task(self._run_forever(), name=f"scheduler:{self.worker_id}")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; let running jobs finish for `grace` seconds, then release the rest."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        if self._running:
            _, still_running = await asyncio.wait(set(self._running), timeout=grace)
            for task in still_running:
                task.cancel()
            await asyncio.gather(*still_running, return_exceptions=True)

    async def run_due(self) -> int:
        """Claim and run every job that is due now, waiting for them; returns how many ran.

        The loop uses the same path; tests and benchmarks call it to run the queue by hand.
        """
        ran = 0
        while True:
            claimed = await self._claim_and_spawn()
            ran += claimed
            if claimed == 0 and not self._running:
                return ran
            if claimed == 0 or len(self._running) >= self._concurrency:
                await asyncio.wait(set(self._running), return_when=asyncio.FIRST_COMPLETED)

    async def _run_forever(self) -> None:
        while not self._stopping:
            try:
                await self._purge_finished()
                while not self._stopping and await self._claim_and_spawn():
                    pass
                self._wake.clear()
                delay = await self._seconds_until_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the job queue could not be read; trying again shortly")
                delay = min(5.0, self._max_idle)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _claim_and_spawn(self) -> int:
        """Claim as many due jobs as there are free slots and start them; returns how many."""
        free = self._concurrency - len(self._running)
        if free <= 0:
            return 0
        jobs = await self._claim(free)
        for job in jobs:
            task = create_task(self._execute(job), name=f"job:{job.key}")
            self._running.add(task)
            task.add_done_callback(self._job_finished)
        return len(jobs)

    def _job_finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free: there may be more due work waiting for it

    async def _claim(self, limit: int = 1) -> list[DueJob]:
        if not self._kinds:
            return []
        now = self._clock()
        claimable = and_(Job.kind.in_(self._kinds), self._claimable(now), self._shard_filter())
        candidates = (
            select(Job.id)
            .where(claimable)
            .order_by(Job.run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(Job)
            .where(Job.id.in_(candidates.scalar_subquery()), self._claimable(now))
            .values(
                state=JobState.RUNNING,
                attempts=Job.attempts + 1,
                claimed_by=self.worker_id,
                lease_until=now + self._lease,
            )
            .returning(Job.id, Job.key, Job.kind, Job.guild_id, Job.payload, Job.due_at, Job.attempts)
            .execution_options(synchronize_session=False)
        )
        async with self._writing() as session:
            rows = (await session.execute(stmt)).all()
        return [DueJob(r.id, r.key, r.kind, r.guild_id, r.payload or {}, r.due_at, r.attempts) for r in rows]

    @staticmethod
    def _claimable(now: datetime) -> ColumnElement[bool]:
        pending_and_due = and_(Job.state == JobState.PENDING, Job.run_at <= now)
        lease_lapsed = and_(Job.state == JobState.RUNNING, Job.lease_until < now)
        return or_(pending_and_due, lease_lapsed)

    def _shard_filter(self) -> ColumnElement[bool]:
        if self._shard_ids is None or self._shard_count is None:
            return and_(True)
        # Discord routes a guild to shard (guild_id >> 22) % shard_count.
        shard_of_guild = Job.guild_id.op(">>")(literal(22, Integer)) % self._shard_count
        return or_(Job.guild_id.is_(None), shard_of_guild.in_(self._shard_ids))

    async def _execute(self, job: DueJob) -> None:
        kind = self._kinds.get(job.kind)
        if kind is None:  # unregistered while claimed, e.g. its cog was unloaded
            await self._release(job)
            return
        lateness = self._clock() - job.due_at
        stale = kind.max_lateness is not None and lateness > kind.max_lateness
        try:
            async with asyncio.timeout(self._lease.total_seconds() * 0.9):
                if kind.then is not None and (following := await kind.then(job)) is not None:
                    await self.schedule_many([following])
                if not stale:
                    await kind.handler(job)
        except asyncio.CancelledError:
            await asyncio.shield(self._release(job))
            raise
        except PermanentJobError as exc:
            log.error("job %s (%s) failed for good: %s", job.key, job.kind, exc)
            await self._finish(job, JobState.DEAD, str(exc))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if job.attempt >= kind.max_attempts:
                log.error("job %s (%s) is dead after %d attempts", job.key, job.kind, job.attempt, exc_info=exc)
                await self._finish(job, JobState.DEAD, error)
            else:
                delay = self.backoff(job.attempt)
                log.warning("job %s (%s) failed (attempt %d), retrying in %s: %s",
                            job.key, job.kind, job.attempt, delay, error, exc_info=exc)
                await self._retry(job, delay, error)
        else:
            if stale:
                log.info("dropped job %s (%s): %s late, allowed %s", job.key, job.kind, lateness, kind.max_lateness)
                await self._finish(job, JobState.DROPPED, f"stale: {lateness} late")
            else:
                await self._finish(job, JobState.DONE, None)

    def backoff(self, attempt: int) -> timedelta:
        """Exponential: base, 2x base, 4x base, ... capped."""
        delay: timedelta = min(self._retry_base * (2 ** (attempt - 1)), self._retry_cap)
        return delay

    def _mine(self, job: DueJob) -> ColumnElement[bool]:
        return and_(Job.id == job.id, Job.state == JobState.RUNNING, Job.claimed_by == self.worker_id)

    async def _finish(self, job: DueJob, state: JobState, error: str | None) -> None:
        await self._update_mine(job, state=state, last_error=error, finished_at=self._clock(), lease_until=None)

    async def _retry(self, job: DueJob, delay: timedelta, error: str) -> None:
        run_at = self._clock() + delay
        await self._update_mine(job, state=JobState.PENDING, run_at=run_at, last_error=error,
                                claimed_by=None, lease_until=None)
        self._notify(run_at)

    async def _release(self, job: DueJob) -> None:
        """Hand a job back untouched (shutdown): it did not really get its attempt."""
        await self._update_mine(job, state=JobState.PENDING, attempts=Job.attempts - 1,
                                claimed_by=None, lease_until=None)

    async def _update_mine(self, job: DueJob, **values: Any) -> None:
        async with self._writing() as session:
            await session.execute(update(Job).where(self._mine(job)).values(**values))

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        async with writing(self._sessions) as session:  # takes its turn with every other writer on SQLite
            yield session

    async def _seconds_until_next(self) -> float:
        if not self._kinds:
            self._next_wake_at = None
            return self._max_idle
        now = self._clock()
        async with self._sessions() as session:
            soonest = await session.scalar(
                select(func.min(Job.run_at)).where(
                    Job.kind.in_(self._kinds), Job.state == JobState.PENDING, self._shard_filter()
                )
            )
            lapsed = await session.scalar(
                select(func.min(Job.lease_until)).where(Job.kind.in_(self._kinds), Job.state == JobState.RUNNING)
            )
        candidates = [t for t in (soonest, lapsed) if t is not None]
        next_at = min(candidates) if candidates else now + timedelta(seconds=self._max_idle)
        self._next_wake_at = next_at
        return max(0.0, min((next_at - now).total_seconds(), self._max_idle))

    def _notify(self, run_at: datetime) -> None:
        if self._next_wake_at is None or run_at < self._next_wake_at:
            self._wake.set()

    async def _purge_finished(self) -> None:
        now = self._clock()
        if self._last_purge is not None and now - self._last_purge < timedelta(hours=1):
            return
        self._last_purge = now
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(Job).where(Job.state.in_(FINISHED_STATES), Job.finished_at < now - self._retention)
            )
        if removed := _rowcount(result):
            log.info("removed %d finished jobs older than %s", removed, self._retention)


# What each job brings; the upsert takes these first, then the columns every new job starts with.
_JOB_COLUMNS = ("key", "kind", "guild_id", "payload", "due_at", "run_at")
# Rows handed to the driver at a time.
UPSERT_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class _Upsert:
    """The upsert compiled for one dialect, with the column types' own converters to driver values."""

    sql: str
    dump_payload: Callable[[Any], Any]
    dump_instant: Callable[[Any], Any]
    starting: Callable[[datetime], tuple[Any, ...]]  # the values after _JOB_COLUMNS, for a job made at an instant


_upserts: dict[str, _Upsert] = {}


def _compiled_upsert(dialect: Dialect) -> _Upsert:
    if (ready := _upserts.get(dialect.name)) is not None:
        return ready
    table = cast(Table, Job.__table__)
    stmt = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)
    # Only a pending job moves: one that ran (or is running) keeps its key, so scheduling the
    # same occurrence again after a restart never repeats it.
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={k: stmt.excluded[k] for k in _JOB_COLUMNS[1:]},
        where=table.c.state == literal_column(f"'{JobState.PENDING.value}'"),
    )
    starting_values: dict[str, Any] = {"state": JobState.PENDING, "attempts": 0}
    compiled = upsert.compile(dialect=dialect, column_keys=[*_JOB_COLUMNS, *starting_values, "created_at"])
    order = tuple(compiled.positiontup or ())
    if order[:len(_JOB_COLUMNS)] != _JOB_COLUMNS:
        raise RuntimeError(f"the jobs upsert takes its parameters as {order}")

    def converter(column: str) -> Callable[[Any], Any]:
        convert = table.c[column].type.bind_processor(dialect)
        return convert if convert is not None else (lambda value: value)

    def first_value(column: str) -> Any:
        if column in starting_values:
            return starting_values[column]
        default = table.c[column].default  # max_attempts: the model's own default
        return default.arg if isinstance(default, ColumnDefault) and default.is_scalar else None

    rest = order[len(_JOB_COLUMNS):]
    fixed = {column: converter(column)(first_value(column)) for column in rest if column != "created_at"}
    dump_instant = converter("created_at")

    def starting(now: datetime) -> tuple[Any, ...]:
        made = dump_instant(now)
        return tuple(made if column == "created_at" else fixed[column] for column in rest)

    ready = _Upsert(compiled.string, converter("payload"), dump_instant, starting)
    _upserts[dialect.name] = ready
    return ready


async def _upsert(session: AsyncSession, jobs: Sequence[NewJob], now: datetime) -> None:
    """Add or move `jobs` in one statement run over many rows.

    Planning writes thousands of jobs at a time. SQLAlchemy's per-row work (building each row's
    parameters, converting each of its three instants) cost several times what the database did,
    so the statement is compiled once by SQLAlchemy, each value goes through the column type's own
    converter, and the rows go to the driver as plain tuples.
    """
    connection = await session.connection()
    upsert = _compiled_upsert(connection.dialect)
    dump_payload, dump_instant, tail = upsert.dump_payload, upsert.dump_instant, upsert.starting(now)
    rows = []
    for job in jobs:
        due = dump_instant(job.due_at)
        rows.append((job.key, job.kind, job.guild_id, dump_payload(job.payload), due, due, *tail))
    for start in range(0, len(rows), UPSERT_CHUNK):
        await connection.exec_driver_sql(upsert.sql, rows[start:start + UPSERT_CHUNK])


def _after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
