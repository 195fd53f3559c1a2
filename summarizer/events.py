"""ACLED event types and sub-types of a news text: `tag_events`, multi-label, with evidence.

Input: the sentences of one article and its language. Output: one `EventTag` per sub-event type
found, with the sentence that shows it best (the first with a specific trigger, "غارات جوية"
rather than "قصف"; else the first), in order of that sentence. The triggers and the
context words live in `data/events.yaml` (Arabic and English; phrases matched as in
`summarizer.lexicon`, Arabic trigger phrases also in their definite form).

How a trigger becomes an event, sentence by sentence:

- A `strong` trigger shows its sub-type by itself ("غارات", "اشتباكات", "عبوة ناسفة"); a `weak` one
  only with an attack word (or a strong Explosions/Battles trigger) within 6 words of it
  ("المدفعية" deployed is no shelling, "استهدفت ... بالمدفعية" is).
- Air or ground? Generic bombardment ("قصف", "bombed") and missile attacks ("هجوم صاروخي") are an
  Air/drone strike when the sentence names an aircraft that is not merely flying or targeted ("تحليق
  الطيران", "باتجاه الطائرات"), has an air-strike trigger, or names a force that strikes Syria from
  the air (Israel, the US and its coalition, Russia: ACLED codes their strikes as air strikes), else a
  shelling/missile attack. Missiles ("صواريخ") need an attack word nearby and follow the same rule,
  except that a force counts only as the missiles' owner ("الصواريخ الأميركية"), not as their
  target ("استهدفت الميليشيات قاعدة للتحالف بالصواريخ").
  "ضربة", "strikes", "struck" are an air strike on the same evidence, else nothing.
- Capture words ("سيطرت", "استعادت", "recaptured") take the nearest actor of the sentence
  (actors.yaml; or a bare "الجيش" / "the army"): State forces and the government's allies (`side:
  government` there: Russia, Iran, Hezbollah, the militias) give Government regains territory;
  rebels, other militias and foreign forces give Non-state actor overtakes territory (ACLED counts
  foreign forces there); no actor, no event. A capture under a deal ("كجزء من الاتفاق") is a
  Non-violent transfer of territory; one in a relative clause ("الميليشيات التي سيطرت على") or with
  the purpose لـ ("لاستعادة") is none.
- Negation: a negation or "stop" word at most 3 words before the trigger ("لم تسجل أي غارات",
  "no strikes", "وقف القصف"), or up to 8 words before when the trigger follows "أي"/"any" ("لم تشن
  الطائرات الروسية أي غارات"); a denial up to 10 words before ("نفت موسكو أن تكون طائراتها قد
  قصفت"), unless it denies only who did it ("نفت واشنطن أن تكون هي التي شنت الغارات").
- Modality: future, possibility or purpose at most 3 words before ("سيشن", "ستوجه", "قد تشن",
  "would", "لمنع"; a future is س + يـ/تـ/نـ, except listed look-alikes: "سيطرت", "سيارة",
  "سنوات"); threats, warnings, intentions, calls, obligations, preparations, the terms of a deal
  and conditionals up to 10 words before ("هدد بقصف", "warned it would strike", "دعت إلى وقف إطلاق
  النار", "في حال تم استهداف", "التحضير لهجوم بري", "ينص على مغادرة").
- Background, within 6 words of the trigger: a history marker ("منذ اندلاع النزاع", "الشهر
  الماضي", "ذكرى", "سبق أن", "غالبا"), "منذ" + a long period ("منذ سبع سنوات"), a dated year
  older than the article's latest one ("في عام 2013" in a report that dates its own news 2018) or
  before 2012, a year after "منذ"/"since", a month followed by "الماضي". In the whole sentence: the
  Arabic pluperfect ("وكانت ... قد سيطرت") unless it names a day of this week. Reported speech as
  such ("قال المرصد إن غارات ...") is how news reports events, and counts.
- Agreements and transfers of territory are not made by talks, failures or breaches: a sentence with
  "فشل", "خرق", "violation" has none, and one with "مفاوضات", "talks" only when it also says the deal
  was reached or signed.
- Within a sentence a specific trigger wins over a generic one: a generic explosion ("انفجار") yields
  to any other Explosions sub-type (the strike that caused it); a chemical attack replaces the
  generic and weak Explosions triggers (the bombardment that delivered it); a suicide bomber replaces
  the remote explosive (ACLED codes a car bomb as Remote explosive unless it has a suicide driver);
  an interception (Disrupted weapons use) cancels the weak and generic Explosions triggers; a
  capture replaces the armed clash that won it (ACLED codes one territory event); an assassination
  or massacre (Attack) yields to the weapon that did it (air strike, IED, clashes), as ACLED codes
  those by the weapon. ACLED's Attack is violence against civilians; whether the victim is a
  civilian is not checked.
- In an article: a shelling seen only through generic words (bombardment, missile attacks) when an
  air strike is reported is that air bombardment again ("قصف جوي" ... "وطال القصف بلدات"); an
  Attack is dropped when one of its sentences showed the weapon; the most severe protest sub-type
  replaces the milder ones (a protest fired upon is Excessive force against protesters, not also a
  Peaceful protest).

Pure: reads its data file once, lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from summarizer.actors import Actor, actor_lexicon
from summarizer.lexicon import LexiconScanner, fold_sentences, phrase_key
from summarizer.models import EventTag
from summarizer.resources import DataFileError, load_yaml, string_list

_FILE = "events.yaml"
_NEGATION_GAP = 3  # words allowed between a negation word and the trigger
_ANY_NEGATION_GAP = 8  # ... when "أي"/"any" stands right before the trigger
_MODAL_GAP = 3
_FAR_GAP = 10  # denials, threats, conditionals
_BACKGROUND_GAP = 6  # background markers, either side of the trigger
_WEAK_GAP = 6  # words allowed between a weak trigger and its attack word
_OVERFLIGHT_GAP = 2
_SINCE_GAP = 3  # words after "منذ" that may make it recent
_INTERCEPT_GAP = 4
_OWNER_GAP = 2  # words between missiles and the force they belong to ("صواريخ يعتقد أنها أميركية")
_UNIT_GAP = 2  # words between "قبل" and its time unit ("قبل ثلاثة أسابيع")
_ACTOR_GAP = 8  # how far a capture word looks for its actor
_YEARS = range(1950, 2100)

EXPLOSIONS = "Explosions/Remote violence"
BATTLES = "Battles"
_AIR = "Air/drone strike"
_SHELLING = "Shelling/artillery/missile attack"
_CHEMICAL = "Chemical weapon"
_SUICIDE = "Suicide bomb"
_REMOTE = "Remote explosive/landmine/IED"
_ATTACK = "Attack"
_CLASH = "Armed clash"
_DISRUPTED = "Disrupted weapons use"
_AGREEMENT = "Agreement"
_GOVERNMENT = "Government regains territory"
_NON_STATE = "Non-state actor overtakes territory"
_TRANSFER = "Non-violent transfer of territory"
_STATE_FORCES = "State forces"
_NON_STATE_TYPES = frozenset(
    ("Rebel group", "Political militia", "Identity militia", "External/Other forces")
)
_PROTESTS = ("Excessive force against protesters", "Protest with intervention", "Peaceful protest")
_ANY = frozenset(("اي", "any"))
_SINCE = frozenset(("منذ", "since"))
_BEFORE = frozenset(("قبل",))
_AGO = "ago"
_GROUND_ARMED = frozenset(("Rebel group", "Political militia", "Identity militia"))  # no aircraft
_PURPOSE = ("ل", "ول", "فل")  # لـ + verbal noun: "لاستعادة" (to retake)
_STATE_WORD = Actor("the army", _STATE_FORCES)

# Roles of the phrases: triggers, the words that qualify them, context cues.
_STRONG, _WEAK, _TERRITORY = "strong", "weak", "territory"
_BOMBARD, _MISSILE, _MISSILE_ATTACK, _STRIKE = "bombard", "missile", "missile_attack", "strike"
_AIRCRAFT, _AIR_FORCE, _ATTACK_WORD, _IGNORE = "aircraft", "air_force", "attack", "ignore"
_OVERFLIGHT, _IGNORE_CUE, _QAD, _AGENT = "overflight", "ignore_cue", "qad", "agent"
_NEG_NEAR, _NEG, _MOD_NEAR, _MOD, _BACKGROUND = "neg_near", "neg", "mod_near", "mod", "background"
_STATE, _DEAL = "state_word", "deal"
_AIR_DEFENCE, _INTERCEPT, _SENTENCE_BACKGROUND = "air_defence", "intercept", "sentence_background"
_BLOCK, _PENDING, _DONE = "blocked_by", "pending_with", "done_with"
_SUB_TYPE_CONTEXT = (_BLOCK, _PENDING, _DONE)
_TRIGGER_ROLES = frozenset(
    (_STRONG, _WEAK, _BOMBARD, _MISSILE, _MISSILE_ATTACK, _STRIKE, _TERRITORY, _AIR_DEFENCE)
)
# Plain phrase lists of events.yaml and their roles. Trigger groups are scanned in every sentence;
# context groups (mostly frequent function words) only in sentences with a trigger.
_TRIGGER_GROUPS = (
    ("missiles", _MISSILE),
    ("missile_attacks", _MISSILE_ATTACK),
    ("bombardment", _BOMBARD),
    ("strike_words", _STRIKE),
    ("aircraft", _AIRCRAFT),
    ("air_forces", _AIR_FORCE),
    ("attack_words", _ATTACK_WORD),
    ("territory", _TERRITORY),
    ("air_defences", _AIR_DEFENCE),
    ("ignore", _IGNORE),
)
_CONTEXT_GROUPS = (
    ("overflight", _OVERFLIGHT),
    ("not_cues", _IGNORE_CUE),
    ("negation_near", _NEG_NEAR),
    ("negation", _NEG),
    ("denial_of_agent", _AGENT),
    ("modality_near", _MOD_NEAR),
    ("modality", _MOD),
    ("background", _BACKGROUND),
    ("background_sentence", _SENTENCE_BACKGROUND),
    ("interception_words", _INTERCEPT),
    ("state_force_words", _STATE),
    ("deal_words", _DEAL),
)
_DEFINITE_GROUPS = frozenset(("missiles", "missile_attacks", "bombardment", "aircraft", "attack_words"))
# One-word lists, read as sets of folded words.
_WORD_SETS = (
    "date_words", "months", "past_words", "since_recent", "long_time_units", "pluperfect_openers",
    "pluperfect_reports", "recent_words", "qad_perfect", "not_futures", "relative_pronouns",
)
_ARABIC_PARTICLES = frozenset(("علي", "في", "من", "عن", "الي", "مع", "بين", "ضد", "بعد", "قبل", "دون", "ان"))


@dataclass(frozen=True, slots=True)
class _Lexicon:
    triggers: LexiconScanner[tuple[str, str]]
    context: LexiconScanner[tuple[str, str]]
    event_type: dict[str, str]  # sub-event type -> event type
    order: dict[str, int]  # sub-event type -> rank in the taxonomy
    words: dict[str, frozenset[str]]  # the one-word lists (_WORD_SETS), folded
    not_future_beginnings: tuple[str, ...]
    history_before: int


@dataclass(frozen=True, slots=True)
class _Hit:
    role: str
    sub_type: str
    first: int
    last: int  # index after the last word


@dataclass(frozen=True, slots=True)
class _Reading:
    """What one sentence shows: its sub-types, those only generic words showed, and whether an
    Attack gave way to the weapon that did it."""

    subs: list[str]
    generic: frozenset[str] = frozenset()
    attack_by_weapon: bool = False


# --- The lexicon --------------------------------------------------------------------------------


def _definite(phrase: str) -> str | None:
    """The phrase with ال on each Arabic word that lacks it ("غارة جوية" → "الغارة الجوية")."""
    words = phrase.split()
    if not any("\u0621" <= w[0] <= "\u064a" for w in words):
        return None
    out = [w if w.startswith(("ال", "بال", "لل", "وال")) or _is_particle(w) else "ال" + w for w in words]
    return " ".join(out) if out != words else None


def _is_particle(word: str) -> bool:
    key = phrase_key(word)
    return bool(key) and key[0] in _ARABIC_PARTICLES


def _with_definite(phrases: list[str]) -> list[str]:
    return phrases + [d for d in (_definite(p) for p in phrases) if d]


def _taxonomy(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, int]]:
    taxonomy = data.get("taxonomy")
    if not isinstance(taxonomy, dict) or not taxonomy:
        raise DataFileError(f"summarizer/data/{_FILE}: 'taxonomy' must map event types to sub-types")
    event_type: dict[str, str] = {}
    for kind in taxonomy:
        for sub in string_list(taxonomy, kind, _FILE):
            if sub in event_type:
                raise DataFileError(f"summarizer/data/{_FILE}: taxonomy: sub-type {sub!r} listed twice")
            event_type[sub] = kind
    return event_type, {sub: rank for rank, sub in enumerate(event_type)}


_Entries = list[tuple[str, tuple[str, str]]]


def _trigger_entries(data: dict[str, Any], event_type: dict[str, str]) -> tuple[_Entries, _Entries]:
    """(trigger phrases, sub-type context phrases) of the `triggers` mapping, validated."""
    triggers = data.get("triggers")
    if not isinstance(triggers, dict):
        raise DataFileError(f"summarizer/data/{_FILE}: 'triggers' must map sub-event types to phrases")
    entries: _Entries = []
    context: _Entries = []
    allowed = {_STRONG, _WEAK, *_SUB_TYPE_CONTEXT}
    for sub, lists in triggers.items():
        where = f"summarizer/data/{_FILE}: triggers: {sub!r}"
        if sub not in event_type:
            raise DataFileError(f"{where}: not a sub-event type of the taxonomy")
        if not isinstance(lists, dict) or set(lists) - allowed:
            raise DataFileError(f"{where}: must map some of {', '.join(sorted(allowed))} to phrase lists")
        name = f"{_FILE}: triggers: {sub}"
        for role in (_STRONG, _WEAK):
            if role in lists:
                entries += [(p, (role, sub)) for p in _with_definite(string_list(lists, role, name))]
        for role in _SUB_TYPE_CONTEXT:
            if role in lists:
                context += [(p, (role, sub)) for p in string_list(lists, role, name)]
    return entries, context


def _words(data: dict[str, Any], key: str) -> frozenset[str]:
    """The folded words of a list of phrases (the last word of each: "كانون الثاني" → "الثاني")."""
    keys = [phrase_key(p) for p in string_list(data, key, _FILE)]
    return frozenset(k[-1] for k in keys if k)


def _year(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value not in _YEARS:
        raise DataFileError(f"summarizer/data/{_FILE}: '{key}' must be a year between 1950 and 2099")
    return value


@cache
def _lexicon() -> _Lexicon:
    data = load_yaml(_FILE)
    event_type, order = _taxonomy(data)
    entries, context = _trigger_entries(data, event_type)
    for key, role in _TRIGGER_GROUPS:
        phrases = string_list(data, key, _FILE)
        if key in _DEFINITE_GROUPS:
            phrases = _with_definite(phrases)
        entries += [(p, (role, "")) for p in phrases]
    context += [(p, (role, "")) for key, role in _CONTEXT_GROUPS for p in string_list(data, key, _FILE)]
    context.append(("قد", (_QAD, "")))
    return _Lexicon(
        triggers=LexiconScanner(entries),
        context=LexiconScanner(context),
        event_type=event_type,
        order=order,
        words={key: _words(data, key) for key in _WORD_SETS},
        not_future_beginnings=tuple(sorted(_words(data, "not_future_beginnings"))),
        history_before=_year(data, "history_before"),
    )


# --- Tagging an article -------------------------------------------------------------------------


def tag_events(sentences: Sequence[str], language: str) -> list[EventTag]:
    """ACLED sub-event types shown by the sentences, each with its best evidence sentence."""
    del language  # triggers of both scripts apply to any text; they cannot collide
    lexicon = _lexicon()
    folded = fold_sentences(sentences)
    latest = max((year for words in folded for year in _dated_years(words, lexicon)), default=0)
    found: dict[str, int] = {}  # sub-type -> evidence: its first sentence with a specific trigger,
    specific: set[str] = set()  # else its first sentence at all
    attack_by_weapon = False
    for index, words in enumerate(folded):
        reading = _read_sentence(words, lexicon, latest)
        for sub in reading.subs:
            if sub not in reading.generic and sub not in specific:
                specific.add(sub)
                found[sub] = index
            found.setdefault(sub, index)
        attack_by_weapon |= reading.attack_by_weapon
    # "قصف جوي" ... "وطال القصف بلدات": the generic bombardment is the air strike again; and the
    # bombardment of a chemical attack is that attack.
    if _SHELLING in found and _AIR in found and _SHELLING not in specific:
        del found[_SHELLING]
    if _AIR in found and _CHEMICAL in found and _AIR not in specific:
        del found[_AIR]
    if attack_by_weapon:
        found.pop(_ATTACK, None)
    if any(p in found for p in _PROTESTS):
        most_severe = next(p for p in _PROTESTS if p in found)
        found = {sub: i for sub, i in found.items() if sub not in _PROTESTS or sub == most_severe}
    ordered = sorted(found.items(), key=lambda item: (item[1], lexicon.order[item[0]]))
    return [EventTag(lexicon.event_type[sub], sub, sentences[i], i) for sub, i in ordered]


def _dated_years(words: list[str], lexicon: _Lexicon) -> list[int]:
    """Years the words date something with: a year after a date word or a month name."""
    return [int(words[i]) for i in range(1, len(words)) if _dated_year(words, i, lexicon)]


def _dated_year(words: list[str], i: int, lexicon: _Lexicon) -> bool:
    word, before = words[i], words[i - 1]
    if len(word) != 4 or not word.isdigit() or int(word) not in _YEARS:
        return False
    return before in lexicon.words["date_words"] or before in lexicon.words["months"]


# --- Reading one sentence -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sentence:
    """One sentence being read: its folded words, the phrases found, and what they imply."""

    words: list[str]
    hits: list[_Hit]
    attacks: list[_Hit]  # attack words and strong violent triggers, not themselves suppressed
    air: bool  # evidence of strikes from the air: air-strike triggers, aircraft, air forces
    aircraft: bool  # ... without the forces (they may be the target of missiles)


_SPECIFIC, _GENERIC, _WEAK_BUCKET = 0, 1, 2


def _read_sentence(words: list[str], lexicon: _Lexicon, latest: int) -> _Reading:
    """Sub-event types one sentence (its folded words) shows, after the context rules. `latest` is
    the article's latest dated year."""
    hits = [_Hit(role, sub, first, last) for first, last, (role, sub) in lexicon.triggers.scan(words)]
    if not any(h.role in _TRIGGER_ROLES for h in hits):
        return _Reading([])
    hits += [_Hit(role, sub, first, last) for first, last, (role, sub) in lexicon.context.scan(words)]
    if _pluperfect(words, hits, lexicon) or _sentence_background(words, hits, lexicon):
        return _Reading([])
    attacks = [h for h in hits if _is_attack(h, lexicon) and not _suppressed(h, words, hits, lexicon)]
    air = _air_evidence(hits, (_AIRCRAFT, _AIR_FORCE))
    sentence = _Sentence(words, hits, attacks, air, air and _air_evidence(hits, (_AIRCRAFT,)))
    # specific: strong triggers and captures; generic: bombardment, missiles, strikes (air or
    # ground by the context); weak: triggers licensed by an attack word
    buckets: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for hit in hits:
        if hit.role not in _TRIGGER_ROLES or _suppressed(hit, words, hits, lexicon):
            continue
        if _background(hit, words, hits, lexicon, latest):
            continue
        found = _trigger_reading(hit, sentence, lexicon)
        if found is not None:
            buckets[found[0]].add(found[1])
    return _resolve(*buckets, hits, lexicon)


