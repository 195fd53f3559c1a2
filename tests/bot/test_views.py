"""Views from a real database (SQLite and PostgreSQL): events stored the way the pipeline stores them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.db import EventRow
from bot.models import FeedConfig
from bot.render import LRI, PDI, RLI, Casualties, PlaceView, SourceLink, render_alert, render_event_list
from bot.store import EventFacts, EventPlace
from bot.views import alert_view, alert_views, casualty_source
from summarizer.gazetteer import Gazetteer
from tests.bot.test_render import assert_fits, assert_well_formed

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 11, 26, 8, 40, tzinfo=UTC)

FEEDS = (
    FeedConfig("enab-baladi-ar", "عنب بلدي", "https://enabbaladi.net/feed/", "ar", "https://x.test/", True),
    FeedConfig("reuters-en", "Reuters", "https://www.reuters.test/rss", "en", "https://y.test/", False),
)

BUKAMAL_JSON = {
    "id": "gn:174448", "name_en": "Al-Bukamal", "name_ar": "البوكمال", "kind": "city",
    "governorate": "Deir ez-Zor", "district": "Al-Bukamal", "lat": 34.45226, "lon": 40.91854,
    "precision": 1, "mention": "البوكمال",
}
DEIR_EZ_ZOR_JSON = {
    "id": "gn:170794", "name_en": "Deir ez-Zor", "name_ar": "دير الزور", "kind": "city",
    "governorate": "Deir ez-Zor", "district": "Deir ez-Zor", "lat": 35.33588, "lon": 40.14084,
    "precision": 2, "mention": "بريف دير الزور الشرقي",
}
ARABIC_SUMMARY = [
    (
        "قُتل 15 شخصاً وأصيب 6 آخرون في غارات جوية استهدفت مدينة البوكمال بريف دير الزور الشرقي فجر اليوم، "
        "بحسب المرصد السوري لحقوق الإنسان."
    ),
    "وقال المرصد إن الغارات طالت مواقع لفصائل موالية لإيران قرب الحدود العراقية.",
    "ولم تعلن أي جهة مسؤوليتها عن الضربات.",
]


def analysis_json(
    *,
    language: str,
    summary: list[str],
    killed: int | None,
    injured: int | None,
    figures: list[dict[str, Any]],
    places: list[dict[str, Any]],
) -> dict[str, Any]:
    """What `summarizer.Analysis.to_json()` gives for an air strike report (the stored shape)."""
    return {
        "language": language,
        "syria_related": True,
        "relevance": 0.93,
        "summary": summary,
        "events": [
            {"event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
             "evidence": summary[0]},
        ],
        "places": places,
        "actors": [],
        "killed": killed,
        "injured": injured,
        "casualty_figures": figures,
    }


ARABIC_ANALYSIS = analysis_json(
    language="ar",
    summary=ARABIC_SUMMARY,
    killed=15,
    injured=6,
    figures=[
        {"kind": "killed", "count": 15, "source": "المرصد السوري لحقوق الإنسان", "claim": False,
         "sentence": ARABIC_SUMMARY[0]},
        {"kind": "injured", "count": 6, "source": "المرصد السوري لحقوق الإنسان", "claim": False,
         "sentence": ARABIC_SUMMARY[0]},
    ],
    places=[BUKAMAL_JSON, DEIR_EZ_ZOR_JSON],
)
ENGLISH_SUMMARY = ["Air strikes on Al-Bukamal killed 17 people, the Syrian Observatory said."]
ENGLISH_ANALYSIS = analysis_json(
    language="en",
    summary=ENGLISH_SUMMARY,
    killed=17,
    injured=None,
    figures=[
        {"kind": "killed", "count": 20, "source": "an armed group", "claim": True, "sentence": "."},
        {"kind": "killed", "count": 17, "source": "the Syrian Observatory", "claim": False, "sentence": "."},
    ],
    places=[BUKAMAL_JSON],
)


def facts_of(analysis: dict[str, Any], occurred_at: datetime) -> EventFacts:
    """An event's facts from one article's analysis, as bot.pipeline derives them."""
    places = tuple(
        EventPlace(p["id"], p["name_en"], p["governorate"], p["district"], p["lat"], p["lon"], p["precision"])
        for p in sorted(analysis["places"], key=lambda p: int(p["precision"]))
    )
    return EventFacts(
        occurred_at=occurred_at,
        event_types=tuple(dict.fromkeys(e["event_type"] for e in analysis["events"])),
        sub_event_types=tuple(dict.fromkeys(e["sub_event_type"] for e in analysis["events"])),
        places=places,
        killed=analysis["killed"],
        injured=analysis["injured"],
    )


def store_report(
    session: Session,
    feed_id: str,
    identity: str,
    analysis: dict[str, Any],
    *,
    title: str,
    fetched_at: datetime = NOW,
    url: str | None = None,
) -> int:
    """Store an article as the pipeline does; returns its id."""
    row = store.add_article(
        session,
        feed_id=feed_id,
        identity=identity,
        title=title,
        fetched_at=fetched_at,
        url=url,
        language=analysis["language"],
        published_at=PUBLISHED,
        summary=analysis["summary"],
        text=" ".join(analysis["summary"]),
        syria_related=True,
        relevance=analysis["relevance"],
        analysis=analysis,
    )
    return row.id


def new_event(session: Session, identity: str = "guid:1", analysis: dict[str, Any] = ARABIC_ANALYSIS) -> int:
    """An Arabic report from Enab Baladi and the event it opens."""
    article_id = store_report(
        session, "enab-baladi-ar", identity, analysis,
        title="غارات جوية على البوكمال", url=f"https://www.enabbaladi.net/archives/{identity}",
    )
    return store.create_event(session, facts_of(analysis, PUBLISHED), article_id=article_id, now=NOW).id


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    """The package's gazetteer (built once per process)."""
    return Gazetteer.default()


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The session factory, with the feeds synced."""
    with sessions.begin() as session:
        store.sync_feeds(session, FEEDS)
    return sessions


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` during the test, in order."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


# --- One event -------------------------------------------------------------------------------------


def test_view_of_a_new_event(seeded: sessionmaker[Session], gazetteer: Gazetteer) -> None:
    with seeded.begin() as session:
        event_id = new_event(session)
    with seeded() as session:
        view = alert_view(session, event_id, gazetteer)
    assert view is not None
    assert view.event_id == event_id
    assert view.event_types == ("Explosions/Remote violence",)
    assert view.sub_event_types == ("Air/drone strike",)
    assert view.places == (
        PlaceView("gn:174448", "Al-Bukamal", "البوكمال", "Deir ez-Zor", "Al-Bukamal", 1, "البوكمال"),
        PlaceView("gn:170794", "Deir ez-Zor", "دير الزور", "Deir ez-Zor", "Deir ez-Zor", 2, "دير الزور"),
    )
    assert view.occurred_at == PUBLISHED
    assert view.first_seen_at == NOW
    assert view.casualties == Casualties(15, 6, "المرصد السوري لحقوق الإنسان")
    assert view.title == "غارات جوية على البوكمال"
    assert view.summary == tuple(ARABIC_SUMMARY)
    assert view.summary_language == "ar"
    assert view.sources == (SourceLink("عنب بلدي", "https://www.enabbaladi.net/archives/guid:1"),)
    assert view.version == 1


def test_rendered_view_in_both_languages(seeded: sessionmaker[Session], gazetteer: Gazetteer) -> None:
    with seeded.begin() as session:
        event_id = new_event(session)
    with seeded() as session:
        view = alert_view(session, event_id, gazetteer)
    assert view is not None
    english = render_alert(view, "en", now=NOW + timedelta(hours=2))
    assert_well_formed(english)
    assert_fits(english)
    assert english.split("\n")[:5] == [
        "<b>Explosions/Remote violence › Air/drone strike</b>",
        f"<b>{RLI}غارات جوية على البوكمال{PDI}</b>",
        "📍 Deir ez-Zor › Al-Bukamal, Deir ez-Zor (approximate)",
        "🕒 2026-11-26 08:40 UTC · 2 h ago",
        f"killed 15 · injured 6 (according to {RLI}المرصد السوري لحقوق الإنسان{PDI})",
    ]
    assert english.endswith(
        f'Reported by: <a href="https://www.enabbaladi.net/archives/guid:1">{RLI}عنب بلدي{PDI}</a>'
    )
    arabic = render_alert(view, "ar", now=NOW + timedelta(hours=2))
    assert_well_formed(arabic)
    assert "📍 دير الزور › البوكمال، دير الزور (تقريبي)" in arabic
    assert " ".join(ARABIC_SUMMARY) in arabic
    assert "القتلى: 15 · الجرحى: 6 (بحسب المرصد السوري لحقوق الإنسان)" in arabic


def test_view_after_a_second_report_from_another_outlet(
    seeded: sessionmaker[Session], gazetteer: Gazetteer
) -> None:
    with seeded.begin() as session:
        event_id = new_event(session)
        later = NOW + timedelta(minutes=30)
        article_id = store_report(
            session, "reuters-en", "guid:r1", ENGLISH_ANALYSIS,
            title="Air strikes hit Al-Bukamal", fetched_at=later, url="https://www.reuters.test/world/1",
        )
        store.assign_event(session, article_id, event_id)
        current = store.get_event(session, event_id)
        assert current is not None
        old = store.event_facts(current)
        new = facts_of(ENGLISH_ANALYSIS, PUBLISHED)
        merged = replace(old, killed=max(old.killed or 0, new.killed or 0))
        assert store.update_event(session, event_id, merged, now=later)
    with seeded() as session:
        view = alert_view(session, event_id, gazetteer)
        expected_sources = [
            SourceLink(s.feed_name, s.url) for s in store.event_sources(session, event_id)
        ]
    assert view is not None
    assert view.version == 2
    assert list(view.sources) == expected_sources == [
        SourceLink("عنب بلدي", "https://www.enabbaladi.net/archives/guid:1"),
        SourceLink("Reuters", "https://www.reuters.test/world/1"),
    ]
    # The toll was revised to 17 by the English report: its source comes from that article,
    # not from the (Arabic) representative one; the armed group's claim does not count.
    assert view.casualties == Casualties(17, 6, "the Syrian Observatory")
    assert view.title == "غارات جوية على البوكمال"  # still the first report's text
    text = render_alert(view, "en")
    assert "· <i>updated</i>" in text.split("\n")[0]
    assert "Reported by 2 outlets: " in text
    assert_well_formed(text)


def test_unknown_event_and_unknown_place(seeded: sessionmaker[Session], gazetteer: Gazetteer) -> None:
    unknown_place = {**BUKAMAL_JSON, "id": "test:nowhere", "name_en": "Nowhere", "district": "Nowhere"}
    analysis = {**ARABIC_ANALYSIS, "places": [unknown_place]}
    with seeded.begin() as session:
        event_id = new_event(session, analysis=analysis)
    with seeded() as session:
        assert alert_view(session, event_id + 100, gazetteer) is None
        view = alert_view(session, event_id, gazetteer)
    assert view is not None
    assert view.places == (PlaceView("test:nowhere", "Nowhere", None, "Deir ez-Zor", "Nowhere", 1, None),)
    text = render_alert(view, "ar")
    assert f"📍 دير الزور › {LRI}Nowhere{PDI}" in text


def test_event_without_representative_article_uses_its_first(
    seeded: sessionmaker[Session], gazetteer: Gazetteer
) -> None:
    with seeded.begin() as session:
        event_id = new_event(session)
        row = session.get_one(EventRow, event_id)
        row.representative_article_id = None
    with seeded() as session:
        view = alert_view(session, event_id, gazetteer)
    assert view is not None
    assert view.title == "غارات جوية على البوكمال"
    assert view.casualties.source == "المرصد السوري لحقوق الإنسان"


def test_event_without_toll_or_places(seeded: sessionmaker[Session], gazetteer: Gazetteer) -> None:
    analysis = {**ARABIC_ANALYSIS, "places": [], "killed": None, "injured": None, "casualty_figures": []}
    with seeded.begin() as session:
        event_id = new_event(session, analysis=analysis)
    with seeded() as session:
        view = alert_view(session, event_id, gazetteer)
    assert view is not None
    assert view.places == ()
    assert view.casualties == Casualties(None, None, None)
    assert_well_formed(render_alert(view, "ar"))


# --- Lists -----------------------------------------------------------------------------------------


def test_views_keep_the_order_given(seeded: sessionmaker[Session], gazetteer: Gazetteer) -> None:
    with seeded.begin() as session:
        first = new_event(session, "guid:a")
        second = new_event(session, "guid:b")
    with seeded() as session:
        views = alert_views(session, [second, 999_999, first, second], gazetteer)
        assert alert_views(session, [], gazetteer) == []
    assert [v.event_id for v in views] == [second, first]
    [text] = render_event_list(views, "en", heading="<b>Latest events</b>", distances_km=[1.5, 22.0])
    assert_well_formed(text)
    assert "<b>1. Air/drone strike</b> · Deir ez-Zor › Al-Bukamal +1 more place · 1.5 km" in text
    assert "<b>2. Air/drone strike</b> · Deir ez-Zor › Al-Bukamal +1 more place · 22 km" in text


def test_views_of_many_events_take_a_fixed_number_of_queries(
    seeded: sessionmaker[Session], gazetteer: Gazetteer, statements: list[str]
) -> None:
    with seeded.begin() as session:
        ids = [new_event(session, f"guid:{i}") for i in range(12)]
        # One event whose toll's source is only in a later report, from another outlet.
        article_id = store_report(
            session, "reuters-en", "guid:r", ENGLISH_ANALYSIS, title="t", fetched_at=NOW + timedelta(hours=1)
        )
        store.assign_event(session, article_id, ids[0])
        store.update_event(session, ids[0], replace(facts_of(ARABIC_ANALYSIS, PUBLISHED), killed=17), now=NOW)
    with seeded() as session:
        statements.clear()
        one = alert_views(session, ids[:1], gazetteer)
        single = len(statements)
    with seeded() as session:
        statements.clear()
        views = alert_views(session, ids, gazetteer)
        many = len(statements)
    assert one[0].casualties.source == "the Syrian Observatory"
    assert len(views) == 12
    assert many == single <= 6


# --- The toll's source -----------------------------------------------------------------------------


def test_casualty_source() -> None:
    figures = [
        {"kind": "killed", "count": 9, "source": "a party", "claim": True},
        {"kind": "killed", "count": 9, "source": " SOHR ", "claim": False},
        {"kind": "injured", "count": 4, "source": "Civil Defence", "claim": False},
        {"kind": "killed", "count": 2, "source": None, "claim": False},
    ]
    analysis = {"casualty_figures": figures}
    assert casualty_source(analysis, 9, 4) == "SOHR"
    assert casualty_source(analysis, 10, 4) is None  # the killed count decides
    assert casualty_source(analysis, None, 4) == "Civil Defence"
    assert casualty_source(analysis, 2, None) is None  # no source given
    assert casualty_source(analysis, None, None) is None
    assert casualty_source(None, 9, None) is None
    assert casualty_source({"casualty_figures": "junk"}, 9, None) is None
    assert casualty_source({"casualty_figures": ["junk", {"kind": "killed"}]}, 9, None) is None
