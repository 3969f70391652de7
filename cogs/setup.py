"""Server setup: the /setup wizard and /config, for managers (Manage Server)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import clock
from bot.checks import Role, bot_can_post, defaults_for, permission_names, requires
from bot.client import RecoveryBot
from bot.render import CALM_BLUE, timestamp
from bot.services import crisis, guild_config, meetings, setup_blueprint, timezones
from bot.services.errors import DomainError
from bot.services.guild_config import ChannelPurpose, GuildConfig, RolePurpose
from bot.services.meetings import actions as meeting_actions
from bot.services.meetings import feeds as meeting_feeds
from bot.services.milestones import dates as milestone_dates
from bot.services.milestones import schedules as milestone_schedules
from bot.services.reachout import settings as reach_settings
from bot.services.setup_blueprint import Visibility
from bot.views import BaseModal, OwnedView

log = logging.getLogger(__name__)

CHANNEL_LABELS = {
    ChannelPurpose.ANNOUNCEMENTS: "Announcements",
    ChannelPurpose.CHECKINS: "Check-ins",
    ChannelPurpose.REACHOUT: "Reach-out (private to volunteers and moderators)",
    ChannelPurpose.MEETINGS_LOG: "Meetings log",
}
ROLE_LABELS = {
    RolePurpose.VOLUNTEER: "Volunteer peers",
    RolePurpose.FACILITATOR: "Facilitators",
    RolePurpose.MODERATOR: "Moderators",
}
TEXT_CHANNEL_TYPES = [discord.ChannelType.text, discord.ChannelType.news]
REGION_CHOICES = [app_commands.Choice(name=name, value=code) for code, name in crisis.region_choices()]


class ServerSetup(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    # -- /setup ---------------------------------------------------------------------------

    @app_commands.command(name="setup", description="Set up the bot for this server, step by step.")
    @requires(Role.MANAGER)
    async def setup_command(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        config = await self.load(guild.id)
        wizard = SetupWizard(self, interaction.user.id, guild, config)
        await interaction.response.send_message(embed=wizard.embed(), view=wizard, ephemeral=True)
        wizard.origin = interaction

    # -- /config --------------------------------------------------------------------------

    config = app_commands.Group(
        name="config",
        description="Change one server setting at a time.",
        default_permissions=defaults_for(Role.MANAGER),
        guild_only=True,
    )

    @config.command(name="show", description="Show this server's setup and anything that needs attention.")
    @requires(Role.MANAGER)
    async def config_show(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        config = await self.load(guild.id)
        async with self.bot.sessions() as session:
            offsets = await meetings.reminder_offsets(session, guild.id)
            feeds = await meeting_feeds.of_server(session, guild.id)
        embed = self.config_embed(guild, config)
        embed.add_field(name="Meeting reminders", value=", ".join(f"{m} min" for m in offsets) + " before"
                        if offsets else "off (members' own DM reminders still work)", inline=False)
        embed.add_field(name="Milestones", value=f"{milestone_words(config)}; announced at "
                        f"{config.milestone_hour:02d}:00 on the day", inline=False)
        if feeds:
            embed.add_field(name="Meeting feeds", value="\n".join(feed_line(f) for f in feeds)[:1024], inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @config.command(name="channels", description="Choose the channels the bot uses.")
    @requires(Role.MANAGER)
    @app_commands.rename(meetings_log="meetings-log")
    @app_commands.describe(
        announcements="Meeting reminders and milestone celebrations",
        checkins="Where check-ins shared with the group appear",
        reachout="Support requests: keep it visible to volunteers and moderators only",
        meetings_log="Meeting starts, ends and attendance counts",
    )
    async def config_channels(
        self,
        interaction: discord.Interaction,
        announcements: discord.TextChannel | None = None,
        checkins: discord.TextChannel | None = None,
        reachout: discord.TextChannel | None = None,
        meetings_log: discord.TextChannel | None = None,
    ) -> None:
        chosen = {
            ChannelPurpose.ANNOUNCEMENTS: announcements,
            ChannelPurpose.CHECKINS: checkins,
            ChannelPurpose.REACHOUT: reachout,
            ChannelPurpose.MEETINGS_LOG: meetings_log,
        }
        changes = {purpose: channel.id for purpose, channel in chosen.items() if channel is not None}
        if not changes:
            raise DomainError("Pick at least one channel to change, for example `announcements`.")
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            config = await guild_config.set_channels(session, guild.id, interaction.user.id, changes)
        await self.reply_saved(interaction, guild, config, "Channels saved.")

    @config.command(name="roles", description="Choose the roles for volunteers, facilitators and moderators.")
    @requires(Role.MANAGER)
    async def config_roles(
        self,
        interaction: discord.Interaction,
        volunteer: discord.Role | None = None,
        facilitator: discord.Role | None = None,
        moderator: discord.Role | None = None,
    ) -> None:
        chosen = {RolePurpose.VOLUNTEER: volunteer, RolePurpose.FACILITATOR: facilitator,
                  RolePurpose.MODERATOR: moderator}
        changes = {purpose: role.id for purpose, role in chosen.items() if role is not None}
        if not changes:
            raise DomainError("Pick at least one role to change, for example `volunteer`.")
        if any(role is not None and role.is_default() for role in chosen.values()):
            raise DomainError("@everyone can't be one of these roles: pick or create a role just for them.")
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            config = await guild_config.set_roles(session, guild.id, interaction.user.id, changes)
        await self.reply_saved(interaction, guild, config, "Roles saved.")

    @config.command(name="timezone", description="The server's default time zone for meetings.")
    @requires(Role.MANAGER)
    @app_commands.describe(zone="A city-based zone such as America/New_York; start typing to search")
    async def config_timezone(self, interaction: discord.Interaction, zone: str) -> None:
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            config = await milestone_dates.set_server_zone(session, guild.id, interaction.user.id, zone, clock.now())
        await self.reply_saved(interaction, guild, config, f"Default time zone is now **{config.timezone}**.")

    @config_timezone.autocomplete("zone")
    async def _zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @config.command(name="crisis-region", description="Which country's crisis lines /resources shows.")
    @requires(Role.MANAGER)
    @app_commands.choices(region=REGION_CHOICES)
    async def config_crisis_region(self, interaction: discord.Interaction, region: app_commands.Choice[str]) -> None:
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            config = await guild_config.set_crisis_region(session, guild.id, interaction.user.id, region.value)
        await self.reply_saved(interaction, guild, config, f"/resources now shows crisis lines for **{region.name}**.")

    @config.command(name="meeting-reminders", description="How long before each meeting its channel is reminded.")
    @requires(Role.MANAGER)
    @app_commands.describe(offsets="Minutes before each meeting, e.g. 60, 10 (the default), or none")
    async def config_meeting_reminders(self, interaction: discord.Interaction, offsets: str) -> None:
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            saved = await meeting_actions.set_channel_reminders(session, self.bot.scheduler, guild.id,
                                                                interaction.user.id, offsets, clock.now())
        said = ", ".join(f"{m} min" for m in saved)
        text = f"Meeting channels now get a reminder {said} before each meeting." if saved else \
            "Meeting channels get no reminders now; members' own DM reminders still work."
        await interaction.response.send_message(text, ephemeral=True)

    @config.command(name="checkins", description="Check-ins: anonymous shares a day, and your own crisis words.")
    @requires(Role.MANAGER)
    @app_commands.describe(
        shares_per_day="Anonymous check-ins one member may share here a day (default 3)",
        crisis_words="Extra words that show the crisis lines, comma-separated (none to clear)")
    async def config_checkins(self, interaction: discord.Interaction,
                              shares_per_day: app_commands.Range[int, 1, 20] | None = None,
                              crisis_words: app_commands.Range[str, 1, 1000] | None = None) -> None:
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            changing = shares_per_day is not None or crisis_words is not None
            config = await (guild_config.set_checkins(session, guild.id, interaction.user.id,
                                                      daily_shares=shares_per_day, crisis_words=crisis_words)
                            if changing else guild_config.get(session, guild.id))
        words = ", ".join(config.crisis_words) or "none (the bot's own list applies)"
        await interaction.response.send_message(
            f"Check-ins here: up to **{config.checkin_daily_shares}** anonymous shares a member a day. The server's "
            f"own crisis words: {words}. A mood of 1, a craving of 8 or more, or any of those words shows the member "
            "the crisis lines and a way to reach a volunteer at once.", ephemeral=True)

    @config.command(name="milestones", description="Milestones: which schedule (keytags, chips…) and the hour "
                                                   "announcements go out.")
    @requires(Role.MANAGER)
    @app_commands.describe(
        schedule="Which milestones are celebrated",
        custom="With schedule Custom: your list, e.g. 24h, 7d, 30d, 90d, 6m, 1y, yearly",
        hour="The hour announcements go out on the milestone's day, 0-23 (default 9, on each member's clock)")
    @app_commands.choices(schedule=[
        app_commands.Choice(name="Default: 24 hours, 7/30/60/90 days, 6/9 months, 1 year, 18 months, yearly",
                            value=milestone_schedules.Preset.DEFAULT.value),
        app_commands.Choice(name="NA-style keytags (30 days orange … multiple years black)",
                            value=milestone_schedules.Preset.KEYTAGS.value),
        app_commands.Choice(name="AA-style chips (24 hours … yearly medallions)",
                            value=milestone_schedules.Preset.CHIPS.value),
        app_commands.Choice(name="Monthly in the first year, then yearly",
                            value=milestone_schedules.Preset.MONTHLY.value),
        app_commands.Choice(name="Custom (give the list in custom)", value=milestone_schedules.Preset.CUSTOM.value)])
    async def config_milestones(self, interaction: discord.Interaction,
                                schedule: app_commands.Choice[str] | None = None,
                                custom: app_commands.Range[str, 1, 300] | None = None,
                                hour: app_commands.Range[int, 0, 23] | None = None) -> None:
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            config = await milestone_dates.set_server_schedule(session, guild.id, interaction.user.id,
                                                               schedule.value if schedule else None, custom, hour,
                                                               clock.now())
        changed = schedule is not None or custom is not None or hour is not None
        text = (("Saved. " if changed else "") +
                f"Milestones here: {milestone_words(config)}. Announced at **{config.milestone_hour:02d}:00** "
                "on the day (on each member's clock; anonymous ones on the server's), for members who chose public or "
                "anonymous.")
        if config.channel(ChannelPurpose.ANNOUNCEMENTS) is None:
            text += "\n⚠️ There's no announcements channel yet: set one with /config channels, or nothing is posted."
        await interaction.response.send_message(text, ephemeral=True)

    @config.command(name="reachout", description="Reach-out: how many are pinged, how fast it escalates, limits.")
    @requires(Role.MANAGER)
    @app_commands.describe(
        volunteers_pinged="Volunteers pinged at each step (default 3)",
        next_volunteers_after="Minutes unclaimed before the next volunteers are pinged (default 5)",
        moderators_after="Minutes unclaimed before the moderator role is pinged (default 10)",
        tell_requester_after="Minutes before the member is told nobody is free yet (default 15)",
        cooldown="Minutes between two requests of one member (default 10)",
        open_per_volunteer="Requests one volunteer may hold open at once (default 1)",
        daily_pings="Pings one volunteer gets in 24 hours at most (default 10)",
        missed_before_away="Missed pings in a row before a volunteer is set away, gently (default 3)")
    async def config_reachout(self, interaction: discord.Interaction, volunteers_pinged: int | None = None,
                              next_volunteers_after: int | None = None, moderators_after: int | None = None,
                              tell_requester_after: int | None = None, cooldown: int | None = None,
                              open_per_volunteer: int | None = None, daily_pings: int | None = None,
                              missed_before_away: int | None = None) -> None:
        guild = _guild(interaction)
        given = {name: value for name, value in {
            "ping_count": volunteers_pinged, "next_volunteers_after": next_volunteers_after,
            "moderators_after": moderators_after, "tell_requester_after": tell_requester_after,
            "cooldown_minutes": cooldown, "max_open": open_per_volunteer, "daily_pings": daily_pings,
            "missed_before_away": missed_before_away}.items() if value is not None}
        async with self.bot.sessions.begin() as session:
            current = await (reach_settings.change(session, guild.id, interaction.user.id, **given) if given
                             else reach_settings.get(session, guild.id))
        lines = "\n".join(f"• {label}: **{getattr(current, name)}**"
                          for name, (label, _, _) in reach_settings.LIMITS.items())
        await interaction.response.send_message(
            ("Saved. " if given else "") + f"Reach-out in this server:\n{lines}", ephemeral=True)

    # -- shared ---------------------------------------------------------------------------

    def config_embed(self, guild: discord.Guild, config: GuildConfig) -> discord.Embed:
        return config_embed(guild, config, self.bot.settings.default_timezone)

    async def load(self, guild_id: int) -> GuildConfig:
        async with self.bot.sessions() as session:
            return await guild_config.get(session, guild_id)

    async def reply_saved(self, interaction: discord.Interaction, guild: discord.Guild, config: GuildConfig,
                          message: str) -> None:
        warnings = setup_warnings(guild, config)
        text = message + ("\n" + "\n".join(f"⚠️ {w}" for w in warnings) if warnings else "")
        await interaction.response.send_message(text, ephemeral=True)

    async def create_missing(self, guild: discord.Guild, actor_id: int) -> list[str]:
        """Create (or adopt by name) every role and channel the setup still lacks; returns what was done."""
        config = await self.load(guild.id)
        needed = [name for name, ok in (("manage_roles", guild.me.guild_permissions.manage_roles),
                                        ("manage_channels", guild.me.guild_permissions.manage_channels)) if not ok]
        if needed:
            raise DomainError(
                f"To create channels and roles I need the **{permission_names(needed)}** permission. "
                "Grant it to my role, or pick existing channels and roles in the menus instead."
            )
        done: list[str] = []
        reason = "Recovery bot /setup"
        roles: dict[RolePurpose, int] = {}
        # Role objects, not ids: discord.py sends anything else as a member overwrite, and a role
        # created a moment ago may not be in the cache yet.
        role_objects: dict[RolePurpose, discord.Role] = {}
        for role_spec in setup_blueprint.ROLES:
            if (existing := config.role(role_spec.purpose)) and (known := guild.get_role(existing)):
                role_objects[role_spec.purpose] = known
                continue
            role = discord.utils.get(guild.roles, name=role_spec.name)
            if role is None:
                role = await guild.create_role(name=role_spec.name, mentionable=False, reason=reason)
                done.append(f"created role @{role.name}")
            else:
                done.append(f"using existing role @{role.name}")
            roles[role_spec.purpose] = role.id
            role_objects[role_spec.purpose] = role
        if roles:
            async with self.bot.sessions.begin() as session:
                await guild_config.set_roles(session, guild.id, actor_id, roles)

        channels: dict[ChannelPurpose, int] = {}
        category: discord.CategoryChannel | None = None
        for spec in setup_blueprint.CHANNELS:
            if (existing := config.channel(spec.purpose)) and guild.get_channel(existing):
                continue
            channel = discord.utils.get(guild.text_channels, name=spec.name)
            if channel is None:
                if category is None:
                    category = discord.utils.get(guild.categories, name=setup_blueprint.CATEGORY_NAME) or \
                        await guild.create_category(setup_blueprint.CATEGORY_NAME, reason=reason)
                channel = await guild.create_text_channel(
                    spec.name, category=category, topic=spec.topic,
                    overwrites=overwrites_for(spec.visibility, guild, role_objects), reason=reason,
                )
                done.append(f"created {channel.mention}")
            else:
                done.append(f"using existing {channel.mention}")
            channels[spec.purpose] = channel.id
        if channels:
            async with self.bot.sessions.begin() as session:
                await guild_config.set_channels(session, guild.id, actor_id, channels)
        return done


def overwrites_for(visibility: Visibility, guild: discord.Guild, roles: dict[RolePurpose, discord.Role]
                   ) -> dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]:
    """Who may see and post in a channel /setup creates."""
    bot_access = discord.PermissionOverwrite(view_channel=True, send_messages=True, embed_links=True,
                                             attach_files=True)
    hidden = discord.PermissionOverwrite(view_channel=False)
    can_see = discord.PermissionOverwrite(view_channel=True, send_messages=True)

    role = roles.get
    rules: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {guild.me: bot_access}
    if visibility is Visibility.EVERYONE_READ_ONLY:
        rules[guild.default_role] = discord.PermissionOverwrite(send_messages=False, create_public_threads=False)
        allowed = [role(RolePurpose.MODERATOR)]
    elif visibility is Visibility.VOLUNTEERS_AND_MODERATORS:
        rules[guild.default_role] = hidden
        allowed = [role(RolePurpose.VOLUNTEER), role(RolePurpose.MODERATOR)]
    elif visibility is Visibility.STAFF:
        rules[guild.default_role] = hidden
        allowed = [role(RolePurpose.FACILITATOR), role(RolePurpose.MODERATOR)]
    else:
        allowed = []
    for target in allowed:
        if target is not None:
            rules[target] = can_see
    return rules


def setup_warnings(guild: discord.Guild, config: GuildConfig) -> list[str]:
    """Problems a manager should know about: deleted channels, ones I can't post in, a public reach-out."""
    warnings: list[str] = []
    for purpose, label in CHANNEL_LABELS.items():
        channel_id = config.channel(purpose)
        if channel_id is None:
            continue
        channel = guild.get_channel(channel_id)
        if channel is None:
            warnings.append(f"The {label.split(' (')[0].lower()} channel was deleted. Pick another one.")
        elif not bot_can_post(channel, guild.me):
            warnings.append(f"I can't post in {channel.mention}: give me View Channel and Send Messages there.")
        elif purpose is ChannelPurpose.REACHOUT and channel.permissions_for(guild.default_role).view_channel:
            warnings.append(f"Everyone can see {channel.mention}. Requests for support belong in a channel "
                            "only volunteers and moderators can see.")
    for role_purpose, role_label in ROLE_LABELS.items():
        role_id = config.role(role_purpose)
        if role_id is not None and guild.get_role(role_id) is None:
            warnings.append(f"The {role_label.lower()} role was deleted. Pick another one.")
    return warnings


