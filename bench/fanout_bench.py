"""Fan-out bench: one event to N subscribers through `bot.delivery.Deliverer`, against the fake Bot API
enforcing Telegram's overall flood limit.

Usage: python -m bench.fanout_bench [--subscribers 10000] [--rate 300] [--latency 0.02]
                                    [--concurrency 16] [--batch 200] [--inject 5] [--in-process]

Two runs, each on a fresh SQLite file (WAL, as the bot runs it) with N private-chat subscribers and
one event queued for all of them: a clean run, then one where `--inject` extra 429s (retry_after
1 s) are scripted during the fan-out, one every 3 s from the start. Each lands on a chat's first
message, so the Deliverer takes it for Telegram's global flood and pauses all sending for 1.1 s.
The fake server (`tests.bot.telegram_server.FakeTelegram`) answers 429 above
`rate_limit(per_second=rate)` over a sliding 1 s window and sleeps `--latency` seconds in every
sendMessage; the Deliverer runs with `Limits(per_second=rate)`. By default the server runs in a
child process, as Telegram is another machine: in this process its request threads would compete
with the sender for the GIL and the bench would measure that. `--in-process` runs it here (as the
tests do) for comparison.

Printed per run: subscribers, elapsed seconds (first claim to last outcome committed), achieved
rate, achieved ÷ limit (the goal is ≥ 0.9; also without the injected 429s' pauses), messages per
chat (min/max: must be exactly 1), 429s (from the rate limit: must be 0; injected), and the outbox
states afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import multiprocessing
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import telegram
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from telegram.request import HTTPXRequest

from bot import store
from bot.db import ArticleRow, FeedRow, SubscriberRow, make_engine, session_factory, upgrade
from bot.delivery import Deliverer, DeliveryReport, Limits
from tests.bot.telegram_server import FakeTelegram

FIRST_CHAT_ID = 500_000_001
INJECTED_RETRY_AFTER = 1
INJECT_EVERY = 3.0  # seconds between two injected 429s
PAUSE_PER_429 = INJECTED_RETRY_AFTER + 0.1  # what the Deliverer pauses for each (bot.delivery margin)


# --- the fake Bot API, here or in a child process ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerSummary:
    """What the fake server saw."""

    per_chat_min: int
    per_chat_max: int
    chats: int
    messages: int
    violations: int  # 429s from the rate limit
    status_429: int  # every 429, injected ones included


def _summary(fake: FakeTelegram) -> ServerSummary:
    counts = Counter(m.chat_id for m in fake.messages())
    statuses = Counter(c.status for c in fake.calls("sendMessage"))
    return ServerSummary(
        per_chat_min=min(counts.values(), default=0),
        per_chat_max=max(counts.values(), default=0),
        chats=len(counts),
        messages=sum(counts.values()),
        violations=fake.violations,
        status_429=statuses[429],
    )


def _serve(conn: Connection) -> None:
    """The child process: a FakeTelegram driven by (command, kwargs) messages."""
    with FakeTelegram() as fake:
        conn.send(fake.base_url)
        while True:
            command, kwargs = conn.recv()
            if command == "stop":
                return
            conn.send(_apply(fake, command, kwargs))


def _apply(fake: FakeTelegram, command: str, kwargs: dict[str, Any]) -> Any:
    if command == "latency":
        fake.latency = kwargs["seconds"]
        return None
    if command == "rate_limit":
        fake.rate_limit(**kwargs)
        return None
    if command == "fail":
        fake.fail(**kwargs)
        return None
    if command == "summary":
        return _summary(fake)
    raise ValueError(command)


class Server:
    """A FakeTelegram in this process or in a child one, behind the same few calls."""

    def __init__(self, *, in_process: bool) -> None:
        self._fake: FakeTelegram | None = None
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        if in_process:
            self._fake = FakeTelegram().start()
            self.base_url = self._fake.base_url
            self.token = self._fake.token
            return
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.base_url = self._conn.recv()
        self.token = FakeTelegram().token

    def call(self, command: str, **kwargs: Any) -> Any:
        """Run a command on the fake."""
        if self._fake is not None:
            return _apply(self._fake, command, kwargs)
        assert self._conn is not None
        self._conn.send((command, kwargs))
        return self._conn.recv()

    def close(self) -> None:
        """Stop the fake (and its process)."""
        if self._fake is not None:
            self._fake.stop()
        if self._conn is not None and self._process is not None:
            self._conn.send(("stop", {}))
            self._process.join(timeout=10)


# --- one run ----------------------------------------------------------------------------------------


def render(session: Session, event_id: int, language: str) -> str | None:
    """A short alert, as a renderer would make it."""
    event = store.get_event(session, event_id)
    if event is None:
        return None
    place = html.escape(event.place_name or "?")
    return f"<b>Shelling</b> in {place} (event {event.id}, v{event.version}, {html.escape(language)})"


def populate(sessions: sessionmaker[Session], subscribers: int, now: datetime) -> None:
    """N private subscribers, one event, its alert queued for all of them."""
    chat_ids = range(FIRST_CHAT_ID, FIRST_CHAT_ID + subscribers)
    with sessions.begin() as session:
        session.add(FeedRow(id="bench", name="Bench", url="http://127.0.0.1/feed", language="en"))
        session.execute(
            insert(SubscriberRow),
            [{"chat_id": c, "kind": "private", "language": "en", "created_at": now} for c in chat_ids],
        )
        article = ArticleRow(
            feed_id="bench",
            identity="guid:1",
            title="Shelling in Deir ez-Zor",
            fetched_at=now,
            summary=["Shelling hit Deir ez-Zor."],
            syria_related=True,
            relevance=1.0,
        )
        session.add(article)
        session.flush()
        event = store.create_event(session, store.EventFacts(), article_id=article.id, now=now)
        event.place_name = "Deir ez-Zor"
        store.queue_alerts(session, event, [store.AlertTarget(c) for c in chat_ids], now=now)


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run's figures."""

    label: str
    subscribers: int
    elapsed: float
    report: DeliveryReport
    server: ServerSummary
    outbox: dict[str, int]
    rate: float


