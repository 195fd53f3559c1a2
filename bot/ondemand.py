"""`/summary <url>`: fetch one article a user sends, summarise and tag it, render it as an alert.

The URL is the user's: only http(s), at most 2,000 characters, and (unless `allow_private`) no host
on a private, loopback or link-local network, checked on every redirect too (`fetch.public_only`).
The page goes through the same size cap, timeouts, decoding and extraction as the feeds' pages;
the summariser runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from bot.chat import Reply
from bot.extract import extract_article
from bot.fetch import HTML_ACCEPT, Fetcher
from bot.i18n import t
from bot.models import FetchStatus
from bot.render import AlertView, Casualties, PlaceView, SourceLink, render_alert
from bot.views import PlaceNames
from summarizer import analyze
from summarizer.gazetteer import Gazetteer
from summarizer.models import Analysis

MAX_URL_CHARS: Final = 2000


class SummaryService:
    """Summaries of articles on demand, through the bot's own fetcher."""

    def __init__(self, fetcher: Fetcher, *, gazetteer: Gazetteer | None = None) -> None:
        self._fetcher = fetcher
        self._gazetteer = gazetteer
        self._names: PlaceNames | None = None  # built on the first summary

    async def summarize_url(self, url: str, lang: str) -> Reply:
        """The reply to `/summary url`, in the chat's language `lang`."""
        problem = _url_problem(url)
        if problem is not None:
            return Reply.one(t(lang, problem, limit=MAX_URL_CHARS), lang)
        result = await self._fetcher.fetch(url, accept=HTML_ACCEPT)
        if result.status is not FetchStatus.OK:
            error = result.error or "unknown error"
            if error.startswith("blocked address"):
                return Reply.one(t(lang, "summary.blocked"), lang)
            return Reply.one(t(lang, "summary.failed", reason=html.escape(error)), lang)
        final_url = result.final_url or url
        article = await asyncio.to_thread(extract_article, result.body, final_url, result.headers)
        if article is None:
            return Reply.one(t(lang, "summary.empty"), lang)
        analysis = await asyncio.to_thread(
            analyze, article.text, title=article.title, gazetteer=self._gazetteer
        )
        if self._names is None:
            self._names = PlaceNames(self._gazetteer or Gazetteer.default())
        view = view_of(
            analysis,
            title=article.title or final_url,
            url=final_url,
            now=datetime.now(UTC),
            names=self._names,
        )
        text = render_alert(view, lang)
        if not analysis.syria_related:
            text = f"{text}\n\n<i>{t(lang, 'summary.not_syria')}</i>"
        return Reply.one(text, lang)


def _url_problem(url: str) -> str | None:
    """The message key saying what is wrong with a URL, or None."""
    if len(url) > MAX_URL_CHARS:
        return "summary.url_too_long"
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return "summary.not_a_link"
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return "summary.not_a_link"
    return None


def view_of(
    analysis: Analysis, *, title: str, url: str, now: datetime, names: PlaceNames | None = None
) -> AlertView:
    """An article's analysis as an alert view (one source: the article itself); `names` gives the
    districts' Arabic names, as alerts of stored events have them."""
    casualties = analysis.casualties
    source = next(
        (
            f.source
            for f in casualties.figures
            if f.kind == "killed" and f.count == casualties.killed and f.source
        ),
        None,
    )
    places = tuple(
        PlaceView(
            place_id=m.place.id,
            name_en=m.place.name_en,
            name_ar=m.place.name_ar or None,
            governorate=m.place.governorate,
            district=m.place.district,
            precision=m.precision,
            district_ar=None if names is None else names.district(m.place.governorate, m.place.district),
        )
        for m in analysis.places
    )
    return AlertView(
        event_id=0,
        event_types=tuple(dict.fromkeys(e.event_type for e in analysis.events)),
        sub_event_types=tuple(dict.fromkeys(e.sub_event_type for e in analysis.events)),
        places=places,
        occurred_at=None,
        first_seen_at=now,
        casualties=Casualties(killed=casualties.killed, injured=casualties.injured, source=source),
        title=title,
        summary=tuple(analysis.summary),
        summary_language=analysis.language,
        sources=(SourceLink(name=urlsplit(url).hostname or url, url=url),),
        version=1,
    )
