"""Health and Prometheus metrics over HTTP: `GET /healthz` and `GET /metrics` on `METRICS_PORT`.

The figures are read from the database when Prometheus scrapes (a custom collector over
`store.bot_stats`), so every process of a deployment reports the same totals and nothing is lost
on a restart. `/healthz` answers 200 when the database answers, 503 otherwise.

Served by tornado (already there: python-telegram-bot's webhook server) on the bot's event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot import store

log = logging.getLogger(__name__)

# (stats key, metric name, help)
_GAUGES: tuple[tuple[str, str, str], ...] = (
    ("subscribers", "syria_alerts_subscribers", "Active chats"),
    ("inactive", "syria_alerts_subscribers_inactive", "Chats that blocked or removed the bot"),
    ("subscriptions", "syria_alerts_subscriptions", "Subscriptions"),
    ("feeds", "syria_alerts_feeds", "Feeds"),
    ("feeds_failing", "syria_alerts_feeds_failing", "Feeds whose last poll failed"),
    ("feeds_disabled", "syria_alerts_feeds_disabled", "Feeds disabled after repeated failures"),
    ("articles_day", "syria_alerts_articles_last_day", "Articles fetched in the last 24 hours"),
    ("events_day", "syria_alerts_events_last_day", "Events first seen in the last 24 hours"),
    ("events", "syria_alerts_events", "Events stored"),
    (
        "alerts_pending",
        "syria_alerts_alerts_queued",
        "Alerts waiting to be sent (pending, retrying or in flight)",
    ),
    ("alerts_sent", "syria_alerts_alerts_sent", "Alerts sent"),
    ("alerts_dead", "syria_alerts_alerts_failed", "Alerts given up (the chat is gone or retries ran out)"),
    ("outbox_lag_seconds", "syria_alerts_outbox_lag_seconds", "Age of the oldest alert due and not sent"),
)


class StoreCollector(Collector):
    """Prometheus collector reading the bot's figures from the database at scrape time."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or (lambda: datetime.now(UTC))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One gauge per figure, plus the recent delivery latency."""
        now = self._clock()
        try:
            with self._sessions() as session:
                stats = store.bot_stats(session, now=now)
                latency = store.delivery_latency(session, now=now)
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", exc)
            return
        for key, name, help_text in _GAUGES:
            yield GaugeMetricFamily(name, help_text, value=stats[key])
        family = GaugeMetricFamily(
            "syria_alerts_delivery_latency_seconds",
            "Time from queueing to sending of the alerts sent in the last hour",
            labels=["quantile"],
        )
        for quantile, value in latency.items():
            family.add_metric([quantile], value)
        yield family


def registry_for(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """A registry with the bot's collector."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(sessions))
    return registry


class _Metrics(RequestHandler):
    def initialize(self, registry: CollectorRegistry) -> None:  # tornado's hook, not __init__
        self._registry = registry

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(generate_latest(self._registry))


class _Health(RequestHandler):
    def initialize(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self) -> None:
        try:
            with self._sessions() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            self.set_status(503)
            self.write({"status": "database unreachable", "error": type(exc).__name__})
            return
        self.write({"status": "ok"})


def start_server(sessions: sessionmaker[Session], *, host: str, port: int) -> HTTPServer:
    """Serve /healthz and /metrics on host:port (0: any free port) from the running event loop;
    stop it with `.stop()`. The port bound is `bound_port(server)`."""
    app = Application(
        [
            (r"/metrics", _Metrics, {"registry": registry_for(sessions)}),
            (r"/healthz", _Health, {"sessions": sessions}),
        ]
    )
    server = HTTPServer(app)
    sockets = bind_sockets(port, address=host)
    server.add_sockets(sockets)
    log.info("health and metrics on http://%s:%d/healthz and /metrics", host, sockets[0].getsockname()[1])
    return server


def bound_port(server: HTTPServer) -> int:
    """The port a server from `start_server` listens on."""
    sockets = list(server._sockets.values())  # tornado keeps no public accessor
    return int(sockets[0].getsockname()[1])
