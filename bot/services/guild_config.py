"""A server's setup: channels, roles, default time zone and crisis region, with an audit trail."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.changes import ReadCache
from bot.db.models import GuildSettings
from bot.services import audit, crisis, timezones
from bot.services.errors import InvalidInput


class ChannelPurpose(StrEnum):
    ANNOUNCEMENTS = "announcements"
    CHECKINS = "checkins"
    REACHOUT = "reachout"
    MEETINGS_LOG = "meetings_log"


class RolePurpose(StrEnum):
    VOLUNTEER = "volunteer"
    FACILITATOR = "facilitator"
    MODERATOR = "moderator"


DEFAULT_DAILY_SHARES = 3
MAX_DAILY_SHARES = 20
DEFAULT_MILESTONE_HOUR = 9
SETUP_FIELDS = ("announcements_channel_id", "checkins_channel_id", "reachout_channel_id", "meetings_log_channel_id",
                "volunteer_role_id", "facilitator_role_id", "moderator_role_id", "timezone", "crisis_region")


@dataclass(frozen=True, slots=True)
class GuildConfig:
    guild_id: int
    announcements_channel_id: int | None = None
    checkins_channel_id: int | None = None
    reachout_channel_id: int | None = None
    meetings_log_channel_id: int | None = None
    volunteer_role_id: int | None = None
    facilitator_role_id: int | None = None
    moderator_role_id: int | None = None
    timezone: str | None = None
    crisis_region: str | None = None
    crisis_words: tuple[str, ...] = ()  # the server's own, beyond the bot's list (bot/data/crisis_words.json)
    checkin_daily_shares: int = DEFAULT_DAILY_SHARES
    milestone_schedule: str | None = None  # a preset's name (bot.services.milestones.schedules.Preset)
    milestone_custom: str | None = None  # the custom list, as typed and checked
    milestone_hour: int = DEFAULT_MILESTONE_HOUR  # announcements go out at this hour, on each member's clock

    def channel(self, purpose: ChannelPurpose) -> int | None:
        value: int | None = getattr(self, f"{purpose.value}_channel_id")
        return value

    def role(self, purpose: RolePurpose) -> int | None:
        value: int | None = getattr(self, f"{purpose.value}_role_id")
        return value

    @property
    def is_complete(self) -> bool:
        """Every channel, role, the zone and the region chosen: what /setup walks through."""
        return all(getattr(self, name) is not None for name in SETUP_FIELDS)


# Nearly every interaction asks for its server's setup and a manager changes it now and then: read once,
# kept in this process until a commit changes it (see bot.db.changes for why that is safe).
_kept: ReadCache[GuildConfig] = ReadCache(GuildSettings.__tablename__)


async def get(session: AsyncSession, guild_id: int) -> GuildConfig:
    """The server's setup; a server that never ran /setup gets an empty one."""
    return await _kept.get(session, guild_id, lambda: _read(session, guild_id))


async def read_many(session: AsyncSession, guild_ids: Collection[int]) -> dict[int, GuildConfig]:
    """Many servers' setups read afresh in one query (a sweep over every server; it may run in a process that
    does not hold these servers, so it does not trust this process's kept copies)."""
    found = {row.guild_id: _to_config(row) for row in await session.scalars(
        select(GuildSettings).where(GuildSettings.guild_id.in_(list(guild_ids))))}
    return {gid: found.get(gid) or GuildConfig(gid) for gid in guild_ids}


async def _read(session: AsyncSession, guild_id: int) -> GuildConfig:
    row = await session.get(GuildSettings, guild_id)
    return _to_config(row) if row else GuildConfig(guild_id)


async def set_channels(
    session: AsyncSession, guild_id: int, actor_id: int, channels: dict[ChannelPurpose, int]
) -> GuildConfig:
    return await _apply(session, guild_id, actor_id, {f"{p.value}_channel_id": v for p, v in channels.items()})


async def set_roles(
    session: AsyncSession, guild_id: int, actor_id: int, roles: dict[RolePurpose, int]
) -> GuildConfig:
    return await _apply(session, guild_id, actor_id, {f"{p.value}_role_id": v for p, v in roles.items()})


async def set_timezone(session: AsyncSession, guild_id: int, actor_id: int, zone: str) -> GuildConfig:
    return await _apply(session, guild_id, actor_id, {"timezone": timezones.validate(zone)})


async def set_crisis_region(session: AsyncSession, guild_id: int, actor_id: int, region: str) -> GuildConfig:
    return await _apply(session, guild_id, actor_id, {"crisis_region": crisis.validate_region(region)})


async def set_checkins(session: AsyncSession, guild_id: int, actor_id: int, *, daily_shares: int | None = None,
                       crisis_words: str | None = None) -> GuildConfig:
    """Anonymous check-in shares a member may make here a day (1-20), and the server's own crisis words."""
    changes: dict[str, object] = {}
    if daily_shares is not None:
        if not 1 <= daily_shares <= MAX_DAILY_SHARES:
            raise InvalidInput(f"Give a number of shares a day from 1 to {MAX_DAILY_SHARES}; you gave {daily_shares}.")
        changes["checkin_daily_shares"] = daily_shares
    if crisis_words is not None:
        changes["crisis_words"] = list(crisis.check_words(crisis_words)) or None
    return await _apply(session, guild_id, actor_id, changes)


async def set_milestones(session: AsyncSession, guild_id: int, actor_id: int, *, schedule: str | None = None,
                         custom: str | None = None, hour: int | None = None) -> GuildConfig:
    """The milestone schedule (a preset's name, or "custom" with its list, already checked) and announcement hour."""
    changes: dict[str, object] = {}
    if schedule is not None:
        changes["milestone_schedule"] = schedule
        changes["milestone_custom"] = custom
    if hour is not None:
        if not 0 <= hour <= 23:
            raise InvalidInput(f"Give the announcement hour from 0 to 23 (9 is 09:00); you gave {hour}.")
        changes["milestone_hour"] = hour
    return await _apply(session, guild_id, actor_id, changes)


async def _apply(session: AsyncSession, guild_id: int, actor_id: int, changes: dict[str, object]) -> GuildConfig:
    """Write the values that differ, one audit row for each; unchanged values write nothing."""
    row = await session.get(GuildSettings, guild_id)
    if row is None:
        row = GuildSettings(guild_id=guild_id)
        session.add(row)
    for column, new in changes.items():
        old = getattr(row, column)
        if old == new:
            continue
        setattr(row, column, new)
        await audit.record(session, guild_id, actor_id, f"config.{column}", old, new)
    await session.flush()
    return _to_config(row)


def _to_config(row: GuildSettings) -> GuildConfig:
    values = {name: getattr(row, name) for name in SETUP_FIELDS}
    return GuildConfig(guild_id=row.guild_id, **values, crisis_words=tuple(row.crisis_words or ()),
                       checkin_daily_shares=row.checkin_daily_shares or DEFAULT_DAILY_SHARES,
                       milestone_schedule=row.milestone_schedule, milestone_custom=row.milestone_custom,
                       milestone_hour=DEFAULT_MILESTONE_HOUR if row.milestone_hour is None else row.milestone_hour)
