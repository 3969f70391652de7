"""Where the bot's keys come from: BOT_SECRET_KEY, else the key file, made with one new key if missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.db import encryption
from bot.secret_key import SecretKeyError, load_or_create

NEW, OLD = Fernet.generate_key(), Fernet.generate_key()


def test_the_setting_gives_every_key_in_order(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    assert load_or_create(f"{NEW.decode()}, {OLD.decode()}", key_file) == (NEW, OLD)
    assert load_or_create(NEW.decode(), key_file) == (NEW,)
    assert not key_file.exists(), "no file is made when the setting holds the keys"


def test_a_missing_key_file_is_created_with_one_private_key_and_then_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "secret.key"
    [key] = load_or_create(None, key_file)
    Fernet(key)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_or_create(None, key_file) == (key,)


def test_a_key_file_may_hold_several_keys_one_a_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(NEW + b"\n\n# the key before 2026-05, until every row is re-encrypted\n  " + OLD + b"  \n")
    keys = load_or_create(None, key_file)
    assert keys == (NEW, OLD)

    # The order matters: the first encrypts, and every key still opens what it wrote.
    monkeypatch.setattr(encryption, "_keyring", None)
    written_before = Fernet(OLD).encrypt(b"thirty days").decode()
    encryption.configure(keys)
    assert encryption.decrypt(written_before) == "thirty days"
    assert Fernet(NEW).decrypt(encryption.encrypt("ninety days")) == b"ninety days"


def test_an_empty_key_file_is_not_replaced_by_a_new_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(b"\n")
    with pytest.raises(SecretKeyError, match="holds no key"):
        load_or_create(None, key_file)
    assert key_file.read_bytes() == b"\n"


def test_a_bad_line_in_the_key_file_is_named_by_its_place_not_its_text(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(NEW + b"\nnot-a-key-at-all\n")
    with pytest.raises(SecretKeyError, match="key 2 of 2") as caught:
        load_or_create(None, key_file)
    assert "not-a-key-at-all" not in str(caught.value) and NEW.decode() not in str(caught.value)
