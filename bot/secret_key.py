"""The Fernet key that encrypts sensitive columns: from BOT_SECRET_KEY, or a 0600 file we create."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet

log = logging.getLogger(__name__)


def load_or_create(configured: str | None, key_file: Path) -> bytes:
    if configured:
        return configured.encode()
    if key_file.exists():
        return key_file.read_bytes().strip()
    key = Fernet.generate_key()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite a key another process just wrote; losing a key loses the data it locked.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    log.warning(
        "BOT_SECRET_KEY is not set, so I created a new key in %s (readable only by you). "
        "Back it up: without it, encrypted data cannot be read. To manage it yourself, "
        "set BOT_SECRET_KEY to its contents.", key_file,
    )
    return key
