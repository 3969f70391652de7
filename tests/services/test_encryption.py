"""Encrypted columns on real databases: the secret is not in the raw database, comes back intact, and
survives a key rotation; a value no key opens is a clear error, never text.

The table is the tests' own (its own metadata, no migration): the type is tested before any feature uses it.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Text, insert, select, type_coerce, update
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db import encryption
from bot.db.encryption import EncryptedText, EncryptionNotConfigured, UndecryptableValue
from bot.db.engine import create_session_factory
from tests.databases import Database
from tests.raw_database import assert_not_stored, assert_stored

SECRET = "I relapsed last night and I'm scared"
PLAIN = "My sponsor's number is on the fridge"
KEY_A, KEY_B = Fernet.generate_key(), Fernet.generate_key()


class ScratchBase(DeclarativeBase):
    pass


class Note(ScratchBase):
    __tablename__ = "encryption_scratch_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[str | None] = mapped_column(EncryptedText)
    plain: Mapped[str | None] = mapped_column(Text)


RAW_SECRET = type_coerce(Note.__table__.c.secret, Text)  # the stored token, past the column type


@pytest.fixture(autouse=True)
def keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key A for each test; whatever keys the process had (an in-process bot's) come back afterwards."""
    monkeypatch.setattr(encryption, "_keyring", None)
    encryption.configure([KEY_A])


@pytest.fixture
async def notes(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    async with engine.begin() as conn:
        await conn.run_sync(ScratchBase.metadata.create_all)
    return create_session_factory(engine)


async def write(notes: async_sessionmaker[AsyncSession], secret: str | None, plain: str | None = None) -> int:
    async with notes.begin() as session:
        note = Note(secret=secret, plain=plain)
        session.add(note)
    return note.id


async def read(notes: async_sessionmaker[AsyncSession], note_id: int) -> str | None:
    # A new session each time: the value comes from the database, not from the identity map.
    async with notes() as session:
        return (await session.execute(select(Note.secret).where(Note.id == note_id))).scalar_one()


async def raw_token(notes: async_sessionmaker[AsyncSession], note_id: int) -> str:
    async with notes() as session:
        token: str = (await session.execute(select(RAW_SECRET).where(Note.id == note_id))).scalar_one()
    return token


def cause(error: BaseException) -> BaseException:
    # SQLAlchemy wraps an error raised while binding a parameter in a StatementError.
    return error.orig if isinstance(error, StatementError) and error.orig is not None else error


async def test_a_secret_is_not_in_the_raw_database_and_a_plain_column_is(
    database: Database, engine: AsyncEngine, notes: async_sessionmaker[AsyncSession]
) -> None:
    note_id = await write(notes, SECRET, PLAIN)

    await assert_stored(database, PLAIN)  # the control: the search looks where the rows are
    await assert_not_stored(database, SECRET)
    await assert_not_stored(engine, SECRET)
    assert await read(notes, note_id) == SECRET
    assert Fernet(KEY_A).decrypt(await raw_token(notes, note_id)).decode() == SECRET


async def test_none_stays_none_and_the_empty_text_round_trips(notes: async_sessionmaker[AsyncSession]) -> None:
    assert await read(notes, await write(notes, None)) is None
    empty = await write(notes, "")
    assert await raw_token(notes, empty) != ""
    assert await read(notes, empty) == ""


async def test_a_key_rotates_without_losing_a_value(
    database: Database, notes: async_sessionmaker[AsyncSession]
) -> None:
    note_id = await write(notes, SECRET)

    encryption.configure([KEY_B, KEY_A])
    assert await read(notes, note_id) == SECRET, "the old key still decrypts"
    newer = await write(notes, "written after the new key came first")
    Fernet(KEY_B).decrypt(await raw_token(notes, newer))  # the first key encrypts

    # What the `reencrypt` docstring tells an operator to do, over every row.
    async with notes.begin() as session:
        for row_id, token in (await session.execute(select(Note.id, RAW_SECRET))).all():
            await session.execute(
                update(Note).where(Note.id == row_id).values(secret=type_coerce(encryption.reencrypt(token), Text))
            )
    token = await raw_token(notes, note_id)
    assert Fernet(KEY_B).decrypt(token).decode() == SECRET
    with pytest.raises(InvalidToken):
        Fernet(KEY_A).decrypt(token)

    encryption.configure([KEY_B])
    assert await read(notes, note_id) == SECRET, "after re-encrypting, the old key can go"
    await assert_not_stored(database, SECRET)


async def test_a_value_whose_key_is_gone_is_a_clear_error(notes: async_sessionmaker[AsyncSession]) -> None:
    note_id = await write(notes, SECRET)
    token = await raw_token(notes, note_id)
    encryption.configure([KEY_B])

    with pytest.raises(UndecryptableValue) as caught:
        await read(notes, note_id)
    message = str(cause(caught.value))
    assert "changed or lost" in message
    assert "BOT_SECRET_KEY" in message
    assert token not in message and SECRET not in message
    with pytest.raises(UndecryptableValue):
        encryption.reencrypt(token)


async def test_plaintext_left_in_an_encrypted_column_is_refused_not_returned(
    notes: async_sessionmaker[AsyncSession],
) -> None:
    async with notes.begin() as session:
        await session.execute(insert(Note).values(id=7, secret=type_coerce(SECRET, Text)))
    with pytest.raises(UndecryptableValue):
        await read(notes, 7)


async def test_using_the_type_before_configure_is_a_clear_error(
    notes: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = await write(notes, SECRET)
    monkeypatch.setattr(encryption, "_keyring", None)

    with pytest.raises(StatementError) as writing:
        await write(notes, SECRET)
    with pytest.raises(EncryptionNotConfigured) as reading:
        await read(notes, note_id)
    for error in (cause(writing.value), reading.value):
        assert isinstance(error, EncryptionNotConfigured)
        assert isinstance(error, RuntimeError)
        assert "configure(keys)" in str(error)


def test_configure_refuses_no_keys_a_bare_key_and_a_bad_key() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        encryption.configure([])
    with pytest.raises(TypeError, match="sequence of keys"):
        encryption.configure(KEY_A)
    with pytest.raises(ValueError, match="Fernet key"):
        encryption.configure([KEY_A, b"not a key"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plaintext=st.text())
@example(plaintext="")
@example(plaintext="🙂 30 days 🎉 — día treinta, 三十日")
@example(plaintext="line one\nline two\ttab \x00 nul \u200b zero-width")
@example(plaintext="I will call my sponsor tomorrow. " * 3000)
async def test_any_text_round_trips(notes: async_sessionmaker[AsyncSession], plaintext: str) -> None:
    note_id = await write(notes, plaintext)
    token = await raw_token(notes, note_id)
    assert token != plaintext
    assert token.startswith("gAAAAA")  # a Fernet token (version byte, then a timestamp), not the text
    assert await read(notes, note_id) == plaintext
