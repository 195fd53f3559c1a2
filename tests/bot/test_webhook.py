"""Webhook mode: with WEBHOOK_URL set the bot registers its webhook and answers updates posted to it.

The bot (`bot.app.serve`, as `python -m bot run` runs it) listens on loopback; Telegram's side is the
fake Bot API, which records `setWebhook`; the test posts an update as Telegram would, with and
without the secret token, and /healthz and /metrics answer on the metrics port.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import httpx
import pytest

from bot.app import build_application, serve
from bot.config import Settings
from bot.db import upgrade
from tests.bot.telegram_server import FakeTelegram

SECRET = "hook-secret_123"
USER = 3001


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_000_000,
            "chat": {"id": USER, "type": "private", "first_name": "Test"},
            "from": {"id": USER, "is_bot": False, "first_name": "Test", "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}],
        },
    }


async def _post_when_listening(client: httpx.AsyncClient, url: str, body: str) -> httpx.Response:
    """POST once the server listens: python-telegram-bot may call setWebhook before its server is up."""
    for _ in range(100):
        try:
            return await client.post(url, content=body)
        except httpx.ConnectError:
            await asyncio.sleep(0.1)
    return await client.post(url, content=body)


@pytest.mark.asyncio
async def test_webhook_mode_answers_posted_updates(tmp_path: Path, telegram: FakeTelegram) -> None:
    database_url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    upgrade(database_url)
    hook_port, metrics_port = _free_port(), _free_port()
    settings = Settings(
        telegram_bot_token=telegram.token,
        telegram_api_base_url=telegram.base_url,
        database_url=database_url,
        feeds_file=tmp_path / "feeds.yaml",
        webhook_url="https://bot.example.org/base",
        webhook_listen="127.0.0.1",
        webhook_port=hook_port,
        webhook_path="telegram",
        webhook_secret=SECRET,
        metrics_port=metrics_port,
        metrics_host="127.0.0.1",
    )
    application = build_application(settings, feeds=[])
    stop = asyncio.Event()
    task = asyncio.create_task(serve(application, settings, stop))
    try:
        await asyncio.to_thread(telegram.wait_for, lambda: bool(telegram.calls("setWebhook")), timeout=60)
        [call] = telegram.calls("setWebhook")
        assert call.params["url"] == "https://bot.example.org/base/telegram"
        assert call.params["secret_token"] == SECRET
        hook = f"http://127.0.0.1:{hook_port}/telegram"
        async with httpx.AsyncClient(trust_env=False) as client:
            refused = await _post_when_listening(client, hook, json.dumps(_update(1, "/start")))
            assert refused.status_code == 403  # no secret: not Telegram
            accepted = await client.post(
                hook,
                content=json.dumps(_update(2, "/start")),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert accepted.status_code == 200
            [answer] = await asyncio.to_thread(telegram.wait_for_messages, USER, 1, timeout=30)
            assert "Syria" in answer.text
            health = await client.get(f"http://127.0.0.1:{metrics_port}/healthz")
            metrics = await client.get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert health.status_code == 200
        assert "syria_alerts_subscribers 1.0" in metrics.text.splitlines()
        assert not telegram.calls("getUpdates")  # no long polling in webhook mode
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)
