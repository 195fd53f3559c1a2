"""The repository: every read and write the pipeline and the bot make, as plain functions.

Each function takes a SQLAlchemy `Session` and neither commits nor rolls back: the caller owns the
transaction (`with sessions.begin() as session: ...`). They are synchronous; the async bot runs them
in a worker thread. Queries return ORM rows from `bot.db` (readable after commit, as sessions are
made with `expire_on_commit=False`); results that are not rows are frozen dataclasses. Times are
timezone-aware UTC and anything that depends on "now" takes it as a parameter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, Final, NamedTuple, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    Table,
    and_,
    case,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db import (
    NO_THREAD,
    ArticleRow,
    EventPlaceRow,
    EventRow,
    FeedRow,
    OutboxRow,
    PlaceRow,
    SubscriberRow,
    SubscriptionRow,
)
from bot.fetch import should_disable
from bot.filters import matching_category_codes
from bot.models import FeedConfig
from summarizer.models import PlaceMention
from summarizer.textnorm import normalize_text

EARTH_RADIUS_KM: Final = 6371.0088
KM_PER_DEGREE: Final = math.pi * EARTH_RADIUS_KM / 180
EDIT_WINDOW: Final = timedelta(hours=48)
"""How long after an alert was first sent a revised event still edits it."""
_CHUNK: Final = 500  # rows or bound values per statement: far below SQLite's and PostgreSQL's limits
_CLAIMABLE: Final = ("pending", "failed")
_T = TypeVar("_T")


# --- Records ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """What `record_fetch` did: the feed's row, and whether this failure just disabled it."""

    feed: FeedRow
    just_disabled: bool


class FingerprintRow(NamedTuple):
    """A recent article's fingerprint, for near-duplicate search."""

    article_id: int
    event_id: int | None
    fingerprint: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class EventPlace:
    """A place of an event, as stored in `event_places`."""

    place_id: str
    name: str
    governorate: str
    district: str | None
    lat: float
    lon: float
    precision: int

    @classmethod
    def from_mention(cls, mention: PlaceMention) -> EventPlace:
        """The place of a tagger mention."""
        place = mention.place
        return cls(
            place.id,
            place.name_en,
            place.governorate,
            place.district,
            place.lat,
            place.lon,
            mention.precision,
        )


@dataclass(frozen=True, slots=True)
class EventFacts:
    """An event's best-known facts, as the pipeline merges them from its articles.

    `places[0]` is the primary place; the governorates are those of the places, in order.
    """

    occurred_at: datetime | None = None
    event_types: tuple[str, ...] = ()
    sub_event_types: tuple[str, ...] = ()
    places: tuple[EventPlace, ...] = ()
    killed: int | None = None
    injured: int | None = None
    fingerprint: tuple[int, ...] | None = None

    @property
    def governorates(self) -> list[str]:
        """The governorates of the places, in order of first appearance."""
        return list(dict.fromkeys(p.governorate for p in self.places))


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet's article about an event."""

    article_id: int
    feed_id: str
    feed_name: str
    url: str | None
    title: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class NearbyEvent:
    """An event near a point: its row, its place nearest the point, and how far that is."""

    event: EventRow
    place_id: str
    distance_km: float


@dataclass(frozen=True, slots=True)
class AlertTarget:
    """Where an alert goes: a chat, and a forum topic in it (None: the chat itself)."""

    chat_id: int
    message_thread_id: int | None = None
    language: str = "ar"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed alert, ready for the sender; `needs_edit` says to edit `telegram_message_id`."""

    id: int
    event_id: int
    event_version: int
    chat_id: int
    message_thread_id: int | None
    needs_edit: bool
    telegram_message_id: int | None
    attempts: int


# --- Feeds -----------------------------------------------------------------------------------------


def sync_feeds(session: Session, configs: Iterable[FeedConfig]) -> list[FeedRow]:
    """Make the feeds table agree with feeds.yaml; return the rows in `configs` order.

    New feeds are added; a feed whose URL changed starts afresh (validators, errors, disabling
    belong to the old URL). Feeds no longer configured are kept, as their articles refer to them.
    """
    existing = {row.id: row for row in session.scalars(select(FeedRow))}
    rows: list[FeedRow] = []
    for config in configs:
        row = existing.get(config.id)
        if row is None:
            row = FeedRow(id=config.id, url=config.url, consecutive_errors=0, disabled=False)
            session.add(row)
            existing[config.id] = row
        elif row.url != config.url:
            row.url = config.url
            _reset_feed(row)
        row.name = config.name
        row.language = config.language
        rows.append(row)
    session.flush()
    return rows


def feed_state(session: Session, feed_id: str) -> FeedRow | None:
    """The feed's row, or None if it was never synced."""
    return session.get(FeedRow, feed_id)


def all_feeds(session: Session) -> list[FeedRow]:
    """Every feed row, by id (for the admins' /feeds)."""
    return list(session.scalars(select(FeedRow).order_by(FeedRow.id)))


def feeds_due(session: Session, now: datetime) -> list[FeedRow]:
    """Enabled feeds whose backoff has run out at `now`, by id."""
    stmt = (
        select(FeedRow)
        .where(~FeedRow.disabled, or_(FeedRow.next_attempt_at.is_(None), FeedRow.next_attempt_at <= now))
        .order_by(FeedRow.id)
    )
    return list(session.scalars(stmt))


