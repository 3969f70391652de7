"""/milestone: clean dates, days counted, keytags and chips, celebrated the way each member chooses.

The extension is this package: `cog` holds the commands and the sweep's job handlers, `views` the panels
(the announcement choice, erasing a date) and how a date's progress is shown.
"""

from __future__ import annotations

from bot.client import RecoveryBot
from cogs.milestones.cog import Milestones


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(Milestones(bot))
