"""Boilerplate removal on lines like those of real Syrian news pages."""

from __future__ import annotations

import pytest

from summarizer.clean import clean_text

_BODY = "وقال مصدر محلي إن القصف استهدف الأحياء السكنية."


@pytest.mark.parametrize(
    "line",
    [
        "زر الذهاب إلى الأعلى",
        "اقرأ أيضاً: مقتل ثلاثة مدنيين في قصف على إدلب",
        "اقرأ أيضا: مقتل ثلاثة مدنيين",
        "شارك على فيسبوك",
        "تابعونا على تلغرام",
        "فيسبوك تويتر واتساب",
        "Share this article",
        "Follow us on Twitter",
        "Read more: Syria news",
        "Reporting by John Smith; Editing by Jane Doe",
        "راديو الكل – دير الزور",
        "إدلب - عنب بلدي",
    ],
)
def test_boilerplate_line_is_dropped(line: str) -> None:
    assert clean_text(f"{_BODY}\n{line}\n{_BODY}") == f"{_BODY}\n{_BODY}"


def test_related_articles_block_drops_its_headlines_and_stops_at_a_sentence() -> None:
    text = (
        f"{_BODY}\n\n"
        "مقالات ذات صلة\n"
        "مقتل قيادي في الميليشيات الإيرانية بدير الزور\n"
        "غارات أمريكية على مواقع في البوكمال\n"
        "وأضاف المصدر أن الهجوم أسفر عن إصابة خمسة أشخاص.\n\n"
        "زر الذهاب إلى الأعلى"
    )
    cleaned = clean_text(text)
    assert "مقالات ذات صلة" not in cleaned
    assert "البوكمال" not in cleaned
    assert "زر الذهاب" not in cleaned
    assert cleaned.startswith(_BODY)
    assert cleaned.endswith("وأضاف المصدر أن الهجوم أسفر عن إصابة خمسة أشخاص.")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            "دمشق - سانا: أعلنت الوزارة أن القوات تصدت لهجوم.",
            "أعلنت الوزارة أن القوات تصدت لهجوم.",
            id="sana",
        ),
        pytest.param("دير الزور – «عنب بلدي»: قتل شخص.", "قتل شخص.", id="quoted-outlet"),
        pytest.param(
            "BEIRUT (Reuters) - Israeli strikes hit a military airport.",
            "Israeli strikes hit a military airport.",
            id="reuters",
        ),
        pytest.param(
            "QAMISHLI, Syria (Reuters) - Kurdish forces said.",
            "Kurdish forces said.",
            id="reuters-place-country",
        ),
        pytest.param("Damascus (AFP) – Strikes hit the city.", "Strikes hit the city.", id="afp-mixed-case"),
    ],
)
def test_dateline_prefix_is_stripped(line: str, expected: str) -> None:
    assert clean_text(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        _BODY,
        "وقال المرصد السوري إن 5 أشخاص قتلوا في غارة على ريف إدلب.",
        "Officials at the UN (AP) - the agency said - condemned the attack.",
        "وتقود الولايات المتحدة تحالفاً دولياً، يضم أكثر من عشرين دولة منذ آب 2014.",
    ],
)
def test_article_sentences_are_kept_whole(line: str) -> None:
    assert clean_text(line) == line


def test_paragraph_breaks_survive() -> None:
    assert clean_text(f"{_BODY}\n\n{_BODY}") == f"{_BODY}\n\n{_BODY}"
