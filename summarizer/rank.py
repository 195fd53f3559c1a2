"""Extractive ranking: position, centrality (LexRank over TF-IDF), title overlap and event salience,
combined linearly, then selected with maximal marginal relevance under a sentence or word budget.

Pure numpy over one document at a time; the analyser (tokenise, stop words, stem) is injected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from summarizer.models import ScoredSentence, Sentence
from summarizer.resources import load_yaml, string_list
from summarizer.textnorm import Analyzer, analyzer_for

FloatArray = npt.NDArray[np.float64]
_NUMBER_RE = re.compile(r"[0-9٠-٩]")


@dataclass(frozen=True, slots=True)
class Weights:
    """Linear weights of the sentence features, and the redundancy penalty (MMR).

    `position`, `relative_position`, `length` and `centrality` are a ridge regression of each
    sentence's bigram overlap with the human summaries of EASC (`python -m bench.fit_weights`
    refits them and prints the cross-validated ROUGE). `title` and `salience` are set by hand:
    EASC has no titles and no conflict news, so it cannot tune them.
    """

    position: float = 0.178  # times 1 / (1 + sentence index)
    relative_position: float = -0.183  # times index / sentence count
    length: float = -0.008  # times log(1 + words)
    centrality: float = 0.137  # times LexRank score / the document's top score
    title: float = 0.08  # times cosine similarity with the title
    salience: float = 0.03  # times the event/toll indicator
    redundancy: float = 0.05  # times the highest similarity to a sentence already chosen
    duplicate: float = 0.9  # a sentence this similar to a chosen one is never taken
    min_terms: int = 3  # sentences with fewer content terms score 30% of their value


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Budget:
    """How much summary to produce: a number of sentences, of words, or both (whichever binds first)."""

    max_sentences: int | None = None
    max_words: int | None = None


@cache
def _salient_terms(language: str) -> frozenset[str]:
    data = load_yaml("salience.yaml")
    if language not in data:
        return frozenset()
    analyzer = analyzer_for(language)
    return frozenset(t for word in string_list(data, language, "salience.yaml") for t in analyzer.terms(word))


def rank_sentences(
    sentences: Sequence[Sentence],
    analyzer: Analyzer,
    *,
    title: str | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[FloatArray, FloatArray]:
    """Score every sentence; returns (scores, pairwise cosine similarity matrix)."""
    *terms, title_terms = analyzer.terms_many([*(s.text for s in sentences), title or ""])
    vectors, title_vector = _tfidf(terms, title_terms)
    similarity = vectors @ vectors.T
    salient = _salient_terms(analyzer.language)
    index = np.arange(len(sentences), dtype=np.float64)
    lengths = np.array([len(s.text.split()) for s in sentences], dtype=np.float64)
    scores = (
        weights.position / (1.0 + index)
        + weights.relative_position * index / len(sentences)
        + weights.length * np.log1p(lengths)
        + weights.centrality * _normalised(_lexrank(similarity))
        + weights.title * (vectors @ title_vector if title_terms else 0.0)
        + weights.salience * _salience(sentences, terms, salient)
    )
    too_short = np.array([len(t) < weights.min_terms for t in terms])
    scores = np.where(too_short, scores * 0.3, scores)
    return np.asarray(scores, dtype=np.float64), similarity


def select(
    sentences: Sequence[Sentence],
    scores: FloatArray,
    similarity: FloatArray,
    budget: Budget,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[ScoredSentence]:
    """Pick sentences by maximal marginal relevance until the budget is spent; document order."""
    chosen: list[int] = []
    words = 0
    max_sentences = budget.max_sentences if budget.max_sentences is not None else len(sentences)
    # MMR: each round takes the best score minus the penalty for resembling what is already chosen.
    marginal = scores.astype(np.float64, copy=True)
    closest = np.zeros(len(sentences))
    available = np.ones(len(sentences), dtype=bool)
    while available.any() and len(chosen) < max_sentences:
        best = int(np.argmax(np.where(available, marginal, -np.inf)))
        available[best] = False
        if chosen and closest[best] >= weights.duplicate:
            continue  # the same sentence again (pages repeat their standfirst)
        chosen.append(best)
        closest = np.maximum(closest, similarity[best])
        marginal = scores - weights.redundancy * closest
        words += len(sentences[best].text.split())
        if budget.max_words is not None and words >= budget.max_words:
            break
    return [ScoredSentence(sentences[i], float(scores[i])) for i in sorted(chosen)]


def _tfidf(terms: list[list[str]], title_terms: list[str]) -> tuple[FloatArray, FloatArray]:
    """L2-normalised TF-IDF rows for the sentences (IDF over the sentences) and for the title."""
    distinct = dict.fromkeys(t for sentence_terms in terms for t in sentence_terms)
    vocabulary = {term: column for column, term in enumerate(distinct)}
    width = max(len(vocabulary), 1)
    cells = [row * width + vocabulary[t] for row, sentence_terms in enumerate(terms) for t in sentence_terms]
    counts = np.bincount(np.array(cells, dtype=np.int64), minlength=len(terms) * width)
    matrix = counts.reshape(len(terms), width).astype(np.float64)
    document_frequency = (matrix > 0).sum(axis=0)
    idf = np.log((len(terms) + 1) / (document_frequency + 1)) + 1.0
    matrix = np.log1p(matrix) * idf
    title_vector = np.zeros(matrix.shape[1])
    for term in title_terms:
        if term in vocabulary:
            title_vector[vocabulary[term]] = idf[vocabulary[term]]
    return _unit_rows(matrix), _unit_rows(title_vector[None, :])[0]


def _unit_rows(matrix: FloatArray) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: FloatArray = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return unit


def _lexrank(similarity: FloatArray, damping: float = 0.15) -> FloatArray:
    """Continuous LexRank: stationary distribution of the row-normalised similarity graph.

    With teleportation `damping`, p = damping/n + (1 - damping) Gᵀp, solved directly (a small
    dense system) rather than by power iteration.
    """
    n = similarity.shape[0]
    graph = similarity.copy()
    np.fill_diagonal(graph, 0.0)
    row_sums = graph.sum(axis=1, keepdims=True)
    graph = np.divide(graph, row_sums, out=np.full_like(graph, 1.0 / n), where=row_sums > 0)
    system = np.eye(n) - (1.0 - damping) * graph.T
    rank: FloatArray = np.linalg.solve(system, np.full(n, damping / n))
    return rank


def _salience(sentences: Sequence[Sentence], terms: list[list[str]], salient: frozenset[str]) -> FloatArray:
    """1 for a sentence with an event word and a number (a toll), 0.5 for either, else 0."""
    return np.array([
        0.5 * (not salient.isdisjoint(sentence_terms)) + 0.5 * bool(_NUMBER_RE.search(s.text))
        for s, sentence_terms in zip(sentences, terms, strict=True)
    ])


def _normalised(values: FloatArray) -> FloatArray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values
