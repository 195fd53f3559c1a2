"""Actors named in a text, with their ACLED actor types: `find_actors`.

The aliases live in `data/actors.yaml` (Arabic and English, one display name and one ACLED type
per actor); they are matched as phrases (`summarizer.lexicon`: folded letters, Arabic proclitics,
longest alias first), each actor reported once, at its first mention. Phrases listed under
`ignore` contain an alias but name something else ("الأمن العام اللبناني"): they win over the
shorter alias and are dropped.

This module also holds the lexicon scanning that events and casualties share, built for speed
(the whole analysis must run at hundreds of articles a second): `fold_sentences` and `word_spans`
give the same words as `lexicon.tokenize` (its norms) from one normalisation call per text instead
of one per word, and `LexiconScanner` is a `PhraseMatcher` that only tries the words where a phrase
can begin, remembering the answer for each window of words. Pure: reads its data file once, lazily.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from summarizer.lexicon import PhraseMatcher, Token, phrase_key
from summarizer.models import ActorMention
from summarizer.resources import DataFileError, load_yaml, string_list
from summarizer.textnorm import normalize_text

T = TypeVar("T")

ACTOR_TYPES: tuple[str, ...] = (
    "State forces",
    "Rebel group",
    "Political militia",
    "Identity militia",
    "Rioters",
    "Protesters",
    "Civilians",
    "External/Other forces",
)
"""ACLED's actor types, spelled as the project shows them."""

_FILE = "actors.yaml"
# A word: letters and digits, with the Arabic marks and tatweel that normalisation removes; "_" and
# every punctuation mark or symbol separate words, as in camel-tools' simple_word_tokenize.
_WORD_RE = re.compile(r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640])+")
_FOLDED_WORD_RE = re.compile(r"[^\W_]+")
_SEPARATOR = "\ue000"  # private-use character: survives folding, never part of a word
_MEMO_SIZE = 50_000  # windows remembered per scanner (a few MB at most)
_CONJUNCTIONS = ("و", "ف")
_PREPOSITIONS = ("ب", "ل", "ك")


# --- Scanning shared by the extractors ----------------------------------------------------------


def fold_sentences(sentences: Sequence[str]) -> list[list[str]]:
    """The folded words of each sentence, from one normalisation call for all of them."""
    joined = _SEPARATOR.join(s.replace(_SEPARATOR, " ") for s in sentences)
    return [_FOLDED_WORD_RE.findall(part) for part in normalize_text(joined).split(_SEPARATOR)]


def _words_and_locator(text: str) -> tuple[list[str], re.Pattern[str], str]:
    """The folded words of `text`, and the pattern and string whose n-th match is the n-th word."""
    folded = normalize_text(text)
    if len(folded) == len(text):  # nothing was removed (no diacritics): offsets are the text's
        return _FOLDED_WORD_RE.findall(folded), _FOLDED_WORD_RE, folded
    # Folding never adds or removes a space, so the joined words split back one for one.
    words = normalize_text(" ".join(_WORD_RE.findall(text))).split(" ")
    return words, _WORD_RE, text


def word_spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The folded words of `text` and the character span of each in `text`."""
    words, pattern, located = _words_and_locator(text)
    return words, [m.span() for m in pattern.finditer(located)]


def _spans(pattern: re.Pattern[str], text: str, wanted: set[int]) -> dict[int, tuple[int, int]]:
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


# --- Actors -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """An actor of the lexicon: display name and ACLED actor type."""

    name: str
    type: str
    pro_government: bool = False  # fights on the Syrian government's side (data: `side: government`)


def _entry_aliases(entry: dict[str, Any], where: str) -> list[str]:
    aliases: list[str] = []
    for key in ("ar", "en"):
        if key in entry:
            aliases += string_list(entry, key, _FILE)
    if not aliases:
        raise DataFileError(f"{where}: needs at least one alias under 'ar' or 'en'")
    return aliases


@cache
def _lexicon() -> LexiconScanner[Actor | None]:
    data = load_yaml(_FILE)
    entries = data.get("actors")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(f"summarizer/data/{_FILE}: 'actors' must be a non-empty list")
    pairs: list[tuple[str, Actor | None]] = []
    owners: dict[tuple[str, ...], str] = {}
    names: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        where = f"summarizer/data/{_FILE}: actor {position}"
        if not isinstance(entry, dict):
            raise DataFileError(f"{where}: must be a mapping with name, type, ar/en")
        name, kind = entry.get("name"), entry.get("type")
        if not isinstance(name, str) or not name.strip():
            raise DataFileError(f"{where}: 'name' must be a non-empty string")
        where = f"{where} ({name})"
        if name in names:
            raise DataFileError(f"{where}: duplicate name")
        if kind not in ACTOR_TYPES:
            raise DataFileError(f"{where}: 'type' must be one of {', '.join(ACTOR_TYPES)}, not {kind!r}")
        side = entry.get("side")
        if side not in (None, "government"):
            raise DataFileError(f"{where}: 'side' can only be 'government', not {side!r}")
        names.add(name)
        actor = Actor(name, kind, pro_government=side == "government")
        for alias in _entry_aliases(entry, where):
            key = phrase_key(alias)
            if key in owners and owners[key] != name:
                raise DataFileError(f"{where}: alias {alias!r} already belongs to {owners[key]}")
            owners[key] = name
            pairs.append((alias, actor))
    pairs += [(phrase, None) for phrase in string_list(data, "ignore", _FILE)]
    return LexiconScanner(pairs)


def actor_lexicon() -> LexiconScanner[Actor | None]:
    """The actor aliases as a scanner over folded words (`None` values are ignored phrases)."""
    return _lexicon()


def find_actors(text: str, language: str, *, tokens: Sequence[Token] | None = None) -> list[ActorMention]:
    """Actors named in `text`, one mention each (the first), in order of appearance.

    `tokens` may pass `lexicon.tokenize(text)` when the caller has it already. Aliases of both
    scripts apply to any text, so `language` changes nothing (they cannot collide).
    """
    del language
    if tokens is None:
        words, pattern, located = _words_and_locator(text)
    else:
        words = [t.norm for t in tokens]
    found: list[tuple[int, int, Actor]] = []
    seen: set[str] = set()
    for first, last, actor in _lexicon().scan(words):
        if actor is not None and actor.name not in seen:
            seen.add(actor.name)
            found.append((first, last - 1, actor))
    if tokens is None:
        spans = _spans(pattern, located, {i for first, last, _ in found for i in (first, last)})
    else:
        spans = {i: (tokens[i].start, tokens[i].end) for first, last, _ in found for i in (first, last)}
    mentions: list[ActorMention] = []
    for first, last, actor in found:
        start, end = spans[first][0], spans[last][1]
        mentions.append(ActorMention(actor.name, actor.type, text[start:end], start, end))
    return mentions
