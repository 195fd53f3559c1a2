"""The token never reaches a log line, a traceback included, whoever logs it."""

from __future__ import annotations

import io
import logging

from bot.logs import REDACTED, RedactingFormatter

TOKEN = "123456:SECRET-token-value"


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter([TOKEN, "", "other-secret"]))
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger


def test_a_url_with_the_token_is_redacted() -> None:
    stream = io.StringIO()
    _logger(stream).warning("POST %s failed", f"https://api.telegram.org/bot{TOKEN}/sendMessage")
    assert TOKEN not in stream.getvalue()
    assert f"/bot{REDACTED}/sendMessage" in stream.getvalue()


def test_a_traceback_with_the_token_is_redacted() -> None:
    stream = io.StringIO()
    try:
        raise RuntimeError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        _logger(stream).exception("start-up failed")
    assert "Traceback" in stream.getvalue()
    assert TOKEN not in stream.getvalue()
    assert "other-secret" not in _format("other-secret in a message")


def _format(message: str) -> str:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, (), None)
    return RedactingFormatter([TOKEN, "other-secret"]).format(record)
