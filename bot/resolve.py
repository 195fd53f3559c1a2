"""What place a user means: a name typed in Arabic or English → a gazetteer entity (or options).

Pure: text in, data out. The one input is the summariser's gazetteer (`summarizer.gazetteer`), read
once; the resolver builds its own name index from it, lazily, on the first query.

Names are compared as *keys*: the text folded as the summariser folds it (`normalize_text`:
diacritics, tatweel, alef / alef maksura / teh marbuta, lower-case Latin), accents and the hamza
carriers ؤ ئ folded too, punctuation (hyphens, apostrophes) and spaces removed. Every name has two
keys: as written ("deirezzor", "ديرالزور") and with its articles dropped ("deirzor", "ديرزور"): the
Arabic "ال" at the start of a word, and the Latin "al-", "el-", "ar-", "as-", "ad-", "ez-", ... and
"the" as words, or assimilated into a doubled letter ("Ezzor", "Arraqqa"). So "Deir ez-Zor",
"Deir Ezzor", "deir el zor", "دير الزور", "ديرالزور" and "دير زور" are one name; spellings the data
list ("Dayr az Zawr", "Idleb", "Damascus countryside") come from the gazetteer's aliases.

Exact matching tries, in order:
1. a level word around a name: "محافظة إدلب", "Idlib province", "governorate of Idlib": the
   governorate; "منطقة" / "district": the district; "مدينة" / "city" / "town" / "بلدة": the town
   ("مدينة إدلب" is the city, though the data list it among the governorate's names). A level word
   that fits none of the places of the name is ignored ("Aleppo district": Aleppo);
2. the name as typed;
3. "ريف حلب", "Aleppo countryside", "rural Hama": the governorate, or the district, around the
   name ("ريف دمشق" is found at 2: it is the name of a governorate, Rural Damascus).
Each step tries the query as typed, then with و ب ل stripped from its first word ("وحلب",
"بدير الزور"); never ف or ك, which begin more names than users type before one ("فاطمة").

One name, several places: a governorate wins over a district, a district over a town or site, a town
or site over a sub-district. "Idlib" and "Aleppo" are the governorates; the cities are offered among
`Resolution.candidates`, which a user interface may show as "did you mean the city?" buttons. Two
places of the same (best) level ("Suran" in Hama and in Aleppo) are ambiguous: no choice, the
places as candidates.

Typo forgiveness, when nothing matches exactly: `rapidfuzz.process.extract` over the keys with the
OSA distance (Levenshtein plus adjacent transpositions, each one typo), as a similarity of
100 × (1 − typos / length of the longer key). OSA rather than `fuzz.ratio` (indel distance), because a
substitution or a swap costs ratio two edits: on 815 single-typo spellings of governorate, district,
city and town names (tests/bot/test_resolve.py keeps a seeded sample of this as a gate), OSA at 75 / 8
resolved 93% right and none wrong (7% ambiguous, offered as candidates); `fuzz.ratio` at 80 / 8
resolved 82% and 0.9% wrong.
- FUZZY_ACCEPT = 75: one wrong, missing, extra or swapped letter in a name of 4 letters or more
  ("Homz" → Homs, "Idlbi" → Idlib, "دمشك" → Damascus). A 3-letter name with a typo (67: "حمس")
  is too close to other real places: suggestions only.
- FUZZY_MARGIN = 8: the best name must beat the best name of a *different* place by this much
  (names that share a place, as the governorate, district and city of Idlib do, are not rivals);
  otherwise the query is ambiguous and the close places are offered.
- FUZZY_SUGGEST = 60: the floor for "did you mean" suggestions of an unknown name.
- `is_place` (a plain chat message) accepts a typo only at IS_PLACE_ACCEPT = 85, one typo in 7
  letters or more ("Aleppoo", "Damascuss"): chat words one letter from a short place name ("عربي",
  Arbin at 80) must not turn into subscriptions.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from summarizer.gazetteer import Gazetteer
from summarizer.lexicon import proclitic_forms
from summarizer.models import Place
from summarizer.textnorm import normalize_text

MAX_QUERY_LENGTH: Final = 100
MAX_AMBIGUOUS: Final = 5  # candidates offered for an ambiguous name (buttons)
MAX_SUGGESTIONS: Final = 3  # suggestions offered for an unknown name ("did you mean")
FUZZY_ACCEPT: Final = 75.0
FUZZY_MARGIN: Final = 8.0
FUZZY_SUGGEST: Final = 60.0
IS_PLACE_ACCEPT: Final = 85.0
IS_PLACE_MAX_WORDS: Final = 5
_FUZZY_LIMIT: Final = 30  # names scored closely enough to look at (several per place)

ChoiceKind = Literal["governorate", "district", "place"]

# Level of a kind when one name names several places (lower wins).
_LEVEL = {"governorate": 0, "district": 1, "subdistrict": 3}
_POINT_LEVEL = 2
_POINT_ORDER = {"city": 0, "village": 2, "neighbourhood": 2}  # among towns and sites; others 1
_LATIN_ARTICLES = frozenset(
    {"al", "el", "ad", "ar", "as", "ash", "at", "az", "an", "ath", "adh", "ed", "er", "es", "et", "ez",
     "en", "the"}
)  # fmt: skip
_SUN_LETTERS = frozenset("tdrzsn")  # "ar-Raqqa" is also written "Arraqqa"
_NON_WORD_RE = re.compile(r"[\W_]+")
_LATIN_RE = re.compile(r"[a-z]")
_ARABIC_ARTICLE = "ال"

# Level words: a qualifier before or after a name picks one level of the places of that name.
_QUALIFIERS: dict[str, str] = {
    "محافظه": "governorate",
    "province": "governorate",
    "governorate": "governorate",
    "منطقه": "district",
    "district": "district",
    "مدينه": "place",
    "بلده": "place",
    "قريه": "place",
    "city": "place",
    "town": "place",
    "village": "place",
    "ريف": "countryside",
    "countryside": "countryside",
    "rural": "countryside",
    "outskirts": "countryside",
}
_QUALIFIER_LINKS = frozenset({"of"})  # "province of Idlib", "city of Homs"


@dataclass(frozen=True, slots=True)
class PlaceChoice:
    """One thing a user may mean: a governorate, a district or a place (town, site, sub-district)."""

    kind: ChoiceKind
    place_id: str  # gazetteer id (governorates and districts are gazetteer places too)
    governorate: str  # fixed English spelling (models.GOVERNORATES)
    district: str | None
    name_en: str
    name_ar: str | None
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a query names.

    - `choice` set: the query names it; `candidates` then holds the other places of that name
      ("Idlib": the governorate, with the district and the city as candidates).
    - `choice` None and `ambiguous`: several places fit equally; up to MAX_AMBIGUOUS `candidates`.
    - `choice` None otherwise: unknown; up to MAX_SUGGESTIONS `candidates` ("did you mean"), maybe none.

    `fuzzy` says typo forgiveness produced the result (the choice, or the candidates of an
    ambiguous or unknown name), so a reply can say "did you mean"; False for exact names.
    """

    query: str
    choice: PlaceChoice | None
    candidates: tuple[PlaceChoice, ...]
    fuzzy: bool
    ambiguous: bool = False


