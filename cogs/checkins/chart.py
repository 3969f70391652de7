"""The history chart: mood and craving, day by day, over the last 30 days, as a PNG.

matplotlib is imported here, in the worker thread that draws, at the first /checkin history: most of the
time nobody asks for a chart, and the library would hold memory and slow start-up for nothing. The
object API (no pyplot) keeps each drawing to itself, so two threads never share a figure.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.checkins.entries import HISTORY_DAYS, Entry

MOOD_BLUE, CRAVING_RED = "#5B8DEF", "#D9534F"


def chart_png(entries: Sequence[Entry], now: datetime, zone: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    today = now.astimezone(ZoneInfo(zone)).date()
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS - 1, -1, -1)]
    mood = [_average([e.mood for e in entries if e.local_date == day]) for day in days]
    craving = [_average([e.craving for e in entries if e.local_date == day]) for day in days]

    figure = Figure(figsize=(8, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    moods = figure.add_subplot()
    cravings = moods.twinx()
    positions = list(range(len(days)))
    moods.plot(positions, mood, marker="o", color=MOOD_BLUE, label="Mood (1 struggling – 5 great)")
    cravings.plot(positions, craving, marker="s", linestyle="--", color=CRAVING_RED, label="Craving (0–10)")
    moods.set_ylim(0.5, 5.5)
    cravings.set_ylim(-0.5, 10.5)
    moods.set_ylabel("Mood", color=MOOD_BLUE)
    cravings.set_ylabel("Craving", color=CRAVING_RED)
    ticks = positions[::5] + ([positions[-1]] if positions[-1] % 5 else [])
    moods.set_xticks(ticks, [days[i].strftime("%d %b") for i in ticks])
    moods.set_title("Your last 30 days (gaps are days without a check-in)")
    handles = moods.get_legend_handles_labels()[0] + cravings.get_legend_handles_labels()[0]
    moods.legend(handles=handles, loc="upper left", fontsize="small")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png")
    return image.getvalue()


def _average(values: list[int]) -> float:
    return sum(values) / len(values) if values else math.nan
