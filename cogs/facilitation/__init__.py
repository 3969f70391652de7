"""Meeting facilitation: the live panel, the speaking queue, the share timer, attendance and slips.

The extension is this package: `cog` holds /queue, what the panel's buttons do, the timer's job and the voice
listener (and the work behind /meeting start|end|timer|verify|format, which the /meeting group hands over);
`panel` what the panel shows, its lasting buttons and its coalesced edits; `forms` the format's form.
"""

from __future__ import annotations

from bot.client import RecoveryBot
from cogs.facilitation.cog import Facilitation


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(Facilitation(bot))