def place_choice(place: Place) -> PlaceChoice:
    """A gazetteer place as a choice."""
    kind: ChoiceKind = (
        "governorate" if place.kind == "governorate" else "district" if place.kind == "district" else "place"
    )
    return PlaceChoice(
        kind=kind,
        place_id=place.id,
        governorate=place.governorate,
        district=None if kind == "governorate" else place.district,
        name_en=place.name_en,
        name_ar=place.name_ar or None,
        lat=place.lat,
        lon=place.lon,
    )


def name_words(text: str) -> list[str]:
    """The folded words of a name: `normalize_text`, accents and hamza carriers folded, no punctuation."""
    folded = normalize_text(text)
    decomposed = unicodedata.normalize("NFKD", folded)
    if len(decomposed) != len(folded):  # accents ("Ḩamāh") or hamza on و / ي ("ؤ", "ئ")
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD_RE.sub(" ", folded).split()


def _bare_word(word: str) -> str:
    """A word without its article: "الزور" → "زور", "ezzor" → "zor" ("" for a Latin article alone)."""
    if _LATIN_RE.match(word):
        if word in _LATIN_ARTICLES:
            return ""
        if len(word) >= 5 and word[0] in "ae" and word[1] == word[2] and word[1] in _SUN_LETTERS:
            return word[2:]
        return word
    if word.startswith(_ARABIC_ARTICLE) and len(word) >= 4:
        return word[2:]
    return word


def name_keys(words: Sequence[str]) -> tuple[str, str]:
    """The two keys of a folded name: as written, and without articles (both without spaces)."""
    full = "".join(words)
    bare = "".join(_bare_word(w) for w in words) or full
    return full, bare


MatchStatus = Literal["exact", "fuzzy", "ambiguous", "suggestions"]


@dataclass(frozen=True, slots=True)
class _Match:
    """Places a query names, and how: exactly, by one clear typo, ambiguously, or only suggested."""

    status: MatchStatus
    places: tuple[Place, ...] = ()


_NOTHING = _Match("suggestions")


