"""Records that cross the bot's edges: feed configuration, fetch results, feed entries.

Plain frozen dataclasses; times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One feed of feeds.yaml."""

    id: str
    name: str
    url: str
    language: str  # "ar" or "en"
    homepage: str
    full_text: bool  # whether entries carry the whole article (else the page is fetched)


class FetchStatus(StrEnum):
    """What a fetch came to: new bytes, nothing new (304), or a failure with a reason."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one HTTP GET (a value: errors are reported here, not raised)."""

    status: FetchStatus
    url: str
    final_url: str | None = None
    http_status: int | None = None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # why it failed, for logs and the admins' /feeds
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, turned into our own record as soon as feedparser has read it."""

    feed_id: str
    identity: str  # stable across restarts: guid, else canonical URL, else a hash (see identity.py)
    guid: str | None
    url: str | None
    title: str
    summary: str  # the feed's description, as plain text
    content: str | None  # full text when the feed carries it, as plain text
    published: datetime | None
