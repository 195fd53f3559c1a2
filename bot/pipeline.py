"""The processing pipeline: poll feeds, keep new entries, fetch full text, analyse, de-duplicate,
cluster into events, store, and queue alerts for the subscribers an event matches.

I/O: HTTP through `bot.fetch.Fetcher`, the database through `bot.store` (run in a worker thread),
CPU-heavy analysis in an executor (a process pool in the bot) so the event loop stays responsive.

One poll:
1. Each feed that is enabled and due is fetched with its validators (a 304 ends there). A failure
   counts towards the feed's error count; it is retried later with exponential backoff and
   disabled after `feed_disable_after` failures in a row (the `on_feed_disabled` hook tells admins).
2. Entries whose identity the feed already stored are skipped: a restart does not re-process (or
   re-alert) anything.
3. A teaser-only entry gets the article page's main text (trafilatura); both are kept.
4. `analyze` (summary, relevance, events, places, actors, casualties) and the article's
   near-duplicate fingerprint and event signature run in the executor.
5. Stored one article at a time, each in its own transaction: a near-duplicate of a recent article
   (MinHash) becomes a second source of it; a Syria article joins the open event it matches
   (`summarizer.cluster.best_match`) or opens a new one; the event's alert is queued for every
   matching subscriber (once per chat; a revised event is re-queued as an edit).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.db import FeedRow
from bot.extract import extract_article
from bot.fetch import HTML_ACCEPT, Fetcher, next_attempt
from bot.identity import canonical_url
from bot.models import FeedConfig, FeedEntry, FetchStatus
from bot.parse import parse_feed
from summarizer.cluster import (
    DEFAULT_WINDOW,
    DuplicateIndex,
    EventSignature,
    Fingerprint,
    best_match,
    merge,
    signature,
)

log = logging.getLogger(__name__)

TEASER_CHARS = 600  # an entry with less text than this is a teaser: fetch the page
_REOPEN = 2  # open events are looked for among articles fetched within this many windows


@dataclass(frozen=True, slots=True)
class AnalysisJob:
    """What the executor needs to analyse one entry (plain values: it may cross processes)."""

    text: str
    title: str
    published: datetime
    language: str


@dataclass(frozen=True, slots=True)
class AnalysisOutcome:
    """What the executor gives back: the analysis JSON, the fingerprint and the event signature."""

    analysis: dict[str, Any]
    fingerprint: list[int]
    signature: dict[str, object]


def analyse_job(job: AnalysisJob) -> AnalysisOutcome:
    """Analyse one entry (runs in the executor; module-level so a process pool can pickle it)."""
    from summarizer import analyze  # noqa: PLC0415 (imported in the worker)

    analysis = analyze(job.text, title=job.title or None, language=None)
    sig = signature(analysis, job.text, job.published, title=job.title or None)
    return AnalysisOutcome(analysis.to_json(), sig.fingerprint.to_list(), sig.to_json())


def warm_up() -> None:
    """Load the gazetteer and lexicons once per worker, before the first article waits for them."""
    analyse_job(AnalysisJob("قصف على إدلب. Shelling in Idlib.", "", datetime.now(UTC), "ar"))


@dataclass(frozen=True, slots=True)
class NewArticle:
    """One new article of a poll: the line `python -m bot poll --jsonl` prints."""

    url: str | None
    feed: str
    title: str
    language: str
    syria_related: bool
    event_id: int | None
    duplicate_of: int | None
    sub_event_types: list[str]
    governorates: list[str]
    places: list[dict[str, Any]]
    killed: int | None
    injured: int | None

    def to_json(self) -> dict[str, Any]:
        """The JSON line of the poll command's contract."""
        return {
            "url": self.url,
            "feed": self.feed,
            "title": self.title,
            "language": self.language,
            "syria_related": self.syria_related,
            "event_id": self.event_id,
            "sub_event_types": self.sub_event_types,
            "governorates": self.governorates,
            "places": self.places,
            "killed": self.killed,
            "injured": self.injured,
        }


@dataclass(slots=True)
class PollReport:
    """What one poll did, for the command line, the logs and the admins' /stats."""

    feeds: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    skipped: int = 0
    disabled: list[str] = field(default_factory=list)
    articles: list[NewArticle] = field(default_factory=list)
    duplicates: int = 0
    events_created: int = 0
    events_updated: int = 0
    alerts_queued: int = 0


