"""/healthz and /metrics over real HTTP on loopback, with figures from a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.metrics import bound_port, start_server


@pytest.mark.asyncio
async def test_healthz_and_metrics(sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        store.ensure_subscriber(session, 5, kind="private", language="en", now=now)
        store.ensure_subscriber(session, 6, kind="private", language="ar", now=now)
        store.deactivate_subscriber(session, 6, now=now)
    server = start_server(sessions, host="127.0.0.1", port=0)
    try:
        base = f"http://127.0.0.1:{bound_port(server)}"
        async with httpx.AsyncClient(trust_env=False) as client:
            health = await client.get(f"{base}/healthz")
            metrics = await client.get(f"{base}/metrics")
    finally:
        server.stop()
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert metrics.status_code == 200
    lines = metrics.text.splitlines()
    assert "syria_alerts_subscribers 1.0" in lines
    assert "syria_alerts_subscribers_inactive 1.0" in lines
    assert "syria_alerts_alerts_queued 0.0" in lines
    assert any(line.startswith("syria_alerts_outbox_lag_seconds ") for line in lines)
