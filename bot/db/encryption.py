"""Columns encrypted with the bot's key, for the most sensitive things members share.

`EncryptedText` stores a Fernet token (AES-128-CBC with an HMAC-SHA256, so a changed token is refused,
never decrypted into garbage) and reads back the plaintext `str`.

What it protects against: someone who reads the database but not the key, e.g. a copied SQLite
file or its `-wal`, a database backup or dump, a hosting provider's snapshot, a read-only SQL login.
What it does not: anyone who also has the key (BOT_SECRET_KEY or DATA_DIR/secret.key, so keep the key
out of the database's backups), anyone who runs code in the bot's process, and what the token itself
shows: roughly how long the text is, when it was written (Fernet puts the time in the token) and
which row and column it belongs to.

Each write gives a different token for the same text, so an encrypted column cannot be searched,
compared, indexed, sorted or made unique in SQL: look rows up by another column.

Keys: `configure` is called once at start with every key (`bot.app.build` does it). The first key
encrypts; every key decrypts. To rotate, put a new key first and keep the old one after it, run
`reencrypt` over the stored tokens, then drop the old key.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Process-wide on purpose: a column type is built when models are imported, long before settings are
# read, so it cannot be handed the key; it looks the keyring up each time it is used instead.
_keyring: MultiFernet | None = None
_signing: bytes | None = None


class EncryptionNotConfigured(RuntimeError):
    """An encrypted column was used before `configure` gave the process its keys."""


class UndecryptableValue(RuntimeError):
    """A stored token that none of the configured keys opens."""


def configure(keys: Sequence[bytes]) -> None:
    """Use `keys` from now on: the first encrypts new values, every one decrypts."""
    global _keyring
    # bytes is itself a Sequence (of ints): a single key passed bare would otherwise fail obscurely.
    if not all(isinstance(key, bytes) for key in keys):
        raise TypeError("configure() takes a sequence of keys as bytes, e.g. configure([key]), not one key")
    if not keys:
        raise ValueError("configure() needs at least one key")
    # Fernet() checks each key's shape, so a bad key fails here, at start, not at the first write.
    _keyring = MultiFernet([Fernet(key) for key in keys])
    global _signing
    # Keyed hashes (pseudonyms, lookups of who without storing who) need a key of their own: derived from
    # the encrypting key, so it comes with it, but never the same bytes that encrypt.
    _signing = hashlib.sha256(b"recovery-bot keyed hashes\x00" + base64.urlsafe_b64decode(keys[0])).digest()


def signing_key() -> bytes:
    """The key for keyed hashes (HMAC): stable while the first key is, unusable before `configure`."""
    if _signing is None:
        raise EncryptionNotConfigured("keyed hashes need bot.db.encryption.configure(keys) first")
    return _signing


def _configured() -> MultiFernet:
    if _keyring is None:
        raise EncryptionNotConfigured(
            "encrypted columns are used before bot.db.encryption.configure(keys) was called; "
            "bot.app.build calls it at start, and a script or test using the models must call it too"
        )
    return _keyring


def encrypt(plaintext: str) -> str:
    """A Fernet token for `plaintext`, under the first configured key."""
    return _configured().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext of a token; `UndecryptableValue` if no configured key opens it."""
    keyring = _configured()
    try:
        return keyring.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise _undecryptable() from None


def reencrypt(token: str) -> str:
    """The same plaintext under the first (newest) configured key, keeping the token's original time.

    To move every stored value onto a new key, read the raw tokens, bypassing the column type, and
    write back what this returns, e.g. for a column `table.c.note`:

        raw = type_coerce(table.c.note, Text)
        for id_, token in (await conn.execute(select(table.c.id, raw).where(raw.is_not(None)))).all():
            await conn.execute(update(table).where(table.c.id == id_).values(note=type_coerce(reencrypt(token), Text)))

    then, once every such column is done, remove the old key.
    """
    keyring = _configured()
    try:
        return keyring.rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise _undecryptable() from None


def _undecryptable() -> UndecryptableValue:
    # Neither the token nor anything decrypted goes in the message: it ends up in logs.
    return UndecryptableValue(
        "a stored encrypted value cannot be decrypted with any configured key. Most likely the key was "
        "changed or lost: BOT_SECRET_KEY (or DATA_DIR/secret.key when it is unset) no longer holds the key "
        "that wrote it. Put the old key back after the current one, comma-separated, e.g. "
        "BOT_SECRET_KEY=new,old"
    )


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token under the bot's key and read back as plaintext (None stays None)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"EncryptedText needs a str, got {type(value).__name__}")
        return encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        # A plaintext left in the column (written around the type) is refused like any bad token, so
        # it is never handed back looking as if it had been protected.
        return decrypt(value)
