"""The facilitation area: opening, running and closing a meeting with a fair speaking queue.

- `formats`: a meeting's steps, share length and queue rule; neutral defaults per kind; the text file
- `runs`: a run of an occurrence: its panel, step, chair, speaker and share timer; the summary at the end
- `queue`: raised hands, first come first served, or who hasn't shared yet first
- `attendance`: presence (voice or "I'm here"), minutes, and proof-of-attendance slips
- `member_data`: what the area keeps about a member, for /privacy
"""

from __future__ import annotations

from bot.services.facilitation import member_data  # noqa: F401  (registers the area's member data with bot.privacy)
