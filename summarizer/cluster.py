"""Near-duplicates and event clustering: which articles tell the same story, and which report the
same event. Pure: text and `Analysis` in, fingerprints, signatures and decisions out; reads
`data/cluster.yaml` (common words) once, lazily.

Near-duplicates (the same story syndicated, or re-published with small edits)
-----------------------------------------------------------------------------
`fingerprint` is a MinHash: the body goes through `summarizer.clean` (site boilerplate), is folded
(`lexicon.fold_sentences`: diacritics, letter variants, case), and its first LEAD_WORDS = 200 words
are cut into word 3-shingles (a CRC-32 per word, combined and mixed by splitmix64 into 64 bits);
each of 128 hash functions h(x) = (a x + b) mod 2^64 >> 32 keeps its minimum over the shingles.
Seeds come from blake2b of fixed labels, never `hash()`, so a text has the same fingerprint in
every process, forever (the stored list starts with SCHEME, which changes if the recipe does).
`similarity` is the share of equal slots: an estimate of the Jaccard similarity of the two
shingle sets. The title is left out (outlets rewrite the headlines of copy they syndicate) unless
the body has no words.

Why only the lead: Sky News Arabia re-runs whole background paragraphs under each new development
of a story, so whole texts of different news reach a Jaccard of 0.7-0.9; the lead is where the news
is. On 39 hand-labelled pairs of such different developments, 18 reach 0.6 on whole texts, 4 on
the lead; on 23 pairs of one story re-published, 16 and 14.

THRESHOLDS. Measured on the ANT corpus (4,856 Arabic articles of Sky News Arabia and France 24,
Feb-Oct 2018, `../shared/data/ant-dev`), whose texts stay out of the repository:

- The estimate: on 800 pairs it is within +0.01 (bias) +- 0.037 (standard deviation) of the exact
  Jaccard similarity of the same shingle sets.
- Same story, edited (synthetic, from 1,500 ANT articles of 60 words or more): a foreign footer
  of 12-30 words 100% >= 0.6; another title 100%; the last paragraph dropped 97.9% (1st percentile
  0.47: articles of three short paragraphs); the last two paragraphs swapped 99.7%; the first
  figures of the toll sentence changed 100% (1st percentile 0.80); all four at once 84.7% (median
  0.81). On the 25 English items of tests/data/tagger_gold_en.jsonl (short, most of one
  paragraph, so rarely truncated): 96%, 100%, 100%, 100%, 100%, 84%. The 45 ANT texts published
  twice: all 1.0.
- Different stories: of the 11.4 million ANT pairs published more than 72 hours apart, none
  reaches 0.6 and 5 reach 0.5 (templated reports: Houthi missiles intercepted, drones downed near
  Hmeimim, at most 0.55).
- So DUPLICATE_THRESHOLD = 0.6: the lowest value that matches none of those pairs, with 98% or
  more of single edits still matched. Rewrites are not duplicates: of 47 pairs where France 24 and
  Sky News Arabia ran the same AFP story the same day (own standfirst, own spellings, "داعش" for
  "تنظيم الدولة الإسلامية"), 6 reach 0.6 (median 0.37); event clustering is what joins those.
- Speed: 0.19 ms per ANT article on average (median 0.18, 99th percentile under 0.4; one core of
  this machine), most of it folding; only the first lines holding about 400 words are read.

Event clustering (articles about one event: one alert, several sources)
------------------------------------------------------------------------
An `EventSignature` holds the specific places (gazetteer ids of precision 1 or 2), governorates,
ACLED sub-event types, tolls, first and last publication time, fingerprint and 20 salient terms
(`salient_terms`: stemmed content terms weighted 3 for the title, 2 per occurrence in the first 50
terms, 1 after; the news' most common words, `data/cluster.yaml`, left out). `same_event(a, b)`:

1. Both fit in the window: from the first report of either to the last, at most `window`
   (DEFAULT_WINDOW = 24 h; ACLED counts an event per day).
2. Near-duplicates (similarity >= 0.6) are the same event, whatever was tagged.
3. Sub-event types overlap, or one side has none (a follow-up: a toll, a denial, a reaction);
   disjoint types are different events.
4. Places: one specific place in common sets the base similarity needed: 0.15 when the types
   overlap, 0.25 for a follow-up. Both sides with specific places, none in common: different
   events. Otherwise (a side names only governorates) the same governorate, base 0.5; else no.
5. The text similarity, the larger of the fingerprints' `overlap` (estimated containment of the
   smaller shingle set) and the share of the smaller term set found in the other, must reach the
   base plus `decay` (0.3) times the span as a share of the window.

`event_match_score` is 0.0 when the rule says no, else 0.6 x text similarity + 0.2 x (1 - span /
window) + 0.1 x Jaccard of the specific places + 0.1 x Jaccard of the types; `best_match` takes the
highest. `merge` gives an event's running signature: the union of places, governorates and types,
the span of both, the union fingerprint (slot-wise minimum), the first article's terms then the
others' (up to EVENT_TERMS), and for killed and for injured the highest figure reported: reports of
one event revise tolls upwards as bodies are found and the wounded die, and the tagger's figures
already leave out the parties' claims. A lower later figure (a correction) is therefore not taken;
keep each article's figures to show one.

Evidence: 124 pairs of Syria-related ANT articles published within 48 hours that share a place
or governorate, stratified by text similarity and labelled by hand (same event: the same
incident, its toll updates, denials and reactions; otherwise different); 24 of the 50 same-event
pairs are cross-outlet. Time separates them best: with a specific place and a type in common,
same-event pairs were a median 7 hours apart, different ones 27 hours (campaigns such as Eastern
Ghouta or Afrin bring similar reports every day). On those 83 pairs, a flat 0.25 within 36 hours
joined 19 of 38 same-event pairs and 11 of 45 different ones; 0.15 plus 0.3 x span / 36 h joined
23 and 5 (a grid search for the best F0.5 there gave a base of 0.13-0.15 and a decay near 0.3).
Within 24 hours the window does most of that work (flat 0.25: 18 and 6; the defaults: 18 and 5),
and 24 hours clustered best online (below). Follow-ups need more text in common: a flat 0.25
within 36 hours joins 3 of 16 different follow-up pairs, the defaults none (and 3 of 9 same-event
ones). With the defaults, pair by pair: 21 of 50 same-event pairs joined (of the 29 missed, 18 have
too little text in common, 8 are more than 24 hours apart, 3 have disjoint types or no place in
common), 5 of 74 different ones. Run online over the 1,249 Syria-related articles in time order
(`best_match` against each open event's merged signature, then `merge`): 1,001 events, 135 of them
with several articles, the largest 15 (the US-UK-French strikes of 14 April 2018); 29 of the 50
same-event pairs end in one event, 7 of the 74 different ones (windows of 30 and 36 hours: 29 and
7, 30 and 10). `signature` costs 0.6 ms after `analyze`, `event_match_score` 5 us, `best_match`
0.07 ms against the 7 events open on average.

Limits: articles in different languages share no terms or shingles, so they never join one event
(places and types alone are not trusted, and no labelled cross-language pairs could set a rule);
the tagger's types are noisy (3 of the 50 same-event pairs had disjoint types); and 124 labelled
pairs bound what these figures can show.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from summarizer.clean import clean_text
from summarizer.lexicon import fold_sentences
from summarizer.models import Analysis
from summarizer.resources import DataFileError, load_yaml
from summarizer.textnorm import analyzer_for

K = TypeVar("K", bound=Hashable)
_U64 = npt.NDArray[np.uint64]

_FILE = "cluster.yaml"

PERMUTATIONS = 128
"""MinHash slots per fingerprint: the standard error of a similarity is about 0.04 at 0.6."""
SHINGLE_WORDS = 3
"""Words per shingle."""
LEAD_WORDS = 200
"""Only the first words of the body are fingerprinted (see THRESHOLDS: reused background)."""
SCHEME = 1
"""Version of the fingerprint recipe, stored first in `Fingerprint.to_list()`: fingerprints of
different schemes are not comparable, and `from_list` refuses them."""
DUPLICATE_THRESHOLD = 0.6
"""Estimated Jaccard similarity from which two fingerprints are the same story."""

_HEAD_CHARS = 40 * LEAD_WORDS  # words average 5-7 characters in Arabic and English news
_EMPTY = 1 << 32  # above every 32-bit slot value: the slots of a text without words
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # combines a shingle's word hashes (odd, 64-bit)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's finaliser constants
_MIX2 = np.uint64(0x94D049BB133111EB)


# --- Near-duplicates -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """MinHash of a text's word shingles: one 32-bit minimum per permutation, and the number of
    distinct shingles (0 for a text without words; an estimate after `merge_fingerprints`)."""

    hashes: tuple[int, ...]
    shingles: int

    @property
    def empty(self) -> bool:
        """True for the fingerprint of a text without words: similar to nothing."""
        return self.shingles == 0

    def to_list(self) -> list[int]:
        """`[SCHEME, shingles, *hashes]`: plain ints for a database column (JSON or an int array)."""
        return [SCHEME, self.shingles, *self.hashes]

    @classmethod
    def from_list(cls, values: Sequence[int]) -> Fingerprint:
        """The fingerprint `to_list` gave; ValueError for another scheme, length or range."""
        if len(values) != PERMUTATIONS + 2:
            raise ValueError(f"fingerprint: expected {PERMUTATIONS + 2} values, got {len(values)}")
        scheme, shingles, *hashes = (int(v) for v in values)
        if scheme != SCHEME:
            raise ValueError(f"fingerprint: scheme {scheme} is not the current scheme {SCHEME}")
        if shingles < 0 or any(not 0 <= h <= _EMPTY for h in hashes):
            raise ValueError("fingerprint: values out of range")
        return cls(tuple(hashes), shingles)


def _seed(label: str, index: int) -> int:
    # blake2b, not hash(): the same seeds in every process and on every machine, forever.
    digest = hashlib.blake2b(f"syria-alerts/minhash/{label}/{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@cache
def _permutations() -> tuple[_U64, _U64]:
    """Multipliers (odd) and increments of the hash family h(x) = (a x + b) mod 2^64 >> 32."""
    a = np.array([_seed("a", i) | 1 for i in range(PERMUTATIONS)], dtype=np.uint64)
    b = np.array([_seed("b", i) for i in range(PERMUTATIONS)], dtype=np.uint64)
    return a[:, np.newaxis], b[:, np.newaxis]


def _shingle_hashes(words: Sequence[str]) -> _U64:
    """64-bit hashes of the word shingles (one shingle of all words when there are fewer)."""
    count = len(words)
    word_hashes = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=count)
    size = max(1, count - SHINGLE_WORDS + 1)
    combined = np.zeros(size, dtype=np.uint64)
    for offset in range(min(SHINGLE_WORDS, count)):
        # uint64 arrays wrap silently: polynomial hashing modulo 2^64.
        combined = combined * _MULTIPLIER + word_hashes[offset : offset + size]
    combined ^= combined >> np.uint64(30)  # splitmix64's finaliser: every input bit moves every bit
    combined *= _MIX1
    combined ^= combined >> np.uint64(27)
    combined *= _MIX2
    combined ^= combined >> np.uint64(31)
    return np.unique(combined)


def _fingerprint_words(words: Sequence[str]) -> Fingerprint:
    if not words:
        return Fingerprint((_EMPTY,) * PERMUTATIONS, 0)
    shingles = _shingle_hashes(words)
    a, b = _permutations()
    slots = ((a * shingles[np.newaxis, :] + b) >> np.uint64(32)).min(axis=1)
    return Fingerprint(tuple(int(v) for v in slots.tolist()), len(shingles))


def fingerprint(text: str, title: str | None = None) -> Fingerprint:
    """MinHash of the word 3-shingles of the first LEAD_WORDS folded words of the body, site
    boilerplate removed (`summarizer.clean`); the title counts only when the body has no words, as
    outlets rewrite the headlines of syndicated copy."""
    return _fingerprint_cleaned(clean_text(_head(text)), title)


def _head(text: str) -> str:
    """The first lines of `text` holding about twice LEAD_WORDS words (cleaning may drop some):
    folding a long article whole would cost more than the rest of its fingerprint."""
    budget = 2 * LEAD_WORDS
    start = 0
    while budget > 0 and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        budget -= text.count(" ", start, end) + 1
        start = end + 1
    head = text[:start]
    if len(head) > _HEAD_CHARS:  # a text in one huge line: cut between words
        cut = head.rfind(" ", 0, _HEAD_CHARS)
        head = head[: cut if cut > 0 else _HEAD_CHARS]
    return head


def _fingerprint_cleaned(body: str, title: str | None) -> Fingerprint:
    body_words, title_words = fold_sentences([body, title or ""])
    return _fingerprint_words((body_words or title_words)[:LEAD_WORDS])


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two shingle sets (0.0 when either text had no words)."""
    if a.empty or b.empty:
        return 0.0
    same = sum(x == y for x, y in zip(a.hashes, b.hashes, strict=True))
    return same / PERMUTATIONS


