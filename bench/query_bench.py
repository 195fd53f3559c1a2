"""Query bench: the latency of the bot's read queries over N stored events on SQLite.

Usage: python -m bench.query_bench [--events 1000000] [--db PATH] [--queries 2000] [--seed 1]
                                   [--rebuild] [--explain] [--verify N] [--cold]

The database: a SQLite file migrated with `bot.db.upgrade`, cached under the system's temp directory
(`<tmp>/syria-alerts-query-bench/events-<N>-seed<S>.sqlite3`, never inside the repository) and reused
while it holds N events; a reused file behind the code's schema is migrated first, as a deployment
would be. `--rebuild` builds it afresh. The build inserts with bulk Core `executemany` in chunks,
in one transaction, with the journal off and a large page cache on that one connection only; the
file is written beside its final name and renamed once complete, in WAL mode as the bot keeps it.
No ANALYZE is run: the bot never runs it, so the planner works without statistics here too.

The events are synthetic with a realistic skew: places from the real gazetteer
(`Gazetteer.default()`, ~960 places, governorates, districts and sites included), the first place
of an event drawn from a Zipf law (exponent 1) over the places ranked hot first (Idlib, Aleppo and
Deir ez-Zor cities, the Euphrates towns, Damascus; then the rest in seeded random order), so a few
places get most events and the coldest still get some; 1 to 3 places per event (60/30/10 %), the
others mostly in the first one's governorate, so governorate queries meet events twice; first seen
times spread evenly over the 3 years up to 2026-11-26 (ids in time order, as the pipeline assigns
them); ACLED event types of summarizer/data/events.yaml, the conflict's common ones most often;
tolls, sources, versions and a MinHash fingerprint (130 integers, as the pipeline stores it: the
bulk of an event row). Each event has one representative article (a slim row: title and summary,
no full text), so rendering reads real rows.

The queries, seeded and interleaved, each in a fresh session from `bot.db.session_factory` (as the
bot makes one per update), with "now" the end of the data:
- place hot / place cold: `/where <town>`, `events_by_place(place_ids=[one])` for one of the 20
  hottest places / any place (most are cold);
- 3 places: three place ids at once, drawn by weight (as for a name that several places share);
- governorate, governorate 30 d, district: `/where` on an area, with or without `[days]`;
- near 25 km / near 100 km: a shared location (`events_near`) at a random point in Syria: a random
  gazetteer place moved up to 20 km in a random direction;
- latest: `/latest`, `latest_events(10)`.
Every query asks for 10 events. "store" times the store call, which loads the events with their
places (selectin); "full" adds what rendering reads: each result's representative article and its
sources (`store.event_sources`). The pool's connection is opened before the first timed query, as
the bot's is long before a user asks. The target is p95 <= 50 ms (store call) for every kind; the
exit status is 1 when a kind misses it or a verified answer is wrong.

`--explain` prints SQLite's plan (EXPLAIN QUERY PLAN) of each statement one query of each kind runs.
`--verify N` first checks the first N queries of each kind against answers computed the slow way
(every matching row read; nearest place per event and newest first sorted in Python).
`--cold` drops the file's pages from the OS page cache (posix_fadvise, this file only) before the
timed run, as after a reboot; without it the cache is as the build or earlier runs left it.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection, Engine, String, Table, event, func, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.db import (
    ArticleRow,
    EventPlaceRow,
    EventRow,
    FeedRow,
    PlaceRow,
    head_revision,
    make_engine,
    schema_revision,
    session_factory,
    upgrade,
)
from summarizer.gazetteer import Gazetteer
from summarizer.models import Place
from summarizer.resources import load_yaml

CACHE_DIR: Final = Path(tempfile.gettempdir()) / "syria-alerts-query-bench"
END: Final = datetime(2026, 11, 26, tzinfo=UTC)
SPAN: Final = timedelta(days=3 * 365)
LIMIT: Final = 10  # events per answer, as the bot shows them
TARGET_P95_MS: Final = 50.0
CHUNK: Final = 20_000  # events per executemany round
ZIPF_EXPONENT: Final = 1.0
HOT_COUNT: Final = 20  # "place hot" picks among this many hottest places
JITTER_KM: Final = 20.0
FEEDS: Final = 24
FINGERPRINT_SLOTS: Final = 128
# The conflict's hottest places, hottest first: the cities of Idlib, Aleppo and Deir ez-Zor, the
# Euphrates towns, Damascus, the Idlib front line.
HOT_PLACES: Final = (
    "gn:169389",  # Idlib
    "gn:170063",  # Aleppo
    "gn:170794",  # Deir ez-Zor
    "gn:173480",  # Al-Mayadin
    "gn:174448",  # Al-Bukamal
    "gn:170654",  # Damascus
    "gov:idlib",
    "gn:167611",  # Maarat al-Numan
    "gn:164816",  # Saraqib
    "gn:174506",  # Hajin
    "gov:deir-ez-zor",
    "gn:172955",  # Raqqa
    "gn:170592",  # Douma
    "gn:174186",  # Afrin
    "gn:169023",  # Jisr al-Shughur
    "gn:168325",  # Khan Shaykhun
    "gov:aleppo",
    "gn:173927",  # Al-Busayrah
    "gn:170691",  # Dhiban
    "gov:damascus",
)
# Relative frequency of the sub-event types in Syria's news; any other type of the taxonomy gets 1.
SUB_EVENT_WEIGHTS: Final = {
    "Shelling/artillery/missile attack": 30,
    "Air/drone strike": 22,
    "Armed clash": 20,
    "Remote explosive/landmine/IED": 8,
    "Attack": 6,
    "Arrests": 5,
    "Abduction/forced disappearance": 3,
    "Peaceful protest": 3,
}
KINDS: Final = (
    "place hot",
    "place cold",
    "3 places",
    "governorate",
    "governorate 30 d",
    "district",
    "near 25 km",
    "near 100 km",
    "latest",
)


# --- the synthetic data ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class World:
    """The gazetteer's places ranked hot first, with their Zipf weights, and the event types."""

    places: tuple[Place, ...]
    weights: list[float]  # in `places` order, summing to 1
    cumulative: list[float]  # running sums of `weights`, for `pick`
    local: dict[str, tuple[list[int], list[float]]]  # governorate -> its places, their running weights
    sub_types: tuple[tuple[str, str], ...]  # (event type, sub-event type)
    sub_weights: list[float]  # summing to 1

    def pick(self, draw: float) -> int:
        """The index of a place drawn by its weight; `draw` uniform in [0, 1)."""
        return min(bisect.bisect_right(self.cumulative, draw), len(self.places) - 1)

    def pick_in(self, governorate: str, draw: float) -> int:
        """The index of a place of `governorate` drawn by its weight; `draw` uniform in [0, 1)."""
        indices, cumulative = self.local[governorate]
        return indices[min(bisect.bisect_right(cumulative, draw * cumulative[-1]), len(indices) - 1)]

    @property
    def districts(self) -> list[str]:
        """Every district name of the places, sorted."""
        return sorted({p.district for p in self.places if p.district})

    @property
    def governorates(self) -> list[str]:
        """Every governorate of the places, sorted."""
        return sorted({p.governorate for p in self.places})


