"""The summariser's contract: real sentences, document order, budgets; the seed article end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import summarize

_ARTICLE = (
    "قصف مدفعي على ريف إدلب الجنوبي\n\n"
    "قتل ثلاثة مدنيين وأصيب خمسة آخرون في قصف مدفعي على بلدة كفرنبل بريف إدلب الجنوبي.\n\n"
    "وقال الدفاع المدني إن فرقه انتشلت الضحايا من تحت أنقاض منزلين في البلدة.\n\n"
    "وأضاف أن القصف استهدف سوقاً شعبية ومدرسة، ما أدى إلى أضرار مادية كبيرة.\n\n"
    "وتشهد المنطقة تصعيداً عسكرياً منذ أسابيع، رغم اتفاق وقف إطلاق النار.\n\n"
    "وطالب ناشطون المجتمع الدولي بالتدخل لوقف الهجمات على المدنيين."
)
_ENGLISH = (
    "Shelling killed three civilians in Idlib on Monday, rescuers said. "
    "The White Helmets pulled the victims from the rubble of two houses. "
    "The strikes also hit a market and a school in the town. "
    "The area has seen weeks of escalation despite a ceasefire. "
    "Activists called for international action to stop the attacks."
)


def _positions(text: str, sentences: list[str]) -> list[int]:
    return [text.index(s) for s in sentences]


@pytest.mark.parametrize("text", [_ARTICLE, _ENGLISH], ids=["ar", "en"])
def test_summary_is_real_sentences_in_document_order(text: str) -> None:
    summary = summarize(text)
    assert summary.sentences
    positions = _positions(text, summary.sentences)  # raises if a sentence is not verbatim
    assert positions == sorted(positions)
    assert len(set(summary.sentences)) == len(summary.sentences)


def test_language_is_detected() -> None:
    assert summarize(_ARTICLE).language == "ar"
    assert summarize(_ENGLISH).language == "en"


def test_given_language_is_used() -> None:
    assert summarize(_ENGLISH, language="fr").language == "fr"


def test_default_budget_is_three_sentences() -> None:
    assert len(summarize(_ENGLISH).sentences) == 3


@pytest.mark.parametrize("count", [1, 2, 4])
def test_max_sentences_is_respected(count: int) -> None:
    assert len(summarize(_ARTICLE, max_sentences=count).sentences) == count


def test_budget_larger_than_the_text_returns_every_sentence() -> None:
    summary = summarize(_ENGLISH, max_sentences=50)
    assert len(summary.sentences) == summary.sentence_count == 5


def test_max_words_stops_adding_once_the_budget_is_reached() -> None:
    budget = 20
    sentences = summarize(_ENGLISH, max_words=budget).sentences
    assert sentences
    # Every sentence but the last was added while the summary was still under budget.
    assert sum(len(s.split()) for s in sentences[:-1]) < budget


def test_headline_line_is_not_a_summary_sentence() -> None:
    summary = summarize(_ARTICLE, max_sentences=5)
    assert "قصف مدفعي على ريف إدلب الجنوبي" not in summary.sentences
    assert summary.sentence_count == 5


@pytest.mark.parametrize("budget", [{"max_sentences": 0}, {"max_words": 0}, {"max_words": -3}])
def test_budget_below_one_is_rejected(budget: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        summarize(_ENGLISH, **budget)


@pytest.mark.parametrize("text", ["", "  \n\n "])
def test_empty_text_gives_an_empty_summary(text: str) -> None:
    summary = summarize(text)
    assert summary.sentences == []
    assert summary.language == "und"


@pytest.mark.shared
def test_seed_article_summary(shared_dir: Path) -> None:
    text = (shared_dir / "examples" / "seed-deir-ez-zor.ar.txt").read_text(encoding="utf-8")
    summary = summarize(text)
    assert summary.language == "ar"
    assert len(summary.sentences) == 3
    for boilerplate in ("مقالات ذات صلة", "زر الذهاب إلى الأعلى", "راديو الكل"):
        assert not any(boilerplate in s for s in summary.sentences), boilerplate
    assert any("كونيكو" in s for s in summary.sentences), "no sentence on the rockets at the Conoco base"
    response_words = ("ردت", "ردا", "رداً", "غارات", "المدفعية")
    assert any("الأمريكية" in s and any(w in s for w in response_words) for s in summary.sentences), (
        "no sentence on the US response"
    )
