"""The outbox sender against the fake Bot API (real HTTP on loopback, a real python-telegram-bot `Bot`)
and a real database: SQLite and PostgreSQL where cheap, SQLite for the long fan-outs."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import telegram
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest, RequestData

from bot import outbox_extra, store
from bot.db import OutboxRow, SubscriberRow, SubscriptionRow, make_engine, session_factory
from bot.delivery import (
    Deliverer,
    DeliveryReport,
    Limits,
    RenderFn,
    _Window,
    backoff_seconds,
    retry_after_seconds,
)
from bot.store import AlertTarget
from tests.bot.telegram_server import (
    CANT_EDIT,
    EDIT_NOT_FOUND,
    NOT_MODIFIED,
    FakeTelegram,
)
from tests.bot.test_store import DEIR_EZ_ZOR, facts, feeds, new_event

FAST = Limits(per_second=1000, per_chat_per_second=100, per_group_per_minute=6000)
"""Limits that never make a small test wait: for tests about something else."""


# --- Helpers ---------------------------------------------------------------------------------------


def render(session: Session, event_id: int, language: str) -> str | None:
    """A trivial renderer: the event and its version, escaped."""
    event = store.get_event(session, event_id)
    if event is None:
        return None
    return f"<b>event {event.id}</b> v{event.version} &lt;{html.escape(language)}&gt;"


def now() -> datetime:
    return datetime.now(UTC)


def add_chats(sessions: sessionmaker[Session], chat_ids: Iterable[int], *, language: str = "ar") -> None:
    """Subscribers (private chats for positive ids, groups for negative ones), inserted in bulk."""
    rows = [
        {"chat_id": c, "kind": "private" if c > 0 else "group", "language": language, "created_at": now()}
        for c in chat_ids
    ]
    with sessions.begin() as session:
        session.execute(insert(SubscriberRow), rows)


def add_event(sessions: sessionmaker[Session], identity: str = "guid:1") -> int:
    with sessions.begin() as session:
        if store.feed_state(session, "enab-baladi-ar") is None:
            feeds(session)
        return new_event(session, identity, DEIR_EZ_ZOR, now=now(), killed=1).id


def queue(sessions: sessionmaker[Session], event_id: int, targets: Iterable[int | AlertTarget]) -> int:
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        alerts = [t if isinstance(t, AlertTarget) else AlertTarget(t) for t in targets]
        return store.queue_alerts(session, event, alerts, now=now())


def revise(
    sessions: sessionmaker[Session], event_id: int, killed: int, targets: Iterable[int | AlertTarget]
) -> None:
    """A new version of the event (a higher toll), queued again: sent alerts become edits."""
    with sessions.begin() as session:
        assert store.update_event(session, event_id, facts(DEIR_EZ_ZOR, killed=killed), now=now())
    queue(sessions, event_id, targets)


def rows(sessions: sessionmaker[Session]) -> list[OutboxRow]:
    with sessions() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def row_of(sessions: sessionmaker[Session], chat_id: int) -> OutboxRow:
    (row,) = [r for r in rows(sessions) if r.chat_id == chat_id]
    return row


def states(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return store.outbox_counts(session)


@asynccontextmanager
async def bot_for(
    fake: FakeTelegram, *, pool: int = 16, request: HTTPXRequest | None = None
) -> AsyncIterator[telegram.Bot]:
    request = request or HTTPXRequest(connection_pool_size=pool)
    async with telegram.Bot(fake.token, base_url=fake.base_url, request=request) as bot:
        yield bot


def deliverer(
    bot: telegram.Bot,
    sessions: sessionmaker[Session],
    *,
    render_fn: RenderFn = render,
    **kwargs: Any,
) -> Deliverer:
    kwargs.setdefault("limits", FAST)
    return Deliverer(bot, sessions, render_fn, **kwargs)


def per_chat(fake: FakeTelegram) -> Counter[int]:
    return Counter(m.chat_id for m in fake.messages())


async def until(predicate: Callable[[], bool], *, timeout: float = 20.0, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(every)


# --- Pure parts ------------------------------------------------------------------------------------


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_chat_per_second"):
        Limits(per_chat_per_second=0)


def test_backoff_doubles_from_5_s_up_to_10_min_with_jitter() -> None:
    assert backoff_seconds(1, rand=lambda: 1.0) == 5.0
    assert backoff_seconds(2, rand=lambda: 1.0) == 10.0
    assert backoff_seconds(3, rand=lambda: 0.0) == 10.0  # 20 s, jittered down to half
    assert backoff_seconds(8, rand=lambda: 1.0) == 600.0
    assert backoff_seconds(10_000, rand=lambda: 1.0) == 600.0


def test_default_give_up_is_about_a_day() -> None:
    attempts = Deliverer.__init__.__kwdefaults__["max_attempts"]  # type: ignore[index]
    low = sum(backoff_seconds(a, rand=lambda: 0.0) for a in range(1, attempts))
    high = sum(backoff_seconds(a, rand=lambda: 1.0) for a in range(1, attempts))
    assert 12 * 3600 < low < 24 * 3600 < high < 36 * 3600


def test_retry_after_comes_as_seconds_or_a_timedelta() -> None:
    assert retry_after_seconds(RetryAfter(7)) == 7.0
    assert retry_after_seconds(RetryAfter(timedelta(seconds=2.5))) == 2.5


def test_a_window_holds_a_request_from_its_start_to_a_period_after_its_end() -> None:
    window = _Window(2, 1.0)
    assert window.free_at(10.0) == 10.0
    window.in_flight += 2
    assert window.free_at(10.0) == float("inf")  # both in flight: wait for an answer
    window.in_flight -= 1
    window.ends.append(10.5)
    assert window.free_at(10.6) == pytest.approx(11.505)  # the server may have seen it at 10.5
    window.in_flight -= 1
    window.ends.append(10.7)
    assert window.free_at(11.6) == pytest.approx(11.6)  # the first one left the window
    slow = _Window(0.5, 1.0)  # one per 2 s
    assert slow.limit == 1
    assert slow.period == pytest.approx(2.005)


# --- Sending and editing ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sends_then_edits_the_same_message_when_the_event_is_revised(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1], language="en")
    add_chats(sessions, [-2])
    event_id = add_event(sessions)
    queue(sessions, event_id, [1, AlertTarget(-2, message_thread_id=7)])
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions)
        assert await sender.deliver_due() == DeliveryReport(claimed=2, sent=2)
        first = {m.chat_id: m for m in telegram.messages()}
        assert first[1].text == f"<b>event {event_id}</b> v1 &lt;en&gt;"
        assert first[1].parse_mode == "HTML"
        assert first[-2].text == f"<b>event {event_id}</b> v1 &lt;ar&gt;"
        assert first[-2].message_thread_id == 7
        (call, *_) = telegram.calls("sendMessage")
        assert call.params["link_preview_options"] == {"is_disabled": True}

        revise(sessions, event_id, killed=5, targets=[1, AlertTarget(-2, message_thread_id=7)])
        assert await sender.deliver_due() == DeliveryReport(claimed=2, edited=2)
    messages = telegram.messages()
    assert len(messages) == 2  # edited in place, no new message
    by_chat = {m.chat_id: m for m in messages}
    assert by_chat[1].text == f"<b>event {event_id}</b> v2 &lt;en&gt;"
    assert by_chat[1].edits == [f"<b>event {event_id}</b> v1 &lt;en&gt;"]
    assert by_chat[1].message_id == first[1].message_id
    for row in rows(sessions):
        assert (row.status, row.needs_edit, row.sent_version) == ("sent", False, 2)
        assert row.telegram_message_id == by_chat[row.chat_id].message_id


@pytest.mark.asyncio
async def test_message_not_modified_counts_as_edited(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1])
    event_id = add_event(sessions)
    queue(sessions, event_id, [1])
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions)
        await sender.deliver_due()
        revise(sessions, event_id, killed=4, targets=[1])
        telegram.fail("editMessageText", status=400, description=NOT_MODIFIED)
        assert await sender.deliver_due() == DeliveryReport(claimed=1, edited=1)
    row = row_of(sessions, 1)
    assert (row.status, row.sent_version, row.last_error) == ("sent", 2, None)
    assert len(telegram.messages()) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("description", [EDIT_NOT_FOUND, CANT_EDIT])
async def test_a_message_that_cannot_be_edited_is_sent_again(
    sessions: sessionmaker[Session], telegram: FakeTelegram, description: str
) -> None:
    add_chats(sessions, [1])
    event_id = add_event(sessions)
    queue(sessions, event_id, [1])
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions)
        await sender.deliver_due()
        revise(sessions, event_id, killed=4, targets=[1])
        telegram.fail("editMessageText", status=400, description=description)
        assert await sender.deliver_due() == DeliveryReport(claimed=1, sent=1)
    old, new = telegram.messages()
    assert new.text == f"<b>event {event_id}</b> v2 &lt;ar&gt;"
    row = row_of(sessions, 1)
    assert (row.status, row.telegram_message_id, row.sent_version) == ("sent", new.message_id, 2)
    assert old.edits == []


@pytest.mark.asyncio
async def test_a_new_message_after_a_failed_edit_waits_for_the_chat_window(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1])
    event_id = add_event(sessions)
    queue(sessions, event_id, [1])
    telegram.rate_limit(per_chat_per_second=1)
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, limits=Limits())
        await sender.deliver_due()
        await asyncio.sleep(1.1)
        revise(sessions, event_id, killed=4, targets=[1])
        telegram.fail("editMessageText", status=400, description=EDIT_NOT_FOUND)
        # The failed edit took the chat's second: the new message is handed back for the next one.
        assert await sender.deliver_due() == DeliveryReport(claimed=1, deferred=1)
        row = row_of(sessions, 1)
        assert (row.status, row.needs_edit, row.telegram_message_id, row.attempts) == (
            "pending",
            False,
            None,
            0,
        )
        await asyncio.sleep(1.1)
        assert await sender.deliver_due() == DeliveryReport(claimed=1, sent=1)
    assert len(telegram.messages()) == 2
    assert telegram.violations == 0


# --- Flood limits ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_one_chat_gets_one_message_a_second_in_order_without_holding_up_others(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1, *range(100, 140)])
    events = [add_event(sessions, f"guid:{i}") for i in range(3)]
    for event_id in events:
        queue(sessions, event_id, [1])
    queue(sessions, events[0], range(100, 140))
    telegram.rate_limit(per_second=30, per_chat_per_second=1)
    stop = asyncio.Event()
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, limits=Limits())
        running = asyncio.create_task(sender.run(stop, idle=0.1))
        await until(lambda: len(telegram.messages()) == 43, timeout=15)
        stop.set()
        await running
    mine = telegram.messages(1)
    assert [m.text.split("</b>")[0] for m in mine] == [f"<b>event {e}" for e in events]  # in order
    gaps = [b.sent_at - a.sent_at for a, b in itertools.pairwise(mine)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    others = [m.sent_at for m in telegram.messages() if m.chat_id != 1]
    assert max(others) - min(others) < 2.5  # 40 chats at 30/s: not behind chat 1's 3 seconds
    assert telegram.violations == 0
    assert states(sessions) == {"sent": 43}


@pytest.mark.asyncio
async def test_a_group_gets_its_per_minute_quota_and_the_rest_waits_in_the_outbox(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [-5])
    events = [add_event(sessions, f"guid:{i}") for i in range(5)]
    for event_id in events:
        queue(sessions, event_id, [-5])
    telegram.rate_limit(per_group_per_minute=3)
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, limits=Limits(per_chat_per_second=100, per_group_per_minute=3))
        started = now()
        assert await sender.deliver_due() == DeliveryReport(claimed=5, sent=3, deferred=2)
    assert telegram.violations == 0
    waiting = [r for r in rows(sessions) if r.status == "pending"]
    assert [r.event_id for r in waiting] == events[3:]
    assert all(r.attempts == 0 for r in waiting)  # waiting for the window is not an attempt
    first, second = (r.next_attempt_at - started for r in waiting)
    assert timedelta(seconds=59) < first < timedelta(seconds=62)
    assert first < second  # staggered, in order


@pytest.mark.asyncio
async def test_overall_limit_holds_in_every_second_at_any_latency(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, range(1, 121))
    queue(sessions, add_event(sessions), range(1, 121))
    telegram.rate_limit(per_second=40)
    telegram.latency = 0.03
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, limits=Limits(per_second=40), concurrency=8)
        started = time.monotonic()
        report = await sender.deliver_due()
        elapsed = time.monotonic() - started
    assert report == DeliveryReport(claimed=120, sent=120)
    assert telegram.violations == 0
    assert elapsed < 120 / 40 / 0.8  # and near the limit: at least 80 % of it
    times = sorted(m.sent_at for m in telegram.messages())
    assert max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times)) <= 40


# --- Errors ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_retry_after_hands_the_alert_back_and_pauses_sending(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1, 2, 3])
    queue(sessions, add_event(sessions), [1, 2, 3])
    telegram.fail(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1, chat_id=1
    )
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, concurrency=1)
        started = time.monotonic()
        assert await sender.deliver_due() == DeliveryReport(claimed=3, sent=2, failed=1)
        others = [m.sent_at for m in telegram.messages()]
        assert min(others) - started >= 1.0  # the 429 paused everyone (chat 1 had sent nothing yet)
        row = row_of(sessions, 1)
        assert (row.status, row.attempts) == ("failed", 0)  # not an attempt
        assert "retry after" in (row.last_error or "").lower()
        assert row.next_attempt_at - now() < timedelta(seconds=0.1)  # due again: the pause is over
        assert await sender.deliver_due() == DeliveryReport(claimed=1, sent=1)
    assert per_chat(telegram) == {1: 1, 2: 1, 3: 1}
    assert states(sessions) == {"sent": 3}


@pytest.mark.asyncio
@pytest.mark.parametrize("gone", ["block", "forget_chat", "no_rights"])
async def test_a_chat_that_is_gone_is_deactivated_and_its_alerts_die(
    sessions: sessionmaker[Session], telegram: FakeTelegram, gone: str
) -> None:
    add_chats(sessions, [1, 2])
    first, second = add_event(sessions, "guid:1"), add_event(sessions, "guid:2")
    queue(sessions, first, [1, 2])
    queue(sessions, second, [1])
    if gone == "no_rights":  # a group where the bot may no longer write
        telegram.fail(
            "sendMessage",
            status=400,
            description="Bad Request: not enough rights to send text messages",
            chat_id=1,
        )
    else:
        getattr(telegram, gone)(1)
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions)
        assert await sender.deliver_due() == DeliveryReport(claimed=3, sent=1, dead=2, deactivated=1)
    with sessions() as session:
        subscriber = store.get_subscriber(session, 1)
        assert subscriber is not None
        assert (subscriber.active, subscriber.deactivated_at is not None) == (False, True)
        other = store.get_subscriber(session, 2)
        assert other is not None
        assert other.active
    assert [r.status for r in rows(sessions) if r.chat_id == 1] == ["dead", "dead"]
    assert per_chat(telegram) == {2: 1}
    assert len(telegram.calls("sendMessage")) == 2  # the second alert to chat 1 was not tried


@pytest.mark.asyncio
async def test_a_server_error_is_retried_with_backoff_then_delivered(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1])
    queue(sessions, add_event(sessions), [1])
    telegram.fail("sendMessage", status=502, description="Bad Gateway", times=2)
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, retry_base=0.2, retry_cap=0.3)
        assert await sender.deliver_due() == DeliveryReport(claimed=1, failed=1)
        row = row_of(sessions, 1)
        assert (row.status, row.attempts, row.last_error) == ("failed", 1, "NetworkError: Bad Gateway")
        assert timedelta(0) < row.next_attempt_at - now() <= timedelta(seconds=0.2)
        await asyncio.sleep(0.25)
        assert await sender.deliver_due() == DeliveryReport(claimed=1, failed=1)
        await asyncio.sleep(0.35)
        assert await sender.deliver_due() == DeliveryReport(claimed=1, sent=1)
    assert per_chat(telegram) == {1: 1}
    row = row_of(sessions, 1)
    assert (row.status, row.attempts) == ("sent", 3)


@pytest.mark.asyncio
async def test_gives_up_after_max_attempts_and_says_so(
    sessions: sessionmaker[Session], telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    add_chats(sessions, [1])
    queue(sessions, add_event(sessions), [1])
    telegram.fail("sendMessage", status=500, description="Internal Server Error", times=5)
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, max_attempts=2, retry_base=0.05, retry_cap=0.05)
        assert (await sender.deliver_due()).failed == 1
        await asyncio.sleep(0.1)
        with caplog.at_level(logging.ERROR, logger="bot.delivery"):
            assert (await sender.deliver_due()).dead == 1
    row = row_of(sessions, 1)
    assert row.status == "dead"
    assert (row.last_error or "").startswith("gave up after 2 attempts")
    assert "giving up alert" in caplog.text


@pytest.mark.asyncio
async def test_bad_html_is_our_bug_the_alert_dies_and_it_is_logged_without_the_token(
    sessions: sessionmaker[Session], telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    add_chats(sessions, [1, 2])
    event_id = add_event(sessions)
    queue(sessions, event_id, [1, 2])

    def broken(session: Session, event_id: int, language: str) -> str | None:
        return "<b>unclosed"

    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, render_fn=broken)
        with caplog.at_level(logging.DEBUG):
            assert await sender.deliver_due() == DeliveryReport(claimed=2, dead=2)
    assert all("parse entities" in (r.last_error or "") for r in rows(sessions))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "bot.delivery"]
    assert len(errors) == 2
    assert f"event {event_id}" in errors[0].getMessage()
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert telegram.token.split(":")[1] not in ours


@pytest.mark.asyncio
async def test_an_event_gone_kills_the_alert_and_a_render_crash_retries_it(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1, 2])
    gone, crashing = add_event(sessions, "guid:1"), add_event(sessions, "guid:2")
    queue(sessions, gone, [1])
    queue(sessions, crashing, [2])

    def flaky(session: Session, event_id: int, language: str) -> str | None:
        if event_id == gone:
            return None
        raise RuntimeError("renderer bug")

    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions, render_fn=flaky)
        assert await sender.deliver_due() == DeliveryReport(claimed=2, failed=1, dead=1)
    assert row_of(sessions, 1).last_error == "event gone"
    row = row_of(sessions, 2)
    assert row.status == "failed"
    assert "renderer bug" in (row.last_error or "")
    assert telegram.messages() == []


class MigratingRequest(HTTPXRequest):
    """PTB's HTTP layer, with one group upgraded to a supergroup the way Telegram answers it."""

    def __init__(self, old: int, new: int) -> None:
        super().__init__(connection_pool_size=4)
        self.old, self.new = old, new

    async def do_request(  # noqa: PLR0917 - BaseRequest.do_request's own signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        chat_id = None if request_data is None else request_data.parameters.get("chat_id")
        if url.endswith("/sendMessage") and str(chat_id) == str(self.old):
            body = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": self.new},
            }
            return 400, json.dumps(body).encode()
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )


@pytest.mark.asyncio
async def test_a_group_upgraded_to_a_supergroup_moves_and_gets_its_alert_there(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [-5], language="en")
    with sessions.begin() as session:
        store.add_subscription(session, -5, now=now(), governorate="Deir ez-Zor")
    queue(sessions, add_event(sessions), [-5])
    request = MigratingRequest(-5, -1005)
    async with bot_for(telegram, request=request) as bot:
        sender = deliverer(bot, sessions)
        # The move is recorded, and the alert due again at once: depending on timing the same pass
        # or the next one sends it.
        reports = [await sender.deliver_due(), await sender.deliver_due()]
        assert (sum(r.claimed for r in reports), sum(r.failed for r in reports)) == (2, 1)
        assert sum(r.sent for r in reports) == 1
    assert [(m.chat_id, m.text.endswith("&lt;en&gt;")) for m in telegram.messages()] == [(-1005, True)]
    with sessions() as session:
        assert store.get_subscriber(session, -5) is None
        moved = store.get_subscriber(session, -1005)
        assert moved is not None
        assert (moved.kind, moved.language, moved.active) == ("supergroup", "en", True)
        assert [s.chat_id for s in session.scalars(select(SubscriptionRow))] == [-1005]
    assert [(r.chat_id, r.status) for r in rows(sessions)] == [(-1005, "sent")]