def _trigger_reading(hit: _Hit, sentence: _Sentence, lexicon: _Lexicon) -> tuple[int, str] | None:
    """(bucket, sub-type) one trigger shows in its sentence, or None."""
    hits, role = sentence.hits, hit.role
    near_attack = any(_near(hit, a, _WEAK_GAP) for a in sentence.attacks if a.first != hit.first)
    result: tuple[int, str] | None = None
    if role == _STRONG:
        result = _SPECIFIC, hit.sub_type
    elif role == _WEAK:
        # "تحليق الطيران الحربي" is flying, not striking
        flying = hit.sub_type == _AIR and _follows(hit, hits, _OVERFLIGHT, _OVERFLIGHT_GAP)
        result = (_WEAK_BUCKET, hit.sub_type) if near_attack and not flying else None
    elif role == _BOMBARD and not sentence.air and _ground_armed(sentence.words):
        result = _SPECIFIC, _SHELLING  # "بدأ مقاتلو الهيئة بقصف البلدتين": rebels have no aircraft
    elif role in (_BOMBARD, _MISSILE_ATTACK):
        result = _GENERIC, _AIR if sentence.air else _SHELLING
    elif role == _MISSILE and near_attack:
        # whose missiles: "الصواريخ الأميركية", not "استهدفت الميليشيات قاعدة للتحالف بالصواريخ"
        owners = [h for h in hits if h.role == _AIR_FORCE and 0 <= h.first - hit.last <= _OWNER_GAP]
        owned = any(not _follows(h, hits, _OVERFLIGHT, _OVERFLIGHT_GAP) for h in owners)
        result = _GENERIC, _AIR if owned or sentence.aircraft else _SHELLING
    elif role == _STRIKE and sentence.air:
        result = _GENERIC, _AIR
    elif role == _AIR_DEFENCE and any(h.role == _INTERCEPT and _near(hit, h, _INTERCEPT_GAP) for h in hits):
        result = _SPECIFIC, _DISRUPTED
    elif role == _TERRITORY:
        sub = _territory(sentence.words, hit, hits, lexicon)
        result = (_SPECIFIC, sub) if sub else None
    return result