def config_embed(guild: discord.Guild, config: GuildConfig, default_zone: str) -> discord.Embed:
    embed = discord.Embed(title=f"Setup of {guild.name}", colour=CALM_BLUE)
    embed.add_field(name="Channels", value="\n".join(
        f"{label.split(' (')[0]}: {_mention(config.channel(p), '#')}" for p, label in CHANNEL_LABELS.items()
    ), inline=False)
    embed.add_field(name="Roles", value="\n".join(
        f"{label}: {_mention(config.role(p), '@&')}" for p, label in ROLE_LABELS.items()
    ), inline=False)
    embed.add_field(name="Default time zone", value=config.timezone or f"not set ({default_zone} until you choose)")
    region = crisis.for_region(config.crisis_region)
    embed.add_field(name="Crisis lines", value=region.name if config.crisis_region else "not set (international list)")
    warnings = setup_warnings(guild, config)
    if warnings:
        embed.add_field(name="Needs attention", value="\n".join(f"⚠️ {w}" for w in warnings), inline=False)
    elif config.is_complete:
        embed.set_footer(text="All set. Change anything later with /config.")
    return embed


def feed_line(feed: meeting_feeds.FeedInfo) -> str:
    """'<url> · 120 meetings · synced daily, last <t:…:R>' or why the last sync changed nothing."""
    state = "synced daily" if feed.sync_daily else "imported once, not synced"
    if feed.problem:
        state += f" · ⚠️ last try {timestamp(feed.checked_at, 'R') if feed.checked_at else ''}: {feed.problem[:150]}"
    elif feed.synced_at is not None:
        state += f", last {timestamp(feed.synced_at, 'R')}"
    return f"<{feed.url[:300]}> · {feed.meetings:,} meeting{'s' if feed.meetings != 1 else ''} · {state}"


