"""Language identification: Arabic, English, others, and nothing to go on."""

from __future__ import annotations

import pytest

from summarizer.language import UNDETERMINED, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("قتل ثلاثة مدنيين في قصف على ريف إدلب الجنوبي", "ar", id="arabic"),
        pytest.param("Three civilians were killed in shelling on Idlib countryside", "en", id="english"),
        pytest.param(
            "Trois civils ont été tués dans un bombardement sur la province d'Idleb", "fr", id="french"
        ),
        pytest.param("قصف", "ar", id="short-arabic"),
        pytest.param("Hi", "en", id="short-latin"),
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   \n", "123 ... 456", "١٤"])
def test_no_letters_is_undetermined(text: str) -> None:
    assert detect_language(text) == UNDETERMINED == "und"