def make_world(seed: int) -> World:
    """The places ranked hot first (the rest in seeded random order) and the event types."""
    gazetteer = Gazetteer.default()
    hot = [gazetteer.get(place_id) for place_id in HOT_PLACES]
    rest = [p for p in gazetteer.places() if p.id not in HOT_PLACES]
    random.Random(seed).shuffle(rest)
    places = (*hot, *rest)
    raw = [1.0 / rank**ZIPF_EXPONENT for rank in range(1, len(places) + 1)]
    total = sum(raw)
    weights = [w / total for w in raw]
    local: dict[str, tuple[list[int], list[float]]] = {}
    for governorate in sorted({p.governorate for p in places}):
        indices = [i for i, p in enumerate(places) if p.governorate == governorate]
        local[governorate] = (indices, list(itertools.accumulate(weights[i] for i in indices)))
    taxonomy: dict[str, list[str]] = load_yaml("events.yaml")["taxonomy"]
    sub_types = tuple((kind, sub) for kind, subs in taxonomy.items() for sub in subs)
    sub_raw = [float(SUB_EVENT_WEIGHTS.get(sub, 1)) for _, sub in sub_types]
    sub_total = sum(sub_raw)
    return World(
        places,
        weights,
        list(itertools.accumulate(weights)),
        local,
        sub_types,
        [w / sub_total for w in sub_raw],
    )