def is_near_duplicate(a: Fingerprint, b: Fingerprint, threshold: float = DUPLICATE_THRESHOLD) -> bool:
    """Whether two fingerprints are the same story (syndicated, or re-published with small edits)."""
    return similarity(a, b) >= threshold


class DuplicateIndex(Generic[K]):
    """Finds near-duplicates among many fingerprints without comparing with each one: MinHash LSH.

    The 128 hashes are cut into `bands` bands of `PERMUTATIONS // bands` rows; two fingerprints are
    candidates when one band is identical, and candidates are then checked with `similarity`. With
    32 bands of 4 rows, a pair at Jaccard 0.6 becomes a candidate with probability 0.99, a pair at
    0.3 with 0.23, and unrelated stories (Jaccard near 0) almost never.
    """

    def __init__(self, bands: int = 32) -> None:
        if PERMUTATIONS % bands:
            raise ValueError(f"bands must divide {PERMUTATIONS}, got {bands}")
        self._rows = PERMUTATIONS // bands
        self._buckets: dict[tuple[int, tuple[int, ...]], list[K]] = {}
        self._prints: dict[K, Fingerprint] = {}

    def __len__(self) -> int:
        return len(self._prints)

    def _keys(self, fp: Fingerprint) -> list[tuple[int, tuple[int, ...]]]:
        rows = self._rows
        return [(band, fp.hashes[band * rows : (band + 1) * rows]) for band in range(PERMUTATIONS // rows)]

    def add(self, key: K, fp: Fingerprint) -> None:
        """Index `fp` under `key` (a text without words is not indexed: it duplicates nothing)."""
        if fp.empty or key in self._prints:
            return
        self._prints[key] = fp
        for bucket in self._keys(fp):
            self._buckets.setdefault(bucket, []).append(key)

    def find(self, fp: Fingerprint, threshold: float = DUPLICATE_THRESHOLD) -> K | None:
        """The indexed key most similar to `fp` at `threshold` or above (on a tie, the first met)."""
        if fp.empty:
            return None
        best: K | None = None
        best_score = threshold
        seen: set[K] = set()
        for bucket in self._keys(fp):
            for key in self._buckets.get(bucket, ()):
                if key in seen:
                    continue
                seen.add(key)
                score = similarity(fp, self._prints[key])
                if score > best_score or (score == best_score and best is None):
                    best, best_score = key, score
        return best


def overlap(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated share of the smaller shingle set found in the other (containment), from the
    Jaccard estimate J and the set sizes: |A ∩ B| = J (|A| + |B|) / (1 + J)."""
    return _overlap(a, b, similarity(a, b))


def _overlap(a: Fingerprint, b: Fingerprint, jaccard: float) -> float:
    if jaccard == 0.0:
        return 0.0
    common = jaccard * (a.shingles + b.shingles) / (1.0 + jaccard)
    return min(1.0, common / min(a.shingles, b.shingles))


def merge_fingerprints(a: Fingerprint, b: Fingerprint) -> Fingerprint:
    """The fingerprint of the union of both shingle sets (slot-wise minimum), size estimated."""
    if a.empty or b.empty:
        return b if a.empty else a
    jaccard = similarity(a, b)
    union = round((a.shingles + b.shingles) / (1.0 + jaccard))
    return Fingerprint(tuple(min(x, y) for x, y in zip(a.hashes, b.hashes, strict=True)), union)


# --- Event clustering ------------------------------------------------------------------------

TERMS = 20
"""Salient terms kept per article."""
EVENT_TERMS = 60
"""Salient terms kept for an event (its articles' terms, first article first)."""
DEFAULT_WINDOW = timedelta(hours=24)
"""All reports of one event fall within this span (from its first article to its last)."""


@dataclass(frozen=True, slots=True)
class MatchRules:
    """The text similarity an article needs to join an event: a base by how well places and event
    types agree, plus `decay` times the span of both as a share of the window (module docstring)."""

    same_place_and_type: float = 0.15  # a specific place and a sub-event type in common
    follow_up: float = 0.25  # a specific place in common, one side without an event type
    governorate_only: float = 0.5  # one side without a specific place: same governorate only
    decay: float = 0.3  # added at the edge of the window: later reports must be more alike
    duplicate: float = DUPLICATE_THRESHOLD  # near-duplicates report one event whatever was tagged


DEFAULT_RULES = MatchRules()


@dataclass(frozen=True, slots=True)
class EventSignature:
    """What event clustering compares: where, what, when, how many, and the text's gist.

    An article's signature comes from `signature`; an event's running signature is the `merge` of
    its articles'. Times are aware UTC."""

    first_published: datetime
    last_published: datetime
    language: str
    place_ids: frozenset[str]  # places named with precision 1 or 2 (not governorate-only)
    governorates: frozenset[str]
    sub_event_types: frozenset[str]
    killed: int | None
    injured: int | None
    fingerprint: Fingerprint
    terms: tuple[str, ...]  # salient stemmed terms, most salient first
    articles: int = 1

    def __post_init__(self) -> None:
        for name in ("first_published", "last_published"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() != timedelta(0):
                raise ValueError(f"EventSignature.{name} must be aware UTC, got {value!r}")
        if self.last_published < self.first_published:
            raise ValueError("EventSignature: last_published is before first_published")

    def to_json(self) -> dict[str, object]:
        """Plain JSON values, for storing beside the article (`from_json` reads them back)."""
        return {
            "first_published": self.first_published.isoformat(),
            "last_published": self.last_published.isoformat(),
            "language": self.language,
            "place_ids": sorted(self.place_ids),
            "governorates": sorted(self.governorates),
            "sub_event_types": sorted(self.sub_event_types),
            "killed": self.killed,
            "injured": self.injured,
            "fingerprint": self.fingerprint.to_list(),
            "terms": list(self.terms),
            "articles": self.articles,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EventSignature:
        """The signature `to_json` gave; ValueError (or KeyError) for anything else."""
        return cls(
            first_published=datetime.fromisoformat(str(data["first_published"])),
            last_published=datetime.fromisoformat(str(data["last_published"])),
            language=str(data["language"]),
            place_ids=frozenset(map(str, data["place_ids"])),
            governorates=frozenset(map(str, data["governorates"])),
            sub_event_types=frozenset(map(str, data["sub_event_types"])),
            killed=None if data["killed"] is None else int(data["killed"]),
            injured=None if data["injured"] is None else int(data["injured"]),
            fingerprint=Fingerprint.from_list([int(v) for v in data["fingerprint"]]),
            terms=tuple(map(str, data["terms"])),
            articles=int(data.get("articles", 1)),
        )


@cache
def _common_terms(language: str) -> frozenset[str]:
    data = load_yaml(_FILE).get("common_terms")
    if not isinstance(data, dict):
        raise DataFileError(f"summarizer/data/{_FILE}: 'common_terms' must be a mapping of languages")
    words = data.get(language, "")
    if not isinstance(words, str):
        raise DataFileError(f"summarizer/data/{_FILE}: 'common_terms.{language}' must be a string of words")
    return frozenset(analyzer_for(language).terms(words))


def salient_terms(text: str, language: str, title: str | None = None, limit: int = TERMS) -> tuple[str, ...]:
    """The `limit` most salient stemmed terms: frequency, with the title and the lead counting
    more, common words of the news left out (TF-IDF with a document-frequency cut-off)."""
    title_terms, body_terms = analyzer_for(language).terms_many([title or "", text])
    common = _common_terms(language)
    weights: Counter[str] = Counter()
    for term in set(title_terms):
        weights[term] += 3
    for position, term in enumerate(body_terms):
        weights[term] += 2 if position < 50 else 1
    first = {term: i for i, term in reversed(list(enumerate([*title_terms, *body_terms])))}
    ranked = sorted(
        (t for t in weights if t not in common and len(t) > 2), key=lambda t: (-weights[t], first[t])
    )
    return tuple(ranked[:limit])


def signature(
    analysis: Analysis, text: str, published: datetime, *, title: str | None = None
) -> EventSignature:
    """The signature of one analysed article; `published` must be timezone-aware."""
    if published.tzinfo is None:
        raise ValueError(f"signature: published must be timezone-aware, got {published!r}")
    when = published.astimezone(UTC)
    body = clean_text(text)
    return EventSignature(
        first_published=when,
        last_published=when,
        language=analysis.language,
        place_ids=frozenset(m.place.id for m in analysis.places if m.precision <= 2),
        governorates=frozenset(analysis.governorates),
        sub_event_types=frozenset(analysis.sub_event_types),
        killed=analysis.casualties.killed,
        injured=analysis.casualties.injured,
        fingerprint=fingerprint(text, title),
        terms=salient_terms(body, analysis.language, title),
    )


def time_span(a: EventSignature, b: EventSignature) -> timedelta:
    """From the first publication of either to the last of either: how long the event would last."""
    return max(a.last_published, b.last_published) - min(a.first_published, b.first_published)


def text_similarity(a: EventSignature, b: EventSignature) -> float:
    """The larger of the fingerprints' overlap and the term overlap (share of the smaller set)."""
    return _text_similarity(a, b, similarity(a.fingerprint, b.fingerprint))


def _text_similarity(a: EventSignature, b: EventSignature, jaccard: float) -> float:
    shared = len(set(a.terms).intersection(b.terms))
    terms = shared / min(len(a.terms), len(b.terms)) if a.terms and b.terms else 0.0
    return max(_overlap(a.fingerprint, b.fingerprint, jaccard), terms)


def _required_similarity(a: EventSignature, b: EventSignature, rules: MatchRules) -> float | None:
    """The text similarity the rule asks of this pair, or None when places or types rule it out."""
    types_overlap = bool(a.sub_event_types & b.sub_event_types)
    types_compatible = types_overlap or not a.sub_event_types or not b.sub_event_types
    if not types_compatible:
        return None
    if a.place_ids & b.place_ids:
        return rules.same_place_and_type if types_overlap else rules.follow_up
    if a.place_ids and b.place_ids:
        return None  # both name specific places, none in common: different events
    if a.governorates & b.governorates:
        return rules.governorate_only
    return None


def event_match_score(
    a: EventSignature,
    b: EventSignature,
    *,
    window: timedelta = DEFAULT_WINDOW,
    rules: MatchRules = DEFAULT_RULES,
) -> float:
    """How well two signatures match as one event: 0.0 when `same_event` says no, else in (0, 1]."""
    span = time_span(a, b)
    if span > window:
        return 0.0
    jaccard = similarity(a.fingerprint, b.fingerprint)
    text = _text_similarity(a, b, jaccard)
    lateness = span / window if window else 0.0
    required = _required_similarity(a, b, rules)
    if jaccard < rules.duplicate and (required is None or text < required + rules.decay * lateness):
        return 0.0
    places = _jaccard(a.place_ids, b.place_ids) if a.place_ids or b.place_ids else 0.0
    types = _jaccard(a.sub_event_types, b.sub_event_types)
    return max(1e-6, 0.6 * text + 0.2 * (1.0 - lateness) + 0.1 * places + 0.1 * types)


def same_event(
    a: EventSignature,
    b: EventSignature,
    *,
    window: timedelta = DEFAULT_WINDOW,
    rules: MatchRules = DEFAULT_RULES,
) -> bool:
    """Whether two signatures report the same event (the rule is in the module's docstring)."""
    return event_match_score(a, b, window=window, rules=rules) > 0.0


def best_match(
    candidate: EventSignature,
    existing: Sequence[tuple[K, EventSignature]],
    *,
    window: timedelta = DEFAULT_WINDOW,
    rules: MatchRules = DEFAULT_RULES,
) -> K | None:
    """The id of the existing event the candidate belongs to (highest score; the first on a tie), or
    None. An id may appear several times (one signature per article of an event)."""
    best: K | None = None
    best_score = 0.0
    for key, other in existing:
        score = event_match_score(candidate, other, window=window, rules=rules)
        if score > best_score:
            best, best_score = key, score
    return best


def merge(a: EventSignature, b: EventSignature) -> EventSignature:
    """The running signature of an event after adding `b` to `a`: union of places, governorates and
    types, the span of both, the union fingerprint, `a`'s terms then `b`'s, and the highest toll of
    each kind (reports of one event revise tolls upwards; see the module docstring)."""
    terms = tuple(dict.fromkeys([*a.terms, *b.terms]))[:EVENT_TERMS]
    return EventSignature(
        first_published=min(a.first_published, b.first_published),
        last_published=max(a.last_published, b.last_published),
        language=a.language,
        place_ids=a.place_ids | b.place_ids,
        governorates=a.governorates | b.governorates,
        sub_event_types=a.sub_event_types | b.sub_event_types,
        killed=_max_toll(a.killed, b.killed),
        injured=_max_toll(a.injured, b.injured),
        fingerprint=merge_fingerprints(a.fingerprint, b.fingerprint),
        terms=terms,
        articles=a.articles + b.articles,
    )


def _max_toll(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return b if a is None else a
    return max(a, b)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0
