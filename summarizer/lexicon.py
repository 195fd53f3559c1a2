"""Phrase matching over Arabic and English text, with Arabic proclitics and orthographic variants.

Lexicons (places, actors, event triggers) are lists of phrases. Text and phrases are tokenised the
same way (camel-tools' `simple_word_tokenize`, punctuation dropped) and folded (`normalize_text`:
diacritics, alef / alef maksura / teh marbuta, Arabic-Indic digits, lower-case Latin). The first
token of a phrase also matches with Arabic proclitics in front of it: the conjunctions و ف, the
prepositions ب ل ك, and the article after them ("بالبوكمال", "وللميادين" → "البوكمال",
"الميادين"). A phrase written without the article ("دير الزور" vs "بدير الزور") matches as written.
Matching is longest-first, left to right, without overlaps. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from summarizer.textnorm import normalize_text, simple_word_tokenize

T = TypeVar("T")

_WORD_RE = re.compile(r"\w")
_CONJUNCTIONS = ("و", "ف")
_PREPOSITIONS = ("ب", "ل", "ك")


class Token(NamedTuple):
    """A word of the text: its surface form, folded form and character span.

    A NamedTuple rather than a frozen dataclass: texts have hundreds of tokens, and a tuple is
    several times cheaper to create.
    """

    surface: str
    norm: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    """A lexicon phrase found in the text: its value and where (tokens and characters)."""

    value: T
    first: int  # index of the first token
    last: int  # index after the last token
    start: int  # character offsets in the text
    end: int
    surface: str


def tokenize(text: str) -> list[Token]:
    """Word tokens of `text` with their character offsets (punctuation dropped)."""
    spans: list[tuple[str, int, int]] = []
    position = 0
    for piece in simple_word_tokenize(text):
        start = text.find(piece, position)
        if start < 0:  # cannot happen for camel-tools' splits; keep offsets monotonic regardless
            start = position
        position = start + len(piece)
        if piece.isalnum() or _WORD_RE.search(piece):
            spans.append((piece, start, position))
    if not spans:
        return []
    # Fold all tokens in one call; tokens hold no line break, so the split realigns them even
    # when folding empties one (a token of diacritics only).
    norms = normalize_text("\n".join(piece for piece, _, _ in spans)).split("\n")
    return [Token(piece, norm, start, end) for (piece, start, end), norm in zip(spans, norms, strict=True)]


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The folded token sequence a phrase is indexed under."""
    return tuple(normalize_text(t) for t in simple_word_tokenize(phrase) if _WORD_RE.search(t))


def proclitic_forms(word: str) -> list[str]:
    """`word` and the forms left after stripping Arabic proclitics (و ف, then ب ل ك, keeping ال)."""
    forms = [word]
    stems = [word]
    if len(word) > 2 and word[0] in _CONJUNCTIONS:
        stems.append(word[1:])
    for stem in list(stems):
        if len(stem) > 2 and stem[0] in _PREPOSITIONS:
            rest = stem[1:]
            # ل + ال is written لل: "للميادين" is ل + "الميادين".
            stems.append("ا" + rest if stem[0] == "ل" and rest.startswith("ل") else rest)
    for stem in stems[1:]:
        if stem not in forms:
            forms.append(stem)
    return forms


class PhraseMatcher(Generic[T]):
    """Finds lexicon phrases in tokenised text; several values may share one phrase."""

    def __init__(self, entries: Iterable[tuple[str, T]]) -> None:
        self._index: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for phrase, value in entries:
            key = phrase_key(phrase)
            if key:
                self._index.setdefault(key[0], []).append((key, value))
        for candidates in self._index.values():
            candidates.sort(key=lambda item: -len(item[0]))

    def __len__(self) -> int:
        return sum(len(c) for c in self._index.values())

    def find(self, text: str, tokens: Sequence[Token] | None = None) -> list[Match[T]]:
        """Longest non-overlapping matches, left to right; every value of the winning phrase."""
        tokens = tokenize(text) if tokens is None else tokens
        matches: list[Match[T]] = []
        i = 0
        while i < len(tokens):
            found = self._longest_at(tokens, i)
            if not found:
                i += 1
                continue
            length, values = found
            first, last = tokens[i], tokens[i + length - 1]
            surface = text[first.start:last.end]
            matches.extend(Match(v, i, i + length, first.start, last.end, surface) for v in values)
            i += length
        return matches

    def _longest_at(self, tokens: Sequence[Token], i: int) -> tuple[int, list[T]] | None:
        best_length = 0
        best: list[T] = []
        for form in proclitic_forms(tokens[i].norm):
            for key, value in self._index.get(form, ()):
                length = len(key)
                if length < best_length or i + length > len(tokens):
                    continue
                if all(tokens[i + k].norm == key[k] for k in range(1, length)):
                    if length > best_length:
                        best_length, best = length, [value]
                    elif value not in best:
                        best.append(value)
        return (best_length, best) if best_length else None
