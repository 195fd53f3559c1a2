"""What a user subscribes to: event categories, the `/subscribe` grammar, and the matching rule.

Pure: text in, data out. Reads `bot/data/categories.yaml` once, lazily, and checks every ACLED code
it names against the taxonomy of `summarizer/data/events.yaml`; errors (`DataFileError`) name the
file and the line of the entry.

`/subscribe` arguments, Arabic or English, in any order; the filters combine (all must match):
- a category word, one of a category's aliases ("airstrikes", "غارات", "air strike") → `category`;
- a death toll: "killed>=5", "killed 5+", "5+ killed", "≥5 killed", "at least 5 killed", "قتلى 5",
  "قتلى>=5", "10 قتلى" → `min_killed` (a whole number, 0 to MAX_KILLED; ">5" means 6 or more);
- a keyword: "quoted words", «كلمات», “…”, or everything after `keyword:` / `كلمة:` → `keyword`,
  kept as typed (whitespace collapsed) and matched literally, folded, as a substring of the event's
  text; at most MAX_KEYWORD characters;
- everything left, minus filler words ("in", "في", "news", ...), is a place name for the resolver.
A category word mistyped ("airstrkes") is forgiven only when the rest then names a place or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.resolve import PlaceChoice, PlaceResolver, name_words
from summarizer.lexicon import proclitic_forms
from summarizer.resources import DataFileError, load_yaml
from summarizer.textnorm import normalize_text

CATEGORIES_FILE: Final = "bot/data/categories.yaml"
EVENTS_FILE: Final = "summarizer/data/events.yaml"
MAX_TEXT: Final = 200
MAX_KEYWORD: Final = 64
MAX_KILLED: Final = 100_000
ALIAS_TYPO_ACCEPT: Final = 85.0  # OSA similarity: one typo in 7 letters ("airstrkes", "shellng")
ALIAS_TYPO_MIN_LENGTH: Final = 5  # shorter words are forgiven nothing ("riot" vs "root")
ALIAS_TYPO_MARGIN: Final = 8.0
_MAX_ALIAS_WORDS: Final = 4

_ARABIC_INDIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_KILLED_WORD = (
    r"(?:killed|dead|deaths?|death\s+toll|fatalities|"
    r"(?:ال)?قت[لي][ىي]|قتيل(?:اً?)?|(?:ال)?ضحايا|وفيات|(?:ال)?شهداء)"
)
_NUMBER = r"(?P<{name}>-?\d+(?:[.,]\d+)?)"
_OP_AFTER = r"(?P<op_a>>=|=>|≥|≧|>|=|:)?"
_OP_BEFORE = r"(?P<op_b>>=|=>|≥|≧|>|at\s+least|more\s+than|over|أكثر\s+من|اكثر\s+من|على\s+الأقل)?"
_KILLED_RE = re.compile(
    rf"(?<!\w)(?:{_KILLED_WORD}\s*{_OP_AFTER}\s*{_NUMBER.format(name='a')}(?P<plus_a>\s*\+)?"
    rf"|{_OP_BEFORE}\s*{_NUMBER.format(name='b')}(?P<plus_b>\s*\+)?\s*{_KILLED_WORD})(?!\w)",
    re.IGNORECASE,
)
_KILLED_WORD_RE = re.compile(rf"(?<!\w){_KILLED_WORD}(?!\w)", re.IGNORECASE)
_NEXT_WORD_RE = re.compile(r"\s*\S*")
_STRICT_OPS = frozenset({">", "more than", "over", "أكثر من", "اكثر من"})
_KEYWORD_MARK_RE = re.compile(r"(?<!\w)(?:keyword|كلمة|كلمه|الكلمة)\s*[:：=]\s*", re.IGNORECASE)
_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“", "”": "”", "»": "«"}
_OPENING_RE = re.compile("[" + re.escape("".join(_QUOTES)) + "]")
_TOKEN_SPLIT_RE = re.compile(r"[\s,،;؛]+")
_WORD_RE = re.compile(r"\w")
_FILLERS = frozenset(
    {
        "in", "at", "on", "for", "about", "from", "and", "with", "of", "news", "alerts", "events",
        "في", "على", "عن", "من", "حول", "و", "مع", "ب", "اخبار", "أخبار", "تنبيهات", "احداث", "أحداث",
    }
)  # fmt: skip


# --- Categories -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Category:
    """A user-facing category of events and the ACLED event types or sub-types it covers."""

    code: str
    label_en: str
    label_ar: str
    matches: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Catalogue:
    categories: tuple[Category, ...]
    by_code: Mapping[str, Category]
    by_alias: Mapping[str, Category]  # alias key -> category
    typo_keys: tuple[str, ...]  # alias keys long enough to forgive a typo in


def alias_key(text: str) -> str:
    """The folded form aliases are compared in: case, diacritics, letter variants, hyphens, spaces
    and the Arabic article removed ("Air-strike" → "airstrike", "الغارات" → "غارات")."""
    return "".join(_without_article(w) for w in name_words(text))


def _without_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) >= 4 else word


def load_categories(path: Path | None = None) -> tuple[Category, ...]:
    """Read and validate a categories file (default: the package's `bot/data/categories.yaml`)."""
    return _catalogue(path).categories


@cache
def categories() -> tuple[Category, ...]:
    """The package's categories, in file order."""
    return _default_catalogue().categories


def category_by_code(code: str) -> Category | None:
    """The category with this code, or None."""
    return _default_catalogue().by_code.get(code)


def category_for(word: str) -> Category | None:
    """The category a word or phrase names (an alias, folded; one typo forgiven in longer words)."""
    catalogue = _default_catalogue()
    keys = _proclitic_keys(name_words(word))
    for key in keys:
        if key in catalogue.by_alias:
            return catalogue.by_alias[key]
    return _typo_category(keys[0], catalogue) if keys else None


def acled_codes(code: str) -> tuple[str, ...]:
    """The ACLED event types and sub-types a category code covers; any other code stands for itself
    (a subscription may hold an ACLED code directly)."""
    category = category_by_code(code)
    return category.matches if category is not None else (code,)


def category_matches(code: str, event_types: Sequence[str], sub_event_types: Sequence[str]) -> bool:
    """Whether an event with these ACLED types and sub-types is in the category (or is the code)."""
    codes = acled_codes(code)
    return any(c in codes for c in (*event_types, *sub_event_types))


def matching_category_codes(event_types: Sequence[str], sub_event_types: Sequence[str]) -> tuple[str, ...]:
    """The category codes an event is in: with the event's own types and sub-types, the values an
    `event_category IN (...)` query must accept."""
    present = {*event_types, *sub_event_types}
    return tuple(c.code for c in categories() if present.intersection(c.matches))


def _proclitic_keys(words: list[str]) -> list[str]:
    """Alias keys of the words, then of the words with و ف ب ل ك stripped from the first one."""
    if not words:
        return []
    keys = [alias_key(" ".join(words))]
    for form in proclitic_forms(words[0])[1:]:
        key = alias_key(" ".join([form, *words[1:]]))
        if key not in keys:
            keys.append(key)
    return keys


def _typo_category(key: str, catalogue: _Catalogue) -> Category | None:
    """The category of the one alias a word is a typo of, if it is clearly one."""
    if len(key) < ALIAS_TYPO_MIN_LENGTH:
        return None
    scored = process.extract(
        key, catalogue.typo_keys, scorer=OSA.normalized_similarity, limit=10, score_cutoff=0.6
    )
    best: tuple[float, Category] | None = None
    runner_up = 0.0
    for alias, similarity, _ in scored:
        category = catalogue.by_alias[alias]
        score = similarity * 100
        if best is None:
            best = (score, category)
        elif category.code != best[1].code:
            runner_up = max(runner_up, score)
    if best is None or best[0] < ALIAS_TYPO_ACCEPT or best[0] - runner_up < ALIAS_TYPO_MARGIN:
        return None
    return best[1]


@cache
def _default_catalogue() -> _Catalogue:
    return _catalogue(None)


@cache
def _acled_taxonomy() -> frozenset[str]:
    """Every ACLED event type and sub-event type the tagger uses (summarizer/data/events.yaml)."""
    taxonomy = load_yaml("events.yaml").get("taxonomy")
    if not isinstance(taxonomy, dict):
        raise DataFileError(f"{EVENTS_FILE}: 'taxonomy' must map event types to sub-types")
    codes = set(taxonomy)
    for subs in taxonomy.values():
        codes.update(s for s in subs or () if isinstance(s, str))
    return frozenset(codes)


def _catalogue(path: Path | None) -> _Catalogue:
    if path is None:
        where = CATEGORIES_FILE
        text = resources.files("bot").joinpath("data").joinpath("categories.yaml").read_text(encoding="utf-8")
    else:
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataFileError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataFileError(f"{where}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list) or not data["categories"]:
        raise DataFileError(f"{where}: expected a mapping with a non-empty 'categories' list")
    lines = _entry_lines(root)
    taxonomy = _acled_taxonomy()
    parsed: list[Category] = []
    by_code: dict[str, Category] = {}
    by_alias: dict[str, Category] = {}
    for position, entry in enumerate(data["categories"]):
        line = lines[position] if position < len(lines) else 0
        category = _parse_category(entry, f"{where}:{line}", taxonomy)
        if category.code in by_code:
            raise DataFileError(f"{where}:{line}: category {category.code!r} is listed twice")
        by_code[category.code] = category
        for alias in (category.code, category.label_en, category.label_ar, *category.aliases):
            key = alias_key(alias)
            other = by_alias.get(key)
            if other is not None and other is not category:
                raise DataFileError(
                    f"{where}:{line}: category {category.code!r}: alias {alias!r} already names "
                    f"{other.code!r}"
                )
            by_alias[key] = category
        parsed.append(category)
    typo_keys = tuple(k for k in by_alias if len(k) >= ALIAS_TYPO_MIN_LENGTH)
    return _Catalogue(tuple(parsed), by_code, by_alias, typo_keys)


def _entry_lines(root: yaml.Node | None) -> list[int]:
    """The 1-based line of each entry of the top-level 'categories' sequence."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "categories"
            and isinstance(value, yaml.SequenceNode)
        ):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _parse_category(entry: Any, where: str, taxonomy: frozenset[str]) -> Category:
    if not isinstance(entry, dict):
        raise DataFileError(f"{where}: a category must be a mapping with code, labels, aliases, matches")
    code = entry.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", code):
        raise DataFileError(f"{where}: 'code' must be a lower-case identifier, not {code!r}")
    where = f"{where} ({code})"
    labels = entry.get("labels")
    if not isinstance(labels, dict) or not all(
        isinstance(labels.get(lang), str) and labels[lang].strip() for lang in ("en", "ar")
    ):
        raise DataFileError(f"{where}: 'labels' must give 'en' and 'ar' texts")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and alias_key(a) for a in aliases):
        raise DataFileError(f"{where}: 'aliases' must be a list of words or phrases")
    matches = entry.get("matches")
    if not isinstance(matches, list) or not matches or not all(isinstance(m, str) for m in matches):
        raise DataFileError(f"{where}: 'matches' must be a non-empty list of ACLED event types or sub-types")
    for match in matches:
        if match not in taxonomy:
            raise DataFileError(
                f"{where}: unknown ACLED code {match!r}: not an event type or sub-type of {EVENTS_FILE}"
            )
    unknown = set(entry) - {"code", "labels", "aliases", "matches"}
    if unknown:
        raise DataFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    return Category(code, labels["en"].strip(), labels["ar"].strip(), tuple(matches), tuple(aliases))


# --- Subscriptions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """What a `/subscribe` asks for; None matches anything."""

    place: PlaceChoice | None = None
    category: Category | None = None
    keyword: str | None = None
    min_killed: int | None = None


@dataclass(frozen=True, slots=True)
class FilterError:
    """Why a `/subscribe` cannot be understood: a message key, its parameters, places to offer.

    Keys: "subscribe.empty", "subscribe.too_long" {limit}, "subscribe.unknown_place" {query}
    (candidates: suggestions, maybe none), "subscribe.ambiguous_place" {query} (candidates: the
    options), "subscribe.bad_number" {value, limit}, "subscribe.two_numbers" {first, second},
    "subscribe.empty_keyword", "subscribe.keyword_too_long" {limit}, "subscribe.two_keywords"
    {first, second}, "subscribe.two_categories" {first, second} (category codes). Parameters are
    plain text as the user typed it: escape them for HTML.
    """

    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    candidates: tuple[PlaceChoice, ...] = ()


class _RefusedError(Exception):
    """Raised inside the parser with the error to give back."""

    def __init__(self, error: FilterError) -> None:
        super().__init__(error.key)
        self.error = error


def parse_subscription(text: str, resolver: PlaceResolver) -> SubscriptionSpec | FilterError:
    """Read the arguments of `/subscribe` (grammar in the module docstring)."""
    text = text.strip()
    if not text:
        return FilterError("subscribe.empty")
    if len(text) > MAX_TEXT:
        return FilterError("subscribe.too_long", {"limit": str(MAX_TEXT)})
    try:
        keyword, text = _take_keyword(text.translate(_ARABIC_INDIC_DIGITS))
        min_killed, text = _take_killed(text)
        category, place = _take_category_and_place(text, resolver)
    except _RefusedError as refused:
        return refused.error
    if place is None and category is None and keyword is None and min_killed is None:
        return FilterError("subscribe.empty")
    return SubscriptionSpec(place=place, category=category, keyword=keyword, min_killed=min_killed)


def _take_category_and_place(
    text: str, resolver: PlaceResolver
) -> tuple[Category | None, PlaceChoice | None]:
    """The category words of the text, and the place the other words name."""
    tokens = [t for t in _TOKEN_SPLIT_RE.split(text) if _WORD_RE.search(t)]
    category, rest = _take_categories(tokens, typos=False)
    words = _place_words(rest)
    resolution = resolver.resolve(" ".join(words)) if words else None
    if resolution is not None and (resolution.choice is None or resolution.fuzzy):
        # Perhaps a category word was mistyped: forgive it if the rest then names a place (or nothing).
        typo_category, typo_rest = _take_categories(rest, typos=True)
        if typo_category is not None:
            if category is not None and typo_category.code != category.code:
                raise _two("subscribe.two_categories", category.code, typo_category.code)
            typo_words = _place_words(typo_rest)
            second = resolver.resolve(" ".join(typo_words)) if typo_words else None
            if second is None or (second.choice is not None and not second.fuzzy):
                category, words, resolution = typo_category, typo_words, second
    if resolution is None:
        return category, None
    if resolution.choice is not None:
        return category, resolution.choice
    key = "subscribe.ambiguous_place" if resolution.ambiguous else "subscribe.unknown_place"
    raise _RefusedError(FilterError(key, {"query": " ".join(words)}, resolution.candidates))


def _take_keyword(text: str) -> tuple[str | None, str]:
    """The keyword (quoted, or after "keyword:"), and the text without it."""
    found: list[str] = []
    mark = _KEYWORD_MARK_RE.search(text)
    if mark is not None:
        after = text[mark.end() :]
        if after[:1] in _QUOTES:
            value, end = _quoted(after, 0)
            found.append(value)
            text = text[: mark.start()] + " " + after[end:]
        else:
            found.append(after)
            text = text[: mark.start()]
    while (opening := _OPENING_RE.search(text)) is not None:
        value, end = _quoted(text, opening.start())
        found.append(value)
        text = text[: opening.start()] + " " + text[end:]
    if not found:
        return None, text
    keywords = [" ".join(k.split()) for k in found]
    if len({keyword_key(k) for k in keywords}) > 1:
        raise _two("subscribe.two_keywords", keywords[0], keywords[1])
    keyword = keywords[0]
    if not _WORD_RE.search(keyword):
        raise _RefusedError(FilterError("subscribe.empty_keyword"))
    if len(keyword) > MAX_KEYWORD:
        raise _RefusedError(FilterError("subscribe.keyword_too_long", {"limit": str(MAX_KEYWORD)}))
    return keyword, text


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The text between the quote at `start` and its closing quote (or the end), and where it ends."""
    closing = _QUOTES[text[start]]
    end = text.find(closing, start + 1)
    if text[start] in "“”" and end < 0:  # phones pair “ with " as often as with ”
        end = text.find('"', start + 1)
    if end < 0:
        return text[start + 1 :], len(text)
    return text[start + 1 : end], end + 1


def _two(key: str, first: str, second: str) -> _RefusedError:
    return _RefusedError(FilterError(key, {"first": first, "second": second}))


def _bad_number(value: str) -> _RefusedError:
    return _RefusedError(FilterError("subscribe.bad_number", {"value": value, "limit": str(MAX_KILLED)}))


def _take_killed(text: str) -> tuple[int | None, str]:
    """The minimum death toll ("killed>=5", "5+ killed", "قتلى 10"), and the text without it."""
    values: list[int] = []
    pieces: list[str] = []
    position = 0
    for match in _KILLED_RE.finditer(text):
        raw = match.group("a") or match.group("b")
        op = " ".join((match.group("op_a") or match.group("op_b") or "").lower().split())
        if not raw.isdigit():  # "-5", "2.5"
            raise _bad_number(raw)
        value = int(raw) + (1 if op in _STRICT_OPS else 0)
        if value > MAX_KILLED:
            raise _bad_number(raw)
        values.append(value)
        pieces.append(text[position : match.start()])
        position = match.end()
    pieces.append(text[position:])
    rest = " ".join(pieces)
    stray = _KILLED_WORD_RE.search(rest)
    if stray is not None:  # "killed" with no number, or a number we cannot read ("killed>=x")
        following = _NEXT_WORD_RE.match(rest, stray.end())
        raise _bad_number(rest[stray.start() : following.end() if following else stray.end()].strip())
    if len(set(values)) > 1:
        raise _two("subscribe.two_numbers", str(values[0]), str(values[1]))
    return (values[0] if values else None), rest


def _take_categories(tokens: list[str], *, typos: bool) -> tuple[Category | None, list[str]]:
    """The category the tokens name (longest alias first), and the tokens left over."""
    catalogue = _default_catalogue()
    found: Category | None = None
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        hit = _alias_at(tokens, i, catalogue)
        if hit is None and typos:
            keys = _proclitic_keys(name_words(tokens[i]))
            category = _typo_category(keys[0], catalogue) if keys else None
            hit = (1, category) if category is not None else None
        if hit is None:
            rest.append(tokens[i])
            i += 1
            continue
        length, category = hit
        if found is not None and found.code != category.code:
            raise _two("subscribe.two_categories", found.code, category.code)
        found = category
        i += length
    return found, rest


def _alias_at(tokens: list[str], i: int, catalogue: _Catalogue) -> tuple[int, Category] | None:
    """The longest alias starting at token `i`: its length in tokens and its category."""
    for length in range(min(_MAX_ALIAS_WORDS, len(tokens) - i), 0, -1):
        for key in _proclitic_keys(name_words(" ".join(tokens[i : i + length]))):
            if key in catalogue.by_alias:
                return length, catalogue.by_alias[key]
    return None


def _place_words(tokens: list[str]) -> list[str]:
    """The tokens that may name a place: filler words ("in", "في", "news") dropped."""
    fillers = _fillers()
    return [t for t in tokens if normalize_text(t) not in fillers]


@cache
def _fillers() -> frozenset[str]:
    return frozenset(normalize_text(word) for word in _FILLERS)


def spec_columns(spec: SubscriptionSpec) -> dict[str, object]:
    """The filter arguments of `bot.store.add_subscription` for a spec.

    A governorate fills `governorate`, a district `district` only (district names are unique across
    Syria's governorates, and the store matches them against the districts of the event's places),
    a town, site or sub-district `place_id`. `event_category` is the category code (see
    `category_matches` and `matching_category_codes`).
    """
    place = spec.place
    return {
        "place_id": place.place_id if place is not None and place.kind == "place" else None,
        "governorate": place.governorate if place is not None and place.kind == "governorate" else None,
        "district": place.district if place is not None and place.kind == "district" else None,
        "event_category": spec.category.code if spec.category is not None else None,
        "keyword": spec.keyword,
        "min_killed": spec.min_killed,
    }


def keyword_key(text: str) -> str:
    """A keyword or event text as keywords are compared: folded, whitespace collapsed."""
    return " ".join(normalize_text(text).split())


def subscription_matches(
    *,
    place_id: str | None,
    governorate: str | None,
    district: str | None,
    event_category: str | None,
    keyword: str | None,
    min_killed: int | None,
    event_place_ids: Sequence[str],
    event_governorates: Sequence[str],
    event_districts: Sequence[str],
    event_types: Sequence[str],
    sub_event_types: Sequence[str],
    killed: int | None,
    event_text: str,
) -> bool:
    """Whether an event matches a subscription: the pure twin of `store.matching_subscribers`, for
    the daily digest. Each filter set must match; an unknown toll counts as 0."""
    if place_id is not None and place_id not in event_place_ids:
        return False
    if governorate is not None and governorate not in event_governorates:
        return False
    if district is not None and district not in event_districts:
        return False
    if event_category is not None and not category_matches(event_category, event_types, sub_event_types):
        return False
    if min_killed is not None and min_killed > (killed or 0):
        return False
    return not keyword or keyword_key(keyword) in keyword_key(event_text)
