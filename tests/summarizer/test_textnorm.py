"""Normalisation, tokens and analyser terms (stop words, stemming) for Arabic and English."""

from __future__ import annotations

import pytest

from summarizer.textnorm import analyzer_for, normalize_letters, normalize_text, strip_marks, word_tokens


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        pytest.param("أحمد", "احمد", id="alef-hamza-above"),
        pytest.param("إبراهيم", "ابراهيم", id="alef-hamza-below"),
        pytest.param("آمال", "امال", id="alef-madda"),
        pytest.param("مستشفى", "مستشفي", id="alef-maksura"),
        pytest.param("مدرسة", "مدرسه", id="teh-marbuta"),
    ],
)
def test_letter_variants_are_folded(raw: str, folded: str) -> None:
    assert normalize_letters(raw) == folded


def test_diacritics_and_tatweel_are_removed() -> None:
    assert strip_marks("مُسَيَّرَة") == "مسيرة"
    assert strip_marks("الـــقصف") == "القصف"


def test_arabic_indic_and_persian_digits_become_ascii() -> None:
    assert strip_marks("قتل ١٤ وجرح ۷") == "قتل 14 وجرح 7"


def test_normalize_text_folds_everything_and_lowercases_latin() -> None:
    assert normalize_text("قُتِلَ ١٤ في الرَّقَّة") == "قتل 14 في الرقه"
    assert normalize_text("The ARMY") == "the army"


def test_word_tokens_drop_punctuation() -> None:
    assert word_tokens("قال: «القصفُ مستمر»، 14 قتيلاً.") == ["قال", "القصف", "مستمر", "14", "قتيلا"]


def test_arabic_stop_words_and_numbers_are_dropped() -> None:
    assert analyzer_for("ar").terms("في على من إلى أن 14 القصف") == analyzer_for("ar").terms("القصف")
    assert analyzer_for("ar").terms("في على من") == []


def test_prefixed_arabic_forms_share_a_stem() -> None:
    analyzer = analyzer_for("ar")
    stems = {tuple(analyzer.terms(word)) for word in ("الصواريخ", "بالصواريخ", "والصواريخ", "صواريخ")}
    assert len(stems) == 1
    assert len(next(iter(stems))) == 1


def test_wa_al_forms_are_stemmed_and_stopped_as_their_al_forms() -> None:
    analyzer = analyzer_for("ar")
    assert analyzer.terms("والمدنيين") == analyzer.terms("المدنيين")
    assert analyzer.terms("والذين قتلوا") == analyzer.terms("الذين قتلوا") == analyzer.terms("قتلوا")
    assert analyzer.terms("«والمدنيين»") == analyzer.terms("المدنيين")  # after punctuation too
    assert analyzer.terms("والدة") != analyzer.terms("الدة")  # "mother": too short to be wa+al-


def test_english_inflections_share_a_stem_and_stop_words_go() -> None:
    analyzer = analyzer_for("en")
    assert analyzer.terms("killed") == analyzer.terms("killing") == analyzer.terms("kills")
    assert analyzer.terms("the rockets and the rocket") == analyzer.terms("rocket rocket")


def test_language_without_a_stemmer_keeps_normalised_tokens() -> None:
    assert analyzer_for("xx").terms("Foo BAR") == ["foo", "bar"]


def test_analyzers_are_built_once_per_language() -> None:
    assert analyzer_for("ar") is analyzer_for("ar")


@pytest.mark.parametrize(
    "text",
    [
        "(U.S.) «كلمة» \"x\" ¿qué? 😀x x😀 a-b 3.5 ٣٫٥ — word, end.",
        "قال: «لن نغادر». ثم غادر؟ نعم! الرقم 14، والثاني؛ هنا",
        "",
        "   ",
    ],
)
def test_fast_tokenizer_matches_camel_tools(text: str) -> None:
    from camel_tools.tokenizers.word import simple_word_tokenize as camel_tokenize

    from summarizer.textnorm import simple_word_tokenize

    assert simple_word_tokenize(text) == camel_tokenize(text)


def test_terms_many_matches_terms_one_by_one() -> None:
    from summarizer.textnorm import analyzer_for

    analyzer = analyzer_for("ar")
    texts = ["وردت القوات الأمريكية على القصف", "", "من في على", "بالصواريخ ٣ قتلى"]
    assert analyzer.terms_many(texts) == [analyzer.terms(t) for t in texts]
    assert analyzer.terms_many([]) == []
