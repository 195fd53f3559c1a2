"""bot.filters: categories (data file), the /subscribe grammar, and the pure matching rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.filters import (
    CATEGORIES_FILE,
    MAX_KEYWORD,
    Category,
    FilterError,
    SubscriptionSpec,
    acled_codes,
    alias_key,
    categories,
    category_by_code,
    category_for,
    category_matches,
    load_categories,
    matching_category_codes,
    parse_subscription,
    spec_columns,
    subscription_matches,
)
from bot.resolve import PlaceResolver
from summarizer.gazetteer import Gazetteer
from summarizer.resources import DataFileError, load_yaml


@pytest.fixture(scope="module")
def resolver() -> PlaceResolver:
    return PlaceResolver(Gazetteer.default())


# --- the categories file ---------------------------------------------------------------------------


def test_every_code_is_in_the_tagger_taxonomy() -> None:
    taxonomy = load_yaml("events.yaml")["taxonomy"]
    known = set(taxonomy) | {sub for subs in taxonomy.values() for sub in subs}
    for category in categories():
        assert category.matches
        assert set(category.matches) <= known, category.code


def test_the_expected_categories_exist() -> None:
    codes = [c.code for c in categories()]
    for code in (
        "airstrikes", "shelling", "clashes", "explosions", "attacks", "abductions", "arrests",
        "protests", "riots", "territory", "strategic",
    ):  # fmt: skip
        assert code in codes
    assert len(codes) == len(set(codes))
    for category in categories():
        assert category.label_en
        assert category.label_ar


def test_every_sub_event_type_but_a_few_has_a_category() -> None:
    taxonomy = load_yaml("events.yaml")["taxonomy"]
    covered = {code for c in categories() for code in c.matches}
    for event_type, subs in taxonomy.items():
        for sub in subs:
            if sub == "Sexual violence":
                continue  # deliberately not offered as a subscription
            assert sub in covered or event_type in covered, sub


def test_no_alias_is_a_place_name(resolver: PlaceResolver) -> None:
    for category in categories():
        for alias in (category.code, category.label_en, category.label_ar, *category.aliases):
            resolution = resolver.resolve(alias)
            assert resolution.choice is None or resolution.fuzzy, (category.code, alias)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "categories.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
categories:
  - code: airstrikes
    labels: {en: Air strikes, ar: غارات}
    aliases: [airstrike]
    matches: [Air/drone strike]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("categories: [\n  - code: x\n", "invalid YAML"),
        ("- just a list\n", "'categories' list"),
        ("categories: []\n", "'categories' list"),
        (GOOD + "  - code: shelling\n    labels: {en: S, ar: ق}\n    matches: [Shelling]\n",
         ":6 (shelling): unknown ACLED code 'Shelling'"),
        (GOOD.replace("Air/drone strike", "Air strike"), ":2 (airstrikes): unknown ACLED code 'Air strike'"),
        (GOOD.replace("{en: Air strikes, ar: غارات}", "{en: Air strikes}"), "'labels' must give"),
        (GOOD.replace("code: airstrikes", "code: Air Strikes"), "lower-case identifier"),
        (GOOD.replace("    matches: [Air/drone strike]\n", ""), "'matches' must be"),
        (GOOD.replace("aliases: [airstrike]", "aliases: airstrike"), "'aliases' must be"),
        (GOOD.replace("aliases: [airstrike]", "aliases: [airstrike]\n    colour: red"),
         "unknown keys colour"),
        (GOOD + GOOD.removeprefix("categories:\n"), ":6: category 'airstrikes' is listed twice"),
        (GOOD + "  - code: raids\n    labels: {en: Raids, ar: مداهمات}\n    aliases: [Air-strike]\n"
         "    matches: [Arrests]\n", "alias 'Air-strike' already names 'airstrikes'"),
        ("categories:\n  - just a string\n", ":2: a category must be a mapping"),
    ],
)  # fmt: skip
def test_a_broken_file_is_refused_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DataFileError) as error:
        load_categories(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"absent\.yaml"):
        load_categories(tmp_path / "absent.yaml")


def test_a_good_file_loads(tmp_path: Path) -> None:
    loaded = load_categories(_write(tmp_path, GOOD))
    assert loaded == (Category("airstrikes", "Air strikes", "غارات", ("Air/drone strike",), ("airstrike",)),)


def test_the_package_file_loads_by_default() -> None:
    assert load_categories() == categories()
    assert CATEGORIES_FILE == "bot/data/categories.yaml"


# --- category words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("airstrike", "airstrikes"),
        ("Airstrikes", "airstrikes"),
        ("air strike", "airstrikes"),
        ("Air-Strikes", "airstrikes"),
        ("drone strike", "airstrikes"),
        ("غارة", "airstrikes"),
        ("غارات", "airstrikes"),
        ("الغارات", "airstrikes"),
        ("والغارات", "airstrikes"),
        ("بالغارات", "airstrikes"),
        ("قصف جوي", "airstrikes"),
        ("القصف الجوي", "airstrikes"),
        ("غارة جوية", "airstrikes"),
        ("غاره جويه", "airstrikes"),
        ("shelling", "shelling"),
        ("قصف", "shelling"),
        ("بالقصف", "shelling"),
        ("صواريخ", "shelling"),
        ("clashes", "clashes"),
        ("اشتباكات", "clashes"),
        ("IED", "explosions"),
        ("عبوة ناسفة", "explosions"),
        ("انفجار", "explosions"),
        ("sarin", "chemical"),
        ("كيماوي", "chemical"),
        ("assassination", "attacks"),
        ("اغتيال", "attacks"),
        ("kidnapping", "abductions"),
        ("خطف", "abductions"),
        ("arrests", "arrests"),
        ("اعتقالات", "arrests"),
        ("protests", "protests"),
        ("مظاهرات", "protests"),
        ("riots", "riots"),
        ("شغب", "riots"),
        ("territory", "territory"),
        ("سيطرة", "territory"),
        ("ceasefire", "strategic"),
        ("هدنة", "strategic"),
        ("وقف إطلاق النار", "strategic"),
        # the code and the labels are aliases too
        ("strategic developments", "strategic"),
        ("اعتداءات على مدنيين", "attacks"),
        # one typo in a longer word
        ("airstrkes", "airstrikes"),
        ("shellng", "shelling"),
        ("clahses", "clashes"),
        ("protets", "protests"),
    ],
)
def test_category_for(word: str, code: str) -> None:
    category = category_for(word)
    assert category is not None, word
    assert category.code == code


@pytest.mark.parametrize("word", ["", "   ", "Idlib", "حلب", "root", "riit", "news", "xyzzy", "hello"])
def test_category_for_unknown(word: str) -> None:
    assert category_for(word) is None


def test_alias_key() -> None:
    assert alias_key("Air-Strike") == alias_key("air strike") == alias_key("AIRSTRIKE") == "airstrike"
    assert alias_key("الغارات") == alias_key("غارات")
    assert alias_key("غارة جوية") == alias_key("غاره جويه")


def test_category_lookup_by_code() -> None:
    airstrikes = category_by_code("airstrikes")
    assert airstrikes is not None
    assert airstrikes.matches == ("Air/drone strike",)
    assert category_by_code("nothing") is None


@pytest.mark.parametrize(
    ("code", "types", "subs", "expected"),
    [
        ("airstrikes", ["Explosions/Remote violence"], ["Air/drone strike"], True),
        ("airstrikes", ["Explosions/Remote violence"], ["Shelling/artillery/missile attack"], False),
        ("explosions", ["Explosions/Remote violence"], ["Suicide bomb"], True),
        ("explosions", [], ["Grenade", "Armed clash"], True),
        ("protests", ["Protests"], ["Protest with intervention"], True),
        ("riots", ["Riots"], ["Mob violence"], True),  # by event type
        ("strategic", ["Strategic developments"], ["Arrests"], True),
        ("arrests", ["Strategic developments"], ["Arrests"], True),
        ("territory", ["Battles"], ["Non-state actor overtakes territory"], True),
        ("territory", ["Battles"], ["Armed clash"], False),
        ("clashes", [], [], False),
        # a raw ACLED code (a subscription made before categories) stands for itself
        ("Armed clash", ["Battles"], ["Armed clash"], True),
        ("Battles", ["Battles"], ["Armed clash"], True),
        ("Armed clash", ["Riots"], ["Mob violence"], False),
    ],
)
def test_category_matches(code: str, types: list[str], subs: list[str], expected: bool) -> None:
    assert category_matches(code, types, subs) is expected


def test_acled_codes() -> None:
    assert acled_codes("explosions") == ("Remote explosive/landmine/IED", "Suicide bomb", "Grenade")
    assert acled_codes("Armed clash") == ("Armed clash",)


def test_matching_category_codes() -> None:
    assert matching_category_codes(["Explosions/Remote violence"], ["Air/drone strike"]) == ("airstrikes",)
    codes = matching_category_codes(["Strategic developments"], ["Arrests"])
    assert set(codes) == {"arrests", "strategic"}
    assert matching_category_codes([], []) == ()
    # every code it returns is matched by category_matches, and only those
    for category in categories():
        assert (category.code in codes) is category_matches(
            category.code, ["Strategic developments"], ["Arrests"]
        )


# --- the /subscribe grammar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("دير الزور", {"governorate": "Deir ez-Zor"}),
        ("Deir ez-Zor", {"governorate": "Deir ez-Zor"}),
        ("Idlib airstrikes", {"governorate": "Idlib", "event_category": "airstrikes"}),
        ("airstrikes Idlib", {"governorate": "Idlib", "event_category": "airstrikes"}),
        ("غارات ادلب", {"governorate": "Idlib", "event_category": "airstrikes"}),
        ("غارات جوية على إدلب", {"governorate": "Idlib", "event_category": "airstrikes"}),
        ("والغارات على حلب", {"governorate": "Aleppo", "event_category": "airstrikes"}),
        ("air strike in Idlib", {"governorate": "Idlib", "event_category": "airstrikes"}),
        ("Deir ez-Zor killed>=5", {"governorate": "Deir ez-Zor", "min_killed": 5}),
        ("قتلى 10 حلب", {"governorate": "Aleppo", "min_killed": 10}),
        ("١٠ قتلى درعا", {"governorate": "Daraa", "min_killed": 10}),
        ("keyword: Conoco", {"keyword": "Conoco"}),
        ("كلمة: حقل العمر", {"keyword": "حقل العمر"}),
        ("«حقل كونيكو»", {"keyword": "حقل كونيكو"}),
        ('"Conoco  field"', {"keyword": "Conoco field"}),
        ("“Conoco” Deir ez-Zor", {"governorate": "Deir ez-Zor", "keyword": "Conoco"}),
        ('Deir ez-Zor keyword: "Conoco" shelling',
         {"governorate": "Deir ez-Zor", "keyword": "Conoco", "event_category": "shelling"}),
        ("Idleb", {"governorate": "Idlib"}),
        ("Idlbi", {"governorate": "Idlib"}),
        ("airstrikes", {"event_category": "airstrikes"}),
        ("Homs 5+ killed shelling", {"governorate": "Homs", "event_category": "shelling", "min_killed": 5}),
        ("Aleppo", {"governorate": "Aleppo"}),
        ("Aleppo city", {"place_id": "gn:170063"}),
        ("مدينة حلب غارات", {"place_id": "gn:170063", "event_category": "airstrikes"}),
        ("Manbij", {"district": "Manbij"}),
        ("منطقة الباب اشتباكات", {"district": "Al-Bab", "event_category": "clashes"}),
        ("Saraqeb", {"place_id": "gn:164816"}),
        ("ريف حلب قصف", {"governorate": "Aleppo", "event_category": "shelling"}),
        ("بالقصف في ريف حلب", {"governorate": "Aleppo", "event_category": "shelling"}),
        ("اشتباكات في دير الزور قتلى ٥",
         {"governorate": "Deir ez-Zor", "event_category": "clashes", "min_killed": 5}),
        ("Idlib airstrkes", {"governorate": "Idlib", "event_category": "airstrikes"}),  # category typo
        ("shellng", {"event_category": "shelling"}),
        ("Idlib news", {"governorate": "Idlib"}),
        # the death toll, every way
        ("killed>=5", {"min_killed": 5}),
        ("killed >= 5", {"min_killed": 5}),
        ("killed 5+", {"min_killed": 5}),
        ("5+ killed", {"min_killed": 5}),
        ("≥5 killed", {"min_killed": 5}),
        ("at least 3 killed Hama", {"governorate": "Hama", "min_killed": 3}),
        ("killed>5", {"min_killed": 6}),
        ("more than 5 killed", {"min_killed": 6}),
        ("قتلى 5", {"min_killed": 5}),
        ("قتلى>=5", {"min_killed": 5}),
        ("قتلى ≥ 5", {"min_killed": 5}),
        ("10 قتلى", {"min_killed": 10}),
        ("قتيل 1 حمص", {"governorate": "Homs", "min_killed": 1}),
        ("أكثر من 20 قتيلاً", {"min_killed": 21}),
        ("death toll>=3", {"min_killed": 3}),
        ("KILLED>=0", {"min_killed": 0}),
        ("killed>=100000", {"min_killed": 100000}),
        ("killed 5 Homs 5+ killed", {"governorate": "Homs", "min_killed": 5}),  # the same twice is fine
        ('"a" "a"', {"keyword": "a"}),
    ],
)  # fmt: skip
def test_parse_subscription(resolver: PlaceResolver, text: str, expected: dict[str, Any]) -> None:
    spec = parse_subscription(text, resolver)
    assert isinstance(spec, SubscriptionSpec), spec
    columns = {k: v for k, v in spec_columns(spec).items() if v is not None}
    assert columns == expected


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        ("", "subscribe.empty", {}),
        ("   ", "subscribe.empty", {}),
        ("in", "subscribe.empty", {}),
        ("في", "subscribe.empty", {}),
        ("x" * 201, "subscribe.too_long", {"limit": "200"}),
        ("xyzzy", "subscribe.unknown_place", {"query": "xyzzy"}),
        ("airstrikes xyzzy", "subscribe.unknown_place", {"query": "xyzzy"}),
        ("Idlib Aleppo", "subscribe.unknown_place", {"query": "Idlib Aleppo"}),
        ("Suran", "subscribe.ambiguous_place", {"query": "Suran"}),
        ("Tadmr", "subscribe.ambiguous_place", {"query": "Tadmr"}),
        ("killed>=200000", "subscribe.bad_number", {"value": "200000", "limit": "100000"}),
        ("killed>100000", "subscribe.bad_number", {"value": "100000", "limit": "100000"}),
        ("killed>=-1", "subscribe.bad_number", {"value": "-1", "limit": "100000"}),
        ("killed>=2.5", "subscribe.bad_number", {"value": "2.5", "limit": "100000"}),
        ("killed", "subscribe.bad_number", {"value": "killed", "limit": "100000"}),
        ("killed>=x Idlib", "subscribe.bad_number", {"value": "killed>=x", "limit": "100000"}),
        ("قتلى كثيرون", "subscribe.bad_number", {"value": "قتلى كثيرون", "limit": "100000"}),
        ("killed 5 killed 6", "subscribe.two_numbers", {"first": "5", "second": "6"}),
        ('""', "subscribe.empty_keyword", {}),
        ("«  »", "subscribe.empty_keyword", {}),
        ("keyword:", "subscribe.empty_keyword", {}),
        ("keyword: ...", "subscribe.empty_keyword", {}),
        ('"' + "x" * (MAX_KEYWORD + 1) + '"', "subscribe.keyword_too_long", {"limit": "64"}),
        ('"a" "b"', "subscribe.two_keywords", {"first": "a", "second": "b"}),
        ("Idlib shelling airstrikes", "subscribe.two_categories",
         {"first": "shelling", "second": "airstrikes"}),
        ("غارات اشتباكات", "subscribe.two_categories", {"first": "airstrikes", "second": "clashes"}),
    ],
)  # fmt: skip
def test_parse_subscription_errors(
    resolver: PlaceResolver, text: str, key: str, params: dict[str, str]
) -> None:
    error = parse_subscription(text, resolver)
    assert isinstance(error, FilterError), error
    assert error.key == key
    assert dict(error.params) == params


def test_an_ambiguous_place_offers_its_candidates(resolver: PlaceResolver) -> None:
    error = parse_subscription("Suran shelling", resolver)
    assert isinstance(error, FilterError)
    assert error.key == "subscribe.ambiguous_place"
    assert {c.place_id for c in error.candidates} >= {"gn:163915", "gn:163913"}


def test_an_unknown_place_offers_suggestions(resolver: PlaceResolver) -> None:
    error = parse_subscription("Mnbj", resolver)
    assert isinstance(error, FilterError)
    assert error.key == "subscribe.unknown_place"
    assert "dist:manbij" in {c.place_id for c in error.candidates}
    assert len(error.candidates) <= 3


def test_a_quoted_keyword_is_not_a_place_or_a_category(resolver: PlaceResolver) -> None:
    spec = parse_subscription('"Idlib airstrikes killed 5"', resolver)
    assert spec == SubscriptionSpec(keyword="Idlib airstrikes killed 5")


def test_an_unclosed_quote_runs_to_the_end(resolver: PlaceResolver) -> None:
    spec = parse_subscription("Idlib «حقل العمر", resolver)
    assert isinstance(spec, SubscriptionSpec)
    assert spec.keyword == "حقل العمر"
    assert spec.place is not None
    assert spec.place.place_id == "gov:idlib"


def test_the_spec_holds_the_choice_and_category(resolver: PlaceResolver) -> None:
    spec = parse_subscription("Idlib airstrikes killed>=3", resolver)
    assert isinstance(spec, SubscriptionSpec)
    assert spec.place is not None
    assert spec.place.kind == "governorate"
    assert spec.place.name_ar == "إدلب"
    assert spec.category == category_by_code("airstrikes")
    assert spec.min_killed == 3
    assert spec.keyword is None


def test_every_place_name_parses_as_that_place_alone(resolver: PlaceResolver) -> None:
    """No category alias, filler or number rule eats part of a gazetteer name."""
    for place in Gazetteer.default().places():
        if place.kind not in ("governorate", "district", "city", "town"):
            continue
        for name in (place.name_en, place.name_ar):
            result = parse_subscription(name, resolver)
            if isinstance(result, FilterError):
                assert result.key == "subscribe.ambiguous_place", (name, result)
                continue
            assert result.place is not None, name
            assert (result.category, result.keyword, result.min_killed) == (None, None, None), name


# --- columns ---------------------------------------------------------------------------------------


def test_spec_columns_fill_one_place_column(resolver: PlaceResolver) -> None:
    empty = spec_columns(SubscriptionSpec())
    assert empty == dict.fromkeys(
        ("place_id", "governorate", "district", "event_category", "keyword", "min_killed")
    )
    for text, column, value in [
        ("Idlib", "governorate", "Idlib"),
        ("Manbij", "district", "Manbij"),
        ("Saraqeb", "place_id", "gn:164816"),
    ]:
        spec = parse_subscription(text, resolver)
        assert isinstance(spec, SubscriptionSpec)
        columns = spec_columns(spec)
        assert columns[column] == value
        assert [k for k in ("place_id", "governorate", "district") if columns[k] is not None] == [column]


def test_district_names_are_unique() -> None:
    """spec_columns stores a district by name alone: that needs one district per name."""
    names = [p.name_en for p in Gazetteer.default().places() if p.kind == "district"]
    assert len(names) == len(set(names))


# --- matching (the twin of store.matching_subscribers) -----------------------------------------------

EVENT: dict[str, Any] = {
    "event_place_ids": ["gn:164816"],
    "event_governorates": ["Idlib"],
    "event_districts": ["Idlib"],
    "event_types": ["Explosions/Remote violence"],
    "sub_event_types": ["Air/drone strike"],
    "killed": 4,
    "event_text": "غاراتٌ جويّة على سراقب قرب حقل كونيكو\nAir strikes hit  Saraqib",
}
NOTHING: dict[str, Any] = dict.fromkeys(
    ("place_id", "governorate", "district", "event_category", "keyword", "min_killed")
)


@pytest.mark.parametrize(
    ("subscription", "expected"),
    [
        ({}, True),
        ({"place_id": "gn:164816"}, True),
        ({"place_id": "gn:170063"}, False),
        ({"governorate": "Idlib"}, True),
        ({"governorate": "Aleppo"}, False),
        ({"district": "Idlib"}, True),
        ({"district": "Manbij"}, False),
        ({"event_category": "airstrikes"}, True),
        ({"event_category": "shelling"}, False),
        ({"event_category": "Air/drone strike"}, True),  # a raw ACLED code
        ({"event_category": "Explosions/Remote violence"}, True),
        ({"min_killed": 4}, True),
        ({"min_killed": 5}, False),
        ({"min_killed": 0}, True),
        ({"keyword": "كونيكو"}, True),
        ({"keyword": "حقل  كونيكو"}, True),  # whitespace collapsed
        ({"keyword": "غارات جوية"}, True),  # diacritics and teh marbuta folded
        ({"keyword": "AIR STRIKES HIT"}, True),  # case and spacing
        ({"keyword": "Conoco"}, False),
        ({"keyword": ""}, True),  # an empty keyword filters nothing (as in the store)
        ({"governorate": "Idlib", "event_category": "airstrikes", "min_killed": 3}, True),
        ({"governorate": "Idlib", "event_category": "airstrikes", "min_killed": 5}, False),
    ],
)
def test_subscription_matches(subscription: dict[str, Any], expected: bool) -> None:
    assert subscription_matches(**{**NOTHING, **subscription}, **EVENT) is expected


def test_an_unknown_toll_counts_as_zero() -> None:
    event = {**EVENT, "killed": None}
    assert subscription_matches(**{**NOTHING, "min_killed": 0}, **event)
    assert not subscription_matches(**{**NOTHING, "min_killed": 1}, **event)


def test_an_event_without_places_matches_no_place_filter() -> None:
    event = {**EVENT, "event_place_ids": [], "event_governorates": [], "event_districts": []}
    assert subscription_matches(**NOTHING, **event)
    assert not subscription_matches(**{**NOTHING, "governorate": "Idlib"}, **event)


def test_a_parsed_spec_matches_through_its_columns(resolver: PlaceResolver) -> None:
    spec = parse_subscription("غارات ادلب «كونيكو» قتلى 3", resolver)
    assert isinstance(spec, SubscriptionSpec)
    assert subscription_matches(**spec_columns(spec), **EVENT)  # type: ignore[arg-type]
    spec = parse_subscription("shelling Idlib", resolver)
    assert isinstance(spec, SubscriptionSpec)
    assert not subscription_matches(**spec_columns(spec), **EVENT)  # type: ignore[arg-type]


def test_purity() -> None:
    """The modules import no Telegram, database or HTTP code (checked in a fresh interpreter)."""
    import json
    import subprocess
    import sys

    code = "import json, sys, bot.filters, bot.resolve; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = {name.partition(".")[0] for name in json.loads(result.stdout)}
    assert not loaded & {"telegram", "httpx", "sqlalchemy", "apscheduler", "asyncio"}