@dataclass(slots=True)
class _OpenEvents:
    """The running signatures of the events still open to new reports, and recent fingerprints."""

    signatures: dict[int, EventSignature] = field(default_factory=dict)
    fingerprints: DuplicateIndex[int] = field(default_factory=DuplicateIndex)

    def candidates(self, sig: EventSignature) -> list[tuple[int, EventSignature]]:
        """The open events that could take an article with this signature: those whose reports fall
        within the clustering window of it (the others are closed for it)."""
        return [
            (event_id, other)
            for event_id, other in self.signatures.items()
            if abs(sig.first_published - other.last_published) <= DEFAULT_WINDOW
            or abs(other.first_published - sig.last_published) <= DEFAULT_WINDOW
        ]


class Pipeline:
    """Polls feeds and turns their new entries into stored articles, events and queued alerts."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        fetcher: Fetcher,
        *,
        executor: Executor | None = None,
        disable_after: int = 10,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_feed_disabled: Callable[[str, str], Awaitable[None]] | None = None,
        on_article: Callable[[NewArticle], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._fetcher = fetcher
        self._executor = executor
        self._disable_after = disable_after
        self._clock = clock
        self._on_feed_disabled = on_feed_disabled
        self._on_article = on_article
        self._store_lock = asyncio.Lock()  # one writer: SQLite serialises writes anyway
        self._open: _OpenEvents | None = None
        self._open_loaded_at = datetime.min.replace(tzinfo=UTC)

    async def poll(
        self, feeds: Sequence[FeedConfig], *, progress: Callable[[int, int], None] | None = None
    ) -> PollReport:
        """Poll every feed once (concurrently, within the fetcher's limit)."""
        report = PollReport(feeds=len(feeds))
        now = self._clock()
        await asyncio.to_thread(self._sync, feeds)
        if self._open is None or now - self._open_loaded_at > DEFAULT_WINDOW:
            # Loaded at start, then kept between polls (reloaded daily to drop closed events).
            self._open = await asyncio.to_thread(self._load_open_events, now)
            self._open_loaded_at = now
        open_events = self._open
        done = 0

        async def one(feed: FeedConfig) -> None:
            nonlocal done
            try:
                await self._poll_feed(feed, report, open_events)
            except Exception:  # one feed's bug must not stop the others
                log.exception("feed %s: poll failed", feed.id)
                report.failed += 1
                # A store that failed may have left the in-memory open events ahead of the
                # database (a fingerprint of a rolled-back article): reload them next poll. The
                # feed's validators were not saved, so its entries come again.
                self._open = None
            done += 1
            if progress is not None:
                progress(done, len(feeds))

        await asyncio.gather(*(one(feed) for feed in feeds))
        return report

    # --- one feed -------------------------------------------------------------------------------

    async def _poll_feed(self, feed: FeedConfig, report: PollReport, open_events: _OpenEvents) -> None:
        now = self._clock()
        state = await asyncio.to_thread(self._feed_state, feed.id)
        if state is not None and (state.disabled or (state.next_attempt_at and state.next_attempt_at > now)):
            report.skipped += 1
            return
        etag = state.etag if state else None
        last_modified = state.last_modified if state else None
        result = await self._fetcher.fetch(feed.url, etag=etag, last_modified=last_modified)
        errors = (state.consecutive_errors if state else 0) + 1
        if result.status is FetchStatus.NOT_MODIFIED:
            await asyncio.to_thread(
                self._record_fetch,
                feed.id,
                ok=True,
                now=now,
                not_modified=True,
                etag=result.etag,
                last_modified=result.last_modified,
            )
            report.not_modified += 1
            return
        if result.status is FetchStatus.FAILED:
            record = await asyncio.to_thread(
                self._record_fetch,
                feed.id,
                ok=False,
                now=now,
                error=result.error,
                next_attempt_at=next_attempt(errors, now),
            )
            report.failed += 1
            log.warning("feed %s: fetch failed (%s), %d in a row", feed.id, result.error, errors)
            if record.just_disabled:
                report.disabled.append(feed.id)
                log.error("feed %s: disabled after %d failures in a row", feed.id, errors)
                if self._on_feed_disabled is not None:
                    await self._on_feed_disabled(feed.id, result.error or "unknown error")
            return
        report.fetched += 1
        parsed = await asyncio.to_thread(parse_feed, feed, result)
        if parsed.bozo:
            log.info("feed %s: malformed (%s); %d entries kept", feed.id, parsed.reason, len(parsed.entries))
        known = await asyncio.to_thread(self._known, feed.id, [e.identity for e in parsed.entries])
        fresh = [e for e in parsed.entries if e.identity not in known]
        outcomes = await asyncio.gather(*(self._prepare(feed, entry) for entry in fresh))
        for entry, (text, teaser, outcome) in zip(fresh, outcomes, strict=True):
            if outcome is None:
                continue
            async with self._store_lock:
                article = await asyncio.to_thread(
                    functools.partial(
                        self._store_entry,
                        feed,
                        entry,
                        text=text,
                        teaser=teaser,
                        outcome=outcome,
                        open_events=open_events,
                        report=report,
                    )
                )
            report.articles.append(article)
            if self._on_article is not None:
                self._on_article(article)
        # The validators are saved only now that every entry is stored: a poll cut short (a crash, a
        # stop) fetches the whole feed again next time, instead of a 304 that would skip the rest.
        await asyncio.to_thread(
            self._record_fetch,
            feed.id,
            ok=True,
            now=now,
            etag=result.etag,
            last_modified=result.last_modified,
        )

    async def _prepare(self, feed: FeedConfig, entry: FeedEntry) -> tuple[str, str, AnalysisOutcome | None]:
        """The entry's full text (fetched when the feed gives a teaser), analysed in the executor."""
        teaser = entry.summary
        text = entry.content or entry.summary
        loop = asyncio.get_running_loop()
        if entry.url and (not feed.full_text or len(text) < TEASER_CHARS):
            page = await self._fetcher.fetch(entry.url, accept=HTML_ACCEPT)
            if page.status is FetchStatus.OK:
                try:
                    extracted = await loop.run_in_executor(
                        self._executor, extract_article, page.body, entry.url, page.headers
                    )
                except Exception:  # a page that breaks the extractor (or its worker): keep the teaser
                    log.exception("feed %s: extraction of %s failed", feed.id, entry.url)
                    extracted = None
                if extracted is not None and len(extracted.text) > len(text):
                    text = extracted.text
            else:
                log.info("feed %s: article page %s not fetched (%s)", feed.id, entry.url, page.error)
        if not text.strip() and not entry.title.strip():
            return text, teaser, None
        published = entry.published or self._clock()
        job = AnalysisJob(text or entry.title, entry.title, published, feed.language)
        try:
            outcome = await loop.run_in_executor(self._executor, analyse_job, job)
        except Exception:  # a text that breaks the analyser must not stop the feed
            log.exception("feed %s: analysis of %s failed", feed.id, entry.url or entry.identity)
            return text, teaser, None
        return text, teaser, outcome

    # --- the database (worker thread) -----------------------------------------------------------

    def _sync(self, feeds: Sequence[FeedConfig]) -> None:
        with self._sessions.begin() as session:
            store.sync_feeds(session, feeds)

    def _feed_state(self, feed_id: str) -> FeedRow | None:
        with self._sessions() as session:
            return store.feed_state(session, feed_id)

    def _record_fetch(self, feed_id: str, **kwargs: Any) -> store.FetchRecord:
        with self._sessions.begin() as session:
            return store.record_fetch(session, feed_id, disable_threshold=self._disable_after, **kwargs)

    def _known(self, feed_id: str, identities: list[str]) -> set[str]:
        with self._sessions() as session:
            return store.known_identities(session, feed_id, identities)

    def _load_open_events(self, now: datetime) -> _OpenEvents:
        since = now - _REOPEN * DEFAULT_WINDOW
        open_events = _OpenEvents()
        with self._sessions() as session:
            for row in store.recent_fingerprints(session, since):
                try:
                    open_events.fingerprints.add(row.article_id, Fingerprint.from_list(row.fingerprint))
                except ValueError:
                    continue  # an older fingerprint scheme: not comparable
            for event_id, analysis in store.recent_event_analyses(session, since):
                raw = analysis.get("signature")
                if not isinstance(raw, dict):
                    continue
                try:
                    sig = EventSignature.from_json(raw)
                except (KeyError, ValueError):
                    continue
                current = open_events.signatures.get(event_id)
                open_events.signatures[event_id] = sig if current is None else merge(current, sig)
        return open_events

    def _store_entry(
        self,
        feed: FeedConfig,
        entry: FeedEntry,
        *,
        text: str,
        teaser: str,
        outcome: AnalysisOutcome,
        open_events: _OpenEvents,
        report: PollReport,
    ) -> NewArticle:
        now = self._clock()
        analysis = outcome.analysis
        fp = Fingerprint.from_list(outcome.fingerprint)
        sig = EventSignature.from_json(outcome.signature)
        duplicate_of = open_events.fingerprints.find(fp)
        with self._sessions.begin() as session:
            row = store.add_article(
                session,
                feed_id=feed.id,
                identity=entry.identity,
                title=entry.title,
                fetched_at=now,
                url=entry.url,
                canonical_url=canonical_url(entry.url) if entry.url else None,
                language=str(analysis["language"]),
                published_at=entry.published,
                summary=list(analysis["summary"]),
                text=text,
                teaser=teaser,
                syria_related=bool(analysis["syria_related"]),
                relevance=float(analysis["relevance"]),
                analysis={**analysis, "signature": outcome.signature},
                fingerprint=outcome.fingerprint,
                duplicate_of=duplicate_of,
            )
            if duplicate_of is not None:
                report.duplicates += 1
            else:
                open_events.fingerprints.add(row.id, fp)
            event_id = row.event_id
            if analysis["syria_related"]:
                event_id = self._cluster(
                    session,
                    row.id,
                    event_id,
                    analysis=analysis,
                    sig=sig,
                    open_events=open_events,
                    report=report,
                )
        return NewArticle(
            url=entry.url,
            feed=feed.id,
            title=entry.title,
            language=str(analysis["language"]),
            syria_related=bool(analysis["syria_related"]),
            event_id=event_id,
            duplicate_of=duplicate_of,
            sub_event_types=list(dict.fromkeys(e["sub_event_type"] for e in analysis["events"])),
            governorates=list(dict.fromkeys(p["governorate"] for p in analysis["places"])),
            places=list(analysis["places"]),
            killed=analysis["killed"],
            injured=analysis["injured"],
        )

    def _cluster(
        self,
        session: Session,
        article_id: int,
        event_id: int | None,
        *,
        analysis: dict[str, Any],
        sig: EventSignature,
        open_events: _OpenEvents,
        report: PollReport,
    ) -> int:
        """Attach the article to its event (the duplicate's, the best match, or a new one)."""
        now = self._clock()
        if event_id is None:
            event_id = best_match(sig, open_events.candidates(sig))
        facts = _facts(analysis, sig)
        if event_id is None:
            event = store.create_event(session, facts, article_id=article_id, now=now)
            open_events.signatures[event.id] = sig
            report.events_created += 1
        else:
            running = open_events.signatures.get(event_id)
            open_events.signatures[event_id] = sig if running is None else merge(running, sig)
            store.assign_event(session, article_id, event_id)
            current = store.get_event(session, event_id)
            assert current is not None  # the signature came from this event's articles
            merged = _merge_facts(store.event_facts(current), facts)
            if store.update_event(session, event_id, merged, now=now):
                report.events_updated += 1
            event = current
        targets = store.matching_subscribers(session, event)
        report.alerts_queued += store.queue_alerts(session, event, targets, now=now)
        return event.id


def _facts(analysis: dict[str, Any], sig: EventSignature) -> store.EventFacts:
    """An event's facts from one article's analysis."""
    events = analysis["events"]
    places = tuple(
        store.EventPlace(
            p["id"],
            p["name_en"],
            p["governorate"],
            p["district"],
            float(p["lat"]),
            float(p["lon"]),
            int(p["precision"]),
        )
        for p in sorted(analysis["places"], key=lambda p: int(p["precision"]))
    )
    return store.EventFacts(
        occurred_at=sig.first_published,
        event_types=tuple(dict.fromkeys(e["event_type"] for e in events)),
        sub_event_types=tuple(dict.fromkeys(e["sub_event_type"] for e in events)),
        places=places,
        killed=analysis["killed"],
        injured=analysis["injured"],
        fingerprint=tuple(sig.fingerprint.to_list()),
    )


def _merge_facts(old: store.EventFacts, new: store.EventFacts) -> store.EventFacts:
    """An event's facts after one more report: places and types united (the first report's primary
    place stays first), the earliest time, and the highest toll of each kind (tolls are revised up)."""
    seen = {p.place_id for p in old.places}
    return store.EventFacts(
        occurred_at=min((t for t in (old.occurred_at, new.occurred_at) if t is not None), default=None),
        event_types=tuple(dict.fromkeys([*old.event_types, *new.event_types])),
        sub_event_types=tuple(dict.fromkeys([*old.sub_event_types, *new.sub_event_types])),
        places=(*old.places, *(p for p in new.places if p.place_id not in seen)),
        killed=_highest(old.killed, new.killed),
        injured=_highest(old.injured, new.injured),
        fingerprint=old.fingerprint,
    )


def _highest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
