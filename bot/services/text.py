"""Text people type, made safe to store and to show back.

Stored text is cleaned of what no reader can see (zero-width and direction-changing characters,
control characters) so that a name is never blank or reversed on screen. Shown text is escaped,
so a name with an unclosed ``` or a [masked](link) is read as the characters it is, never as
formatting: every message the bot writes is Discord markdown, and the escape belongs to the
showing, not to the storing (feeds, calendars and exports carry the text as typed).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from bot.services.errors import InvalidInput

# Characters that change nothing visible but can hide or reverse a name: zero-width spaces and
# joiners at the edges, word joiners, byte-order marks, and the bidirectional controls.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u180e\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
# Discord markdown: emphasis, code, strikethrough, spoilers, masked links ([...]), mentions,
# timestamps and custom emoji (<...>) anywhere; quotes, headings and lists at a line's start.
# Discord removes a backslash before ASCII punctuation, so the escaped text reads as typed.
_INLINE = re.compile(r"([\\*_~`|\[\]<])")
_LINE_MARK = re.compile(r"^(\s*)([#>+-])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*[0-9]+)\.", re.MULTILINE)
_MASS_MENTION = re.compile(r"@(everyone|here)")


def clean(text: str, *, one_line: bool) -> str:
    """`text` without invisible and control characters; one line with single spaces if asked."""
    cleaned = _CONTROL.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFC", text)))
    if one_line:
        return _SPACES.sub(" ", cleaned).strip()
    return "\n".join(line.rstrip() for line in cleaned.strip().splitlines())


def has_visible(text: str) -> bool:
    """Whether `text` shows anything: a letter, digit, punctuation mark, symbol (emoji included) or a
    mark that takes space of its own (not one that only combines with the character before it)."""
    return any(unicodedata.category(char)[0] in "LNPS" or unicodedata.category(char) in ("Mc", "Me")
               for char in text)


def checked(value: str | None, label: str, limit: int, *, required: bool = False,
            one_line: bool = True) -> str | None:
    """Cleaned text within its limit; None for empty optional text. Refuses text that shows nothing."""
    cleaned = clean(value or "", one_line=one_line)
    if cleaned and not has_visible(cleaned):
        raise InvalidInput(f"The {label} has no letters or symbols anyone could see. Type it again with plain text.")
    if not cleaned:
        if required:
            raise InvalidInput(f"The {label} can't be empty.")
        return None
    if len(cleaned) > limit:
        raise InvalidInput(f"The {label} is {len(cleaned):,} characters long; keep it to {limit:,}.")
    return cleaned


@functools.lru_cache(maxsize=8192)  # the same names and places are shown in every list and info
def escape_markdown(text: str) -> str:
    """`text` shown as the characters it is in a Discord message, never as formatting or a mention."""
    escaped = _LINE_MARK.sub(r"\1\\\2", _INLINE.sub(r"\\\1", text))
    escaped = _NUMBERED.sub(r"\1\\.", escaped)
    return _MASS_MENTION.sub("@\u200b\\1", escaped)


def excerpt(text: str, limit: int) -> str:
    """The start of what someone typed, cleaned and escaped, to quote it back in a message."""
    cleaned = clean(text, one_line=True)
    cut = cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"
    return escape_markdown(cut)


_ESCAPE = re.compile(r"\\([^A-Za-z0-9\s])")


def unescape_markdown(text: str) -> str:
    """Text written for a Discord message, for a plain text file: the escapes taken out again."""
    return _ESCAPE.sub(r"\1", text).replace("@\u200b", "@")
