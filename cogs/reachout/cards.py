"""What reach-out looks like on Discord: the request card volunteers see, and the words each side reads.

Everything a member typed is shown as the characters it is (`plain`). Nothing here names an anonymous
requester: the card says "Anonymous" and relayed messages say "The person who asked".
"""

from __future__ import annotations

from datetime import datetime

import discord

from bot.render import CALM_BLUE, plain, timestamp
from bot.services.crisis import DANGER_LINE
from bot.services.reachout.requests import Request

URGENT_RED = discord.Colour(0xD9534F)
KIND_TITLES = {"talk": "would like to talk", "advice": "would like advice", "vent": "needs to vent",
               "urgent": "needs help urgently"}


def card_embed(request: Request, status: str) -> discord.Embed:
    """The request card in the reach-out channel: what they asked, when, and where it stands."""
    embed = discord.Embed(
        title=f"{'🆘' if request.urgent else '🤝'} Request #{request.id}: {KIND_TITLES[request.kind]}",
        description=f"“{plain(request.message)}”" if request.message else "*No message: they'd just like someone.*",
        colour=URGENT_RED if request.urgent else CALM_BLUE,
    )
    embed.add_field(name="From", value="Anonymous" if request.anonymous else f"<@{request.requester_id}>")
    embed.add_field(name="Asked", value=timestamp(request.created_at, "R"))
    embed.add_field(name="Status", value=status, inline=False)
    if request.anonymous:
        embed.set_footer(text="Anonymous: you'll talk through me, in a private thread; I pass messages both ways.")
    return embed


def waiting() -> str:
    return "⏳ Waiting for a volunteer. The first to press **I'll take it** gets it."


def taken(volunteer_id: int, at: datetime) -> str:
    return f"✅ Taken by <@{volunteer_id}> {timestamp(at, 'R')}."


def closed(at: datetime, taken_by: int | None) -> str:
    by = f" (was with <@{taken_by}>)" if taken_by else " before anyone took it"
    return f"🔒 Closed {timestamp(at, 'R')}{by}."


def volunteer_dm(request: Request, server: str) -> str:
    """A volunteer's ping by DM: enough to decide, with the button to take it."""
    words = f": “{plain(_cut(request.message, 300))}”" if request.message else "."
    urgent = "🆘 **Urgent.** " if request.urgent else ""
    return (f"{urgent}Someone in **{plain(server)}** {KIND_TITLES[request.kind]} (request #{request.id}){words}\n"
            "If you're free, press **I'll take it**. If someone is quicker, I'll tell you; no need to do anything.")


def confirmation(request: Request, pinged: int, alert_moderators: bool, tell_after: int, dms_open: bool) -> str:
    """What the member reads right after asking: what happens next, honestly; for an urgent request, first of
    all what to do if they are in danger."""
    if alert_moderators:
        lines = [f"💙 Your request #{request.id} is sent. No volunteer is on call right now, so I've let the "
                 "moderators know."]
    else:
        people = "a volunteer who is" if pinged == 1 else f"{pinged} volunteers who are"
        lines = [f"💙 Your request #{request.id} is sent. I've let {people} on call know; the first who's free "
                 "will take it, usually within minutes."]
    if request.anonymous:
        lines.append("They won't see who you are. Their messages will come to you here, in DMs from me, and you "
                     "answer with the **Reply** button.")
    else:
        lines.append("When someone takes it, you'll both get a private thread.")
    lines.append(f"If nobody has answered in {tell_after} minutes, I'll tell you. The lines below are free and "
                 "answer now, whatever happens; /resources shows them any time.")
    if request.urgent:
        lines.insert(0, f"🆘 **{DANGER_LINE}**")
    if not dms_open:
        lines.append("⚠️ Your DMs are closed to me, so I can't reach you there. To let me, open this server's menu "
                     "→ Privacy Settings → Direct Messages.")
    return "\n\n".join(lines)


def relayed(text: str, *, from_volunteer: str | None, request_id: int) -> str:
    """A relayed message: from the volunteer (named) to the requester, or from 'the person who asked'."""
    sender = f"**{plain(from_volunteer)}** (volunteer)" if from_volunteer else "**The person who asked**"
    return f"💬 {sender}, request #{request_id}:\n{plain(text)}"


def nobody_free(request: Request, next_meeting: str | None) -> str:
    meeting = f"\n\nThe next meeting you could join: {next_meeting}." if next_meeting else ""
    return (f"I'm sorry: nobody has been free to take your request #{request.id} yet. It stays open, and a "
            "volunteer may still take it; I'll tell you if they do. Right now, these lines are free and answer: "
            f"you don't have to wait for us.{meeting}")


def _cut(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

