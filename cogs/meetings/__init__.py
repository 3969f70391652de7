"""/meeting: recurring meetings, their reminders, the Events tab, calendars and Meeting Guide feeds.

The extension is this package: `cog` holds the commands and job handlers, `views` what meetings look like
on Discord, `events` the Events tab, `feeds` importing and syncing feeds.
"""

from __future__ import annotations

from bot.client import RecoveryBot
from cogs.meetings.cog import Meetings


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(Meetings(bot))
