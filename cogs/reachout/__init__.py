"""/reachout and /volunteer: a member in a tough moment reaches a volunteer peer fast, and is never left alone.

The extension is this package: `cog` holds /reachout, taking, the relay, closing and the escalation ladder's
steps; `volunteers` the on-call roster; `cards` what it all looks like; `buttons` the lasting buttons and the
reply form.
"""

from __future__ import annotations

from bot.client import RecoveryBot
from cogs.reachout.cog import ReachOut
from cogs.reachout.volunteers import Volunteers


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(ReachOut(bot))
    await bot.add_cog(Volunteers(bot))
