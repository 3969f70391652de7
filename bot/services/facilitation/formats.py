"""A meeting's format: its ordered steps (title and text), share length and queue rule; neutral defaults per
kind, and a small text file to export, edit and import.

The defaults quote no fellowship's literature: where a group reads its own texts, the step says so and the
group reads from its approved copy. Two placeholders may appear in a step's text: `{milestones}` (the
members celebrating soon who chose to be named) and `{share_minutes}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeetingFormat
from bot.services.errors import InvalidInput
from bot.services.meetings.data import MeetingKind
from bot.services.text import checked, excerpt

MAX_STEPS = 20
TITLE_MAX = 80
TEXT_MAX = 1000
FILE_MAX = 24_000
DEFAULT_SHARE_MINUTES = 3
SHARE_MINUTES_MAX = 15
MILESTONES = "{milestones}"
SHARE_LENGTH = "{share_minutes}"


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Format:
    steps: tuple[Step, ...]
    share_minutes: int = DEFAULT_SHARE_MINUTES
    newcomers_first: bool = False


def _steps(*pairs: tuple[str, str]) -> tuple[Step, ...]:
    return tuple(Step(title, text) for title, text in pairs)


WELCOME = ("Welcome", "Welcome, everyone. I'm chairing today. Please keep your microphone muted unless you're "
                      "sharing. To share, press Raise hand; the queue is below.")
ANONYMITY = ("Anonymity and safety", "Who you see here and what you hear here stays here. Please don't record, "
                                     "screenshot or pass on anything said in this meeting. If you are in danger "
                                     "now, /resources has people who answer at any hour.")
NEWCOMERS = ("Newcomers", "Is anyone here for one of their first meetings? You are very welcome, and you don't "
                          "have to say anything. Just listen, and stay afterwards if you'd like to talk.")
RECOGNITION = ("Milestones", "Is anyone celebrating a milestone? " + MILESTONES)
TOPIC = ("Topic or speaker", "Today's topic or speaker is introduced.")
SHARING = ("Sharing", "The meeting is open for sharing. Press Raise hand to join the queue; each share is about "
                      f"{SHARE_LENGTH} minutes. Please share about yourself, and no cross-talk.")
BURNING = ("Burning desire", "Before we close: is there anyone with a burning desire to share, anyone who needs to "
                             "talk today and hasn't had the chance? Raise your hand now.")
ANNOUNCEMENTS = ("Announcements", "Group announcements, service positions and coming events.")
CLOSING = ("Closing", "Thank you all for being here. Look after yourselves until next time. The meeting is closed.")

DEFAULTS: dict[MeetingKind, Format] = {
    MeetingKind.TWELVE_STEP: Format(_steps(
        WELCOME, ANONYMITY,
        ("Readings", "The group's chosen readings are read, from its own approved literature."),
        NEWCOMERS, RECOGNITION, TOPIC, SHARING, BURNING, ANNOUNCEMENTS, CLOSING)),
    MeetingKind.SMART: Format(_steps(
        WELCOME, ("Confidentiality", ANONYMITY[1]),
        ("Check-in", "A short round: how has your week been, and is there something you'd like to work on today?"),
        ("Agenda", "The facilitator gathers the topics from the check-in to work on."),
        ("Working on it", "We work through the topics together, with the tools the group uses. Press Raise hand "
                          f"to join in; about {SHARE_LENGTH} minutes each."),
        BURNING,
        ("Check-out", "One thing you'll take with you from today, or a plan for the week."),
        CLOSING)),
    MeetingKind.FAMILY: Format(_steps(
        WELCOME, ANONYMITY,
        ("Purpose", "This meeting is for family and friends of people affected by addiction. Here the focus is on "
                    "ourselves and our own recovery."),
        NEWCOMERS, RECOGNITION, TOPIC, SHARING, BURNING, ANNOUNCEMENTS, CLOSING)),
    MeetingKind.SECULAR: Format(_steps(
        WELCOME, ANONYMITY,
        ("Opening reading", "A member reads the group's own opening text, if it has one."),
        NEWCOMERS, RECOGNITION, TOPIC, SHARING, BURNING, ANNOUNCEMENTS, CLOSING)),
    MeetingKind.OTHER: Format(_steps(WELCOME, ANONYMITY, NEWCOMERS, RECOGNITION, TOPIC, SHARING, BURNING,
                                     ANNOUNCEMENTS, CLOSING)),
}


def default_for(kind: MeetingKind) -> Format:
    return DEFAULTS.get(kind, DEFAULTS[MeetingKind.OTHER])


async def of_meeting(session: AsyncSession, meeting_id: int, kind: MeetingKind) -> Format:
    row = await session.get(MeetingFormat, meeting_id)
    if row is None:
        return default_for(kind)
    return Format(tuple(Step(s["title"], s["text"]) for s in row.steps), row.share_minutes, row.newcomers_first)


async def save(session: AsyncSession, meeting_id: int, chosen: Format) -> None:
    row = await session.get(MeetingFormat, meeting_id)
    steps = [{"title": s.title, "text": s.text} for s in chosen.steps]
    if row is None:
        session.add(MeetingFormat(meeting_id=meeting_id, steps=steps, share_minutes=chosen.share_minutes,
                                  newcomers_first=chosen.newcomers_first))
    else:
        row.steps, row.share_minutes, row.newcomers_first = steps, chosen.share_minutes, chosen.newcomers_first
    await session.flush()


def check_share_minutes(minutes: int) -> int:
    if not 1 <= minutes <= SHARE_MINUTES_MAX:
        raise InvalidInput(f"Give a share length from 1 to {SHARE_MINUTES_MAX} minutes; you gave {minutes}.")
    return minutes


# -- the text file -------------------------------------------------------------------------------------

HEADER = ("# A meeting format. Lines starting with # are notes and are ignored.\n"
          "# Each step starts with a line \"## \" and its title; the lines under it are what the chair reads.\n"
          "# {milestones} in a step lists members celebrating soon (those who chose to be named);\n"
          "# {share_minutes} is the share length below.\n")


def to_text(chosen: Format, name: str) -> str:
    lines = [f"# Format of: {name}", HEADER, f"share-minutes: {chosen.share_minutes}",
             f"newcomers-first: {'yes' if chosen.newcomers_first else 'no'}", ""]
    for step in chosen.steps:
        lines += [f"## {step.title}", step.text, ""]
    return "\n".join(lines)


def steps_text(chosen: Format) -> str:
    """Only the steps, as the form edits them."""
    return "\n\n".join(f"## {step.title}\n{step.text}" for step in chosen.steps)


def read_text(text: str, *, share_minutes: int = DEFAULT_SHARE_MINUTES, newcomers_first: bool = False) -> Format:
    """A format from its text (the file, or the form's steps); every problem refused with the line it is on."""
    if len(text) > FILE_MAX:
        raise InvalidInput(f"That format is {len(text):,} characters long; keep it to {FILE_MAX:,}.")
    steps: list[tuple[str, list[str]]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if line.startswith("## "):
            if len(steps) == MAX_STEPS:
                raise InvalidInput(f"A format has at most {MAX_STEPS} steps (line {number} starts one more).")
            title = checked(line[3:], f"title of the step on line {number}", TITLE_MAX, required=True)
            steps.append((title or "", []))
        elif line.startswith("#") and not line.startswith("##"):
            continue
        elif not steps:
            key, _, value = line.partition(":")
            if not line.strip():
                continue
            share_minutes, newcomers_first = _setting(key.strip().lower(), value.strip().lower(), number,
                                                      share_minutes, newcomers_first)
        else:
            steps[-1][1].append(line)
    if not steps:
        raise InvalidInput("I found no steps. Start each one with a line “## ” and its title, e.g. “## Welcome”.")
    made = []
    for title, body in steps:
        words = checked("\n".join(body).strip(), f"text of “{excerpt(title, 30)}”", TEXT_MAX, one_line=False)
        made.append(Step(title, words or ""))
    return Format(tuple(made), share_minutes, newcomers_first)


def _setting(key: str, value: str, number: int, share_minutes: int, newcomers_first: bool) -> tuple[int, bool]:
    if key == "share-minutes":
        if not value.isdigit() or len(value) > 3:
            raise InvalidInput(f"Line {number}: share-minutes takes a number of minutes, e.g. 3.")
        return check_share_minutes(int(value)), newcomers_first
    if key == "newcomers-first":
        if value not in ("yes", "no"):
            raise InvalidInput(f"Line {number}: newcomers-first takes yes or no.")
        return share_minutes, value == "yes"
    raise InvalidInput(f"Line {number}: I don't know “{excerpt(key, 30)}”. Before the first step only "
                       "share-minutes and newcomers-first may be set.")


def render(step: Step, share_minutes: int, milestones: str) -> str:
    """A step's text with its placeholders filled (plain replacement: braces people typed stay as they are)."""
    return step.text.replace(SHARE_LENGTH, str(share_minutes)).replace(MILESTONES, milestones)


def wants_milestones(step: Step) -> bool:
    return MILESTONES in step.text
