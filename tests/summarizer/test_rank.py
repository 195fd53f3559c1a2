"""Ranking and selection: the strategy's contract (shapes, budgets, order), not its tuning."""

from __future__ import annotations

import numpy as np

from summarizer.models import Sentence
from summarizer.rank import Budget, rank_sentences, select
from summarizer.textnorm import analyzer_for

_TEXTS = (
    "Shelling killed three civilians in Idlib on Monday, rescuers said.",
    "Rescuers pulled the victims from the rubble of two houses in Idlib.",
    "The strikes also hit a market and a school in the town.",
    "Activists called for international action to stop the attacks.",
)


def _sentences(texts: tuple[str, ...] = _TEXTS) -> list[Sentence]:
    return [Sentence(text, i, i, 0) for i, text in enumerate(texts)]


def test_rank_gives_one_finite_score_per_sentence_and_a_symmetric_similarity() -> None:
    sentences = _sentences()
    scores, similarity = rank_sentences(sentences, analyzer_for("en"))
    assert scores.shape == (4,)
    assert np.isfinite(scores).all()
    assert similarity.shape == (4, 4)
    assert np.allclose(similarity, similarity.T)
    assert np.allclose(np.diag(similarity), 1.0)


def test_select_respects_the_sentence_budget_and_document_order() -> None:
    sentences = _sentences()
    scores, similarity = rank_sentences(sentences, analyzer_for("en"))
    chosen = select(sentences, scores, similarity, Budget(max_sentences=2))
    indexes = [c.sentence.index for c in chosen]
    assert len(indexes) == 2
    assert indexes == sorted(indexes)


def test_select_without_a_budget_limit_takes_every_sentence_once() -> None:
    sentences = _sentences()
    scores, similarity = rank_sentences(sentences, analyzer_for("en"))
    chosen = select(sentences, scores, similarity, Budget())
    assert [c.sentence.index for c in chosen] == [0, 1, 2, 3]


def test_select_stops_once_the_word_budget_is_reached() -> None:
    sentences = _sentences()
    scores, similarity = rank_sentences(sentences, analyzer_for("en"))
    chosen = select(sentences, scores, similarity, Budget(max_words=12))
    words = [len(c.sentence.text.split()) for c in chosen]
    assert chosen
    assert sum(words[:-1]) < 12


def test_select_never_takes_the_same_sentence_twice() -> None:
    # Scraped pages often repeat the lead (standfirst, then first body paragraph).
    texts = (_TEXTS[0], _TEXTS[0], *_TEXTS[1:])
    sentences = _sentences(texts)
    scores, similarity = rank_sentences(sentences, analyzer_for("en"))
    chosen = select(sentences, scores, similarity, Budget(max_sentences=2))
    assert [c.sentence.text for c in chosen].count(_TEXTS[0]) == 1


def test_scored_sentences_carry_their_score() -> None:
    sentences = _sentences()
    scores, similarity = rank_sentences(sentences, analyzer_for("en"))
    for chosen in select(sentences, scores, similarity, Budget(max_sentences=3)):
        assert chosen.score == float(scores[chosen.sentence.index])
