"""How far sentence ranking can go on EASC, and what the features we have predict (issue 2's 0.55).

Usage: python -m bench.easc_ceiling [--folds 5]

For every EASC sentence (our segmentation) the target is its unigram precision against the five
references (the share of its tokens that a reference also has, clipped, averaged over the five).
The script prints, scored exactly as bench.easc_rouge scores (ROUGE F1, cut to L tokens):
- the ceiling: sentences ranked by that target itself, selected as our summariser selects;
- Lead, and our summariser as it ships;
- learned rankers, cross-validated by topic (fit on 4/5, summarise the other 1/5): ridge
  regression, gradient boosting and a random forest over 27 features (position, paragraph and
  line position, length, LexRank, centroid similarity, similarity to the first sentence, mean
  in-document term frequency, digits, quotes, brackets, Latin script, colons, questions,
  interview marks, leading connectives, commas, document size);
- the mean within-document Spearman correlation of a few features with the target;
- how many reference tokens are two adjacent article words glued together (the annotation tool
  dropped line breaks in hard-wrapped articles), which no extractive system can match.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import spearmanr
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import Ridge

from bench.easc import Topic, load_topics, score_summary, tokenize
from summarizer import summarize
from summarizer.clean import clean_text
from summarizer.models import Sentence
from summarizer.rank import Budget, _lexrank, _normalised, _tfidf, select
from summarizer.segment import split_sentences
from summarizer.textnorm import analyzer_for

Matrix = npt.NDArray[np.float64]
_CONNECTIVES = frozenset(("و", "ف", "لكن", "كما", "ثم", "بينما", "لذلك", "حيث", "اذ", "الا", "بل", "او"))
_DIGIT_RE = re.compile(r"[0-9٠-٩]")
_QUOTE_RE = re.compile(r"[\"«»“”]")
_LATIN_RE = re.compile(r"[A-Za-z]")
FEATURES = (
    "1/(1+i)", "i/n", "first", "second", "third", "log words", "words", "LexRank", "centroid",
    "sim to first", "mean term freq", "content share", "digits", "quotes", "brackets", "Latin",
    "colon", "question", "interview mark", "connective", "commas", "1/(1+line)", "first in line",
    "first in line/(1+line)", "line/lines", "one line", "sentences",
)
SHOWN = ("1/(1+i)", "first", "LexRank", "centroid", "sim to first", "first in line/(1+line)", "log words")


@dataclass(frozen=True, slots=True)
class Doc:
    """One topic, segmented as the summariser segments it, with features and targets."""

    topic: Topic
    sentences: list[Sentence]
    features: Matrix
    similarity: Matrix
    target: Matrix


def _lines(text: str, sentences: Sequence[Sentence]) -> tuple[list[tuple[int, bool]], int]:
    """(line index, first in its line) of each sentence, and the number of non-empty lines."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    where: list[tuple[int, bool]] = []
    current = 0
    for sentence in sentences:
        head = sentence.text[:20]
        while current < len(lines) and head not in lines[current]:
            current += 1
        where.append((current, current < len(lines) and lines[current].startswith(head)))
    return where, len(lines)


def _features(text: str, sentences: Sequence[Sentence]) -> tuple[Matrix, Matrix]:
    terms = analyzer_for("ar").terms_many([s.text for s in sentences])
    vectors, _ = _tfidf(terms, [])
    similarity = vectors @ vectors.T
    lexrank = _normalised(_lexrank(similarity))
    centroid = vectors.sum(axis=0)
    centroid_similarity = vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))
    frequency = collections.Counter(t for sentence_terms in terms for t in sentence_terms)
    lines, line_count = _lines(text, sentences)
    n = len(sentences)
    rows = []
    for i, sentence in enumerate(sentences):
        tokens = tokenize(sentence.text)
        words = len(tokens)
        line, first_in_line = lines[i]
        stripped = sentence.text.strip()
        rows.append([
            1 / (1 + i), i / n, i == 0, i == 1, i == 2, np.log1p(words), words, lexrank[i],
            centroid_similarity[i], similarity[i, 0] if i else 1.0,
            np.mean([frequency[t] for t in terms[i]]) if terms[i] else 0.0, len(terms[i]) / max(words, 1),
            bool(_DIGIT_RE.search(stripped)), bool(_QUOTE_RE.search(stripped)), "(" in stripped,
            bool(_LATIN_RE.search(stripped)), ":" in stripped, stripped.endswith(("؟", "?")),
            stripped[:1] in "*ـ-•", bool(tokens) and tokens[0] in _CONNECTIVES, stripped.count("،"),
            1 / (1 + line), first_in_line, first_in_line / (1 + line), line / max(line_count, 1),
            line_count == 1, n,
        ])
    return np.array(rows, dtype=np.float64), similarity


