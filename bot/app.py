"""The running bot: one python-telegram-bot Application wiring the feeds, the outbox and the chat.

`run_bot(settings)` loads the feeds file, migrates the database, and runs the Application with long
polling (or a webhook when `WEBHOOK_URL` is set) until SIGINT or SIGTERM. Resources open in
`post_init` and close in `post_shutdown`:

- the JobQueue (APScheduler) polls the feeds every `POLL_INTERVAL_SECONDS` (`bot.scheduler`) and
  sends the daily digests (`bot.digest`);
- a `Deliverer` task sends the outbox within Telegram's flood limits (`bot.delivery`), woken when
  a poll queues alerts;
- the handlers answer users (`bot.handlers` → `bot.chat`).
"""

from __future__ import annotations

import asyncio
import html
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes
from tornado.httpserver import HTTPServer

from bot.chat import Conversation
from bot.config import Settings
from bot.db import make_engine, session_factory
from bot.delivery import Deliverer, Limits
from bot.digest import send_digests
from bot.fetch import Fetcher, public_only
from bot.handlers import Deps, Throttle, register, set_commands
from bot.i18n import t
from bot.leader import Election, election_for
from bot.metrics import start_server as start_metrics
from bot.models import FeedConfig
from bot.ondemand import SummaryService
from bot.pipeline import Pipeline, PollReport, warm_up
from bot.render import render_alert
from bot.resolve import PlaceResolver
from bot.scheduler import schedule_polling
from bot.views import alert_view
from bot.workers import WorkerPool
from summarizer.gazetteer import Gazetteer

log = logging.getLogger(__name__)

DIGEST_CHECK_SECONDS: Final = 300
LEADER_CHECK_SECONDS: Final = 5  # a follower takes over within this (plus one poll) of the leader's death
DELIVERY_STOP_SECONDS: Final = 30.0
BotApp = Application[Any, Any, Any, Any, Any, Any]


@dataclass(slots=True)
class Runtime:
    """The resources of a running bot, opened in `post_init` and closed in `post_shutdown`."""

    settings: Settings
    feeds: list[FeedConfig]
    engine: Engine
    sessions: sessionmaker[Session]
    gazetteer: Gazetteer
    fetcher: Fetcher
    user_fetcher: Fetcher
    executor: Executor
    election: Election
    deliverer: Deliverer | None = None
    pipeline: Pipeline | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    metrics_server: HTTPServer | None = None
    current_poll: asyncio.Future[PollReport] | None = None
    stopping: bool = False
    _election_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def is_leader(self) -> bool:
        """Whether this process leads (taking the lead when it is free)."""
        async with self._election_lock:
            return await asyncio.to_thread(self.election.is_leader)


