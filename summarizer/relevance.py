"""Is an article Syria news? A logistic score over a few counted signals, with the terms and weights
in `data/relevance.yaml`.

Signals: names of Syria, its capital and its state, and Syrian places from the gazetteer, counted in
the title, in the lead (first two sentences) and in the body; the share of country mentions that
belong to other countries of the region (a Lebanese story that mentions Syrian refugees once is
mostly about Lebanon); and off-topic words (a football match). A passing mention is not enough:
one mention deep in the body gives a low score. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from summarizer.lexicon import PhraseMatcher, Token
from summarizer.models import PlaceMention
from summarizer.resources import DataFileError, load_yaml, string_list

_FILE = "relevance.yaml"
_WEIGHT_KEYS = (
    "bias", "title_syria", "lead_syria", "syria_mentions", "place_kinds", "other_share", "off_topic", "cap",
)


@dataclass(frozen=True, slots=True)
class Relevance:
    """The relevance score in [0, 1], the decision, and the counts behind them."""

    score: float
    syria_related: bool
    syria_mentions: int
    other_country_mentions: int
    places: int


@dataclass(frozen=True, slots=True)
class _Model:
    matcher: PhraseMatcher[str]
    weights: dict[str, float]
    threshold: float


@cache
def _model() -> _Model:
    data = load_yaml(_FILE)
    entries = [(t, "syria") for t in string_list(data, "syria_terms", _FILE)]
    entries += [(t, "other") for t in string_list(data, "other_countries", _FILE)]
    entries += [(t, "off_topic") for t in string_list(data, "off_topic_terms", _FILE)]
    weights = data.get("weights")
    numbers = isinstance(weights, dict) and all(isinstance(weights.get(k), float | int) for k in _WEIGHT_KEYS)
    if not isinstance(weights, dict) or not numbers:
        raise DataFileError(f"summarizer/data/{_FILE}: 'weights' needs numbers for {', '.join(_WEIGHT_KEYS)}")
    threshold = data.get("threshold")
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise DataFileError(f"summarizer/data/{_FILE}: 'threshold' must be a number between 0 and 1")
    return _Model(PhraseMatcher(entries), {k: float(weights[k]) for k in _WEIGHT_KEYS}, float(threshold))


def score_relevance(
    text: str,
    tokens: Sequence[Token],
    places: Sequence[PlaceMention],
    *,
    title: str | None,
    title_places: Sequence[PlaceMention] = (),
    lead_end: int,
) -> Relevance:
    """Score how much `text` (already tokenised, places resolved) is about Syria.

    `lead_end` is the character offset where the lead (the first two sentences) ends.
    """
    model = _model()
    w = model.weights
    cap = w["cap"]
    kinds = [(m.value, m.start) for m in model.matcher.find(text, tokens)]
    syria = [start for kind, start in kinds if kind == "syria"] + [p.start for p in places]
    other = sum(1 for kind, _ in kinds if kind == "other")
    off_topic = sum(1 for kind, _ in kinds if kind == "off_topic")
    in_title = bool(title_places) or (title is not None and _has_syria_term(model, title))
    in_lead = any(start < lead_end for start in syria)
    distinct_places = len({p.place.id for p in places})
    z = (
        w["bias"]
        + w["title_syria"] * in_title
        + w["lead_syria"] * in_lead
        + w["syria_mentions"] * min(len(syria), cap)
        + w["place_kinds"] * min(distinct_places, cap)
        + w["other_share"] * (other / (other + len(syria)) if other else 0.0)
        + w["off_topic"] * min(off_topic, cap)
    )
    score = 1.0 / (1.0 + math.exp(-z))
    return Relevance(round(score, 3), score >= model.threshold, len(syria), other, distinct_places)


def _has_syria_term(model: _Model, title: str) -> bool:
    return any(m.value == "syria" for m in model.matcher.find(title))
