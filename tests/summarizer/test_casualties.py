"""Casualty figures and the article's killed and injured (extract_casualties)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.casualties import extract_casualties
from summarizer.clean import clean_text
from summarizer.models import Casualties
from summarizer.segment import split_sentences


def _read(*sentences: str, language: str = "ar") -> Casualties:
    return extract_casualties(list(sentences), language)


def _figures(sentence: str, language: str = "ar") -> list[tuple[str, int]]:
    return [(f.kind, f.count) for f in _read(sentence, language=language).figures]


@pytest.mark.parametrize(
    ("sentence", "figures"),
    [
        pytest.param("أسفر القصف عن مقتل 14 عنصراً.", [("killed", 14)], id="count-after-word"),
        pytest.param("سقط 14 قتيلاً في المدينة.", [("killed", 14)], id="count-before-word"),
        pytest.param("قُتل ١٤ شخصاً في القصف.", [("killed", 14)], id="arabic-indic-digits"),
        pytest.param("استشهد 7 أشخاص وجرح 12 آخرون.", [("killed", 7), ("injured", 12)],
                     id="martyrs-and-wounded"),
        pytest.param("سقوط 3 قتلى و20 جريحاً.", [("killed", 3), ("injured", 20)], id="two-post-nouns"),
        pytest.param("أصيب خمسة مدنيين بجروح.", [("injured", 5)], id="injured-verb"),
        pytest.param("لقي 5 أشخاص حتفهم في الانفجار.", [("killed", 5)], id="met-their-death"),
        pytest.param("أسفر الهجوم عن مقتل متعاقد أمريكي.", [("killed", 1)], id="singular-person"),
        pytest.param("مقتل أحد عناصر الأمن.", [("killed", 1)], id="one-of"),
        pytest.param("مقتل عنصرين من قوات النظام.", [("killed", 2)], id="dual-noun"),
        pytest.param("سقوط قتيلين في الاشتباكات.", [("killed", 2)], id="dual-casualty-word"),
        pytest.param("مقتل مدنيين اثنين.", [("killed", 2)], id="number-after-plural"),
        pytest.param("مقتل ثلاثة عشر مدنياً.", [("killed", 13)], id="teen-words"),
        pytest.param("مقتل خمسة وعشرين شخصاً.", [("killed", 25)], id="compound-words"),
        pytest.param("مقتل مئة وخمسين شخصاً.", [("killed", 150)], id="hundreds"),
        pytest.param("مقتل ما لا يقل عن 14 شخصاً.", [("killed", 14)], id="at-least"),
        pytest.param("أسفر الهجوم عن إصابة 1,200 شخص بالاختناق.", [("injured", 1200)],
                     id="thousands-separator"),
        pytest.param("ارتفعت حصيلة القتلى جراء القصف على الغوطة إلى 80 قتيلاً.", [("killed", 80)], id="toll"),
        pytest.param("إصابة خمسة عسكريين أمريكيين ومتعاقد أمريكي آخر.", [("injured", 6)],
                     id="list-with-singular"),
        pytest.param("مقتل 3 مدنيين و2 من عناصر الأمن.", [("killed", 5)], id="list-with-numbers"),
        pytest.param("مقتل 6 مسلحين موالين للنظام مقابل 3 من الفصائل.", [("killed", 9)],
                     id="list-with-versus"),
        pytest.param("نفذت الطائرات 15 غارة أدت إلى مقتل 4 أشخاص.", [("killed", 4)], id="unit-after-number"),
        pytest.param("مقتل 20 مدنياً بينهم 5 أطفال.", [("killed", 20)], id="subset-not-added"),
        pytest.param("وقبل أيام قتل45  مسلحا في هجمات.", [("killed", 45)], id="glued-number"),
        pytest.param("قتل تنظيم داعش الإرهابي رهينة جديدة.", [("killed", 1)], id="singular-after-subject"),
        pytest.param("اغتيال ضابط كبير في حلب.", [("killed", 1)], id="assassination"),
        pytest.param("سجلت 70 حالة اختناق بين المدنيين.", [("injured", 70)], id="suffocation-cases"),
        pytest.param("وكان 5 أشخاص قد قتلوا ليل الخميس في غارة.", [("killed", 5)], id="pluperfect-this-week"),
    ],
)
def test_arabic_figures(sentence: str, figures: list[tuple[str, int]]) -> None:
    assert _figures(sentence) == figures


@pytest.mark.parametrize(
    ("sentence", "figures"),
    [
        pytest.param("Air strikes killed 14 people and wounded 20 others.", [("killed", 14), ("injured", 20)],
                     id="verbs-before"),
        pytest.param("At least five civilians were killed.", [("killed", 5)], id="word-number-after"),
        pytest.param("Twenty-five people were injured.", [("injured", 25)], id="compound"),
        pytest.param("The attack killed a US contractor.", [("killed", 1)], id="a-person"),
        pytest.param("A dozen soldiers were hurt.", [("injured", 12)], id="a-dozen"),
        pytest.param("Fourteen killed and three wounded.", [("killed", 14), ("injured", 3)],
                     id="headline-style"),
    ],
)
def test_english_figures(sentence: str, figures: list[tuple[str, int]]) -> None:
    assert _figures(sentence, "en") == figures


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("لم يسفر القصف عن سقوط قتلى.", id="no-casualties"),
        pytest.param("لم يقتل أحد في الغارة.", id="no-one"),
        pytest.param("No one was killed in the strike.", id="english-no-one"),
        pytest.param("مقتل العشرات في قصف على البلدة.", id="dozens"),
        pytest.param("Dozens were killed in the raid.", id="english-dozens"),
        pytest.param("ارتفعت حصيلة القتلى منذ بداية الحرب إلى 350 ألف شخص.", id="since-the-war"),
        pytest.param("Since 2011 the war has killed 500,000 people.", id="english-since"),
        pytest.param("قتل 1600 مدني في الغوطة.", id="above-any-single-incident"),
        pytest.param("وكان 5 أشخاص قد قتلوا في غارة مماثلة.", id="pluperfect"),
        pytest.param("قتل 20 شخصاً في هجوم مماثل الشهر الماضي.", id="last-month"),
        pytest.param("ولد الطفل عام 2011 وقتل أمس.", id="year-is-no-count"),
        pytest.param("وتسبب الهجوم حتى الآن بمقتل 300 مدني.", id="so-far"),
        pytest.param("وتعرضت حينها قافلة لتفجير أودى بحياة 150 شخصا.", id="at-the-time"),
        pytest.param("تمت إزالة خمسين جثة من المقبرة الجماعية.", id="mass-grave"),
        pytest.param("نجا القائد من محاولة اغتيال.", id="attempt"),
    ],
)
def test_no_figure(sentence: str) -> None:
    assert _read(sentence).figures == ()


def test_a_since_of_today_or_of_a_superlative_is_not_cumulative() -> None:
    assert _figures("قتل 5 مدنيين منذ صباح اليوم.") == [("killed", 5)]
    assert _figures("قتل 25 مدنياً في حصيلة هي الأكثر دموية منذ بدء الهجوم.") == [("killed", 25)]


@pytest.mark.parametrize(
    ("sentence", "source"),
    [
        pytest.param("أسفرت الضربات عن مقتل 14 عنصراً، بحسب وكالة “فرانس برس”.", "وكالة فرانس برس",
                     id="according-to"),
        pytest.param("أدى الهجوم إلى مقتل متعاقد، بحسب ما أعلن البنتاغون.", "البنتاغون",
                     id="according-to-said"),
        pytest.param("وقال المرصد السوري لحقوق الإنسان إن 10 أشخاص قتلوا.", "المرصد السوري لحقوق الإنسان",
                     id="said-before"),
        pytest.param("قتل 26 مدنياً، وفق ما أفاد المرصد السوري الجمعة.", "المرصد السوري", id="stops-at-day"),
        pytest.param("Five people were killed, the Syrian Observatory for Human Rights said.",
                     "Syrian Observatory for Human Rights", id="english-said"),
        pytest.param("Ten people died, according to the White Helmets.", "White Helmets",
                     id="english-according"),
        pytest.param("قتل 3 أشخاص في القصف.", None, id="none"),
    ],
)
def test_sources(sentence: str, source: str | None) -> None:
    (figure,) = _read(sentence).figures
    assert figure.source == source


def test_figures_keep_their_sentence() -> None:
    sentences = ["توتر في المدينة.", "قتل 3 أشخاص في القصف."]
    (figure,) = _read(*sentences).figures
    assert (figure.sentence, figure.sentence_index) == (sentences[1], 1)


def test_reports_of_one_incident_are_alternatives_the_highest_wins() -> None:
    result = _read("مقتل 20 مدنياً في غارات على إدلب.", "وارتفعت حصيلة القتلى إلى 26 مدنياً، وفق المرصد.")
    assert (result.killed, result.injured) == (26, None)


def test_a_repeated_toll_counts_once() -> None:
    result = _read("مقتل 14 عنصراً في ضربات أمريكية.", "وفي سياق متصل، أسفرت الضربات عن مقتل 14 عنصراً.")
    assert result.killed == 14


def test_distinct_incidents_add_up() -> None:
    result = _read("قتل 5 أشخاص في غارات على إدلب.", "وفي سياق منفصل، قتل 3 جنود بانفجار لغم في درعا.")
    assert result.killed == 8


def test_the_losses_of_two_sides_in_one_sentence_add_up() -> None:
    sentence = "أسفرت المعارك عن تسعة قتلى في صفوف قوات النظام وستة قتلى في صفوف قوات سوريا الديمقراطية."
    assert _read(sentence).killed == 15
    # the same toll from two sources is no second side
    assert _read("قتل 15 جنديا تركيا وفق المرصد، فيما أعلنت أنقرة مقتل 8 جنود.").killed == 15


def test_victims_called_others_are_another_incident() -> None:
    result = _read("قتل 29 مدنيا في قصف على دوما.", "وقتل تسعة مدنيين آخرين في مناطق أخرى.")
    assert result.killed == 38
    # "others" within the sentence of its sibling figure is part of the same report
    sibling = "وقتل ثمانية مدنيين في خان شيخون فيما قتل ثلاثة آخرون في بلدة التح."
    result = _read("قتل 30 مدنيا في غارات.", sibling)
    assert result.killed == 30


def test_claims_stay_in_figures_but_do_not_count() -> None:
    sentences = [
        "أسفرت الضربات عن مقتل 14 عنصراً بحسب المرصد.",
        "وزعم المتحدث أن الهجوم أدى لاستشهاد 7 أشخاص وجرح 7 آخرين.",
    ]
    result = _read(*sentences)
    assert (result.killed, result.injured) == (14, None)
    assert [(f.kind, f.count) for f in result.figures] == [("killed", 14), ("killed", 7), ("injured", 7)]


def test_a_quote_from_a_party_is_a_claim_and_from_a_monitor_is_not() -> None:
    party = _read("وقال قائد في الحرس الثوري: “قتلنا 30 من عناصر داعش”.")
    monitor = _read("وقال مدير المرصد: “قتل 30 مدنياً في الغارات”.")
    assert (party.killed, len(party.figures)) == (None, 1)
    assert monitor.killed == 30


def test_no_figure_is_unknown_not_zero() -> None:
    assert _read("شنت طائرات غارات على البلدة.") == Casualties(killed=None, injured=None, figures=())


@pytest.mark.shared
def test_seed_casualties(shared_dir: Path) -> None:
    examples = shared_dir / "examples"
    text = (examples / "seed-deir-ez-zor.ar.txt").read_text(encoding="utf-8")
    expected = json.loads((examples / "seed-deir-ez-zor.expected.json").read_text(encoding="utf-8"))
    result = extract_casualties([s.text for s in split_sentences(clean_text(text))], "ar")
    assert result.killed in expected["killed"]["acceptable"]
    assert result.injured in expected["injured"]["acceptable"]
    # 1 US contractor (drone attack, per the Pentagon) + 14 (US strikes, per AFP); the Iranian
    # source's 7 killed and 7 wounded are a claim.
    assert (result.killed, result.injured) == (15, 6)
    sources = {(f.kind, f.count): f.source for f in result.figures}
    assert sources[("killed", 14)] == "وكالة فرانس برس"
    assert sources[("injured", 6)] == "البنتاغون"


def test_a_bad_data_file_names_the_file_and_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    from summarizer import casualties
    from summarizer.resources import DataFileError, load_yaml

    numbers = load_yaml("numbers.yaml")
    numbers["cardinals"]["خمسة"] = "five"
    data = {"numbers.yaml": numbers, "casualties.yaml": load_yaml("casualties.yaml")}
    monkeypatch.setattr(casualties, "load_yaml", data.__getitem__)
    expected = r"summarizer/data/numbers.yaml: 'cardinals': entry 'خمسة' needs a positive"
    with pytest.raises(DataFileError, match=expected):
        casualties._tables.__wrapped__()
