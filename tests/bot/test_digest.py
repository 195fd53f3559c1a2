"""The daily digest: due chats get one message of their matching events, once; gone chats stop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot import store
from bot.digest import due_digests, send_digests
from summarizer.gazetteer import Gazetteer
from tests.bot.telegram_server import FakeTelegram, parse_html
from tests.bot.test_chat import AIRSTRIKE, DEIR_EZ_ZOR_CITY, NOW, SARAQIB, add_event

READER, OTHER, GONE = 41, 42, 43


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


def _reader(sessions: sessionmaker[Session], chat_id: int, *, hour: int | None, **filters: object) -> None:
    with sessions.begin() as session:
        row = store.ensure_subscriber(
            session, chat_id, kind="private", language="en", now=NOW - timedelta(days=2)
        )
        row.digest_hour = hour
        store.add_subscription(session, chat_id, now=NOW - timedelta(days=2), **filters)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_digests_go_out_once_at_the_chosen_hour(
    sessions: sessionmaker[Session], gazetteer: Gazetteer, telegram: FakeTelegram, tmp_path: Path
) -> None:
    deir = add_event(
        sessions, gazetteer, "deir", DEIR_EZ_ZOR_CITY, seen=NOW - timedelta(hours=3), title="Deir"
    )
    add_event(sessions, gazetteer, "saraqib", SARAQIB, seen=NOW - timedelta(hours=2), types=AIRSTRIKE)
    add_event(sessions, gazetteer, "old", DEIR_EZ_ZOR_CITY, seen=NOW - timedelta(days=3), title="Old")
    _reader(sessions, READER, hour=NOW.hour, governorate="Deir ez-Zor")
    _reader(sessions, OTHER, hour=(NOW.hour + 1) % 24, governorate="Deir ez-Zor")  # not due yet
    _reader(sessions, GONE, hour=NOW.hour, event_category="airstrikes")
    telegram.block(GONE)

    with sessions() as session:
        due = {d.chat_id: d for d in due_digests(session, NOW)}
    assert set(due) == {READER, GONE}
    assert due[READER].event_ids == (deir,)  # the old event and the Idlib strike are not in it

    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        assert await send_digests(bot, sessions, NOW, gazetteer) == 1
        assert await send_digests(bot, sessions, NOW + timedelta(minutes=5), gazetteer) == 0  # once a day

    [digest] = telegram.messages(READER)
    parse_html(digest.text)
    assert "digest" in digest.text
    assert "Deir" in digest.text
    assert not telegram.messages(OTHER)
    with sessions() as session:
        gone = store.get_subscriber(session, GONE)
        assert gone is not None
        assert not gone.active  # blocked the bot: no more digests
