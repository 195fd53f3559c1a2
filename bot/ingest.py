"""`python -m bot poll`: poll the feeds once (`--once`) or on the schedule, storing what is new.

Wiring only: settings, feeds file, database (migrated to head), fetcher, a process pool for the
analysis, and the pipeline. `--jsonl` prints one JSON line per new article on stdout; a progress
line goes to stderr when it is a terminal, and a one-line report at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

import httpx

from bot.config import Settings
from bot.db import make_engine, session_factory, upgrade
from bot.feeds import FeedsFileError, load_feeds
from bot.fetch import Fetcher
from bot.models import FeedConfig
from bot.pipeline import NewArticle, Pipeline, PollReport, warm_up
from bot.scheduler import schedule_polling

log = logging.getLogger(__name__)
EXIT_USAGE = 2


def poll_command(settings: Settings, *, feeds_file: Path | None, once: bool, jsonl: bool) -> int:
    """Run `poll`; returns the exit status."""
    path = feeds_file or settings.feeds_file
    try:
        feeds = load_feeds(path)
    except FeedsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    upgrade(settings.database_url)
    return asyncio.run(_poll(settings, feeds, once=once, jsonl=jsonl))


async def _poll(settings: Settings, feeds: list[FeedConfig], *, once: bool, jsonl: bool) -> int:
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    workers = max(1, (os.cpu_count() or 2))
    timeout = httpx.Timeout(settings.fetch_timeout_seconds, connect=min(10, settings.fetch_timeout_seconds))
    printer = _printer(sys.stdout) if jsonl else None
    with ProcessPoolExecutor(max_workers=workers, initializer=warm_up) as executor:
        async with Fetcher(
            concurrency=settings.fetch_concurrency, timeout=timeout, max_bytes=settings.max_download_bytes
        ) as fetcher:
            pipeline = Pipeline(
                sessions,
                fetcher,
                executor=executor,
                disable_after=settings.feed_disable_after,
                on_article=printer,
            )
            if once:
                started = time.monotonic()
                report = await pipeline.poll(feeds, progress=_progress(sys.stderr))
                print(_summary(report, time.monotonic() - started), file=sys.stderr)
            else:
                await _run_scheduled(pipeline, feeds, settings.poll_interval_seconds)
    engine.dispose()
    return 0


async def _run_scheduled(pipeline: Pipeline, feeds: list[FeedConfig], interval: int) -> None:
    """Poll on the JobQueue until SIGINT or SIGTERM."""
    from telegram.ext import Application  # noqa: PLC0415 (only the scheduled mode needs it)

    # Only the application's JobQueue is used here: nothing talks to Telegram.
    application = Application.builder().token("0:poll-only").build()
    assert application.job_queue is not None

    async def poll() -> None:
        started = time.monotonic()
        report = await pipeline.poll(feeds)
        log.info("%s", _summary(report, time.monotonic() - started))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    schedule_polling(application.job_queue, poll, interval=interval)
    await application.job_queue.start()
    try:
        await stop.wait()
    finally:
        await application.job_queue.stop(wait=True)


def _printer(out: TextIO) -> Callable[[NewArticle], None]:
    def write(article: NewArticle) -> None:
        out.write(json.dumps(article.to_json(), ensure_ascii=False) + "\n")
        out.flush()

    return write


def _progress(err: TextIO) -> Callable[[int, int], None] | None:
    if not err.isatty():
        return None

    def show(done: int, total: int) -> None:
        err.write(f"\rfeeds polled: {done}/{total}")
        if done == total:
            err.write("\n")
        err.flush()

    return show


def _summary(report: PollReport, seconds: float) -> str:
    syria = sum(1 for a in report.articles if a.syria_related)
    rate = f", {len(report.articles) / seconds:.1f} articles/s" if seconds > 0 else ""
    return (
        f"{report.feeds} feeds: {report.fetched} fetched, {report.not_modified} not modified, "
        f"{report.failed} failed, {report.skipped} skipped (backing off or disabled)"
        f"{'; disabled now: ' + ', '.join(report.disabled) if report.disabled else ''}; "
        f"{len(report.articles)} new articles ({syria} about Syria, {report.duplicates} near-duplicates); "
        f"{report.events_created} new events, {report.events_updated} updated; "
        f"{report.alerts_queued} alerts queued; {seconds:.1f} s{rate}"
    )
