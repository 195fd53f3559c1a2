"""Casualty figures of a news text, and the article's killed and injured: `extract_casualties`.

Input: the sentences of one article and its language. Output: `Casualties`, with every figure
found (kind, count, sentence, source) and the article-level killed and injured.

Reading a figure (per sentence, words folded, Arabic and English; the words in
`data/casualties.yaml`, the number words in `data/numbers.yaml`):

- A count is digits (Western or Arabic-Indic, "1,200", glued ones split: "قتل45"), number words
  ("خمسة وعشرون", "ثلاثة عشر", "twenty-five", "a dozen"), a dual ("عنصرين", "قتيلان" = 2), or a
  singular person near a casualty word ("مقتل متعاقد أمريكي", "قتل التنظيم رهينة", "killing a
  soldier" = 1). Vague quantities ("عشرات", "dozens", "مئات") give no figure: "at least 10" would
  read as an exact toll in an alert.
- Its kind comes from a casualty word after it ("14 قتيلاً", "five people were wounded", "70 حالة
  اختناق"), else from the one before it ("مقتل 14 عنصراً", "أسفرت عن إصابة خمسة", "killed at least
  14", "اغتيال ضابط"), with "ما لا يقل عن", "نحو", "at least", day names and people words allowed
  between; a toll word may stand further off ("ارتفعت حصيلة القتلى جراء القصف إلى 20"). A count
  followed by a unit ("15 غارة", "3 أيام", "80 في المئة") or a year is no casualty figure.
- Counts joined by "و" to a figure add to it ("إصابة خمسة عسكريين أمريكيين ومتعاقد أمريكي آخر"
  = 6, "مقتل 3 مدنيين و2 من عناصر الأمن" = 5), and so do the other side's losses after "مقابل"
  ("مقتل 6 مسلحين موالين للنظام مقابل 3 من الفصائل" = 9); a count after "بينهم" / "including" is
  part of the one before and is not added.
- Not figures: negated ones ("لم يسفر عن قتلى", "no one was killed"); and every figure of a sentence
  with a cumulative toll ("منذ بداية الحرب", "since 2011", "حتى الآن", "خلال الأسابيع السبعة
  الأخيرة", a mass grave; "منذ" unless it is "منذ صباح اليوم" or follows a superlative: "الأكثر
  دموية منذ ..."), with a toll above any single incident's (999 killed, 2,000 injured), or about an
  earlier event ("الشهر الماضي", "حينها", "مرارا", the pluperfect "وكان ... قد قتلوا" unless it
  names a day of this week).
- Source: the words after "بحسب / وفق / according to" (past "ما" + a speech verb: "بحسب ما أعلن
  البنتاغون"), else after an Arabic speech verb ("وقال المرصد ... إن") or before an English one
  ("the Observatory said"), up to punctuation, a stop word or 6 words.
- Claims: a figure after a claim verb ("زعم", "ادعى", "claimed"), or inside quotation marks after
  the name of a party to the conflict (an armed actor of actors.yaml: "وقال قائد في الحرس الثوري:
  «قتلنا 30»"), is a party's claim. A monitor quoted ("وقال مدير المرصد: «قتل 30»") is not.

Combining into the article's killed and injured, per kind:

1. Claims do not count (they stay in `figures`, with their source); cumulative tolls were dropped.
2. Figures about one incident are alternatives: reports repeat a toll (headline, lead, body), update
   it, or give it from several sources. The highest non-claimed figure is taken: tolls rise as bodies
   are found, and the alternatives here are already the non-partisan ones. In one sentence, figures
   for different named sides add up ("تسعة قتلى في صفوف القوات الموالية للنظام وستة في صفوف قسد"
   = 15): the victims' side is the actor named within 6 words after the count.
3. Figures about distinct incidents add up. A sentence that opens with "وفي سياق منفصل", "في حادث
   آخر", "من جهة أخرى", "وفي الغضون", "إلى ذلك", "كما", "أيضا", "separately", "meanwhile" ...
   starts another incident, and so does a figure of victims called "others" after figures told
   earlier ("وقتل تسعة مدنيين آخرين"); the article's figure is the sum of the incidents' figures,
   except that an incident whose figure equals an earlier incident's is taken as the same toll
   repeated and is not added again.
4. No non-claimed figure of a kind: that kind is `None` (unknown), not 0.

The seed article (../shared/examples): the drone attack near Hasakah kills 1 US contractor and
injures 5 servicemembers and another contractor (= 6, per the Pentagon); "وفي الغضون" opens the AFP
report of 14 killed in the US strikes; an Iranian source's 7 killed and 7 wounded are claimed
("وزعم المتحدث", in quotes): killed 1 + 14 = 15, injured 6.

Pure: reads its data files once, lazily.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from summarizer.actors import Actor, actor_lexicon
from summarizer.lexicon import LexiconScanner, fold_sentences, word_spans
from summarizer.models import Casualties, CasualtyFigure
from summarizer.resources import DataFileError, load_yaml, string_list

_FILE = "casualties.yaml"
_NUMBERS = "numbers.yaml"
_KINDS = ("killed", "injured")
_YEARS = range(1950, 2100)
_BEFORE_GAP = 3  # other words allowed between a casualty word and its count ("قتل تنظيم داعش الإرهابي رهينة")
_TOLL_GAP = 8  # ... between a toll word and its count
_AFTER_GAP = 5  # words allowed between a count and the casualty word after it
_AFTER_OTHERS = 1  # ... of which words that are not people words
_LIST_GAP = 3  # words allowed between a figure and a count joined to it by "و"
_SIDES_GAP = 8  # ... by "مقابل" (the other side's losses)
_VICTIM_GAP = 6  # words after a count in which its victims are named ("21 عنصرا من قوات النظام")
_OTHERS_GAP = 3
_NEGATION_GAP = 3
_MARKER_WORDS = 4  # a new-incident marker starts within the first words of its sentence
_SOURCE_WORDS = 6  # the longest source name taken
_NOT_PARTIES = frozenset(("Civilians", "Protesters", "Rioters"))
_THOUSANDS_RE = re.compile(r"(?<=[0-9٠-٩])[,٬](?=[0-9٠-٩]{3}(?![0-9٠-٩]))")
# A number glued to a word ("قتل45", "الخميس22"): web text drops the space. One letter before the
# digits is a proclitic ("و3") and stays.
_GLUED_RE = re.compile(r"(?<=[\u0621-\u064A]{2})(?=[0-9٠-٩])|(?<=[0-9٠-٩])(?=[\u0621-\u064A]{2})")
_GLUE_RE = re.compile(r"[\u0621-\u064A][0-9٠-٩]|[0-9٠-٩][\u0621-\u064A]")  # a cheap test first
_PUNCTUATION_RE = re.compile(r"[،,.؛;:()\[\]!?؟]")
_QUOTE_MARKS_RE = re.compile("[\"“”«»]")
_QUOTE_PAIRS = (("“", "”"), ("«", "»"), ('"', '"'))

# Roles of the phrases of casualties.yaml and numbers.yaml.
_BEFORE, _TOLL, _AFTER, _COUNT = "before", "toll", "after", "count"
_PERSON, _DUAL, _PLURAL, _UNIT, _FILLER = "person", "dual", "plural", "unit", "filler"
_SUBSET, _NEGATION, _CUMULATIVE, _SINCE_TODAY, _SUPERLATIVE = (
    "subset", "negation", "cumulative", "since_today", "superlative",
)
_CLAIM, _ACCORDING, _SPEECH, _STOP, _NEW, _NUMBER, _VAGUE = (
    "claim", "according", "speech", "stop", "new_incident", "number", "vague",
)
_BACKGROUND, _OTHERS, _IGNORE = "background", "others", "ignore"
_TRIGGERS = frozenset((_BEFORE, _TOLL, _AFTER, _COUNT))
_NUMBER_ROLES = frozenset((_NUMBER,))
_NO_ROLES: frozenset[str] = frozenset()
_PLAIN_GROUPS = (
    ("persons", _PERSON),
    ("duals", _DUAL),
    ("plural_persons", _PLURAL),
    ("units", _UNIT),
    ("fillers", _FILLER),
    ("subsets", _SUBSET),
    ("negation", _NEGATION),
    ("cumulative", _CUMULATIVE),
    ("background", _BACKGROUND),
    ("since_today", _SINCE_TODAY),
    ("superlatives", _SUPERLATIVE),
    ("claim_verbs", _CLAIM),
    ("according_to", _ACCORDING),
    ("speech_verbs", _SPEECH),
    ("source_stops", _STOP),
    ("new_incident", _NEW),
    ("others", _OTHERS),
    ("ignore", _IGNORE),
)

_Value = tuple[str, str, int]  # (role, kind, number)
_Span = tuple[int, int]
_SAYS = (_SPEECH, _CLAIM)


@dataclass(frozen=True, slots=True)
class _Tables:
    triggers: LexiconScanner[_Value]  # casualty words only: which sentences to read
    words: LexiconScanner[_Value]  # every phrase
    cardinals: dict[str, int]
    teens: frozenset[str]
    multipliers: dict[str, int]
    number_joiners: frozenset[str]  # "and" in "one hundred and five"
    marker_starts: frozenset[str]  # words that can begin a new-incident marker, proclitics included
    joiners: frozenset[str]  # words that join two counts like "و" ("مقابل", "and")
    sides: frozenset[str]  # joiners of two sides' losses ("مقابل")
    pluperfect: frozenset[str]
    recent: frozenset[str]
    max_toll: dict[str, int]  # per kind


@dataclass(frozen=True, slots=True)
class _Item:
    """A word or phrase of a sentence, with what the lexicons say it is (several roles at once:
    "إصابة" comes before or after its count)."""

    values: tuple[_Value, ...]  # (role, kind, number); empty for any other word
    roles: frozenset[str]
    first: int  # word indices
    last: int
    joined: bool = False  # written with a leading و: "و3", "ومتعاقد", "وتدمير"
    side: bool = False  # right after "مقابل": the other side's losses

    def has(self, *roles: str) -> bool:
        """Whether the item plays one of `roles`."""
        return not self.roles.isdisjoint(roles)

    def kind(self, role: str) -> str:
        """The casualty kind of the item in `role` ("killed", "injured")."""
        return next(v[1] for v in self.values if v[0] == role)

    def number(self, role: str) -> int:
        """The number the item is worth in `role`."""
        return next(v[2] for v in self.values if v[0] == role)

    @property
    def plain(self) -> bool:
        """Any other word: none of the lexicons know it."""
        return not self.values


@dataclass(frozen=True, slots=True)
class _Read:
    """One sentence as read: its text (thousands separators removed), words, their spans, items."""

    text: str
    words: list[str]
    spans: list[_Span]
    items: list[_Item]


@dataclass(slots=True)
class _Chain:
    """One stated figure: a count, and the counts joined to it by "و"."""

    kind: str
    total: int
    word: int  # index of its first count's word
    end: int  # item index of its last count


# --- Tables -------------------------------------------------------------------------------------


def _kind_lists(data: dict[str, Any], key: str) -> list[tuple[str, _Value]]:
    section = data.get(key)
    if not isinstance(section, dict) or set(section) != set(_KINDS):
        raise DataFileError(f"summarizer/data/{_FILE}: '{key}' must map killed and injured to phrases")
    role = {"before": _BEFORE, "tolls": _TOLL, "after": _AFTER}[key]
    return [(p, (role, kind, 0)) for kind in _KINDS for p in string_list(section, kind, f"{_FILE}: {key}")]


def _number_map(data: dict[str, Any], key: str, name: str) -> dict[str, int]:
    table = data.get(key)
    if not isinstance(table, dict):
        raise DataFileError(f"summarizer/data/{name}: '{key}' must map words to numbers")
    for word, value in table.items():
        if not isinstance(word, str) or not isinstance(value, int) or isinstance(value, bool) or value < 1:
            message = f"summarizer/data/{name}: '{key}': entry {word!r} needs a positive whole number"
            raise DataFileError(message)
    return dict(table)


def _folded_map(table: dict[str, int]) -> dict[str, int]:
    return {words[0]: value for word, value in table.items() if len(words := fold_sentences([word])[0]) == 1}


@cache
def _tables() -> _Tables:
    data = load_yaml(_FILE)
    numbers = load_yaml(_NUMBERS)
    triggers = _kind_lists(data, "before") + _kind_lists(data, "tolls") + _kind_lists(data, "after")
    counts = data.get("counts")
    if not isinstance(counts, dict) or set(counts) != set(_KINDS):
        raise DataFileError(f"summarizer/data/{_FILE}: 'counts' must map killed and injured to words")
    for kind in _KINDS:
        triggers += [(w, (_COUNT, kind, n)) for w, n in _number_map(counts, kind, f"{_FILE}: counts").items()]
    entries = list(triggers)
    for key, role in _PLAIN_GROUPS:
        phrases = string_list(data, key, _FILE)
        if role == _PERSON:  # "الجندي", "المتعاقد": the article is no proclitic
            phrases += ["ال" + p for p in phrases if not p.isascii() and not p.startswith("ال")]
        entries += [(p, (role, "", 2 if role == _DUAL else 1)) for p in phrases]
    entries += [(p, (_NUMBER, "", n)) for p, n in _number_map(numbers, "phrases", _NUMBERS).items()]
    entries += [(p, (_VAGUE, "", 0)) for p in string_list(numbers, "vague", _NUMBERS)]
    markers = [fold_sentences([p])[0] for p in string_list(data, "new_incident", _FILE)]
    marker_starts = {w for m in markers if m for w in (m[0], "و" + m[0], "ف" + m[0])}
    return _Tables(
        triggers=LexiconScanner(triggers),
        words=LexiconScanner(entries),
        cardinals=_folded_map(_number_map(numbers, "cardinals", _NUMBERS)),
        teens=_folded_words(numbers, "teens", _NUMBERS),
        multipliers=_folded_map(_number_map(numbers, "multipliers", _NUMBERS)),
        number_joiners=_folded_words(numbers, "joiners", _NUMBERS),
        marker_starts=frozenset(marker_starts),
        joiners=_folded_words(data, "joiners", _FILE) | _folded_words(data, "sides", _FILE),
        sides=_folded_words(data, "sides", _FILE),
        pluperfect=_folded_words(data, "pluperfect_openers", _FILE),
        recent=_folded_words(data, "recent_words", _FILE),
        max_toll=_per_kind(data, "max_incident_toll"),
    )


def _per_kind(data: dict[str, Any], key: str) -> dict[str, int]:
    table = _number_map(data, key, _FILE)
    if set(table) != set(_KINDS):
        raise DataFileError(f"summarizer/data/{_FILE}: '{key}' must give a number for killed and injured")
    return table


def _folded_words(data: dict[str, Any], key: str, name: str) -> frozenset[str]:
    return frozenset(w for p in string_list(data, key, name) for w in fold_sentences([p])[0])


# --- Numbers ------------------------------------------------------------------------------------


def _unjoined(word: str) -> tuple[str, bool]:
    """The word without a leading و ("وخمسة" → "خمسة"), and whether it had one."""
    if len(word) > 1 and word[0] == "و" and (word[1:].isdigit() or len(word) > 2):
        return word[1:], True
    return word, False


def _addable(value: int, part: int) -> bool:
    """Whether `part` can follow `value` in one number: "مئة وخمسة وعشرون", "twenty five"."""
    if part >= 1000:
        return False
    if part >= 100:
        return value >= 1000 and value % 1000 == 0
    if part >= 20:
        return part % 10 == 0 and value % 100 < 10 and value % 100 + part < 100
    return value >= 20 and value % 10 == 0


def _number_at(words: list[str], i: int, tables: _Tables) -> tuple[int, int, bool] | None:
    """(value, index after it, written with و) of a number starting at word `i`, if any."""
    word, joined = _unjoined(words[i])
    if word in tables.cardinals and joined and words[i] in tables.cardinals:
        word, joined = words[i], False  # "واحد" is one, not و + "احد"
    if word.isdigit():
        value, j = int(word), i + 1
    elif word in tables.cardinals:
        value, j = tables.cardinals[word], i + 1
    else:
        return None
    n = len(words)
    if value < 10 and j < n and words[j] in tables.teens:
        value, j = value + 10, j + 1
    if j < n and words[j] in tables.multipliers and (value < 1000):
        value, j = value * tables.multipliers[words[j]], j + 1
    while j < n:
        nxt, conj = _unjoined(words[j])
        if not conj and nxt in tables.number_joiners and j + 1 < n:
            nxt, conj = words[j + 1], True
            step = 2
        else:
            step = 1
        part = tables.cardinals.get(nxt) if not nxt.isdigit() else None
        english = nxt.isascii() and not conj
        if part is None or not (conj or english) or not _addable(value, part):
            break
        value, j = value + part, j + step
    return value, j, joined


# --- Reading one sentence -----------------------------------------------------------------------


def _items(words: list[str], tables: _Tables) -> list[_Item]:
    """The sentence as classified items: phrases of the lexicons, numbers, other words."""
    hits: dict[int, tuple[int, list[_Value]]] = {}
    for first, last, value in tables.words.scan(words):
        hits.setdefault(first, (last, []))[1].append(value)
    items: list[_Item] = []
    i = 0
    after_joiner = after_side = False
    while i < len(words):
        if words[i] in tables.joiners and i not in hits:
            # "and", "مقابل": no item, the next one is joined
            after_joiner, after_side, i = True, words[i] in tables.sides, i + 1
            continue
        # "وإصابة", "و3", and anything after a joiner, opens a new part of the sentence
        joined = (len(words[i]) > 2 and words[i][0] == "و") or after_joiner
        if i in hits:
            last, values = hits[i]
            roles = frozenset(v[0] for v in values)
            items.append(_Item(tuple(values), roles, i, last, joined and _NEW not in roles, after_side))
            i, after_joiner, after_side = last, False, False
            continue
        number = _number_at(words, i, tables)
        if number is not None:
            amount, end, number_joined = number
            joined = number_joined or after_joiner
            items.append(_Item(((_NUMBER, "", amount),), _NUMBER_ROLES, i, end, joined, after_side))
            i, after_joiner, after_side = end, False, False
            continue
        items.append(_Item((), _NO_ROLES, i, i + 1, joined, after_side))
        i, after_joiner, after_side = i + 1, False, False
    return items


def _read_chains(items: list[_Item], words: list[str]) -> list[_Chain]:
    """The casualty figures of one sentence, as chains of counts (context filters come later)."""
    chains: list[_Chain] = []
    active = -1  # item index of the casualty word in force, before its count
    active_role = ""
    negated = subset = False
    last: _Chain | None = None
    for index, item in enumerate(items):
        if item.has(_BEFORE, _TOLL):
            active, active_role = index, _BEFORE if item.has(_BEFORE) else _TOLL
            negated, subset, last = _negated(items, index), False, None
            continue
        if item.has(_SUBSET):
            subset = True
            continue
        if item.has(_COUNT):
            if not subset and not _negated(items, index):
                last = _Chain(item.kind(_COUNT), item.number(_COUNT), item.first, index)
                chains.append(last)
            continue
        reachable = active >= 0 and not negated and _reaches(items, active, index, active_role)
        count = _count_of(items, index, words, reachable=reachable)
        if count is None or subset or _negated(items, index, _NEGATION_GAP - 1):
            continue
        kind = _kind_after(items, index)
        if kind is not None:
            last = _Chain(kind, count, item.first, index)
            chains.append(last)
        elif last is not None and item.joined and _within_list(items, last.end, index):
            last.total += count
            last.end = index
        elif reachable:
            last = _Chain(items[active].kind(active_role), count, item.first, index)
            chains.append(last)
            active = -1  # its later counts join by "و" only
    return chains


def _count_of(items: list[_Item], index: int, words: list[str], *, reachable: bool) -> int | None:
    """The count an item stands for, if it is one: a number (not a year, not counting a unit), a
    dual, or a singular person (only near a casualty word or joined to a list by "و")."""
    item = items[index]
    if item.has(_NUMBER):
        return _number_count(items, index)
    if item.has(_DUAL):
        return 2
    single = item.has(_PERSON) and (reachable or item.joined)
    # "a US contractor": "a" or "an" before a singular person
    article = item.plain and words[item.first] in ("a", "an")
    if single or (article and any(it.has(_PERSON) for it in items[index + 1 : index + 3])):
        return 1
    return None


def _number_count(items: list[_Item], index: int) -> int | None:
    """A number item's value as a count: none before a unit ("15 غارة") or for a bare year."""
    value = items[index].number(_NUMBER)
    following = items[index + 1] if index + 1 < len(items) else None
    if following is not None and following.has(_UNIT):
        return None
    if value in _YEARS and (following is None or not following.has(_PLURAL, _PERSON, _AFTER)):
        return None
    return value


