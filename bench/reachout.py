"""Reach-out under load: 200 requests at the same moment, 50 volunteers on call.

    .venv/bin/python -m bench.reachout [requests] [volunteers]        # defaults 200 and 50
    TEST_DATABASE_URL=postgresql+asyncpg://… .venv/bin/python -m bench.reachout   # on a fresh PostgreSQL database

The real bot (`python -m bot`, SQLite in a temporary folder unless TEST_DATABASE_URL is set) runs against the
Discord double. A server like tests/community.py's is set up, `volunteers` volunteers join the roster and
say they are available, and `requests` members each send /reachout at the same moment (all
INTERACTION_CREATEs written at once). For each request, the time from its INTERACTION_CREATE reaching the
bot's socket to its first ping reaching the double: the card in the reach-out channel that mentions the
volunteers (or, past their limits, the moderators). Prints p50, p99 and the slowest, whether every request
was routed and pinged within 2 s, and the most pings and open requests any volunteer got against the
server's limits (daily pings 10, open requests 1: 50 volunteers can take 500 pings a day, so past that the
ladder starts at the moderators, as designed).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import on_chosen_database
from tests.community import Community, build_community
from tests.discord_double import Channel, DiscordDouble, InteractionResult, Member
from tests.e2e.process import BotProcess

TARGET_SECONDS = 2.0
DAILY_PINGS, MAX_OPEN = 10, 1
CARD_NUMBER = re.compile(r"Request #(\d+)")


async def run(requests: int, volunteers: int, database_url: str | None) -> None:
    async with DiscordDouble() as double:
        community = build_community(double)
        people = [double.add_member(community.guild, double.add_user(f"volunteer-{n}"),
                                    roles=[community.volunteer_role]) for n in range(volunteers)]
        askers = [double.add_member(community.guild, double.add_user(f"member-{n}")) for n in range(requests)]
        with tempfile.TemporaryDirectory() as folder:
            env = {"DATABASE_URL": database_url} if database_url else {}
            bot = await BotProcess(double, Path(folder), **env).start()
            try:
                await bot.wait_ready()
                await double.wait_for_commands()
                await community.configure()
                for person in people:
                    for command in ("volunteer join", "volunteer available"):
                        await community.run(command, user=person)
                began = time.perf_counter()
                results = await asyncio.gather(*(
                    community.run("reachout", user=asker, message=f"Request from member {n}: a hard evening")
                    for n, asker in enumerate(askers)))
                await asyncio.gather(*(r.wait_for_followup(timeout=60) for r in results))
                cards = await _cards(double, community.reachout, requests)
                wall = time.perf_counter() - began
                await bot.stop()
            except BaseException:
                print(bot.log[-4000:], file=sys.stderr)
                raise
        report(double, community, results, cards, people, wall)


async def _cards(double: DiscordDouble, channel: Channel, expected: int, limit: float = 60) -> dict[int, float]:
    """Request number -> when its card reached the double, once every request has one."""
    deadline = time.monotonic() + limit
    while True:
        cards: dict[int, float] = {}
        for recorded in double.requests_to("POST", "/channels/{channel_id}/messages"):
            if recorded.params.get("channel_id") == str(channel.id):
                found = CARD_NUMBER.search(str(recorded.json))
                if found:
                    cards.setdefault(int(found[1]), recorded.time_monotonic)
        if len(cards) >= expected or time.monotonic() > deadline:
            return cards
        await asyncio.sleep(0.05)


def report(double: DiscordDouble, community: Community, results: list[InteractionResult], cards: dict[int, float],
           people: list[Member], wall: float) -> None:
    numbers: dict[int, float] = {}
    for result in results:
        text = " ".join(m.content or "" for m in [result.message, *result.followups] if m)
        found = re.search(r"request #(\d+)", text)
        if found and result.sent_monotonic is not None:
            numbers[int(found[1])] = result.sent_monotonic
    waits = sorted(cards[n] - sent for n, sent in numbers.items() if n in cards)
    routed, pinged = len(numbers), len(waits)
    p50 = statistics.median(waits)
    p99 = statistics.quantiles(waits, n=100, method="inclusive")[98]
    mentions: Counter[int] = Counter()
    for recorded in double.requests_to("POST", "/channels/{channel_id}/messages"):
        if recorded.params.get("channel_id") == str(community.reachout.id):
            for user_id in re.findall(r"<@(\d+)>", str(recorded.json.get("content") or "")):
                mentions[int(user_id)] += 1
    most = max((mentions[p.id] for p in people), default=0)
    moderator = sum(1 for r in double.requests_to("POST", "/channels/{channel_id}/messages")
                    if f"<@&{community.moderator_role.id}>" in str(r.json.get("content") or ""))
    total = len(results)
    print(f"{total} requests at once, {len(people)} volunteers on call: all answered in {wall:.2f} s")
    print(f"  routed (request number given): {routed}/{total}; first ping posted: {pinged}/{total}")
    print(f"  INTERACTION_CREATE -> first ping: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
          f"slowest {waits[-1] * 1000:.0f} ms   "
          f"{'OK' if pinged == total and waits[-1] <= TARGET_SECONDS else 'MISSED'} (target: every one within 2 s)")
    print(f"  volunteer pings: {sum(mentions[p.id] for p in people)} in all, at most {most} for one volunteer "
          f"(limit {DAILY_PINGS})   {'OK' if most <= DAILY_PINGS else 'MISSED'}; "
          f"{moderator} requests went to the moderators once the volunteers reached their limits")


def main() -> None:
    args = [int(a) for a in sys.argv[1:3]]
    requests, volunteers = (args + [200, 50][len(args):])[:2]

    on_chosen_database(lambda url: run(requests, volunteers, url))


if __name__ == "__main__":
    main()
