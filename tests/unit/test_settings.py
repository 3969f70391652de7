"""Settings: every problem reported at once, in words a moderator can act on."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.settings import SettingsError, load_database_settings, load_settings

ALL_VARS = ("DISCORD_TOKEN", "DATABASE_URL", "BOT_SECRET_KEY", "DEV_GUILD_ID", "LOG_LEVEL", "DEFAULT_TIMEZONE",
            "SHARD_COUNT", "SHARD_IDS", "DISCORD_API_BASE_URL", "DISCORD_GATEWAY_URL", "DATA_DIR",
            "FEED_ALLOW_PRIVATE_HOSTS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    return caught.value.problems


def test_defaults_are_sqlite_in_the_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    settings = load_settings(env_file=None)
    assert settings.resolved_database_url == "sqlite+aiosqlite:///data/bot.db"
    assert (settings.log_level, settings.default_timezone, settings.shard_ids) == ("INFO", "UTC", None)


def test_missing_token_says_where_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    [problem] = problems(monkeypatch)
    assert "DISCORD_TOKEN is not set" in problem
    assert ".env" in problem
    assert "discord.com/developers/applications" in problem


def test_every_problem_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    found = problems(
        monkeypatch,
        DISCORD_TOKEN=" ",
        DATABASE_URL="mysql://db/bot",
        LOG_LEVEL="loud",
        DEFAULT_TIMEZONE="Mars/Olympus",
        SHARD_COUNT="2",
        SHARD_IDS="0,5",
        DISCORD_GATEWAY_URL="http://not-a-websocket",
        BOT_SECRET_KEY="not-a-key",
    )
    text = "\n".join(found)
    assert len(found) == 7  # SHARD_COUNT itself is fine
    for expected in ("DISCORD_TOKEN", "DATABASE_URL", "LOG_LEVEL", "DEFAULT_TIMEZONE", "SHARD_IDS",
                     "DISCORD_GATEWAY_URL", "BOT_SECRET_KEY"):
        assert expected in text
    assert "not-a-key" not in text, "secrets are never echoed back"


def test_shard_ids_need_a_count(monkeypatch: pytest.MonkeyPatch) -> None:
    [problem] = problems(monkeypatch, DISCORD_TOKEN="t", SHARD_IDS="0,1")
    assert "SHARD_COUNT must be set" in problem


def test_shards_and_urls_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"DISCORD_TOKEN": "t", "SHARD_COUNT": "4", "SHARD_IDS": "2, 3",
                        "DISCORD_API_BASE_URL": "http://127.0.0.1:8080/api/", "LOG_LEVEL": "debug",
                        "DATABASE_URL": "postgresql+asyncpg://u:p@db:5432/bot"}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env_file=None)
    assert settings.shard_ids == (2, 3)
    assert settings.discord_api_base_url == "http://127.0.0.1:8080/api"
    assert settings.log_level == "DEBUG"
    assert settings.resolved_database_url == "postgresql+asyncpg://u:p@db:5432/bot"


@pytest.mark.parametrize(("value", "allowed"), [("", False), ("false", False), ("true", True), ("1", True)])
def test_private_feed_hosts_are_refused_unless_allowed(monkeypatch: pytest.MonkeyPatch, value: str,
                                                       allowed: bool) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("FEED_ALLOW_PRIVATE_HOSTS", value)
    assert load_settings(env_file=None).feed_allow_private_hosts is allowed


def test_a_setting_that_is_not_yes_or_no_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    [problem] = problems(monkeypatch, DISCORD_TOKEN="t", FEED_ALLOW_PRIVATE_HOSTS="maybe")
    assert problem.startswith("FEED_ALLOW_PRIVATE_HOSTS")


def test_several_secret_keys_are_read_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("BOT_SECRET_KEY", f" {new} ,{old}  ")
    settings = load_settings(env_file=None)
    assert settings.bot_secret_key is not None
    assert settings.bot_secret_key.get_secret_value() == f"{new},{old}"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["not-a-key"], "BOT_SECRET_KEY: is not a Fernet key"),
        (["good", "not-a-key"], "BOT_SECRET_KEY: holds 2 comma-separated keys and the 2nd is not a Fernet key"),
        (["not-a-key", "good", "also-bad"], "and the 1st and 3rd are not Fernet keys"),
        (["good", ""], "the 2nd is not a Fernet key"),  # a comma at the end
        (["good"] * 10 + ["eleventh-bad"], "the 11th is not a Fernet key"),
    ],
)
def test_each_secret_key_is_checked_and_named_by_its_place(
    monkeypatch: pytest.MonkeyPatch, keys: list[str], expected: str
) -> None:
    good = Fernet.generate_key().decode()
    value = ", ".join(good if key == "good" else key for key in keys)
    [problem] = problems(monkeypatch, DISCORD_TOKEN="t", BOT_SECRET_KEY=value)
    assert expected in problem
    assert good not in problem and "not-a-key" not in problem and "bad" not in problem, "secrets are never echoed"


def test_a_database_url_in_a_message_never_shows_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    [problem] = problems(monkeypatch, DISCORD_TOKEN="token",
                         DATABASE_URL="mysql+aiomysql://bot:hunter2-secret@db:3306/recovery")
    assert "hunter2-secret" not in problem
    assert "bot:***@db:3306" in problem and "supported are" in problem


def test_the_database_settings_alone_need_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", "/srv/recovery")
    assert load_database_settings(env_file=None).resolved_database_url == "sqlite+aiosqlite:////srv/recovery/bot.db"