def _kind_after(items: list[_Item], index: int) -> str | None:
    """The casualty word after a count, across people words: "14 قتيلاً", "5 people were killed"."""
    others = 0
    for item in items[index + 1 : index + 1 + _AFTER_GAP]:
        if item.has(_AFTER) and not item.joined:
            return item.kind(_AFTER)
        if item.has(_PLURAL, _PERSON, _FILLER) and not item.joined:
            continue
        if item.plain and not item.joined and others < _AFTER_OTHERS:
            others += 1
            continue
        return None
    return None


def _within_list(items: list[_Item], end: int, index: int) -> bool:
    """Whether item `index` continues the list that ended at item `end` ("... و2 من عناصر")."""
    between = items[end + 1 : index]
    gap = _SIDES_GAP if items[index].side else _LIST_GAP
    return len(between) <= gap and all(
        (it.plain or it.has(_PLURAL, _PERSON, _FILLER)) and not it.joined for it in between
    )


def _reaches(items: list[_Item], trigger: int, index: int, role: str) -> bool:
    """Whether a casualty word (item `trigger`) reaches the count at item `index`."""
    others = 0
    for item in items[trigger + 1 : index]:
        if item.has(*_TRIGGERS, _NUMBER):
            return False
        if not item.has(_FILLER, _PLURAL):
            others += 1
    return others <= (_TOLL_GAP if role == _TOLL else _BEFORE_GAP)


