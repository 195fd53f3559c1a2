"""bot.resolve: place names as users type them (Arabic, English, typos) → gazetteer entities."""

from __future__ import annotations

import random
import time

import pytest

from bot.resolve import (
    FUZZY_ACCEPT,
    MAX_AMBIGUOUS,
    MAX_SUGGESTIONS,
    PlaceResolver,
    Resolution,
    name_keys,
    name_words,
)
from summarizer.gazetteer import Gazetteer


@pytest.fixture(scope="module")
def resolver() -> PlaceResolver:
    return PlaceResolver(Gazetteer.default())


def _ids(resolution: Resolution) -> list[str]:
    return [c.place_id for c in resolution.candidates]


# --- keys --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Deir ez-Zor", "Deir Ezzor"),
        ("Deir ez-Zor", "deir el zor"),
        ("Deir ez-Zor", "DEIR-EZ-ZOR"),
        ("دير الزور", "ديرالزور"),
        ("دير الزور", "دير زور"),
        ("دير الزّور", "دير الزور"),  # a diacritic
        ("إدلب", "ادلب"),  # hamza on alef
        ("الرقة", "الرقه"),  # teh marbuta
        ("حمـــص", "حمص"),  # tatweel
        ("Ar-Raqqa", "Arraqqa"),  # assimilated article
        ("Ma'arrat al-Nu'man", "Maarrat al Numan"),
        ("Ḩamāh", "Hamah"),  # accents
    ],
)
def test_spellings_share_a_key(a: str, b: str) -> None:
    assert set(name_keys(name_words(a))) & set(name_keys(name_words(b)))