@pytest.mark.asyncio
async def test_an_upgraded_group_whose_supergroup_is_subscribed_already_is_retired(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [-5, -1005])
    queue(sessions, add_event(sessions), [-5])
    async with bot_for(telegram, request=MigratingRequest(-5, -1005)) as bot:
        sender = deliverer(bot, sessions)
        assert await sender.deliver_due() == DeliveryReport(claimed=1, failed=1)
        assert await sender.deliver_due() == DeliveryReport()
    with sessions() as session:
        old = store.get_subscriber(session, -5)
        assert old is not None
        assert not old.active
    assert [(r.chat_id, r.status) for r in rows(sessions)] == [(-5, "dead")]
    assert telegram.messages() == []


# --- Running, waking, stopping, restarting ---------------------------------------------------------


@pytest.mark.asyncio
async def test_run_wakes_up_when_alerts_are_queued(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, [1])
    event_id = add_event(sessions)
    stop = asyncio.Event()
    async with bot_for(telegram) as bot:
        sender = deliverer(bot, sessions)
        running = asyncio.create_task(sender.run(stop, idle=30))
        await asyncio.sleep(0.2)  # idle now, for 30 s
        queue(sessions, event_id, [1])
        queued = time.monotonic()
        await asyncio.to_thread(sender.wake)  # from another thread, as a pipeline might
        await until(lambda: len(telegram.messages()) == 1, timeout=5)
        assert time.monotonic() - queued < 2
        stop.set()
        await asyncio.wait_for(running, 5)


