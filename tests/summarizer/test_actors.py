"""Actors and their ACLED types (find_actors), and the lexicon scanning shared with the other
extractors (fold_sentences, word_spans, LexiconScanner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.actors import ACTOR_TYPES, find_actors
from summarizer.lexicon import LexiconScanner, PhraseMatcher, fold_sentences, tokenize, word_spans


def _names(text: str, language: str = "ar") -> list[str]:
    return [m.name for m in find_actors(text, language)]


@pytest.mark.parametrize(
    ("text", "name", "kind"),
    [
        pytest.param("قصفت قوات النظام البلدة", "Syrian government forces (Assad)", "State forces",
                     id="regime"),
        pytest.param("تقدم الجيش العربي السوري", "Syrian government forces (Assad)", "State forces",
                     id="saa"),
        pytest.param("انتشر عناصر الأمن العام في المدينة", "General Security (transitional government)",
                     "State forces", id="general-security"),
        pytest.param("أعلنت وزارة الدفاع السورية", "Syrian transitional government forces", "State forces",
                     id="transitional-mod"),
        pytest.param("غارات للطيران الروسي", "Russian forces", "External/Other forces", id="russia"),
        pytest.param("قصف الجيش التركي القرية", "Turkish forces", "External/Other forces", id="turkey"),
        pytest.param("استهدفت القوات الأميركية الموقع", "US forces / international coalition",
                     "External/Other forces", id="us-spelling-2"),
        pytest.param("أعلن البنتاغون", "US forces / international coalition", "External/Other forces",
                     id="pentagon"),
        pytest.param("شن الطيران الإسرائيلي غارة", "Israeli forces", "External/Other forces", id="israel"),
        pytest.param("عناصر من الحرس الثوري الإيراني", "Islamic Revolutionary Guard Corps (IRGC)",
                     "External/Other forces", id="irgc"),
        pytest.param("مواقع الميليشيات المدعومة من إيران", "Iran-backed militias", "Political militia",
                     id="iran-backed"),
        pytest.param("مقاتلو حزب الله", "Hezbollah", "Political militia", id="hezbollah"),
        pytest.param("هاجمت قسد المواقع", "Syrian Democratic Forces (SDF)", "Rebel group", id="sdf"),
        pytest.param("وحدات حماية الشعب الكردية", "YPG/PKK", "Rebel group", id="ypg"),
        pytest.param("سيطرت هيئة تحرير الشام", "Hayat Tahrir al-Sham (HTS)", "Rebel group", id="hts"),
        pytest.param("فصائل الجيش الوطني السوري", "Syrian National Army (SNA)", "Rebel group", id="sna"),
        pytest.param("مقاتلو الجيش السوري الحر", "Free Syrian Army / opposition factions", "Rebel group",
                     id="fsa-longest-wins"),
        pytest.param("خلايا تنظيم الدولة الإسلامية", "Islamic State (ISIS)", "Rebel group", id="isis"),
        pytest.param("تنظيم حراس الدين", "Hurras al-Din", "Rebel group", id="hurras"),
        pytest.param("الفصائل الدرزية في السويداء", "Druze factions (Suwayda)", "Identity militia",
                     id="druze"),
        pytest.param("مقتل ثلاثة مدنيين", "Civilians", "Civilians", id="civilians"),
        pytest.param("فرقت الشرطة المتظاهرين", "Protesters", "Protesters", id="protesters"),
    ],
)
def test_arabic_aliases_name_the_actor_and_its_type(text: str, name: str, kind: str) -> None:
    mentions = find_actors(text, "ar")
    assert [(m.name, m.type) for m in mentions] == [(name, kind)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("Syrian regime forces shelled the town", "Syrian government forces (Assad)",
                     id="regime"),
        pytest.param("The US-led coalition said", "US forces / international coalition", id="coalition"),
        pytest.param("U.S. forces responded", "US forces / international coalition", id="dotted-us"),
        pytest.param("Islamic State fighters", "Islamic State (ISIS)", id="isis"),
        pytest.param("the IRGC's Quds Force", "Islamic Revolutionary Guard Corps (IRGC)", id="irgc"),
    ],
)
def test_english_aliases(text: str, name: str) -> None:
    assert _names(text, "en") == [name]


def test_proclitics_and_spelling_variants() -> None:
    assert _names("وللقوات الأمريكية") == ["US forces / international coalition"]
    assert _names("والمليشيات الإيرانية") == ["Iran-backed militias"]


def test_each_actor_once_at_its_first_mention_in_order() -> None:
    text = "قصفت قوات النظام مواقع قسد، وردت قسد على قوات الأسد."
    mentions = find_actors(text, "ar")
    names = [m.name for m in mentions]
    assert names == ["Syrian government forces (Assad)", "Syrian Democratic Forces (SDF)"]
    first = mentions[0]
    assert (first.mention, first.start, first.end) == ("قوات النظام", 5, 16)
    assert text[first.start : first.end] == first.mention


def test_ignored_phrases_hide_their_alias() -> None:
    assert _names("أعلن الأمن العام اللبناني") == []
    assert _names("غارات التحالف العربي في اليمن") == []
    assert _names("منظمات المجتمع المدني") == []


def test_bare_country_names_are_not_forces() -> None:
    assert _names("دعت روسيا وإيران إلى الحوار") == []


def test_offsets_survive_diacritics() -> None:
    text = "قصفَتْ القُوّاتُ الروسيّة"
    (mention,) = find_actors(text, "ar")
    assert mention.name == "Russian forces"
    assert text[mention.start : mention.end] == mention.mention == "القُوّاتُ الروسيّة"


def test_tokens_from_the_caller_give_the_same_mentions() -> None:
    text = "استهدفت الميليشيات الإيرانية قاعدة للتحالف الدولي، وفق البنتاغون."
    assert find_actors(text, "ar", tokens=tokenize(text)) == find_actors(text, "ar")


def test_types_are_acled_types() -> None:
    aliases = ("قوات النظام", "قسد", "حزب الله", "الفصائل الدرزية", "مدنيين", "المتظاهرين", "مثيري الشغب")
    text = " ".join((*aliases, "الجيش التركي"))
    assert {m.type for m in find_actors(text, "ar")} == set(ACTOR_TYPES)


# --- Shared scanning ----------------------------------------------------------------------------


SAMPLES = [
    "قُتِلَ ١٤ شخصاً، “بحسب” المرصد السوري لحقوق الإنسان.",
    "وللميادين وبالبوكمال: The U.S.-led coalition's strikes (2019) hit 5 sites",
    "الـــقصف مستمر على إدلب... والطيران الروسي يحلق",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_fold_sentences_and_word_spans_give_the_tokenizer_words(text: str) -> None:
    tokens = tokenize(text)
    words, spans = word_spans(text)
    assert words == [t.norm for t in tokens]
    assert spans == [(t.start, t.end) for t in tokens]
    assert fold_sentences([text, text]) == [words, words]


@pytest.mark.parametrize("text", SAMPLES)
def test_scanner_finds_what_the_phrase_matcher_finds(text: str) -> None:
    entries = [("القصف", 1), ("الطيران الروسي", 2), ("الطيران", 3), ("الميادين", 4), ("البوكمال", 5),
               ("coalition", 6), ("u s led coalition", 7), ("بحسب", 8), ("المرصد السوري", 9)]
    tokens = tokenize(text)
    expected = [(m.first, m.last, m.value) for m in PhraseMatcher(entries).find(text, tokens)]
    scanner = LexiconScanner(entries)
    assert scanner.scan([t.norm for t in tokens]) == expected
    assert scanner.scan([t.norm for t in tokens]) == expected  # from its memory, the second time


@pytest.mark.shared
def test_seed_actors(shared_dir: Path) -> None:
    examples = shared_dir / "examples"
    text = (examples / "seed-deir-ez-zor.ar.txt").read_text(encoding="utf-8")
    expected = json.loads((examples / "seed-deir-ez-zor.expected.json").read_text(encoding="utf-8"))
    names = _names(text)
    assert set(expected["actors_must_include"]) <= set(names)
    assert len(names) == len(set(names))


def test_a_bad_data_file_names_the_file_and_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    from summarizer import actors
    from summarizer.resources import DataFileError, load_yaml

    data = load_yaml("actors.yaml")
    monkeypatch.setattr(actors, "load_yaml", lambda name: data)
    first = data["actors"][0]
    data["actors"][0] = {**first, "type": "Army"}
    expected = r"actors.yaml: actor 1 \(Syrian government forces \(Assad\)\): 'type'"
    with pytest.raises(DataFileError, match=expected):
        actors._lexicon.__wrapped__()
    data["actors"][0] = {**first, "side": "rebels"}
    with pytest.raises(DataFileError, match=r"actors.yaml: actor 1 .*'side' can only be 'government'"):
        actors._lexicon.__wrapped__()
    data["actors"][0] = first
    data["actors"].append({"name": "Copy", "type": "Rebel group", "ar": ["قسد"]})
    position = len(data["actors"])
    expected = rf"actor {position} \(Copy\): alias 'قسد' already belongs to Syrian Democratic Forces"
    with pytest.raises(DataFileError, match=expected):
        actors._lexicon.__wrapped__()