def zone_choices(current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=zone, value=zone) for zone in timezones.search(current)]


def _mention(snowflake: int | None, prefix: str) -> str:
    return f"<{prefix}{snowflake}>" if snowflake else "not set"


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


class SetupWizard(OwnedView):
    """Three steps: channels, roles, then time zone and crisis region. Every choice saves at once."""

    STEPS = ("channels", "roles", "region")

    def __init__(self, cog: ServerSetup, owner_id: int, guild: discord.Guild, config: GuildConfig) -> None:
        super().__init__(owner_id)
        self.cog = cog
        self.guild = guild
        self.config = config
        self.step = "channels"
        self.notes: list[str] = []
        self.build()

    def embed(self) -> discord.Embed:
        embed = self.cog.config_embed(self.guild, self.config)
        number = self.STEPS.index(self.step) + 1
        intro = {
            "channels": "Pick a channel for each purpose, or let me create the missing ones.",
            "roles": "Pick the roles for volunteers, facilitators and moderators, or let me create them.",
            "region": "Choose which country's crisis lines to show, and the default time zone for meetings.",
        }[self.step]
        embed.description = f"**Step {number} of 3.** {intro}"
        if self.notes:
            embed.add_field(name="Done just now", value="\n".join(self.notes)[:1024], inline=False)
        return embed

    def build(self) -> None:
        self.clear_items()
        if self.step == "channels":
            for row, (purpose, label) in enumerate(CHANNEL_LABELS.items()):
                self.add_item(ChannelPicker(purpose, label, self.config.channel(purpose), row))
            self.add_item(CreateMissingButton(row=4))
            self.add_item(StepButton("Next: roles →", "roles", row=4, primary=True))
        elif self.step == "roles":
            for row, (role_purpose, role_label) in enumerate(ROLE_LABELS.items()):
                self.add_item(RolePicker(role_purpose, role_label, self.config.role(role_purpose), row))
            self.add_item(CreateMissingButton(row=3))
            self.add_item(StepButton("← Back", "channels", row=3))
            self.add_item(StepButton("Next: time zone & crisis lines →", "region", row=3, primary=True))
        else:
            self.add_item(RegionPicker(self.config.crisis_region))
            self.add_item(TimezoneButton())
            self.add_item(StepButton("← Back", "roles", row=1))
            self.add_item(FinishButton())

    async def refresh(self, interaction: discord.Interaction, config: GuildConfig | None = None) -> None:
        if config is not None:
            self.config = config
        self.build()
        if interaction.response.is_done():
            await interaction.edit_original_response(embed=self.embed(), view=self)
        else:
            await interaction.response.edit_message(embed=self.embed(), view=self)