def record_fetch(
    session: Session,
    feed_id: str,
    *,
    ok: bool,
    now: datetime,
    disable_threshold: int,
    not_modified: bool = False,
    etag: str | None = None,
    last_modified: str | None = None,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> FetchRecord:
    """Record one fetch of a feed: validators on success, the error count on failure.

    The `disable_threshold`-th failure in a row disables the feed (0: never; the rule is
    `fetch.should_disable`), and `just_disabled` is then True so the caller can tell the admins.
    A success clears the count and re-enables the feed. A 304 keeps the stored validators unless
    it sends new ones. Raises `LookupError` for an unknown feed.
    """
    row = session.get(FeedRow, feed_id)
    if row is None:
        raise LookupError(f"unknown feed {feed_id!r}: sync_feeds first")
    row.last_fetch_at = now
    row.next_attempt_at = next_attempt_at
    just_disabled = False
    if ok or not_modified:
        row.last_success_at = now
        row.consecutive_errors = 0
        row.last_error = None
        row.disabled = False
        row.disabled_at = None
        if not not_modified or etag is not None:
            row.etag = etag
        if not not_modified or last_modified is not None:
            row.last_modified = last_modified
    else:
        row.consecutive_errors += 1
        row.last_error = error
        if not row.disabled and should_disable(row.consecutive_errors, disable_threshold):
            row.disabled = True
            row.disabled_at = now
            just_disabled = True
    session.flush()
    return FetchRecord(row, just_disabled)


def enable_feed(session: Session, feed_id: str) -> bool:
    """Re-enable a disabled feed with a clean slate; False for an unknown feed."""
    row = session.get(FeedRow, feed_id)
    if row is None:
        return False
    _reset_feed(row)
    session.flush()
    return True


def _reset_feed(row: FeedRow) -> None:
    row.etag = row.last_modified = row.last_error = None
    row.consecutive_errors = 0
    row.disabled = False
    row.disabled_at = row.next_attempt_at = None


# --- Articles --------------------------------------------------------------------------------------


def known_identities(session: Session, feed_id: str, identities: Iterable[str]) -> set[str]:
    """The subset of `identities` already stored for the feed (entries seen before, restarts included)."""
    known: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(identities)), _CHUNK):
        stmt = select(ArticleRow.identity).where(
            ArticleRow.feed_id == feed_id, ArticleRow.identity.in_(chunk)
        )
        known.update(session.scalars(stmt))
    return known


def add_article(
    session: Session,
    *,
    feed_id: str,
    identity: str,
    title: str,
    fetched_at: datetime,
    url: str | None = None,
    canonical_url: str | None = None,
    language: str | None = None,
    published_at: datetime | None = None,
    summary: Sequence[str] = (),
    text: str | None = None,
    teaser: str | None = None,
    syria_related: bool = False,
    relevance: float = 0.0,
    analysis: dict[str, Any] | None = None,
    fingerprint: Sequence[int] | None = None,
    duplicate_of: int | None = None,
    event_id: int | None = None,
) -> ArticleRow:
    """Store an article and return its row; an identity already stored for the feed returns that row.

    `duplicate_of` may name any article of the story: the row points at the story's first article,
    and joins that article's event unless `event_id` says otherwise.
    """
    if duplicate_of is not None:
        root = session.get(ArticleRow, duplicate_of)
        if root is None:
            raise LookupError(f"duplicate_of: no article {duplicate_of}")
        if root.duplicate_of is not None:
            root = session.get_one(ArticleRow, root.duplicate_of)
        duplicate_of = root.id
        if event_id is None:
            event_id = root.event_id
    values = {
        "feed_id": feed_id,
        "identity": identity,
        "url": url,
        "canonical_url": canonical_url,
        "title": title,
        "language": language,
        "published_at": published_at,
        "fetched_at": fetched_at,
        "summary": list(summary),
        "text": text,
        "teaser": teaser,
        "syria_related": syria_related,
        "relevance": relevance,
        "analysis": analysis,
        "fingerprint": None if fingerprint is None else list(fingerprint),
        "duplicate_of": duplicate_of,
        "event_id": event_id,
    }
    # ON CONFLICT DO NOTHING: a concurrent or repeated insert of the same entry is not an error, and
    # needs no savepoint (which SQLite's driver cannot do in its default transaction mode).
    stmt = (
        _insert(session, _table(ArticleRow))
        .values(values)
        .on_conflict_do_nothing(index_elements=["feed_id", "identity"])
        .returning(_table(ArticleRow).c.id)
    )
    new_id = session.execute(stmt).scalar_one_or_none()
    if new_id is None:
        return session.scalars(
            select(ArticleRow).where(ArticleRow.feed_id == feed_id, ArticleRow.identity == identity)
        ).one()
    return session.get_one(ArticleRow, new_id)


def get_article(session: Session, article_id: int) -> ArticleRow | None:
    """The article's row, or None."""
    return session.get(ArticleRow, article_id)


