"""Alerts and event lists as Telegram HTML: frozen views in, message strings out (pure, no I/O).

`AlertView` says what to show about one event (`bot.views` builds it from the database);
`render_alert` and `render_event_list` turn views into Telegram HTML in the reader's language
(labels through `bot.i18n`; titles, summaries and names stay in their own language).

Safety and layout rules:
- Every interpolated string is cleaned (control and bidi-override characters removed, whitespace
  collapsed) and `html.escape`d; only http(s) URLs become links, their href escaped with quote=True.
  The output uses the tags b, i and a only, always balanced.
- Text whose direction differs from the interface's (an Arabic summary for an English reader, a
  Latin name or a time for an Arabic reader) is wrapped in a Unicode isolate, RLI (U+2067) or LRI
  (U+2066) ... PDI (U+2069), so it neither reorders nor is reordered by what surrounds it.
- A message stays within Telegram's 4096 characters, counted both as Telegram does (tags removed,
  entities decoded, UTF-16 code units: `visible_length`) and on the raw HTML. `split_html` splits
  longer HTML at paragraph, line, sentence or clause boundaries (Arabic ؟ ، ؛ included), closing
  the tags and isolates open at a cut and reopening them in the next part.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal
from urllib.parse import urlsplit

from bot.i18n import (
    event_type_label,
    governorate_label,
    is_rtl,
    normalize_language,
    precision_label,
    sub_event_type_label,
    t,
)

MESSAGE_LIMIT: Final = 4096
"""Telegram's limit on a message's text, in UTF-16 code units after entity parsing."""
MAX_SUMMARY_SENTENCES: Final = 3
MAX_SOURCES_SHOWN: Final = 10  # the rest become "and N more" before any summary sentence is dropped
MAX_PLACES_SHOWN: Final = 4
MAX_TITLE_CHARS: Final = 300
MAX_NAME_CHARS: Final = 80  # a place, outlet or casualty source name
MAX_URL_CHARS: Final = 2048  # longer URLs are shown unlinked: they would eat the message's raw budget
LIST_SENTENCE_CHARS: Final = 220
ELLIPSIS: Final = "…"

LRI: Final = "\u2066"  # left-to-right isolate
RLI: Final = "\u2067"  # right-to-left isolate
FSI: Final = "\u2068"  # first-strong isolate
PDI: Final = "\u2069"  # pop directional isolate

Direction = Literal["ltr", "rtl"]

_UNSAFE = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?>"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
    r"|.",
    re.DOTALL,
)
_LINK_SCHEMES: Final = frozenset({"http", "https"})


# --- Views -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceView:
    """A place of an event. Precision as ACLED: 1 the place itself, 2 near it, 3 only the region.

    `district_ar` is the district's Arabic name, when known (the gazetteer's).
    """

    place_id: str
    name_en: str
    name_ar: str | None
    governorate: str
    district: str | None
    precision: int
    district_ar: str | None = None


@dataclass(frozen=True, slots=True)
class SourceLink:
    """An outlet that reported the event, and its article's URL."""

    name: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Casualties:
    """The event's toll, and who reported it (e.g. "SOHR", "المرصد السوري"), where known."""

    killed: int | None = None
    injured: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class AlertView:
    """What an alert shows about one event. Times are timezone-aware UTC.

    `summary` is the representative article's sentences, in `summary_language` ("ar", "en").
    """

    event_id: int
    event_types: tuple[str, ...]
    sub_event_types: tuple[str, ...]
    places: tuple[PlaceView, ...]
    occurred_at: datetime | None
    first_seen_at: datetime
    casualties: Casualties
    title: str
    summary: tuple[str, ...]
    summary_language: str
    sources: tuple[SourceLink, ...]
    version: int = 1


# --- One alert -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Content:
    """The parts of an alert that shrink when it is too long."""

    sentences: tuple[str, ...]
    title: str
    sources_shown: int