# --- exact names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind", "place_id"),
    [
        # governorate > district > town: a bare governorate name is the governorate
        ("Idlib", "governorate", "gov:idlib"),
        ("Idleb", "governorate", "gov:idlib"),
        ("إدلب", "governorate", "gov:idlib"),
        ("ادلب", "governorate", "gov:idlib"),
        ("Aleppo", "governorate", "gov:aleppo"),
        ("حلب", "governorate", "gov:aleppo"),
        ("Halab", "governorate", "gov:aleppo"),
        ("Deir ez-Zor", "governorate", "gov:deir-ez-zor"),
        ("Deir Ezzor", "governorate", "gov:deir-ez-zor"),
        ("deir el zor", "governorate", "gov:deir-ez-zor"),
        ("Dayr az Zawr", "governorate", "gov:deir-ez-zor"),
        ("دير الزور", "governorate", "gov:deir-ez-zor"),
        ("ديرالزور", "governorate", "gov:deir-ez-zor"),
        ("ريف دمشق", "governorate", "gov:rural-damascus"),
        ("Rural Damascus", "governorate", "gov:rural-damascus"),
        ("Damascus countryside", "governorate", "gov:rural-damascus"),
        ("Rif Dimashq", "governorate", "gov:rural-damascus"),
        ("دمشق", "governorate", "gov:damascus"),
        ("Homs", "governorate", "gov:homs"),
        ("حماة", "governorate", "gov:hama"),
        ("Lattakia", "governorate", "gov:latakia"),
        ("اللاذقية", "governorate", "gov:latakia"),
        ("Tartous", "governorate", "gov:tartus"),
        ("Raqqa", "governorate", "gov:raqqa"),
        ("الرقة", "governorate", "gov:raqqa"),
        ("Hasakah", "governorate", "gov:al-hasakah"),
        ("Sweida", "governorate", "gov:as-suwayda"),
        ("السويداء", "governorate", "gov:as-suwayda"),
        ("Daraa", "governorate", "gov:daraa"),
        ("درعا", "governorate", "gov:daraa"),
        ("Quneitra", "governorate", "gov:quneitra"),
        # a district and its seat: the district
        ("Manbij", "district", "dist:manbij"),
        ("منبج", "district", "dist:manbij"),
        ("Al-Bab", "district", "dist:al-bab"),
        ("Albu Kamal", "district", "dist:al-bukamal"),
        ("البوكمال", "district", "dist:al-bukamal"),
        ("البو كمال", "district", "dist:al-bukamal"),
        ("Kobani", "district", "dist:ayn-al-arab"),
        ("عين العرب", "district", "dist:ayn-al-arab"),
        ("Jisr al-Shughur", "district", "dist:jisr-al-shughur"),
        ("معرة النعمان", "district", "dist:maarat-al-numan"),
        # towns and sites
        ("Saraqeb", "place", "gn:164816"),
        ("سراقب", "place", "gn:164816"),
        ("Binnish", "place", "gn:171451"),
        ("حقل كونيكو", "place", "site:conoco"),
        ("Conoco", "place", "site:conoco"),
        ("Golan", "place", "region:golan"),
        ("the Golan", "place", "region:golan"),
        # proclitics و ب ل on the first word
        ("وحلب", "governorate", "gov:aleppo"),
        ("بدير الزور", "governorate", "gov:deir-ez-zor"),
        ("للرقة", "governorate", "gov:raqqa"),
        ("لحمص", "governorate", "gov:homs"),
        # level words
        ("محافظة إدلب", "governorate", "gov:idlib"),
        ("Idlib province", "governorate", "gov:idlib"),
        ("governorate of Idlib", "governorate", "gov:idlib"),
        ("Idlib district", "district", "dist:idlib"),
        ("منطقة الباب", "district", "dist:al-bab"),
        ("مدينة إدلب", "place", "gn:169389"),
        ("Idlib city", "place", "gn:169389"),
        ("city of Homs", "place", "gn:169577"),
        ("مدينة الباب", "place", "gn:174018"),
        ("Aleppo district", "governorate", "gov:aleppo"),  # no such district: the level word is ignored
        # countryside: the governorate (or district) around the name
        ("ريف حلب", "governorate", "gov:aleppo"),
        ("بريف حلب", "governorate", "gov:aleppo"),
        ("Aleppo countryside", "governorate", "gov:aleppo"),
        ("rural Idlib", "governorate", "gov:idlib"),
        ("ريف منبج", "district", "dist:manbij"),
        # punctuation and spacing around the name
        ("  Idlib!  ", "governorate", "gov:idlib"),
        ("حلب؟", "governorate", "gov:aleppo"),
    ],
)
def test_exact_names(resolver: PlaceResolver, query: str, kind: str, place_id: str) -> None:
    resolution = resolver.resolve(query)
    assert resolution.choice is not None, resolution
    assert (resolution.choice.kind, resolution.choice.place_id) == (kind, place_id)
    assert not resolution.fuzzy
    assert not resolution.ambiguous


def test_the_city_is_offered_beside_the_governorate(resolver: PlaceResolver) -> None:
    resolution = resolver.resolve("Aleppo")
    assert resolution.choice is not None
    assert resolution.choice.governorate == "Aleppo"
    assert resolution.choice.district is None
    assert "gn:170063" in _ids(resolution)  # Aleppo the city
    idlib = resolver.resolve("Idlib")
    assert {"dist:idlib", "gn:169389"} <= set(_ids(idlib))
    assert "sub:markaz-idlib" not in _ids(idlib)  # a sub-district beside its own town is noise


def test_choice_fields(resolver: PlaceResolver) -> None:
    choice = resolver.resolve("Manbij").choice
    assert choice is not None
    assert choice.governorate == "Aleppo"
    assert choice.district == "Manbij"
    assert choice.name_en == "Manbij"
    assert choice.name_ar == "منبج"
    assert 36.0 < choice.lat < 37.0
    assert 37.5 < choice.lon < 38.5
    governorate = resolver.resolve("دير الزور").choice
    assert governorate is not None
    assert governorate.district is None
    assert governorate.governorate == "Deir ez-Zor"


def test_two_towns_of_one_name_are_ambiguous(resolver: PlaceResolver) -> None:
    resolution = resolver.resolve("Suran")
    assert resolution.choice is None
    assert resolution.ambiguous
    assert not resolution.fuzzy
    assert {"gn:163915", "gn:163913"} <= set(_ids(resolution))
    assert {c.governorate for c in resolution.candidates} == {"Hama", "Aleppo"}
    assert len(resolution.candidates) <= MAX_AMBIGUOUS