class ChannelPicker(discord.ui.ChannelSelect[SetupWizard]):
    def __init__(self, purpose: ChannelPurpose, label: str, current: int | None, row: int) -> None:
        super().__init__(
            custom_id=f"setup:channel:{purpose.value}", placeholder=f"{label}", channel_types=TEXT_CHANNEL_TYPES,
            min_values=1, max_values=1, row=row,
            default_values=[discord.Object(current, type=discord.abc.GuildChannel)] if current else [],
        )
        self.purpose = purpose

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        async with self.view.cog.bot.sessions.begin() as session:
            config = await guild_config.set_channels(session, self.view.guild.id, interaction.user.id,
                                                     {self.purpose: self.values[0].id})
        await self.view.refresh(interaction, config)


class RolePicker(discord.ui.RoleSelect[SetupWizard]):
    def __init__(self, purpose: RolePurpose, label: str, current: int | None, row: int) -> None:
        super().__init__(
            custom_id=f"setup:role:{purpose.value}", placeholder=label, min_values=1, max_values=1, row=row,
            default_values=[discord.Object(current, type=discord.Role)] if current else [],
        )
        self.purpose = purpose

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        if self.values[0].is_default():
            raise DomainError("@everyone can't be one of these roles: pick or create a role just for them.")
        async with self.view.cog.bot.sessions.begin() as session:
            config = await guild_config.set_roles(session, self.view.guild.id, interaction.user.id,
                                                  {self.purpose: self.values[0].id})
        await self.view.refresh(interaction, config)


