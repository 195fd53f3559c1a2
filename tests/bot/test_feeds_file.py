"""The curated feeds.yaml is well formed: every entry has the fields the bot will read, ids are unique."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

FEEDS_FILE = Path(__file__).resolve().parents[2] / "feeds.yaml"
FIELDS = {"id", "name", "url", "language", "homepage", "full_text"}
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_feeds() -> list[dict[str, Any]]:
    data = yaml.safe_load(FEEDS_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    feeds = data["feeds"]
    assert isinstance(feeds, list)
    return feeds


def test_every_feed_has_exactly_the_expected_fields() -> None:
    for feed in load_feeds():
        assert set(feed) == FIELDS, feed.get("id")
        assert ID.match(feed["id"]), feed["id"]
        assert feed["name"].strip()
        assert feed["url"].startswith("https://"), feed["id"]
        assert feed["homepage"].startswith("https://"), feed["id"]
        assert feed["language"] in {"ar", "en"}, feed["id"]
        assert isinstance(feed["full_text"], bool), feed["id"]


def test_ids_and_urls_are_unique() -> None:
    feeds = load_feeds()
    assert len({f["id"] for f in feeds}) == len(feeds)
    assert len({f["url"] for f in feeds}) == len(feeds)


def test_both_languages_are_covered() -> None:
    languages = [f["language"] for f in load_feeds()]
    assert languages.count("ar") >= 5
    assert languages.count("en") >= 5
