"""Sentence segmentation: terminators, quotes, numbers, abbreviations, wrapped lines, paragraphs."""

from __future__ import annotations

import pytest

from summarizer.segment import split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "قتل شخصان. وأصيب ثلاثة! هل انتهى القصف؟ نعم",
            ["قتل شخصان.", "وأصيب ثلاثة!", "هل انتهى القصف؟", "نعم"],
            id="arabic-terminators",
        ),
        pytest.param(
            "The army advanced. Was it true? Yes! Done",
            ["The army advanced.", "Was it true?", "Yes!", "Done"],
            id="english-terminators",
        ),
        pytest.param(
            "قصف على إدلب\nوأصيب ثلاثة",
            ["قصف على إدلب", "وأصيب ثلاثة"],
            id="line-break",
        ),
        pytest.param(
            "Wait?! Really.",
            ["Wait?!", "Really."],
            id="terminator-run",
        ),
    ],
)
def test_terminators_and_line_breaks_end_sentences(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


def test_arabic_comma_and_semicolon_do_not_end_a_sentence() -> None:
    text = "قال المصدر، إن القصف استمر؛ وأضاف أن الوضع صعب."
    assert _texts(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("قال «توقفوا. الآن» ثم غادر.", id="guillemets"),
        pytest.param("قال “انتهى. تماماً” وغادر.", id="curly"),
        pytest.param('He said "stop. now" and left.', id="straight"),
        pytest.param('إيران قالت إن لها "اليد الطولى" في سوريا.', id="quoted-phrase"),
    ],
)
def test_terminator_inside_a_closed_quote_does_not_split(text: str) -> None:
    assert _texts(text) == [text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("قال «توقفوا الآن.» ثم غادر.", ["قال «توقفوا الآن.»", "ثم غادر."], id="guillemets"),
        pytest.param("قال “انتهى تماماً.” ثم سكت.", ["قال “انتهى تماماً.”", "ثم سكت."], id="curly"),
        pytest.param(
            'He said "stop now." Then he left.', ['He said "stop now."', "Then he left."], id="straight"
        ),
    ],
)
def test_terminator_before_closing_quote_ends_the_sentence_after_the_quote(
    text: str, expected: list[str]
) -> None:
    assert _texts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "The rate rose 3.5 percent. Then it fell.",
            ["The rate rose 3.5 percent.", "Then it fell."],
            id="latin-digits",
        ),
        pytest.param(
            "ارتفع بنسبة ٣.٥ بالمئة. ثم انخفض.",
            ["ارتفع بنسبة ٣.٥ بالمئة.", "ثم انخفض."],
            id="arabic-indic-digits",
        ),
    ],
)
def test_decimal_point_does_not_split(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "The U.S. Army said so.",
        "Mr. Smith agreed with the plan.",
        "Dr. Jones treated the wounded.",
        "J. Smith wrote the report.",
        "The U.N. envoy arrived on Monday.",
    ],
)
def test_english_abbreviations_and_initials_do_not_split(sentence: str) -> None:
    assert _texts(f"{sentence} Then it ended.") == [sentence, "Then it ended."]


def test_missing_space_after_arabic_full_stop_still_splits() -> None:
    assert _texts("سقطت الأشجار.أغلب المنازل تضررت.") == ["سقطت الأشجار.", "أغلب المنازل تضررت."]


def test_full_stop_before_lower_case_word_does_not_split() -> None:
    assert _texts("Troops reached the outskirts. of the town.") == [
        "Troops reached the outskirts. of the town."
    ]


def test_hard_wrapped_block_is_joined() -> None:
    text = (
        "The army said on Monday that its forces had advanced\n"
        "towards the town after a night of heavy shelling that\n"
        "left several buildings destroyed and many families\n"
        "displaced from their homes. Aid groups asked for access."
    )
    joined = (
        "The army said on Monday that its forces had advanced towards the town after a night of heavy "
        "shelling that left several buildings destroyed and many families displaced from their homes."
    )
    assert _texts(text) == [joined, "Aid groups asked for access."]


def test_short_lines_are_not_taken_for_a_wrapped_block() -> None:
    assert _texts("Idlib\nAleppo\nDeir ez-Zor") == ["Idlib", "Aleppo", "Deir ez-Zor"]


def test_sentences_and_paragraphs_are_numbered() -> None:
    text = "Para one. Second sentence.\r\n\r\nPara two first.\nPara two line two.\n\n\n  \nPara three."
    got = [(s.text, s.index, s.paragraph, s.paragraph_index) for s in split_sentences(text)]
    assert got == [
        ("Para one.", 0, 0, 0),
        ("Second sentence.", 1, 0, 1),
        ("Para two first.", 2, 1, 0),
        ("Para two line two.", 3, 1, 1),
        ("Para three.", 4, 2, 0),
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n \n"])
def test_empty_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []
