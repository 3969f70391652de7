"""The milestones area: clean dates, days counted, keytags and chips, celebrated the way each member chooses.

- `schedules`: milestone schedules (presets, custom lists) and the calendar arithmetic behind them
- `dates`: members' dates, their announcement choice per server, when each is next due, upcoming ones
- `sweep`: what has come due, claimed once ever, booked for announcement
- `member_data`: what the area keeps about a member, for /privacy
"""

from __future__ import annotations

from bot.services.milestones import member_data  # noqa: F401  (registers the area's member data with bot.privacy)
