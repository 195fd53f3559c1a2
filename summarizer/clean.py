"""Removal of news-site boilerplate: share/follow lines, related-article blocks, bylines, datelines.

The patterns live in `data/boilerplate.yaml`; this module compiles them once, lazily. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from summarizer.resources import DataFileError, load_yaml, string_list
from summarizer.textnorm import normalize_letters, strip_marks

_FILE = "boilerplate.yaml"
_DASH = r"\s+[-–—]\s+"
_SENTENCE_END_RE = re.compile(r"[.!?؟…][\"”»’')\]]*\s*$")
_MAX_HEADLINE_WORDS = 20
_MAX_BYLINE_WORDS = 7
_MAX_FURNITURE_CHARS = 300  # the longest pattern in boilerplate.yaml matches about 230 characters
_PREFIX_CHARS = 160
_DASH_RE = re.compile("[-–—]")


@dataclass(frozen=True, slots=True)
class _Rules:
    drop: re.Pattern[str]
    block: re.Pattern[str]
    byline: re.Pattern[str]
    prefix: re.Pattern[str]


def _fold(text: str) -> str:
    return normalize_letters(strip_marks(text))


def _alternation(patterns: list[str], key: str) -> str:
    for position, pattern in enumerate(patterns, start=1):
        try:
            re.compile(pattern)
        except re.error as exc:
            message = f"summarizer/data/{_FILE}: '{key}' entry {position}: bad regex: {exc}"
            raise DataFileError(message) from exc
    return "|".join(f"(?:{_fold(p)})" for p in patterns)


@cache
def _rules() -> _Rules:
    data = load_yaml(_FILE)
    drop = _alternation(string_list(data, "drop_lines", _FILE), "drop_lines")
    block = _alternation(string_list(data, "block_starts", _FILE), "block_starts")
    outlets = "|".join(re.escape(_fold(o)) for o in string_list(data, "outlets", _FILE))
    place = r"[^\s.:،,]+(?:\s+[^\s.:،,]+){0,3}"
    byline = rf"(?:(?:{outlets}){_DASH}{place}|{place}{_DASH}(?:{outlets}))\s*[:：]?"
    # "دمشق - سانا:" (place, dash, outlet, colon) or "BEIRUT (Reuters) - " (wire-service style).
    arabic_dateline = rf"{place}{_DASH}[\"«“]?(?:{outlets})[\"»”]?\s*[:：]\s*"
    # The place is capitalised words, matched case-sensitively (the rest is IGNORECASE), so a
    # sentence that merely contains "(AP) -" keeps its opening words.
    wire_place = r"(?-i:[A-Z][\w.'-]*(?:,?\s+[A-Z][\w.'-]*){0,3})"
    wire_dateline = rf"{wire_place}\s*\((?:{outlets})\){_DASH}"
    prefix = rf"^(?:{arabic_dateline}|{wire_dateline})"
    flags = re.IGNORECASE
    return _Rules(
        re.compile(rf"(?:{drop})\s*", flags),
        re.compile(rf"(?:{block})\s*", flags),
        re.compile(byline, flags),
        re.compile(prefix, flags),
    )


def clean_text(text: str) -> str:
    """Drop boilerplate lines and blocks, strip dateline prefixes; keep paragraph breaks."""
    rules = _rules()
    kept: list[str] = []
    in_block = False
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.split("\n")]
    folded_lines = _fold_short(lines)
    for stripped, folded in zip(lines, folded_lines, strict=True):
        if not stripped:
            kept.append("")
            continue
        if folded is None:  # no boilerplate pattern matches a line this long
            in_block = False
            kept.append(_strip_prefix(stripped, rules))
            continue
        if rules.block.fullmatch(folded):
            in_block = True
            continue
        if in_block and _looks_like_headline(stripped):
            continue
        in_block = False
        if rules.drop.fullmatch(folded) or _is_byline(stripped, folded, rules):
            continue
        kept.append(_strip_prefix(stripped, rules))
    return "\n".join(kept).strip()


def _fold_short(lines: list[str]) -> list[str | None]:
    """The folded form of each line short enough to be boilerplate; None for the long ones.

    Folding keeps line breaks, so the short lines are folded in one call and split back; the long
    ones (most of an article's text) are never folded.
    """
    short = [line for line in lines if len(line) <= _MAX_FURNITURE_CHARS]
    folded = iter(_fold("\n".join(short)).split("\n"))
    return [next(folded).strip() if len(line) <= _MAX_FURNITURE_CHARS else None for line in lines]


def _looks_like_headline(line: str) -> bool:
    return not _SENTENCE_END_RE.search(line) and len(line.split()) <= _MAX_HEADLINE_WORDS


def _is_byline(line: str, folded: str, rules: _Rules) -> bool:
    return len(line.split()) <= _MAX_BYLINE_WORDS and rules.byline.fullmatch(folded) is not None


def _strip_prefix(line: str, rules: _Rules) -> str:
    """Remove a leading 'place – outlet:' dateline from the original line."""
    head = line[:_PREFIX_CHARS]
    if not _DASH_RE.search(head):
        return line  # every dateline form has a dash
    folded = _fold(head)
    if len(folded) != len(head):
        return line  # diacritics were removed: offsets in the folded text are not the line's
    match = rules.prefix.match(folded)
    if match is None or match.end() >= len(line):
        return line
    return line[match.end():].lstrip()