async def fan_out(args: argparse.Namespace, label: str, inject: int, workdir: Path) -> RunResult:
    """One fan-out on a fresh database and a fresh fake server."""
    url = f"sqlite:///{workdir / f'{label}.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    populate(sessions, args.subscribers, datetime.now(UTC))
    server = Server(in_process=args.in_process)
    try:
        server.call("rate_limit", per_second=args.rate)
        server.call("latency", seconds=args.latency)
        request = HTTPXRequest(connection_pool_size=args.concurrency)
        async with telegram.Bot(server.token, base_url=server.base_url, request=request) as bot:
            deliverer = Deliverer(
                bot,
                sessions,
                render,
                limits=Limits(per_second=args.rate),
                concurrency=args.concurrency,
                batch=args.batch,
            )

            async def injector() -> None:
                for _ in range(inject):
                    await asyncio.sleep(INJECT_EVERY)
                    await asyncio.to_thread(
                        server.call,
                        "fail",
                        method="sendMessage",
                        status=429,
                        description=f"Too Many Requests: retry after {INJECTED_RETRY_AFTER}",
                        retry_after=INJECTED_RETRY_AFTER,
                    )

            injecting = asyncio.create_task(injector())
            started = time.monotonic()
            report = await deliverer.deliver_due()
            while True:  # alerts a 429 handed back come due after retry_after: more passes
                with sessions() as session:
                    counts = store.outbox_counts(session)
                if set(counts) <= {"sent", "dead"}:
                    break
                await asyncio.sleep(0.05)
                more = await deliverer.deliver_due()
                report = _add(report, more)
            elapsed = time.monotonic() - started
            await injecting
        summary = server.call("summary")
    finally:
        server.close()
        engine.dispose()
    with sessions() as session:
        outbox = store.outbox_counts(session)
    return RunResult(label, args.subscribers, elapsed, report, summary, outbox, report.sent / elapsed)


def _add(a: DeliveryReport, b: DeliveryReport) -> DeliveryReport:
    return DeliveryReport(
        a.claimed + b.claimed,
        a.sent + b.sent,
        a.edited + b.edited,
        a.failed + b.failed,
        a.dead + b.dead,
        a.deactivated + b.deactivated,
        a.deferred + b.deferred,
    )


def print_results(args: argparse.Namespace, results: list[RunResult]) -> None:
    """The results as a Markdown table."""
    where = "in this process" if args.in_process else "in a child process"
    print(
        f"## Fan-out: {args.subscribers} subscribers, limit {args.rate:g}/s, latency {args.latency:g} s, "
        f"concurrency {args.concurrency}, batch {args.batch} (fake Bot API {where})\n"
    )
    print(
        "| run | subscribers | elapsed s | achieved /s | achieved ÷ limit | ÷ limit without 429 pauses "
        "| msgs per chat min/max | 429 rate limit | 429 injected | outbox after | report |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
    for r in results:
        injected = r.server.status_429 - r.server.violations
        unpaused = r.report.sent / (r.elapsed - injected * PAUSE_PER_429) / args.rate
        states = ", ".join(f"{k} {v}" for k, v in sorted(r.outbox.items()))
        rep = r.report
        print(
            f"| {r.label} | {r.subscribers} | {r.elapsed:.2f} | {r.rate:.1f} | {r.rate / args.rate:.3f} "
            f"| {unpaused:.3f} "
            f"| {r.server.per_chat_min}/{r.server.per_chat_max} | {r.server.violations} | {injected} "
            f"| {states} | sent {rep.sent}, failed {rep.failed}, deferred {rep.deferred}, dead {rep.dead} |"
        )


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0, help="overall limit, messages per second")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the server takes per send")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--inject", type=int, default=5, help="429s injected in the second run")
    parser.add_argument("--in-process", action="store_true", help="run the fake server in this process")
    return parser


async def amain(args: argparse.Namespace) -> list[RunResult]:
    """Both runs."""
    with tempfile.TemporaryDirectory(prefix="fanout-bench-") as tmp:
        workdir = Path(tmp)
        clean = await fan_out(args, "clean", 0, workdir)
        injected = await fan_out(args, f"{args.inject} injected 429s", args.inject, workdir)
    return [clean, injected]


def main() -> None:
    """Run the bench and print the table."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args()
    print_results(args, asyncio.run(amain(args)))


if __name__ == "__main__":
    main()