def article_by_canonical_url(session: Session, canonical_url: str) -> ArticleRow | None:
    """The first stored article with this canonical URL, from any feed (exact cross-feed duplicates)."""
    stmt = (
        select(ArticleRow)
        .where(ArticleRow.canonical_url == canonical_url)
        .order_by(ArticleRow.fetched_at, ArticleRow.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def article_sources(session: Session, article_id: int) -> list[ArticleRow]:
    """A story's articles: its first article, then its near-duplicates from other outlets, in order."""
    article = session.get(ArticleRow, article_id)
    if article is None:
        return []
    root_id = article.duplicate_of if article.duplicate_of is not None else article.id
    stmt = (
        select(ArticleRow)
        .where(or_(ArticleRow.id == root_id, ArticleRow.duplicate_of == root_id))
        .order_by(ArticleRow.duplicate_of.is_not(None), ArticleRow.fetched_at, ArticleRow.id)
    )
    return list(session.scalars(stmt))


def recent_fingerprints(session: Session, since: datetime) -> list[FingerprintRow]:
    """Fingerprints of the articles fetched since `since` that are not duplicates themselves, oldest first."""
    stmt = (
        select(ArticleRow.id, ArticleRow.event_id, ArticleRow.fingerprint)
        .where(
            ArticleRow.fetched_at >= since,
            ArticleRow.duplicate_of.is_(None),
            ArticleRow.fingerprint.is_not(None),
        )
        .order_by(ArticleRow.fetched_at, ArticleRow.id)
    )
    return [
        FingerprintRow(article_id, event_id, tuple(fingerprint))
        for article_id, event_id, fingerprint in session.execute(stmt)
        if fingerprint is not None  # JSON null, should a caller have stored one
    ]


# --- Events ----------------------------------------------------------------------------------------


def create_event(session: Session, facts: EventFacts, *, article_id: int, now: datetime) -> EventRow:
    """Create an event (version 1) from its first article, and link that article and its duplicates."""
    event = EventRow(
        first_seen_at=now,
        updated_at=now,
        version=1,
        source_count=1,
        representative_article_id=article_id,
    )
    _apply_facts(event, facts)
    session.add(event)
    session.flush()
    _set_places(session, event, facts.places)
    session.execute(
        update(ArticleRow)
        .where(or_(ArticleRow.id == article_id, ArticleRow.duplicate_of == article_id))
        .values(event_id=event.id)
    )
    session.flush()
    event.source_count = max(1, _count_sources(session, event.id))
    session.flush()
    return event


def update_event(
    session: Session,
    event_id: int,
    facts: EventFacts | None,
    *,
    now: datetime,
    representative_article_id: int | None = None,
) -> bool:
    """Apply new facts (None: only recount the sources); True when the version was bumped.

    Material changes bump `version` and `updated_at`: more sources, a different toll, a different
    set of places or primary place, different event types. Other facts (time estimate, fingerprint,
    coordinates' precision) are stored silently.
    """
    event = session.get(EventRow, event_id)
    if event is None:
        raise LookupError(f"no event {event_id}")
    before = _material(event)
    if facts is not None:
        _apply_facts(event, facts)
        _set_places(session, event, facts.places)
    if representative_article_id is not None:
        event.representative_article_id = representative_article_id
    session.flush()
    event.source_count = max(1, _count_sources(session, event.id))
    bumped = _material(event) != before
    if bumped:
        event.version += 1
        event.updated_at = now
    session.flush()
    return bumped


def get_event(session: Session, event_id: int) -> EventRow | None:
    """The event's row (with its places), or None."""
    return session.get(EventRow, event_id)


def event_facts(event: EventRow) -> EventFacts:
    """An event's stored facts, for the pipeline to merge a new article's into."""
    return EventFacts(
        occurred_at=event.occurred_at,
        event_types=tuple(event.event_types),
        sub_event_types=tuple(event.sub_event_types),
        places=tuple(
            EventPlace(p.place_id, p.name, p.governorate, p.district, p.lat, p.lon, p.precision)
            for p in event.places
        ),
        killed=event.killed,
        injured=event.injured,
        fingerprint=None if event.fingerprint is None else tuple(event.fingerprint),
    )


def event_sources(session: Session, event_id: int) -> list[Source]:
    """The outlets that reported an event, one article per feed, earliest first."""
    stmt = (
        select(ArticleRow, FeedRow.name)
        .join(FeedRow, FeedRow.id == ArticleRow.feed_id)
        .where(ArticleRow.event_id == event_id)
        .order_by(ArticleRow.fetched_at, ArticleRow.id)
    )
    sources: dict[str, Source] = {}
    for article, feed_name in session.execute(stmt):
        if article.feed_id not in sources:
            sources[article.feed_id] = Source(
                article.id, article.feed_id, feed_name, article.url, article.title, article.published_at
            )
    return list(sources.values())


def events_since(session: Session, since: datetime) -> list[EventRow]:
    """Events first seen since `since`, newest first (the candidates a new article may belong to)."""
    stmt = (
        select(EventRow)
        .where(EventRow.first_seen_at >= since)
        .order_by(EventRow.first_seen_at.desc(), EventRow.id.desc())
    )
    return list(session.scalars(stmt))


def latest_events(session: Session, limit: int, *, since: datetime | None = None) -> list[EventRow]:
    """The newest events, newest first."""
    stmt = select(EventRow).order_by(EventRow.first_seen_at.desc(), EventRow.id.desc()).limit(limit)
    if since is not None:
        stmt = stmt.where(EventRow.first_seen_at >= since)
    return list(session.scalars(stmt))


def events_by_place(
    session: Session,
    *,
    limit: int,
    place_ids: Sequence[str] = (),
    governorate: str | None = None,
    district: str | None = None,
    since: datetime | None = None,
) -> list[EventRow]:
    """Events at any of the places, or in the governorate or district, newest first."""
    conditions = [EventPlaceRow.place_id == place_id for place_id in dict.fromkeys(place_ids)]
    if governorate is not None:
        conditions.append(EventPlaceRow.governorate == governorate)
    if district is not None:
        conditions.append(EventPlaceRow.district == district)
    if not conditions:
        raise ValueError("events_by_place needs place_ids, a governorate or a district")
    # One query per value: each reads the newest entries of one index range, where an IN list or
    # an OR would make the database sort every match.
    found = [hit for condition in conditions for hit in _newest(session, condition, since, limit)]
    ranked = sorted(dict.fromkeys(found), reverse=True)[:limit]
    return _events_in_order(session, [event_id for _, event_id in ranked])


def events_near(
    session: Session,
    lat: float,
    lon: float,
    radius_km: float,
    *,
    limit: int,
    since: datetime | None = None,
) -> list[NearbyEvent]:
    """Events with a place within `radius_km` of the point: nearest first (to the km), then newest.

    A bounding box on the places' (lat, lon) index finds the candidate places, the haversine
    distance keeps those within the radius, and each place's newest events come off its index.
    """
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
    box = select(PlaceRow.id, PlaceRow.lat, PlaceRow.lon).where(
        PlaceRow.lat.between(lat - dlat, lat + dlat), PlaceRow.lon.between(lon - dlon, lon + dlon)
    )
    by_km: dict[int, list[tuple[str, float]]] = {}
    for place_id, place_lat, place_lon in session.execute(box):
        distance = haversine_km(lat, lon, place_lat, place_lon)
        if distance <= radius_km:
            by_km.setdefault(round(distance), []).append((place_id, distance))
    nearest: dict[int, tuple[str, float]] = {}  # event id -> its nearest place, in result order
    for km in sorted(by_km):
        # Events already found may come again from a farther place: read past them.
        wanted = limit + len(nearest)
        hits = [
            (first_seen, event_id, place_id, distance)
            for place_id, distance in by_km[km]
            for first_seen, event_id in _newest(session, EventPlaceRow.place_id == place_id, since, wanted)
        ]
        for _, event_id, place_id, distance in sorted(hits, key=lambda hit: (hit[0], hit[1]), reverse=True):
            if event_id not in nearest and len(nearest) < limit:
                nearest[event_id] = (place_id, distance)
        if len(nearest) >= limit:
            break
    events = {event.id: event for event in _events_in_order(session, list(nearest))}
    return [
        NearbyEvent(events[event_id], place_id, distance)
        for event_id, (place_id, distance) in nearest.items()
    ]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _apply_facts(event: EventRow, facts: EventFacts) -> None:
    event.occurred_at = facts.occurred_at
    event.event_types = list(facts.event_types)
    event.sub_event_types = list(facts.sub_event_types)
    event.governorates = facts.governorates
    event.killed = facts.killed
    event.injured = facts.injured
    event.fingerprint = None if facts.fingerprint is None else list(facts.fingerprint)
    primary = facts.places[0] if facts.places else None
    event.place_id = primary.place_id if primary else None
    event.place_name = primary.name if primary else None
    event.lat = primary.lat if primary else None
    event.lon = primary.lon if primary else None
    event.precision = primary.precision if primary else None


def _set_places(session: Session, event: EventRow, places: Sequence[EventPlace]) -> None:
    _upsert_places(session, places)
    wanted: dict[str, EventPlace] = {}
    for place in places:
        wanted.setdefault(place.place_id, place)  # a place named twice keeps its first position
    current = {row.place_id: row for row in event.places}
    for row in list(event.places):
        if row.place_id not in wanted:
            event.places.remove(row)
    for position, (place_id, place) in enumerate(wanted.items()):
        row = current.get(place_id) or EventPlaceRow(place_id=place_id, first_seen_at=event.first_seen_at)
        if place_id not in current:
            event.places.append(row)
        row.position = position
        row.name = place.name
        row.governorate = place.governorate
        row.district = place.district
        row.lat = place.lat
        row.lon = place.lon
        row.precision = place.precision
    event.places.sort(key=lambda row: row.position)


def _upsert_places(session: Session, places: Sequence[EventPlace]) -> None:
    """Add the places to `places`, or refresh their names and coordinates (the gazetteer may move one)."""
    rows = list(
        {
            p.place_id: {
                "id": p.place_id,
                "name": p.name,
                "governorate": p.governorate,
                "district": p.district,
                "lat": p.lat,
                "lon": p.lon,
            }
            for p in places
        }.values()
    )
    if not rows:
        return
    stmt = _insert(session, _table(PlaceRow)).values(rows)
    columns = ("name", "governorate", "district", "lat", "lon")
    table = _table(PlaceRow)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={column: stmt.excluded[column] for column in columns},
            # Rewrite a row only when something changed: most events are at places already known.
            where=or_(*(table.c[column].is_distinct_from(stmt.excluded[column]) for column in columns)),
        )
    )


