"""Typed, validated settings read from the environment and `.env`.

Every problem is collected and reported at once, so a moderator fixing a `.env` file does not
have to restart the bot once per mistake.
"""

from __future__ import annotations

import importlib.util
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
DRIVER_EXTRAS = {"asyncpg": "postgres"}  # the pyproject extra that installs each optional driver


class SettingsError(Exception):
    """The configuration has one or more problems; `problems` holds one line for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class DatabaseSettings(BaseSettings):
    """Where the data lives: all that migrating the database (migrations/env.py) needs, no token."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    data_dir: Path = Path("data")
    database_url: str = ""

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL; use sqlite+aiosqlite:///data/bot.db or "
                "postgresql+asyncpg://user:password@host:5432/dbname"
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"uses driver {url.drivername!r}; supported are {', '.join(SUPPORTED_DRIVERS)}"
            )
        driver = url.drivername.partition("+")[2]
        if importlib.util.find_spec(driver) is None:
            raise ValueError(
                f"needs the {driver} driver, which is not installed. Install it with: "
                f".venv/bin/pip install -e '.[{DRIVER_EXTRAS.get(driver, driver)}]'"
            )
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'bot.db').as_posix()}"


class Settings(DatabaseSettings):
    discord_token: SecretStr
    bot_secret_key: SecretStr | None = None
    dev_guild_id: int | None = Field(default=None, gt=0)
    log_level: LogLevel = "INFO"
    default_timezone: str = "UTC"
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    # Meeting feeds are downloaded from URLs moderators give; private and local addresses are refused
    # so such a URL can't probe the bot's own network. Tests (and a feed on your own LAN) turn this on.
    feed_allow_private_hosts: bool = False

    @field_validator("discord_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("DISCORD_TOKEN is empty")
        return value

    @field_validator("bot_secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        # Several keys, comma-separated, rotate the key: the first encrypts, every one decrypts.
        keys = [part.strip() for part in value.get_secret_value().split(",")]
        bad: list[int] = []
        for number, key in enumerate(keys, start=1):
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                bad.append(number)
        if bad:
            # Name a key by its place, never by its text: this message is printed and logged.
            def nth(n: int) -> str:
                suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
                return f"{n}{suffix}"

            which = (
                "is not a Fernet key" if len(keys) == 1
                else f"holds {len(keys)} comma-separated keys and the "
                + " and ".join(nth(n) for n in bad)
                + (" is not a Fernet key" if len(bad) == 1 else " are not Fernet keys")
            )
            raise ValueError(
                f"{which} (32 url-safe base64-encoded bytes). Create one with: "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' "
                "or leave it unset and the bot creates one in the data folder"
            )
        return SecretStr(",".join(keys))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("dev_guild_id", "shard_count", "bot_secret_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("feed_allow_private_hosts", mode="before")
    @classmethod
    def _blank_is_false(cls, value: Any) -> Any:
        return False if isinstance(value, str) and not value.strip() else value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            try:
                return tuple(int(part) for part in value.replace(" ", "").split(",") if part)
            except ValueError:
                raise ValueError("must be whole numbers separated by commas, e.g. 0,1") from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone name; try one like America/New_York or UTC"
            ) from None
        return value

    @field_validator("discord_api_base_url", "discord_gateway_url")
    @classmethod
    def _url_shape(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        schemes = ("http://", "https://") if info.field_name == "discord_api_base_url" else ("ws://", "wss://")
        if not value.startswith(schemes):
            raise ValueError(f"must start with {' or '.join(schemes)}")
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shards_consistent(cls, value: tuple[int, ...] | None, info: ValidationInfo) -> tuple[int, ...] | None:
        if value is None:
            return None
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("is set, so SHARD_COUNT must be set too")
        outside = [i for i in value if not 0 <= i < count]
        if outside:
            raise ValueError(f"{outside} are outside 0..{count - 1} (SHARD_COUNT={count})")
        if len(set(value)) != len(value):
            raise ValueError("lists a shard more than once")
        return value

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"


_HINTS = {
    "discord_token": (
        "DISCORD_TOKEN is not set. Put it in a .env file next to README.md (copy .env.example) "
        "or in the environment. Get it from https://discord.com/developers/applications -> "
        "your application -> Bot -> Reset Token."
    ),
}


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read the environment and `env_file`; raise `SettingsError` listing every problem."""
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def load_database_settings(env_file: str | Path | None = ".env") -> DatabaseSettings:
    """Only where the data lives (for migrating by hand: no token needed); `SettingsError` as above."""
    try:
        return DatabaseSettings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> list[str]:
    problems: list[str] = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if field in _HINTS and error["type"] in ("missing", "value_error"):
            problems.append(_HINTS[field])
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if field:
            value = "" if "secret" in field or "token" in field else f" (got {_shown(field, error.get('input'))!r})"
            problems.append(f"{field.upper()}{value}: {message}")
        else:
            problems.append(message)
    return problems


def _shown(field: str, value: Any) -> Any:
    """A setting's value as it may be printed: a database URL without its password."""
    if field == "database_url" and isinstance(value, str):
        try:
            return make_url(value).render_as_string(hide_password=True)
        except ArgumentError:
            return "…"  # not a URL, so no telling where a password would be
    return value
