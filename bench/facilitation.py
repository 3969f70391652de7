"""A big meeting: 300 attendees pressing Raise hand within 10 seconds.

    .venv/bin/python -m bench.facilitation [attendees] [seconds]        # defaults 300 and 10
    TEST_DATABASE_URL=postgresql+asyncpg://… .venv/bin/python -m bench.facilitation

The real bot (`python -m bot`) runs against the Discord double, and beside it, on its own gateway session, the
floor: bench/floor_bot.py, a bare discord.py bot that answers the same Raise hand button at once. A
facilitator starts a meeting; then each attendee presses ✋ Raise hand on the live panel at a random moment
within the window, for the bot and for the floor at the same moment (which goes first alternates). For each
press, the round trip on the double's clock: INTERACTION_CREATE written to the bot's socket -> its callback.
Then: was every press answered, is the queue exact (everyone once, places 1 to N each given once, the panel
listing all N), and how many times the panel was edited: in all, and at most in any 5 seconds (Discord lets a
bot edit one message about 5 times in 5 seconds).
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
from bench.hot_path import ModuleProcess, Target, start_target
from tests.cogs.test_meetings import create, tomorrow_at
from tests.community import build_community
from tests.discord_double import Channel, DiscordDouble, InteractionResult, Member, Message
from tests.e2e.process import BotProcess

EDITS_PER_WINDOW, WINDOW = 5, 5.0
PLACE = re.compile(r"\*\*#(\d+)\*\*")


async def run(attendees: int, seconds: float, database_url: str | None) -> None:
    async with DiscordDouble() as double:
        double.parallel_sessions = True  # the floor and the bot share the token, each its own session
        community = build_community(double)
        people = [double.add_member(community.guild, double.add_user(f"attendee-{n}")) for n in range(attendees)]
        with tempfile.TemporaryDirectory() as folder:
            env = {"DATABASE_URL": database_url} if database_url else {}
            bot = await start_target(double, "bot", BotProcess(double, Path(folder), **env))
            floor: Target | None = None
            try:
                await double.wait_for_commands()
                await community.configure()
                await create(community, tomorrow_at(19), name="Big Book Study")
                started = await community.run("meeting start", user=community.facilitator, meeting="Big Book Study")
                await started.wait_for_followup()
                panel = next(m for m in double.messages(community.meeting_room) if m.embeds)
                hand = next(c["custom_id"] for row in panel.components for c in row["components"]
                            if c["custom_id"].startswith("run:hand:"))
                floor = await start_target(double, "floor", ModuleProcess(double, Path(folder) / "floor",
                                                                          "bench.floor_bot", "floor.log"))
                rng = random.Random(7)
                began = time.monotonic()
                pressed = await asyncio.gather(*(_press_both(double, panel, hand, who, rng.uniform(0, seconds),
                                                             bot, floor, n % 2 == 0)
                                                 for n, who in enumerate(people)))
                await asyncio.sleep(3)  # the last coalesced edit lands within EDIT_GAP
            except BaseException:
                print(bot.process.log[-4000:], file=sys.stderr)
                raise
            finally:
                for target in (bot, floor):
                    if target is not None:
                        await target.process.stop()
        report(double, community.meeting_room, panel, pressed, attendees, seconds, began)


async def _press_both(double: DiscordDouble, panel: Message, custom_id: str, who: Member, delay: float,
                      bot: Target, floor: Target, bot_first: bool) -> tuple[InteractionResult, InteractionResult]:
    """`who` presses Raise hand on the bot's panel, and the same button for the floor, at one moment."""
    await asyncio.sleep(delay)
    order = (bot, floor) if bot_first else (floor, bot)
    first, second = await asyncio.gather(*(double.click(panel, custom_id, user=who, timeout=30, session=t.session)
                                           for t in order))
    return (first, second) if bot_first else (second, first)


def _round_trip(result: InteractionResult) -> float:
    # The double's own clock: INTERACTION_CREATE written to the bot's socket -> its callback received.
    assert result.sent_monotonic is not None and result.callback_monotonic is not None
    return result.callback_monotonic - result.sent_monotonic


def report(double: DiscordDouble, room: Channel, panel: Message,
           pressed: list[tuple[InteractionResult, InteractionResult]], attendees: int, seconds: float,
           began: float) -> None:
    bot_results = [b for b, _ in pressed]
    places = sorted(int(m[1]) for result in bot_results if (m := PLACE.search(result.content or "")))
    answered = sum(1 for result in bot_results if result.content)
    final = next(m for m in double.messages(room) if m.id == panel.id)
    exact = places == list(range(1, attendees + 1)) and f"Queue ({attendees})" in json.dumps(final.embeds)
    edits = [r.time_monotonic for r in double.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}")
             if r.params.get("message_id") == str(panel.id) and r.time_monotonic >= began]
    busiest = max((sum(1 for t in edits if start <= t < start + WINDOW) for start in edits), default=0)
    print(f"{attendees} attendees pressing Raise hand within {seconds:.0f} s")
    print(f"  answered: {answered}/{attendees}   {'OK' if answered == attendees else 'MISSED'}")
    figures = {}
    for name, results in (("bot", bot_results), ("floor", [f for _, f in pressed])):
        waits = sorted(_round_trip(r) for r in results)
        figures[name] = (statistics.median(waits), statistics.quantiles(waits, n=100, method="inclusive")[98],
                         waits[-1])
        p50, p99, slowest = figures[name]
        print(f"  {name:5} press -> answer: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"slowest {slowest * 1000:.1f} ms")
    ratio50, ratio99 = (figures["bot"][i] / figures["floor"][i] for i in range(2))
    print(f"  bot / floor (a bare discord.py bot answering the same button): p50 {ratio50:.2f}x, "
          f"p99 {ratio99:.2f}x   {'OK' if ratio99 <= 1.5 else 'MISSED'} (design: p99 within 1.5x)")
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