def _material(event: EventRow) -> tuple[object, ...]:
    return (
        event.killed,
        event.injured,
        event.source_count,
        event.place_id,
        frozenset(p.place_id for p in event.places),
        frozenset(event.event_types),
        frozenset(event.sub_event_types),
    )


def _count_sources(session: Session, event_id: int) -> int:
    stmt = select(func.count(func.distinct(ArticleRow.feed_id))).where(ArticleRow.event_id == event_id)
    return session.scalar(stmt) or 0


def _events_in_order(session: Session, event_ids: Sequence[int]) -> list[EventRow]:
    if not event_ids:
        return []
    rows = {row.id: row for row in session.scalars(select(EventRow).where(EventRow.id.in_(event_ids)))}
    return [rows[event_id] for event_id in event_ids if event_id in rows]


def _newest(
    session: Session, condition: ColumnElement[bool], since: datetime | None, limit: int
) -> list[tuple[datetime, int]]:
    """Up to `limit` distinct events with a place row matching `condition`: (first seen, id), newest first."""
    stmt = select(EventPlaceRow.first_seen_at, EventPlaceRow.event_id).where(condition)
    if since is not None:
        stmt = stmt.where(EventPlaceRow.first_seen_at >= since)
    stmt = stmt.order_by(EventPlaceRow.first_seen_at.desc(), EventPlaceRow.event_id.desc())
    # No DISTINCT, which would sort every match: an event with two places in one governorate comes
    # twice, so read ahead until there are enough distinct events.
    found: dict[tuple[datetime, int], None] = {}
    batch, offset = max(limit * 2, 16), 0
    while len(found) < limit:
        rows = session.execute(stmt.limit(batch).offset(offset)).all()
        found.update(dict.fromkeys((first_seen, event_id) for first_seen, event_id in rows))
        if len(rows) < batch:
            break
        offset += batch
    return list(found)[:limit]


