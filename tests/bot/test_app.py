"""The application's own duties: telling admins about a disabled feed (one failing admin chat does
not stop the others)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import _tell_admins, build_application
from bot.config import Settings
from bot.db import upgrade
from tests.bot.telegram_server import FakeTelegram, parse_html


@pytest.mark.asyncio
async def test_admins_hear_of_a_disabled_feed(tmp_path: Path, telegram: FakeTelegram) -> None:
    database_url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    upgrade(database_url)
    settings = Settings(
        telegram_bot_token=telegram.token,
        telegram_api_base_url=telegram.base_url,
        database_url=database_url,
        admin_ids=(501, 502),
        default_language="en",
    )
    application = build_application(settings, feeds=[])
    telegram.block(501)
    async with application.bot:
        await _tell_admins(
            application,
            settings,
            [("sana-ar", "HTTP 503 <Service Unavailable>"), ("bbc-ar", "timeout (read)")],
        )
    [message] = telegram.messages(502)
    parse_html(message.text)
    assert "sana-ar" in message.text
    assert "HTTP 503 &lt;Service Unavailable&gt;" in message.text
    assert "bbc-ar" in message.text  # one message for every feed disabled in a poll
    assert not telegram.messages(501)