def _ground_armed(words: list[str]) -> bool:
    """Whether the sentence names a rebel group or militia (forces without aircraft)."""
    return any(a is not None and a.type in _GROUND_ARMED for _, _, a in actor_lexicon().scan(words))


def _air_evidence(hits: list[_Hit], roles: tuple[str, ...]) -> bool:
    """Whether the sentence shows strikes from the air: an air-strike trigger, or a phrase of
    `roles` (aircraft, forces that strike from the air) not merely flying or targeted."""
    if any(h.role == _STRONG and h.sub_type == _AIR for h in hits):
        return True
    flyers = [h for h in hits if h.role in roles]
    return any(not _follows(h, hits, _OVERFLIGHT, _OVERFLIGHT_GAP) for h in flyers)


def _resolve(
    specific: set[str], generic: set[str], weak: set[str], hits: list[_Hit], lexicon: _Lexicon
) -> _Reading:
    """Specific triggers win over generic ones within a sentence (see the module docstring)."""
    explosions = {s for s in specific | generic | weak if lexicon.event_type[s] == EXPLOSIONS}
    if _REMOTE in weak and _REMOTE not in specific and explosions - {_REMOTE}:
        weak = weak - {_REMOTE}  # "انفجارات" caused by the strike
    if _CHEMICAL in specific | weak:
        generic = set()  # the bombardment that delivered the gas
        weak = {w for w in weak if lexicon.event_type[w] != EXPLOSIONS or w == _CHEMICAL}
    subs = specific | generic | weak
    if _SUICIDE in subs:
        subs.discard(_REMOTE)
    if _CLASH in subs and subs & {_GOVERNMENT, _NON_STATE}:
        subs.discard(_CLASH)  # the battle that won the ground: one territory event
    by_weapon = _ATTACK in subs and any(lexicon.event_type[s] in (EXPLOSIONS, BATTLES) for s in subs)
    if by_weapon:
        subs.discard(_ATTACK)
    subs = {s for s in subs if not _blocked(s, hits)}
    ordered = sorted(subs, key=lexicon.order.__getitem__)
    return _Reading(ordered, frozenset(generic - specific - weak), by_weapon)