# --- Subscribers and subscriptions ------------------------------------------------------------------


def ensure_subscriber(
    session: Session, chat_id: int, *, kind: str, language: str, now: datetime
) -> SubscriberRow:
    """The chat's subscriber row, created if new; a chat that comes back is active again.

    An existing row keeps its language (the user may have chosen one with /lang).
    """
    # INSERT ... ON CONFLICT DO NOTHING: two first messages of a new chat handled at once both get
    # the one row, instead of one of them failing on the primary key.
    session.execute(
        _insert(session, _table(SubscriberRow))
        .values(
            chat_id=chat_id,
            kind=kind,
            language=language,
            active=True,
            muted=False,
            radius_km=25,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["chat_id"])
    )
    row = session.get(SubscriberRow, chat_id, populate_existing=True)
    assert row is not None
    if row.kind != kind or not row.active:
        row.kind = kind
        row.active = True
        row.deactivated_at = None
    session.flush()
    return row


def migrate_chat(session: Session, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup (Telegram gave it a new id): move its settings, subscriptions and
    undelivered alerts to the new id; False when the old chat is unknown or the new one exists."""
    old = session.get(SubscriberRow, old_chat_id)
    if old is None or session.get(SubscriberRow, new_chat_id) is not None:
        return False
    session.add(
        SubscriberRow(
            chat_id=new_chat_id,
            kind="supergroup",
            language=old.language,
            active=True,
            muted=old.muted,
            digest_hour=old.digest_hour,
            radius_km=old.radius_km,
            message_thread_id=old.message_thread_id,
            created_at=old.created_at,
            last_digest_at=old.last_digest_at,
        )
    )
    session.flush()
    session.execute(
        update(SubscriptionRow).where(SubscriptionRow.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    session.execute(update(OutboxRow).where(OutboxRow.chat_id == old_chat_id).values(chat_id=new_chat_id))
    session.delete(old)
    session.flush()
    return True


def get_subscriber(session: Session, chat_id: int) -> SubscriberRow | None:
    """The chat's subscriber row, or None."""
    return session.get(SubscriberRow, chat_id)


def add_subscription(
    session: Session,
    chat_id: int,
    *,
    now: datetime,
    place_id: str | None = None,
    governorate: str | None = None,
    district: str | None = None,
    event_category: str | None = None,
    keyword: str | None = None,
    min_killed: int | None = None,
    message_thread_id: int | None = None,
) -> SubscriptionRow:
    """Add a subscription (filters combine; None matches anything); an identical one is returned as is."""
    fields = {
        "place_id": place_id,
        "governorate": governorate,
        "district": district,
        "event_category": event_category,
        "keyword": keyword,
        "min_killed": min_killed,
        "message_thread_id": message_thread_id,
    }
    stmt = select(SubscriptionRow).where(
        SubscriptionRow.chat_id == chat_id,
        *(
            getattr(SubscriptionRow, name).is_(None)
            if value is None
            else getattr(SubscriptionRow, name) == value
            for name, value in fields.items()
        ),
    )
    existing = session.scalars(stmt.limit(1)).first()
    if existing is not None:
        return existing
    row = SubscriptionRow(chat_id=chat_id, created_at=now, **fields)
    session.add(row)
    session.flush()
    return row


def subscriptions_of(session: Session, chat_id: int) -> list[SubscriptionRow]:
    """The chat's subscriptions, oldest first."""
    stmt = select(SubscriptionRow).where(SubscriptionRow.chat_id == chat_id).order_by(SubscriptionRow.id)
    return list(session.scalars(stmt))


def remove_subscription(session: Session, chat_id: int, subscription_id: int) -> bool:
    """Remove one of the chat's subscriptions; False if the chat has no such subscription."""
    row = session.get(SubscriptionRow, subscription_id)
    if row is None or row.chat_id != chat_id:
        return False
    session.delete(row)
    session.flush()
    return True


def deactivate_subscriber(session: Session, chat_id: int, *, now: datetime) -> int:
    """Mark a chat gone (the bot was blocked or removed) and drop its undelivered alerts; their count."""
    row = session.get(SubscriberRow, chat_id)
    if row is not None and row.active:
        row.active = False
        row.deactivated_at = now
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.chat_id == chat_id, OutboxRow.status.in_(_CLAIMABLE))
        .values(status="dead", last_error="chat inactive")
    )
    session.flush()
    return _rowcount(result)