def build_application(settings: Settings, feeds: list[FeedConfig]) -> BotApp:
    """The Application, with its handlers and start-up and shut-down hooks (nothing runs yet)."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to run the bot")
    engine = make_engine(settings.database_url)
    gazetteer = Gazetteer.default()
    timeout = httpx.Timeout(settings.fetch_timeout_seconds, connect=min(10, settings.fetch_timeout_seconds))
    runtime = Runtime(
        settings=settings,
        feeds=feeds,
        engine=engine,
        sessions=session_factory(engine),
        gazetteer=gazetteer,
        fetcher=Fetcher(
            concurrency=settings.fetch_concurrency, timeout=timeout, max_bytes=settings.max_download_bytes
        ),
        user_fetcher=Fetcher(
            concurrency=4,
            timeout=timeout,
            max_bytes=settings.max_download_bytes,
            request_hook=None if settings.allow_private_urls else public_only,
        ),
        executor=WorkerPool(settings.analysis_workers, warm_up=warm_up),
        election=election_for(engine),
    )
    application = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(_file_url(settings.telegram_api_base_url))
        .concurrent_updates(8)
        .connect_timeout(10)
        .read_timeout(20)
        .write_timeout(20)
        .pool_timeout(10)
        .post_init(lambda app: _post_init(app, runtime))
        .post_stop(lambda app: _post_stop(app, runtime))
        .post_shutdown(lambda app: _post_shutdown(app, runtime))
        .build()
    )
    resolver = PlaceResolver(gazetteer)
    register(
        application,
        Deps(
            conversation=Conversation(
                runtime.sessions,
                resolver=resolver,
                gazetteer=gazetteer,
                default_language=settings.default_language,
            ),
            summaries=SummaryService(runtime.user_fetcher, gazetteer=gazetteer),
            admin_ids=frozenset(settings.admin_ids),
            throttle=Throttle(),
        ),
    )
    application.bot_data["runtime"] = runtime
    return application


def run_bot(application: BotApp, settings: Settings) -> None:
    """Run until SIGINT or SIGTERM: long polling, or a webhook server when WEBHOOK_URL is set."""
    asyncio.run(serve(application, settings))


async def serve(application: BotApp, settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Start the application, wait for `stop` (or SIGINT / SIGTERM), stop it cleanly.

    This is `Application.run_polling` with one difference: the updater (`getUpdates`) is started by
    the leader job, so that of several processes only the leader long-polls Telegram. In webhook
    mode every process serves the webhook (put them behind a load balancer).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        if settings.webhook_url and application.updater is not None:
            path = settings.webhook_path
            await application.updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=path,
                webhook_url=f"{settings.webhook_url.rstrip('/')}/{path}",
                secret_token=settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
        await stop.wait()
        log.info("stopping")
    finally:
        runtime = application.bot_data.get("runtime")
        if isinstance(runtime, Runtime):
            runtime.stopping = True  # the leader job must not start long polling again
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if isinstance(runtime, Runtime) and runtime.current_poll is not None:
            runtime.current_poll.cancel()  # else the JobQueue waits for it (a stalled feed: a minute)
        if application.running:
            await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _file_url(base_url: str) -> str:
    # The Bot API serves files from /file/bot<token>/ beside /bot<token>/.
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


# --- start-up and shut-down -------------------------------------------------------------------------


async def _post_init(application: BotApp, runtime: Runtime) -> None:
    settings = runtime.settings
    await set_commands(application)
    if settings.metrics_port is not None:
        runtime.metrics_server = start_metrics(
            runtime.sessions, host=settings.metrics_host, port=settings.metrics_port
        )
    job_queue = application.job_queue
    if job_queue is None:  # the job-queue extra is a dependency: this is an installation error
        raise RuntimeError(
            "python-telegram-bot's JobQueue is missing: install python-telegram-bot[job-queue]"
        )
    deliverer = _start_delivery(application, runtime)
    schedule_polling(
        job_queue, _poller(application, runtime, deliverer), interval=settings.poll_interval_seconds
    )
    job_queue.run_repeating(
        _leader_job(application, runtime),
        interval=LEADER_CHECK_SECONDS,
        first=0,
        name="leader",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )

    async def digests(_: ContextTypes.DEFAULT_TYPE) -> None:
        sent = await send_digests(application.bot, runtime.sessions, datetime.now(UTC), runtime.gazetteer)
        if sent:
            log.info("daily digests sent: %d", sent)

    job_queue.run_repeating(
        digests,
        interval=DIGEST_CHECK_SECONDS,
        first=10,
        name="daily-digests",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    log.info(
        "bot started: %d feeds every %d s, %s, database %s",
        len(runtime.feeds),
        settings.poll_interval_seconds,
        "webhook" if settings.webhook_url else "long polling",
        runtime.engine.url.render_as_string(hide_password=True),
    )


def _start_delivery(application: BotApp, runtime: Runtime) -> Deliverer:
    """The outbox sender, running as a task until `runtime.stop` is set."""
    gazetteer = runtime.gazetteer

    def render(session: Session, event_id: int, language: str) -> str | None:
        view = alert_view(session, event_id, gazetteer)
        return None if view is None else render_alert(view, language)

    deliverer = Deliverer(
        application.bot,
        runtime.sessions,
        render,
        limits=Limits(per_second=float(runtime.settings.alerts_per_second)),
    )
    runtime.deliverer = deliverer
    runtime.tasks.append(asyncio.create_task(deliverer.run(runtime.stop), name="deliver-alerts"))
    return deliverer


def _poller(application: BotApp, runtime: Runtime, deliverer: Deliverer) -> Callable[[], Awaitable[None]]:
    """One poll of the feeds (on the leader only), then the sender woken and the admins told."""
    settings = runtime.settings
    disabled: list[tuple[str, str]] = []  # told to the admins in one message after the poll

    async def feed_disabled(feed_id: str, error: str) -> None:
        disabled.append((feed_id, error))

    pipeline = Pipeline(
        runtime.sessions,
        runtime.fetcher,
        executor=runtime.executor,
        disable_after=settings.feed_disable_after,
        on_feed_disabled=feed_disabled,
    )
    runtime.pipeline = pipeline

    async def poll() -> None:
        if not await runtime.is_leader():
            return  # another process polls
        # A task of its own, so that a stop can cancel a poll stuck on a slow feed.
        runtime.current_poll = asyncio.ensure_future(pipeline.poll(runtime.feeds))
        try:
            report = await runtime.current_poll
        except asyncio.CancelledError:
            log.info("poll cancelled: the bot is stopping")
            return
        finally:
            runtime.current_poll = None
        log.info("%s", _poll_line(report))
        if report.alerts_queued:
            deliverer.wake()
        if disabled:
            batch = list(disabled)
            disabled.clear()
            await _tell_admins(application, settings, batch)

    return poll


def _leader_job(
    application: BotApp, runtime: Runtime
) -> Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """The job that keeps or takes the lead, and long-polls Telegram only while leading."""

    async def lead(_: ContextTypes.DEFAULT_TYPE) -> None:
        leading = await runtime.is_leader()
        updater = application.updater
        if runtime.stopping or runtime.settings.webhook_url or updater is None:
            return
        try:
            if leading and not updater.running:
                await updater.start_polling(allowed_updates=Update.ALL_TYPES)
            elif not leading and updater.running:
                await updater.stop()
        except RuntimeError as exc:  # started or stopped meanwhile by someone else
            log.debug("updater: %s", exc)

    return lead


async def _post_stop(_: BotApp, runtime: Runtime) -> None:
    runtime.stop.set()
    if runtime.metrics_server is not None:
        runtime.metrics_server.stop()
    if runtime.tasks:
        done, pending = await asyncio.wait(runtime.tasks, timeout=DELIVERY_STOP_SECONDS)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("background task %s failed", task.get_name(), exc_info=task.exception())


async def _post_shutdown(_: BotApp, runtime: Runtime) -> None:
    await asyncio.to_thread(runtime.election.release)
    await runtime.fetcher.aclose()
    await runtime.user_fetcher.aclose()
    runtime.executor.shutdown(wait=True, cancel_futures=True)
    runtime.engine.dispose()
    log.info("bot stopped")


async def _tell_admins(application: BotApp, settings: Settings, feeds: Sequence[tuple[str, str]]) -> None:
    """Feeds were disabled after repeated failures: every admin hears of them, in one message."""
    lines = [
        t(
            settings.default_language,
            "feeds.disabled_alert",
            feed=html.escape(feed_id),
            error=html.escape(error),
        )
        for feed_id, error in feeds
    ]
    for admin in settings.admin_ids:
        try:
            await application.bot.send_message(
                admin,
                "\n".join(lines)[:4000],
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramError as exc:
            log.warning("cannot tell admin %s that %d feeds were disabled: %s", admin, len(lines), exc)


def _poll_line(report: PollReport) -> str:
    return (
        f"poll: {report.feeds} feeds, {report.fetched} fetched, {report.not_modified} not modified, "
        f"{report.failed} failed; {len(report.articles)} new articles, {report.events_created} new events, "
        f"{report.events_updated} updated; {report.alerts_queued} alerts queued"
    )
