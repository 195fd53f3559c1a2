"""Actors named in a text, with their ACLED actor types: `find_actors`.

The aliases live in `data/actors.yaml` (Arabic and English, one display name and one ACLED type
per actor); they are matched as phrases (`summarizer.lexicon`: folded letters, Arabic proclitics,
longest alias first), each actor reported once, at its first mention. Phrases listed under
`ignore` contain an alias but name something else ("الأمن العام اللبناني"): they win over the
shorter alias and are dropped.
Pure: reads its data file once, lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from summarizer.lexicon import LexiconScanner, Token, phrase_key, spans_of, words_and_locator
from summarizer.models import ActorMention
from summarizer.resources import DataFileError, load_yaml, string_list

ACTOR_TYPES: tuple[str, ...] = (
    "State forces",
    "Rebel group",
    "Political militia",
    "Identity militia",
    "Rioters",
    "Protesters",
    "Civilians",
    "External/Other forces",
)
"""ACLED's actor types, spelled as the project shows them."""

_FILE = "actors.yaml"

# --- Actors -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """An actor of the lexicon: display name and ACLED actor type."""

    name: str
    type: str
    pro_government: bool = False  # fights on the Syrian government's side (data: `side: government`)


def _entry_aliases(entry: dict[str, Any], where: str) -> list[str]:
    aliases: list[str] = []
    for key in ("ar", "en"):
        if key in entry:
            aliases += string_list(entry, key, _FILE)
    if not aliases:
        raise DataFileError(f"{where}: needs at least one alias under 'ar' or 'en'")
    return aliases


@cache
def _lexicon() -> LexiconScanner[Actor | None]:
    data = load_yaml(_FILE)
    entries = data.get("actors")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(f"summarizer/data/{_FILE}: 'actors' must be a non-empty list")
    pairs: list[tuple[str, Actor | None]] = []
    owners: dict[tuple[str, ...], str] = {}
    names: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        where = f"summarizer/data/{_FILE}: actor {position}"
        if not isinstance(entry, dict):
            raise DataFileError(f"{where}: must be a mapping with name, type, ar/en")
        name, kind = entry.get("name"), entry.get("type")
        if not isinstance(name, str) or not name.strip():
            raise DataFileError(f"{where}: 'name' must be a non-empty string")
        where = f"{where} ({name})"
        if name in names:
            raise DataFileError(f"{where}: duplicate name")
        if kind not in ACTOR_TYPES:
            raise DataFileError(f"{where}: 'type' must be one of {', '.join(ACTOR_TYPES)}, not {kind!r}")
        side = entry.get("side")
        if side not in (None, "government"):
            raise DataFileError(f"{where}: 'side' can only be 'government', not {side!r}")
        names.add(name)
        actor = Actor(name, kind, pro_government=side == "government")
        for alias in _entry_aliases(entry, where):
            key = phrase_key(alias)
            if key in owners and owners[key] != name:
                raise DataFileError(f"{where}: alias {alias!r} already belongs to {owners[key]}")
            owners[key] = name
            pairs.append((alias, actor))
    pairs += [(phrase, None) for phrase in string_list(data, "ignore", _FILE)]
    return LexiconScanner(pairs)


def actor_lexicon() -> LexiconScanner[Actor | None]:
    """The actor aliases as a scanner over folded words (`None` values are ignored phrases)."""
    return _lexicon()


def find_actors(text: str, language: str, *, tokens: Sequence[Token] | None = None) -> list[ActorMention]:
    """Actors named in `text`, one mention each (the first), in order of appearance.

    `tokens` may pass `lexicon.tokenize(text)` when the caller has it already. Aliases of both
    scripts apply to any text, so `language` changes nothing (they cannot collide).
    """
    del language
    if tokens is None:
        words, pattern, located = words_and_locator(text)
    else:
        words = [t.norm for t in tokens]
    found: list[tuple[int, int, Actor]] = []
    seen: set[str] = set()
    for first, last, actor in _lexicon().scan(words):
        if actor is not None and actor.name not in seen:
            seen.add(actor.name)
            found.append((first, last - 1, actor))
    if tokens is None:
        spans = spans_of(pattern, located, {i for first, last, _ in found for i in (first, last)})
    else:
        spans = {i: (tokens[i].start, tokens[i].end) for first, last, _ in found for i in (first, last)}
    mentions: list[ActorMention] = []
    for first, last, actor in found:
        start, end = spans[first][0], spans[last][1]
        mentions.append(ActorMention(actor.name, actor.type, text[start:end], start, end))
    return mentions