def matching_subscribers(
    session: Session, event: EventRow, *, include_digest: bool = False
) -> list[AlertTarget]:
    """The chats (and forum topics) with a subscription the event matches, by chat id.

    A subscription matches when each filter it sets does: the place is one of the event's places,
    the governorate or district one of theirs, the category one of its event types or sub-types, the
    keyword (normalised: case, Arabic diacritics and letter variants folded) is in the title or
    summary of one of its articles, and the event's killed count is at least `min_killed`. Inactive
    and muted chats are left out, and so are digest readers unless `include_digest`.
    """
    places = list(event.places)
    # A subscription stores an ACLED type or sub-type, or one of the bot's categories (bot.filters).
    categories = list(
        dict.fromkeys(
            [
                *event.event_types,
                *event.sub_event_types,
                *matching_category_codes(event.event_types, event.sub_event_types),
            ]
        )
    )
    stmt = (
        select(SubscriptionRow, SubscriberRow.message_thread_id, SubscriberRow.language)
        .join(SubscriberRow, SubscriberRow.chat_id == SubscriptionRow.chat_id)
        .where(
            SubscriberRow.active,
            ~SubscriberRow.muted,
            true() if include_digest else SubscriberRow.digest_hour.is_(None),
            _matches(SubscriptionRow.place_id, [p.place_id for p in places]),
            _matches(
                SubscriptionRow.governorate, list({*event.governorates, *(p.governorate for p in places)})
            ),
            _matches(SubscriptionRow.district, list({p.district for p in places if p.district})),
            _matches(SubscriptionRow.event_category, categories),
            or_(SubscriptionRow.min_killed.is_(None), SubscriptionRow.min_killed <= (event.killed or 0)),
        )
        .order_by(SubscriptionRow.chat_id, SubscriptionRow.id)
    )
    words: str | None = None
    targets: dict[tuple[int, int | None], AlertTarget] = {}
    for subscription, chat_thread, language in session.execute(stmt):
        if subscription.keyword:
            if words is None:
                words = event_text(session, event.id)
            if _normalise(subscription.keyword) not in words:
                continue
        thread = subscription.message_thread_id if subscription.message_thread_id is not None else chat_thread
        key = (subscription.chat_id, thread)
        targets.setdefault(key, AlertTarget(subscription.chat_id, thread, language))
    return list(targets.values())


def _matches(column: Any, values: Sequence[str]) -> Any:
    return or_(column.is_(None), column.in_(values)) if values else column.is_(None)


def event_text(session: Session, event_id: int) -> str:
    """The titles and summaries of an event's articles, normalised as keyword filters compare them."""
    stmt = select(ArticleRow.title, ArticleRow.summary, ArticleRow.teaser).where(
        ArticleRow.event_id == event_id
    )
    parts: list[str] = []
    for title, summary, teaser in session.execute(stmt):
        parts.extend([title, *summary, teaser or ""])
    return _normalise("\n".join(parts))


def _normalise(text: str) -> str:
    return " ".join(normalize_text(text).split())


# --- Outbox ----------------------------------------------------------------------------------------