def _negated(items: list[_Item], index: int, gap: int = _NEGATION_GAP) -> bool:
    return any(it.has(_NEGATION) for it in items[max(0, index - gap) : index])


# --- Context: cumulative tolls, claims, sources -------------------------------------------------


def _cumulative(items: list[_Item], words: list[str]) -> bool:
    """Whether the sentence gives a cumulative toll ("منذ بداية الحرب", "الحصيلة الإجمالية")."""
    for index, item in enumerate(items):
        if not item.has(_CUMULATIVE):
            continue
        if words[item.first] in ("منذ", "since"):
            after = items[index + 1] if index + 1 < len(items) else None
            if after is not None and after.has(_SINCE_TODAY):
                continue
            if any(it.has(_SUPERLATIVE) for it in items[max(0, index - 3) : index]):
                continue
        return True
    return False


def _background(items: list[_Item], words: list[str], tables: _Tables) -> bool:
    """Whether the sentence tells an earlier event: a background phrase, or the pluperfect."""
    if any(it.has(_BACKGROUND) for it in items):
        return True
    opener = words[0] if words else ""
    if opener[:1] in ("و", "ف") and opener[1:] in tables.pluperfect:
        opener = opener[1:]
    if opener not in tables.pluperfect or "قد" not in words:
        return False
    return not any(w in tables.recent for w in words)  # "وكان ... قد نفذ ضربة ليل الخميس": this week