def _blocked(sub: str, hits: list[_Hit]) -> bool:
    """A failure or breach, or talks that reached nothing, in the sentence of an agreement."""
    roles = {h.role for h in hits if h.sub_type == sub}
    return _BLOCK in roles or (_PENDING in roles and _DONE not in roles)


def _is_attack(hit: _Hit, lexicon: _Lexicon) -> bool:
    """An attack word, or a strong trigger of Explosions/Remote violence or Battles."""
    if hit.role == _ATTACK_WORD:
        return True
    return hit.role == _STRONG and lexicon.event_type[hit.sub_type] in (EXPLOSIONS, BATTLES)


def _near(hit: _Hit, other: _Hit, gap: int) -> bool:
    """Whether two phrases are at most `gap` words apart (either order)."""
    return 0 <= other.first - hit.last <= gap or 0 <= hit.first - other.last <= gap


def _follows(hit: _Hit, hits: list[_Hit], role: str, gap: int) -> bool:
    """Whether a phrase of `role` ends at most `gap` words before `hit`."""
    return any(h.role == role and h.last <= hit.first and hit.first - h.last <= gap for h in hits)


# --- Context rules ------------------------------------------------------------------------------


def _suppressed(hit: _Hit, words: list[str], hits: list[_Hit], lexicon: _Lexicon) -> bool:
    """Negated, denied, threatened, conditional, future or purpose: the trigger did not happen."""
    return _negated(hit, words, hits) or _modal(hit, words, hits, lexicon)


