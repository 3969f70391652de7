"""/milestone: a clean date, days counted, the next milestone, and announcements as each member chooses; the
sweep that finds what is due and the jobs that post it.

Every answer is private. Nothing is announced until the member chooses public or anonymous for a server
(`/milestone set` asks); a reset or an erased date leaves no public trace.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import clock
from bot.checks import ANYWHERE, Role, requires
from bot.client import RecoveryBot
from bot.db.engine import writing
from bot.render import calendar_day
from bot.scheduler import DueJob, NewJob, PermanentJobError
from bot.servers import ServerChoice, servers_of
from bot.services import guild_config, timezones
from bot.services.guild_config import ChannelPurpose
from bot.services.milestones import dates, sweep
from bot.services.milestones.dates import MODE_WORDS, Mode
from bot.services.milestones.schedules import progress
from cogs.milestones.views import AnnouncementChoice, ConfirmErase, choice_words, date_field, view_embed

log = logging.getLogger(__name__)

MODE_CHOICES = [app_commands.Choice(name="Public: with my name and a mention", value=Mode.PUBLIC.value),
                app_commands.Choice(name="Anonymous: “A member celebrates…”", value=Mode.ANONYMOUS.value),
                app_commands.Choice(name="Off: never announced", value=Mode.OFF.value)]


class Milestones(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        scheduler = self.bot.scheduler

        async def next_sweep(job: DueJob) -> NewJob | None:
            return sweep.following(job, clock.now())

        scheduler.register(sweep.SWEEP_JOB, self.run_sweep, then=next_sweep, max_attempts=3)
        scheduler.register(sweep.ANNOUNCE_JOB, self.run_announcement, max_attempts=5)
        await sweep.book_sweep(scheduler, clock.now())

    async def cog_unload(self) -> None:
        for kind in (sweep.SWEEP_JOB, sweep.ANNOUNCE_JOB):
            self.bot.scheduler.unregister(kind)

    milestone = app_commands.Group(name="milestone", description="Your clean date, days counted, and milestones.",
                                   allowed_contexts=ANYWHERE)

    # -- a member's own dates ----------------------------------------------------------------------

    @milestone.command(name="set", description="Set your clean (sobriety) date. Only you see it.")
    @app_commands.describe(date="Your first clean day, year-month-day, e.g. 2025-03-14",
                           label="What it's for, if you keep several (e.g. alcohol, nicotine); up to 5 dates",
                           zone="Your time zone, so each day begins at your midnight (default: the server's)")
    async def set_date(self, interaction: discord.Interaction, date: app_commands.Range[str, 1, 40],
                       label: app_commands.Range[str, 1, 40] | None = None,
                       zone: app_commands.Range[str, 1, 64] | None = None) -> None:
        default_zone = await self._default_zone(interaction.guild_id)
        async with writing(self.bot.sessions) as session:
            found, created = await dates.set_date(session, interaction.user.id, date, label, zone, default_zone,
                                                  clock.now())
            choice = await dates.choice_of(session, interaction.user.id, interaction.guild_id) \
                if interaction.guild_id else None
            schedule = await dates.schedule_for(session, interaction.guild_id)
        p = progress(found.start, timezones.today_in(found.zone, clock.now()), schedule)
        text = (f"{'Saved' if created else 'Updated'}: clean since **{found.start.isoformat()}** "
                f"({found.zone}), that's **{p.days:,} day{'' if p.days == 1 else 's'}**. 💙")
        if p.next is not None:
            text += f" Next: **{p.next[1].title}** in {p.days_to_next:,} day{'' if p.days_to_next == 1 else 's'}."
        if interaction.guild_id is None:
            text += ("\nMilestones are announced only in servers where you choose so: use /milestone privacy "
                     "(there, or here to pick a server). Until then, they're yours alone.")
            await interaction.response.send_message(text, ephemeral=True)
            return
        if choice is not None:
            await interaction.response.send_message(text + "\n" + choice_words(choice), ephemeral=True)
            return
        guild_id = interaction.guild_id
        text += ("\n\nWould you like your milestones celebrated in this server's announcements? Nothing is "
                 "announced unless you choose so, and you can change it any time with /milestone privacy.")
        view = AnnouncementChoice(interaction.user.id, lambda pressed, mode: self.apply_choice(pressed, guild_id,
                                                                                                 mode, edit=True))
        await interaction.response.send_message(text, view=view, ephemeral=True)
        view.origin = interaction

    @set_date.autocomplete("zone")
    async def zone_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezones.search(current)[:25]]

    @milestone.command(name="view", description="Days clean, your next milestone and how close it is. Only you see it.")
    async def view(self, interaction: discord.Interaction) -> None:
        async with self.bot.sessions() as session:
            found = await dates.dates_of(session, interaction.user.id)
            schedule = await dates.schedule_for(session, interaction.guild_id)
            choice = await dates.choice_of(session, interaction.user.id, interaction.guild_id) \
                if interaction.guild_id else None
        if not found:
            await interaction.response.send_message(
                "You haven't set a clean date yet. Whenever you're ready: /milestone set date: 2025-03-14 (your "
                "first clean day). Only you will see it.", ephemeral=True)
            return
        now = clock.now()
        fields = [date_field(d, progress(d.start, timezones.today_in(d.zone, now), schedule)) for d in found]
        footer = choice_words(choice) if interaction.guild_id else \
            "Milestones are announced only in servers where you chose so."
        await interaction.response.send_message(embed=view_embed(fields, footer), ephemeral=True)

    @milestone.command(name="reset", description="Start counting again from a new date. Private; nothing is posted.")
    @app_commands.describe(date="Your new first clean day, year-month-day (default: today)",
                           label="Which of your dates, if you keep several")
    async def reset(self, interaction: discord.Interaction, date: app_commands.Range[str, 1, 40] | None = None,
                    label: app_commands.Range[str, 1, 40] | None = None) -> None:
        async with writing(self.bot.sessions) as session:
            found = await dates.reset(session, interaction.user.id, label, date, clock.now())
        await interaction.response.send_message(
            f"Your count for {found.called} now starts on **{found.start.isoformat()}**. Coming back takes courage, "
            "and everything you learned is still yours. Every milestone from here is celebrated afresh, as you "
            "chose. Nothing about this was posted anywhere. 💙\nIf today is hard, /resources has people to talk to, "
            "and /reachout reaches a volunteer.", ephemeral=True)

    @milestone.command(name="delete", description="Erase one of your clean dates.")
    @app_commands.describe(label="Which of your dates, if you keep several")
    async def delete(self, interaction: discord.Interaction,
                     label: app_commands.Range[str, 1, 40] | None = None) -> None:
        async with self.bot.sessions() as session:
            found = dates.pick(await dates.dates_of(session, interaction.user.id), label)

        async def erase(pressed: discord.Interaction) -> None:
            async with writing(self.bot.sessions) as session:
                gone = await dates.erase(session, pressed.user.id, found.label)
            await pressed.response.edit_message(content=f"Erased {gone.called}. It's gone from the bot.", view=None)

        view = ConfirmErase(interaction.user.id, erase)
        await interaction.response.send_message(
            f"Erase {found.called} (clean since {found.start.isoformat()})? It can't be undone.", view=view,
            ephemeral=True)
        view.origin = interaction

    @milestone.command(name="privacy", description="How your milestones are announced here: public, anonymous or off.")
    @app_commands.describe(choice="Public (your name, with a mention), anonymous, or off (the default)")
    @app_commands.choices(choice=MODE_CHOICES)
    async def privacy(self, interaction: discord.Interaction, choice: app_commands.Choice[str]) -> None:
        mode = Mode(choice.value)
        if interaction.guild_id is not None:
            await self.apply_choice(interaction, interaction.guild_id, mode)
            return
        servers = await servers_of(self.bot, interaction.user.id, ChannelPurpose.ANNOUNCEMENTS)
        if not servers:
            await interaction.response.send_message(
                "You're not in any server where I announce milestones yet. Your dates stay yours alone.",
                ephemeral=True)
        elif len(servers) == 1:
            await self.apply_choice(interaction, servers[0].id, mode)
        else:
            picker = ServerChoice(interaction.user.id, servers,
                                  lambda picked, guild_id: self.apply_choice(picked, guild_id, mode, followup=True),
                                  working="Saving your choice…")
            await interaction.response.send_message("For which server?", view=picker, ephemeral=True)

    async def apply_choice(self, interaction: discord.Interaction, guild_id: int, mode: Mode, *, edit: bool = False,
                           followup: bool = False) -> None:
        async with writing(self.bot.sessions) as session:
            await dates.choose(session, interaction.user.id, guild_id, mode, clock.now())
            config = await guild_config.get(session, guild_id)
        guild = self.bot.get_guild(guild_id)
        where = "here" if interaction.guild_id == guild_id else f"in {guild.name if guild else 'that server'}"
        text = f"Saved: {where}, your milestones are {MODE_WORDS[mode]}."
        if mode is not Mode.OFF:
            text += (f" They go out at {config.milestone_hour:02d}:00 on the day" +
                     (", on your clock." if mode is Mode.PUBLIC else "."))
            if config.channel(ChannelPurpose.ANNOUNCEMENTS) is None:
                text += " (This server has no announcements channel yet, so nothing is posted until a moderator " \
                        "sets one.)"
        if edit:
            await interaction.response.edit_message(content=text, view=None)
        elif followup:
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    # -- for facilitators ------------------------------------------------------------------------------

    @milestone.command(name="upcoming", description="Members' milestones in the next 7 days, to recognise them.")
    @requires(Role.FACILITATOR)
    async def upcoming(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.sessions() as session:
            coming = await dates.upcoming(session, interaction.guild_id, clock.now())
        if not coming.named and not coming.anonymous:
            await interaction.response.send_message(
                "No milestones in the next 7 days among members who chose to have theirs celebrated here.",
                ephemeral=True)
            return
        lines = [f"• <@{c.user_id}>: **{c.milestone.title}**, {calendar_day(c.day)}" for c in coming.named]
        if coming.anonymous:
            lines.append(f"• and {coming.anonymous} member{'' if coming.anonymous == 1 else 's'} who celebrate "
                         "anonymously (not named)")
        await interaction.response.send_message(
            "🎂 **Milestones in the next 7 days** (members who chose to be named):\n" + "\n".join(lines)[:1900],
            ephemeral=True)

    # -- jobs --------------------------------------------------------------------------------------------

    async def run_sweep(self, job: DueJob) -> None:
        now = clock.now()
        async with writing(self.bot.sessions) as session:
            swept = await sweep.sweep(session, now)
            await self.bot.scheduler.schedule_many(
                swept.jobs + ([NewJob(sweep.SWEEP_JOB, f"{job.key}:more:{now:%H%M%S%f}", now, {})] if swept.more
                              else []), session=session)
        if swept.celebrated or swept.passed_over:
            log.info("milestone sweep: %d announced, %d passed over", swept.celebrated, swept.passed_over)

    async def run_announcement(self, job: DueJob) -> None:
        channel_id, content, mentions = sweep.announcement(job)
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise PermanentJobError("the announcements channel is gone")
        try:
            await channel.send(content, allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(m) for m in mentions]))
        except discord.Forbidden as exc:
            raise PermanentJobError("the bot may not post in the announcements channel") from exc

    # -- helpers ----------------------------------------------------------------------------------------

    async def _default_zone(self, guild_id: int | None) -> str:
        if guild_id is not None:
            async with self.bot.sessions() as session:
                config = await guild_config.get(session, guild_id)
            if config.timezone:
                return config.timezone
        return self.bot.settings.default_timezone