@pytest.fixture
def sqlite_sessions(sqlite_template: Path, tmp_path: Path) -> Iterable[sessionmaker[Session]]:
    """An SQLite database for the long tests (PostgreSQL adds nothing but time there)."""
    path = tmp_path / "bot.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()


@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["stop", "cancel"])
async def test_a_restart_mid_fan_out_sends_each_alert_exactly_once(
    sqlite_sessions: sessionmaker[Session], telegram: FakeTelegram, how: str
) -> None:
    sessions = sqlite_sessions
    chats = range(1, 201)
    add_chats(sessions, chats)
    queue(sessions, add_event(sessions), chats)
    telegram.latency = 0.02
    async with bot_for(telegram) as bot:
        stop = asyncio.Event()
        first = asyncio.create_task(deliverer(bot, sessions, limits=Limits(per_second=100)).run(stop))
        await until(lambda: len(telegram.messages()) >= 60)
        if how == "stop":
            stop.set()
            await asyncio.wait_for(first, 5)
        else:
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
        sent_by_first = len(telegram.messages())
        assert sent_by_first < 200
        left = states(sessions)
        assert "sending" not in left  # in-flight requests were recorded, the rest handed back
        assert left["sent"] == sent_by_first
        assert all(r.attempts == (1 if r.status == "sent" else 0) for r in rows(sessions))

        stop = asyncio.Event()
        second = asyncio.create_task(deliverer(bot, sessions, limits=Limits(per_second=100)).run(stop))
        await until(lambda: len(telegram.messages()) >= 200)
        stop.set()
        await asyncio.wait_for(second, 5)
    assert per_chat(telegram) == dict.fromkeys(chats, 1)
    assert states(sessions) == {"sent": 200}


