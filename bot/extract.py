"""Main text of an article page, for feed entries that carry only a teaser.

Input: the page's bytes, its URL and the HTTP response headers. Output: an `ArticleText` (title and
text without the site's navigation, share buttons, related-article lists and footer) or None when the
page holds no usable text. The bytes are decoded here (HTTP charset, then `<meta charset>`, then
UTF-8, then windows-1256, the usual legacy encoding of Arabic sites); trafilatura finds the text.
CPU-bound (tens of milliseconds a page): call it off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

import trafilatura

FALLBACK_ENCODING = "windows-1256"
# WHATWG sniffing looks at the first 1024 bytes; real pages put scripts before <meta>, so look further.
_PRESCAN_BYTES = 8192
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Pages that declare a Latin encoding but are valid UTF-8 are mislabelled UTF-8 (a common CMS slip).
_LATIN = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252"})


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The article of a page: its title (when the page has one) and its main text as plain text."""

    title: str | None
    text: str


def _codec(label: bytes | str | None) -> str | None:
    """Python's name for an encoding label, or None when it is unknown."""
    if label is None:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def _header_charset(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    match = _HEADER_CHARSET_RE.search(content_type)
    return _codec(match.group(1)) if match else None


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """The page as text: a byte-order mark wins, then the HTTP charset, then `<meta charset>`, then
    UTF-8, then windows-1256 (which decodes any bytes)."""
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return body.decode(bom_codec, errors="replace")
    meta = _META_CHARSET_RE.search(body[:_PRESCAN_BYTES])
    candidates: list[str] = []
    for declared in (_header_charset(headers), _codec(meta.group(1)) if meta else None):
        if declared is not None:
            candidates += ["utf-8", declared] if declared in _LATIN else [declared]
    candidates += ["utf-8", FALLBACK_ENCODING]
    for codec in dict.fromkeys(candidates):  # in order, each once
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    return body.decode(FALLBACK_ENCODING, errors="replace")


def _clean(text: str | None) -> str:
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def extract_article(html: bytes, url: str, headers: Mapping[str, str] | None = None) -> ArticleText | None:
    """The main text and title of the article page `html` fetched from `url`; None if it has none."""
    if not html.strip():
        return None
    document = trafilatura.bare_extraction(
        decode_html(html, headers),
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
        with_metadata=True,
    )
    if document is None:
        return None
    text = _clean(getattr(document, "text", None))
    if not text:
        return None
    title = _clean(getattr(document, "title", None)).replace("\n", " ")
    return ArticleText(title=title or None, text=text)
