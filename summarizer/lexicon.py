"""Phrase matching over Arabic and English text, with Arabic proclitics and orthographic variants.

Lexicons (places, actors, event triggers) are lists of phrases. Text and phrases are tokenised the
same way (camel-tools' `simple_word_tokenize`, punctuation dropped) and folded (`normalize_text`:
diacritics, alef / alef maksura / teh marbuta, Arabic-Indic digits, lower-case Latin). The first
token of a phrase also matches with Arabic proclitics in front of it: the conjunctions و ف, the
prepositions ب ل ك, and the article after them ("بالبوكمال", "وللميادين" → "البوكمال",
"الميادين"). A phrase written without the article ("دير الزور" vs "بدير الزور") matches as written.
Matching is longest-first, left to right, without overlaps. Pure.

For the extractors' hot path (the whole analysis runs at hundreds of articles a second):
`fold_sentences` and `word_spans` give the same words as `tokenize` (its norms) from one
normalisation call per text instead of one per word, and `LexiconScanner` is a `PhraseMatcher`
that only tries the words where a phrase can begin, remembering the answer for each window.
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


# A word: letters and digits, with the Arabic marks and tatweel that normalisation removes; "_" and
# every punctuation mark or symbol separate words, as in camel-tools' simple_word_tokenize.
_WORD_RE = re.compile(r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640])+")
_FOLDED_WORD_RE = re.compile(r"[^\W_]+")
_SEPARATOR = "\ue000"  # private-use character: survives folding, never part of a word
_MEMO_SIZE = 50_000  # windows remembered per scanner (a few MB at most)


# --- Scanning folded word lists (the events, actors and casualties extractors) ------------------


def fold_sentences(sentences: Sequence[str]) -> list[list[str]]:
    """The folded words of each sentence, from one normalisation call for all of them."""
    joined = _SEPARATOR.join(s.replace(_SEPARATOR, " ") for s in sentences)
    return [_FOLDED_WORD_RE.findall(part) for part in normalize_text(joined).split(_SEPARATOR)]


def words_and_locator(text: str) -> tuple[list[str], re.Pattern[str], str]:
    """The folded words of `text`, and the pattern and string whose n-th match is the n-th word."""
    folded = normalize_text(text)
    if len(folded) == len(text):  # nothing was removed (no diacritics): offsets are the text's
        return _FOLDED_WORD_RE.findall(folded), _FOLDED_WORD_RE, folded
    # Folding never adds or removes a space, so the joined words split back one for one.
    words = normalize_text(" ".join(_WORD_RE.findall(text))).split(" ")
    return words, _WORD_RE, text


def word_spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The folded words of `text` and the character span of each in `text`."""
    words, pattern, located = words_and_locator(text)
    return words, [m.span() for m in pattern.finditer(located)]


def spans_of(pattern: re.Pattern[str], text: str, wanted: set[int]) -> dict[int, tuple[int, int]]:
    """Character spans of the wanted words (by index), found without locating every word."""
    spans: dict[int, tuple[int, int]] = {}
    last = max(wanted, default=-1)
    for index, match in enumerate(pattern.finditer(text)):
        if index > last:
            break
        if index in wanted:
            spans[index] = match.span()
    return spans


def _prefixed_forms(word: str) -> set[str]:
    """Every spelling from which `lexicon.proclitic_forms` can recover `word` (a superset)."""
    bases = [word]
    if word.startswith("ال"):
        bases.append("ل" + word[1:])  # ل + ال is written لل
    forms = set(bases)
    for base in bases:
        forms.update(p + base for p in _PREPOSITIONS)
    forms.update(c + f for c in _CONJUNCTIONS for f in list(forms))
    return forms


class LexiconScanner(Generic[T]):
    """A `PhraseMatcher` that runs only at words that can begin one of its phrases.

    Same matches as `PhraseMatcher.find` over the whole word sequence (longest first, left to right,
    no overlaps), at a fraction of the cost: most words of a text begin no phrase, and a set lookup
    rules them out.
    """

    def __init__(self, entries: Iterable[tuple[str, T]]) -> None:
        pairs = list(entries)
        self._matcher: PhraseMatcher[T] = PhraseMatcher(pairs)
        # For each spelling that can begin a phrase, the most words a phrase from there can span;
        # and every word that can continue a phrase (those match exactly, without proclitics). The
        # window handed to the matcher stops at the first word that cannot continue: the matcher
        # tries every word of its window, so short windows keep it cheap.
        widths: dict[str, int] = {}
        inner: set[str] = set()
        for phrase, _ in pairs:
            key = phrase_key(phrase)
            for form in _prefixed_forms(key[0]) if key else ():
                widths[form] = max(widths.get(form, 0), len(key))
            inner.update(key[1:])
        self._widths = widths
        self._inner = frozenset(inner)
        # Windows recur (the same few words start most phrases): their results are remembered.
        self._memo: dict[tuple[str, ...], tuple[int, list[T]]] = {}

    def scan(self, words: Sequence[str]) -> list[tuple[int, int, T]]:
        """(first word, word after the last, value) of every phrase found in folded `words`."""
        found: list[tuple[int, int, T]] = []
        widths, inner, memo = self._widths, self._inner, self._memo
        free = 0
        for i in [i for i, word in enumerate(words) if word in widths]:
            if i < free:
                continue
            end, limit = i + 1, min(len(words), i + widths[words[i]])
            while end < limit and words[end] in inner:
                end += 1
            window = tuple(words[i:end])
            result = memo.get(window)
            if result is None:
                result = self._match_start(window)
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                memo[window] = result
            length, values = result
            if length:
                free = i + length
                found.extend((i, free, value) for value in values)
        return found

    def _match_start(self, window: tuple[str, ...]) -> tuple[int, list[T]]:
        """(length, values) of the longest phrase at the start of `window`; (0, []) if none."""
        tokens = [Token(w, w, 0, 0) for w in window]
        matches = [m for m in self._matcher.find("", tokens) if m.first == 0]
        return (matches[0].last, [m.value for m in matches]) if matches else (0, [])
