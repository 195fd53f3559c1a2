"""Ingestion bench: the whole pipeline (fetch, parse, analyse, de-duplicate, cluster, store, queue)
over loopback HTTP, as `python -m bot poll --once` wires it.

Usage: python -m bench.ingest_bench [--feeds 500] [--items 30] [--teasers] [--workers N]
                                    [--concurrency N] [--keep DIR]
                                    [--freshness [--interval 5] [--trials 5] [--seed 1]]

Feeds: `--feeds` RSS feeds on one `tests.bot.feed_server.FeedServer` (127.0.0.1), each with `--items`
real articles of the ANT corpus (../shared/data/ant-dev, read at run time), cycled through so that
items differ across feeds until the corpus (4,856 articles) wraps around; then the same story comes
back in another feed, as syndication does, and counts as a near-duplicate. Every item has its own
link and guid. By default an item carries the full text in content:encoded; with `--teasers` only
the teaser, and the article page (the text in a news site's boilerplate) is served for the pipeline
to fetch. Articles shorter than the pipeline's teaser threshold get their page fetched either way,
so their pages are always served. Every feed has an ETag: the second pass is all 304.

Wiring as in bot/ingest.py: a fresh SQLite file in a temporary directory (`upgrade` first), a
`ProcessPoolExecutor(initializer=warm_up)` with one worker per CPU, a `Fetcher` with the settings'
concurrency (`trust_env=False`: loopback only), `Pipeline.poll`.

Throughput mode (default) reports, per pass: wall time, feeds fetched / 304 / failed, articles stored,
articles/s, near-duplicates, events created, alerts queued and article pages fetched; then peak
memory: `ru_maxrss` of this process (which also holds the feed server and its bodies, measured
before pass 1 too) and of its children (the largest pool worker, read after the pool has exited),
and the sum of this process and its workers sampled from /proc every 0.2 s.

`--freshness` measures how long an item that appears in a feed takes to be stored with its alert
queued, under the scheduled poller (`bot.scheduler.schedule_polling` on a python-telegram-bot
JobQueue, as `python -m bot poll` without `--once` runs it) with `--interval` seconds. After one
unscheduled pass over the feeds, each trial adds a subscriber subscribed to the trial article's
governorate, waits a random moment, publishes a Syria article (the seed article, then ANT Syria
articles the feeds do not carry; when they carry the whole corpus, ones they do, which then join their
stored story as a near-duplicate) at the top of a random feed with a new ETag, and polls the outbox
every 50 ms until that subscriber's alert row exists. Latency = seen in the outbox − published;
"stored" is the pipeline's `on_article` callback (after the commit). The bound is interval + 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.config import Settings
from bot.db import ArticleRow, EventRow, OutboxRow, make_engine, session_factory, upgrade
from bot.fetch import Fetcher
from bot.models import FeedConfig
from bot.pipeline import TEASER_CHARS, AnalysisJob, NewArticle, Pipeline, PollReport, analyse_job, warm_up
from bot.scheduler import jitter_for, schedule_polling
from tests.bot.feed_server import (
    HTML_CONTENT_TYPE,
    FeedItem,
    FeedServer,
    SourceArticle,
    ant_articles,
    article_page,
    full_item,
    rss_feed,
    seed_article,
    teaser_item,
)

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
ANT_SIZE = 4856  # articles in ant_middleeast_skynews_france24_2018.jsonl
FRESHNESS_SLACK = 2.0  # seconds the issue allows beyond the poll interval
WATCH_EVERY = 0.05  # seconds between two looks at the outbox
SAMPLE_EVERY = 0.2  # seconds between two memory samples
FIRST_CHAT_ID = 900_000_001

log = logging.getLogger("bench.ingest_bench")


# --- the feeds -------------------------------------------------------------------------------------


@dataclass(slots=True)
class BenchFeeds:
    """The feeds on the server, and how to rebuild one with a new item on top (freshness)."""

    server: FeedServer
    configs: list[FeedConfig]
    articles: list[SourceArticle]
    items: int
    teasers: bool
    versions: dict[int, int] = field(default_factory=dict)  # feed index -> ETag version
    extra: dict[int, list[FeedItem]] = field(default_factory=dict)  # published on top of a feed

    def article_of(self, feed: int, item: int) -> SourceArticle:
        return self.articles[(feed * self.items + item) % len(self.articles)]

    def link(self, feed: int, item: int | str) -> str:
        return self.server.url(f"/news/{feed}/{item}")

    def item(self, article: SourceArticle, feed: int, item: int | str) -> FeedItem:
        """A feed item with the feed's own link and guid; its page is served when it will be fetched."""
        link = self.link(feed, item)
        guid = f"urn:bench:{feed}:{item}"
        if self.teasers or len(article.text) < TEASER_CHARS:
            self.server.add(
                link,
                article_page(article.title, article.text, published=article.published),
                content_type=HTML_CONTENT_TYPE,
            )
        maker = teaser_item if self.teasers else full_item
        return maker(article, link, guid=guid)

    def serve(self, feed: int) -> None:
        """(Re)build feed `feed`'s body: published extras first, then its items; a new ETag each time."""
        version = self.versions.get(feed, 0) + 1
        self.versions[feed] = version
        items = [
            *self.extra.get(feed, []),
            *(self.item(self.article_of(feed, j), feed, j) for j in range(self.items)),
        ]
        body = rss_feed(items, title=f"Bench outlet {feed}", link=self.server.url("/"))
        self.server.add(f"/feeds/{feed}.xml", body, etag=f'"feed-{feed}-v{version}"')

    def publish(self, feed: int, article: SourceArticle, name: str) -> str:
        """Put `article` at the top of feed `feed` (new body, new ETag); its link."""
        self.extra.setdefault(feed, []).insert(0, self.item(article, feed, name))
        self.serve(feed)
        return self.link(feed, name)


