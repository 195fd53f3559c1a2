"""EASC ROUGE evaluation: load the Essex Arabic Summaries Corpus from ../shared and score summaries.

Input: `../shared/data/easc-dev` (100 topics, one article and five human extractive summaries each).
Output: mean ROUGE-1/2/L F1 of a summarising system, as a dict.

Protocol (reproduces the Lead figures 0.531/0.449/0.483 of ../shared/README.md exactly):
- both sides normalised with camel-tools (alef, alef maksura, teh marbuta, diacritics, tatweel) and
  tokenised with `simple_word_tokenize`, keeping tokens that contain a word character;
- length L = round(mean token count of the five references);
- the candidate is the summary's tokens cut to the first L tokens;
- ROUGE-1/2 F1 on n-gram counts and ROUGE-L F1 on the LCS of the whole token sequences, computed by
  `rouge_score` against each reference, averaged over the references, then over the topics.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from camel_tools.tokenizers.word import simple_word_tokenize
from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
)
from rouge_score import rouge_scorer

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
EASC_DIR = SHARED_DIR / "data" / "easc-dev"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")

System = Callable[[str, int], Sequence[str]]
"""A summariser under test: (article text, length budget L in tokens) -> selected sentences."""

_WORD_RE = re.compile(r"\w")
_TATWEEL = "\u0640"
# Sentence ends for the baselines: . ! ? ؟ followed by whitespace, and every line break.
_SENTENCE_BREAK_RE = re.compile(r"(?<=[.!?؟])\s+|\n+")
_TOPIC_RE = re.compile(r"Topic(\d+)$")


class _SpaceTokenizer:
    """`rouge_score` tokenizer for text that `tokenize` already normalised and joined with spaces."""

    def tokenize(self, text: str) -> list[str]:
        """Split on whitespace only."""
        return text.split()


_SCORER = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=_SpaceTokenizer())


@dataclass(frozen=True, slots=True)
class Topic:
    """One EASC topic: the article and the tokens of its five reference summaries."""

    name: str
    article: str
    references: tuple[tuple[str, ...], ...]

    @property
    def length(self) -> int:
        """L: the references' mean token count, rounded."""
        return round(statistics.mean(len(r) for r in self.references))


def normalize(text: str) -> str:
    """Normalise Arabic letters the way the references were (alef, yeh, teh marbuta), strip marks."""
    text = normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(text)))
    return str(dediac_ar(text)).replace(_TATWEEL, "")


def tokenize(text: str) -> list[str]:
    """Normalised word tokens of `text`; punctuation-only tokens dropped."""
    return [t for t in simple_word_tokenize(normalize(text)) if _WORD_RE.search(t)]


def split_sentences(text: str) -> list[str]:
    """Baseline sentence splitter: after . ! ? ؟ plus whitespace, and at line breaks."""
    return [s.strip() for s in _SENTENCE_BREAK_RE.split(text) if s.strip()]


def _topic_number(path: Path) -> int:
    match = _TOPIC_RE.match(path.name)
    return int(match.group(1)) if match else -1


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


@cache
def load_topics(root: Path = EASC_DIR, limit: int | None = None) -> tuple[Topic, ...]:
    """The first `limit` topics (all by default) of the EASC copy at `root`, in topic order."""
    folders = sorted((p for p in (root / "Articles").iterdir() if _topic_number(p) > 0), key=_topic_number)
    topics: list[Topic] = []
    for folder in folders[:limit]:
        # Extensions vary (.txt, .TXT): each topic folder holds exactly one article.
        (article,) = sorted(p for p in folder.iterdir() if p.is_file())
        references = sorted(p for p in (root / "MTurk" / folder.name).iterdir() if p.is_file())
        if len(references) != 5:
            raise ValueError(f"{folder.name}: expected 5 reference summaries, found {len(references)}")
        topics.append(
            Topic(folder.name, _read(article), tuple(tuple(tokenize(_read(r))) for r in references))
        )
    return tuple(topics)


def score_summary(sentences: Sequence[str], topic: Topic) -> dict[str, float]:
    """ROUGE F1 of one summary, cut to L tokens, averaged over the topic's references."""
    candidate = " ".join([t for s in sentences for t in tokenize(s)][: topic.length])
    scores = [_SCORER.score(" ".join(reference), candidate) for reference in topic.references]
    return {kind: statistics.mean(s[kind].fmeasure for s in scores) for kind in ROUGE_TYPES}


def evaluate(system: System, topics: Sequence[Topic] | None = None) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 of `system` over `topics` (default: all EASC topics in ../shared)."""
    topics = load_topics() if topics is None else topics
    per_topic = [score_summary(system(t.article, t.length), t) for t in topics]
    return {kind: statistics.mean(s[kind] for s in per_topic) for kind in ROUGE_TYPES}


def lead(text: str, length: int) -> list[str]:
    """Lead baseline: the first sentences, added while the running token count is below `length`."""
    chosen: list[str] = []
    count = 0
    for sentence in split_sentences(text):
        if count >= length:
            break
        chosen.append(sentence)
        count += len(tokenize(sentence))
    return chosen


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(candidate: Counter[tuple[str, ...]], reference: Counter[tuple[str, ...]]) -> float:
    overlap = sum((candidate & reference).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(candidate.values())
    recall = overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def greedy_oracle(topic: Topic) -> list[str]:
    """Upper bound: greedily add the sentence that most raises mean ROUGE-1 + ROUGE-2 F1 vs the refs.

    Each trial summary is scored as `evaluate` scores it (document order, cut to L tokens); the
    search stops when no remaining sentence raises the objective.
    """
    sentences = [(s, tokenize(s)) for s in split_sentences(topic.article)]
    references = [(_ngrams(r, 1), _ngrams(r, 2)) for r in topic.references]

    def objective(chosen: set[int]) -> float:
        tokens = [t for i in sorted(chosen) for t in sentences[i][1]][: topic.length]
        unigrams, bigrams = _ngrams(tokens, 1), _ngrams(tokens, 2)
        return statistics.mean(_f1(unigrams, r1) + _f1(bigrams, r2) for r1, r2 in references)

    chosen: set[int] = set()
    best = 0.0
    while len(chosen) < len(sentences):
        # Ties go to the earliest sentence.
        value, index = max((objective(chosen | {i}), -i) for i in range(len(sentences)) if i not in chosen)
        if value <= best:
            break
        chosen.add(-index)
        best = value
    return [sentences[i][0] for i in sorted(chosen)]


def oracle_system(topics: Sequence[Topic]) -> System:
    """The greedy oracle as a `System`: it looks up each article's references among `topics`."""
    by_article = {t.article: t for t in topics}

    def summarize(text: str, length: int) -> list[str]:
        return greedy_oracle(by_article[text])

    return summarize