class RegionPicker(discord.ui.Select[SetupWizard]):
    def __init__(self, current: str | None) -> None:
        super().__init__(
            custom_id="setup:region", placeholder="Crisis lines for…", row=0,
            options=[discord.SelectOption(label=name, value=code, default=code == current)
                     for code, name in crisis.region_choices()],
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        async with self.view.cog.bot.sessions.begin() as session:
            config = await guild_config.set_crisis_region(session, self.view.guild.id, interaction.user.id,
                                                          self.values[0])
        await self.view.refresh(interaction, config)


class StepButton(discord.ui.Button[SetupWizard]):
    def __init__(self, label: str, target: str, *, row: int, primary: bool = False) -> None:
        style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
        super().__init__(label=label, style=style, row=row, custom_id=f"setup:step:{target}")
        self.target = target

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        self.view.step = self.target
        self.view.notes = []
        await self.view.refresh(interaction)


class CreateMissingButton(discord.ui.Button[SetupWizard]):
    def __init__(self, *, row: int) -> None:
        super().__init__(label="Create what's missing", style=discord.ButtonStyle.success, row=row,
                         custom_id="setup:create-missing")

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await interaction.response.defer()  # creating channels can take longer than Discord's 3 s
        self.view.notes = await self.view.cog.create_missing(self.view.guild, interaction.user.id) or [
            "Nothing was missing."]
        await self.view.refresh(interaction, await self.view.cog.load(self.view.guild.id))


class TimezoneButton(discord.ui.Button[SetupWizard]):
    def __init__(self) -> None:
        super().__init__(label="Set time zone…", style=discord.ButtonStyle.secondary, row=1,
                         custom_id="setup:timezone")

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await interaction.response.send_modal(TimezoneModal(self.view))


class FinishButton(discord.ui.Button[SetupWizard]):
    def __init__(self) -> None:
        super().__init__(label="Finish", style=discord.ButtonStyle.primary, row=1, custom_id="setup:finish")

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        view = self.view
        view.stop()
        embed = view.cog.config_embed(view.guild, view.config)
        embed.description = "Setup saved. Run /setup again at any time; it keeps what you chose."
        await interaction.response.edit_message(embed=embed, view=None)


class TimezoneModal(BaseModal, title="Default time zone"):
    zone: discord.ui.TextInput[TimezoneModal] = discord.ui.TextInput(
        label="Time zone", placeholder="e.g. America/New_York, Europe/London, UTC", max_length=64,
        custom_id="setup:timezone:zone",
    )

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self.wizard = wizard
        if wizard.config.timezone:
            self.zone.default = wizard.config.timezone

    async def on_submit(self, interaction: discord.Interaction) -> None:
        async with self.wizard.cog.bot.sessions.begin() as session:
            config = await milestone_dates.set_server_zone(session, self.wizard.guild.id, interaction.user.id,
                                                          self.zone.value, clock.now())
        await self.wizard.refresh(interaction, config)


def milestone_words(config: GuildConfig) -> str:
    return milestone_schedules.words_of(config.milestone_schedule, config.milestone_custom)


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(ServerSetup(bot))