def _target(topic: Topic, sentences: Sequence[Sentence]) -> Matrix:
    references = [collections.Counter(r) for r in topic.references]
    values = []
    for sentence in sentences:
        tokens = tokenize(sentence.text)
        counts = collections.Counter(tokens)
        values.append(statistics.mean(sum((counts & r).values()) / max(len(tokens), 1) for r in references))
    return np.array(values)


def load_docs() -> list[Doc]:
    """Every EASC topic, prepared."""
    docs = []
    for topic in load_topics():
        text = clean_text(topic.article)
        sentences = split_sentences(text)
        features, similarity = _features(text, sentences)
        docs.append(Doc(topic, sentences, features, similarity, _target(topic, sentences)))
    return docs


def _rouge(doc: Doc, scores: Matrix) -> dict[str, float]:
    chosen = select(doc.sentences, scores, doc.similarity, Budget(None, doc.topic.length))
    return score_summary([c.sentence.text for c in chosen], doc.topic)


def _shipped(doc: Doc) -> dict[str, float]:
    return score_summary(summarize(doc.topic.article, max_words=doc.topic.length).sentences, doc.topic)


def _mean(results: Sequence[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.mean(r[k] for r in results) for k in results[0]}


def cross_validated(docs: Sequence[Doc], make: Callable[[], object], folds: int) -> dict[str, float]:
    """Fit on the other folds' sentences, rank and summarise each held-out topic."""
    results = []
    for fold in range(folds):
        train = [d for i, d in enumerate(docs) if i % folds != fold]
        model = make()
        model.fit(np.vstack([d.features for d in train]), np.concatenate([d.target for d in train]))  # type: ignore[attr-defined]
        for doc in (d for i, d in enumerate(docs) if i % folds == fold):
            results.append(_rouge(doc, model.predict(doc.features)))  # type: ignore[attr-defined]
    return _mean(results)


def glued_share(topics: Sequence[Topic]) -> tuple[float, int]:
    """Share of reference tokens that are two adjacent article tokens written as one; topics with any."""
    total = glued = 0
    affected = set()
    for topic in topics:
        article = tokenize(topic.article)
        words = set(article)
        pairs = {a + b for a, b in itertools.pairwise(article)}
        for reference in topic.references:
            total += len(reference)
            for token in reference:
                if token not in words and token in pairs:
                    glued += 1
                    affected.add(topic.name)
    return glued / total, len(affected)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    docs = load_docs()
    rows = {
        "ceiling: sentences ranked by their true overlap": _mean([_rouge(d, d.target) for d in docs]),
        "Lead (our segmentation)": _mean([_rouge(d, -np.arange(float(len(d.sentences)))) for d in docs]),
        "ours, as shipped (weights fitted on all 100)": _mean([_shipped(d) for d in docs]),
        "ridge, 27 features, cross-validated": cross_validated(docs, lambda: Ridge(1.0), args.folds),
        "gradient boosting, cross-validated": cross_validated(
            docs,
            lambda: HistGradientBoostingRegressor(
                max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20, random_state=0
            ),
            args.folds,
        ),
        "random forest, cross-validated": cross_validated(
            docs, lambda: RandomForestRegressor(300, min_samples_leaf=10, random_state=0), args.folds
        ),
    }
    print("| ranking | ROUGE-1 F | ROUGE-2 F | ROUGE-L F |\n| --- | --- | --- | --- |")
    for name, r in rows.items():
        print(f"| {name} | {r['rouge1']:.3f} | {r['rouge2']:.3f} | {r['rougeL']:.3f} |")
    print("\n| feature | mean within-document Spearman ρ with the target |\n| --- | --- |")
    for name in SHOWN:
        column = FEATURES.index(name)
        rhos = [
            spearmanr(d.features[:, column], d.target).statistic
            for d in docs
            if len(d.sentences) > 3 and np.std(d.features[:, column]) > 0
        ]
        print(f"| {name} | {np.nanmean(rhos):+.3f} ({len(rhos)} documents) |")
    share, affected = glued_share([d.topic for d in docs])
    print(f"\nglued reference tokens: {share:.1%} of all, in {affected} topics")


if __name__ == "__main__":
    main()
