"""Extractive ranking: position, centrality (LexRank over TF-IDF), title overlap and event salience,
combined linearly, then selected with maximal marginal relevance under a sentence or word budget.

Pure numpy over one document at a time; the analyser (tokenise, stop words, stem) is injected.
"""

from __future__ import annotations

import math
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
    """How much each feature counts, and how hard redundancy is penalised (MMR)."""

    position: float = 1.0
    position_decay: float = 0.5
    paragraph_lead: float = 0.15
    centrality: float = 0.5
    title: float = 0.4
    salience: float = 0.15
    redundancy: float = 0.5
    min_terms: int = 4
    length_exponent: float = 0.0


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
    terms = [analyzer.terms(s.text) for s in sentences]
    title_terms = analyzer.terms(title) if title else []
    vectors, title_vector = _tfidf(terms, title_terms)
    similarity = vectors @ vectors.T
    salient = _salient_terms(analyzer.language)
    scores = (
        weights.position * _position(sentences, weights)
        + weights.centrality * _normalised(_lexrank(similarity))
        + weights.title * (vectors @ title_vector if title_terms else 0.0)
        + weights.salience * _salience(sentences, terms, salient)
    )
    too_short = np.array([len(t) < weights.min_terms for t in terms])
    scores = np.where(too_short, scores * 0.3, scores)
    if weights.length_exponent:
        # Value per word: within a word budget, two short informative sentences beat one long one.
        lengths = np.array([max(len(s.text.split()), 8) for s in sentences], dtype=np.float64)
        scores = scores / np.power(lengths / 20.0, weights.length_exponent)
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
    remaining = set(range(len(sentences)))
    max_sentences = budget.max_sentences if budget.max_sentences is not None else len(sentences)
    while remaining and len(chosen) < max_sentences:
        best = max(remaining, key=lambda i: _marginal(i, chosen, scores, similarity, weights))
        remaining.discard(best)
        chosen.append(best)
        words += len(sentences[best].text.split())
        if budget.max_words is not None and words >= budget.max_words:
            break
    return [ScoredSentence(sentences[i], float(scores[i])) for i in sorted(chosen)]


def _marginal(i: int, chosen: list[int], scores: FloatArray, similarity: FloatArray, weights: Weights) -> float:
    if not chosen:
        return float(scores[i])
    return float(scores[i]) - weights.redundancy * float(similarity[i, chosen].max())


def _tfidf(terms: list[list[str]], title_terms: list[str]) -> tuple[FloatArray, FloatArray]:
    """L2-normalised TF-IDF rows for the sentences (IDF over the sentences) and for the title."""
    vocabulary: dict[str, int] = {}
    for sentence_terms in terms:
        for term in sentence_terms:
            vocabulary.setdefault(term, len(vocabulary))
    matrix = np.zeros((len(terms), max(len(vocabulary), 1)))
    for row, sentence_terms in enumerate(terms):
        for term in sentence_terms:
            matrix[row, vocabulary[term]] += 1.0
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
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _lexrank(similarity: FloatArray, damping: float = 0.15, iterations: int = 50) -> FloatArray:
    """Continuous LexRank: stationary distribution of the row-normalised similarity graph."""
    n = similarity.shape[0]
    graph = similarity.copy()
    np.fill_diagonal(graph, 0.0)
    row_sums = graph.sum(axis=1, keepdims=True)
    graph = np.divide(graph, row_sums, out=np.full_like(graph, 1.0 / n), where=row_sums > 0)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = damping / n + (1.0 - damping) * (graph.T @ rank)
        if np.abs(updated - rank).sum() < 1e-6:
            return updated
        rank = updated
    return rank


def _position(sentences: Sequence[Sentence], weights: Weights) -> FloatArray:
    """Earlier is better (news is written top-down); opening a paragraph helps a little."""
    return np.array([
        1.0 / math.pow(1 + s.index, weights.position_decay)
        + (weights.paragraph_lead if s.paragraph_index == 0 else 0.0)
        for s in sentences
    ])


def _salience(sentences: Sequence[Sentence], terms: list[list[str]], salient: frozenset[str]) -> FloatArray:
    """1 for a sentence with an event word and a number (a toll), 0.5 for either, else 0."""
    return np.array([
        0.5 * any(t in salient for t in sentence_terms) + 0.5 * bool(_NUMBER_RE.search(s.text))
        for s, sentence_terms in zip(sentences, terms, strict=True)
    ])


def _normalised(values: FloatArray) -> FloatArray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values