@dataclass(frozen=True, slots=True)
class _Writer:
    """Renders pieces in one interface language."""

    lang: str
    ui: Direction = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ui", "rtl" if is_rtl(self.lang) else "ltr")

    def t(self, key: str, **params: object) -> str:
        """A message, escaped (the parameters are plain text)."""
        return html.escape(t(self.lang, key, **params), quote=False)

    def text(self, text: str, base: Direction | None = None) -> str:
        """Plain text escaped, isolated when its direction (`base`, else its first strong
        character's) is not the interface's."""
        return isolate(html.escape(text, quote=False), base or text_direction(text), self.ui)

    def link(self, label_html: str, url: str | None) -> str:
        """`label_html` as a link to `url` when that is a safe http(s) URL, else as is."""
        if url is None or not linkable(url):
            return label_html
        return f'<a href="{html.escape(url, quote=True)}">{label_html}</a>'


def render_alert(
    view: AlertView, lang: str, *, now: datetime | None = None, limit: int = MESSAGE_LIMIT
) -> str:
    """One event as a Telegram HTML message in `lang`, within `limit` (visible and raw).

    Too long, it drops summary sentences from the end (down to one), then shows fewer sources
    ("and N more"), then cuts the last sentence and then the title at a word boundary with "…".
    `now` adds the time elapsed ("2 h ago").
    """
    writer = _Writer(normalize_language(lang))
    sentences = tuple(s for s in (clean_text(s) for s in view.summary) if s)[:MAX_SUMMARY_SENTENCES]
    title = truncate(clean_text(view.title), MAX_TITLE_CHARS)
    content = _Content(sentences, title, min(len(view.sources), MAX_SOURCES_SHOWN))

    def build(c: _Content) -> str:
        return _compose(view, writer, now, c)

    text = build(content)
    if fits(text, limit):
        return text
    while len(content.sentences) > 1:
        content = _Content(content.sentences[:-1], content.title, content.sources_shown)
        text = build(content)
        if fits(text, limit):
            return text
    while content.sources_shown > 1:
        content = _Content(content.sentences, content.title, content.sources_shown - 1)
        text = build(content)
        if fits(text, limit):
            return text
    c = content
    if c.sentences:
        first = c.sentences[0]
        found = _longest_fitting(
            lambda n: build(_Content(tuple(filter(None, [truncate(first, n)])), c.title, c.sources_shown)),
            len(first),
            limit,
        )
        if found is not None:
            return found
    found = _longest_fitting(
        lambda n: build(_Content((), truncate(c.title, n), c.sources_shown)), len(c.title), limit
    )
    if found is not None:
        return found
    return split_html(build(_Content((), "", c.sources_shown)), limit)[0]  # only names exceed it now


def _compose(view: AlertView, w: _Writer, now: datetime | None, c: _Content) -> str:
    head = f"<b>{_kinds(view, w, with_types=True)}</b>"
    if view.version > 1:
        head += f" · <i>{w.t('alert.updated')}</i>"
    lines = [head]
    if c.title:
        lines.append(f"<b>{w.text(c.title)}</b>")
    if view.places:
        lines.append("📍 " + _places(view.places, w))
    lines.append("🕒 " + _when(view, w, now))
    toll = _toll(view.casualties, w, with_source=True)
    if toll:
        lines.append(toll)
    blocks = ["\n".join(lines)]
    if c.sentences:
        blocks.append(w.text(" ".join(c.sentences), _summary_direction(view, c.sentences)))
    if view.sources:
        blocks.append(_sources(view.sources, w, c.sources_shown))
    return "\n\n".join(blocks)


def _kinds(view: AlertView, w: _Writer, *, with_types: bool) -> str:
    """Event types › sub-types (or the sub-types alone), as HTML."""
    types = [w.text(event_type_label(w.lang, code)) for code in view.event_types]
    subs = [w.text(sub_event_type_label(w.lang, code)) for code in view.sub_event_types]
    if not types and not subs:
        return w.t("alert.no_type")
    sep = w.t("alert.list_separator")
    if subs and (not with_types or not types):
        return sep.join(subs)
    text = " · ".join(types)
    return f"{text}{w.t('alert.path_separator')}{sep.join(subs)}" if subs else text