def test_a_governorate_wins_over_a_town_of_the_same_name_elsewhere(resolver: PlaceResolver) -> None:
    resolution = resolver.resolve("Hamah")  # Hama's alias, and the town Al-Hamah in Rural Damascus
    assert resolution.choice is not None
    assert resolution.choice.place_id == "gov:hama"
    assert "town:al-hamah" in _ids(resolution)


# --- typos ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "place_id"),
    [
        ("Idlbi", "gov:idlib"),  # swapped letters
        ("Idlob", "gov:idlib"),  # a wrong letter
        ("ادلبب", "gov:idlib"),  # an extra letter
        ("Aleppoo", "gov:aleppo"),
        ("Damascuss", "gov:damascus"),
        ("دمشك", "gov:damascus"),  # ق typed ك
        ("Homz", "gov:homs"),  # one typo in four letters: still clear
        ("Qamishly", "dist:qamishli"),
        ("Dier ezzor", "gov:deir-ez-zor"),
        ("Deir ez Zoor", "gov:deir-ez-zor"),
        ("Saraqibb", "gn:164816"),
    ],
)
def test_one_typo_is_forgiven(resolver: PlaceResolver, query: str, place_id: str) -> None:
    resolution = resolver.resolve(query)
    assert resolution.choice is not None, resolution
    assert resolution.choice.place_id == place_id
    assert resolution.fuzzy


def test_a_typo_between_two_places_is_ambiguous(resolver: PlaceResolver) -> None:
    resolution = resolver.resolve("Hamma")  # Hama or Al-Hamra (Hama)
    assert resolution.choice is None
    assert resolution.ambiguous
    assert resolution.fuzzy
    assert "gov:hama" in _ids(resolution)
    assert len(resolution.candidates) >= 2


@pytest.mark.parametrize(
    ("query", "suggested"),
    [
        ("حمس", "gov:homs"),  # one typo in three letters: too close to other places to decide
        ("Mnbj", "dist:manbij"),  # two letters missing
    ],
)
def test_unclear_typos_get_suggestions(resolver: PlaceResolver, query: str, suggested: str) -> None:
    resolution = resolver.resolve(query)
    assert resolution.choice is None
    assert not resolution.ambiguous
    assert resolution.fuzzy  # the suggestions come from typo forgiveness
    assert suggested in _ids(resolution)
    assert len(resolution.candidates) <= MAX_SUGGESTIONS


@pytest.mark.parametrize(
    "query",
    ["xyzzy", "qwertyuiop", "hello", "", "   ", "!!!", "a" * 101, "Idlib " * 20],
)
def test_unknown_and_out_of_bounds(resolver: PlaceResolver, query: str) -> None:
    resolution = resolver.resolve(query)
    assert resolution.choice is None
    assert not resolution.ambiguous
    if not query.strip() or len(query) > 100 or query == "xyzzy":
        assert resolution.candidates == ()
        assert not resolution.fuzzy
    assert len(resolution.candidates) <= MAX_SUGGESTIONS
    assert resolution.fuzzy is bool(resolution.candidates)


def test_typo_gate(resolver: PlaceResolver) -> None:
    """One typo in the name of a governorate, district, city or town: mostly resolved, never wrongly.

    The measurement behind FUZZY_ACCEPT and FUZZY_MARGIN (see bot/resolve.py), on a seeded sample.
    """
    rng = random.Random(20240601)
    latin, arabic = "abcdefghijklmnopqrstuvwxyz", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    gazetteer = Gazetteer.default()
    names = [
        (name, place.id)
        for place in gazetteer.places()
        if place.kind in ("governorate", "district", "city", "town")
        for name in (place.name_en, place.name_ar)
    ]
    rng.shuffle(names)
    right = wrong = undecided = 0
    for name, place_id in names[:400]:
        _, key = name_keys(name_words(name))
        if len(key) < 4:
            continue
        alphabet = latin if key[0] in latin else arabic
        i, op = rng.randrange(len(key) - 1), rng.choice("dist")
        typo = {
            "d": key[:i] + key[i + 1 :],
            "i": key[:i] + rng.choice(alphabet) + key[i:],
            "s": key[:i] + rng.choice(alphabet.replace(key[i], "")) + key[i + 1 :],
            "t": key[:i] + key[i + 1] + key[i] + key[i + 2 :],
        }[op]
        resolution = resolver.resolve(typo)
        if typo == key or (resolution.choice is not None and not resolution.fuzzy):
            continue  # the typo is another real name
        if resolution.choice is None:
            undecided += 1
        elif place_id in {resolution.choice.place_id, *_ids(resolution)}:
            right += 1
        else:
            wrong += 1
    total = right + wrong + undecided
    assert total > 300
    assert right / total >= 0.85, (right, wrong, undecided)
    assert wrong / total <= 0.01, (right, wrong, undecided)


