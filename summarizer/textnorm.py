"""Normalisation, tokenisation, stop words and stemming, per language.

Arabic goes through camel-tools (alef / alef maksura / teh marbuta normalisation, dediacritisation,
`simple_word_tokenize`); both languages are stemmed with Snowball (PyStemmer). Pure: no I/O beyond
reading the stop-word lists shipped with the `stop-words` package, once, lazily.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import Stemmer
from camel_tools.tokenizers.word import simple_word_tokenize as _camel_word_tokenize
from camel_tools.utils.charsets import UNICODE_PUNCT_SYMBOL_CHARSET
from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
)
from stop_words import get_stop_words

_TATWEEL = "\u0640"
_BREAK_CHAR = "\ue000"
# What normalize_letters folds (camel-tools: alef forms, alef maksura, teh marbuta), inverted.
_UNFOLD = {"ا": "اأإآٱ", "ي": "يى", "ه": "هة"}
_FOLDABLE_RE = re.compile("[أإآٱىة]")
_TEXT_BREAK = f" {_BREAK_CHAR} "
_WORD_CHAR_RE = re.compile(r"\w")
# "وال" opening a word of six letters or more (a whitespace- or punctuation-delimited token).
_WA_AL_RE = re.compile(r"(?<![^\W_])وال(?=[^\W_]{3})")
_ARABIC_INDIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_INDIC_DIGIT_RE = re.compile("[٠-٩۰-۹]")
# Arabic letters that carry no case: lowercasing is only for Latin script.
_LATIN_RE = re.compile(r"[A-Za-z]")


def normalize_letters(text: str) -> str:
    """Fold Arabic letter variants through camel-tools: alef forms, alef maksura, teh marbuta."""
    # camel-tools is untyped: str() pins the return type for mypy (it is a str already).
    return str(normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(text))))


def strip_marks(text: str) -> str:
    """Remove Arabic diacritics and tatweel, and turn Arabic-Indic digits into 0-9."""
    text = str(dediac_ar(text)).replace(_TATWEEL, "")
    # str.translate walks every character in Python; most texts have no Arabic-Indic digit at all.
    return text.translate(_ARABIC_INDIC_DIGITS) if _ARABIC_INDIC_DIGIT_RE.search(text) else text


def normalize_text(text: str) -> str:
    """Normalise any text for matching: marks removed, letters folded, Latin lower-cased."""
    text = normalize_letters(strip_marks(text))
    return text.lower() if _LATIN_RE.search(text) else text


def simple_word_tokenize(text: str) -> list[str]:
    """camel-tools' `simple_word_tokenize`, with a fast path for the common all-letters chunk.

    camel-tools scans every character with a regex; a whitespace chunk made only of letters and
    digits has nothing to split, so it is returned as one token (the same output, several times faster).
    """
    tokens: list[str] = []
    for chunk in text.split():
        if chunk.isalnum():
            tokens.append(chunk)
        elif chunk[:-1].isalnum() and chunk[-1] in UNICODE_PUNCT_SYMBOL_CHARSET:
            tokens.extend((chunk[:-1], chunk[-1]))  # "word،" / "word.": what camel-tools returns
        elif chunk[1:].isalnum() and chunk[0] in UNICODE_PUNCT_SYMBOL_CHARSET:
            tokens.extend((chunk[0], chunk[1:]))  # "«word" / "(word"
        else:
            tokens.extend(_camel_word_tokenize(chunk))
    return tokens


def word_tokens(text: str) -> list[str]:
    """Normalised word tokens (punctuation dropped), via camel-tools' `simple_word_tokenize`."""
    return [t for t in simple_word_tokenize(normalize_text(text)) if _WORD_CHAR_RE.search(t)]


@dataclass(frozen=True, slots=True)
class Analyzer:
    """Turns text into content terms for one language: tokens, minus stop words, stemmed."""

    language: str
    stopwords: frozenset[str]
    stem_words: Callable[[Sequence[str]], list[str]]
    stopword_spellings: frozenset[str] = frozenset()

    def terms(self, text: str) -> list[str]:
        """Content terms of `text`: stop words and bare numbers removed, stemmed, then folded."""
        return self.terms_many([text])[0]

    def terms_many(self, texts: Sequence[str]) -> list[list[str]]:
        """`terms` of each text, in one pass: one tokenise, fold and stem call for all of them."""
        if not texts:
            return []
        # A private-use character between texts survives tokenising, folding and stemming as a
        # token of its own, so the joined result splits back into one string per text.
        joined = _TEXT_BREAK.join(t.replace(_BREAK_CHAR, " ") for t in texts)
        raw = strip_marks(joined)
        if _LATIN_RE.search(raw):
            raw = raw.lower()
        # Snowball leaves wa+al- in place: "والكتاب" is stemmed as "الكتاب" (words of six letters or more).
        raw = _WA_AL_RE.sub("ال", raw)
        # Snowball wants the unfolded spelling (it reads teh marbuta), so stop words are matched
        # against every spelling that folds to one, rather than folding each token.
        spellings = self.stopword_spellings
        kept = [w for w in _content_tokens(raw) if w not in spellings]
        stems = " ".join(self.stem_words(kept))
        if _FOLDABLE_RE.search(stems):
            stems = normalize_letters(stems)
        parts = stems.split(_BREAK_CHAR)
        return [[stem for stem in part.split() if len(stem) > 1] for part in parts]


def _content_tokens(raw: str) -> list[str]:
    """Word tokens of `simple_word_tokenize(raw)` minus punctuation and bare numbers, in one loop."""
    tokens: list[str] = []
    append = tokens.append
    for chunk in raw.split():
        if chunk.isalpha() or chunk == _BREAK_CHAR:
            append(chunk)
        elif chunk.isalnum():
            if not chunk.isdigit():
                append(chunk)
        elif chunk[:-1].isalpha() and chunk[-1] in UNICODE_PUNCT_SYMBOL_CHARSET:
            append(chunk[:-1])  # "word،": camel-tools splits off the mark, which we drop
        elif chunk[1:].isalpha() and chunk[0] in UNICODE_PUNCT_SYMBOL_CHARSET:
            append(chunk[1:])  # "«word"
        else:
            tokens.extend(t for t in simple_word_tokenize(chunk) if _is_word(t) and not t.isdigit())
    return tokens


def _is_word(token: str) -> bool:
    return token.isalnum() or _WORD_CHAR_RE.search(token) is not None


_SNOWBALL = {
    "ar": "arabic",
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "ru": "russian",
}


@cache
def analyzer_for(language: str) -> Analyzer:
    """The analyser for a language code; languages we do not stem get plain normalised tokens."""
    try:
        raw_stopwords = get_stop_words(language)
    except Exception:  # stop_words raises its own StopWordError for unknown languages
        raw_stopwords = []
    stopwords = frozenset(normalize_text(w) for w in raw_stopwords)
    spellings = frozenset(spelling for word in stopwords for spelling in unfolded_spellings(word))
    algorithm = _SNOWBALL.get(language)
    if algorithm is None:
        return Analyzer(language, stopwords, list, spellings)
    stemmer = Stemmer.Stemmer(algorithm)
    stemmer.maxCacheSize = 50_000
    return Analyzer(language, stopwords, stemmer.stemWords, spellings)


def unfolded_spellings(folded: str, limit: int = 4096) -> list[str]:
    """Every spelling that `normalize_letters` folds to `folded` (alef, yeh and heh variants)."""
    options = [_UNFOLD.get(char, char) for char in folded]
    if math.prod(len(o) for o in options) > limit:
        return [folded]
    return ["".join(p) for p in itertools.product(*options)]
