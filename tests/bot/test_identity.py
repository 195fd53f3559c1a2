"""Unit tests of `bot.identity`: canonical URLs and stable entry identities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.identity import MAX_IDENTITY_CHARS, canonical_url, entry_identity

WHEN = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM/News/1", "https://www.example.com/News/1"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        (
            (
                "https://example.com/a?utm_source=tw&utm_medium=social&UTM_Campaign=x&id=7&fbclid=abc"
                "&gclid=def&mc_cid=1&mc_eid=2&ref=home"
            ),
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?utm_source=tw", "https://example.com/a"),
        ("https://example.com/a?q=a+b", "https://example.com/a?q=a%20b"),
        ("https://example.com/a?flag", "https://example.com/a?flag="),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),  # escapes kept, case normalised
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_raw_and_percent_encoded_arabic_paths_are_the_same_url() -> None:
    raw = "http://www.france24.com/ar/20180218-توقيفات-قضايا-فساد"
    escaped = "http://www.france24.com/ar/20180218-%d8%aa%d9%88%d9%82%d9%8a%d9%81%d8%a7%d8%aa-%D9%82%D8%B6%D8%A7%D9%8A%D8%A7-%D9%81%D8%B3%D8%A7%D8%AF"
    assert canonical_url(raw) == canonical_url(escaped)
    assert canonical_url(canonical_url(raw)) == canonical_url(raw)  # idempotent


def test_the_path_keeps_its_case_and_trailing_slash() -> None:
    assert canonical_url("https://example.com/News/") != canonical_url("https://example.com/news")


def test_a_guid_wins_and_is_kept_verbatim() -> None:
    assert entry_identity("urn:uuid:1234", "https://example.com/a", "t", WHEN) == "guid:urn:uuid:1234"
    assert entry_identity(" https://example.com/?p=42 ", None, "t", None) == "guid:https://example.com/?p=42"


def test_without_a_guid_the_canonical_url_is_the_identity() -> None:
    plain = entry_identity(None, "https://example.com/a?id=7", "title", WHEN)
    tracked = entry_identity("", "HTTPS://EXAMPLE.com/a?utm_source=x&id=7#top", "other title", None)
    assert plain == tracked == "url:https://example.com/a?id=7"


def test_without_guid_or_url_a_hash_of_title_and_date() -> None:
    first = entry_identity(None, None, "قصف على  إدلب", WHEN)
    assert first.startswith("hash:")
    assert len(first) == len("hash:") + 64
    assert first == entry_identity(None, "  ", "قصف على إدلب", WHEN)  # whitespace does not matter
    # the same instant in another time zone is the same entry
    assert first == entry_identity(None, None, "قصف على إدلب", WHEN.astimezone(timezone(timedelta(hours=3))))
    assert first != entry_identity(None, None, "قصف على إدلب", WHEN + timedelta(minutes=1))
    assert first != entry_identity(None, None, "قصف على حلب", WHEN)
    assert entry_identity(None, None, "t", None) == entry_identity(None, None, "t", None)


def test_a_naive_date_is_taken_as_utc() -> None:
    naive = WHEN.replace(tzinfo=None)
    assert entry_identity(None, None, "t", naive) == entry_identity(None, None, "t", WHEN)


def test_very_long_keys_are_hashed_but_keep_their_kind() -> None:
    long_guid = "g" * 2000
    identity = entry_identity(long_guid, None, "t", None)
    assert identity.startswith("guid:sha256:")
    assert len(identity) <= MAX_IDENTITY_CHARS
    assert identity == entry_identity(long_guid, None, "other", None)
    long_url = "https://example.com/" + "a" * 2000
    assert entry_identity(None, long_url, "t", None).startswith("url:sha256:")