def queue_alerts(
    session: Session,
    event: EventRow,
    targets: Iterable[AlertTarget],
    *,
    now: datetime,
    edit_window: timedelta = EDIT_WINDOW,
) -> int:
    """Queue the event's alert for each target once; the number of rows that now need sending.

    Idempotent: a chat (and topic) already queued for the event gets no second row. When the
    event's version is newer than a row's, the row takes the new version; a message already sent
    within `edit_window` is marked `needs_edit` and queued again, and counts. Rows of chats that no
    longer match are revised too: a correction reaches everyone who saw the alert. Every target
    must be a subscriber (as `matching_subscribers` returns them).
    """
    lock_outbox(session)
    table = _table(OutboxRow)
    # An event is queued once and revised often (each new source): most calls insert nothing, so the
    # rows it has are read first rather than re-inserted to conflict (thousands of rows a revision).
    has_row = {
        (chat_id, thread)
        for chat_id, thread in session.execute(
            select(OutboxRow.chat_id, OutboxRow.message_thread_id).where(OutboxRow.event_id == event.id)
        )
    }
    rows = [
        {
            "event_id": event.id,
            "event_version": event.version,
            "chat_id": chat_id,
            "message_thread_id": thread,
            "status": "pending",
            "needs_edit": False,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for chat_id, thread in dict.fromkeys((t.chat_id, t.message_thread_id or NO_THREAD) for t in targets)
        if (chat_id, thread) not in has_row
    ]
    queued = 0
    if rows:
        # One cached statement, executed for many rows (SQLAlchemy batches them): no per-call compile.
        stmt = (
            _insert(session, table)
            .on_conflict_do_nothing(index_elements=["event_id", "chat_id", "message_thread_id"])
            .returning(table.c.id)
        )
        queued = len(session.execute(stmt, rows).all())
    stale = and_(OutboxRow.event_id == event.id, OutboxRow.event_version < event.version)
    # Not delivered yet: the sender renders the event as it is when it sends, so only the number moves.
    session.execute(
        update(OutboxRow)
        .where(stale, OutboxRow.status.in_(("pending", "sending", "failed")))
        .values(event_version=event.version)
    )
    edits = session.execute(
        update(OutboxRow)
        .where(stale, OutboxRow.status == "sent", OutboxRow.sent_at >= now - edit_window)
        .values(
            event_version=event.version,
            status="pending",
            needs_edit=True,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
        )
    )
    session.flush()
    return queued + _rowcount(edits)


OUTBOX_LOCK_KEY: Final = int.from_bytes(b"SYRIAOBX", "big") & 0x7FFF_FFFF_FFFF_FFFF


def lock_outbox(session: Session) -> None:
    """On PostgreSQL, take the transaction's turn at writing settled outbox rows.

    The pipeline (revising alerts of an updated event) and the sender (recording what it sent) both
    update many outbox rows in one transaction; taken in different orders, row locks deadlock (the
    soak test saw it). Both take this advisory lock first, so they take turns. Claims use
    SKIP LOCKED and need no turn. Released at commit or rollback; SQLite serialises writers anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(OUTBOX_LOCK_KEY)))


def claim_outbox(session: Session, limit: int, now: datetime) -> list[OutboxItem]:
    """Claim up to `limit` due alerts (pending, or failed and due again) for sending: oldest due first.

    One UPDATE ... RETURNING marks them `sending`: on PostgreSQL its row choice uses
    FOR UPDATE SKIP LOCKED, so concurrent claimers get disjoint rows without waiting; on SQLite the
    statement takes the write lock, so claimers queue and each sees the others' claims. Call it in a
    transaction of its own and commit at once.
    """
    due = (
        select(OutboxRow.id)
        .where(OutboxRow.status.in_(_CLAIMABLE), OutboxRow.next_attempt_at <= now)
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # A MATERIALIZED CTE runs the locking SELECT once, so LIMIT bounds what the UPDATE takes.
        locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        chosen = select(locked.c.id)
    else:
        # No CTE here: Python's sqlite3 opens its implicit transaction only for statements that
        # start with INSERT, UPDATE, DELETE or REPLACE; a WITH ... UPDATE would autocommit.
        chosen = due
    stmt = (
        update(OutboxRow)
        .where(OutboxRow.id.in_(chosen), OutboxRow.status.in_(_CLAIMABLE))
        .values(status="sending", claimed_at=now, attempts=OutboxRow.attempts + 1)
        .returning(
            OutboxRow.id,
            OutboxRow.event_id,
            OutboxRow.event_version,
            OutboxRow.chat_id,
            OutboxRow.message_thread_id,
            OutboxRow.needs_edit,
            OutboxRow.telegram_message_id,
            OutboxRow.attempts,
            OutboxRow.next_attempt_at,
        )
    )
    rows = sorted(session.execute(stmt).all(), key=lambda row: (row.next_attempt_at, row.id))
    return [
        OutboxItem(
            id=row.id,
            event_id=row.event_id,
            event_version=row.event_version,
            chat_id=row.chat_id,
            message_thread_id=None if row.message_thread_id == NO_THREAD else row.message_thread_id,
            needs_edit=row.needs_edit,
            telegram_message_id=row.telegram_message_id,
            attempts=row.attempts,
        )
        for row in rows
    ]


def mark_sent(
    session: Session, outbox_id: int, *, telegram_message_id: int, sent_version: int, now: datetime
) -> None:
    """Record a delivered (or edited) alert showing `sent_version` of the event.

    If the event was revised while this was being sent, the row goes back to pending with
    `needs_edit`, so the new version follows as an edit.
    """
    revised = OutboxRow.event_version > sent_version
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id)
        .values(
            status=case((revised, "pending"), else_="sent"),
            needs_edit=revised,
            sent_version=sent_version,
            telegram_message_id=telegram_message_id,
            sent_at=func.coalesce(OutboxRow.sent_at, now),
            next_attempt_at=now,
            claimed_at=None,
            last_error=None,
        )
    )
    session.flush()


def mark_failed(session: Session, outbox_id: int, *, error: str, retry_at: datetime) -> None:
    """Record a failed attempt; the alert is claimable again from `retry_at`."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id)
        .values(status="failed", last_error=error, next_attempt_at=retry_at, claimed_at=None)
    )
    session.flush()