def _negated(hit: _Hit, words: list[str], hits: list[_Hit]) -> bool:
    """A negation right before, a denial before (not of the agent only), or "لم ... أي" before."""
    if _follows(hit, hits, _NEG_NEAR, _NEGATION_GAP):
        return True
    if _follows(hit, hits, _NEG, _FAR_GAP) and not any(h.role == _AGENT for h in hits):
        return True
    after_any = hit.first > 0 and words[hit.first - 1] in _ANY
    return after_any and _follows(hit, hits, _NEG_NEAR, _ANY_NEGATION_GAP)


def _modal(hit: _Hit, words: list[str], hits: list[_Hit], lexicon: _Lexicon) -> bool:
    """Future, possibility, threat, condition or purpose before the trigger."""
    if _follows(hit, hits, _MOD_NEAR, _MODAL_GAP) or _follows(hit, hits, _MOD, _FAR_GAP):
        return True
    if (hit.role == _TERRITORY or hit.sub_type == _AGREEMENT) and words[hit.first].startswith(_PURPOSE):
        return True  # "لاستعادة", "لوقف إطلاق النار": in order to, not done
    if any(_is_future(w, lexicon) for w in words[max(0, hit.first - _MODAL_GAP) : hit.first]):
        return True
    qads = [h for h in hits if h.role == _QAD and h.last <= hit.first and hit.first - h.last <= _MODAL_GAP]
    return any(_is_imperfect(words, h.last, lexicon) for h in qads)


