"""Feed bytes to `FeedEntry` records: feedparser reads the bytes, we keep plain text at once.

Input: a `FeedConfig` and the `FetchResult` of its URL. Output: a `ParsedFeed` value. feedparser is
handed the bytes and the response headers, never a URL, so it does no I/O; it honours the declared
or sniffed encoding (windows-1256 included), does not resolve external entities and drops entity
declarations whose values refer to other entities (the "billion laughs"); expat (2.4 and later)
caps the amplification of the rest. Malformed XML sets `bozo` and whatever entries feedparser's
lenient parser recovered are kept. Tested in tests/bot/test_parse.py.
"""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any

import feedparser
from lxml import etree, html  # type: ignore[import-untyped]  # lxml ships no type hints

from bot.identity import entry_identity
from bot.models import FeedConfig, FeedEntry, FetchResult, FetchStatus

# Elements whose text is never prose, and elements that end a line of text.
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
        "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>|<!--|&[#a-zA-Z0-9]+;")
_ANY_TAG_RE = re.compile(r"<[^>]*>")
_HEADERS_FOR_FEEDPARSER = ("content-type", "content-location", "content-language")
_REASON_CHARS = 200


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed's bytes came to: its entries, and whether (and why) the XML was not well formed."""

    entries: tuple[FeedEntry, ...]
    bozo: bool = False
    reason: str | None = None  # why the feed is bozo or empty, for logs and the admins
    title: str | None = None


def _lines(text: str) -> str:
    """Whitespace collapsed within lines; empty lines dropped."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags and scripts gone, entities decoded, one block per line."""
    if not _TAG_RE.search(markup):
        return _lines(markup)
    try:
        root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return _lines(markup)
    for element in list(root.iter(*_SKIP_TAGS)):
        element.drop_tree()  # keeps the tail text
    parts: list[str] = []
    # depth-first with an explicit stack (no recursion limit on deep markup); comments keep their tail
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        element, done = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else None  # comments and PIs have no tag name
        block = tag in _BLOCK_TAGS
        if done:
            if block:
                parts.append("\n")
            if element.tail and element is not root:
                parts.append(element.tail)
            continue
        if block:
            parts.append("\n")
        if tag is not None and element.text:
            parts.append(element.text)
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    text = _lines("".join(parts))
    if not text and markup.strip():
        # libxml2 gives up on pathological markup (nesting deeper than 256): strip tags crudely instead
        text = _lines(unescape(_ANY_TAG_RE.sub(" ", markup)))
    return text


def _raw(mapping: Any, key: str) -> Any:
    # dict.get bypasses FeedParserDict's key aliases, which warn (DeprecationWarning) on some keys
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _text(entry: Any, key: str) -> str:
    """The entry's `key` as plain text, stripping HTML only when feedparser says it is HTML."""
    value = _raw(entry, key)
    if not isinstance(value, str):
        return ""
    detail = _raw(entry, f"{key}_detail")
    kind = _raw(detail, "type") if isinstance(detail, dict) else None
    if kind == "text/plain":
        return _lines(value)
    return html_to_text(value)


def _content(entry: Any) -> str | None:
    contents = _raw(entry, "content")
    if not isinstance(contents, list):
        return None
    for content in contents:
        value = _raw(content, "value")
        if isinstance(value, str):
            kind = _raw(content, "type")
            text = _lines(value) if kind == "text/plain" else html_to_text(value)
            if text:
                return text
    return None


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = _raw(entry, key)
        if parsed is None:
            continue
        try:
            # feedparser normalises dates to UTC struct_time; timegm reads it as UTC
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
        except (OverflowError, ValueError, TypeError, OSError):
            continue
    return None


def _optional(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _entry(feed: FeedConfig, entry: Any) -> FeedEntry | None:
    title = _text(entry, "title")
    summary = _text(entry, "summary")
    content = _content(entry)
    guid = _optional(_raw(entry, "id"))
    url = _optional(_raw(entry, "link"))
    if not (title or summary or content):
        return None
    published = _published(entry)
    return FeedEntry(
        feed_id=feed.id,
        identity=entry_identity(guid, url, title, published),
        guid=guid,
        url=url,
        title=title.replace("\n", " "),
        summary=summary,
        content=content,
        published=published,
    )


def _describe(exc: object) -> str:
    message = " ".join(str(exc).split())[:_REASON_CHARS]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def parse_feed(feed: FeedConfig, result: FetchResult) -> ParsedFeed:
    """The entries of `result.body` as `FeedEntry` records (in feed order, each identity once)."""
    if result.status is not FetchStatus.OK:
        return ParsedFeed(entries=(), reason=f"nothing to parse: fetch {result.status}")
    if not result.body.strip():
        return ParsedFeed(entries=(), bozo=True, reason="empty body")
    headers = {k.lower(): v for k, v in result.headers.items() if k.lower() in _HEADERS_FOR_FEEDPARSER}
    headers.setdefault("content-location", result.final_url or result.url)  # base for relative links
    # We keep plain text only (html_to_text drops scripts and markup), so feedparser need not sanitise
    # HTML or resolve the URIs inside it: that is a third of its time.
    parsed = feedparser.parse(
        io.BytesIO(result.body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    entries: dict[str, FeedEntry] = {}
    for raw in parsed.entries:
        entry = _entry(feed, raw)
        if entry is not None:
            entries.setdefault(entry.identity, entry)
    bozo = bool(_raw(parsed, "bozo"))
    reason = _describe(_raw(parsed, "bozo_exception")) if bozo else None
    if not entries and not _raw(parsed, "version"):
        reason = f"not a feed ({reason})" if reason else "not a feed"
    feed_title = _raw(parsed.feed, "title")
    return ParsedFeed(
        entries=tuple(entries.values()),
        bozo=bozo,
        reason=reason,
        title=_lines(feed_title) if isinstance(feed_title, str) else None,
    )