def place_path(place: PlaceView, lang: str) -> list[str]:
    """A place as plain names, governorate › district › place, in `lang` where known, repeats skipped."""
    arabic = normalize_language(lang) == "ar"
    names = [governorate_label(lang, place.governorate)]
    if place.district:
        names.append(place.district_ar if arabic and place.district_ar else place.district)
    names.append(place.name_ar if arabic and place.name_ar else place.name_en)
    path: list[str] = []
    for name in (truncate(clean_text(n), MAX_NAME_CHARS) for n in names):
        if name and name.casefold() not in {p.casefold() for p in path}:
            path.append(name)
    return path


def _place(place: PlaceView, w: _Writer) -> str:
    text = w.t("alert.path_separator").join(w.text(name) for name in place_path(place, w.lang))
    if place.precision != 1:
        text += f" ({html.escape(precision_label(w.lang, place.precision), quote=False)})"
    return text


def _places(places: Sequence[PlaceView], w: _Writer, shown: int = MAX_PLACES_SHOWN) -> str:
    text = w.t("alert.list_separator").join(_place(p, w) for p in places[:shown])
    if len(places) > shown:
        text += " " + w.t("alert.more_places", count=len(places) - shown)
    return text


def _when(view: AlertView, w: _Writer, now: datetime | None) -> str:
    moment = _utc(view.occurred_at or view.first_seen_at)
    stamp = t(w.lang, "alert.time_utc", time=moment.strftime("%Y-%m-%d %H:%M"))
    text = w.text(stamp, "ltr")
    ago = None if now is None else relative_time(moment, _utc(now), w.lang)
    return f"{text} · {html.escape(ago, quote=False)}" if ago else text


