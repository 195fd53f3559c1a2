"""Soak test, time-compressed: the whole bot (`python -m bot run`) for minutes against feeds with
injected faults and subscribers with injected Telegram errors; then the books must balance.

Usage: python -m bench.soak [--minutes 10] [--feeds 200] [--subscribers 2000]
                            [--database sqlite|postgresql] [--rate 300] [--poll 10] [--seed 1]
                            [--wave-every 20] [--wave-share 0.05] [--initial-items 2]
                            [--fault-every 3] [--disable-after 2] [--drain-timeout 600]
                            [--sample-every 10] [--max-slope 2] [--skip-kind KIND ...] [--keep DIR]

Everything runs on loopback, in this process except the bot:

- Feeds: a `tests.bot.feed_server.FeedServer` with `--feeds` feeds of the kinds in `KINDS` (healthy
  RSS, Atom, teaser-only, windows-1256, gzip, Last-Modified only, slow; and faulty: always 500, 500
  every other minute, headers after 5 s, a body trickled for minutes, malformed XML, a body over
  MAX_DOWNLOAD_BYTES, a redirect loop, 404 for the first quarter of the run). Each starts with
  `--initial-items` items; every `--wave-every` seconds a `--wave-share` of the feeds publish one or
  two new items each. Items are real ANT articles (../shared/data/ant-dev, read at run time and
  screened with `summarizer.analyze` so that about `SYRIA_SHARE` of them are Syria news, hence events
  in many governorates), dated now; a tenth repeat a story another feed published (syndication:
  near-duplicates, so events gain sources and sent alerts get edited). Teaser feeds make the bot
  fetch each page; on `teaser-flaky-pages` feeds a quarter of the pages answer 500 or 404 or time out.
- Telegram: a `FakeTelegram` with Telegram's flood limits (`--rate` per second overall, 1 per second
  per chat, 20 per minute per group) and 10 ms latency per send. Faults: some chats blocked (403)
  from the start, some blocked midway, some "chat not found"; every `--fault-every` s a burst of
  429s (retry_after 1), 500s or 502s on the next sends (`fail(..., times=k)`), or a 500 on an edit.
- Subscribers: `--subscribers` chats (about a tenth groups and supergroups, with negative ids),
  created in the database before the bot starts (`store.ensure_subscriber`, `store.add_subscription`)
  with subscriptions spread over governorates, categories, keywords, tolls and a few with no filter.
- The bot: `python -m bot run` (`tests.bot.bot_process.BotProcess`) with POLL_INTERVAL_SECONDS
  `--poll`, ALERTS_PER_SECOND `--rate`, FETCH_TIMEOUT_SECONDS 3, MAX_DOWNLOAD_BYTES 1,000,000 and
  FEED_DISABLE_AFTER `--disable-after`; its RSS (VmRSS) is sampled every `--sample-every` seconds.

Time compression: the run lasts `--minutes` (the bot's start-up not counted) but carries the traffic
of a much longer one, so ALERTS_PER_SECOND is raised from Telegram's 30 to `--rate` (the fake server
enforces the same limit). Feed backoff is not compressed: its base (5 min, `bot.fetch`) is not a
setting, so a failing feed is retried after 2.5 to 5 minutes; FEED_DISABLE_AFTER is lowered to 2 so
that feeds that keep failing are disabled within a 10-minute run.

After `--minutes` publishing and fault injection stop; the soak waits (up to `--drain-timeout`) for
two more polls and for the outbox to settle (no pending, sending or failed row), sends SIGTERM and
checks, from the database and the fake server:

1. the bot ran throughout, exited 0 on SIGTERM and logged no traceback;
2. the outbox drained;
3. alerts queued (outbox rows) = delivered (sent) + marked inactive (dead in a chat found gone);
4. only chats we blocked or made unknown were deactivated, and each of them that had alerts was;
5. each sent row is exactly one message on the server, and each message is one row: nothing twice
   (no chat got two messages for one event; edits are corrections, not messages), and each message
   links to sources of its row's event;
6. each sent alert shows the event's latest version (corrections delivered);
7. no flood-limit violation: every 429 the server answered was an injected one;
8. every item published to a healthy feed was stored;
9. memory flat: the slope of the bot's RSS over the second half of the run is at most `--max-slope`
   MiB/min (not checked with fewer than 3 samples).

Exit status 1 if one fails. The figures go to stdout as Markdown tables, progress to stderr.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.db import (
    ArticleRow,
    EventRow,
    FeedRow,
    OutboxRow,
    SubscriberRow,
    make_engine,
    session_factory,
    upgrade,
)
from bot.filters import categories
from tests.bot.bot_process import BotProcess
from tests.bot.feed_server import (
    ATOM_CONTENT_TYPE,
    HTML_CONTENT_TYPE,
    FeedItem,
    FeedServer,
    Route,
    SourceArticle,
    ant_articles,
    article_page,
    atom_feed,
    full_item,
    http_date,
    rss_feed,
    teaser_item,
)
from tests.bot.telegram_server import FakeTelegram

ROOT: Final = Path(__file__).resolve().parents[1]
SHARED_DIR: Final = ROOT.parent / "shared"
PLACES_CSV: Final = ROOT / "summarizer" / "data" / "places.csv"
TOKEN: Final = "424242:SOAK-token"
ADMIN_CHAT: Final = 4242  # ADMIN_IDS: told when a feed is disabled
DEFAULT_POSTGRES_ADMIN_URL: Final = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

SYRIA_SHARE: Final = 0.6  # of the new items, the rest being other Middle East news
SYNDICATED_SHARE: Final = 0.1  # items repeating a story another feed published shortly before
MAX_ITEMS: Final = 20  # items a feed shows, newest first
FETCH_TIMEOUT: Final = 3  # FETCH_TIMEOUT_SECONDS given to the bot
MAX_DOWNLOAD: Final = 1_000_000  # MAX_DOWNLOAD_BYTES given to the bot
SLOW_HEADERS: Final = 5.0  # seconds before the headers of a "timeout" route: over FETCH_TIMEOUT
FLAKY_PERIOD: Final = 60.0  # seconds of each phase (ok, 500) of a flaky feed
TELEGRAM_LATENCY: Final = 0.01
PROGRESS_EVERY: Final = 30.0
BAD_PAGE_SHARE: Final = 0.25  # of the pages of teaser-flaky-pages feeds
KEYWORDS: Final = ("الجيش", "قصف", "داعش", "اللاجئين", "المعارضة")
INJECTED_429: Final = "Too Many Requests: retry after 1"
INACTIVE_ERRORS: Final = ("chat inactive", "forbidden", "chat not found")  # lower case
_LINK_RE: Final = re.compile(r'href="([^"]+)"')
_POLL_LINE: Final = re.compile(r" bot\.app: poll: ")


# --- articles --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Story:
    """An ANT article and what the analyser says of it (screened here, analysed again by the bot)."""

    article: SourceArticle
    syria: bool
    governorates: tuple[str, ...]


class Stories:
    """Syria and other articles, screened from the corpus as far as needed, handed out in turn."""

    def __init__(self, syria_needed: int, other_needed: int) -> None:
        from summarizer import analyze  # noqa: PLC0415 (a second or two: only when the soak runs)

        self.syria: list[Story] = []
        self.other: list[Story] = []
        for article in ant_articles(SHARED_DIR):
            if len(self.syria) >= syria_needed and len(self.other) >= other_needed:
                break
            analysis = analyze(article.text, title=article.title)
            story = Story(article, analysis.syria_related, tuple(analysis.governorates))
            if story.syria and story.governorates:
                self.syria.append(story)
            elif not story.syria:
                self.other.append(story)
        if not self.syria or not self.other:
            raise SystemExit(f"error: no ANT articles under {SHARED_DIR}")
        self._next = {True: 0, False: 0}

    def take(self, syria: bool) -> Story:
        """The next story of the kind (the pool wraps around: a repeat is a near-duplicate)."""
        pool = self.syria if syria else self.other
        story = pool[self._next[syria] % len(pool)]
        self._next[syria] += 1
        return story


# --- feeds ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of feed: how many of 200 feeds are of it, what it does, whether its items must arrive."""

    name: str
    weight: int
    what: str
    healthy: bool
    teaser: bool = False