def _is_future(word: str, lexicon: _Lexicon) -> bool:
    """س + an imperfect verb: "ستوجه", "وسيشن" (not "سيطرت", "سيارة", "سنوات": `not_futures`)."""
    if word[:1] in ("و", "ف") and word[1:2] == "س":
        word = word[1:]
    if len(word) < 4 or word[0] != "س" or word[1] not in "يتن" or word in lexicon.words["not_futures"]:
        return False
    return not word.startswith(lexicon.not_future_beginnings)


def _is_imperfect(words: list[str], i: int, lexicon: _Lexicon) -> bool:
    """Whether the word after "قد" is an imperfect verb ("قد تشن": may launch), not a perfect."""
    if i >= len(words):
        return False
    verb = words[i]
    return verb[:1] in ("ي", "ت", "ن") and len(verb) > 2 and verb not in lexicon.words["qad_perfect"]


def _background(hit: _Hit, words: list[str], hits: list[_Hit], lexicon: _Lexicon, latest: int) -> bool:
    """History rather than news, near the trigger: a history marker, "منذ" (not of this week), "قبل"
    + weeks or more, an old dated year."""
    if any(h.role == _BACKGROUND and _near(hit, h, _BACKGROUND_GAP) for h in hits):
        return True
    start, end = max(1, hit.first - _BACKGROUND_GAP), min(len(words), hit.last + _BACKGROUND_GAP)
    sets = lexicon.words
    for i in range(start - 1, end):
        word = words[i]
        if word in _SINCE and not any(w in sets["since_recent"] for w in words[i + 1 : i + 1 + _SINCE_GAP]):
            return True
        if word in _BEFORE and any(w in sets["long_time_units"] for w in words[i + 1 : i + 1 + _UNIT_GAP]):
            return True
        if word == _AGO and any(w in sets["long_time_units"] for w in words[max(0, i - _UNIT_GAP) : i]):
            return True
        old = i and _dated_year(words, i, lexicon) and int(word) < max(latest, lexicon.history_before)
        if old:
            return True
    return False


