"""The interaction hot path: the real bot's round trip against a bare discord.py bot's, on one double.

    .venv/bin/python -m bench.hot_path [interactions] [concurrency]     # defaults 300 and 20
    .venv/bin/python -m bench.hot_path 300 20 --profile                 # and cProfile the bot per command

One Discord double on loopback holds a server like tests/community.py's. The real bot (`python -m bot`,
SQLite in a temporary data folder) is started once to fill it: the manager runs /config and
`/meeting import` with a 200-row feed in the shape of real intergroup feeds (tests.feed_fixtures.big_feed;
180 online and 20 hybrid meetings, since a server lists the meetings people join online),
and the Events tab is left to fill in the background until the bot goes quiet. Then the floor,
bench/floor_bot.py (a bare discord.py bot with the same intents and client set-up and the same command
names, answering each at once with a fixed ephemeral message), and the real bot again (a restart: a warm
database of 200 meetings) both connect to the same double on the same token, each with its own gateway
session; each bot's interactions are built from the commands that bot registered.

For `/resources`, `/meeting list` (the 200-meeting server's next 7 days) and `/meeting info meeting:<id>`
(25 of the meetings in turn), members of the server send `interactions` interactions to each bot,
`concurrency` at a time, in rounds of 50 alternating between the bots (which bot goes first alternates
too) so drift on the machine hits both alike; one round of `concurrency` each goes first, unmeasured, to
warm up. The round trip is read from the double's own clock: from the moment INTERACTION_CREATE was
written to the bot's websocket to the moment the double received the bot's initial callback POST. It is
time inside the bot process (discord.py and the bot's own code, its database, its loop), plus loopback.

Prints, per command: p50, p99 and mean in milliseconds for the bot and the floor, the ratios bot/floor,
and whether they meet the design target (p99 within 1.5x the floor's, p50 within 2x); then each process's
resident memory (VmRSS) idle after start and after the run, and any other REST calls the bot made while
measured (its background work: reminders, the Events tab). Small absolute times make big ratios: read
the ratios with the milliseconds next to them. The three processes share this machine's cores, so the
figures are comparable with each other, not with production. `--profile` runs the bot under
bench/profiled_bot.py and prints a cProfile of its event-loop thread per command; profiling slows the bot
several times over, so read those runs for where the time goes, not for the ratios.
"""

from __future__ import annotations

import asyncio
import collections
import math
import pstats
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import floor_bot
from bot.client import intents as bot_intents
from tests.community import Community, build_community
from tests.discord_double import DiscordDouble, InteractionResult, Member
from tests.discord_double.gateway import GatewaySession
from tests.e2e.process import BotProcess
from tests.feed_fixtures import big_feed, feed_bytes

MEETINGS = 200
ROUND = 50
INFO_IDS = 25  # /meeting info asks about this many meetings in turn
P99_TARGET = 1.5
P50_TARGET = 2.0
COMMANDS = ("resources", "meeting list", "meeting info")


class ModuleProcess(BotProcess):
    """A BotProcess that runs another module: the floor bot, or the bot under bench.profiled_bot."""

    def __init__(self, double: DiscordDouble, workdir: Path, module: str, log_name: str) -> None:
        super().__init__(double, workdir)
        self.module = module
        self.log_file = workdir / log_name

    async def start(self) -> ModuleProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, cwd=self.workdir, env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
        )
        log.close()
        return self


@dataclass
class Target:
    """One bot under measurement: its process, its gateway session, the commands it registered."""

    name: str
    process: BotProcess
    session: GatewaySession
    commands: list[dict[str, Any]]
    idle_rss: float = 0.0
    times: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))

    @property
    def pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def settle(double: DiscordDouble, quiet: float = 1.5, limit: float = 90.0) -> None:
    """Until no process made a REST call for `quiet` seconds (background work done), at most `limit`."""
    loop = asyncio.get_running_loop()
    seen, changed, deadline = len(double.requests), loop.time(), loop.time() + limit
    while loop.time() - changed < quiet and loop.time() < deadline:
        await asyncio.sleep(0.1)
        if len(double.requests) != seen:
            seen, changed = len(double.requests), loop.time()