def build_feeds(
    server: FeedServer, articles: list[SourceArticle], feeds: int, items: int, teasers: bool
) -> BenchFeeds:
    bench = BenchFeeds(server=server, configs=[], articles=articles, items=items, teasers=teasers)
    for feed in range(feeds):
        bench.serve(feed)
        bench.configs.append(
            FeedConfig(
                id=f"bench-{feed:03d}",
                name=f"Bench outlet {feed}",
                url=server.url(f"/feeds/{feed}.xml"),
                language="ar",
                homepage=server.url("/"),
                full_text=not teasers,
            )
        )
    return bench


# --- memory ----------------------------------------------------------------------------------------


def maxrss_mib(who: int) -> float:
    """`ru_maxrss` (KiB on Linux) of RUSAGE_SELF or RUSAGE_CHILDREN, in MiB."""
    return resource.getrusage(who).ru_maxrss / 1024


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class MemorySampler:
    """Samples the RSS of this process plus its live children (the pool's workers) from /proc."""

    def __init__(self) -> None:
        self.peak_total_kib = 0
        self.peak_workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def _run(self) -> None:
        while True:
            children = multiprocessing.active_children()
            total = _rss_kib(os.getpid()) + sum(_rss_kib(c.pid) for c in children if c.pid is not None)
            self.peak_total_kib = max(self.peak_total_kib, total)
            self.peak_workers = max(self.peak_workers, len(children))
            if self._stop.wait(SAMPLE_EVERY):
                return

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- wiring ----------------------------------------------------------------------------------------


def _worker_ready() -> int:
    return os.getpid()


def start_pool(workers: int) -> ProcessPoolExecutor:
    """The CLI's pool, its workers forked now (before the feeds fill this process's memory)."""
    executor = ProcessPoolExecutor(max_workers=workers, initializer=warm_up)
    futures = [executor.submit(_worker_ready) for _ in range(workers)]
    for future in futures:
        future.result()
    return executor


