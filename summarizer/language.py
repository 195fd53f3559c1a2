"""Language identification: py3langid's model, with a script check for very short or empty text."""

from __future__ import annotations

import re

import py3langid

_SAMPLE_CHARS = 400  # enough for a confident decision; the model costs time per character
_MIN_LETTERS = 12
# Arabic-script letters only: digits (U+0660-0669, U+06F0-06F9) and punctuation of the block excluded.
_ARABIC_RE = re.compile(
    r"[\u0620-\u064A\u066E-\u06D3\u06D5\u06FA-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFC]"
)
_LATIN_RE = re.compile(r"[A-Za-z]")
# Letters of Persian, Urdu, Pashto and Kurdish that Arabic does not use: پ چ ژ گ ک ی ۀ ے ٹ ڈ ڑ ں ھ
# ێ ۆ ڕ ڵ ە ټ ډ ړ ږ ښ ڼ ۍ. Without them, Arabic-script text is Arabic and the model can be skipped.
_NON_ARABIC_LETTER_RE = re.compile("[پچژگکیۀےٹڈڑںھێۆڕڵەټډړږښڼۍ]")
_SCRIPT_SHARE = 0.95
UNDETERMINED = "und"


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ('ar', 'en', ...), or 'und' when there is no text."""
    sample = text[:_SAMPLE_CHARS]
    arabic = len(_ARABIC_RE.findall(sample))
    latin = len(_LATIN_RE.findall(sample))
    if arabic + latin < _MIN_LETTERS:
        if arabic or latin:
            return "ar" if arabic >= latin else "en"
        return UNDETERMINED
    if arabic >= _SCRIPT_SHARE * (arabic + latin) and not _NON_ARABIC_LETTER_RE.search(sample):
        return "ar"
    # py3langid loads its model on the first call, not at import.
    language, _score = py3langid.classify(sample)
    return str(language)