def _sentence_background(words: list[str], hits: list[_Hit], lexicon: _Lexicon) -> bool:
    """A reminder ("ويذكر أن ..."), or a past month ("في يوليو الماضي"): the sentence is history."""
    if any(h.role == _SENTENCE_BACKGROUND for h in hits):
        return True
    months, past = lexicon.words["months"], lexicon.words["past_words"]
    return any(words[i] in past and words[i - 1] in months for i in range(1, len(words)))


def _pluperfect(words: list[str], hits: list[_Hit], lexicon: _Lexicon) -> bool:
    """"وكانت ... قد + verb": what had happened before this report, unless this week."""
    opener = words[0] if words else ""
    if opener[:1] in ("و", "ف") and opener[1:] in lexicon.words["pluperfect_openers"]:
        opener = opener[1:]
    qads = [h.last for h in hits if h.role == _QAD and h.last < len(words)]
    if opener not in lexicon.words["pluperfect_openers"] or not qads:
        return False
    if any(words[i] in lexicon.words["pluperfect_reports"] for i in qads):
        return False  # "وكانت سانا قد نقلت أن ...": an earlier report of the news
    return not any(w in lexicon.words["recent_words"] for w in words)


def _territory(words: list[str], hit: _Hit, hits: list[_Hit], lexicon: _Lexicon) -> str | None:
    """Who took the ground, and how: the nearest actor decides between the territory sub-types."""
    if hit.last < len(words) and words[hit.last].isdigit():
        return None  # "captured 35": people, not ground
    if hit.first > 0 and words[hit.first - 1] in lexicon.words["relative_pronouns"]:
        return None  # "الميليشيات التي سيطرت على ...": what they had done
    actors = [(first, last, a) for first, last, a in actor_lexicon().scan(words) if a is not None]
    actors += [(h.first, h.last, _STATE_WORD) for h in hits if h.role == _STATE]
    best: tuple[int, int, Actor] | None = None
    for first, last, actor in actors:
        if first >= hit.last:
            distance, side = first - hit.last, 0  # Arabic VSO: the subject follows the verb
        elif last <= hit.first:
            distance, side = hit.first - last, 1
        else:
            continue
        if distance <= _ACTOR_GAP and (best is None or (distance, side) < best[:2]):
            best = (distance, side, actor)
    if best is None:
        return None
    if any(h.role == _DEAL for h in hits):
        return _TRANSFER  # "سيطرت قوات النظام على معبر نصيب كجزء من الاتفاق"
    actor = best[2]
    if actor.type == _STATE_FORCES or actor.pro_government:
        return _GOVERNMENT
    return _NON_STATE if actor.type in _NON_STATE_TYPES else None