class PlaceResolver:
    """Resolves what users type to gazetteer places (see the module docstring for the rules)."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        """Use `gazetteer` (default: `Gazetteer.default()`, loaded on the first query)."""
        self._gazetteer = gazetteer
        self._index: dict[str, tuple[Place, ...]] | None = None
        self._keys: list[str] = []
        self._districts: dict[tuple[str, str], Place] = {}
        self._building = threading.Lock()  # handlers may run in worker threads

    # -- public API --

    def prepare(self) -> None:
        """Load the gazetteer and build the name index now, rather than on the first query."""
        self._ensure_index()

    def resolve(self, query: str) -> Resolution:
        """What `query` names: a choice, ambiguous candidates, or suggestions (see `Resolution`)."""
        text = query.strip()
        if not text or len(text) > MAX_QUERY_LENGTH:
            return Resolution(query, None, (), fuzzy=False)
        words = name_words(text)
        if not words:
            return Resolution(query, None, (), fuzzy=False)
        exact = self._exact(words)
        if exact is not None:
            return self._resolution(query, exact)
        return self._resolution(query, self._fuzzy(words, accept=FUZZY_ACCEPT))

    def is_place(self, text: str) -> Resolution | None:
        """The place a whole chat message names, or None: exact, or a near-certain typo only.

        A sentence that merely contains a place name is not a place ("hello", "any news from Idlib?").
        """
        text = text.strip()
        if not text or len(text) > MAX_QUERY_LENGTH:
            return None
        words = name_words(text)
        if not words or len(words) > IS_PLACE_MAX_WORDS:
            return None
        exact = self._exact(words)
        if exact is not None:
            return self._resolution(text, exact)
        match = self._fuzzy(words, accept=IS_PLACE_ACCEPT)
        if match.status != "fuzzy":
            return None
        return self._resolution(text, match)

    # -- exact matching --

    def _exact(self, words: list[str]) -> _Match | None:
        """A level word first ("مدينة إدلب" is the city, though the data list it as a name of the
        governorate), then the name as typed, then "ريف X" / "X countryside" ("ريف دمشق" is a
        governorate's own name, not the countryside of Damascus)."""
        variants = self._proclitic_variants(words)
        for lookup in (self._qualified, self._lookup, self._countryside_of):
            for form in variants:
                places = lookup(form)
                if places:
                    return _Match("exact", places)
        return None

    @staticmethod
    def _proclitic_variants(words: list[str]) -> list[list[str]]:
        """The words, then the words with و ب ل stripped from the first one ("بدير" → "دير").

        Not ف or ك, which begin names more often than a user types them before one: "فاطمة" is
        not ف + "أطمة". Nor when fewer than 3 letters would be left ("وين" is not و + "ين").
        """
        first = words[0]
        variants = [words]
        for form in proclitic_forms(first)[1:]:
            # ل + ال is written لل: "للرقة" gives "الرقة", one letter longer than what it replaced.
            cut = len(first) - len(form) + (0 if first.endswith(form) else 1)
            prefix = first[:cut]
            if len(form) >= 3 and "ف" not in prefix and "ك" not in prefix:
                variants.append([form, *words[1:]])
        return variants

    def _lookup(self, words: Sequence[str]) -> tuple[Place, ...]:
        index = self._ensure_index()
        full, bare = name_keys(words)
        return index.get(full) or index.get(bare) or ()

    def _qualified(self, words: list[str]) -> tuple[Place, ...]:
        """Places named with a level word: "محافظة إدلب", "Idlib province", "city of Homs"."""
        level, rest = _split_qualifier(words)
        if level is None or level == "countryside":
            return ()
        places = self._lookup(rest)
        # "Aleppo district": no district has that name; the name itself still counts.
        return tuple(p for p in places if _choice_kind(p) == level) or places

    def _countryside_of(self, words: list[str]) -> tuple[Place, ...]:
        """The area a "ريف حلب", "Aleppo countryside", "rural Hama" names."""
        level, rest = _split_qualifier(words)
        if level != "countryside":
            return ()
        places = self._lookup(rest)
        return self._countryside(places) if places else ()

    def _countryside(self, places: Sequence[Place]) -> tuple[Place, ...]:
        """The area around a name: its governorate, else its district, else the district of its town."""
        best = _by_level(places)
        top = [p for p in best if p.kind == best[0].kind]
        if best[0].kind in ("governorate", "district"):
            return tuple(top)
        districts = {self._districts.get((p.governorate, p.district)) for p in top if p.district is not None}
        found = tuple(d for d in districts if d is not None)
        return found or tuple(top)

    # -- fuzzy matching --

    def _fuzzy(self, words: list[str], *, accept: float) -> _Match:
        """The places of the closest names: one accepted, several ambiguous, or suggestions."""
        index = self._ensure_index()
        _, bare = name_keys(words)
        if len(bare) < 2:
            return _NOTHING
        scored = process.extract(
            bare,
            self._keys,
            scorer=OSA.normalized_similarity,
            limit=_FUZZY_LIMIT,
            score_cutoff=FUZZY_SUGGEST / 100,
        )
        # Names that share a place are one option (the governorate, district and city of Idlib).
        groups: list[tuple[float, set[str], dict[str, Place]]] = []
        for key, similarity, _ in scored:
            score = similarity * 100
            places = index[key]
            ids = {p.id for p in places}
            for _, group_ids, group_places in groups:
                if group_ids & ids:
                    group_ids.update(ids)
                    group_places.update((p.id, p) for p in places)
                    break
            else:
                groups.append((score, ids, {p.id: p for p in places}))
        if not groups:
            return _NOTHING
        best_score = groups[0][0]
        runner_up = groups[1][0] if len(groups) > 1 else 0.0
        if best_score < accept:
            return _Match("suggestions", tuple(_by_level(g[2].values())[0] for g in groups))
        if best_score - runner_up >= FUZZY_MARGIN:
            return _Match("fuzzy", tuple(groups[0][2].values()))
        close = [g for g in groups if g[0] > best_score - FUZZY_MARGIN]
        return _Match("ambiguous", tuple(_by_level(g[2].values())[0] for g in close))

    # -- results --

    @staticmethod
    def _resolution(query: str, match: _Match) -> Resolution:
        fuzzy = match.status != "exact"
        if match.status == "suggestions":
            suggestions = _options(match.places)[:MAX_SUGGESTIONS]
            return Resolution(query, None, suggestions, fuzzy=bool(suggestions))
        if match.status == "ambiguous":
            return Resolution(query, None, _options(match.places)[:MAX_AMBIGUOUS], fuzzy=True, ambiguous=True)
        ranked = _by_level(match.places)
        top = [p for p in ranked if _level(p) == _level(ranked[0])]
        if len(top) > 1:  # two towns of one name, in two governorates
            return Resolution(query, None, _options(ranked)[:MAX_AMBIGUOUS], fuzzy=fuzzy, ambiguous=True)
        others = _options(ranked[1:])[: MAX_AMBIGUOUS - 1]
        return Resolution(query, place_choice(ranked[0]), others, fuzzy=fuzzy)

    def _ensure_index(self) -> dict[str, tuple[Place, ...]]:
        index = self._index
        if index is None:
            with self._building:
                if self._index is None:
                    self._index = self._build_index()
                index = self._index
        return index

    def _build_index(self) -> dict[str, tuple[Place, ...]]:
        gazetteer = self._gazetteer if self._gazetteer is not None else Gazetteer.default()
        self._gazetteer = gazetteer
        index: dict[str, dict[str, Place]] = {}
        for place in gazetteer.places():
            if place.kind == "district":
                self._districts[(place.governorate, place.name_en)] = place
            for name in _names(place):
                words = name_words(name)
                if not words:
                    continue
                for key in name_keys(words):
                    index.setdefault(key, {})[place.id] = place
        frozen = {key: tuple(places.values()) for key, places in index.items()}
        self._keys = sorted(frozen)
        return frozen


def _split_qualifier(words: list[str]) -> tuple[str | None, list[str]]:
    """A level word before or after a name ("محافظة", "province", "ريف", "city of"), and the name."""
    if len(words) < 2:
        return None, words
    if words[0] in _QUALIFIERS:
        rest = words[2:] if words[1] in _QUALIFIER_LINKS else words[1:]
        return (_QUALIFIERS[words[0]], rest) if rest else (None, words)
    if words[-1] in _QUALIFIERS:
        return _QUALIFIERS[words[-1]], words[:-1]
    return None, words


def _names(place: Place) -> Iterable[str]:
    return dict.fromkeys((place.name_en, place.name_ar, *place.aliases))


def _choice_kind(place: Place) -> str:
    return place.kind if place.kind in ("governorate", "district") else "place"


def _level(place: Place) -> int:
    return _LEVEL.get(place.kind, _POINT_LEVEL)


def _by_level(places: Iterable[Place]) -> list[Place]:
    """Places best first: governorate, district, town or site (cities first), sub-district."""
    return sorted(places, key=lambda p: (_level(p), _POINT_ORDER.get(p.kind, 1)))


def _options(places: Iterable[Place]) -> tuple[PlaceChoice, ...]:
    """Places as choices, best level first, without a sub-district beside a town of its district."""
    ranked = _by_level(dict.fromkeys(places))
    towns = {(p.governorate, p.district) for p in ranked if _level(p) == _POINT_LEVEL}
    kept = [p for p in ranked if not (p.kind == "subdistrict" and (p.governorate, p.district) in towns)]
    return tuple(place_choice(p) for p in kept)
