"""The reach-out area: a member in a tough moment reaches a volunteer peer fast, and is never left alone.

- `settings`: a server's reach-out settings (limits, timings), audited
- `hours`: volunteers' weekly hours as they type them, on their own clock
- `roster`: who volunteers, and who is on call when
- `requests`: opening, routing, the escalation ladder, claiming, the conversation, closing, blocks
- `figures`: counts and times for moderators
- `member_data`: what the area keeps about a member, for /privacy
"""

from __future__ import annotations

from bot.services.reachout import member_data  # noqa: F401  (registers the area's member data with bot.privacy)