def _quoted(text: str) -> list[tuple[int, int]]:
    """Spans of the closed quotations of a sentence."""
    spans: list[tuple[int, int]] = []
    for opening, closing in _QUOTE_PAIRS:
        start = text.find(opening)
        while start >= 0:
            end = text.find(closing, start + 1)
            if end < 0:
                break
            spans.append((start, end))
            start = text.find(opening, end + 1)
    return spans


def _source(read: _Read, at: int) -> str | None:
    """Who the sentence attributes the figure at item `at` to: nearest "بحسب"-like cue, else the
    nearest speech verb."""
    according = [i for i, it in enumerate(read.items) if it.has(_ACCORDING)]
    speech = [i for i, it in enumerate(read.items) if it.has(*_SAYS)]
    for candidates in (according, speech):
        if candidates:
            best = min(candidates, key=lambda i: (abs(i - at), i < at))
            found = _source_words(read, best)
            if found:
                return found
    return None


def _source_words(read: _Read, cue: int) -> str | None:
    """The words naming the source around the cue at item `cue`: after it, or before an English
    speech verb that does not follow punctuation ("the Observatory said")."""
    items, words = read.items, read.words
    item = items[cue]
    english = words[item.first].isascii()
    backwards = english and item.has(*_SAYS) and cue > 0 and not _breaks(read, item.first)
    step = -1 if backwards else 1
    i = cue + step
    # past "ما" and a speech verb: "بحسب ما أعلن البنتاغون"
    while not backwards and i < len(items) and (words[items[i].first] == "ما" or items[i].has(*_SAYS)):
        i += 1
    chosen: list[_Item] = []
    while 0 <= i < len(items) and len(chosen) < _SOURCE_WORDS:
        it = items[i]
        if it.has(_STOP, _ACCORDING, _NUMBER, *_TRIGGERS):
            break
        # punctuation ends the name: before this word (reading forwards), after it (backwards)
        if chosen and _breaks(read, chosen[-1].first if backwards else it.first):
            break
        chosen.append(it)
        i += step
    if not chosen:
        return None
    if backwards:
        chosen.reverse()
    name = read.text[read.spans[chosen[0].first][0] : read.spans[chosen[-1].last - 1][1]]
    name = _QUOTE_MARKS_RE.sub("", name).strip()
    if english and name.lower().startswith("the "):
        name = name[4:]
    return name or None


