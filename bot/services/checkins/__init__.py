"""The check-ins area: "how are you today", answered in one tap, shared anonymously if the member wants.

- `entries`: recording a check-in, sharing it, a member's own history
- `posts`: anonymous posts: what they show, support passed on, reports, blocks, taking one down
- `reminders`: the daily DM on the member's own clock
- `member_data`: what the area keeps about a member, for /privacy
"""

from __future__ import annotations

from bot.services.checkins import member_data  # noqa: F401  (registers the area's member data with bot.privacy)
