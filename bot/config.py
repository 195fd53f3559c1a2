"""Settings of the bot, read once from the environment (`Settings.from_env`) and then passed down.

Input: a mapping of environment variables. Output: a frozen `Settings`, or a `ConfigError` whose
message is one line naming the variable, fit to show a user as is.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Language = Literal["ar", "en"]

LANGUAGES: tuple[Language, ...] = ("ar", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SECRET_CHARS = frozenset(string.ascii_letters + string.digits + "_-")


class ConfigError(ValueError):
    """An environment variable holds a value the bot cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment."""

    # repr=False: the token must never reach a log line or an error report.
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite:///data/bot.sqlite3"
    feeds_file: Path = Path("feeds.yaml")
    poll_interval_seconds: int = 300
    admin_ids: tuple[int, ...] = ()
    default_language: Language = "ar"
    log_level: str = "INFO"
    fetch_concurrency: int = 8  # feeds and pages fetched at once
    fetch_timeout_seconds: int = 20
    max_download_bytes: int = 5_000_000  # a feed or article page larger than this is refused
    feed_disable_after: int = 10  # consecutive failures before a feed is disabled (admins are told)
    analysis_workers: int = 2  # processes that extract and analyse articles (CPU-bound)
    alerts_per_second: int = 30  # Telegram's overall flood limit for a bot; raise only for a local server
    # Webhook mode: set WEBHOOK_URL (the public HTTPS address Telegram posts to) to use it instead of
    # long polling; the bot listens on WEBHOOK_LISTEN:WEBHOOK_PORT under WEBHOOK_PATH.
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"  # inside a container; the proxy is outside
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    webhook_secret: str | None = field(default=None, repr=False)
    # /summary <url> fetches what a user asks for: private, loopback and link-local addresses are
    # refused unless this is set (tests and private deployments).
    allow_private_urls: bool = False
    # GET /healthz and /metrics (Prometheus) on this port when set.
    metrics_port: int | None = None
    metrics_host: str = "0.0.0.0"  # inside a container; scrape it from the private network

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default: `os.environ`); raise `ConfigError` on bad values."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            # An empty variable (`FOO=` in an env file) means "not set", as in most tools.
            value = env.get(name, "").strip()
            return value or None

        defaults = cls()
        api_base = get("TELEGRAM_API_BASE_URL") or defaults.telegram_api_base_url
        if not api_base.startswith(("https://", "http://")):
            raise ConfigError(f"TELEGRAM_API_BASE_URL must start with https:// or http://, got {api_base!r}")
        database_url = get("DATABASE_URL") or defaults.database_url
        if "://" not in database_url:
            raise ConfigError(
                f"DATABASE_URL must be a URL such as sqlite:///data/bot.sqlite3, got {database_url!r}"
            )
        feeds_file = get("FEEDS_FILE")
        return cls(
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=api_base,
            database_url=database_url,
            feeds_file=Path(feeds_file) if feeds_file else defaults.feeds_file,
            poll_interval_seconds=_positive_seconds(
                "POLL_INTERVAL_SECONDS", get("POLL_INTERVAL_SECONDS"), defaults.poll_interval_seconds
            ),
            admin_ids=_int_list("ADMIN_IDS", get("ADMIN_IDS")),
            default_language=_language(get("DEFAULT_LANGUAGE"), defaults.default_language),
            log_level=_log_level(get("LOG_LEVEL"), defaults.log_level),
            fetch_concurrency=_positive(
                "FETCH_CONCURRENCY", get("FETCH_CONCURRENCY"), defaults.fetch_concurrency
            ),
            fetch_timeout_seconds=_positive_seconds(
                "FETCH_TIMEOUT_SECONDS", get("FETCH_TIMEOUT_SECONDS"), defaults.fetch_timeout_seconds
            ),
            max_download_bytes=_positive(
                "MAX_DOWNLOAD_BYTES", get("MAX_DOWNLOAD_BYTES"), defaults.max_download_bytes
            ),
            feed_disable_after=_positive(
                "FEED_DISABLE_AFTER", get("FEED_DISABLE_AFTER"), defaults.feed_disable_after
            ),
            analysis_workers=_positive(
                "ANALYSIS_WORKERS", get("ANALYSIS_WORKERS"), defaults.analysis_workers
            ),
            alerts_per_second=_positive(
                "ALERTS_PER_SECOND", get("ALERTS_PER_SECOND"), defaults.alerts_per_second
            ),
            webhook_url=_webhook_url(get("WEBHOOK_URL")),
            webhook_listen=get("WEBHOOK_LISTEN") or defaults.webhook_listen,
            webhook_port=_positive("WEBHOOK_PORT", get("WEBHOOK_PORT"), defaults.webhook_port),
            webhook_path=(get("WEBHOOK_PATH") or defaults.webhook_path).strip("/"),
            webhook_secret=_webhook_secret(get("WEBHOOK_SECRET")),
            allow_private_urls=_flag("ALLOW_PRIVATE_URLS", get("ALLOW_PRIVATE_URLS")),
            metrics_port=_positive("METRICS_PORT", get("METRICS_PORT"), 0) or None,
            metrics_host=get("METRICS_HOST") or defaults.metrics_host,
        )


def _positive_seconds(name: str, raw: str | None, default: int) -> int:
    return _positive(name, raw, default, unit=" of seconds")


def _positive(name: str, raw: str | None, default: int, *, unit: str = "") -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{name} must be a positive whole number{unit}, got {raw!r}")
    return value


def _int_list(name: str, raw: str | None) -> tuple[int, ...]:
    if raw is None:
        return ()
    ids: list[int] = []
    for part in raw.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            ids.append(int(item))
        except ValueError:
            raise ConfigError(
                f"{name} must be comma-separated Telegram user ids (whole numbers), got {item!r}"
            ) from None
    return tuple(ids)


def _language(raw: str | None, default: Language) -> Language:
    if raw is None:
        return default
    value = raw.lower()
    if value not in LANGUAGES:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}, got {raw!r}")
    return value


def _log_level(raw: str | None, default: str) -> str:
    if raw is None:
        return default
    value = raw.upper()
    if value not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return value


def _webhook_url(raw: str | None) -> str | None:
    if raw is not None and not raw.startswith("https://"):
        raise ConfigError(f"WEBHOOK_URL must be an https:// address Telegram can reach, got {raw!r}")
    return raw


def _webhook_secret(raw: str | None) -> str | None:
    # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -.
    allowed = raw is None or (len(raw) <= 256 and all(c in _SECRET_CHARS for c in raw))
    if not allowed:
        raise ConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return raw


def _flag(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")
