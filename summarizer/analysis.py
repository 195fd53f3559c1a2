"""The tagger's facade: one article in, an `Analysis` out (summary, relevance, events, places,
actors, casualties). The stages share one preparation (clean, language, sentences) and one
tokenisation. Pure.

Tags describe Syria events: for an article that is not Syria news, events, places, actors and
casualties are left empty (the relevance score and the summary are still given).
"""

from __future__ import annotations

from datetime import datetime

from summarizer.actors import find_actors
from summarizer.casualties import extract_casualties
from summarizer.events import tag_events
from summarizer.gazetteer import Gazetteer
from summarizer.lexicon import tokenize
from summarizer.models import Analysis, PlaceMention
from summarizer.relevance import score_relevance
from summarizer.summarize import prepare, summarize_document

_LEAD_SENTENCES = 2
_ADMINISTRATIVE = frozenset({"governorate", "district", "subdistrict"})
SUMMARY_SENTENCES = 3


def analyze(
    text: str,
    *,
    title: str | None = None,
    published: datetime | None = None,
    language: str | None = None,
    gazetteer: Gazetteer | None = None,
    max_sentences: int = SUMMARY_SENTENCES,
) -> Analysis:
    """Summarise and tag one article. `published` is accepted for callers that have it; no tag
    depends on it yet."""
    del published  # reserved: relative dates ("yesterday") will need it
    gazetteer = gazetteer or Gazetteer.default()
    document = prepare(text, title=title, language=language)
    summary = summarize_document(document, max_sentences=max_sentences)
    sentences = [s.text for s in document.sentences]
    body = "\n".join(sentences)  # offsets below refer to this text
    tokens = tokenize(body)
    places = gazetteer.find(body, tokens)
    title_places = gazetteer.find(document.title) if document.title else []
    lead_end = len("\n".join(sentences[:_LEAD_SENTENCES]))
    relevance = score_relevance(
        body, tokens, places, title=document.title, title_places=title_places, lead_end=lead_end
    )
    base = Analysis(document.language, relevance.syria_related, relevance.score, tuple(summary.sentences))
    if not relevance.syria_related:
        return base
    return Analysis(
        base.language,
        base.syria_related,
        base.relevance,
        base.summary,
        events=tuple(tag_events(sentences, document.language)),
        places=tuple(_best_per_place([*title_places, *places])),
        actors=tuple(find_actors(body, document.language, tokens=tokens)),
        casualties=extract_casualties(sentences, document.language),
    )


def _best_per_place(mentions: list[PlaceMention]) -> list[PlaceMention]:
    """One mention per place (its most precise), in order of first mention; an administrative unit
    named like a town also mentioned (Idlib governorate and Idlib city) gives way to the town."""
    best: dict[str, PlaceMention] = {}
    for mention in mentions:
        current = best.get(mention.place.id)
        if current is None or mention.precision < current.precision:
            best[mention.place.id] = mention
    order = list(dict.fromkeys(m.place.id for m in mentions))
    unique = [best[place_id] for place_id in order]
    towns = {(m.place.governorate, m.place.name_ar) for m in unique if m.place.kind not in _ADMINISTRATIVE}
    return [
        m for m in unique
        if m.place.kind not in _ADMINISTRATIVE or (m.place.governorate, m.place.name_ar) not in towns
    ]
