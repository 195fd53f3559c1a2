"""Quality gate: the tagger's precision/recall on the hand-labelled gold set stays above pinned floors.

The full gate (ANT Arabic + English items) needs ../shared; the English-only gate always runs.
Scoring is bench.tagger_eval's (micro-averaged, tags gated on relevance as the bot does).
Floors are raised, never quietly lowered.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bench.tagger_eval import DATA_DIR, HELDOUT, ant_corpus, evaluate, load_arabic, load_gold
from summarizer import analyze

# Pinned at what the tagger measured on 2026-11-26 (a little below, for float noise). The dev set is
# the one the lexicons were tuned on; the held-out set was labelled blind afterwards and is the
# honest figure. The goals: relevance F1 0.95, governorates 0.9, sub-event types 0.8,
# killed exact 0.8 (sub-event types on the held-out set fall short: 0.683).
FLOORS = {
    "relevance_f1": 0.98,
    "governorates_f1": 0.93,
    "sub_event_types_f1": 0.87,
    "places_f1": 0.86,
    "killed_accuracy": 0.88,
    "injured_accuracy": 0.99,
}
ENGLISH_FLOORS = {
    "relevance_f1": 0.99,
    "governorates_f1": 0.94,
    "sub_event_types_f1": 0.95,
    "places_f1": 0.91,
    "killed_accuracy": 0.99,
}
HELDOUT_FLOORS = {
    "relevance_f1": 0.99,
    "governorates_f1": 0.95,
    "sub_event_types_f1": 0.68,
    "places_f1": 0.81,
    "killed_accuracy": 0.83,
}


def _analyse(text: str, title: str | None) -> Mapping[str, Any]:
    result: Mapping[str, Any] = analyze(text, title=title).to_json()
    return result


@pytest.fixture(scope="module")
def full_scores(shared_dir: Path) -> dict[str, float]:
    """Scores on all gold items, the ANT texts read from ../shared."""
    if not ant_corpus(shared_dir).is_file():
        pytest.skip(f"no ANT corpus at {ant_corpus(shared_dir)}")
    items = load_gold(shared_dir)
    assert any(item.language == "ar" for item in items)
    return evaluate(items, _analyse)


@pytest.fixture(scope="module")
def english_scores() -> dict[str, float]:
    """Scores on the English items only (their texts are inline: no ../shared needed)."""
    return evaluate(load_gold(None), _analyse)


@pytest.mark.shared
@pytest.mark.parametrize(("metric", "floor"), FLOORS.items())
def test_full_gold_at_or_above_floor(metric: str, floor: float, full_scores: dict[str, float]) -> None:
    assert full_scores[metric] >= floor, f"{metric} {full_scores[metric]:.4f} < floor {floor}"


@pytest.mark.parametrize(("metric", "floor"), ENGLISH_FLOORS.items())
def test_english_gold_at_or_above_floor(metric: str, floor: float, english_scores: dict[str, float]) -> None:
    assert english_scores[metric] >= floor, f"{metric} {english_scores[metric]:.4f} < floor {floor}"


@pytest.fixture(scope="module")
def heldout_scores(shared_dir: Path) -> dict[str, float]:
    """Scores on the blind held-out set (ANT texts from ../shared)."""
    if not ant_corpus(shared_dir).is_file():
        pytest.skip(f"no ANT corpus at {ant_corpus(shared_dir)}")
    return evaluate(load_arabic(shared_dir, DATA_DIR / HELDOUT), _analyse)


@pytest.mark.shared
@pytest.mark.parametrize(("metric", "floor"), HELDOUT_FLOORS.items())
def test_heldout_at_or_above_floor(metric: str, floor: float, heldout_scores: dict[str, float]) -> None:
    assert heldout_scores[metric] >= floor, f"{metric} {heldout_scores[metric]:.4f} < floor {floor}"
