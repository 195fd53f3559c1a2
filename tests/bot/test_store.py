"""The repository against real databases: every test runs on an SQLite file and on PostgreSQL."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.db import (
    NO_THREAD,
    ArticleRow,
    EventRow,
    OutboxRow,
    PlaceRow,
    SubscriberRow,
    make_engine,
    session_factory,
)
from bot.models import FeedConfig
from bot.store import AlertTarget, EventFacts, EventPlace
from summarizer.models import Place, PlaceMention

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

# Real coordinates (the gazetteer's): Deir ez-Zor city, Al-Mayadin (about 44 km down the Euphrates),
# Damascus, and Idlib city.
DEIR_EZ_ZOR = EventPlace("gn:170794", "Deir ez-Zor", "Deir ez-Zor", "Deir ez-Zor", 35.3359, 40.1408, 1)
MAYADIN = EventPlace("gn:170017", "Al-Mayadin", "Deir ez-Zor", "Al-Mayadin", 35.0206, 40.4508, 1)
DAMASCUS = EventPlace("gn:170654", "Damascus", "Damascus", "Damascus", 33.5102, 36.2913, 1)
IDLIB = EventPlace("gn:169389", "Idlib", "Idlib", "Idlib", 35.9306, 36.6339, 1)

FEEDS = (
    FeedConfig(
        "enab-baladi-ar", "عنب بلدي", "https://www.enabbaladi.net/feed/", "ar", "https://x.test/", True
    ),
    FeedConfig(
        "syria-tv-ar", "تلفزيون سوريا", "https://www.syria.tv/rss.xml", "ar", "https://y.test/", False
    ),
)


def feeds(session: Session) -> None:
    store.sync_feeds(session, FEEDS)


def article(
    session: Session, identity: str, *, feed_id: str = "enab-baladi-ar", **fields: object
) -> ArticleRow:
    """Store an article with sensible defaults."""
    values: dict[str, object] = {
        "title": f"title {identity}",
        "fetched_at": NOW,
        "summary": [f"summary of {identity}"],
        "syria_related": True,
        "relevance": 0.9,
    }
    values.update(fields)
    return store.add_article(session, feed_id=feed_id, identity=identity, **values)  # type: ignore[arg-type]


def facts(*places: EventPlace, killed: int | None = None, **fields: object) -> EventFacts:
    """Event facts for a shelling at `places`."""
    values: dict[str, object] = {
        "occurred_at": NOW - timedelta(hours=1),
        "event_types": ("Explosions/Remote violence",),
        "sub_event_types": ("Shelling/artillery/missile attack",),
        "places": places,
        "killed": killed,
    }
    values.update(fields)
    return EventFacts(**values)  # type: ignore[arg-type]


def new_event(
    session: Session, identity: str, *places: EventPlace, now: datetime = NOW, **fields: object
) -> EventRow:
    """An article and the event it starts."""
    row = article(session, identity, fetched_at=now)
    return store.create_event(session, facts(*places, **fields), article_id=row.id, now=now)  # type: ignore[arg-type]


# --- Feeds -----------------------------------------------------------------------------------------


def test_sync_feeds_is_idempotent(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = store.sync_feeds(session, FEEDS)
    with sessions.begin() as session:
        again = store.sync_feeds(session, FEEDS)
        assert [row.id for row in again] == [row.id for row in first] == ["enab-baladi-ar", "syria-tv-ar"]
        assert len(store.all_feeds(session)) == 2
        assert again[1].name == "تلفزيون سوريا"


def test_sync_feeds_renames_and_a_new_url_starts_afresh(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        store.record_fetch(
            session, "syria-tv-ar", ok=True, etag='"v1"', last_modified="x", now=NOW, disable_threshold=3
        )
        for _ in range(3):
            store.record_fetch(
                session, "enab-baladi-ar", ok=False, error="HTTP 500", now=NOW, disable_threshold=3
            )
    moved = FeedConfig(
        "enab-baladi-ar", "Enab", "https://new.enabbaladi.net/feed/", "ar", "https://x.test/", True
    )
    renamed = FeedConfig("syria-tv-ar", "Syria TV", FEEDS[1].url, "ar", "https://y.test/", False)
    with sessions.begin() as session:
        store.sync_feeds(session, [moved, renamed])
    with sessions() as session:
        enab = store.feed_state(session, "enab-baladi-ar")
        tv = store.feed_state(session, "syria-tv-ar")
        assert enab is not None
        assert tv is not None
        assert (enab.url, enab.disabled, enab.consecutive_errors, enab.last_error) == (
            moved.url,
            False,
            0,
            None,
        )
        assert (tv.name, tv.etag, tv.last_modified) == ("Syria TV", '"v1"', "x")  # same URL: state kept
        assert store.feed_state(session, "no-such-feed") is None


def test_record_fetch_counts_errors_and_disables_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
    outcomes = []
    for attempt in range(4):
        with sessions.begin() as session:
            record = store.record_fetch(
                session,
                "enab-baladi-ar",
                ok=False,
                error=f"timeout {attempt}",
                now=NOW + attempt * MINUTE,
                next_attempt_at=NOW + (attempt + 1) * 2 * MINUTE,
                disable_threshold=3,
            )
            outcomes.append((record.feed.consecutive_errors, record.feed.disabled, record.just_disabled))
    assert outcomes == [(1, False, False), (2, False, False), (3, True, True), (4, True, False)]
    with sessions() as session:
        row = store.feed_state(session, "enab-baladi-ar")
        assert row is not None
        assert row.disabled_at == NOW + 2 * MINUTE
        assert row.last_error == "timeout 3"
        assert row.last_success_at is None
        assert [f.id for f in store.feeds_due(session, NOW + timedelta(days=1))] == ["syria-tv-ar"]
    with sessions.begin() as session:
        record = store.record_fetch(
            session, "enab-baladi-ar", ok=True, now=NOW + timedelta(hours=1), disable_threshold=3
        )
        assert (record.feed.consecutive_errors, record.feed.disabled, record.feed.last_error) == (
            0,
            False,
            None,
        )
        assert record.feed.last_success_at == NOW + timedelta(hours=1)


def test_record_fetch_keeps_validators_on_304_and_honours_backoff(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        store.record_fetch(
            session, "enab-baladi-ar", ok=True, etag='"a"', last_modified="Tue, 24 Nov 2026 10:00:00 GMT",
            now=NOW, next_attempt_at=NOW + 5 * MINUTE, disable_threshold=5,
        )  # fmt: skip
        store.record_fetch(
            session, "enab-baladi-ar", ok=False, not_modified=True, now=NOW + MINUTE, disable_threshold=5
        )
    with sessions() as session:
        row = store.feed_state(session, "enab-baladi-ar")
        assert row is not None
        assert (row.etag, row.last_modified) == ('"a"', "Tue, 24 Nov 2026 10:00:00 GMT")
        assert row.last_fetch_at == row.last_success_at == NOW + MINUTE
        assert [f.id for f in store.feeds_due(session, NOW)] == ["enab-baladi-ar", "syria-tv-ar"]
    with sessions.begin() as session:
        store.record_fetch(
            session, "enab-baladi-ar", ok=False, error="HTTP 503", now=NOW, next_attempt_at=NOW + 5 * MINUTE,
            disable_threshold=5,
        )  # fmt: skip
        assert [f.id for f in store.feeds_due(session, NOW + MINUTE)] == ["syria-tv-ar"]
        assert len(store.feeds_due(session, NOW + 5 * MINUTE)) == 2


def test_record_fetch_of_an_unknown_feed_raises(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(LookupError, match="sync_feeds"):
        store.record_fetch(session, "nope", ok=True, now=NOW, disable_threshold=3)


def test_enable_feed_gives_a_clean_slate(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        store.record_fetch(session, "syria-tv-ar", ok=False, error="x", now=NOW, disable_threshold=1)
        assert store.enable_feed(session, "syria-tv-ar")
        assert not store.enable_feed(session, "nope")
        row = store.feed_state(session, "syria-tv-ar")
        assert row is not None
        assert not row.disabled
        assert row.consecutive_errors == 0


# --- Articles --------------------------------------------------------------------------------------


def test_known_identities_survive_a_restart(database_url: str) -> None:
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        feeds(session)
        article(session, "guid:1")
        article(session, "url:https://www.enabbaladi.net/2026/11/a")
        article(session, "guid:1", feed_id="syria-tv-ar")
    engine.dispose()

    engine = make_engine(database_url)  # the restarted process
    try:
        with session_factory(engine)() as session:
            asked = ["guid:1", "guid:2", "url:https://www.enabbaladi.net/2026/11/a", "hash:ab12"]
            assert store.known_identities(session, "enab-baladi-ar", asked) == {
                "guid:1",
                "url:https://www.enabbaladi.net/2026/11/a",
            }
            assert store.known_identities(session, "syria-tv-ar", asked) == {"guid:1"}
            assert store.known_identities(session, "syria-tv-ar", []) == set()
            many = [f"guid:{i}" for i in range(1200)]  # more than one IN list
            assert store.known_identities(session, "enab-baladi-ar", many) == {"guid:1"}
    finally:
        engine.dispose()


def test_add_article_twice_returns_the_stored_row(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        first = article(session, "guid:1", title="first")
    with sessions.begin() as session:
        again = article(session, "guid:1", title="second")
        assert again.id == first.id
        assert again.title == "first"
        assert session.scalar(select(func.count()).select_from(ArticleRow)) == 1


def test_article_fields_round_trip(sessions: sessionmaker[Session]) -> None:
    published = NOW - timedelta(hours=2)
    analysis = {"language": "ar", "places": [{"id": "gn:170794", "precision": 1}], "killed": 3}
    with sessions.begin() as session:
        feeds(session)
        row = article(
            session,
            "url:https://www.enabbaladi.net/a",
            url="https://www.enabbaladi.net/a?utm_source=rss",
            canonical_url="https://www.enabbaladi.net/a",
            language="ar",
            published_at=published,
            summary=("الجملة الأولى.", "الجملة الثانية."),
            text="النص الكامل",
            teaser="مقدمة",
            relevance=0.75,
            analysis=analysis,
            fingerprint=(3, 1, 4, 1, 5),
        )
    with sessions() as session:
        stored = store.get_article(session, row.id)
        assert stored is not None
        assert stored.summary == ["الجملة الأولى.", "الجملة الثانية."]
        assert (stored.text, stored.teaser, stored.language) == ("النص الكامل", "مقدمة", "ar")
        assert stored.published_at == published
        assert stored.analysis == analysis
        assert stored.fingerprint == [3, 1, 4, 1, 5]
        found = store.article_by_canonical_url(session, "https://www.enabbaladi.net/a")
        assert found is not None
        assert found.id == row.id
        assert store.article_by_canonical_url(session, "https://elsewhere.test/") is None


def test_a_near_duplicate_from_another_outlet_is_a_second_source(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        event = new_event(session, "guid:root", DEIR_EZ_ZOR, killed=2)
        root_id = event.representative_article_id
        assert root_id is not None
    with sessions.begin() as session:
        duplicate = article(
            session, "guid:dup", feed_id="syria-tv-ar", duplicate_of=root_id, fetched_at=NOW + MINUTE
        )
        assert duplicate.duplicate_of == root_id
        assert duplicate.event_id == event.id  # joins the story's event
        # A duplicate of the duplicate points at the story's first article, not at a chain.
        third = article(session, "guid:dup2", duplicate_of=duplicate.id, fetched_at=NOW + 2 * MINUTE)
        assert third.duplicate_of == root_id
        assert store.update_event(session, event.id, None, now=NOW + 2 * MINUTE)
    with sessions() as session:
        sources = store.article_sources(session, third.id)
        assert [a.id for a in sources] == [root_id, duplicate.id, third.id]
        assert [s.feed_id for s in store.event_sources(session, event.id)] == [
            "enab-baladi-ar",
            "syria-tv-ar",
        ]
        assert store.event_sources(session, event.id)[1].feed_name == "تلفزيون سوريا"
        stored = store.get_event(session, event.id)
        assert stored is not None
        assert (stored.source_count, stored.version, stored.updated_at) == (2, 2, NOW + 2 * MINUTE)
        assert store.article_sources(session, 10_000) == []


def test_duplicate_of_an_unknown_article_raises(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        with pytest.raises(LookupError):
            article(session, "guid:x", duplicate_of=10_000)


def test_recent_fingerprints_skip_duplicates_and_old_articles(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        old = article(session, "guid:old", fetched_at=NOW - timedelta(days=3), fingerprint=[9])
        root = article(session, "guid:root", fingerprint=[1, 2, 3])
        event = store.create_event(session, facts(IDLIB), article_id=root.id, now=NOW)
        article(session, "guid:dup", feed_id="syria-tv-ar", duplicate_of=root.id, fingerprint=[1, 2, 4])
        article(session, "guid:none")  # no fingerprint
        lone = article(session, "guid:lone", fetched_at=NOW + MINUTE, fingerprint=[7, 8])
    with sessions() as session:
        rows = store.recent_fingerprints(session, NOW - timedelta(days=1))
        assert rows == [(root.id, event.id, (1, 2, 3)), (lone.id, None, (7, 8))]
        assert rows[0].fingerprint == (1, 2, 3)
        assert old.id in {r.article_id for r in store.recent_fingerprints(session, NOW - timedelta(days=7))}


# --- Events ----------------------------------------------------------------------------------------


def test_create_event_stores_its_facts_places_and_first_source(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        event = new_event(
            session, "guid:1", DEIR_EZ_ZOR, MAYADIN, DEIR_EZ_ZOR, killed=4, injured=7, fingerprint=(5, 6)
        )
    with sessions() as session:
        stored = store.get_event(session, event.id)
        assert stored is not None
        assert stored.version == 1
        assert stored.source_count == 1
        assert stored.first_seen_at == stored.updated_at == NOW
        assert stored.occurred_at == NOW - timedelta(hours=1)
        assert (stored.killed, stored.injured) == (4, 7)
        assert stored.event_types == ["Explosions/Remote violence"]
        assert stored.sub_event_types == ["Shelling/artillery/missile attack"]
        assert stored.governorates == ["Deir ez-Zor"]
        assert (stored.place_id, stored.place_name, stored.precision) == ("gn:170794", "Deir ez-Zor", 1)
        assert (stored.lat, stored.lon) == (DEIR_EZ_ZOR.lat, DEIR_EZ_ZOR.lon)
        assert [p.place_id for p in stored.places] == ["gn:170794", "gn:170017"]  # repeated place once
        assert stored.fingerprint == [5, 6]
        linked = store.get_article(session, stored.representative_article_id or 0)
        assert linked is not None
        assert linked.event_id == event.id
        assert store.event_facts(stored) == facts(
            DEIR_EZ_ZOR, MAYADIN, killed=4, injured=7, fingerprint=(5, 6)
        )


def test_update_event_bumps_the_version_on_material_changes_only(sessions: sessionmaker[Session]) -> None:
    later = NOW + timedelta(minutes=30)
    with sessions.begin() as session:
        feeds(session)
        event = new_event(session, "guid:1", DEIR_EZ_ZOR, killed=2)
        event_id = event.id
    steps = [
        (facts(DEIR_EZ_ZOR, killed=2), False),  # the same facts
        (facts(DEIR_EZ_ZOR, killed=2, occurred_at=NOW - timedelta(hours=3), fingerprint=(1,)), False),
        (facts(DEIR_EZ_ZOR, killed=5), True),  # revised toll
        (facts(DEIR_EZ_ZOR, killed=5, injured=3), True),
        (facts(DEIR_EZ_ZOR, MAYADIN, killed=5, injured=3), True),  # a new place
        (facts(MAYADIN, DEIR_EZ_ZOR, killed=5, injured=3), True),  # a new primary place
        (facts(MAYADIN, DEIR_EZ_ZOR, killed=5, injured=3, sub_event_types=("Air/drone strike",)), True),
    ]
    versions = []
    for step, (new_facts, material) in enumerate(steps):
        with sessions.begin() as session:
            assert store.update_event(session, event_id, new_facts, now=later + step * MINUTE) is material
            stored = store.get_event(session, event_id)
            assert stored is not None
            versions.append(stored.version)
    assert versions == [1, 1, 2, 3, 4, 5, 6]
    with sessions() as session:
        stored = store.get_event(session, event_id)
        assert stored is not None
        assert stored.updated_at == later + 6 * MINUTE
        assert stored.occurred_at == NOW - timedelta(hours=1)  # the last facts given
        assert [p.place_id for p in stored.places] == [MAYADIN.place_id, DEIR_EZ_ZOR.place_id]
        assert [p.position for p in stored.places] == [0, 1]
        assert (stored.place_id, stored.lat) == (MAYADIN.place_id, MAYADIN.lat)
    with sessions.begin() as session:
        assert store.update_event(
            session,
            event_id,
            facts(IDLIB, killed=5, injured=3, sub_event_types=("Air/drone strike",)),
            now=later,
        )
        stored = store.get_event(session, event_id)
        assert stored is not None
        assert [p.place_id for p in stored.places] == [IDLIB.place_id]
        assert stored.governorates == ["Idlib"]
        assert store.events_by_place(session, governorate="Deir ez-Zor", limit=5) == []
        with pytest.raises(LookupError):
            store.update_event(session, 10_000, None, now=later)


def test_events_by_place_governorate_and_district(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        dez_old = new_event(session, "guid:1", DEIR_EZ_ZOR, now=NOW - timedelta(days=10))
        both = new_event(session, "guid:2", DEIR_EZ_ZOR, MAYADIN, now=NOW - timedelta(days=1))
        mayadin = new_event(session, "guid:3", MAYADIN, now=NOW - timedelta(hours=1))
        damascus = new_event(session, "guid:4", DAMASCUS, now=NOW)
    with sessions() as session:

        def ids(**query: object) -> list[int]:
            return [e.id for e in store.events_by_place(session, **query)]  # type: ignore[arg-type]

        assert ids(place_ids=[DEIR_EZ_ZOR.place_id], limit=10) == [both.id, dez_old.id]
        assert ids(place_ids=[DEIR_EZ_ZOR.place_id, MAYADIN.place_id], limit=10) == [
            mayadin.id,
            both.id,
            dez_old.id,
        ]
        # An event with two places in the governorate comes once.
        assert ids(governorate="Deir ez-Zor", limit=10) == [mayadin.id, both.id, dez_old.id]
        assert ids(governorate="Deir ez-Zor", limit=2) == [mayadin.id, both.id]
        assert ids(governorate="Deir ez-Zor", since=NOW - timedelta(days=2), limit=10) == [
            mayadin.id,
            both.id,
        ]
        assert ids(district="Al-Mayadin", limit=10) == [mayadin.id, both.id]
        assert ids(governorate="Damascus", limit=10) == [damascus.id]
        assert ids(governorate="Idlib", limit=10) == []
        assert [e.id for e in store.latest_events(session, 2)] == [damascus.id, mayadin.id]
        assert len(store.latest_events(session, 10, since=NOW - timedelta(days=2))) == 3
        assert [e.id for e in store.events_since(session, NOW - timedelta(hours=2))] == [
            damascus.id,
            mayadin.id,
        ]
        with pytest.raises(ValueError, match="needs"):
            store.events_by_place(session, limit=5)


def test_events_by_place_reads_past_repeated_events(sessions: sessionmaker[Session]) -> None:
    """Many events with several places in one governorate: still `limit` distinct events, newest first."""
    places = [
        EventPlace(f"gn:{i}", f"village {i}", "Idlib", "Idlib", 35.9 + i / 1000, 36.6, 1) for i in range(6)
    ]
    with sessions.begin() as session:
        feeds(session)
        created = [new_event(session, f"guid:{n}", *places, now=NOW + n * MINUTE).id for n in range(12)]
    with sessions() as session:
        found = [e.id for e in store.events_by_place(session, governorate="Idlib", limit=10)]
        assert found == created[::-1][:10]


def test_events_near_uses_the_distance_not_just_the_box(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        dez_old = new_event(session, "guid:1", DEIR_EZ_ZOR, now=NOW - timedelta(days=5))
        dez_new = new_event(session, "guid:2", DEIR_EZ_ZOR, now=NOW)
        mayadin = new_event(session, "guid:3", MAYADIN, now=NOW)
        both = new_event(session, "guid:4", MAYADIN, DEIR_EZ_ZOR, now=NOW - timedelta(days=1))
        new_event(session, "guid:5", DAMASCUS, now=NOW)
    # A user a little east of Deir ez-Zor city.
    lat, lon = 35.33, 40.19
    with sessions() as session:
        near = store.events_near(session, lat, lon, 25, limit=10)
        assert [n.event.id for n in near] == [dez_new.id, both.id, dez_old.id]  # same distance: newest first
        assert {n.place_id for n in near} == {DEIR_EZ_ZOR.place_id}
        assert near[0].distance_km == pytest.approx(4.5, abs=0.3)
        wider = store.events_near(session, lat, lon, 60, limit=10)
        assert [n.event.id for n in wider] == [dez_new.id, both.id, dez_old.id, mayadin.id]
        assert wider[-1].distance_km == pytest.approx(store.haversine_km(lat, lon, MAYADIN.lat, MAYADIN.lon))
        assert 40 < wider[-1].distance_km < 60
        assert [n.event.id for n in store.events_near(session, lat, lon, 60, limit=2)] == [
            dez_new.id,
            both.id,
        ]
        recent = store.events_near(session, lat, lon, 60, limit=10, since=NOW - timedelta(hours=1))
        assert [n.event.id for n in recent] == [dez_new.id, mayadin.id]
        # A box corner is farther than the radius: 20 km north and 20 km east is 28 km away.
        corner_lat = lat + 20 / store.KM_PER_DEGREE
        assert store.events_near(session, corner_lat, lon + 0.22, 25, limit=10) == []
        assert store.events_near(session, 36.2, 37.15, 25, limit=10) == []  # Aleppo: nothing there


def test_places_are_shared_and_follow_the_gazetteer(sessions: sessionmaker[Session]) -> None:
    moved = EventPlace(DEIR_EZ_ZOR.place_id, "Dayr az-Zawr", "Deir ez-Zor", "Deir ez-Zor", 35.40, 40.20, 2)
    with sessions.begin() as session:
        feeds(session)
        first = new_event(session, "guid:1", DEIR_EZ_ZOR, MAYADIN)
        new_event(session, "guid:2", DEIR_EZ_ZOR)
        assert session.scalar(select(func.count()).select_from(PlaceRow)) == 2
        new_event(session, "guid:3", moved)  # the gazetteer moved the place between releases
    with sessions() as session:
        place = session.get(PlaceRow, DEIR_EZ_ZOR.place_id)
        assert place is not None
        assert (place.name, place.lat, place.lon) == ("Dayr az-Zawr", 35.40, 40.20)
        assert len(store.events_near(session, 35.40, 40.20, 1, limit=10)) == 3
        stored = store.get_event(session, first.id)
        assert stored is not None
        assert stored.places[0].lat == DEIR_EZ_ZOR.lat  # each event keeps the coordinates it was tagged with


def test_event_place_from_a_tagger_mention() -> None:
    place = Place(
        "gn:170794", "Deir ez-Zor", "دير الزور", "city", "Deir ez-Zor", "Deir ez-Zor", 35.3359, 40.1408
    )
    mention = PlaceMention(place, 2, "دير الزور", 0, 9)
    assert store.EventPlace.from_mention(mention) == EventPlace(
        "gn:170794", "Deir ez-Zor", "Deir ez-Zor", "Deir ez-Zor", 35.3359, 40.1408, 2
    )


def test_haversine_km() -> None:
    assert store.haversine_km(35.0, 40.0, 35.0, 40.0) == 0.0
    assert store.haversine_km(35.0, 40.0, 36.0, 40.0) == pytest.approx(111.19, abs=0.01)
    # Damascus to Aleppo, about 310 km as the crow flies.
    assert store.haversine_km(33.5102, 36.2913, 36.2021, 37.1343) == pytest.approx(310, abs=5)


# --- Subscribers -----------------------------------------------------------------------------------


def subscribe(session: Session, chat_id: int, *, kind: str = "private", **filters: object) -> None:
    store.ensure_subscriber(session, chat_id, kind=kind, language="ar", now=NOW)
    store.add_subscription(session, chat_id, now=NOW, **filters)  # type: ignore[arg-type]


def test_matching_subscribers_applies_every_filter(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        root = article(
            session,
            "guid:1",
            title="قصف مدفعي على مدينة دير الزور",
            summary=["قتل ثلاثة مدنيين في قصفٍ على حي الحويقة."],
        )
        event = store.create_event(session, facts(DEIR_EZ_ZOR, killed=3), article_id=root.id, now=NOW)
        subscribe(session, 1, place_id=DEIR_EZ_ZOR.place_id)
        subscribe(session, 2, place_id=MAYADIN.place_id)  # another town
        subscribe(session, 3, governorate="Deir ez-Zor")
        subscribe(session, 4, governorate="Idlib")
        subscribe(session, 5, district="Deir ez-Zor")
        subscribe(session, 6, event_category="Explosions/Remote violence")
        subscribe(session, 7, event_category="Shelling/artillery/missile attack")
        subscribe(session, 8, event_category="Battles")
        subscribe(session, 9, keyword="الحويقه")  # teh marbuta written as heh: still the same word
        subscribe(session, 10, keyword="Raqqa")
        subscribe(session, 11, min_killed=3)
        subscribe(session, 12, min_killed=4)
        subscribe(
            session, 13, governorate="Deir ez-Zor", min_killed=1, event_category="Battles"
        )  # all must match
        subscribe(session, 14)  # everything
        subscribe(session, 15, governorate="Deir ez-Zor")
        store.get_subscriber(session, 15).muted = True  # type: ignore[union-attr]
        subscribe(session, 16, governorate="Deir ez-Zor")
        store.deactivate_subscriber(session, 16, now=NOW)
        subscribe(session, 17, governorate="Deir ez-Zor")
        store.get_subscriber(session, 17).digest_hour = 8  # type: ignore[union-attr]
        # Two subscriptions of one chat match: one alert. A forum topic is its own target.
        subscribe(session, -100, kind="supergroup", governorate="Deir ez-Zor")
        subscribe(session, -100, kind="supergroup", place_id=DEIR_EZ_ZOR.place_id)
        subscribe(session, -100, kind="supergroup", governorate="Deir ez-Zor", message_thread_id=42)
    with sessions() as session:
        stored = store.get_event(session, event.id)
        assert stored is not None
        targets = store.matching_subscribers(session, stored)
        assert sorted((t.chat_id, t.message_thread_id or 0) for t in targets) == [
            (-100, 0), (-100, 42), (1, 0), (3, 0), (5, 0), (6, 0), (7, 0), (9, 0), (11, 0), (14, 0),
        ]  # fmt: skip
        assert {t.language for t in targets} == {"ar"}
        with_digest = store.matching_subscribers(session, stored, include_digest=True)
        assert 17 in {t.chat_id for t in with_digest}


def test_matching_subscribers_without_a_toll_or_places(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feeds(session)
        root = article(session, "guid:1", title="Statement on Syria")
        event = store.create_event(
            session, facts(event_types=(), sub_event_types=()), article_id=root.id, now=NOW
        )
        subscribe(session, 1, min_killed=1)
        subscribe(session, 2, governorate="Idlib")
        subscribe(session, 3, keyword="syria")  # case folded
        subscribe(session, 4, event_category="Battles")
    with sessions() as session:
        stored = store.get_event(session, event.id)
        assert stored is not None
        assert [t.chat_id for t in store.matching_subscribers(session, stored)] == [3]


def test_subscriptions_are_added_once_and_removed_by_their_chat_only(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store.ensure_subscriber(session, 1, kind="private", language="en", now=NOW)
        store.ensure_subscriber(session, 2, kind="group", language="ar", now=NOW)
        first = store.add_subscription(session, 1, now=NOW, governorate="Idlib", min_killed=2)
        again = store.add_subscription(session, 1, now=NOW, governorate="Idlib", min_killed=2)
        other = store.add_subscription(session, 1, now=NOW, governorate="Idlib")
        assert again.id == first.id != other.id
        assert [s.id for s in store.subscriptions_of(session, 1)] == [first.id, other.id]
        assert not store.remove_subscription(session, 2, first.id)
        assert store.remove_subscription(session, 1, first.id)
        assert not store.remove_subscription(session, 1, first.id)
        assert [s.id for s in store.subscriptions_of(session, 1)] == [other.id]


def test_a_returning_chat_is_active_again_and_keeps_its_language(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store.ensure_subscriber(session, 1, kind="private", language="en", now=NOW)
        store.deactivate_subscriber(session, 1, now=NOW + MINUTE)
        row = store.get_subscriber(session, 1)
        assert row is not None
        assert not row.active
        assert row.deactivated_at == NOW + MINUTE
    with sessions.begin() as session:
        row = store.ensure_subscriber(session, 1, kind="private", language="ar", now=NOW + 2 * MINUTE)
        assert (row.active, row.deactivated_at, row.language, row.created_at) == (True, None, "en", NOW)
        assert (row.radius_km, row.muted, row.digest_hour) == (25, False, None)


# --- Outbox ----------------------------------------------------------------------------------------


def outbox_rows(sessions: sessionmaker[Session]) -> list[OutboxRow]:
    with sessions() as session:
        return list(
            session.scalars(select(OutboxRow).order_by(OutboxRow.chat_id, OutboxRow.message_thread_id))
        )


def event_with_subscribers(sessions: sessionmaker[Session], *chat_ids: int) -> int:
    with sessions.begin() as session:
        feeds(session)
        for chat_id in chat_ids:
            store.ensure_subscriber(session, chat_id, kind="private", language="ar", now=NOW)
        return new_event(session, "guid:1", DEIR_EZ_ZOR, killed=1).id


def test_queue_alerts_once_per_chat_and_topic(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1, 2)
    targets = [AlertTarget(1), AlertTarget(2), AlertTarget(2, 7), AlertTarget(1)]
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        assert store.queue_alerts(session, event, targets, now=NOW) == 3
    with sessions.begin() as session:  # the next poll, or the same one after a restart
        event = store.get_event(session, event_id)
        assert event is not None
        assert store.queue_alerts(session, event, targets, now=NOW + MINUTE) == 0
    rows = outbox_rows(sessions)
    assert [(r.chat_id, r.message_thread_id, r.event_version, r.status) for r in rows] == [
        (1, NO_THREAD, 1, "pending"),
        (2, NO_THREAD, 1, "pending"),
        (2, 7, 1, "pending"),
    ]
    assert {r.created_at for r in rows} == {NOW}
    with sessions() as session:
        assert store.outbox_counts(session) == {"pending": 3}


def test_queue_alerts_fans_out_to_thousands(sessions: sessionmaker[Session]) -> None:
    chat_ids = list(range(1000, 3200))
    with sessions.begin() as session:
        feeds(session)
        for chat_id in chat_ids:
            session.add(SubscriberRow(chat_id=chat_id, kind="private", language="ar", created_at=NOW))
        event = new_event(session, "guid:1", DEIR_EZ_ZOR)
    with sessions.begin() as session:
        assert store.queue_alerts(session, event, [AlertTarget(c) for c in chat_ids], now=NOW) == len(
            chat_ids
        )
        assert store.queue_alerts(session, event, [AlertTarget(c) for c in chat_ids], now=NOW) == 0


def test_a_revised_event_is_edited_where_it_was_sent(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1, 2, 3, 4)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(c) for c in (1, 2, 3)], now=NOW)
    with sessions.begin() as session:
        claimed = {item.chat_id: item for item in store.claim_outbox(session, 10, NOW)}
    with sessions.begin() as session:
        store.mark_sent(session, claimed[1].id, telegram_message_id=501, sent_version=1, now=NOW)
        store.mark_failed(session, claimed[2].id, error="HTTP 502", retry_at=NOW + MINUTE)
        store.mark_sent(
            session, claimed[3].id, telegram_message_id=503, sent_version=1, now=NOW - timedelta(days=3)
        )
    # A second outlet reports a higher toll: version 2; chat 4 now matches too.
    with sessions.begin() as session:
        article(session, "guid:2", feed_id="syria-tv-ar", event_id=event_id)
        assert store.update_event(session, event_id, facts(DEIR_EZ_ZOR, killed=5), now=NOW + MINUTE)
        event = store.get_event(session, event_id)
        assert event is not None
        assert event.version == 2
        queued = store.queue_alerts(session, event, [AlertTarget(c) for c in (1, 2, 4)], now=NOW + MINUTE)
        assert queued == 2  # the new chat 4, and the edit for chat 1
    rows = {r.chat_id: r for r in outbox_rows(sessions)}
    assert (rows[1].status, rows[1].needs_edit, rows[1].event_version, rows[1].sent_version) == (
        "pending",
        True,
        2,
        1,
    )
    assert rows[1].telegram_message_id == 501
    assert rows[1].next_attempt_at == NOW + MINUTE
    assert (rows[2].status, rows[2].needs_edit, rows[2].event_version) == ("failed", False, 2)  # sends v2
    assert (rows[3].status, rows[3].needs_edit, rows[3].event_version) == (
        "sent",
        False,
        1,
    )  # too old to edit
    assert (rows[4].status, rows[4].needs_edit, rows[4].event_version) == ("pending", False, 2)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        assert store.queue_alerts(session, event, [AlertTarget(1)], now=NOW + 2 * MINUTE) == 0
        items = {item.chat_id: item for item in store.claim_outbox(session, 10, NOW + 2 * MINUTE)}
    assert items[1].needs_edit
    assert items[1].telegram_message_id == 501
    assert items[1].event_version == 2
    with sessions.begin() as session:
        store.mark_sent(session, items[1].id, telegram_message_id=501, sent_version=2, now=NOW + 2 * MINUTE)
    row = next(r for r in outbox_rows(sessions) if r.chat_id == 1)
    assert (row.status, row.needs_edit, row.sent_version, row.sent_at) == ("sent", False, 2, NOW)


def test_a_revision_during_sending_becomes_an_edit(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(1)], now=NOW)
    with sessions.begin() as session:
        (item,) = store.claim_outbox(session, 10, NOW)
    with sessions.begin() as session:  # the pipeline revises the event while the sender renders v1
        store.update_event(session, event_id, facts(DEIR_EZ_ZOR, killed=9), now=NOW)
        event = store.get_event(session, event_id)
        assert event is not None
        assert store.queue_alerts(session, event, [AlertTarget(1)], now=NOW) == 0
    with sessions.begin() as session:
        store.mark_sent(session, item.id, telegram_message_id=77, sent_version=item.event_version, now=NOW)
        row = store.get_outbox(session, item.id)
        assert row is not None
        assert (row.status, row.needs_edit, row.event_version, row.sent_version) == ("pending", True, 2, 1)
        (edit,) = store.claim_outbox(session, 10, NOW)
        assert (edit.needs_edit, edit.telegram_message_id, edit.event_version) == (True, 77, 2)


def test_outbox_lifecycle_claim_fail_retry_send_and_dead(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1, 2, 3)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(1), AlertTarget(2, 9), AlertTarget(3)], now=NOW)
    with sessions.begin() as session:
        assert store.claim_outbox(session, 10, NOW - MINUTE) == []  # not due yet
        first = store.claim_outbox(session, 2, NOW)
        assert [(i.chat_id, i.message_thread_id, i.attempts, i.needs_edit) for i in first] == [
            (1, None, 1, False),
            (2, 9, 1, False),
        ]
        assert [i.chat_id for i in store.claim_outbox(session, 10, NOW)] == [3]
        assert store.claim_outbox(session, 10, NOW) == []  # everything is being sent
    with sessions.begin() as session:
        store.mark_failed(session, first[0].id, error="HTTP 429 retry_after=30", retry_at=NOW + 30 * MINUTE)
        store.mark_sent(session, first[1].id, telegram_message_id=11, sent_version=1, now=NOW)
        store.mark_dead(session, first[0].id + 2, error="Forbidden: bot was blocked by the user")
        assert store.claim_outbox(session, 10, NOW + MINUTE) == []
        (retry,) = store.claim_outbox(session, 10, NOW + 30 * MINUTE)
        assert (retry.chat_id, retry.attempts) == (1, 2)
        row = store.get_outbox(session, retry.id)
        assert row is not None
        assert row.last_error == "HTTP 429 retry_after=30"
        assert store.outbox_counts(session) == {"sending": 1, "sent": 1, "dead": 1}


def test_release_stale_claims_after_a_crash(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1, 2)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(1), AlertTarget(2)], now=NOW)
        store.claim_outbox(session, 1, NOW)
        store.claim_outbox(session, 1, NOW + 5 * MINUTE)
    with sessions.begin() as session:  # the restarted sender
        assert store.release_stale_claims(session, claimed_before=NOW + MINUTE) == 1
        assert [i.chat_id for i in store.claim_outbox(session, 10, NOW + 6 * MINUTE)] == [1]


def test_deactivating_a_chat_drops_its_undelivered_alerts(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1, 2)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(1), AlertTarget(1, 5), AlertTarget(2)], now=NOW)
        assert store.deactivate_subscriber(session, 1, now=NOW) == 2
        assert [i.chat_id for i in store.claim_outbox(session, 10, NOW)] == [2]
        assert store.outbox_counts(session) == {"dead": 2, "sending": 1}


def claim_until_empty(
    sessions: sessionmaker[Session], batch: int, claimed: list[int], errors: list[BaseException]
) -> None:
    """Claim batches in separate transactions until nothing is left, as one sender would."""
    try:
        while True:
            with sessions.begin() as session:
                items = store.claim_outbox(session, batch, NOW)
            if not items:
                return
            claimed.extend(item.id for item in items)
    except BaseException as exc:
        errors.append(exc)


def run_threads(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a claimer hung"


def test_concurrent_claimers_get_disjoint_rows(sessions: sessionmaker[Session]) -> None:
    chat_ids = list(range(1, 121))
    event_id = event_with_subscribers(sessions, *chat_ids)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(c) for c in chat_ids], now=NOW)
    claimed: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    run_threads([functools.partial(claim_until_empty, sessions, 3, ids, errors) for ids in claimed])
    assert errors == []
    everything = [item for ids in claimed for item in ids]
    assert len(everything) == len(set(everything)) == len(chat_ids)


def test_skip_locked_claims_do_not_wait_for_each_other(postgres_url: str) -> None:
    """PostgreSQL: a claim not yet committed neither blocks a second claimer nor shares rows with it."""
    engine = make_engine(postgres_url)
    sessions = session_factory(engine)
    try:
        event_id = event_with_subscribers(sessions, 1, 2, 3, 4, 5)
        with sessions.begin() as session:
            event = store.get_event(session, event_id)
            assert event is not None
            store.queue_alerts(session, event, [AlertTarget(c) for c in range(1, 6)], now=NOW)
        with sessions() as first, sessions() as second:
            second.connection().exec_driver_sql("SET lock_timeout = '2s'")  # waiting fails, not hangs
            mine = store.claim_outbox(first, 3, NOW)  # not committed: its rows stay locked
            theirs = store.claim_outbox(second, 10, NOW)
            assert {i.chat_id for i in mine} == {1, 2, 3}
            assert {i.chat_id for i in theirs} == {4, 5}
            first.commit()
            second.commit()
        with sessions() as session:
            assert store.outbox_counts(session) == {"sending": 5}
    finally:
        engine.dispose()


def test_an_uncommitted_claim_rolled_back_leaves_the_rows_claimable(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(1)], now=NOW)
    with sessions() as session:
        assert len(store.claim_outbox(session, 10, NOW)) == 1
        session.rollback()
    with sessions.begin() as session:
        assert len(store.claim_outbox(session, 10, NOW)) == 1


def test_deleting_an_event_leaves_its_articles(sessions: sessionmaker[Session]) -> None:
    event_id = event_with_subscribers(sessions, 1)
    with sessions.begin() as session:
        event = store.get_event(session, event_id)
        assert event is not None
        store.queue_alerts(session, event, [AlertTarget(1)], now=NOW)
        session.delete(event)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 0
        (row,) = session.scalars(select(ArticleRow))
        assert row.event_id is None


def test_a_group_upgraded_to_a_supergroup_keeps_its_subscriptions(sessions: sessionmaker[Session]) -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with sessions.begin() as session:
        row = store.ensure_subscriber(session, -100, kind="group", language="en", now=now)
        row.radius_km = 40
        store.add_subscription(session, -100, now=now, governorate="Idlib")
    with sessions.begin() as session:
        assert store.migrate_chat(session, -100, -1009)
        assert not store.migrate_chat(session, -100, -1009)  # done once
    with sessions() as session:
        assert store.get_subscriber(session, -100) is None
        moved = store.get_subscriber(session, -1009)
        assert moved is not None
        assert moved.kind == "supergroup"
        assert moved.radius_km == 40
        assert [s.governorate for s in store.subscriptions_of(session, -1009)] == ["Idlib"]


def test_ensure_subscriber_twice_gives_one_row(sessions: sessionmaker[Session]) -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with sessions.begin() as session:
        store.ensure_subscriber(session, 77, kind="private", language="ar", now=now)
        store.ensure_subscriber(session, 77, kind="private", language="en", now=now)
    with sessions() as session:
        row = store.get_subscriber(session, 77)
        assert row is not None
        assert row.language == "ar"
