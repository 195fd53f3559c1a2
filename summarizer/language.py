"""Language identification: py3langid's model, with a script check for very short or empty text."""

from __future__ import annotations

import re

import py3langid

_SAMPLE_CHARS = 2000
_MIN_LETTERS = 12
_ARABIC_RE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN_RE = re.compile(r"[A-Za-z]")
UNDETERMINED = "und"


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ('ar', 'en', ...), or 'und' when there is no text."""
    sample = text[:_SAMPLE_CHARS]
    # Letters only: Arabic-Indic digits and Arabic punctuation sit in the same Unicode blocks.
    arabic = sum(1 for char in _ARABIC_RE.findall(sample) if char.isalpha())
    latin = len(_LATIN_RE.findall(sample))
    if arabic + latin < _MIN_LETTERS:
        if arabic or latin:
            return "ar" if arabic >= latin else "en"
        return UNDETERMINED
    # py3langid loads its model on the first call, not at import.
    language, _score = py3langid.classify(sample)
    return str(language)