def test_thresholds_are_ordered() -> None:
    from bot.resolve import FUZZY_SUGGEST, IS_PLACE_ACCEPT

    assert FUZZY_SUGGEST < FUZZY_ACCEPT < IS_PLACE_ACCEPT


# --- a plain chat message -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "place_id"),
    [
        ("Idlib", "gov:idlib"),
        ("حلب", "gov:aleppo"),
        ("دير الزور", "gov:deir-ez-zor"),
        ("  Deir Ezzor. ", "gov:deir-ez-zor"),
        ("منبج", "dist:manbij"),
        ("Aleppoo", "gov:aleppo"),  # a near-certain typo
        ("Damascuss", "gov:damascus"),
        ("مدينة إدلب", "gn:169389"),
    ],
)
def test_is_place(resolver: PlaceResolver, message: str, place_id: str) -> None:
    resolution = resolver.is_place(message)
    assert resolution is not None
    assert resolution.choice is not None
    assert resolution.choice.place_id == place_id


def test_is_place_keeps_ambiguity(resolver: PlaceResolver) -> None:
    resolution = resolver.is_place("Suran")
    assert resolution is not None
    assert resolution.ambiguous


@pytest.mark.parametrize(
    "message",
    [
        "hello", "hi", "help", "start", "thanks", "yes", "no", "ok", "news",
        "مرحبا", "شكرا", "نعم", "لا", "السلام عليكم", "الغاء", "عربي", "كيف الحال",
        "any news from Idlib?", "I live in Aleppo", "ما الأخبار في حلب", "قصف على ادلب اليوم",
        "Idlbi",  # a typo of 5 letters: fine for /subscribe, not for a chat message
        "Homz", "", "   ", "x" * 150,
    ],
)  # fmt: skip
def test_is_place_ignores_chat(resolver: PlaceResolver, message: str) -> None:
    assert resolver.is_place(message) is None


# --- speed ------------------------------------------------------------------------------------------------


def test_resolve_is_fast(resolver: PlaceResolver) -> None:
    queries = ["Idlib", "Idlbi", "xyzzy", "دير الزور", "ريف حلب", "Hamma", "qwertyuiopasdfgh", "a" * 99]
    for query in queries:  # warm up (builds the index)
        resolver.resolve(query)
    assert len({p.id for p in Gazetteer.default().places()}) >= 900  # the scale the bound is for
    worst = 0.0
    for _ in range(5):
        for query in queries:
            start = time.perf_counter()
            resolver.resolve(query)
            worst = max(worst, time.perf_counter() - start)
    assert worst < 0.05, f"slowest resolve took {worst * 1000:.1f} ms"


def test_a_custom_gazetteer_is_used() -> None:
    gazetteer = Gazetteer.default().with_rows(
        [
            {
                "id": "test:zzyzx",
                "kind": "village",
                "name_en": "Zzyzx",
                "name_ar": "زيزكس",
                "governorate": "Homs",
                "lat": "34.7",
                "lon": "36.7",
            }
        ],
        "test rows",
    )
    resolution = PlaceResolver(gazetteer).resolve("zzyzx")
    assert resolution.choice is not None
    assert resolution.choice.place_id == "test:zzyzx"
    assert resolution.choice.kind == "place"
    assert resolution.choice.district is not None  # filled from the nearest district seat