KINDS: Final = (
    Kind("rss", 60, "RSS 2.0, full text, ETag", healthy=True),
    Kind("atom", 20, "Atom 1.0, full text, ETag", healthy=True),
    Kind("teaser", 20, "teaser only: the bot fetches each page", healthy=True, teaser=True),
    Kind(
        "teaser-flaky-pages", 10, "teaser only; 1/4 of pages 500, 404 or time out", healthy=True, teaser=True
    ),
    Kind("windows-1256", 10, "RSS encoded windows-1256", healthy=True),
    Kind("gzip", 10, "RSS, gzip", healthy=True),
    Kind("last-modified", 10, "no ETag, Last-Modified only", healthy=True),
    Kind("slow", 6, "headers after 2 s, body trickled (succeeds)", healthy=True),
    Kind("http-500", 8, "always 500", healthy=False),
    Kind("flaky-500", 8, "500 every other minute", healthy=False),
    Kind("timeout", 6, f"headers after {SLOW_HEADERS:g} s (read timeout {FETCH_TIMEOUT} s)", healthy=False),
    Kind("stall", 2, "body trickled for minutes (60 s total timeout)", healthy=False),
    Kind("malformed", 8, "truncated XML, stray tag, undefined entity", healthy=False),
    Kind("huge", 6, "2 MB body > MAX_DOWNLOAD_BYTES (half without Content-Length)", healthy=False),
    Kind("redirect-loop", 6, "a → b → feed → a ...", healthy=False),
    Kind("404-then-ok", 10, "404 for the first quarter of the run, then fine", healthy=False),
)


def allot_kinds(count: int, kinds: Sequence[Kind], rng: random.Random) -> list[Kind]:
    """`count` kinds in proportion to their weights (largest remainder; each at least once when the
    feeds are as many as the kinds), shuffled."""
    total = sum(k.weight for k in kinds)
    shares = [k.weight * count / total for k in kinds]
    counts = [math.floor(s) for s in shares]
    if count >= len(kinds):
        counts = [max(1, c) for c in counts]
    while sum(counts) > count:
        i = max(range(len(kinds)), key=lambda j: (counts[j] - shares[j], counts[j]))
        counts[i] -= 1
    order = sorted(range(len(kinds)), key=lambda j: shares[j] - counts[j], reverse=True)
    i = 0
    while sum(counts) < count:
        counts[order[i % len(order)]] += 1
        i += 1
    allotted = [kind for kind, n in zip(kinds, counts, strict=True) for _ in range(n)]
    rng.shuffle(allotted)
    return allotted


@dataclass(slots=True)
class SoakFeed:
    """One feed on the server: its items (newest first) and what it published."""

    index: int
    kind: Kind
    items: list[FeedItem] = field(default_factory=list)
    published: int = 0
    version: int = 0
    last_modified: str = ""
    phase: str = ""

    @property
    def id(self) -> str:
        """The feed's id in feeds.yaml."""
        return f"soak-{self.index:03d}"

    @property
    def path(self) -> str:
        """The feed's path on the server."""
        return f"/feeds/{self.index}.xml"


@dataclass(frozen=True, slots=True)
class Published:
    """An item as published: where, when (seconds into the run) and what."""

    feed: SoakFeed
    at: float
    story: Story