def _utc(moment: datetime) -> datetime:
    """Aware UTC (a naive datetime is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def relative_time(then: datetime, now: datetime, lang: str) -> str | None:
    """How long ago `then` was ("2 h ago", "منذ ساعتين"); None if it is in the future."""
    seconds = (now - then).total_seconds()
    if seconds < 0:
        return None
    minutes = int(seconds // 60)
    if minutes < 1:
        return t(lang, "alert.just_now")
    if minutes < 60:
        return t(lang, "alert.minutes_ago", count=minutes)
    hours = minutes // 60
    if hours < 48:
        return t(lang, "alert.hours_ago", count=hours)
    return t(lang, "alert.days_ago", count=hours // 24)


def _toll(casualties: Casualties, w: _Writer, *, with_source: bool) -> str:
    parts = []
    if casualties.killed is not None:
        parts.append(w.t("alert.killed", count=casualties.killed))
    if casualties.injured is not None:
        parts.append(w.t("alert.injured", count=casualties.injured))
    if not parts:
        return ""
    text = " · ".join(parts)
    source = truncate(clean_text(casualties.source or ""), MAX_NAME_CHARS)
    if with_source and source:
        # The template is escaped around the source, which is isolated on its own.
        before, _, after = t(w.lang, "alert.according_to", source="\x00").partition("\x00")
        text += " " + html.escape(before, quote=False) + w.text(source) + html.escape(after, quote=False)
    return text


def _sources(sources: Sequence[SourceLink], w: _Writer, shown: int) -> str:
    items = [
        w.link(w.text(truncate(clean_text(s.name), MAX_NAME_CHARS) or "?"), s.url) for s in sources[:shown]
    ]
    text = w.t("alert.sources", count=len(sources)) + " "
    text += w.t("alert.list_separator").join(items)
    if len(sources) > shown:
        text += " " + w.t("alert.more_sources", count=len(sources) - shown)
    return text


def _summary_direction(view: AlertView, sentences: Sequence[str]) -> Direction | None:
    language = view.summary_language.lower().split("-")[0]
    if language in ("ar", "fa", "ur", "he", "ku", "ckb"):
        return "rtl"
    if language == "en":
        return "ltr"
    return text_direction(" ".join(sentences))


def _longest_fitting(build: Callable[[int], str], most: int, limit: int) -> str | None:
    """The longest `build(n)`, 0 <= n <= most, that fits (binary search; None if not even n=0)."""
    best = build(0)
    if not fits(best, limit):
        return None
    low, high = 1, most
    while low <= high:
        middle = (low + high) // 2
        text = build(middle)
        if fits(text, limit):
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


# --- Event lists -----------------------------------------------------------------------------------


def render_event_list(
    views: Sequence[AlertView],
    lang: str,
    *,
    heading: str,
    distances_km: Sequence[float] | None = None,
    limit_chars: int = MESSAGE_LIMIT,
    now: datetime | None = None,
) -> list[str]:
    """Events as compact numbered entries under `heading`, in as many messages as needed.

    `heading` is Telegram HTML (values in it escaped by the caller, as `t()` does not escape).
    Each entry: type, place path, distance (when `distances_km` is given, one per view), time,
    toll, the first summary sentence and a link to the first source. Messages break between
    entries only; an entry too long for a message on its own is split with `split_html`.
    """
    if distances_km is not None and len(distances_km) != len(views):
        raise ValueError(f"{len(distances_km)} distances for {len(views)} events")
    writer = _Writer(normalize_language(lang))
    if not views:
        return split_html(f"{heading}\n\n{writer.t('alert.no_events')}", limit_chars)
    entries = [
        _entry(i, view, writer, None if distances_km is None else distances_km[i - 1], now)
        for i, view in enumerate(views, start=1)
    ]
    messages: list[str] = []
    current = heading
    for entry in entries:
        candidate = f"{current}\n\n{entry}" if current else entry
        if fits(candidate, limit_chars):
            current = candidate
            continue
        if current:
            messages.extend(split_html(current, limit_chars))
        current = entry
    if current:
        messages.extend(split_html(current, limit_chars))
    return messages


def _entry(index: int, view: AlertView, w: _Writer, distance_km: float | None, now: datetime | None) -> str:
    head = f"<b>{index}. {_kinds(view, w, with_types=False)}</b>"
    if view.version > 1:
        head += f" · <i>{w.t('alert.updated')}</i>"
    first = [head]
    if view.places:
        first.append(_places(view.places, w, shown=1))
    if distance_km is not None and math.isfinite(distance_km):
        km = f"{distance_km:.1f}" if distance_km < 10 else f"{distance_km:.0f}"
        first.append(w.t("alert.distance_km", km=km))
    second = [_when(view, w, now)]
    toll = _toll(view.casualties, w, with_source=False)
    if toll:
        second.append(toll)
    lines = [" · ".join(first), " · ".join(second)]
    sentences = [s for s in (clean_text(s) for s in view.summary) if s]
    gist = truncate(sentences[0], LIST_SENTENCE_CHARS) if sentences else ""
    third = []
    if gist:
        third.append(w.text(gist, _summary_direction(view, sentences[:1])))
    else:
        title = truncate(clean_text(view.title), LIST_SENTENCE_CHARS)
        if title:
            third.append(w.text(title))
    source = next((s for s in view.sources if s.url and linkable(s.url)), None)
    source = source or (view.sources[0] if view.sources else None)
    if source is not None:
        link = w.link(w.text(truncate(clean_text(source.name), MAX_NAME_CHARS) or "?"), source.url)
        if len(view.sources) > 1:
            link += f" (+{len(view.sources) - 1})"
        third.append(link)
    if third:
        lines.append(" ".join(third))
    return "\n".join(lines)


# --- Text helpers ----------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Text safe to interpolate: control, bidi embedding/override/isolate characters dropped,
    whitespace (newlines included) collapsed to single spaces."""
    return _SPACES.sub(" ", _UNSAFE.sub(" ", text)).strip()


def truncate(text: str, chars: int) -> str:
    """`text` cut to at most `chars` characters at a word boundary, "…" included; as is if it fits."""
    if len(text) <= chars:
        return text
    if chars <= len(ELLIPSIS):
        return ""
    cut = chars - len(ELLIPSIS)
    while cut > 0 and unicodedata.combining(text[cut]):  # keep marks with their letter
        cut -= 1
    head = text[:cut]
    space = head.rfind(" ")
    if space > cut // 2:
        head = head[:space]
    head = head.rstrip(" ,،؛;:-–—.")
    return head + ELLIPSIS if head else ""


