"""ACLED event types from sentences (tag_events): trigger families, context rules, the seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.clean import clean_text
from summarizer.events import tag_events
from summarizer.segment import split_sentences


def _subs(*sentences: str, language: str = "ar") -> list[str]:
    return [e.sub_event_type for e in tag_events(list(sentences), language)]


@pytest.mark.parametrize(
    ("sentence", "sub_type"),
    [
        pytest.param("شنت طائرات حربية غارات على ريف إدلب.", "Air/drone strike", id="air-raids"),
        pytest.param("استهدفت ضربة جوية موقعاً للتنظيم.", "Air/drone strike", id="air-strike"),
        pytest.param("قتل مدنيان في هجوم بطائرة مسيّرة قرب الحسكة.", "Air/drone strike", id="drone-attack"),
        pytest.param("ألقت المروحيات براميل متفجرة على البلدة.", "Air/drone strike", id="barrel-bombs"),
        pytest.param("قصفت الطائرات الحربية الروسية المدينة.", "Air/drone strike", id="bombardment-by-jets"),
        pytest.param("قصفت قوات النظام البلدة.", "Shelling/artillery/missile attack", id="bombardment-plain"),
        pytest.param("استهدفت الميليشيات القاعدة بالصواريخ.", "Shelling/artillery/missile attack",
                     id="rockets-with-attack-word"),
        pytest.param("سقطت قذائف هاون على حي سكني.", "Shelling/artillery/missile attack", id="mortars"),
        pytest.param("ردت القوات بنيران المدفعية.", "Shelling/artillery/missile attack", id="artillery"),
        pytest.param("اندلعت اشتباكات عنيفة بين الطرفين.", "Armed clash", id="clashes"),
        pytest.param("تدور معارك في محيط البلدة.", "Armed clash", id="battles"),
        pytest.param("انفجرت عبوة ناسفة بسيارة عسكرية.", "Remote explosive/landmine/IED", id="ied"),
        pytest.param("انفجرت سيارة مفخخة في السوق.", "Remote explosive/landmine/IED", id="car-bomb"),
        pytest.param("قتل راعٍ بانفجار لغم أرضي.", "Remote explosive/landmine/IED", id="landmine"),
        pytest.param("فجر انتحاري نفسه بحزام ناسف.", "Suicide bomb", id="suicide"),
        pytest.param("ألقى مجهولون قنبلة يدوية على المحل.", "Grenade", id="grenade"),
        pytest.param("قصف بغاز الكلور على الحي.", "Chemical weapon", id="chlorine"),
        pytest.param("اغتيال قيادي سابق في درعا.", "Attack", id="assassination"),
        pytest.param("اختطف مسلحون طبيباً في الريف.", "Abduction/forced disappearance", id="abduction"),
        pytest.param("شنت قوات الأمن حملة دهم واعتقال في المدينة.", "Arrests", id="arrests"),
        pytest.param("خرجت مظاهرة في ساحة المدينة.", "Peaceful protest", id="protest"),
        pytest.param("توصل الطرفان إلى اتفاق وقف إطلاق النار.", "Agreement", id="ceasefire"),
        pytest.param("خرجت دفعة جديدة من المهجرين نحو الشمال.", "Non-violent transfer of territory",
                     id="evacuation"),
        pytest.param("تصدت الدفاعات الجوية لصواريخ معادية.", "Disrupted weapons use", id="interception"),
        pytest.param("تم تفكيك عبوة ناسفة على الطريق.", "Disrupted weapons use", id="defused"),
        pytest.param("أنشأت القوات التركية نقطة مراقبة جديدة.", "Headquarters or base established",
                     id="base"),
        pytest.param("سيطرت قوات النظام على البلدة.", "Government regains territory", id="regime-takes"),
        pytest.param("استعاد الجيش السوري السيطرة على الحي.", "Government regains territory", id="retakes"),
        pytest.param("سيطر تنظيم الدولة على قرية في البادية.", "Non-state actor overtakes territory",
                     id="isis-takes"),
    ],
)
def test_arabic_trigger_families(sentence: str, sub_type: str) -> None:
    assert _subs(sentence) == [sub_type]


@pytest.mark.parametrize(
    ("sentence", "sub_type"),
    [
        pytest.param("Russian air strikes hit the town.", "Air/drone strike", id="air-strike"),
        pytest.param("A drone strike killed two fighters.", "Air/drone strike", id="drone"),
        pytest.param("Regime shelling hit the village.", "Shelling/artillery/missile attack", id="shelling"),
        pytest.param("Heavy fighting broke out near the town.", "Armed clash", id="fighting"),
        pytest.param("Clashes erupted between the two groups.", "Armed clash", id="clashes"),
        pytest.param("A roadside bomb hit a patrol.", "Remote explosive/landmine/IED", id="ied"),
        pytest.param("Police arrested five men.", "Arrests", id="arrested"),
        pytest.param("Gunmen kidnapped a doctor.", "Abduction/forced disappearance", id="kidnapped"),
        pytest.param("Government forces recaptured the town.", "Government regains territory",
                     id="recaptured"),
    ],
)
def test_english_trigger_families(sentence: str, sub_type: str) -> None:
    assert _subs(sentence, language="en") == [sub_type]


def test_evidence_is_the_first_sentence_showing_the_type() -> None:
    sentences = ["قال المرصد إن الوضع متوتر.", "شنت طائرات غارات على البلدة.", "وتواصلت الغارات ليلاً."]
    (tag,) = tag_events(sentences, "ar")
    assert (tag.event_type, tag.sub_event_type) == ("Explosions/Remote violence", "Air/drone strike")
    assert (tag.evidence, tag.sentence_index) == (sentences[1], 1)


def test_several_types_in_document_order() -> None:
    sentences = ["اندلعت اشتباكات في الريف.", "وشنت طائرات غارات على المدينة."]
    assert _subs(*sentences) == ["Armed clash", "Air/drone strike"]


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("لم تسجل أي غارات على المدينة اليوم.", id="no-raids"),
        pytest.param("لم تشن الطائرات الروسية أي غارات على إدلب.", id="any-after-subject"),
        pytest.param("نفت موسكو أن تكون طائراتها قد شنت غارات على المدينة.", id="denial"),
        pytest.param("There were no air strikes on the city.", id="english-no"),
        pytest.param("The ministry denied that its jets carried out air strikes.", id="english-denied"),
        pytest.param("طالبت المعارضة بوقف القصف على الأحياء.", id="stop"),
    ],
)
def test_negation_makes_no_event(sentence: str) -> None:
    assert _subs(sentence) == []


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("هدد الجيش بقصف مواقع الفصائل.", id="threat"),
        pytest.param("قال إن الطائرات ستشن غارات جديدة.", id="future"),
        pytest.param("قال ترامب إن إدارته ستوجه ضربة إلى سوريا باستخدام صواريخ.", id="future-attack-word"),
        pytest.param("حذر من أن المعارك قد تندلع في أي لحظة.", id="warning-and-may"),
        pytest.param("نملك القدرة على الرد في حال تم استهداف مراكزنا بالصواريخ.", id="conditional"),
        pytest.param("دعت الأمم المتحدة إلى وقف إطلاق النار.", id="call"),
        pytest.param("تحشد قوات النظام لاستعادة البلدة.", id="purpose"),
        pytest.param("Israel warned it would strike Iranian positions with air strikes.",
                     id="english-warned"),
    ],
)
def test_threats_futures_and_conditions_make_no_event(sentence: str) -> None:
    assert _subs(sentence) == []


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("ومنذ بداية الحرب شنت الطائرات آلاف الغارات.", id="since-start"),
        pytest.param("وكانت قوات النظام قد سيطرت على البلدة.", id="pluperfect"),
        pytest.param("قتل العشرات في غارات الشهر الماضي.", id="last-month"),
        pytest.param("Since the start of the war, air strikes have killed thousands.", id="english-since"),
    ],
)
def test_background_sentences_make_no_event(sentence: str) -> None:
    assert _subs(sentence) == []


def test_a_year_older_than_the_articles_latest_is_background() -> None:
    sentences = ["قصفت طائرات حربية البلدة في 5 آذار 2018.", "وشهدت المدينة في عام 2013 هجوماً كيماوياً."]
    assert _subs(*sentences) == ["Air/drone strike"]
    assert _subs(sentences[1]) == ["Chemical weapon"]  # the latest year of its own article


@pytest.mark.parametrize(
    ("sentence", "subs"),
    [
        pytest.param("قتل 5 مدنيين في غارات منذ صباح اليوم.", ["Air/drone strike"], id="since-this-morning"),
        pytest.param("وتشن قوات النظام منذ 18 شباط حملة جوية عنيفة.", [], id="since-a-date"),
        pytest.param("تعرضت البلدة قبل ثلاثة أسابيع لغارات عنيفة.", [], id="weeks-ago"),
        pytest.param("ويذكر أن قوات سوريا الديمقراطية طردت التنظيم من الرقة بعد أشهر من المعارك.", [],
                     id="reminder"),
        pytest.param("وكان هجوم مشابه ضرب المطار في يناير الماضي بطائرات مسيرة.", [], id="month-last"),
        pytest.param("وكانت وكالة سانا قد نقلت أن الدفاعات الجوية السورية تصدت لصاروخين.",
                     ["Disrupted weapons use"], id="pluperfect-of-a-report"),
    ],
)
def test_time_references(sentence: str, subs: list[str]) -> None:
    assert _subs(sentence) == subs


def test_air_defences_need_an_interception() -> None:
    assert _subs("الدفاعات الجوية السورية أسقطت 5 من الصواريخ الثمانية.") == ["Disrupted weapons use"]
    assert _subs("نشر الجيش منظومات الدفاع الجوي في المنطقة.") == []


def test_rebels_shell_even_in_an_air_strike_report() -> None:
    sentences = ["بدأ مقاتلو هيئة تحرير الشام بقصف البلدتين بكثافة.", "وشنت قوات النظام غارات على المنطقة."]
    assert _subs(*sentences) == ["Shelling/artillery/missile attack", "Air/drone strike"]


def test_a_mass_grave_is_other() -> None:
    assert _subs("العثور على مقبرة جماعية في الرقة.") == ["Other"]


def test_reported_speech_of_a_fact_counts() -> None:
    assert _subs("قال المرصد السوري إن غارات روسية استهدفت البلدة.") == ["Air/drone strike"]


def test_weak_words_need_an_attack_word_nearby() -> None:
    assert _subs("وصلت شحنة صواريخ إلى الميناء.") == []
    assert _subs("حلقت طائرات مسيرة فوق المدينة.") == []
    assert _subs("استهدفت طائرة مسيرة سيارة على الطريق.") == ["Air/drone strike"]


def test_flying_aircraft_do_not_make_a_bombardment_an_air_strike() -> None:
    assert _subs("تجدد القصف المتبادل وسط تحليق للطيران الحربي.") == ["Shelling/artillery/missile attack"]


def test_missiles_from_aircraft_are_an_air_strike() -> None:
    assert _subs("أطلقت المقاتلات صواريخ على المطار.") == ["Air/drone strike"]


def test_specific_triggers_win_within_a_sentence() -> None:
    assert _subs("فجر انتحاري سيارة مفخخة عند الحاجز.") == ["Suicide bomb"]
    assert _subs("سمع دوي انفجارات جراء الغارات على المطار.") == ["Air/drone strike"]
    assert _subs("اغتيال قيادي بعبوة ناسفة في درعا.") == ["Remote explosive/landmine/IED"]


def test_talks_and_breaches_are_no_agreement() -> None:
    assert _subs("فشلت المفاوضات حول وقف إطلاق النار.") == []
    assert _subs("اتهمت المعارضة النظام بخرق الهدنة.") == []
    assert _subs("بعد مفاوضات طويلة تم التوصل إلى اتفاق بين الطرفين.") == ["Agreement"]


def test_territory_follows_the_actor() -> None:
    assert _subs("سيطرت فصائل المعارضة على التلة.") == ["Non-state actor overtakes territory"]
    assert _subs("سيطرت الميليشيات الإيرانية على القرية.") == ["Government regains territory"]
    assert _subs("سيطرت على التلة.") == []


def test_a_generic_bombardment_in_an_air_strike_report_is_the_air_strike() -> None:
    assert _subs("قتلى في قصف جوي على درعا.", "وطال القصف بلدات عدة.") == ["Air/drone strike"]
    assert _subs("وطال القصف بلدات عدة.", "وشنت طائرات غارات على المدينة.") == ["Air/drone strike"]
    assert _subs("قصف مدفعي على البلدة.", "وشنت طائرات غارات على المدينة.") == [
        "Shelling/artillery/missile attack",
        "Air/drone strike",
    ]


def test_forces_that_strike_from_the_air_make_a_bombardment_an_air_strike() -> None:
    assert _subs("قصف إسرائيلي يستهدف مستودعا للأسلحة.") == ["Air/drone strike"]
    assert _subs("شن الجيش الإسرائيلي هجوما صاروخيا على مواقع عسكرية.") == ["Air/drone strike"]
    assert _subs("أطلقت القوات الإيرانية صواريخ باتجاه إسرائيل.") == ["Shelling/artillery/missile attack"]
    assert _subs("US aircraft struck militia sites.", language="en") == ["Air/drone strike"]
    assert _subs("Workers went on strike.", language="en") == []


def test_a_capture_under_a_deal_or_in_a_relative_clause() -> None:
    assert _subs("سيطرت قوات النظام على معبر نصيب كجزء من الاتفاق.") == ["Non-violent transfer of territory"]
    assert _subs("نهب عناصر الميليشيات الإيرانية التي سيطرت على البلدة المنازل.") == [
        "Looting/property destruction"
    ]
    assert _subs("وأضاف المرصد أن الجيش سيطر على أجزاء من الحي.") == ["Government regains territory"]


def test_a_capture_replaces_the_clash_that_won_it() -> None:
    assert _subs("تمكنت قوات النظام من السيطرة على البلدة إثر معارك مع الفصائل.") == [
        "Government regains territory"
    ]


def test_denying_who_did_it_is_no_denial_that_it_happened() -> None:
    assert _subs("نفت الولايات المتحدة أن تكون هي التي شنت الغارات الجوية.") == ["Air/drone strike"]


def test_the_most_severe_protest_type_stands_alone() -> None:
    sentences = ["خرجت مظاهرة في المدينة.", "وأطلقت قوات الأمن النار على المتظاهرين."]
    assert _subs(*sentences) == ["Excessive force against protesters"]


def test_ignored_phrases_hide_triggers() -> None:
    assert _subs("أطلقت السلطات سراح عشرة معتقلين.") == []
    assert _subs("أعلنت واشنطن انسحابها من الاتفاق النووي.") == []
    assert _subs("يزور مفتشو منظمة حظر الأسلحة الكيميائية دمشق.") == []


@pytest.mark.shared
def test_seed_event_types(shared_dir: Path) -> None:
    examples = shared_dir / "examples"
    text = (examples / "seed-deir-ez-zor.ar.txt").read_text(encoding="utf-8")
    expected = json.loads((examples / "seed-deir-ez-zor.expected.json").read_text(encoding="utf-8"))
    sentences = [s.text for s in split_sentences(clean_text(text))]
    tags = tag_events(sentences, "ar")
    found = {t.sub_event_type for t in tags}
    assert set(expected["sub_event_types_must_include"]) <= found
    # Nothing else: the article reports rockets, artillery and air strikes, no clash or agreement.
    assert found == {"Shelling/artillery/missile attack", "Air/drone strike"}
    assert all(t.evidence == sentences[t.sentence_index] for t in tags)


def test_a_bad_data_file_names_the_file_and_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    from summarizer import events
    from summarizer.resources import DataFileError, load_yaml

    data = load_yaml("events.yaml")
    data["triggers"]["Air raid"] = {"strong": ["غارة"]}
    monkeypatch.setattr(events, "load_yaml", lambda name: data)
    expected = r"summarizer/data/events.yaml: triggers: 'Air raid': not a sub-event type"
    with pytest.raises(DataFileError, match=expected):
        events._lexicon.__wrapped__()