def make_fetcher(settings: Settings, concurrency: int) -> Fetcher:
    """The CLI's fetcher (same timeouts and size cap), kept on loopback."""
    timeout = httpx.Timeout(settings.fetch_timeout_seconds, connect=min(10, settings.fetch_timeout_seconds))
    return Fetcher(
        concurrency=concurrency, timeout=timeout, max_bytes=settings.max_download_bytes, trust_env=False
    )


def _progress(label: str) -> Callable[[int, int], None]:
    tty = sys.stderr.isatty()
    step = 0

    def show(done: int, total: int) -> None:
        nonlocal step
        if tty:
            sys.stderr.write(f"\r{label}: {done}/{total} feeds")
            if done == total:
                sys.stderr.write("\n")
        elif done * 10 // total > step or done == total:
            step = done * 10 // total
            sys.stderr.write(f"{label}: {done}/{total} feeds\n")
        sys.stderr.flush()

    return show


def db_counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    """Articles, events and outbox rows in the database."""
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(ArticleRow)) or 0,
            session.scalar(select(func.count()).select_from(EventRow)) or 0,
            session.scalar(select(func.count()).select_from(OutboxRow)) or 0,
        )


def load_articles(count: int) -> list[SourceArticle]:
    articles = list(ant_articles(SHARED_DIR, limit=count))
    if not articles:
        raise SystemExit(f"error: no ANT article under {SHARED_DIR}")
    return articles


# --- throughput ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PassResult:
    name: str
    seconds: float
    report: PollReport
    pages: int  # article pages the server answered


def _row(result: PassResult) -> str:
    r = result.report
    stored = len(r.articles)
    rate = stored / result.seconds if result.seconds else 0.0
    return (
        f"| {result.name} | {result.seconds:.1f} | {r.fetched} | {r.not_modified} | {r.failed + r.skipped} | "
        f"{stored} | {rate:.1f} | {r.duplicates} | {r.events_created} | {r.events_updated} | "
        f"{r.alerts_queued} | {result.pages} |"
    )


async def run_pass(name: str, pipeline: Pipeline, bench: BenchFeeds) -> PassResult:
    bench.server.reset_counts()
    started = time.perf_counter()
    report = await pipeline.poll(bench.configs, progress=_progress(name))
    seconds = time.perf_counter() - started
    pages = sum(1 for request in bench.server.requests() if request.path.startswith("/news/"))
    return PassResult(name, seconds, report, pages)


