"""The list of feeds the bot polls (feeds.yaml), validated once at start-up.

Input: a YAML file, either a mapping with a `feeds:` list or a bare list of entries, each with the
fields of `FeedConfig`. Output: `FeedConfig` records in file order, or a `FeedsFileError` listing
every problem, one a line, each naming the file, the line, the entry (index and id) and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.identity import canonical_url
from bot.models import FeedConfig

FIELDS = ("id", "name", "url", "language", "homepage", "full_text")
LANGUAGES = ("ar", "en")
URL_SCHEMES = ("http", "https")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class FeedsFileError(ValueError):
    """feeds.yaml cannot be used; the message has one line per problem, each naming file and entry."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def _lines_of_entries(text: str) -> tuple[int | None, list[tuple[int, dict[str, int]]]]:
    """Line numbers (1-based) of the feeds list and of each entry and its fields, from the YAML nodes."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    sequence: yaml.Node | None = root
    if isinstance(root, yaml.MappingNode):
        sequence = next((v for k, v in root.value if getattr(k, "value", None) == "feeds"), None)
    if not isinstance(sequence, yaml.SequenceNode):
        return (root.start_mark.line + 1 if root is not None else None), []
    entries: list[tuple[int, dict[str, int]]] = []
    for node in sequence.value:
        fields: dict[str, int] = {}
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    fields[str(key.value)] = value.start_mark.line + 1
        entries.append((node.start_mark.line + 1, fields))
    return sequence.start_mark.line + 1, entries


def _where(name: str, line: int | None) -> str:
    return f"{name}:{line}" if line is not None else name


def _url_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"must be an http(s) URL, got {value!r}"
    parts = urlsplit(value)
    if parts.scheme not in URL_SCHEMES:
        return f"must be an http:// or https:// URL, got {value!r}"
    if not parts.hostname:
        return f"has no host: {value!r}"
    return None


def _field_problems(entry: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(field, problem) pairs for one entry mapping; field None for the entry as a whole."""
    problems: list[tuple[str | None, str]] = []
    problems += [(None, f"missing field {name!r}") for name in FIELDS if name not in entry]
    problems += [(str(name), f"unknown field {name!r}") for name in entry if name not in FIELDS]
    if "id" in entry:
        value = entry["id"]
        if not isinstance(value, str) or not ID_RE.match(value):
            problems.append(("id", f"id must be lowercase letters, digits and dashes, got {value!r}"))
    if "name" in entry and (not isinstance(entry["name"], str) or not entry["name"].strip()):
        problems.append(("name", f"name must be non-empty text, got {entry['name']!r}"))
    for name in ("url", "homepage"):
        if name in entry and (problem := _url_problem(entry[name])) is not None:
            problems.append((name, f"{name} {problem}"))
    if "language" in entry and entry["language"] not in LANGUAGES:
        problems.append(("language", f"language must be 'ar' or 'en', got {entry['language']!r}"))
    if "full_text" in entry and not isinstance(entry["full_text"], bool):
        problems.append(("full_text", f"full_text must be true or false, got {entry['full_text']!r}"))
    return problems


def _read(path: Path) -> tuple[list[Any], list[tuple[int, dict[str, int]]]]:
    """The list of entries in the file and their line numbers; FeedsFileError if there is none."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError([f"{name}: cannot read the feeds file: {exc}"]) from None
    try:
        data = yaml.safe_load(text)
        list_line, lines = _lines_of_entries(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _where(name, mark.line + 1 if mark is not None else None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FeedsFileError([f"{where}: not valid YAML: {problem}"]) from None
    entries = data.get("feeds") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        where = _where(name, list_line)
        raise FeedsFileError([f"{where}: expected a list of feeds (or a mapping with a 'feeds' list)"])
    if not entries:
        raise FeedsFileError([f"{_where(name, list_line)}: the list of feeds is empty"])
    return entries, lines


def load_feeds(path: str | Path) -> list[FeedConfig]:
    """Read and validate the feeds file at `path`; raise `FeedsFileError` naming every problem."""
    path = Path(path)
    name = str(path)
    entries, lines = _read(path)
    problems: list[str] = []
    feeds: list[FeedConfig] = []
    seen_ids: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    for index, entry in enumerate(entries):
        entry_line, field_lines = lines[index] if index < len(lines) else (None, {})
        if not isinstance(entry, dict):
            where = _where(name, entry_line)
            kind = type(entry).__name__
            problems.append(f"{where}: entry {index}: expected a mapping of {', '.join(FIELDS)}, got {kind}")
            continue
        feed_id = entry.get("id")
        label = f"entry {index}" + (f" (id {feed_id!r})" if isinstance(feed_id, str) else "")
        entry_problems = _field_problems(entry)
        if isinstance(feed_id, str):
            if feed_id in seen_ids:
                entry_problems.append(("id", f"duplicate id {feed_id!r} (also entry {seen_ids[feed_id]})"))
            seen_ids.setdefault(feed_id, index)
        url = entry.get("url")
        if isinstance(url, str) and _url_problem(url) is None:
            key = canonical_url(url)
            if key in seen_urls:
                entry_problems.append(("url", f"duplicate url {url!r} (also entry {seen_urls[key]})"))
            seen_urls.setdefault(key, index)
        for field, problem in entry_problems:
            line = field_lines.get(field, entry_line) if field is not None else entry_line
            problems.append(f"{_where(name, line)}: {label}: {problem}")
        if not entry_problems:
            feeds.append(
                FeedConfig(
                    id=entry["id"],
                    name=entry["name"].strip(),
                    url=entry["url"].strip(),
                    language=entry["language"],
                    homepage=entry["homepage"].strip(),
                    full_text=entry["full_text"],
                )
            )
    if problems:
        raise FeedsFileError(problems)
    return feeds
