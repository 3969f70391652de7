"""A big meeting: 300 attendees pressing Raise hand within 10 seconds.

    .venv/bin/python -m bench.facilitation [attendees] [seconds]        # defaults 300 and 10
    TEST_DATABASE_URL=postgresql+asyncpg://… .venv/bin/python -m bench.facilitation

The real bot (`python -m bot`) runs against the Discord double. A facilitator starts a meeting; then each
attendee presses ✋ Raise hand on the live panel at a random moment within the window. For each press, the time
from its INTERACTION_CREATE leaving the double to the bot's answer. Then: was every press answered, is the queue
exact (everyone once, places 1 to N each given once, the panel listing all N), and how many times the panel was
edited: in all, and at most in any 5 seconds (Discord lets a bot edit one message about 5 times in 5 seconds).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import on_chosen_database
from tests.cogs.test_meetings import create, tomorrow_at
from tests.community import build_community
from tests.discord_double import Channel, DiscordDouble, InteractionResult, Member, Message
from tests.e2e.process import BotProcess

EDITS_PER_WINDOW, WINDOW = 5, 5.0
PLACE = re.compile(r"\*\*#(\d+)\*\*")


async def run(attendees: int, seconds: float, database_url: str | None) -> None:
    async with DiscordDouble() as double:
        community = build_community(double)
        people = [double.add_member(community.guild, double.add_user(f"attendee-{n}")) for n in range(attendees)]
        with tempfile.TemporaryDirectory() as folder:
            env = {"DATABASE_URL": database_url} if database_url else {}
            bot = await BotProcess(double, Path(folder), **env).start()
            try:
                await bot.wait_ready()
                await double.wait_for_commands()
                await community.configure()
                await create(community, tomorrow_at(19), name="Big Book Study")
                started = await community.run("meeting start", user=community.facilitator, meeting="Big Book Study")
                await started.wait_for_followup()
                panel = next(m for m in double.messages(community.meeting_room) if m.embeds)
                hand = next(c["custom_id"] for row in panel.components for c in row["components"]
                            if c["custom_id"].startswith("run:hand:"))
                rng = random.Random(7)
                began = time.monotonic()
                timed = await asyncio.gather(*(_press(double, panel, hand, who, rng.uniform(0, seconds))
                                               for who in people))
                await asyncio.sleep(3)  # the last coalesced edit lands within EDIT_GAP
                await bot.stop()
            except BaseException:
                print(bot.log[-4000:], file=sys.stderr)
                raise
        report(double, community.meeting_room, panel, timed, attendees, seconds, began)


async def _press(double: DiscordDouble, panel: Message, custom_id: str, who: Member,
                 delay: float) -> tuple[InteractionResult, float]:
    await asyncio.sleep(delay)
    sent = time.perf_counter()
    result = await double.click(panel, custom_id, user=who, timeout=30)
    return result, time.perf_counter() - sent


def report(double: DiscordDouble, room: Channel, panel: Message, timed: list[tuple[InteractionResult, float]],
           attendees: int, seconds: float, began: float) -> None:
    places = sorted(int(m[1]) for result, _ in timed if (m := PLACE.search(result.content or "")))
    waits = sorted(wait for _, wait in timed)
    answered = sum(1 for result, _ in timed if result.content)
    final = next(m for m in double.messages(room) if m.id == panel.id)
    listed = json.dumps(final.embeds)
    exact = places == list(range(1, attendees + 1)) and f"Queue ({attendees})" in listed
    edits = [r.time_monotonic for r in double.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
             if r.params.get("message_id") == str(panel.id) and r.time_monotonic >= began]
    busiest = max((sum(1 for t in edits if start <= t < start + WINDOW) for start in edits), default=0)
    p50, p99 = statistics.median(waits), statistics.quantiles(waits, n=100, method="inclusive")[98]
    print(f"{attendees} attendees pressing Raise hand within {seconds:.0f} s")
    print(f"  answered: {answered}/{attendees}   {'OK' if answered == attendees else 'MISSED'}")
    print(f"  press -> answer: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, slowest {waits[-1] * 1000:.0f} ms")
    print(f"  queue exact (places 1..{attendees} each once, the panel lists {attendees}): "
          f"{'OK' if exact else 'MISSED'}")
    print(f"  panel edits: {len(edits)} for {attendees} presses; at most {busiest} in any {WINDOW:.0f} s   "
          f"{'OK' if busiest <= EDITS_PER_WINDOW else 'MISSED'} (Discord: about {EDITS_PER_WINDOW} per "
          f"{WINDOW:.0f} s)")


def main() -> None:
    args = [float(a) for a in sys.argv[1:3]]
    attendees, seconds = int(args[0]) if args else 300, args[1] if len(args) > 1 else 10.0

    on_chosen_database(lambda url: run(attendees, seconds, url))


if __name__ == "__main__":
    main()