def text_direction(text: str) -> Direction | None:
    """The direction of the first strong character (None: no letters, e.g. only digits)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


def isolate(text_html: str, direction: Direction | None, ui: Direction) -> str:
    """`text_html` in an RLI/LRI ... PDI isolate when its direction is not the interface's."""
    if direction is None or direction == ui or not text_html:
        return text_html
    return f"{RLI if direction == 'rtl' else LRI}{text_html}{PDI}"


def linkable(url: str) -> bool:
    """True for an absolute http(s) URL with a host, no spaces or controls, of a sane length."""
    if len(url) > MAX_URL_CHARS or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in url):
        return False
    if _UNSAFE.search(url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in _LINK_SCHEMES and bool(host)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units (what Telegram counts)."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html_text: str) -> int:
    """Telegram's length of an HTML message: tags stripped, entities decoded, UTF-16 code units."""
    return utf16_length(html.unescape(_TAG.sub("", html_text)))


def fits(html_text: str, limit: int = MESSAGE_LIMIT) -> bool:
    """True if both the visible text and the raw HTML are within `limit` UTF-16 code units."""
    return utf16_length(html_text) <= limit and visible_length(html_text) <= limit


# --- Splitting -------------------------------------------------------------------------------------

_TEXT, _OPEN, _CLOSE, _ISO_OPEN, _ISO_CLOSE = range(5)
_SENTENCE_ENDS: Final = frozenset(".!?…")
_CLAUSE_ENDS: Final = frozenset(",;:")
_ARABIC_SENTENCE_ENDS: Final = frozenset("؟")  # no space needed after them: never inside a number
_ARABIC_CLAUSE_ENDS: Final = frozenset("،؛")
_PARAGRAPH, _LINE, _SENTENCE, _CLAUSE, _WORD, _ANYWHERE = 5, 4, 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class _Token:
    kind: int
    raw: str
    name: str = ""  # tag name, lower case; for text, the decoded text
    raw_units: int = 0
    visible_units: int = 0


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        raw = match.group()
        units = utf16_length(raw)
        if match["name"]:
            name = match["name"].lower()
            if match["close"]:
                tokens.append(_Token(_CLOSE, raw, name, units))
            elif raw.endswith("/>"):
                tokens.append(_Token(_TEXT, raw, "", units))  # a void tag: kept, opens nothing
            else:
                tokens.append(_Token(_OPEN, raw, name, units))
        elif raw in (LRI, RLI, FSI):
            tokens.append(_Token(_ISO_OPEN, raw, raw, 1, 1))
        elif raw == PDI:
            tokens.append(_Token(_ISO_CLOSE, raw, raw, 1, 1))
        else:
            decoded = html.unescape(raw) if raw.startswith("&") else raw
            tokens.append(_Token(_TEXT, raw, decoded, units, utf16_length(decoded)))
    return tokens


def _closer(token: _Token) -> tuple[str, int, int]:
    """The text that closes an open tag or isolate: (raw, raw units, visible units)."""
    if token.kind == _ISO_OPEN:
        return PDI, 1, 1
    raw = f"</{token.name}>"
    return raw, len(raw), 0


def _consume(stack: list[_Token], token: _Token) -> _Token:
    """Update the stack of open tags and isolates for `token`; returns it as it counts (a stray
    closing tag or PDI is plain text)."""
    if token.kind in (_OPEN, _ISO_OPEN):
        stack.append(token)
        return token
    if token.kind == _CLOSE:
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].kind == _OPEN and stack[depth].name == token.name:
                del stack[depth:]
                return token
        return _Token(_TEXT, token.raw, "", token.raw_units, 0)
    if token.kind == _ISO_CLOSE:
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].kind == _ISO_OPEN:
                del stack[depth:]
                return token
        return _Token(_TEXT, token.raw, token.raw, 1, 1)
    return token