def _breaks(read: _Read, word: int) -> bool:
    """Whether punctuation separates word `word` from the word before it."""
    if word == 0:
        return True
    return _PUNCTUATION_RE.search(read.text, read.spans[word - 1][1], read.spans[word][0]) is not None


# --- The article --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Figure:
    figure: CasualtyFigure
    claim: bool
    incident: int
    victims: str | None = None  # the actor the victims belong to, when named right after the count
    others: bool = False  # "تسعة مدنيين آخرين": more victims besides the ones already counted


def extract_casualties(sentences: Sequence[str], language: str) -> Casualties:
    """Casualty figures of the sentences, and the article's killed and injured (module docstring)."""
    del language  # the words of both languages apply to any text
    tables = _tables()
    folded = fold_sentences([_unglue(s) for s in sentences])
    figures: list[_Figure] = []
    incident = 0
    for index, (sentence, words) in enumerate(zip(sentences, folded, strict=True)):
        if index > 0 and _opens_incident(words, tables):
            incident += 1
        if tables.triggers.scan(words):
            figures += _sentence_figures(sentence, index, incident, tables)
    return Casualties(
        killed=_combine(figures, "killed"),
        injured=_combine(figures, "injured"),
        figures=tuple(f.figure for f in figures),
    )


def _unglue(text: str) -> str:
    """A space between a word and the number glued to it ("قتل45" → "قتل 45")."""
    return _GLUED_RE.sub(" ", text) if _GLUE_RE.search(text) else text


