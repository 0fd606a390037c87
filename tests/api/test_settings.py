"""Settings from the environment, as deploy/.env.example and compose pass them."""

from __future__ import annotations

import pytest

from api.settings import Settings


def test_an_empty_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # .env.example leaves TELEGRAM_BOT_TOKEN= and DATABASE_URL= empty; compose passes them on.
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "ADVISOR_TOKEN", "PUBLIC_BASE_URL"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_bot_token is None, "an empty token would fail start-up"
    assert settings.database_url is None
    assert settings.advisor_token is None
    assert settings.public_base_url is None


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_ADDRESS_PER_MINUTE", "0")
    monkeypatch.setenv("MAX_CONVERSATIONS_PER_USER", "3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.rate_limit_address_per_minute == 0
    assert settings.max_conversations_per_user == 3
    monkeypatch.setenv("MAX_CONVERSATIONS_PER_USER", "0")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Settings(_env_file=None)  # type: ignore[call-arg]
