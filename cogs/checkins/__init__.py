"""/checkin: "how are you today", in one tap or one command, private or shared anonymously; history with a
chart; a daily DM reminder.

The extension is this package: `cog` holds the commands and job handlers, `views` the buttons, forms and the
anonymous post, `chart` the history chart (matplotlib, imported at its first use).
"""

from __future__ import annotations

from bot.client import RecoveryBot
from cogs.checkins.cog import CheckIns


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(CheckIns(bot))
