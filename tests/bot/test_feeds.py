"""Unit tests of `bot.feeds.load_feeds`: the curated file loads; every error names file, line and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feeds import FeedsFileError, load_feeds
from bot.models import FeedConfig

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
feeds:
  - id: one-ar
    name: واحد
    url: https://one.example/feed/
    language: ar
    homepage: https://one.example/
    full_text: true
  - id: two-en
    name: Two
    url: http://127.0.0.1:8000/feed.xml
    language: en
    homepage: http://127.0.0.1:8000/
    full_text: false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(FeedsFileError) as excinfo:
        load_feeds(path)
    assert isinstance(excinfo.value, ValueError)
    assert str(excinfo.value) == "\n".join(excinfo.value.problems)
    return list(excinfo.value.problems)


def test_the_curated_feeds_file_loads() -> None:
    feeds = load_feeds(ROOT / "feeds.yaml")
    assert len(feeds) >= 10
    assert all(isinstance(f, FeedConfig) for f in feeds)
    assert {f.language for f in feeds} == {"ar", "en"}


def test_a_good_file_gives_records_in_file_order(tmp_path: Path) -> None:
    feeds = load_feeds(write(tmp_path, GOOD))
    assert feeds == [
        FeedConfig("one-ar", "واحد", "https://one.example/feed/", "ar", "https://one.example/", True),
        FeedConfig("two-en", "Two", "http://127.0.0.1:8000/feed.xml", "en", "http://127.0.0.1:8000/", False),
    ]


def test_a_bare_list_is_accepted(tmp_path: Path) -> None:
    bare = "\n".join(line[2:] for line in GOOD.splitlines()[1:])
    assert bare.startswith("- id: one-ar\n  name:")
    from_bare = load_feeds(write(tmp_path, bare))
    assert from_bare == load_feeds(write(tmp_path, GOOD))


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("    full_text: false\n", "", 8, "entry 1 (id 'two-en'): missing field 'full_text'"),
        (
            "    url: http://127.0.0.1:8000/feed.xml",
            "    url: ftp://127.0.0.1/feed.xml",
            10,
            "http:// or https://",
        ),
        ("    url: http://127.0.0.1:8000/feed.xml", "    url: feed.xml", 10, "entry 1 (id 'two-en'): url"),
        ("    homepage: https://one.example/", "    homepage: https:///", 6, "homepage has no host"),
        ("    language: en", "    language: fr", 11, "language must be 'ar' or 'en', got 'fr'"),
        (
            "    full_text: false",
            "    full_text: 'false'",
            13,
            "full_text must be true or false, got 'false'",
        ),
        ("    full_text: false", "    full_text: 1", 13, "full_text must be true or false, got 1"),
        (
            "  - id: two-en",
            "  - id: one-ar",
            8,
            "entry 1 (id 'one-ar'): duplicate id 'one-ar' (also entry 0)",
        ),
        ("  - id: two-en", "  - id: Two_EN", 8, "lowercase letters, digits and dashes"),
        ("    name: Two", "    name: '  '", 9, "name must be non-empty text"),
        (
            "    url: http://127.0.0.1:8000/feed.xml",
            "    url: HTTPS://ONE.example/feed/#x",
            10,
            "duplicate url 'HTTPS://ONE.example/feed/#x' (also entry 0)",
        ),
        ("    full_text: false", "    full_text: false\n    fulltext: true", 14, "unknown field 'fulltext'"),
    ],
)
def test_each_problem_names_file_line_entry_and_what(
    tmp_path: Path, old: str, new: str, line: int, expected: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: entry "), problems[0]
    assert expected in problems[0]


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("language: ar", "language: arabic").replace("full_text: false", "full_text: nope")
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 2
    assert "entry 0 (id 'one-ar')" in problems[0]
    assert "entry 1 (id 'two-en')" in problems[1]


def test_an_entry_that_is_not_a_mapping(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, GOOD + "  - just a string\n"))
    expected = "expected a mapping of id, name, url, language, homepage, full_text, got str"
    assert problems == [f"{tmp_path / 'feeds.yaml'}:14: entry 2: {expected}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("feeds: {a: 1}\n", "expected a list of feeds"),
        ("just text\n", "expected a list of feeds"),
        ("feeds: []\n", "the list of feeds is empty"),
        ("feeds:\n  - id: [unclosed\n", "not valid YAML"),
        ("", "expected a list of feeds"),
    ],
)
def test_a_file_that_is_not_a_list_of_feeds(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(str(path))
    assert expected in problems[0]


def test_a_yaml_error_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    language: en", "    language: [en"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:")
    assert "not valid YAML" in problem


def test_a_missing_file(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nowhere.yaml")
    assert problem.startswith(f"{tmp_path / 'nowhere.yaml'}: cannot read")