class SoakFeeds:
    """The feeds on the server, their phases over the run, and the waves of new items."""

    def __init__(
        self,
        server: FeedServer,
        kinds: Sequence[Kind],
        stories: Stories,
        rng: random.Random,
        run_seconds: float,
    ) -> None:
        self.server = server
        self.stories = stories
        self.rng = rng
        self.run_seconds = run_seconds
        self.feeds = [SoakFeed(i, kind) for i, kind in enumerate(kinds)]
        self.published: dict[str, Published] = {}  # link -> the item
        self.bad_pages: Counter[str] = Counter()
        self.started: float | None = None
        self._recent: list[tuple[SoakFeed, Story]] = []

    def elapsed(self, now: float) -> float:
        """Seconds into the run (0 before it starts)."""
        return 0.0 if self.started is None else max(0.0, now - self.started)

    def phase(self, feed: SoakFeed, now: float) -> str:
        """What the feed answers now: "ok", "500" or "404"."""
        elapsed = self.elapsed(now)
        if feed.kind.name == "http-500":
            return "500"
        if feed.kind.name == "flaky-500":
            return "500" if int(elapsed // FLAKY_PERIOD) % 2 else "ok"
        if feed.kind.name == "404-then-ok":
            return "404" if elapsed < self.run_seconds / 4 else "ok"
        return "ok"

    def fill(self, items: int, now: float) -> None:
        """Give every feed its first items and serve it."""
        for feed in self.feeds:
            for _ in range(items):
                self._add_item(feed, now)
            self.serve(feed, now)

    def wave(self, share: float, now: float) -> int:
        """A share of the feeds publish one or two items each; the number of items."""
        count = max(1, round(len(self.feeds) * share))
        published = 0
        for feed in self.rng.sample(self.feeds, min(count, len(self.feeds))):
            for _ in range(self.rng.choice((1, 1, 2))):
                self._add_item(feed, now)
                published += 1
            self.serve(feed, now)
        return published

    def tick(self, now: float) -> None:
        """Serve again the feeds whose phase changed (flaky, recovering)."""
        for feed in self.feeds:
            if feed.kind.name in ("flaky-500", "404-then-ok") and self.phase(feed, now) != feed.phase:
                self.serve(feed, now)

    def _add_item(self, feed: SoakFeed, now: float) -> None:
        story = self._story_for(feed)
        when = datetime.now(UTC)
        number = feed.published
        feed.published += 1
        link = self.server.url(f"/news/{feed.index}/{number}")
        article = replace(story.article, published=when)
        maker = teaser_item if feed.kind.teaser else full_item
        feed.items.insert(0, maker(article, link, guid=f"urn:soak:{feed.index}:{number}"))
        del feed.items[MAX_ITEMS:]
        feed.version += 1
        feed.last_modified = http_date(when)
        self._serve_page(feed, link, article)
        self.published[link] = Published(feed, self.elapsed(now), story)
        self._recent.append((feed, story))
        del self._recent[:-50]

    def _story_for(self, feed: SoakFeed) -> Story:
        others = [story for f, story in self._recent if f is not feed]
        if others and self.rng.random() < SYNDICATED_SHARE:
            return self.rng.choice(others)
        return self.stories.take(self.rng.random() < SYRIA_SHARE)

    def _serve_page(self, feed: SoakFeed, link: str, article: SourceArticle) -> None:
        if feed.kind.name == "teaser-flaky-pages" and self.rng.random() < BAD_PAGE_SHARE:
            trouble = self.rng.choice(("500", "404", "timeout"))
            self.bad_pages[trouble] += 1
            if trouble == "500":
                self.server.add(
                    link, b"<h1>Internal Server Error</h1>", status=500, content_type=HTML_CONTENT_TYPE
                )
            elif trouble == "timeout":
                page = article_page(article.title, article.text, published=article.published)
                self.server.add(link, page, delay=SLOW_HEADERS, content_type=HTML_CONTENT_TYPE)
            return  # "404": no route
        page = article_page(article.title, article.text, published=article.published)
        self.server.add(link, page, content_type=HTML_CONTENT_TYPE)

    def serve(self, feed: SoakFeed, now: float) -> None:
        """(Re)build the feed's route for its kind and phase."""
        feed.phase = phase = self.phase(feed, now)
        server, path, name = self.server, feed.path, feed.kind.name
        if phase != "ok":
            reason = b"Internal Server Error" if phase == "500" else b"Not Found"
            server.add(path, reason, status=int(phase), content_type="text/plain")
        elif name == "redirect-loop":
            server.redirect(path, f"/loop/{feed.index}/a")
            server.redirect(f"/loop/{feed.index}/a", f"/loop/{feed.index}/b")
            server.redirect(f"/loop/{feed.index}/b", path)
        else:
            server.add_route(path, self._route(feed))

    def _route(self, feed: SoakFeed) -> Route:
        """What a feed that answers serves, for its kind."""
        name, home = feed.kind.name, self.server.url("/")
        title = f"Soak outlet {feed.index}"
        etag = f'"soak-{feed.index}-v{feed.version}"'
        if name == "atom":
            body = atom_feed(feed.items, title=title, link=home, feed_id=f"urn:soak:feed:{feed.index}")
            return Route(body, etag=etag, content_type=ATOM_CONTENT_TYPE)
        if name == "windows-1256":
            body = rss_feed(feed.items, title=title, link=home, encoding="windows-1256")
            return Route(body, etag=etag, content_type="application/rss+xml; charset=windows-1256")
        body = rss_feed(feed.items, title=title, link=home)
        if name == "malformed":
            body = body.replace(
                b"<description>Syria news</description>",
                b"<description>Syria news &nbsp; <b>breaking</description><junk>",
                1,
            ).replace(b"</channel>\n</rss>", b"")
        elif name == "huge":
            body = body.replace(b"</channel>", b"<!--" + b"x" * (2 * MAX_DOWNLOAD) + b"--></channel>", 1)
        options: dict[str, dict[str, Any]] = {
            "gzip": {"compress": "gzip"},
            "last-modified": {"etag": None, "last_modified": feed.last_modified},
            "slow": {"delay": 2.0, "trickle": 0.2, "chunk_size": 4096},
            "timeout": {"delay": SLOW_HEADERS},
            "stall": {"trickle": 2.0, "chunk_size": 256},
            "huge": {"content_length": feed.index % 2 == 0},
        }
        return Route(body, **{"etag": etag, **options.get(name, {})})

    def yaml(self) -> str:
        """feeds.yaml for the bot."""
        lines = ["feeds:"]
        for feed in self.feeds:
            lines += [
                f"  - id: {feed.id}",
                f"    name: Soak outlet {feed.index} ({feed.kind.name})",
                f"    url: {self.server.url(feed.path)}",
                "    language: ar",
                f"    homepage: {self.server.url('/')}",
                f"    full_text: {'false' if feed.kind.teaser else 'true'}",
            ]
        return "\n".join(lines) + "\n"


# --- Telegram --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """A send the fake's flood limit refused, and the sends its windows held then."""

    at: float
    chat_id: int
    overall: int  # sends to any chat in the last second
    chat_second: int  # sends to this chat in the last second
    chat_minute: int  # ... in the last minute

    def limit(self, rate: int) -> str:
        """Which limit it broke."""
        if self.overall >= rate:
            return f"overall {rate}/s"
        if self.chat_second >= 1:
            return "1/s per chat"
        return "20/min per group"


class SoakTelegram(FakeTelegram):
    """The fake Bot API, counting its answers by method, status and description."""

    def __init__(self) -> None:
        super().__init__(TOKEN)
        self.answers: Counter[tuple[str, int, str]] = Counter()
        self.flood: list[Violation] = []  # what the flood limit refused
        self._answers_lock = threading.Lock()

    def handle(self, path: str, query: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer as the fake does, and count the answer."""
        status, payload = super().handle(path, query, content_type, body)
        method = path.rsplit("/", 1)[-1]
        description = "" if status == 200 else str(payload.get("description", ""))[:60]
        with self._answers_lock:
            self.answers[method, status, description] += 1
        return status, payload

    def _flood_check(self, chat_id: int) -> None:
        """The fake's check; a violation is recorded with the windows' contents, to say which limit."""
        before = self._violations
        try:
            super()._flood_check(chat_id)
        finally:
            if self._violations > before:
                now = time.monotonic()
                chat = self._chat_sends.get(chat_id, ())
                self.flood.append(
                    Violation(
                        at=now,
                        chat_id=chat_id,
                        overall=sum(1 for t in self._recent_sends if now - t < 1.0),
                        chat_second=sum(1 for t in chat if now - t < 1.0),
                        chat_minute=sum(1 for t in chat if now - t < 60.0),
                    )
                )


@dataclass(frozen=True, slots=True)
class Spec:
    """One subscription's filters (None matches anything)."""

    governorate: str | None = None
    event_category: str | None = None
    keyword: str | None = None
    min_killed: int | None = None

    @property
    def kind(self) -> str:
        """What the subscription filters on, for the figures."""
        parts = [
            name
            for name, value in (
                ("governorate", self.governorate),
                ("category", self.event_category),
                ("keyword", self.keyword),
                ("toll", self.min_killed),
            )
            if value is not None
        ]
        return " + ".join(parts) or "everything"


@dataclass(slots=True)
class Chat:
    """A subscriber: its chat, its subscriptions and the fault it will have."""

    chat_id: int
    kind: str
    language: str
    specs: list[Spec]
    fault: str = ""  # "", "blocked", "blocked-midway", "not-found"
    block_at: float | None = None  # seconds into the run, for blocked-midway


def governorates() -> list[str]:
    """The 14 governorates, as the gazetteer names them."""
    with PLACES_CSV.open(encoding="utf-8") as rows:
        return [row["governorate"] for row in csv.DictReader(rows) if row["kind"] == "governorate"]


def make_chats(count: int, rng: random.Random, run_seconds: float) -> list[Chat]:
    """`count` chats, a tenth of them groups, with subscriptions and faults drawn at random."""
    govs = governorates()
    codes = [c.code for c in categories()]
    chats: list[Chat] = []
    for i in range(count):
        if rng.random() < 0.1:
            supergroup = rng.random() < 2 / 3
            chat_id = -1_001_000_000_000 - i if supergroup else -4_000_000 - i
            kind = "supergroup" if supergroup else "group"
            # A group takes 20 messages a minute: one governorate, often one category, keeps it drainable.
            specs = [Spec(governorate=rng.choice(govs), event_category=rng.choice([None, *codes]))]
        else:
            chat_id, kind = 100_000_000 + i, "private"
            r = rng.random()
            if r < 0.04:
                specs = [Spec()]
            elif r < 0.60:
                specs = [Spec(governorate=g) for g in rng.sample(govs, rng.choice((1, 1, 2)))]
            elif r < 0.80:
                specs = [Spec(governorate=rng.choice(govs), event_category=rng.choice(codes))]
            elif r < 0.90:
                specs = [Spec(event_category=rng.choice(codes))]
            elif r < 0.95:
                specs = [Spec(keyword=rng.choice(KEYWORDS))]
            else:
                specs = [Spec(min_killed=rng.choice((1, 5)))]
        chat = Chat(chat_id, kind, "ar" if rng.random() < 0.7 else "en", specs)
        r = rng.random()
        if r < 0.03:
            chat.fault = "blocked"
        elif r < 0.06:
            chat.fault = "blocked-midway"
            chat.block_at = rng.uniform(0.2, 0.8) * run_seconds
        elif r < 0.075:
            chat.fault = "not-found"
        chats.append(chat)
    return chats


def subscribe(sessions: sessionmaker[Session], chats: Sequence[Chat]) -> None:
    """Create the subscribers and their subscriptions, through the store as the bot does."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for chat in chats:
            store.ensure_subscriber(session, chat.chat_id, kind=chat.kind, language=chat.language, now=now)
            for spec in chat.specs:
                store.add_subscription(
                    session,
                    chat.chat_id,
                    now=now,
                    governorate=spec.governorate,
                    event_category=spec.event_category,
                    keyword=spec.keyword,
                    min_killed=spec.min_killed,
                )


class TelegramFaults:
    """Chats blocked midway, and bursts of 429s, 500s and 502s on the next sends."""

    def __init__(
        self, telegram: FakeTelegram, chats: Sequence[Chat], rng: random.Random, *, every: float
    ) -> None:
        self.telegram = telegram
        self.rng = rng
        self.healthy = [c.chat_id for c in chats if not c.fault]
        self.midway = sorted((c for c in chats if c.fault == "blocked-midway"), key=lambda c: c.block_at or 0)
        self.injected: Counter[str] = Counter()  # "sendMessage 429" -> answers scheduled
        self.every = every
        self.next_at = every

    def start(self, chats: Sequence[Chat]) -> None:
        """The faults chats have from the start."""
        for chat in chats:
            if chat.fault == "blocked":
                self.telegram.block(chat.chat_id)
            elif chat.fault == "not-found":
                self.telegram.forget_chat(chat.chat_id)

    def tick(self, elapsed: float) -> None:
        """Block the chats due, and inject the next burst when due."""
        while self.midway and (self.midway[0].block_at or 0) <= elapsed:
            self.telegram.block(self.midway.pop(0).chat_id)
        while elapsed >= self.next_at:
            self.next_at += self.every
            self._burst()

    def _burst(self) -> None:
        r = self.rng.random()
        if r < 0.35:
            self._fail("sendMessage", 429, INJECTED_429, self.rng.randint(1, 3), retry_after=1)
        elif r < 0.6:
            self._fail("sendMessage", 500, "Internal Server Error", self.rng.randint(1, 5))
        elif r < 0.8:
            self._fail("sendMessage", 502, "Bad Gateway", self.rng.randint(1, 3))
        elif r < 0.9 and self.healthy:
            chat_id = self.rng.choice(self.healthy)
            self._fail("sendMessage", 429, INJECTED_429, 2, retry_after=1, chat_id=chat_id)
        else:
            self._fail("editMessageText", 500, "Internal Server Error", 1)

    def _fail(
        self,
        method: str,
        status: int,
        description: str,
        times: int,
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        self.telegram.fail(
            method,
            status=status,
            description=description,
            retry_after=retry_after,
            chat_id=chat_id,
            times=times,
        )
        self.injected[f"{method} {status}"] += times


# --- memory, database --------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float | None:
    """VmRSS of a process in MiB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute; None under 3 points."""
    if len(points) < 3:
        return None
    xs = [t / 60 for t, _ in points]
    ys = [m for _, m in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


@contextmanager
def database(kind: str, workdir: Path, admin_url: str, *, keep: bool) -> Iterator[str]:
    """The URL of an empty database: an SQLite file in `workdir`, or a PostgreSQL database created on
    the server of `admin_url` (the maintenance database) and dropped afterwards unless `keep`."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'soak.sqlite3'}"
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"soak_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept PostgreSQL database {name}", file=sys.stderr)
        else:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Counts read from the database during the run."""

    articles: int
    events: int
    outbox: dict[str, int]

    @property
    def unsettled(self) -> int:
        """Alerts still to deliver: pending, being sent or waiting for a retry."""
        return sum(self.outbox.get(s, 0) for s in ("pending", "sending", "failed"))


def snapshot(sessions: sessionmaker[Session]) -> Snapshot:
    """Articles, events and outbox rows by status, now."""
    with sessions() as session:
        return Snapshot(
            articles=session.scalar(select(func.count()).select_from(ArticleRow)) or 0,
            events=session.scalar(select(func.count()).select_from(EventRow)) or 0,
            outbox=store.outbox_counts(session),
        )


# --- the run -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """The bot's memory and the CPU time of the bot and of this process, some seconds into the run."""

    at: float
    rss_mib: float
    bot_cpu: float
    soak_cpu: float


@dataclass(slots=True)
class RunLog:
    """What happened while the bot ran."""

    started_in: float = 0.0  # seconds from launch to "bot started"
    run_seconds: float = 0.0
    drain_seconds: float = 0.0
    drained: bool = False
    crashed: bool = False
    exit_status: int | None = None
    stop_seconds: float = 0.0  # SIGTERM to exit
    items_published: int = 0
    memory: list[Sample] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Driver:
    """Publishes waves and injects faults for the run, then waits for the outbox to drain."""

    args: argparse.Namespace
    bot: BotProcess
    feeds: SoakFeeds
    faults: TelegramFaults
    sessions: sessionmaker[Session]
    telegram: FakeTelegram
    log: RunLog
    t0: float = 0.0
    next_sample: float = 0.0
    next_progress: float = 0.0

    def drive(self) -> None:
        """The run, then the drain."""
        self.t0 = self.next_sample = time.monotonic()
        self.next_progress = self.t0 + PROGRESS_EVERY
        self.feeds.started = self.t0
        self._publish()
        self.log.run_seconds = time.monotonic() - self.t0
        if not self.log.crashed:
            self._drain()
        self.log.drain_seconds = time.monotonic() - self.t0 - self.log.run_seconds
        self._sample(time.monotonic())

    def _publish(self) -> None:
        end = self.t0 + self.args.minutes * 60
        next_wave = self.t0 + self.args.wave_every
        while (now := time.monotonic()) < end:
            if not self._alive(now, "running"):
                return
            if now >= next_wave:
                self.log.items_published += self.feeds.wave(self.args.wave_share, now)
                next_wave += self.args.wave_every
            self.faults.tick(now - self.t0)
            time.sleep(0.2)

    def _drain(self) -> None:
        polls_before = self._polls()
        deadline = time.monotonic() + self.args.drain_timeout
        while (now := time.monotonic()) < deadline:
            if not self._alive(now, "draining"):
                return
            if self._polls() - polls_before >= 2 and snapshot(self.sessions).unsettled == 0:
                time.sleep(2.0)  # a write in flight: look once more
                if snapshot(self.sessions).unsettled == 0:
                    self.log.drained = True
                    return
            time.sleep(1.0)

    def _alive(self, now: float, what: str) -> bool:
        """Whether the bot runs; meanwhile serve the feeds' phases, sample and report progress."""
        if not self.bot.running():
            self.log.crashed = True
            return False
        self.feeds.tick(now)
        if now >= self.next_sample:
            self._sample(now)
            self.next_sample += self.args.sample_every
        if now >= self.next_progress:
            self._progress(now, what)
            self.next_progress += PROGRESS_EVERY
        return True

    def _polls(self) -> int:
        return sum(1 for line in self.bot.lines if _POLL_LINE.search(line))

    def _sample(self, now: float) -> None:
        mib, cpu = rss_mib(self.bot.pid), cpu_seconds(self.bot.pid)
        if mib is not None and cpu is not None:
            times = os.times()
            self.log.memory.append(Sample(now - self.t0, mib, cpu, times.user + times.system))

    def _progress(self, now: float, what: str) -> None:
        snap = snapshot(self.sessions)
        mib = self.log.memory[-1].rss_mib if self.log.memory else 0.0
        print(
            f"[{now - self.t0:6.0f} s] {what}: bot RSS {mib:.0f} MiB, {self.log.items_published} items "
            f"published, {snap.articles} articles, {snap.events} events, outbox "
            f"{dict(sorted(snap.outbox.items()))}, {len(self.telegram.messages())} messages",
            file=sys.stderr,
            flush=True,
        )


def run(args: argparse.Namespace, workdir: Path) -> int:
    """Set everything up, run the bot, check and print the figures; the exit status."""
    rng = random.Random(args.seed)
    run_seconds = args.minutes * 60
    kinds = [k for k in KINDS if k.name not in set(args.skip_kind)]
    waves = int(run_seconds // args.wave_every)
    per_wave = max(1, round(args.feeds * args.wave_share))
    items = args.feeds * args.initial_items + waves * per_wave * 2
    started = time.monotonic()
    stories = Stories(math.ceil(items * SYRIA_SHARE) + 10, math.ceil(items * (1 - SYRIA_SHARE)) + 10)
    print(
        f"screened articles: {len(stories.syria)} Syria, {len(stories.other)} other "
        f"({time.monotonic() - started:.1f} s)",
        file=sys.stderr,
    )
    chats = make_chats(args.subscribers, rng, run_seconds)
    log = RunLog()
    with (
        FeedServer() as server,
        SoakTelegram() as telegram,
        database(args.database, workdir, args.postgres_admin_url, keep=args.keep is not None) as url,
    ):
        upgrade(url)
        engine = make_engine(url)
        try:
            sessions = session_factory(engine)
            subscribe(sessions, chats)
            feeds = SoakFeeds(server, allot_kinds(args.feeds, kinds, rng), stories, rng, run_seconds)
            feeds.fill(args.initial_items, time.monotonic())
            log.items_published = len(feeds.published)
            feeds_file = workdir / "feeds.yaml"
            feeds_file.write_text(feeds.yaml(), encoding="utf-8")
            telegram.latency = TELEGRAM_LATENCY
            telegram.rate_limit(per_second=args.rate, per_chat_per_second=1, per_group_per_minute=20)
            faults = TelegramFaults(telegram, chats, rng, every=args.fault_every)
            faults.start(chats)
            settings = {
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "DATABASE_URL": url,
                "FEEDS_FILE": str(feeds_file),
                "POLL_INTERVAL_SECONDS": str(args.poll),
                "ALERTS_PER_SECOND": str(args.rate),
                "FEED_DISABLE_AFTER": str(args.disable_after),
                "FETCH_TIMEOUT_SECONDS": str(FETCH_TIMEOUT),
                "MAX_DOWNLOAD_BYTES": str(MAX_DOWNLOAD),
                "ADMIN_IDS": str(ADMIN_CHAT),
                "DEFAULT_LANGUAGE": "ar",
                "LOG_LEVEL": "INFO",
            }
            launched = time.monotonic()
            with BotProcess(settings, cwd=workdir, name="soak-bot") as bot:
                bot.wait_for_log(r"bot started", timeout=300)
                log.started_in = time.monotonic() - launched
                print(f"bot started in {log.started_in:.1f} s (pid {bot.pid})", file=sys.stderr)
                try:
                    Driver(args, bot, feeds, faults, sessions, telegram, log).drive()
                finally:
                    if bot.running():
                        stopping = time.monotonic()
                        log.exit_status = bot.terminate(timeout=180)
                        log.stop_seconds = time.monotonic() - stopping
                    else:
                        log.crashed = True
                    log.lines = list(bot.lines)
                    (workdir / "bot.log").write_text("\n".join(log.lines) + "\n", encoding="utf-8")
            figures = Figures.collect(
                sessions, telegram=telegram, feeds=feeds, chats=chats, faults=faults, log=log
            )
        finally:
            engine.dispose()
    figures.print_report(args, kinds, stories)
    return 0 if all(ok for _, ok, _ in figures.invariants(args)) else 1


# --- figures and checks ------------------------------------------------------------------------------


def _peak_per_second(times: Sequence[float]) -> int:
    """The most events in any 1 s window."""
    ordered = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(ordered):
        while ordered[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else math.nan


@dataclass(slots=True)
class Figures:
    """Everything measured after the run, and the evidence behind each invariant."""

    log: RunLog
    rows: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    dead_inactive: int = 0
    dead_other: Counter[str] = field(default_factory=Counter)
    events: int = 0
    event_versions: Counter[int] = field(default_factory=Counter)
    event_governorates: Counter[str] = field(default_factory=Counter)
    articles: int = 0
    syria_articles: int = 0
    duplicates: int = 0
    messages: int = 0
    edits: int = 0
    messages_edited: int = 0
    admin_messages: int = 0
    missing: list[str] = field(default_factory=list)  # sent rows without their message
    orphans: list[str] = field(default_factory=list)  # messages without a row
    twice: list[str] = field(default_factory=list)  # (chat, event) with two messages
    wrong_links: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # sent rows behind the event's version
    unsettled: list[str] = field(default_factory=list)  # pending, sending or failed rows
    deactivated: set[int] = field(default_factory=set)
    wrongly_deactivated: list[int] = field(default_factory=list)
    not_deactivated: list[int] = field(default_factory=list)
    fault_chats: Counter[str] = field(default_factory=Counter)
    fault_chats_gone: Counter[str] = field(default_factory=Counter)
    fault_chats_reached: Counter[str] = field(default_factory=Counter)
    subscription_kinds: Counter[str] = field(default_factory=Counter)
    answers: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    violations: int = 0
    flood: list[Violation] = field(default_factory=list)
    peak_sends: int = 0
    send_span: float = 0.0
    latencies: list[float] = field(default_factory=list)
    kind_rows: list[tuple[str, int, int, int, int, int, str]] = field(default_factory=list)
    lost_items: list[str] = field(default_factory=list)
    bad_pages: Counter[str] = field(default_factory=Counter)
    log_levels: Counter[str] = field(default_factory=Counter)
    log_notes: Counter[str] = field(default_factory=Counter)
    tracebacks: list[str] = field(default_factory=list)
    poll_gaps: list[float] = field(default_factory=list)

    @classmethod
    def collect(
        cls,
        sessions: sessionmaker[Session],
        *,
        telegram: SoakTelegram,
        feeds: SoakFeeds,
        chats: Sequence[Chat],
        faults: TelegramFaults,
        log: RunLog,
    ) -> Figures:
        """Read the database, the fake server and the bot's log."""
        f = cls(log=log)
        with sessions() as session:
            events = {e.id: e for e in session.scalars(select(EventRow))}
            outbox = list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
            articles = list(
                session.execute(
                    select(
                        ArticleRow.url, ArticleRow.event_id, ArticleRow.syria_related, ArticleRow.duplicate_of
                    )
                )
            )
            active = {
                r.chat_id: r.active
                for r in session.execute(select(SubscriberRow.chat_id, SubscriberRow.active))
            }
            feed_rows = {r.id: r for r in session.scalars(select(FeedRow))}
        f._outbox(outbox, events, active)
        f._articles(articles, events)
        f._messages(telegram, outbox, articles)
        f._chats(chats, outbox)
        f.answers = Counter(telegram.answers)
        f.injected = Counter(faults.injected)
        f.violations = telegram.violations
        f.flood = list(telegram.flood)
        f._feeds(feeds, feed_rows, {url for url, *_ in articles if url})
        f._log(log.lines)
        return f

    def _outbox(
        self, outbox: Sequence[OutboxRow], events: dict[int, EventRow], active: dict[int, bool]
    ) -> None:
        self.rows = len(outbox)
        self.events = len(events)
        self.event_versions = Counter(e.version for e in events.values())
        for e in events.values():
            self.event_governorates.update(e.governorates)
        self.deactivated = {chat_id for chat_id, is_active in active.items() if not is_active}
        for row in outbox:
            self.by_status[row.status] += 1
            if row.status == "dead":
                error = row.last_error or ""
                if row.chat_id in self.deactivated and any(e in error.lower() for e in INACTIVE_ERRORS):
                    self.dead_inactive += 1
                else:
                    self.dead_other[error[:80]] += 1
            if row.status in ("pending", "sending", "failed"):
                self.unsettled.append(
                    f"alert {row.id} (chat {row.chat_id}, event {row.event_id}) {row.status}, "
                    f"{row.attempts} attempts, next {row.next_attempt_at:%H:%M:%S}, "
                    f"last error {row.last_error!r}"
                )
            if row.status == "sent":
                if row.sent_at is not None:
                    self.latencies.append((row.sent_at - row.created_at).total_seconds())
                event = events.get(row.event_id)
                if event is not None and row.sent_version != event.version:
                    self.stale.append(
                        f"alert {row.id} (chat {row.chat_id}, event {row.event_id}) shows version "
                        f"{row.sent_version}, the event is at {event.version}"
                    )

    def _articles(self, articles: Sequence[Any], events: dict[int, EventRow]) -> None:
        self.articles = len(articles)
        self.syria_articles = sum(1 for a in articles if a.syria_related)
        self.duplicates = sum(1 for a in articles if a.duplicate_of is not None)

    def _messages(self, telegram: FakeTelegram, outbox: Sequence[OutboxRow], articles: Sequence[Any]) -> None:
        event_of_url = {a.url: a.event_id for a in articles if a.url}
        by_message = {
            (r.chat_id, r.telegram_message_id): r for r in outbox if r.telegram_message_id is not None
        }
        seen: Counter[tuple[int, int]] = Counter()  # (chat, outbox row id) -> messages
        per_event: dict[tuple[int, int], list[int]] = defaultdict(list)  # (chat, event) -> message ids
        for m in telegram.messages():
            if m.chat_id == ADMIN_CHAT:
                self.admin_messages += 1
                continue
            self.messages += 1
            self.edits += len(m.edits)
            self.messages_edited += bool(m.edits)
            linked = {event_of_url[u] for u in _LINK_RE.findall(m.text) if u in event_of_url}
            row = by_message.get((m.chat_id, m.message_id))
            if row is None:
                guess = next(iter(linked)) if len(linked) == 1 else None
                self.orphans.append(f"chat {m.chat_id} message {m.message_id} (event by its links: {guess})")
                if guess is not None:
                    per_event[m.chat_id, guess].append(m.message_id)
                continue
            seen[m.chat_id, row.id] += 1
            per_event[m.chat_id, row.event_id].append(m.message_id)
            if linked != {row.event_id}:
                self.wrong_links.append(
                    f"chat {m.chat_id} message {m.message_id}: row event {row.event_id}, "
                    f"links to {sorted(linked)}"
                )
        for (chat_id, event_id), ids in per_event.items():
            if len(ids) > 1:
                self.twice.append(f"chat {chat_id}, event {event_id}: messages {ids}")
        for row in outbox:
            if row.status == "sent" and seen[row.chat_id, row.id] != 1:
                self.missing.append(
                    f"alert {row.id} (chat {row.chat_id}, event {row.event_id}, message "
                    f"{row.telegram_message_id}): {seen[row.chat_id, row.id]} messages on the server"
                )
        sends = [
            c.at
            for c in telegram.calls()
            if c.method in ("sendMessage", "editMessageText") and c.status == 200
        ]
        self.peak_sends = _peak_per_second(sends)
        self.send_span = max(sends) - min(sends) if sends else 0.0

    def _chats(self, chats: Sequence[Chat], outbox: Sequence[OutboxRow]) -> None:
        rows_of: Counter[int] = Counter(r.chat_id for r in outbox)
        sent_to: Counter[int] = Counter(r.chat_id for r in outbox if r.telegram_message_id is not None)
        for chat in chats:
            label = chat.fault or "healthy"
            self.fault_chats[label] += 1
            for spec in chat.specs:
                self.subscription_kinds[spec.kind] += 1
            if chat.chat_id in self.deactivated:
                self.fault_chats_gone[label] += 1
                if not chat.fault:
                    self.wrongly_deactivated.append(chat.chat_id)
            elif chat.fault in ("blocked", "not-found") and rows_of[chat.chat_id]:
                self.not_deactivated.append(chat.chat_id)
            if sent_to[chat.chat_id]:
                self.fault_chats_reached[label] += 1

    def _feeds(self, feeds: SoakFeeds, rows: dict[str, FeedRow], stored: set[str]) -> None:
        self.bad_pages = Counter(feeds.bad_pages)
        published: dict[str, list[str]] = defaultdict(list)
        for link, item in feeds.published.items():
            published[item.feed.kind.name].append(link)
            if item.feed.kind.healthy and link not in stored:
                self.lost_items.append(f"{item.feed.id} ({item.feed.kind.name}) {link} at {item.at:.0f} s")
        for kind in [k for k in KINDS if any(feed.kind is k for feed in feeds.feeds)]:
            mine = [feed for feed in feeds.feeds if feed.kind is kind]
            states = [rows[feed.id] for feed in mine if feed.id in rows]
            links = published[kind.name]
            errors = Counter((r.last_error or "")[:50] for r in states if r.consecutive_errors)
            self.kind_rows.append(
                (
                    kind.name,
                    len(mine),
                    len(links),
                    sum(1 for link in links if link in stored),
                    sum(1 for r in states if r.consecutive_errors and not r.disabled),
                    sum(1 for r in states if r.disabled),
                    "; ".join(f"{e} ×{n}" for e, n in errors.most_common(2)),
                )
            )

    def _log(self, lines: Sequence[str]) -> None:
        poll_times: list[datetime] = []
        for i, line in enumerate(lines):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[2] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
                self.log_levels[parts[2]] += 1
                if _POLL_LINE.search(line):
                    poll_times.append(datetime.strptime(f"{parts[0]} {parts[1]}", "%Y-%m-%d %H:%M:%S,%f"))
            if line.startswith("Traceback"):
                self.tracebacks.append("\n".join(lines[max(0, i - 1) : i + 25]))
            for note, pattern in (
                ("flood control (429): all sending paused", "all sending paused"),
                ("flood control (429): one chat paused", "the chat paused"),
                ("chat gone: deactivated", "is gone ("),
                ("send failed, retried (5xx, network)", "failed (attempt"),
                ("alert given up", "giving up alert"),
                ("outcome not recorded", "could not record"),
                ("delivery pass failed", "delivery pass failed"),
                ("Telegram refused (400)", "Telegram refused"),
                ("feed fetch failed", ": fetch failed ("),
                ("feed disabled", "disabled after"),
                ("feed malformed (bozo)", ": malformed ("),
                ("article page not fetched", "article page"),
                ("admin not told", "cannot tell admin"),
            ):
                if pattern in line:
                    self.log_notes[note] += 1
        self.poll_gaps = [(b - a).total_seconds() for a, b in pairwise(poll_times)]

    # --- verdicts ---

    def memory_slope(self) -> float | None:
        """MiB/min over the second half of the run (publishing phase)."""
        half = self.log.run_seconds / 2
        run = self.log.run_seconds
        return slope_per_minute([(s.at, s.rss_mib) for s in self.log.memory if half <= s.at <= run])

    def flood_breakdown(self, rate: int) -> str:
        """The violations by whom they hit and which limit they broke."""
        kinds: Counter[str] = Counter()
        for v in self.flood:
            who = "admin chat" if v.chat_id == ADMIN_CHAT else "group" if v.chat_id < 0 else "private chat"
            kinds[f"{who}, {v.limit(rate)}"] += 1
        return ", ".join(f"{k} ×{n}" for k, n in kinds.most_common()) or "none"

    def injected_429(self) -> int:
        """429s answered that the flood limit did not cause (so: injected)."""
        return self._answered(429) - self.violations

    def _answered(self, status: int, method: str | None = None) -> int:
        return sum(n for (m, s, _), n in self.answers.items() if s == status and method in (None, m))

    def invariants(self, args: argparse.Namespace) -> list[tuple[str, bool, str]]:
        """(what, holds, evidence) for each invariant."""
        delivered = self.by_status["sent"]
        settled = delivered + self.dead_inactive
        slope = self.memory_slope()
        return [
            (
                "bot ran throughout, exit 0 on SIGTERM, no traceback",
                not self.log.crashed and self.log.exit_status == 0 and not self.tracebacks,
                (
                    f"crashed: {self.log.crashed}, exit status {self.log.exit_status}, "
                    f"{len(self.tracebacks)} tracebacks"
                ),
            ),
            (
                "outbox drained",
                self.log.drained and not self.unsettled,
                (
                    f"after {self.log.drain_seconds:.0f} s; {len(self.unsettled)} left"
                    + _examples(self.unsettled)
                ),
            ),
            (
                "queued = delivered + marked inactive",
                self.rows == settled and not self.dead_other,
                (
                    f"{self.rows} = {delivered} + {self.dead_inactive}; dead for another reason: "
                    f"{dict(self.dead_other.most_common(3))}"
                ),
            ),
            (
                "only the chats we broke were deactivated, all of them that had alerts",
                not self.wrongly_deactivated and not self.not_deactivated,
                (
                    f"healthy chats deactivated: {self.wrongly_deactivated[:5]}; broken chats with alerts "
                    f"still active: {self.not_deactivated[:5]}"
                ),
            ),
            (
                "one message per sent alert, nothing twice, links match",
                not (self.missing or self.orphans or self.twice or self.wrong_links),
                f"{len(self.missing)} sent rows without exactly one message, {len(self.orphans)} messages "
                f"without a row, {len(self.twice)} (chat, event) twice, {len(self.wrong_links)} wrong links"
                + _examples(self.missing + self.orphans + self.twice + self.wrong_links),
            ),
            (
                "corrections delivered (sent alerts show the event's version)",
                not self.stale,
                f"{len(self.stale)} stale" + _examples(self.stale),
            ),
            (
                "flood limits respected (429s only injected)",
                self.violations == 0,
                (
                    f"{self.violations} violations ({self.flood_breakdown(args.rate)}); "
                    f"{self._answered(429)} 429s answered, {self.injected_429()} injected"
                ),
            ),
            (
                "every item of a healthy feed stored",
                not self.lost_items,
                f"{len(self.lost_items)} lost" + _examples(self.lost_items),
            ),
            (
                f"memory flat (slope of 2nd half ≤ {args.max_slope:g} MiB/min)",
                slope is None or slope <= args.max_slope,
                "not enough samples" if slope is None else f"{slope:+.2f} MiB/min",
            ),
        ]

    # --- report ---

    def print_report(self, args: argparse.Namespace, kinds: Sequence[Kind], stories: Stories) -> None:
        """The figures as Markdown tables on stdout."""
        log = self.log
        backend = "SQLite (WAL)" if args.database == "sqlite" else "PostgreSQL"
        print(
            f"## Soak: {args.minutes:g} min, {args.feeds} feeds, {args.subscribers} subscribers, {backend}, "
            f"{args.rate} alerts/s\n"
        )
        print(
            f"`python -m bot run` as a child process; POLL_INTERVAL_SECONDS={args.poll}, "
            f"ALERTS_PER_SECOND={args.rate} (Telegram allows 30; raised to compress time, the fake server "
            f"enforces the same {args.rate}/s, 1/s per chat, 20/min per group), FETCH_TIMEOUT_SECONDS="
            f"{FETCH_TIMEOUT}, MAX_DOWNLOAD_BYTES={MAX_DOWNLOAD:,}, FEED_DISABLE_AFTER={args.disable_after} "
            f"(feed backoff starts at 5 min and is not compressed). Telegram latency "
            f"{TELEGRAM_LATENCY * 1000:.0f} ms per send. Waves every {args.wave_every:g} s to "
            f"{args.wave_share:.0%} of the feeds; {len(stories.syria)} Syria and {len(stories.other)} other "
            f"ANT articles screened; seed {args.seed}; {os.cpu_count()} CPUs. Bot started in "
            f"{log.started_in:.1f} s; run {log.run_seconds:.0f} s, drain {log.drain_seconds:.0f} s.\n"
        )
        self._print_figures(args)
        self._print_telegram()
        self._print_feeds(kinds)
        self._print_log()
        self._print_memory()
        print("\n| invariant | holds | evidence |")
        print("|---|---|---|")
        for name, ok, evidence in self.invariants(args):
            print(f"| {name} | {'yes' if ok else '**NO**'} | {evidence} |")
        for trace in self.tracebacks[:2]:
            print(f"\n```\n{trace}\n```")

    def _print_figures(self, args: argparse.Namespace) -> None:
        sent, log = self.by_status["sent"], self.log
        revised = sum(n for v, n in self.event_versions.items() if v > 1)
        others = [self.by_status[s] for s in ("pending", "sending", "failed")] + [
            sum(self.dead_other.values())
        ]
        rate = (sent + self.edits) / self.send_span if self.send_span else 0.0
        latency = [
            _quantile(self.latencies, 0.5),
            _quantile(self.latencies, 0.95),
            max(self.latencies, default=0),
        ]
        rows = [
            ("items published (initial + waves)", f"{log.items_published:,}"),
            ("articles stored (Syria-related)", f"{self.articles:,} ({self.syria_articles:,})"),
            ("near-duplicates (syndicated copies)", f"{self.duplicates:,}"),
            ("events created (revised at least once)", f"{self.events:,} ({revised:,})"),
            (
                "governorates with events",
                f"{len(self.event_governorates)}: "
                + ", ".join(f"{g} {n}" for g, n in self.event_governorates.most_common()),
            ),
            ("**alerts queued (outbox rows)**", f"**{self.rows:,}**"),
            ("delivered (sent)", f"{sent:,}"),
            ("marked inactive (dead: chat gone)", f"{self.dead_inactive:,}"),
            ("other (pending / sending / failed / dead otherwise)", " / ".join(map(str, others))),
            ("messages on the server (to subscribers)", f"{self.messages:,}"),
            ("corrections: edits (messages edited)", f"{self.edits:,} ({self.messages_edited:,})"),
            (
                "sent rows without exactly one message / messages without a row",
                f"{len(self.missing)} / {len(self.orphans)}",
            ),
            ("(chat, event) with two messages", f"{len(self.twice)}"),
            (
                "delivery latency queued → sent: median / p95 / max",
                " / ".join(f"{x:.1f}" for x in latency) + " s",
            ),
            (
                "sends + edits at the server: peak in 1 s / mean over the sending span",
                f"{self.peak_sends} / {rate:.0f}",
            ),
            (
                "flood-limit violations (429 not injected)",
                f"{self.violations}: {self.flood_breakdown(args.rate)}",
            ),
            ("SIGTERM → exit (status)", f"{log.stop_seconds:.1f} s ({log.exit_status})"),
            ("feed-disabled notices to the admin", f"{self.admin_messages}"),
        ]
        print("| figure | value |")
        print("|---|--:|")
        for name, value in rows:
            print(f"| {name} | {value} |")

    def _print_telegram(self) -> None:
        print("\n| Telegram answers | count |")
        print("|---|--:|")
        for (method, status, description), n in sorted(self.answers.items()):
            if method in ("sendMessage", "editMessageText"):
                print(f"| {method} {status} {description} | {n:,} |")
        injected = ", ".join(f"{k} ×{n}" for k, n in sorted(self.injected.items()))
        print(
            f"\nInjected (scheduled answers): {injected}; 429s answered {self._answered(429)}, of which "
            f"injected {self.injected_429()}, flood violations {self.violations}."
        )
        print("\n| chats | count | reached (≥ 1 message) | deactivated |")
        print("|---|--:|--:|--:|")
        for label in ("healthy", "blocked", "blocked-midway", "not-found"):
            counts = (self.fault_chats[label], self.fault_chats_reached[label], self.fault_chats_gone[label])
            print(f"| {label} | {' | '.join(map(str, counts))} |")
        print(
            "\nSubscriptions: "
            + ", ".join(f"{k} {n}" for k, n in self.subscription_kinds.most_common())
            + "."
        )

    def _print_feeds(self, kinds: Sequence[Kind]) -> None:
        print(
            "\n| feed kind | what | feeds | items published | stored | failing at end | disabled "
            "| last errors |"
        )
        print("|---|---|--:|--:|--:|--:|--:|---|")
        what = {k.name: k.what for k in kinds}
        for name, *counts, errors in self.kind_rows:
            print(f"| {name} | {what[name]} | {' | '.join(map(str, counts))} | {errors} |")
        print(f"\nBad pages served (teaser-flaky-pages): {dict(self.bad_pages)}.")
        if self.poll_gaps:
            print(
                f"Polls: {len(self.poll_gaps) + 1}, gap between two poll reports median "
                f"{statistics.median(self.poll_gaps):.1f} s, max {max(self.poll_gaps):.1f} s."
            )

    def _print_log(self) -> None:
        print("\n| bot log | count |")
        print("|---|--:|")
        for level in ("WARNING", "ERROR", "CRITICAL"):
            print(f"| {level} lines | {self.log_levels[level]:,} |")
        for note, n in sorted(self.log_notes.items()):
            print(f"| {note} | {n:,} |")
        print(f"| tracebacks | {len(self.tracebacks)} |")

    def _print_memory(self) -> None:
        print("\n| t (s) | bot RSS (MiB) | bot CPU % | soak process CPU % |")
        print("|--:|--:|--:|--:|")
        previous: Sample | None = None
        for sample in self.log.memory:
            cpu = ("", "")
            if previous is not None and sample.at > previous.at:
                span = sample.at - previous.at
                cpu = (
                    f"{100 * (sample.bot_cpu - previous.bot_cpu) / span:.0f}",
                    f"{100 * (sample.soak_cpu - previous.soak_cpu) / span:.0f}",
                )
            print(f"| {sample.at:.0f} | {sample.rss_mib:.1f} | {cpu[0]} | {cpu[1]} |")
            previous = sample
        slope = self.memory_slope()
        series = [sample.rss_mib for sample in self.log.memory]
        if series:
            trend = "n/a" if slope is None else f"{slope:+.2f} MiB/min"
            print(
                f"\nRSS: first {series[0]:.1f}, peak {max(series):.1f}, last {series[-1]:.1f} MiB; "
                f"slope over the second half of the run: {trend}."
            )


def _examples(items: Sequence[str], count: int = 3) -> str:
    return f" (e.g. {'; '.join(items[:count])})" if items else ""


# --- command line ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="publishing time (default 10)")
    parser.add_argument("--feeds", type=int, default=200, help="feeds (default 200)")
    parser.add_argument("--subscribers", type=int, default=2000, help="subscribers (default 2000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-admin-url",
        default=DEFAULT_POSTGRES_ADMIN_URL,
        help="maintenance database where the run's database is created (default: %(default)s)",
    )
    parser.add_argument("--rate", type=int, default=300, help="ALERTS_PER_SECOND and the server's limit")
    parser.add_argument("--poll", type=int, default=10, help="POLL_INTERVAL_SECONDS (default 10)")
    parser.add_argument("--wave-every", type=float, default=20.0, help="seconds between waves (default 20)")
    parser.add_argument("--wave-share", type=float, default=0.05, help="feeds publishing per wave (0.05)")
    parser.add_argument("--initial-items", type=int, default=2, help="items per feed at start (default 2)")
    parser.add_argument("--fault-every", type=float, default=3.0, help="seconds between Telegram faults (3)")
    parser.add_argument("--disable-after", type=int, default=2, help="FEED_DISABLE_AFTER (default 2)")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--sample-every", type=float, default=10.0, help="RSS sampling (default 10 s)")
    parser.add_argument("--max-slope", type=float, default=2.0, help="MiB/min allowed (default 2)")
    parser.add_argument(
        "--skip-kind",
        action="append",
        default=[],
        choices=[k.name for k in KINDS],
        help="feed kind to leave out",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="run in this directory and keep it (and the database)")
    args = parser.parse_args(argv)
    for name in ("feeds", "subscribers", "rate", "poll", "disable_after"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if min(args.minutes, args.wave_every, args.sample_every, args.fault_every) <= 0:
        parser.error("--minutes, --wave-every, --sample-every and --fault-every must be positive")
    if not 0 < args.wave_share <= 1:
        parser.error("--wave-share must be in (0, 1]")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak; 0 if every invariant holds, 1 if one fails."""
    args = parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        if (args.keep / "soak.sqlite3").exists():
            print(
                f"error: {args.keep / 'soak.sqlite3'} exists; the soak needs a fresh database",
                file=sys.stderr,
            )
            return 2
        return run(args, args.keep)
    with tempfile.TemporaryDirectory(prefix="soak-") as workdir:
        return run(args, Path(workdir))


if __name__ == "__main__":
    raise SystemExit(main())