@pytest.mark.asyncio
async def test_a_restart_puts_back_what_a_killed_sender_had_claimed(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, range(1, 11))
    queue(sessions, add_event(sessions), range(1, 11))
    with sessions.begin() as session:  # a sender claimed these, then the process was killed
        assert len(store.claim_outbox(session, 4, now())) == 4
    await asyncio.sleep(0.6)  # longer than the lease: no one renewed them
    stop = asyncio.Event()
    async with bot_for(telegram) as bot:
        running = asyncio.create_task(deliverer(bot, sessions, claim_lease=0.5).run(stop, idle=0.1))
        await until(lambda: len(telegram.messages()) == 10)
        stop.set()
        await asyncio.wait_for(running, 5)
    assert per_chat(telegram) == dict.fromkeys(range(1, 11), 1)
    assert states(sessions) == {"sent": 10}


@pytest.mark.asyncio
async def test_a_sender_renews_its_claims_so_that_another_one_never_takes_them(
    sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    add_chats(sessions, range(1, 6))
    queue(sessions, add_event(sessions), range(1, 6))
    telegram.fail("sendMessage", status=429, description="Too Many Requests", retry_after=3, chat_id=1)
    stops = [asyncio.Event(), asyncio.Event()]
    async with bot_for(telegram) as bot:
        # A lease of 1 s (60 s in the bot): short enough to expire during the pause, long enough that
        # a renewal delayed by a busy machine still lands in time.
        first = deliverer(bot, sessions, concurrency=1, claim_lease=1.0)
        runs = [asyncio.create_task(first.run(stops[0], idle=0.05))]
        # The 429 pauses the first sender for 3.1 s while it holds chats 2 to 5: longer than the lease.
        await until(lambda: [c.status for c in telegram.calls("sendMessage")] == [429])
        await asyncio.sleep(0.5)
        second = deliverer(bot, sessions, claim_lease=1.0)
        runs.append(asyncio.create_task(second.run(stops[1], idle=0.05)))
        await until(lambda: len(telegram.messages()) == 5)
        await asyncio.sleep(0.3)
        for stop in stops:
            stop.set()
        await asyncio.wait_for(asyncio.gather(*runs), 5)
    assert per_chat(telegram) == dict.fromkeys(range(1, 6), 1)
    assert states(sessions) == {"sent": 5}


@pytest.mark.asyncio
async def test_fan_out_to_5000_under_injected_429s(
    sqlite_sessions: sessionmaker[Session], telegram: FakeTelegram
) -> None:
    sessions = sqlite_sessions
    chats = range(10_001, 15_001)
    add_chats(sessions, chats)
    queue(sessions, add_event(sessions), chats)
    telegram.rate_limit(per_second=1000)
    for _ in range(3):
        telegram.fail(
            "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
        )
    started = time.monotonic()
    stop = asyncio.Event()
    async with bot_for(telegram, pool=8) as bot:
        sender = deliverer(bot, sessions, limits=Limits(per_second=1000), concurrency=8, batch=500)
        running = asyncio.create_task(sender.run(stop, idle=0.1))
        await until(lambda: len(telegram.calls("sendMessage")) >= 5003, timeout=60, every=0.1)
        stop.set()
        await asyncio.wait_for(running, 5)
    elapsed = time.monotonic() - started
    assert states(sessions) == {"sent": 5000}
    counts = per_chat(telegram)
    assert len(counts) == 5000
    assert set(counts.values()) == {1}
    assert telegram.violations == 0
    assert sum(1 for c in telegram.calls("sendMessage") if c.status == 429) == 3  # the injected ones
    assert elapsed < 40


# --- outbox_extra ----------------------------------------------------------------------------------


def claimed(sessions: sessionmaker[Session], chat_ids: Iterable[int]) -> list[store.OutboxItem]:
    add_chats(sessions, chat_ids)
    queue(sessions, add_event(sessions), chat_ids)
    with sessions.begin() as session:
        return store.claim_outbox(session, 100, now())


def test_release_undoes_the_claims_attempt(sessions: sessionmaker[Session]) -> None:
    items = claimed(sessions, [1, 2])
    later = now() + timedelta(minutes=1)
    with sessions.begin() as session:
        store.mark_sent(session, items[1].id, telegram_message_id=9, sent_version=1, now=now())
        assert (
            outbox_extra.release(
                session,
                [outbox_extra.Release(items[0].id, later), outbox_extra.Release(items[1].id, later, "x")],
            )
            == 1
        )  # the sent one is no longer "sending": left alone
    first, second = rows(sessions)
    assert (first.status, first.attempts, first.next_attempt_at, first.claimed_at) == (
        "pending",
        0,
        later,
        None,
    )
    assert second.status == "sent"


def test_release_with_an_error_fails_and_can_forget_the_message(sessions: sessionmaker[Session]) -> None:
    (item,) = claimed(sessions, [1])
    with sessions.begin() as session:
        store.mark_sent(session, item.id, telegram_message_id=9, sent_version=1, now=now())
    revise(sessions, item.event_id, killed=3, targets=[1])
    with sessions.begin() as session:
        (edit,) = store.claim_outbox(session, 10, now())
        assert (edit.needs_edit, edit.telegram_message_id, edit.attempts) == (True, 9, 1)
        outbox_extra.release(session, [outbox_extra.Release(edit.id, now(), "429", forget_message=True)])
    row = row_of(sessions, 1)
    assert (row.status, row.last_error, row.attempts) == ("failed", "429", 0)
    assert (row.needs_edit, row.telegram_message_id, row.sent_version) == (False, None, 1)


def test_mark_sent_many_is_mark_sent_in_bulk(sessions: sessionmaker[Session]) -> None:
    items = claimed(sessions, [1, 2, 3])
    revise(sessions, items[0].event_id, killed=7, targets=[])  # revised while being sent
    t = now()
    with sessions.begin() as session:
        store.mark_sent(session, items[0].id, telegram_message_id=10, sent_version=1, now=t)
        outbox_extra.mark_sent_many(
            session,
            [outbox_extra.Sent(items[1].id, 11, 1, t), outbox_extra.Sent(items[2].id, 12, 2, t)],
        )
    by_hand, bulk, current = rows(sessions)
    fields = (
        "status",
        "needs_edit",
        "sent_version",
        "event_version",
        "sent_at",
        "next_attempt_at",
        "claimed_at",
    )
    assert [getattr(bulk, f) for f in fields] == [getattr(by_hand, f) for f in fields]
    assert (bulk.status, bulk.needs_edit, bulk.telegram_message_id) == ("pending", True, 11)
    assert (current.status, current.needs_edit, current.telegram_message_id) == ("sent", False, 12)


def test_chat_languages_reads_a_batch_at_once(sessions: sessionmaker[Session]) -> None:
    add_chats(sessions, [1, 2], language="en")
    add_chats(sessions, [3])
    with sessions() as session:
        assert outbox_extra.chat_languages(session, [1, 3, 4]) == {1: "en", 3: "ar"}


def test_renew_claims_touches_only_alerts_still_being_sent(sessions: sessionmaker[Session]) -> None:
    first, second = claimed(sessions, [1, 2])
    later = now() + timedelta(seconds=30)
    with sessions.begin() as session:
        store.mark_sent(session, second.id, telegram_message_id=5, sent_version=1, now=now())
        assert outbox_extra.renew_claims(session, [first.id, second.id], now=later) == 1
        assert store.release_stale_claims(session, claimed_before=later) == 0
    assert [r.claimed_at for r in rows(sessions)] == [later, None]