def _opens_incident(words: list[str], tables: _Tables) -> bool:
    head = words[:_MARKER_WORDS]
    if not any(w in tables.marker_starts for w in head):
        return False
    return any(role == _NEW and first < 2 for first, _, (role, _, _) in tables.words.scan(head))


def _sentence_figures(sentence: str, index: int, incident: int, tables: _Tables) -> list[_Figure]:
    """The figures of one sentence with a casualty word, with their claims, sources and victims."""
    text = _unglue(_THOUSANDS_RE.sub("", sentence))
    words, spans = word_spans(text)
    read = _Read(text, words, spans, _items(words, tables))
    if _cumulative(read.items, words) or _background(read.items, words, tables):
        return []
    chains = [c for c in _read_chains(read.items, words) if c.total <= tables.max_toll[c.kind]]
    if not chains:
        return []
    quotes = _quoted(text)
    actors = [(first, actor) for first, _, actor in actor_lexicon().scan(words) if actor is not None]
    out: list[_Figure] = []
    for chain in chains:
        at = next(i for i, it in enumerate(read.items) if it.first == chain.word)
        claimed = any(it.has(_CLAIM) for it in read.items[:at])
        claim = claimed or _quoted_party(read, chain.word, quotes, actors)
        victims = next((a.name for first, a in actors if 0 < first - chain.word <= _VICTIM_GAP), None)
        others = any(it.has(_OTHERS) for it in read.items[at + 1 : at + 1 + _OTHERS_GAP])
        figure = CasualtyFigure(chain.kind, chain.total, sentence, index, _source(read, at), claim)
        out.append(_Figure(figure, claim, incident, victims, others))
    return out