def _precision(place: Place) -> int:
    if place.kind == "governorate":
        return 3
    return 2 if place.kind in ("district", "subdistrict", "region") else 1


@dataclass(frozen=True, slots=True)
class Rows:
    """One chunk of rows for the bulk inserts."""

    articles: list[dict[str, Any]]
    events: list[dict[str, Any]]
    event_places: list[dict[str, Any]]


def make_rows(world: World, rng: np.random.Generator, first_id: int, times: Sequence[float]) -> Rows:
    """Events `first_id`... first seen at `times` (seconds after the start), their places and articles."""
    n = len(times)
    start = END - SPAN
    first_places = rng.choice(len(world.places), size=n, p=world.weights).tolist()
    counts = (rng.choice(3, size=n, p=[0.6, 0.3, 0.1]) + 1).tolist()
    extra = rng.random((n, 8)).tolist()  # draws for the other places: local or not, which one
    subs = rng.choice(len(world.sub_types), size=n, p=world.sub_weights).tolist()
    tolls = (rng.geometric(0.25, size=(n, 2)) - 1).tolist()
    has_toll = (rng.random((n, 2)) < (0.45, 0.35)).tolist()
    minutes = rng.integers(0, 360, size=(n, 2)).tolist()  # updated after, occurred before first seen
    sources = rng.integers(1, 6, size=n).tolist()
    shingles = rng.integers(20, 400, size=n).tolist()
    fingerprints = rng.integers(0, 1 << 26, size=(n, FINGERPRINT_SLOTS)).tolist()
    articles: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    event_places: list[dict[str, Any]] = []
    for i in range(n):
        event_id = first_id + i
        first_seen = start + timedelta(seconds=times[i])
        chosen = [first_places[i]]
        governorate = world.places[chosen[0]].governorate
        for draw in range(0, 8, 2):
            if len(chosen) == counts[i]:
                break
            candidate = (
                world.pick_in(governorate, extra[i][draw + 1])
                if extra[i][draw] < 0.7
                else world.pick(extra[i][draw + 1])
            )
            if candidate not in chosen:
                chosen.append(candidate)
        places = [world.places[c] for c in chosen]
        primary = places[0]
        kind, sub = world.sub_types[subs[i]]
        events.append(
            {
                "id": event_id,
                "first_seen_at": first_seen,
                "updated_at": first_seen + timedelta(minutes=minutes[i][0]),
                "occurred_at": first_seen - timedelta(minutes=minutes[i][1] // 2),
                "event_types": [kind],
                "sub_event_types": [sub],
                "governorates": list(dict.fromkeys(p.governorate for p in places)),
                "place_id": primary.id,
                "place_name": primary.name_en,
                "lat": primary.lat,
                "lon": primary.lon,
                "precision": _precision(primary),
                "killed": tolls[i][0] if has_toll[i][0] else None,
                "injured": tolls[i][1] if has_toll[i][1] else None,
                "source_count": sources[i],
                "version": min(sources[i], 3),
                "representative_article_id": event_id,
                "fingerprint": [1, shingles[i], *fingerprints[i]],
            }
        )
        event_places.extend(
            {
                "event_id": event_id,
                "place_id": place.id,
                "position": position,
                "name": place.name_en,
                "governorate": place.governorate,
                "district": place.district,
                "lat": place.lat,
                "lon": place.lon,
                "precision": _precision(place),
                "first_seen_at": first_seen,
            }
            for position, place in enumerate(places)
        )
        title = f"{sub} in {primary.name_en}"
        url = f"https://news{event_id % FEEDS}.example/{event_id}"
        articles.append(
            {
                "id": event_id,
                "feed_id": f"bench-{event_id % FEEDS:02d}",
                "identity": f"guid:bench-{event_id}",
                "url": url,
                "canonical_url": url,
                "title": title,
                "language": "ar",
                "published_at": first_seen - timedelta(minutes=5),
                "fetched_at": first_seen,
                "summary": [f"{title}.", f"Reports from {primary.governorate} governorate."],
                "syria_related": True,
                "relevance": 0.9,
                "event_id": event_id,
            }
        )
    return Rows(articles, events, event_places)


# --- the database ----------------------------------------------------------------------------------


def default_path(events: int, seed: int) -> Path:
    """Where the bench caches the database for `events` events and `seed`."""
    return CACHE_DIR / f"events-{events}-seed{seed}.sqlite3"


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def stored_events(path: Path) -> int | None:
    """How many events the file holds, or None if it is not a bench database."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            (count,) = connection.execute("SELECT count(*) FROM events").fetchone()
    except sqlite3.Error:
        return None
    return int(count)


def _build_pragmas(connection: Connection) -> None:
    # For the build only, on its one connection: the file is renamed into place once complete, so
    # a crash leaves nothing half-built where the bench would reuse it.
    # Events and articles refer to each other: the keys are checked once at the end instead (with
    # keys deferred, each new article would scan events for rows waiting for it).
    pragmas = (
        "foreign_keys=OFF",
        "journal_mode=OFF",
        "synchronous=OFF",
        "cache_size=-1048576",
        "temp_store=MEMORY",
    )
    for pragma in pragmas:
        connection.exec_driver_sql(f"PRAGMA {pragma}")


def build(path: Path, events: int, seed: int) -> float:
    """Create the database at `path` with `events` synthetic events; the seconds it took."""
    started = time.perf_counter()
    world = make_world(seed)
    rng = np.random.default_rng(seed)
    partial = path.with_name(path.name + ".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    upgrade(url)
    times = np.sort(rng.uniform(0, SPAN.total_seconds(), size=events))
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _build_pragmas(connection)
            connection.exec_driver_sql("BEGIN")
            connection.execute(
                insert(_table(FeedRow)),
                [
                    {
                        "id": f"bench-{i:02d}",
                        "name": f"Bench outlet {i}",
                        "url": f"https://news{i}.example/feed",
                        "language": "ar",
                        "consecutive_errors": 0,
                        "disabled": False,
                    }
                    for i in range(FEEDS)
                ],
            )
            connection.execute(
                insert(_table(PlaceRow)),
                [
                    {
                        "id": p.id,
                        "name": p.name_en,
                        "governorate": p.governorate,
                        "district": p.district,
                        "lat": p.lat,
                        "lon": p.lon,
                    }
                    for p in world.places
                ],
            )
            for first in range(0, events, CHUNK):
                rows = make_rows(world, rng, first + 1, times[first : first + CHUNK].tolist())
                connection.execute(insert(_table(ArticleRow)), rows.articles)
                connection.execute(insert(_table(EventRow)), rows.events)
                connection.execute(insert(_table(EventPlaceRow)), rows.event_places)
                done = first + len(rows.events)
                elapsed = time.perf_counter() - started
                sys.stderr.write(f"\rbuilding: {done:,}/{events:,} events, {elapsed:.0f} s")
                sys.stderr.flush()
            connection.commit()
            sys.stderr.write("\nchecking the foreign keys\n")
            orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if orphans:
                raise RuntimeError(f"the bench's rows break {len(orphans)} foreign keys, e.g. {orphans[0]}")
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    finally:
        engine.dispose()
    partial.replace(path)
    return time.perf_counter() - started


def prepare(path: Path, events: int, seed: int, *, rebuild: bool, cached: bool) -> float | None:
    """Build the database unless a usable one is there (then migrate it to head); build seconds or None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = stored_events(path)
    if count == events and not rebuild:
        engine = make_engine(f"sqlite:///{path}")
        try:
            behind = schema_revision(engine) != head_revision()
        finally:
            engine.dispose()
        if behind:
            sys.stderr.write(f"migrating {path} to {head_revision()}\n")
            migrated = time.perf_counter()
            upgrade(f"sqlite:///{path}")
            sys.stderr.write(f"migrated in {time.perf_counter() - migrated:.1f} s\n")
        return None
    if path.exists() and not (cached or rebuild):
        held = count if count is not None else "no"
        print(f"error: {path} holds {held} bench events, not {events}: pass --rebuild", file=sys.stderr)
        raise SystemExit(2)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    return build(path, events, seed)


# --- the queries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """One query of the bench: its kind, a description, the store call and a brute-force answer."""

    kind: str
    label: str
    call: Callable[[Session], list[EventRow]]
    expected: Callable[[Session], list[int]]  # the event ids the call should give, the slow way


def _by_place(kind: str, label: str, **query: Any) -> Query:
    def call(session: Session) -> list[EventRow]:
        return store.events_by_place(session, limit=LIMIT, **query)

    def expected(session: Session) -> list[int]:
        ids = list(query.get("place_ids", ()))
        conditions = [EventPlaceRow.place_id.in_(ids)] if ids else []
        for name in ("governorate", "district"):
            if query.get(name) is not None:
                conditions.append(getattr(EventPlaceRow, name) == query[name])
        seen = func.max(EventPlaceRow.first_seen_at)
        stmt = select(EventPlaceRow.event_id).where(or_(*conditions))
        if query.get("since") is not None:
            stmt = stmt.where(EventPlaceRow.first_seen_at >= query["since"])
        stmt = stmt.group_by(EventPlaceRow.event_id).order_by(seen.desc(), EventPlaceRow.event_id.desc())
        return list(session.scalars(stmt.limit(LIMIT)))

    return Query(kind, label, call, expected)


def _near(kind: str, lat: float, lon: float, radius_km: float) -> Query:
    def call(session: Session) -> list[EventRow]:
        return [n.event for n in store.events_near(session, lat, lon, radius_km, limit=LIMIT)]

    def expected(session: Session) -> list[int]:
        """Every event at a place within the radius, by (km of its nearest place, newest first)."""
        km: dict[str, int] = {}
        for place_id, place_lat, place_lon in session.execute(
            select(PlaceRow.id, PlaceRow.lat, PlaceRow.lon)
        ):
            distance = store.haversine_km(lat, lon, place_lat, place_lon)
            if distance <= radius_km:
                km[place_id] = round(distance)
        best: dict[int, tuple[int, str]] = {}  # event id -> (km, first seen as stored: sortable text)
        places = list(km)
        for first in range(0, len(places), 500):
            stmt = select(
                EventPlaceRow.event_id, EventPlaceRow.place_id, EventPlaceRow.first_seen_at.cast(String)
            ).where(EventPlaceRow.place_id.in_(places[first : first + 500]))
            for event_id, place_id, seen in session.execute(stmt):
                if event_id not in best or km[place_id] < best[event_id][0]:
                    best[event_id] = (km[place_id], seen)
        newest_first = sorted(best.items(), key=lambda item: (item[1][1], item[0]), reverse=True)
        return [event_id for event_id, _ in sorted(newest_first, key=lambda item: item[1][0])[:LIMIT]]

    return Query(kind, f"{lat:.3f},{lon:.3f}", call, expected)


def _latest_query() -> Query:
    def call(session: Session) -> list[EventRow]:
        return store.latest_events(session, LIMIT)

    def expected(session: Session) -> list[int]:
        stmt = select(EventRow.id).order_by(EventRow.first_seen_at.desc(), EventRow.id.desc())
        return list(session.scalars(stmt.limit(LIMIT)))

    return Query("latest", "", call, expected)


def _jittered(rng: random.Random, place: Place) -> tuple[float, float]:
    distance, bearing = JITTER_KM * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    lat = place.lat + distance * math.cos(bearing) / store.KM_PER_DEGREE
    lon = place.lon + distance * math.sin(bearing) / (store.KM_PER_DEGREE * math.cos(math.radians(lat)))
    return lat, lon


def make_query(kind: str, world: World, rng: random.Random) -> Query:
    """A random query of `kind`."""
    places = world.places
    match kind:
        case "place hot" | "place cold":
            place = rng.choice(places[:HOT_COUNT] if kind == "place hot" else places)
            return _by_place(kind, place.id, place_ids=[place.id])
        case "3 places":
            ids = [places[i].id for i in rng.choices(range(len(places)), cum_weights=world.cumulative, k=3)]
            return _by_place(kind, ",".join(ids), place_ids=ids)
        case "governorate" | "governorate 30 d":
            governorate = rng.choice(world.governorates)
            since = END - timedelta(days=30) if kind == "governorate 30 d" else None
            return _by_place(kind, governorate, governorate=governorate, since=since)
        case "district":
            district = rng.choice(world.districts)
            return _by_place(kind, district, district=district)
        case "near 25 km" | "near 100 km":
            lat, lon = _jittered(rng, rng.choice(places))
            return _near(kind, lat, lon, 25.0 if kind == "near 25 km" else 100.0)
        case "latest":
            return _latest_query()
    raise ValueError(f"unknown query kind {kind!r}")


def render_reads(session: Session, events: Sequence[EventRow]) -> int:
    """What rendering the answer reads: each event's representative article and sources; rows read."""
    rows = 0
    for row in events:
        if row.representative_article_id is not None:
            rows += store.get_article(session, row.representative_article_id) is not None
        rows += len(store.event_sources(session, row.id))
    return rows


@dataclass(slots=True)
class Timings:
    """Latencies of one kind of query, in milliseconds."""

    store: list[float]
    full: list[float]
    results: list[int]


def run_queries(sessions: sessionmaker[Session], queries: Sequence[Query]) -> dict[str, Timings]:
    """Run each query in a fresh session; time the store call, and the store call plus rendering reads."""
    timings = {kind: Timings([], [], []) for kind in KINDS}
    for query in queries:
        started = time.perf_counter()
        with sessions() as session:
            events = query.call(session)
            stored = time.perf_counter()
            render_reads(session, events)
        done = time.perf_counter()
        timing = timings[query.kind]
        timing.store.append((stored - started) * 1000)
        timing.full.append((done - started) * 1000)
        timing.results.append(len(events))
    return timings


def verify(sessions: sessionmaker[Session], queries: Sequence[Query], per_kind: int) -> bool:
    """Compare the first `per_kind` queries of each kind with their brute-force answers; True if all agree."""
    checked = dict.fromkeys(KINDS, 0)
    wrong = 0
    for query in queries:
        if checked[query.kind] >= per_kind:
            continue
        checked[query.kind] += 1
        with sessions() as session:
            got = [row.id for row in query.call(session)]
            want = query.expected(session)
        if got != want:
            wrong += 1
            print(f"MISMATCH {query.kind} {query.label}: store {got}, expected {want}")
    print(
        f"Verified {sum(checked.values())} queries ({per_kind} or all of each kind) against brute-force "
        f"answers (every matching row read, sorted in Python or by GROUP BY): {wrong} differ.\n"
    )
    return wrong == 0


def evict(path: Path) -> None:
    """Drop the database's pages from the OS page cache (this file only): the next reads go to disk."""
    for file in (path, Path(f"{path}-wal")):
        if file.exists():
            descriptor = os.open(file, os.O_RDONLY)
            try:
                os.fsync(descriptor)
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def explain(engine: Engine, world: World, rng: random.Random) -> None:
    """Print SQLite's plan of every statement one query of each kind runs."""
    seen: set[str] = set()

    def show(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement in seen or not statement.lstrip().upper().startswith("SELECT"):
            return
        seen.add(statement)
        with closing(sqlite3.connect(f"file:{engine.url.database}?mode=ro", uri=True)) as connection:
            plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
        print(" ".join(statement.split()))
        for _id, _parent, _notused, detail in plan:
            print(f"    {detail}")

    sessions = session_factory(engine)
    event.listen(engine, "before_cursor_execute", show)
    try:
        for kind in KINDS:
            query = make_query(kind, world, rng)
            print(f"\n### {kind} {query.label}\n")
            before = len(seen)
            with sessions() as session:
                render_reads(session, query.call(session))
            if len(seen) == before:
                print("(only statements shown above)")
    finally:
        event.remove(engine, "before_cursor_execute", show)


# --- the report ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (0 < fraction <= 1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    python, sqlite = platform.python_version(), sqlite3.sqlite_version
    return f"{os.cpu_count()} CPUs ({model}), Python {python}, SQLite {sqlite}"


def _size_mib(path: Path) -> float:
    files = (path, Path(f"{path}-wal"))
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def report(
    args: argparse.Namespace, path: Path, build_seconds: float | None, timings: dict[str, Timings]
) -> bool:
    """Print the tables; True when every kind meets the p95 target (store call)."""
    built = f"built in {build_seconds:.0f} s" if build_seconds is not None else "reused (built earlier)"
    print(f"## Query bench: {args.events:,} events on SQLite\n")
    print(
        f"Database {path} ({_size_mib(path):,.0f} MiB, {built}); {args.queries:,} queries "
        f"(seed {args.seed}), {LIMIT} events each, a fresh session per query, "
        f"{'the file dropped from the OS page cache first (--cold)' if args.cold else 'warm OS page cache'}; "
        f"{_machine()}.\n"
    )
    tables: tuple[tuple[str, Callable[[Timings], list[float]]], ...] = (
        ("store call (events with their places)", lambda t: t.store),
        ("full (store call + each result's representative article and sources)", lambda t: t.full),
    )
    for title, pick in tables:
        print(f"{title}, ms:\n")
        print("| query | n | results (mean) | p50 | p95 | p99 | max |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        for kind in KINDS:
            values = pick(timings[kind])
            if values:
                print(
                    f"| {kind} | {len(values)} | {statistics.fmean(timings[kind].results):.1f} | "
                    f"{percentile(values, 0.5):.1f} | {percentile(values, 0.95):.1f} | "
                    f"{percentile(values, 0.99):.1f} | {max(values):.1f} |"
                )
        print()
    ok = all(percentile(t.store, 0.95) <= TARGET_P95_MS for t in timings.values() if t.store)
    verdict = "met" if ok else "NOT met"
    print(f"Target p95 <= {TARGET_P95_MS:g} ms for every kind (store call): {verdict}.")
    return ok


# --- command line ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.query_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="stored events (default 1,000,000)")
    parser.add_argument("--db", type=Path, help=f"the SQLite file (default: cached under {CACHE_DIR})")
    parser.add_argument("--queries", type=int, default=2000, help="queries to time (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data and queries (default 1)")
    parser.add_argument("--rebuild", action="store_true", help="build the database even if one is there")
    parser.add_argument("--explain", action="store_true", help="print the query plans, then time the queries")
    parser.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="N",
        help="first check N queries of each kind against brute-force answers (default 0: no check)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="drop the file from the OS page cache before timing (as after a reboot)",
    )
    args = parser.parse_args(argv)
    for name in ("events", "queries"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def _interleaved(world: World, queries: int, seed: int) -> Iterator[Query]:
    rng = random.Random(seed)
    kinds = [KINDS[i % len(KINDS)] for i in range(queries)]
    rng.shuffle(kinds)
    for kind in kinds:
        yield make_query(kind, world, rng)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path = args.db if args.db is not None else default_path(args.events, args.seed)
    build_seconds = prepare(path, args.events, args.seed, rebuild=args.rebuild, cached=args.db is None)
    world = make_world(args.seed)
    queries = list(_interleaved(world, args.queries, args.seed))
    engine = make_engine(f"sqlite:///{path}")
    correct = True
    try:
        sessions = session_factory(engine)
        if args.explain:
            explain(engine, world, random.Random(args.seed))
        if args.verify:
            correct = verify(sessions, queries, args.verify)
        if args.cold:
            evict(path)
        with sessions() as session:  # open the pool's connection: the bot's is open long before a query
            session.scalar(select(func.count()).select_from(FeedRow))
        timings = run_queries(sessions, queries)
    finally:
        engine.dispose()
    fast = report(args, path, build_seconds, timings)
    return 0 if fast and correct else 1


if __name__ == "__main__":
    raise SystemExit(main())
