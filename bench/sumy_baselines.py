"""sumy baselines (LexRank, TextRank, LSA) with sumy's own Arabic tokenizer, stemmer and stop words.

Input: article text. Output: the sentences sumy selects, in document order, as plain strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sumy.nlp.stemmers import Stemmer
from sumy.nlp.tokenizers import Tokenizer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from bench.easc import System, tokenize

LANGUAGE = "arabic"
SUMMARIZERS: dict[str, type[Any]] = {
    "lexrank": LexRankSummarizer,
    "textrank": TextRankSummarizer,
    "lsa": LsaSummarizer,
}


def make_summarizer(kind: str) -> Any:
    """A sumy summariser of `kind` (lexrank, textrank, lsa) set up for Arabic."""
    summarizer = SUMMARIZERS[kind](Stemmer(LANGUAGE))
    summarizer.stop_words = get_stop_words(LANGUAGE)
    return summarizer


def _take_until(length: int) -> Callable[[Sequence[Any]], list[Any]]:
    """A sumy `sentences_count`: walk the rank-ordered sentences until `length` tokens are taken."""

    def take(ranked: Sequence[Any]) -> list[Any]:
        taken: list[Any] = []
        count = 0
        for info in ranked:
            if count >= length:
                break
            taken.append(info)
            count += len(tokenize(str(info.sentence)))
        return taken

    return take


def ranked_system(kind: str) -> System:
    """sumy `kind` as an EASC `System`: best-ranked sentences until L tokens, in document order."""
    tokenizer = Tokenizer(LANGUAGE)
    summarizer = make_summarizer(kind)

    def summarize(text: str, length: int) -> list[str]:
        document = PlaintextParser.from_string(text, tokenizer).document
        return [str(s) for s in summarizer(document, _take_until(length))]

    return summarize


def top_sentences(kind: str, count: int) -> Callable[[str], list[str]]:
    """sumy `kind` asked for its `count` best sentences, returned in document order."""
    tokenizer = Tokenizer(LANGUAGE)
    summarizer = make_summarizer(kind)

    def summarize(text: str) -> list[str]:
        document = PlaintextParser.from_string(text, tokenizer).document
        return [str(s) for s in summarizer(document, count)]

    return summarize
