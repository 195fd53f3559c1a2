"""Logging set-up: one format, quiet HTTP client loggers, and secrets (the bot token) never written.

python-telegram-bot puts the token in every Bot API URL (`/bot<token>/sendMessage`), so any log
line or traceback that shows a URL would leak it. `configure_logging` installs a formatter on the
root handlers that replaces each secret with `[REDACTED]` in the final text of every record,
tracebacks included, whoever logged it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"
# Their INFO lines are one per HTTP request (every long poll too): noise, and they carry URLs.
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler.executors.default")


class RedactingFormatter(logging.Formatter):
    """A formatter that removes the given secrets from everything it formats."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """The record as text, secrets removed."""
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        """`text` without the secrets."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure_logging(level: str, secrets: Iterable[str | None] = ()) -> None:
    """Log to stderr at `level`, with `secrets` redacted from every line."""
    logging.basicConfig(level=level, format=FORMAT)
    formatter = RedactingFormatter([s for s in secrets if s])
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
