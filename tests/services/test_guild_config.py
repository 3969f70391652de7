"""Server setup storage: changes saved, each one audited, unchanged values leave no trace."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import audit, guild_config
from bot.services.errors import InvalidInput
from bot.services.guild_config import ChannelPurpose, RolePurpose

GUILD, MANAGER = 1001, 2002


async def test_a_new_server_has_an_empty_setup(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sqlite_sessions() as session:
        config = await guild_config.get(session, GUILD)
    assert config.channel(ChannelPurpose.REACHOUT) is None and not config.is_complete


async def test_changes_are_saved_and_audited_once(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sqlite_sessions.begin() as session:
        await guild_config.set_channels(session, GUILD, MANAGER, {ChannelPurpose.REACHOUT: 11})
        await guild_config.set_roles(session, GUILD, MANAGER, {RolePurpose.VOLUNTEER: 21})
        await guild_config.set_timezone(session, GUILD, MANAGER, "europe/london")
    async with sqlite_sessions.begin() as session:
        await guild_config.set_channels(session, GUILD, MANAGER, {ChannelPurpose.REACHOUT: 11})  # unchanged
        config = await guild_config.set_channels(session, GUILD, MANAGER, {ChannelPurpose.REACHOUT: 12})
    assert config.channel(ChannelPurpose.REACHOUT) == 12
    assert config.timezone == "Europe/London"
    async with sqlite_sessions() as session:
        entries = await audit.recent(session, GUILD)
    assert [(e.action, e.old_value, e.new_value) for e in entries] == [
        ("config.reachout_channel_id", "11", "12"),
        ("config.timezone", None, "Europe/London"),
        ("config.volunteer_role_id", None, "21"),
        ("config.reachout_channel_id", None, "11"),
    ]
    assert {e.actor_id for e in entries} == {MANAGER}


async def test_bad_values_change_nothing(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(InvalidInput):
        async with sqlite_sessions.begin() as session:
            await guild_config.set_timezone(session, GUILD, MANAGER, "Mars/Olympus")
    with pytest.raises(InvalidInput):
        async with sqlite_sessions.begin() as session:
            await guild_config.set_crisis_region(session, GUILD, MANAGER, "XX")
    async with sqlite_sessions() as session:
        assert await audit.recent(session, GUILD) == []
        assert (await guild_config.get(session, GUILD)).timezone is None