async def seed(double: DiscordDouble, community: Community, workdir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Start the real bot once: configure the server, import 200 meetings. Returns the commands it
    registered and the ids of some meetings (as /meeting info's autocomplete offers them)."""
    process = await BotProcess(double, workdir).start()
    try:
        await process.wait_ready()
        commands = list(await double.wait_for_commands())
        await community.configure()
        upload = double.attachment("feed.json", feed_bytes(big_feed(MEETINGS, online_share=0.9)))
        imported = await community.run("meeting import", file=upload)
        report = await imported.wait_for_followup(timeout=120)
        if f"{MEETINGS} new" not in report.content:
            raise AssertionError(f"the import did not add {MEETINGS} meetings: {report.content}")
        await settle(double)
        choices = await double.autocomplete("meeting info", user=community.alice, focused="meeting",
                                            options={"meeting": ""})
    finally:
        await process.stop()
    ids = [str(choice["value"]) for choice in choices][:INFO_IDS]
    if not ids:
        raise AssertionError("/meeting info's autocomplete offered no meetings")
    return commands, ids


async def start_target(double: DiscordDouble, name: str, process: BotProcess) -> Target:
    """Start a process. With parallel sessions its session is shard 0's newest once it is ready; its
    commands are what the double holds after it, if it registered any."""
    registrations = double.command_registrations
    previous = double.sessions().get(0)
    await process.start()
    await process.wait_ready()
    session = double.sessions()[0]
    if session is previous:
        raise AssertionError(f"{name} is ready but did not IDENTIFY:\n{process.log}")
    return Target(name, process, session, double.commands() if double.command_registrations > registrations else [])


async def batch(double: DiscordDouble, target: Target, command: str, count: int, concurrency: int,
                users: Sequence[Member], channel: Any, options: Callable[[int], dict[str, Any]]) -> list[float]:
    """`count` interactions, `concurrency` at a time; each one's round trip in seconds (double's clock)."""
    results: list[InteractionResult] = []
    started = 0

    async def worker() -> None:
        nonlocal started
        while started < count:
            number = started
            started += 1
            results.append(await double.invoke(command, user=users[number % len(users)], channel=channel,
                                               options=options(number), session=target.session,
                                               commands=target.commands))

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    for result in results:
        answered = result.embeds if target.name == "bot" else result.content == floor_bot.ANSWER
        if result.type != 4 or not result.ephemeral or not answered:
            raise AssertionError(f"{target.name} answered /{command} unexpectedly: type {result.type}, "
                                 f"{result.content!r}, {len(result.embeds)} embeds")
    return [result.callback_monotonic - result.sent_monotonic for result in results]


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def verdict(ratio: float, target: float) -> str:
    return f"{'OK' if ratio <= target else 'MISSED'} (target <= {target:g}x)"


async def measure(double: DiscordDouble, community: Community, bot: Target, floor: Target, ids: list[str],
                  interactions: int, concurrency: int, profile: bool) -> list[Path]:
    users = [community.alice, community.bob, community.volunteer, community.facilitator, community.manager]
    options: dict[str, Callable[[int], dict[str, Any]]] = {
        "resources": lambda n: {}, "meeting list": lambda n: {},
        "meeting info": lambda n: {"meeting": ids[n % len(ids)]},
    }
    profiles: list[Path] = []
    for command in COMMANDS:
        run = options[command]
        for target in (bot, floor):  # warm-up, unmeasured
            await batch(double, target, command, concurrency, concurrency, users, community.general, run)
        if profile:
            bot.process.process.send_signal(signal.SIGUSR1)
        for number in range(math.ceil(interactions / ROUND)):
            count = min(ROUND, interactions - number * ROUND)
            for target in ((bot, floor) if number % 2 == 0 else (floor, bot)):
                target.times[command] += await batch(double, target, command, count, concurrency, users,
                                                     community.general, run)
        if profile:
            bot.process.process.send_signal(signal.SIGUSR2)
            written = bot.process.workdir / f"profile-{len(profiles) + 1}.pstats"
            await double.wait_for(written.exists, timeout=10, what=f"{written.name}")
            await asyncio.sleep(0.2)  # let it finish writing
            profiles.append(written)
    return profiles


def report(bot: Target, floor: Target, interactions: int, concurrency: int, seconds: float) -> None:
    print(f"\ninteraction round trip, INTERACTION_CREATE written -> initial callback received (the double's "
          f"clock): {interactions} per command and bot, {concurrency} at a time, rounds of {ROUND} alternating "
          f"({seconds:.0f} s)")
    print(f"  {'':16s} {'':6s} {'p50':>9s} {'p99':>9s} {'mean':>9s}")
    for command in COMMANDS:
        rows = {}
        for target in (bot, floor):
            values = target.times[command]
            rows[target.name] = (statistics.median(values), percentile(values, 99), statistics.fmean(values))
            p50, p99, mean = rows[target.name]
            label = f"/{command}" if target is bot else ""
            print(f"  {label:16s} {target.name:6s} {p50 * 1000:7.2f}ms {p99 * 1000:7.2f}ms {mean * 1000:7.2f}ms")
        r50, r99, rmean = (rows["bot"][i] / rows["floor"][i] for i in range(3))
        print(f"  {'':16s} {'ratio':6s} {r50:8.2f}x {r99:8.2f}x {rmean:8.2f}x   "
              f"p50 {verdict(r50, P50_TARGET)}, p99 {verdict(r99, P99_TARGET)}")


def print_profiles(profiles: list[Path]) -> None:
    for command, path in zip(COMMANDS, profiles, strict=False):
        print(f"\n--- cProfile of the bot's event-loop thread while /{command} was measured "
              "(own time, top 25) ---")
        pstats.Stats(str(path)).strip_dirs().sort_stats("tottime").print_stats(25)
        print("--- same, cumulative (top 40) ---")
        pstats.Stats(str(path)).strip_dirs().sort_stats("cumulative").print_stats(40)


async def main(interactions: int, concurrency: int, profile: bool) -> None:
    if floor_bot.intents().value != bot_intents().value:
        raise SystemExit("bench/floor_bot.py's intents no longer match bot.client.intents(): update the floor")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        async with DiscordDouble() as double:
            community = build_community(double)
            double.parallel_sessions = True  # the floor and the bot share the token, each its own session
            bot_commands, ids = await seed(double, community, workdir)
            floor = await start_target(double, "floor", ModuleProcess(double, workdir, "bench.floor_bot",
                                                                      "floor.log"))
            if not floor.commands:
                raise AssertionError(f"the floor registered no commands:\n{floor.process.log}")
            real = ModuleProcess(double, workdir, "bench.profiled_bot", "bot-profiled.log") if profile \
                else BotProcess(double, workdir)
            bot = await start_target(double, "bot", real)
            bot.commands = bot_commands  # a restart: its commands are unchanged, so it registers none
            try:
                await settle(double)
                for target in (bot, floor):
                    target.idle_rss = rss_mb(target.pid)
                before = len(double.requests)
                measuring = time.perf_counter()
                profiles = await measure(double, community, bot, floor, ids, interactions, concurrency, profile)
                measured = time.perf_counter() - measuring
                background = [r for r in double.requests[before:] if r.route is None
                              or not r.route.startswith("/interactions/")]
                after = {target.name: rss_mb(target.pid) for target in (bot, floor)}
            finally:
                codes = [await target.process.stop() for target in (bot, floor)]
            report(bot, floor, interactions, concurrency, measured)
            print(f"\nresident memory (VmRSS)   {'idle after start':>17s} {'after the run':>14s}")
            for target, label in ((bot, "bot (python -m bot)"), (floor, "floor (bench.floor_bot)")):
                print(f"  {label:24s} {target.idle_rss:14.1f} MB {after[target.name]:11.1f} MB")
            routes = collections.Counter(f"{r.method} {r.route}" for r in background)
            print(f"\nother REST calls while measured: {len(background)}"
                  + "".join(f"\n  {count:4d} {route}" for route, count in routes.most_common()))
            if any(codes) or "Traceback" in bot.process.log:
                print(f"\nWARNING: exit codes {codes}; bot log tail:\n{bot.process.log[-3000:]}")
            if profiles:
                print_profiles(profiles)
    print(f"\ntotal {time.perf_counter() - began:.0f} s (start-up, import of {MEETINGS} meetings, measurement)")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--profile"]
    asyncio.run(main(int(arguments[0]) if arguments else 300, int(arguments[1]) if len(arguments) > 1 else 20,
                     "--profile" in sys.argv[1:]))
