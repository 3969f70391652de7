"""The Fernet keys that encrypt sensitive columns: from BOT_SECRET_KEY, or a 0600 file we create.

Either may hold several keys (comma-separated in BOT_SECRET_KEY, one a line in the file): the first
encrypts, every one decrypts, so a key is rotated by putting a new one first (see bot.db.encryption).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet

log = logging.getLogger(__name__)


class SecretKeyError(Exception):
    """The key file cannot be used; the message says what to fix and never holds a key."""


def load_or_create(configured: str | None, key_file: Path) -> tuple[bytes, ...]:
    """Every key, in order: BOT_SECRET_KEY's when set, else the key file's, made with one new key if missing."""
    if configured:
        # Settings has already checked each of these keys.
        return tuple(part.strip().encode() for part in configured.split(","))
    if key_file.exists():
        return _read(key_file)
    key = Fernet.generate_key()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a file of our own, then linked into place: linking never replaces a file, so when
    # several processes start at once on a new data folder, one key wins and every process reads that one.
    # (Losing a key loses the data it locked; a half-written key file would stop the others starting.)
    draft = key_file.with_name(f".{key_file.name}.{os.getpid()}.new")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, key_file)
        except FileExistsError:
            return _read(key_file)  # another process made the key first
    finally:
        draft.unlink(missing_ok=True)
    log.warning(
        "BOT_SECRET_KEY is not set, so I created a new key in %s (readable only by you). "
        "Back it up: without it, encrypted data cannot be read. To manage it yourself, "
        "set BOT_SECRET_KEY to its contents.", key_file,
    )
    return (key,)


def _read(key_file: Path) -> tuple[bytes, ...]:
    # Blank lines and # notes are allowed, so a moderator can write down why an old key is still there.
    lines = [line.strip() for line in key_file.read_bytes().splitlines()]
    keys = tuple(line for line in lines if line and not line.startswith(b"#"))
    if not keys:
        # Making a new key here would silently lock away whatever the lost one encrypted.
        raise SecretKeyError(
            f"{key_file} holds no key. Put the key back from a backup; if there never was one, "
            "delete the empty file and the bot creates a new key."
        )
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SecretKeyError(
                f"key {number} of {len(keys)} in {key_file} is not a Fernet key (32 url-safe base64-encoded "
                "bytes, one key a line, the key that encrypts first)."
            ) from None
    return keys