def _quoted_party(read: _Read, word: int, quotes: list[_Span], actors: list[tuple[int, Actor]]) -> bool:
    """Whether the count at `word` is quoted from a party to the conflict: inside quotation marks
    that follow the name of an armed actor ("وقال قائد في الحرس الثوري: «قتلنا 30»")."""
    start = read.spans[word][0]
    for opening, closing in quotes:
        if opening < start < closing:
            speaker = [a for first, a in actors if read.spans[first][1] <= opening]
            return any(a.type not in _NOT_PARTIES for a in speaker)
    return False


def _combine(figures: list[_Figure], kind: str) -> int | None:
    """The article's figure of one kind (module docstring): per incident the highest sentence
    figure, a sentence's figures for different sides added; incidents summed, repeats once."""
    incidents: dict[int, dict[int, list[_Figure]]] = {}
    fresh = max((f.incident for f in figures), default=0) + 1
    for position, f in enumerate(figures):
        if f.figure.kind != kind or f.claim:
            continue
        incident = f.incident
        # "وقتل تسعة مدنيين آخرين": more victims than the ones told before
        if f.others and _adds_to(position, figures):
            incident, fresh = fresh, fresh + 1
        incidents.setdefault(incident, {}).setdefault(f.figure.sentence_index, []).append(f)
    if not incidents:
        return None
    total = 0
    seen: set[int] = set()
    for incident in sorted(incidents, key=lambda i: min(incidents[i])):
        value = max(_sentence_value(fs) for fs in incidents[incident].values())
        if value not in seen:
            total += value
            seen.add(value)
    return total


def _adds_to(position: int, figures: list[_Figure]) -> bool:
    """Whether the figure of "others" at `position` adds to figures told before: some of its kind
    stand in earlier sentences, and none earlier in its own (those "others" are its siblings')."""
    figure = figures[position]
    kind, index = figure.figure.kind, figure.figure.sentence_index
    earlier = [f.figure.sentence_index for f in figures[:position] if f.figure.kind == kind]
    return any(i < index for i in earlier) and index not in earlier


def _sentence_value(figures: list[_Figure]) -> int:
    """One sentence's figure: the losses of different named sides add up ("تسعة قتلى في صفوف
    القوات الموالية للنظام وستة في صفوف قسد" = 15); figures without named sides are alternatives."""
    sides: dict[str, int] = {}
    for f in figures:
        if f.victims is not None:
            sides[f.victims] = max(sides.get(f.victims, 0), f.figure.count)
    unnamed = max((f.figure.count for f in figures if f.victims is None), default=0)
    return max(sum(sides.values()), unnamed)
