"""Settings from the environment (and a ``.env`` file), read once."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from conversations import default_database_path

__all__ = ["Settings", "get_settings"]


def _eastern_today() -> date:
    """Today as the IRS counts it (its deadlines fall on US Eastern dates)."""
    try:
        zone: tzinfo = ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:  # pragma: no cover - a system without time-zone data
        zone = UTC
    return datetime.now(zone).date()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,  # VAR= in .env or compose means unset, as .env.example shows
    )

    database_url: str | None = Field(default=None, description="SQLite file by default")
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_request_timeout: float = Field(
        default=15.0, gt=0, description="seconds before a Bot API call is given up"
    )
    public_base_url: str | None = None
    advisor_token: SecretStr | None = None
    user_key_secret: SecretStr | None = Field(
        default=None,
        description="Key for the pseudonymous hashes of user ids; a local one is made if unset",
    )
    retention_days: int = 180
    rate_limit_address_per_minute: int = Field(
        default=240, ge=0, description="REST and web requests per client address; 0 is off"
    )
    rate_limit_conversation_per_minute: int = Field(
        default=30, ge=0, description="answers per conversation (REST) or chat (Telegram); 0 is off"
    )
    max_conversations_per_user: int = Field(
        default=10, ge=1, description="closed conversations kept per person, newest first"
    )
    trusted_proxies: str | None = Field(
        default=None,
        description=(
            "reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses"
            " or networks, comma separated (such as 10.0.0.2,192.168.1.0/24); none by default,"
            " so the client's own address counts"
        ),
    )
    var_dir: Path | None = Field(default=None, description="defaults to the database's folder")
    megaroth_today: date | None = Field(
        default=None,
        description="the date the app takes as today (YYYY-MM-DD), for tests and demos; "
        "the real (US Eastern) date when unset",
    )

    reminders: bool = Field(
        default=True,
        description="send reminders from `megaroth serve` and `megaroth bot` (with Telegram on)",
    )
    reminder_tick_seconds: float = Field(
        default=60.0, gt=0, description="how often the scheduler looks for due reminders"
    )
    reminder_lease_seconds: float = Field(
        default=300.0, gt=0, description="how long a worker's claim on a reminder lasts"
    )
    reminder_send_hour: int = Field(
        default=9, ge=0, le=23, description="reminders go out from this hour (US Eastern)"
    )

    def reminder_day(self) -> Callable[[], date]:
        """The day whose reminders are due now: the app's clock when pinned; otherwise today
        (US Eastern) from ``REMINDER_SEND_HOUR``, yesterday before it."""
        if self.megaroth_today is not None:
            return self.clock()
        hour = self.reminder_send_hour

        def day() -> date:
            try:
                zone: tzinfo = ZoneInfo("America/New_York")
            except ZoneInfoNotFoundError:  # pragma: no cover - no time-zone data
                zone = UTC
            now = datetime.now(zone)
            return now.date() if now.hour >= hour else now.date() - timedelta(days=1)

        return day

    def clock(self) -> Callable[[], date]:
        """Today's date, as the conversation is told it (never read inside the flow)."""
        pinned = self.megaroth_today
        if pinned is not None:
            return lambda: pinned
        return _eastern_today

    def proxies(self) -> list[str]:
        """The trusted proxies' addresses and networks, as a list (empty: trust none)."""
        return [part.strip() for part in (self.trusted_proxies or "").split(",") if part.strip()]

    def key_secret(self) -> str:
        """The key for user-id hashes: USER_KEY_SECRET, else one kept in var/ for local use."""
        if self.user_key_secret is not None:
            return self.user_key_secret.get_secret_value()
        folder = self.var_dir or default_database_path().parent
        path = folder / "user-key.secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
