"""From the database to `bot.render`'s views: what an alert or a list shows about stored events.

I/O: reads (never writes) through the caller's SQLAlchemy `Session`, in the caller's transaction.
Arabic place names come from the Syria gazetteer (`summarizer.gazetteer`). `alert_views` reads any
number of events in a fixed number of queries (events, their places, their sources, the
representative articles, and the other articles' analyses only where the toll's source is not in
the representative one), so lists cost no query per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import ArticleRow, EventRow, FeedRow
from bot.render import AlertView, Casualties, PlaceView, SourceLink
from summarizer.gazetteer import Gazetteer

_CHUNK: Final = 500  # ids per IN list: far below SQLite's and PostgreSQL's bound-parameter limits
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _SourceRow:
    article_id: int
    event_id: int
    feed_id: str
    feed_name: str
    url: str | None


@dataclass(frozen=True, slots=True)
class _Article:
    title: str
    language: str
    summary: tuple[str, ...]
    analysis: Mapping[str, Any] | None


def alert_view(session: Session, event_id: int, gazetteer: Gazetteer | None = None) -> AlertView | None:
    """The view of one event, or None if there is no such event."""
    views = alert_views(session, [event_id], gazetteer)
    return views[0] if views else None


def alert_views(
    session: Session, event_ids: Sequence[int], gazetteer: Gazetteer | None = None
) -> list[AlertView]:
    """The views of the events, in the order given (unknown ids skipped, repeats once).

    `gazetteer` (default: the package's) gives the places' and districts' Arabic names.
    """
    ids = list(dict.fromkeys(event_ids))
    events: dict[int, EventRow] = {}
    for chunk in _chunks(ids, _CHUNK):
        rows = session.scalars(select(EventRow).where(EventRow.id.in_(chunk)))
        events.update((row.id, row) for row in rows)
    if not events:
        return []
    sources = _sources(session, list(events))
    representative = {
        event.id: event.representative_article_id
        if event.representative_article_id is not None
        else next((s.article_id for s in sources.get(event.id, ())), None)
        for event in events.values()
    }
    articles = _articles(session, [a for a in representative.values() if a is not None])
    toll_sources = _toll_sources(session, events, representative, articles)
    names = PlaceNames(gazetteer or Gazetteer.default())
    views: list[AlertView] = []
    for event_id in ids:
        event = events.get(event_id)
        if event is None:
            continue
        article_id = representative[event_id]
        article = articles.get(article_id) if article_id is not None else None
        views.append(
            AlertView(
                event_id=event.id,
                event_types=tuple(event.event_types or ()),
                sub_event_types=tuple(event.sub_event_types or ()),
                places=tuple(
                    PlaceView(
                        place_id=place.place_id,
                        name_en=place.name,
                        name_ar=names.place(place.place_id),
                        governorate=place.governorate,
                        district=place.district,
                        precision=place.precision,
                        district_ar=names.district(place.governorate, place.district),
                    )
                    for place in sorted(event.places, key=lambda p: p.position)
                ),
                occurred_at=event.occurred_at,
                first_seen_at=event.first_seen_at,
                casualties=Casualties(event.killed, event.injured, toll_sources.get(event_id)),
                title=article.title if article else "",
                summary=article.summary if article else (),
                summary_language=article.language if article else "",
                sources=tuple(SourceLink(s.feed_name, s.url) for s in sources.get(event_id, ())),
                version=event.version,
            )
        )
    return views


def _sources(session: Session, event_ids: Sequence[int]) -> dict[int, list[_SourceRow]]:
    """Per event, one article per feed, earliest first (the rule of `store.event_sources`)."""
    found: dict[int, dict[str, _SourceRow]] = defaultdict(dict)
    for chunk in _chunks(event_ids, _CHUNK):
        stmt = (
            select(ArticleRow.id, ArticleRow.event_id, ArticleRow.feed_id, FeedRow.name, ArticleRow.url)
            .join(FeedRow, FeedRow.id == ArticleRow.feed_id)
            .where(ArticleRow.event_id.in_(chunk))
            .order_by(ArticleRow.fetched_at, ArticleRow.id)
        )
        for article_id, event_id, feed_id, feed_name, url in session.execute(stmt):
            if event_id is not None and feed_id not in found[event_id]:
                found[event_id][feed_id] = _SourceRow(article_id, event_id, feed_id, feed_name, url)
    return {event_id: list(by_feed.values()) for event_id, by_feed in found.items()}


def _articles(session: Session, article_ids: Sequence[int]) -> dict[int, _Article]:
    """The title, language, summary and analysis of each article."""
    articles: dict[int, _Article] = {}
    for chunk in _chunks(list(dict.fromkeys(article_ids)), _CHUNK):
        stmt = select(
            ArticleRow.id, ArticleRow.title, ArticleRow.language, ArticleRow.summary, ArticleRow.analysis
        ).where(ArticleRow.id.in_(chunk))
        for article_id, title, language, summary, raw_analysis in session.execute(stmt):
            analysis = raw_analysis if isinstance(raw_analysis, dict) else None
            sentences = tuple(s for s in (summary or ()) if isinstance(s, str) and s.strip())
            articles[article_id] = _Article(
                title or "", str(language or (analysis or {}).get("language") or ""), sentences, analysis
            )
    return articles


def _toll_sources(
    session: Session,
    events: Mapping[int, EventRow],
    representative: Mapping[int, int | None],
    articles: Mapping[int, _Article],
) -> dict[int, str]:
    """Who reported each event's toll: the source of the figure equal to it, looked up in the
    representative article first, then in the event's other articles (earliest first)."""
    found: dict[int, str] = {}
    pending: dict[int, EventRow] = {}
    for event_id, event in events.items():
        if event.killed is None and event.injured is None:
            continue
        article_id = representative.get(event_id)
        article = articles.get(article_id) if article_id is not None else None
        source = casualty_source(article.analysis if article else None, event.killed, event.injured)
        if source is not None:
            found[event_id] = source
        else:
            pending[event_id] = event
    if not pending:
        return found
    # Every article of the event counts (a duplicate from the same outlet may carry the figure).
    for chunk in _chunks(list(pending), _CHUNK):
        stmt = (
            select(ArticleRow.id, ArticleRow.event_id, ArticleRow.analysis)
            .where(ArticleRow.event_id.in_(chunk))
            .order_by(ArticleRow.fetched_at, ArticleRow.id)
        )
        for article_id, event_id, analysis in session.execute(stmt):
            if event_id is None or event_id in found or article_id == representative.get(event_id):
                continue
            event = pending[event_id]
            source = casualty_source(analysis, event.killed, event.injured)
            if source is not None:
                found[event_id] = source
    return found


def casualty_source(analysis: object, killed: int | None, injured: int | None) -> str | None:
    """Who an article attributes the toll to: the source of its casualty figure equal to `killed`
    (or, with no killed count, to `injured`); claims by a party to the conflict do not count.

    `analysis` is `summarizer.Analysis.to_json()` as stored (figures under "casualty_figures").
    """
    if not isinstance(analysis, Mapping):
        return None
    figures = analysis.get("casualty_figures")
    if not isinstance(figures, list):
        return None
    kind, count = ("killed", killed) if killed is not None else ("injured", injured)
    if count is None:
        return None
    for figure in figures:
        if (
            isinstance(figure, Mapping)
            and figure.get("kind") == kind
            and figure.get("count") == count
            and not figure.get("claim")
            and isinstance(figure.get("source"), str)
            and figure["source"].strip()
        ):
            return str(figure["source"]).strip()
    return None


class PlaceNames:
    """Arabic names of places and districts from a gazetteer (for building `PlaceView`s)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        self._districts = {
            (p.governorate, p.name_en): p.name_ar for p in gazetteer.places() if p.kind == "district"
        }

    def place(self, place_id: str) -> str | None:
        """The place's Arabic name; None for an id the gazetteer does not know."""
        try:
            return self._gazetteer.get(place_id).name_ar or None
        except KeyError:
            return None

    def district(self, governorate: str, district: str | None) -> str | None:
        """The district's Arabic name, or None."""
        return None if district is None else self._districts.get((governorate, district))


def _chunks(items: Sequence[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
