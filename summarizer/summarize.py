"""The summariser's facade: clean, detect the language, segment, rank, select."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.clean import clean_text
from summarizer.language import detect_language
from summarizer.models import Sentence, Summary
from summarizer.rank import DEFAULT_WEIGHTS, Budget, Weights, rank_sentences, select
from summarizer.segment import split_sentences
from summarizer.textnorm import analyzer_for

DEFAULT_MAX_SENTENCES = 3
_TITLE_MAX_WORDS = 20
_SENTENCE_END_RE = re.compile(r"[.!?؟…:][\"”»’')\]]*$")


@dataclass(frozen=True, slots=True)
class Document:
    """A text made ready for the summariser and the tagger: cleaned, language known, segmented."""

    text: str  # after boilerplate removal
    language: str
    title: str | None  # given, or the headline line split off the text
    sentences: tuple[Sentence, ...]


def prepare(text: str, *, title: str | None = None, language: str | None = None) -> Document:
    """Clean `text`, detect its language (unless given) and split it into sentences."""
    cleaned = clean_text(text)
    detected = language or detect_language(cleaned)
    sentences = split_sentences(cleaned)
    if title is None:
        title, sentences = _split_off_headline(sentences)
    return Document(cleaned, detected, title, tuple(sentences))


def summarize(
    text: str,
    *,
    title: str | None = None,
    language: str | None = None,
    max_sentences: int | None = None,
    max_words: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Summary:
    """Extractive summary of `text`: real sentences of it, in its language, in document order.

    Without a budget, three sentences. With `max_words`, sentences are added until the summary
    reaches that many words (the last one may run past it).
    """
    document = prepare(text, title=title, language=language)
    return summarize_document(document, max_sentences=max_sentences, max_words=max_words, weights=weights)


def summarize_document(
    document: Document,
    *,
    max_sentences: int | None = None,
    max_words: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Summary:
    """`summarize` for a document already prepared (the tagger shares the preparation)."""
    if max_sentences is not None and max_sentences < 1:
        raise ValueError("max_sentences must be at least 1")
    if max_words is not None and max_words < 1:
        raise ValueError("max_words must be at least 1")
    sentences = list(document.sentences)
    if not sentences:
        return Summary(document.language)
    if max_sentences is None and max_words is None:
        max_sentences = DEFAULT_MAX_SENTENCES
    analyzer = analyzer_for(document.language)
    scores, similarity = rank_sentences(sentences, analyzer, title=document.title, weights=weights)
    chosen = select(sentences, scores, similarity, Budget(max_sentences, max_words), weights=weights)
    return Summary(document.language, tuple(chosen), len(sentences))


def _split_off_headline(sentences: list[Sentence]) -> tuple[str | None, list[Sentence]]:
    """A first paragraph that is one short unpunctuated line is the headline, not a sentence."""
    if len(sentences) < 2:
        return None, sentences
    first, second = sentences[0], sentences[1]
    if (
        second.paragraph == first.paragraph
        or _SENTENCE_END_RE.search(first.text)
        or len(first.text.split()) > _TITLE_MAX_WORDS
    ):
        return None, sentences
    return first.text, sentences[1:]
