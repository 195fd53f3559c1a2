"""Unit tests of `Settings.from_env`: defaults, parsing, one-line errors, and the token kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings

TOKEN = "123456:SECRET-token-value"


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings == Settings(
        telegram_bot_token=None,
        telegram_api_base_url="https://api.telegram.org/bot",
        database_url="sqlite:///data/bot.sqlite3",
        feeds_file=Path("feeds.yaml"),
        poll_interval_seconds=300,
        admin_ids=(),
        default_language="ar",
        log_level="INFO",
    )


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "DATABASE_URL": "postgresql://bot@127.0.0.1/bot",
            "FEEDS_FILE": "/etc/bot/feeds.yaml",
            "POLL_INTERVAL_SECONDS": "60",
            "ADMIN_IDS": " 11, 22 ,33,",
            "DEFAULT_LANGUAGE": "EN",
            "LOG_LEVEL": "debug",
            "ANALYSIS_WORKERS": "3",
        }
    )
    assert settings.telegram_bot_token == TOKEN
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.database_url == "postgresql://bot@127.0.0.1/bot"
    assert settings.feeds_file == Path("/etc/bot/feeds.yaml")
    assert settings.poll_interval_seconds == 60
    assert settings.admin_ids == (11, 22, 33)
    assert settings.default_language == "en"
    assert settings.log_level == "DEBUG"
    assert settings.analysis_workers == 3


def test_empty_values_mean_unset() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "  ", "POLL_INTERVAL_SECONDS": "", "ADMIN_IDS": ""})
    assert settings.telegram_bot_token is None
    assert settings.poll_interval_seconds == 300
    assert settings.admin_ids == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("POLL_INTERVAL_SECONDS", "0"),
        ("POLL_INTERVAL_SECONDS", "-5"),
        ("POLL_INTERVAL_SECONDS", "five"),
        ("POLL_INTERVAL_SECONDS", "1.5"),
        ("ADMIN_IDS", "12,abc"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("LOG_LEVEL", "chatty"),
        ("ANALYSIS_WORKERS", "0"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org/bot"),
        ("DATABASE_URL", "data/bot.sqlite3"),
    ],
)
def test_bad_values_raise_a_one_line_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env({name: value})
    message = str(excinfo.value)
    assert name in message
    assert "\n" not in message


def test_the_token_never_shows_in_repr_or_errors() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "POLL_INTERVAL_SECONDS": "x"})
    assert TOKEN not in str(excinfo.value)


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.poll_interval_seconds = 1  # type: ignore[misc]