def mark_dead(session: Session, outbox_id: int, *, error: str) -> None:
    """Give up on an alert (the chat is gone, or it failed too often)."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id)
        .values(status="dead", last_error=error, claimed_at=None)
    )
    session.flush()


def release_stale_claims(session: Session, *, claimed_before: datetime) -> int:
    """Put alerts claimed before `claimed_before` and never settled back to pending; their count.

    At start-up every `sending` row is left over from a process that stopped mid-send. Whether that
    message went out is unknown: resending risks one duplicate, dropping risks a loss.
    """
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.status == "sending", OutboxRow.claimed_at < claimed_before)
        .values(status="pending", claimed_at=None)
    )
    session.flush()
    return _rowcount(result)


def get_outbox(session: Session, outbox_id: int) -> OutboxRow | None:
    """An outbox row, freshly read."""
    return session.get(OutboxRow, outbox_id, populate_existing=True)


def outbox_counts(session: Session) -> dict[str, int]:
    """How many alerts are in each delivery state (for /stats)."""
    stmt = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    return dict(session.execute(stmt).all())


# --- Helpers ---------------------------------------------------------------------------------------


def _insert(session: Session, table: Table) -> sqlite.Insert | postgresql.Insert:
    """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def recent_event_analyses(session: Session, since: datetime) -> list[tuple[int, dict[str, Any]]]:
    """(event id, stored analysis) of the articles fetched since `since` that belong to an event,
    oldest first: what the pipeline rebuilds the open events' signatures from after a restart."""
    stmt = (
        select(ArticleRow.event_id, ArticleRow.analysis)
        .where(ArticleRow.fetched_at >= since, ArticleRow.event_id.is_not(None))
        .order_by(ArticleRow.fetched_at, ArticleRow.id)
    )
    return [
        (int(event_id), dict(analysis))
        for event_id, analysis in session.execute(stmt)
        if event_id is not None and isinstance(analysis, dict)
    ]


def assign_event(session: Session, article_id: int, event_id: int) -> None:
    """Attach an article (and its near-duplicates) to an event."""
    session.execute(
        update(ArticleRow)
        .where(or_(ArticleRow.id == article_id, ArticleRow.duplicate_of == article_id))
        .values(event_id=event_id)
    )
    session.flush()


# --- Figures for admins -----------------------------------------------------------------------------


def bot_stats(session: Session, *, now: datetime) -> dict[str, int]:
    """Counts for /stats (and the metrics endpoint), in display order."""

    def count(model: type[Any], *conditions: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)

    day = now - timedelta(days=1)
    outbox = outbox_counts(session)
    oldest_due = session.scalar(
        select(func.min(OutboxRow.next_attempt_at)).where(
            OutboxRow.status.in_(_CLAIMABLE), OutboxRow.next_attempt_at <= now
        )
    )
    return {
        "subscribers": count(SubscriberRow, SubscriberRow.active),
        "inactive": count(SubscriberRow, ~SubscriberRow.active),
        "muted": count(SubscriberRow, SubscriberRow.active, SubscriberRow.muted),
        "digest": count(SubscriberRow, SubscriberRow.active, SubscriberRow.digest_hour.is_not(None)),
        "subscriptions": count(SubscriptionRow),
        "feeds": count(FeedRow),
        "feeds_failing": count(FeedRow, FeedRow.consecutive_errors > 0, ~FeedRow.disabled),
        "feeds_disabled": count(FeedRow, FeedRow.disabled),
        "articles_day": count(ArticleRow, ArticleRow.fetched_at >= day),
        "events_day": count(EventRow, EventRow.first_seen_at >= day),
        "events": count(EventRow),
        "alerts_pending": outbox.get("pending", 0) + outbox.get("failed", 0) + outbox.get("sending", 0),
        "alerts_sent": outbox.get("sent", 0),
        "alerts_dead": outbox.get("dead", 0),
        "outbox_lag_seconds": 0 if oldest_due is None else max(0, int((now - oldest_due).total_seconds())),
    }


def delivery_latency(
    session: Session, *, now: datetime, window: timedelta = timedelta(hours=1)
) -> dict[str, float]:
    """Quantiles ("0.5", "0.95", "1") of queue-to-send seconds of the alerts first sent within `window`
    (the newest 10,000 at most); empty when none was."""
    stmt = (
        select(OutboxRow.created_at, OutboxRow.sent_at)
        .where(OutboxRow.sent_at >= now - window, OutboxRow.sent_at.is_not(None))
        .order_by(OutboxRow.sent_at.desc())
        .limit(10_000)
    )
    seconds = sorted(
        max(0.0, (sent - created).total_seconds())
        for created, sent in session.execute(stmt)
        if sent is not None
    )
    if not seconds:
        return {}
    last = len(seconds) - 1
    return {q: seconds[min(last, int(float(q) * len(seconds)))] for q in ("0.5", "0.95", "1")}
