"""Sentence segmentation for Arabic and English news text.

Rules: `.` `!` `?` `؟` (and runs of them, and the ellipsis `…`) end a sentence when followed by
space or the end of the text; line breaks always end one; `،` and `؛` never do. A terminator inside
a quotation that closes within the paragraph (« », “ ”, " ") does not end the sentence unless it
sits right before the closing mark. Decimal points (3.5, ٣.٥), abbreviations (Mr., U.S.),
initials and a full stop followed by a lower-case word do not end a sentence either. Pure.
"""

from __future__ import annotations

import re

from summarizer.models import Sentence

_PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n")
_LINE_RE = re.compile(r"[^\n]+")
# A terminator run, optionally followed by closing quotes/brackets, then whitespace or the end, or
# glued to the next Arabic word (a missing space, common in Arabic web text: "الأشجار.أغلب").
_BOUNDARY_RE = re.compile(r"[.!?؟…]+[\"”»’')\]]*(?=\s|$|[\u0621-\u064A])")
_TERMINAL_RE = re.compile(r"[.!?؟…:][\"”»’')\]]*$")
_WRAPPED_MIN_LINES = 3
_WRAPPED_MIN_WORDS = 6
_SYMMETRIC_QUOTES = frozenset("\"“”„")
_QUOTE_MARK_RE = re.compile("[\"“”„«»()]")
_OPEN_CLOSE = {"«": "»", "(": ")"}
_ABBREVIATIONS = frozenset((
    # titles and ranks
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "cpl", "pvt", "adm",
    "cmdr", "gov", "sen", "rep", "st", "jr", "sr",
    # companies, Latin, references
    "inc", "ltd", "co", "corp", "vs", "etc", "e.g", "i.e", "no", "nos", "approx", "dept", "est", "fig",
    # months
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    # dotted acronyms
    "u.s", "u.k", "u.n", "u.s.a", "e.u", "a.m", "p.m",
))
_NEXT_WORD_RE = re.compile(r"\s*([\"“«(]*)(\w)")


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences, numbering them and the paragraphs they come from."""
    sentences: list[Sentence] = []
    paragraph = 0
    for block in _PARAGRAPH_BREAK_RE.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [m.group(0).strip() for m in _LINE_RE.finditer(block)]
        if _is_hard_wrapped(lines):
            lines = [" ".join(lines)]
        pieces = [piece for line in lines if line for piece in split_line(line)]
        if not pieces:
            continue
        for position, piece in enumerate(pieces):
            sentences.append(Sentence(piece, len(sentences), paragraph, position))
        paragraph += 1
    return sentences


def _is_hard_wrapped(lines: list[str]) -> bool:
    """A block of long lines that mostly stop mid-sentence was wrapped by a tool, not by its author."""
    if len(lines) < _WRAPPED_MIN_LINES:
        return False
    body = lines[:-1]
    open_ended = sum(1 for line in body if not _TERMINAL_RE.search(line))

    mean_words = sum(len(line.split()) for line in body) / len(body)
    return open_ended * 10 >= len(body) * 6 and mean_words >= _WRAPPED_MIN_WORDS


def split_line(line: str) -> list[str]:
    """Split one line (no line breaks inside) into sentences."""
    protected = _quoted_spans(line)
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(line):
        end = match.end()
        if _inside(match.start(), protected) and not _closes_quote(match, protected):
            continue
        if not _is_boundary(line, match):
            continue
        piece = line[start:end].strip()
        if piece:
            pieces.append(piece)
        start = end
    tail = line[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def _is_boundary(line: str, match: re.Match[str]) -> bool:
    """Whether a terminator match really ends a sentence (abbreviations, initials, lower case)."""
    terminator = match.group(0)
    if not terminator.startswith(".") or terminator.startswith(".."):
        return True
    start = match.start()
    word = line[line.rfind(" ", 0, start) + 1 : start].lstrip("\"“«(").lower()
    if word.isascii() and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
        return False
    following = _NEXT_WORD_RE.match(line, match.end())
    return not (following and following.group(2).islower())


def _quoted_spans(line: str) -> list[tuple[int, int]]:
    """Spans (open, close) of quotations and brackets that close within the line."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for mark in _QUOTE_MARK_RE.finditer(line):
        i, char = mark.start(), mark.group(0)
        if stack and (char == _OPEN_CLOSE.get(stack[-1][0]) or (
            char in _SYMMETRIC_QUOTES and stack[-1][0] in _SYMMETRIC_QUOTES
        )):
            spans.append((stack.pop()[1], i))
        elif char in _OPEN_CLOSE or char in _SYMMETRIC_QUOTES:
            stack.append((char, i))
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(open_ < position < close for open_, close in spans)


def _closes_quote(match: re.Match[str], spans: list[tuple[int, int]]) -> bool:
    """A terminator right before a closing mark ends the quoted sentence and the outer one."""
    return any(match.start() < close < match.end() for _, close in spans)
