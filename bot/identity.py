"""Stable identity of a feed entry across restarts, and the canonical form of a URL.

Pure functions, no I/O. An entry is known by its guid when the feed gives one, else by its link in
canonical form (case of scheme and host, fragment, tracking parameters and query order do not
matter), else by a hash of its title and publication time. The kind is kept as a prefix
("guid:", "url:", "hash:") so identities of different kinds never collide.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that say where a click came from, not what the page is.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref"})
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Identities are database keys: a longer guid or URL is replaced by its hash, keeping the kind.
MAX_IDENTITY_CHARS = 512

# RFC 3986 reserved and unreserved characters stay as they are; "%" keeps existing escapes.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_ESCAPE_RE = re.compile(r"%[0-9a-fA-F]{2}")
_SPACE_RE = re.compile(r"\s+")


def _upper_escapes(text: str) -> str:
    return _ESCAPE_RE.sub(lambda match: match.group(0).upper(), text)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """`url` with scheme and host lower-cased, default port, fragment and tracking parameters dropped,
    the remaining query sorted, and percent-escapes normalised (raw and escaped Arabic paths agree)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a malformed port: keep the URL's own netloc rather than guess
        port = None
        host = parts.netloc.lower()
    netloc = host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username if parts.password is None else f"{parts.username}:{parts.password}"
        netloc = f"{userinfo}@{netloc}"
    path = _upper_escapes(quote(parts.path, safe=_PATH_SAFE)) or ("/" if netloc else "")
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(sorted(pairs), quote_via=quote, safe="-._~")
    return urlunsplit((scheme, netloc, path, query, ""))


def _bounded(kind: str, value: str) -> str:
    if len(kind) + len(value) > MAX_IDENTITY_CHARS:
        value = "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
    return kind + value


def entry_identity(guid: str | None, url: str | None, title: str | None, published: datetime | None) -> str:
    """The entry's stable key: "guid:…" if it has a guid, else "url:<canonical url>", else "hash:<sha256>"
    of its title and publication time."""
    guid = (guid or "").strip()
    if guid:
        return _bounded("guid:", guid)
    url = (url or "").strip()
    if url:
        return _bounded("url:", canonical_url(url))
    when = ""
    if published is not None:
        # a naive time is taken as UTC, never as the machine's local time (that would move with TZ)
        aware = published if published.tzinfo is not None else published.replace(tzinfo=UTC)
        when = aware.astimezone(UTC).isoformat()
    material = _SPACE_RE.sub(" ", title or "").strip() + "\n" + when
    return "hash:" + hashlib.sha256(material.encode("utf-8")).hexdigest()