async def throughput(args: argparse.Namespace, settings: Settings, workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    needed = min(args.feeds * args.items, ANT_SIZE)
    with MemorySampler() as sampler:
        executor = start_pool(args.workers)
        rss_pool_started = maxrss_mib(resource.RUSAGE_SELF)
        with FeedServer() as server:
            articles = load_articles(needed)
            built = time.perf_counter()
            bench = build_feeds(server, articles, args.feeds, args.items, args.teasers)
            build_seconds = time.perf_counter() - built
            rss_built = maxrss_mib(resource.RUSAGE_SELF)
            async with make_fetcher(settings, args.concurrency) as fetcher:
                pipeline = Pipeline(sessions, fetcher, executor=executor)
                first = await run_pass("pass 1", pipeline, bench)
                rss_first = maxrss_mib(resource.RUSAGE_SELF)
                counts = db_counts(sessions)
                second = await run_pass("pass 2", pipeline, bench)
                rss_second = maxrss_mib(resource.RUSAGE_SELF)
        executor.shutdown(wait=True)  # RUSAGE_CHILDREN counts workers that have exited
    engine.dispose()
    worker_peak = maxrss_mib(resource.RUSAGE_CHILDREN)

    mode = "teasers (article pages fetched)" if args.teasers else "full text in content:encoded"
    print(f"## Ingestion bench: {args.feeds} feeds × {args.items} items on loopback\n")
    print(
        f"{args.feeds * args.items} items ({mode}) from {len(articles)} distinct ANT articles; "
        f"SQLite (WAL) in a temp dir; {args.workers} analysis workers (ProcessPoolExecutor), "
        f"fetch concurrency {args.concurrency}; {os.cpu_count()} CPUs, Python {platform.python_version()}. "
        f"Feeds built in {build_seconds:.1f} s (not timed below).\n"
    )
    print(
        "| pass | wall s | fetched | 304 | failed | articles stored | articles/s | near-duplicates | "
        "events created | events updated | alerts queued | pages fetched |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    print(_row(first))
    print(_row(second))
    articles_in_db, events_in_db, outbox_in_db = counts
    print(
        f"\nIn the database after pass 1: {articles_in_db} articles, {events_in_db} events, "
        f"{outbox_in_db} outbox rows.\n"
    )
    print("| peak memory | MiB |")
    print("|---|--:|")
    print(f"| bench process, pool started (ru_maxrss self) | {rss_pool_started:.0f} |")
    print(f"| bench process, feeds built and served (ru_maxrss self) | {rss_built:.0f} |")
    print(f"| bench process after pass 1 (ru_maxrss self) | {rss_first:.0f} |")
    print(f"| bench process after pass 2 (ru_maxrss self) | {rss_second:.0f} |")
    print(f"| largest pool worker (ru_maxrss children) | {worker_peak:.0f} |")
    print(
        f"| bench process + {sampler.peak_workers} workers, sampled every {SAMPLE_EVERY:g} s "
        f"(/proc VmRSS sum) | {sampler.peak_total_kib / 1024:.0f} |"
    )


# --- freshness -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trial:
    number: int
    feed: int
    governorate: str
    title: str
    delay: float  # the random wait before publishing
    wait_for_poll: float | None  # published -> the next poll started; None: a poll in progress took it
    near_duplicate: bool | None  # whether the pipeline stored it as another source of a stored story
    event_id: int | None
    stored: float | None  # published -> on_article (committed)
    queued: float | None  # published -> the outbox row seen


async def trial_articles(
    executor: Executor, candidates: Sequence[SourceArticle], seed: SourceArticle, count: int
) -> list[tuple[SourceArticle, str]]:
    """`count` Syria articles with a governorate: the seed, then candidates (analysed in the pool)."""
    loop = asyncio.get_running_loop()
    chosen: list[tuple[SourceArticle, str]] = []
    for article in [seed, *candidates]:
        if len(chosen) == count:
            break
        job = AnalysisJob(article.text, article.title, article.published or datetime.now(UTC), "ar")
        outcome = await loop.run_in_executor(executor, analyse_job, job)
        governorates = [p["governorate"] for p in outcome.analysis["places"] if p.get("governorate")]
        if outcome.analysis["syria_related"] and governorates:
            chosen.append((article, governorates[0]))
    if len(chosen) < count:
        raise SystemExit(f"error: found {len(chosen)} Syria articles with a governorate, need {count}")
    return chosen


def subscribe(sessions: sessionmaker[Session], chat_id: int, governorate: str) -> None:
    now = datetime.now(UTC)
    with sessions() as session:
        store.ensure_subscriber(session, chat_id, kind="private", language="ar", now=now)
        store.add_subscription(session, chat_id, now=now, governorate=governorate)
        session.commit()


def alert_queued(sessions: sessionmaker[Session], chat_id: int) -> bool:
    with sessions() as session:
        stmt = select(OutboxRow.id).where(OutboxRow.chat_id == chat_id).limit(1)
        return session.scalar(stmt) is not None


async def freshness(args: argparse.Namespace, settings: Settings, workdir: Path) -> None:
    from telegram.ext import Application  # noqa: PLC0415 (as bot/ingest.py: only this mode needs it)

    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    rng = random.Random(args.seed)
    used = args.feeds * args.items
    articles = load_articles(min(used, ANT_SIZE) + (400 if used < ANT_SIZE else 0))
    feed_articles, spare = articles[: min(used, ANT_SIZE)], articles[min(used, ANT_SIZE) :]
    # Trial articles the feeds do not carry (from the end of the corpus when the feeds use all of it).
    candidates = spare or articles[::-1]

    stored_at: dict[str, tuple[float, NewArticle]] = {}

    def on_article(article: NewArticle) -> None:
        if article.url is not None:
            stored_at.setdefault(article.url, (time.monotonic(), article))

    poll_starts: list[float] = []
    poll_seconds: list[float] = []
    executor = start_pool(args.workers)
    try:
        with FeedServer() as server:
            bench = build_feeds(server, feed_articles, args.feeds, args.items, args.teasers)
            chosen = await trial_articles(executor, candidates, seed_article(SHARED_DIR), args.trials)
            async with make_fetcher(settings, args.concurrency) as fetcher:
                pipeline = Pipeline(sessions, fetcher, executor=executor, on_article=on_article)
                initial = await run_pass("initial pass", pipeline, bench)

                async def poll() -> None:
                    poll_starts.append(time.monotonic())
                    started = time.perf_counter()
                    await pipeline.poll(bench.configs)
                    poll_seconds.append(time.perf_counter() - started)

                run = FreshnessRun(bench, sessions, rng, args.interval, stored_at, poll_starts)
                application = Application.builder().token("0:poll-only").build()
                job_queue = application.job_queue
                assert job_queue is not None
                schedule_polling(job_queue, poll, interval=args.interval)
                await job_queue.start()
                try:
                    trials = [
                        await run.trial(number, article, governorate)
                        for number, (article, governorate) in enumerate(chosen, start=1)
                    ]
                finally:
                    await job_queue.stop(wait=True)
    finally:
        executor.shutdown(wait=True)
        engine.dispose()
    report_freshness(args, initial, trials, poll_seconds)


@dataclass(frozen=True, slots=True)
class FreshnessRun:
    """What the trials share: the feeds, the database, the randomness and the timings recorded."""

    bench: BenchFeeds
    sessions: sessionmaker[Session]
    rng: random.Random
    interval: float
    stored_at: dict[str, tuple[float, NewArticle]]  # article URL -> when on_article saw it (monotonic)
    poll_starts: list[float]  # when each scheduled poll started (monotonic)

    async def trial(self, number: int, article: SourceArticle, governorate: str) -> Trial:
        """Subscribe a new chat to `governorate`, publish `article` at a random moment, wait for its alert."""
        chat_id = FIRST_CHAT_ID + number
        await asyncio.to_thread(subscribe, self.sessions, chat_id, governorate)
        delay = self.rng.uniform(0, self.interval)
        await asyncio.sleep(delay)
        feed = self.rng.randrange(len(self.bench.configs))
        link = self.bench.publish(feed, article, f"fresh-{number}")
        published = time.monotonic()
        deadline = published + 3 * self.interval + 30
        queued: float | None = None
        while time.monotonic() < deadline:
            if await asyncio.to_thread(alert_queued, self.sessions, chat_id):
                queued = time.monotonic() - published
                break
            await asyncio.sleep(WATCH_EVERY)
        next_poll = next((start for start in self.poll_starts if start >= published), None)
        stored, new = self.stored_at.get(link, (None, None))
        if stored is not None and next_poll is not None and next_poll > stored:
            next_poll = None  # the poll running when it was published took it
        sys.stderr.write(f"trial {number}: feed {feed}, alert queued after {_s(queued)} s\n")
        return Trial(
            number=number,
            feed=feed,
            governorate=governorate,
            title=article.title,
            delay=delay,
            wait_for_poll=None if next_poll is None else next_poll - published,
            near_duplicate=None if new is None else new.duplicate_of is not None,
            event_id=None if new is None else new.event_id,
            stored=None if stored is None else stored - published,
            queued=queued,
        )


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def report_freshness(
    args: argparse.Namespace, initial: PassResult, trials: list[Trial], poll_seconds: list[float]
) -> None:
    bound = args.interval + FRESHNESS_SLACK
    mode = "teaser + article page" if args.teasers else "full text in content:encoded"
    median_poll = statistics.median(poll_seconds) if poll_seconds else None
    max_poll = max(poll_seconds) if poll_seconds else None
    print(f"## Freshness: polling every {args.interval:g} s over {args.feeds} feeds × {args.items} items\n")
    print(
        f"JobQueue (APScheduler) via bot.scheduler.schedule_polling, jitter up to "
        f"{jitter_for(args.interval):g} s; initial unscheduled pass {initial.seconds:.1f} s "
        f"({len(initial.report.articles)} articles). Each trial publishes one Syria article ({mode}) "
        f"at the top of a random feed (new ETag) at a random moment; the outbox is checked every "
        f"{WATCH_EVERY * 1000:.0f} ms. {len(poll_seconds)} scheduled polls ran: median {_s(median_poll)} s, "
        f'max {_s(max_poll)} s each. "in progress": the poll running when the item was published took '
        f"it; event: the event the article joined or opened.\n"
    )
    print(
        "| trial | feed | governorate | event | near-duplicate | published → next poll s | → stored s "
        "| → alert queued s |"
    )
    print("|--:|--:|---|--:|---|--:|--:|--:|")
    for t in trials:
        wait = "in progress" if t.wait_for_poll is None and t.stored is not None else _s(t.wait_for_poll)
        timings = " | ".join([wait, _s(t.stored), _s(t.queued)])
        dup = "—" if t.near_duplicate is None else "yes" if t.near_duplicate else "no"
        print(f"| {t.number} | {t.feed} | {t.governorate} | {t.event_id or '—'} | {dup} | {timings} |")
    latencies = [t.queued for t in trials if t.queued is not None]
    missed = len(trials) - len(latencies)
    print()
    if latencies:
        worst = max(latencies) if not missed else float("inf")
        verdict = "within" if worst <= bound else "NOT within"
        print(
            f"Alert queued: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s over "
            f"{len(latencies)} trials{f' ({missed} never queued)' if missed else ''}; "
            f"bound interval + {FRESHNESS_SLACK:g} s = {bound:g} s: {verdict}."
        )
    else:
        print(f"No alert was queued in {len(trials)} trials: bound {bound:g} s NOT met.")


# --- command line ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500, help="feeds on the server (default 500)")
    parser.add_argument("--items", type=int, default=30, help="items per feed (default 30)")
    parser.add_argument("--teasers", action="store_true", help="teaser-only items; the pages are fetched")
    parser.add_argument(
        "--workers", type=int, default=max(1, os.cpu_count() or 2), help="analysis processes (default: CPUs)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=settings.fetch_concurrency,
        help=f"fetches at once (default: the bot's, {settings.fetch_concurrency})",
    )
    parser.add_argument("--freshness", action="store_true", help="measure item-to-alert latency instead")
    parser.add_argument("--interval", type=float, default=5.0, help="poll interval for --freshness (s)")
    parser.add_argument("--trials", type=int, default=5, help="published items for --freshness")
    parser.add_argument("--seed", type=int, default=1, help="random seed for --freshness")
    parser.add_argument("--keep", type=Path, help="keep the database in this directory")
    args = parser.parse_args(argv)
    for name in ("feeds", "items", "workers", "concurrency", "trials"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.interval <= 0:
        parser.error("--interval must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    settings = Settings()
    run: Callable[[argparse.Namespace, Settings, Path], Any] = freshness if args.freshness else throughput
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        if (args.keep / "bench.sqlite3").exists():
            print(
                f"error: {args.keep / 'bench.sqlite3'} exists; the bench needs a fresh database",
                file=sys.stderr,
            )
            return 2
        asyncio.run(run(args, settings, args.keep))
        return 0
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as workdir:
        asyncio.run(run(args, settings, Path(workdir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
