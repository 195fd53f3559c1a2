"""How the ranking weights in summarizer/rank.py (`Weights`) were fitted, reproducibly.

For every EASC sentence: features (1/(1+index), index/count, log(1+words), LexRank/top) and a
target, its mean bigram overlap with the five human summaries. A ridge regression fits the weights;
five-fold cross-validation (fit on 80 topics, summarise the other 20) shows they generalise.

    python -m bench.fit_weights
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from bench.easc import Topic, evaluate, lead, load_topics, tokenize
from summarizer import summarize
from summarizer.clean import clean_text
from summarizer.rank import DEFAULT_WEIGHTS, Weights, _lexrank, _normalised, _tfidf
from summarizer.segment import split_sentences
from summarizer.textnorm import analyzer_for

FEATURES = ("position", "relative_position", "length", "centrality")
Matrix = npt.NDArray[np.float64]


def features_and_targets(topic: Topic) -> tuple[Matrix, Matrix]:
    """One row of features per sentence, and the sentence's bigram overlap with the references."""
    sentences = split_sentences(clean_text(topic.article))
    terms = analyzer_for("ar").terms_many([s.text for s in sentences])
    vectors, _ = _tfidf(terms, [])
    lexrank = _normalised(_lexrank(vectors @ vectors.T))
    references = [set(itertools.pairwise(r)) for r in topic.references]
    rows, targets = [], []
    for i, sentence in enumerate(sentences):
        tokens = tokenize(sentence.text)
        bigrams = set(itertools.pairwise(tokens))
        overlap = [len(bigrams & ref) / max(len(bigrams), 1) for ref in references]
        rows.append([1.0, 1 / (1 + i), i / len(sentences), np.log1p(len(sentence.text.split())), lexrank[i]])
        targets.append(float(np.mean(overlap)))
    return np.array(rows), np.array(targets)


def fit(topics: Sequence[Topic], ridge: float = 1.0) -> Weights:
    """Ridge regression of the targets on the features; returns Weights with those four set."""
    pairs = [features_and_targets(t) for t in topics]
    x = np.vstack([p[0] for p in pairs])
    y = np.concatenate([p[1] for p in pairs])
    coefficients = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ y)
    values = dict(zip(FEATURES, (round(float(c), 3) for c in coefficients[1:]), strict=True))
    return dataclasses.replace(DEFAULT_WEIGHTS, **values)


def _system(weights: Weights) -> Callable[[str, int], list[str]]:
    def run(text: str, length: int) -> list[str]:
        return summarize(text, max_words=length, weights=weights).sentences

    return run


def main() -> None:
    """Fit on all topics, print the weights and the cross-validated ROUGE next to Lead."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    topics = load_topics()
    weights = fit(topics)
    print("fitted on all topics:", {f: getattr(weights, f) for f in FEATURES})
    held_out: list[dict[str, float]] = []
    for fold in range(args.folds):
        train = [t for i, t in enumerate(topics) if i % args.folds != fold]
        test = [t for i, t in enumerate(topics) if i % args.folds == fold]
        fold_weights = fit(train)
        held_out.append(evaluate(_system(fold_weights), test))
    cv = {k: float(np.mean([h[k] for h in held_out])) for k in held_out[0]}
    lead_scores = evaluate(lead, topics)
    print("| system | ROUGE-1 F | ROUGE-2 F | ROUGE-L F |\n| --- | --- | --- | --- |")
    print(f"| ours, {args.folds}-fold cross-validated | " + " | ".join(f"{cv[k]:.3f}" for k in cv) + " |")
    print("| Lead | " + " | ".join(f"{lead_scores[k]:.3f}" for k in lead_scores) + " |")


if __name__ == "__main__":
    main()