def _level(tokens: Sequence[_Token], j: int, previous: str) -> int:  # noqa: PLR0911 - one rule per return
    """How good a place a cut before text token `j` is; `previous` is the last text before it."""
    char = tokens[j].name
    if char == "\n":
        following = next((k for k in range(j + 1, len(tokens)) if tokens[k].kind == _TEXT), None)
        return _PARAGRAPH if following is not None and tokens[following].name == "\n" else _LINE
    if previous in _ARABIC_SENTENCE_ENDS:
        return _SENTENCE
    if previous in _ARABIC_CLAUSE_ENDS:
        return _CLAUSE
    if char.isspace():
        if previous in _SENTENCE_ENDS:
            return _SENTENCE
        if previous in _CLAUSE_ENDS:
            return _CLAUSE
        return _WORD
    if len(char) == 1 and (unicodedata.combining(char) or char in "\u200c\u200d"):
        return -1  # never separate a mark or joiner from its letter
    return _ANYWHERE


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into parts within `limit` (visible and raw UTF-16 units), each well-formed.

    Cuts fall at the best boundary in the second half of a part (paragraph, line, sentence, clause,
    word: Arabic ؟ ، ؛ included), else the best anywhere, else between two characters; never inside
    a tag or an entity. Tags and isolates open at a cut are closed there and reopened after it;
    whitespace at a cut is dropped. Raises ValueError if the markup alone cannot fit.
    """
    if fits(text, limit):
        return [text] if text else []
    tokens = _tokenize(text)
    parts: list[str] = []
    start, stack = 0, list[_Token]()
    while start < len(tokens):
        end, after = _cut(tokens, start, stack, limit)
        body = "".join(tok.raw for tok in tokens[start:end])
        opening = "".join(tok.raw for tok in stack)
        closing = "".join(_closer(tok)[0] for tok in reversed(after))
        parts.append(opening + body + closing)
        start, stack = end, after
        while start < len(tokens) and tokens[start].kind == _TEXT and tokens[start].name.isspace():
            start += 1
    return parts


def _cut(
    tokens: Sequence[_Token], start: int, stack: Sequence[_Token], limit: int
) -> tuple[int, list[_Token]]:
    """Where the part starting at `start` (with `stack` open) ends, and what is open there."""
    open_now = list(stack)
    raw = sum(tok.raw_units for tok in open_now)
    visible = sum(tok.visible_units for tok in open_now)
    close_raw = sum(_closer(tok)[1] for tok in open_now)
    close_visible = sum(_closer(tok)[2] for tok in open_now)
    best: dict[int, tuple[int, int]] = {}  # level -> (cut index, raw units before it)
    previous, seen_text = "", False
    for j in range(start, len(tokens)):
        token = tokens[j]
        if token.kind == _TEXT and seen_text and token.visible_units:
            level = _level(tokens, j, previous)
            if level >= 0 and raw + close_raw <= limit and visible + close_visible <= limit:
                best[level] = (j, raw)
        counted = _consume(open_now, token)
        raw += counted.raw_units
        visible += counted.visible_units
        close_raw = sum(_closer(tok)[1] for tok in open_now)
        close_visible = sum(_closer(tok)[2] for tok in open_now)
        if counted.kind == _TEXT and counted.visible_units:
            seen_text = True
            previous = counted.name
        if raw + close_raw > limit or visible + close_visible > limit:
            break
    else:
        return len(tokens), open_now
    if not best:
        raise ValueError(f"cannot split within {limit} characters: the markup alone is too long")
    end = _choose(best, limit)
    while end - 1 > start and tokens[end - 1].kind in (_OPEN, _ISO_OPEN):
        end -= 1  # a tag opened just before the cut opens in the next part instead
    after = list(stack)
    for token in tokens[start:end]:
        _consume(after, token)
    return end, after


def _choose(best: dict[int, tuple[int, int]], limit: int) -> int:
    for level in range(_PARAGRAPH, _ANYWHERE, -1):
        if level in best and best[level][1] >= limit // 2:
            return best[level][0]
    return best[max(best)][0]
