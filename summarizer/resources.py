"""Loading of the package's data files (YAML, JSON), validated, with the file and entry in any error.

Reading files that ship inside the package is the one input this pure package does; it happens
lazily, once per table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import yaml


class DataFileError(ValueError):
    """A data file of the package is malformed: the message names the file and the entry."""


def load_yaml(name: str) -> dict[str, Any]:
    """Parse `summarizer/data/<name>` as a YAML mapping."""
    return _load_mapping(name, yaml.safe_load, yaml.YAMLError, "YAML")


def load_json(name: str) -> dict[str, Any]:
    """Parse `summarizer/data/<name>` as a JSON object."""
    return _load_mapping(name, json.loads, json.JSONDecodeError, "JSON")


def _load_mapping(
    name: str, parse: Callable[[str], Any], error: type[Exception], kind: str
) -> dict[str, Any]:
    text = resources.files("summarizer").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    try:
        data = parse(text)
    except error as exc:
        raise DataFileError(f"summarizer/data/{name}: invalid {kind}: {exc}") from exc
    if not isinstance(data, dict):
        raise DataFileError(f"summarizer/data/{name}: expected a mapping at the top level")
    return data


def string_list(data: dict[str, Any], key: str, name: str) -> list[str]:
    """`data[key]` as a list of non-empty strings, or a DataFileError naming the bad entry."""
    values = data.get(key)
    if not isinstance(values, list):
        raise DataFileError(f"summarizer/data/{name}: '{key}' must be a list")
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str) or not value.strip():
            message = f"summarizer/data/{name}: '{key}' entry {position} must be a non-empty string"
            raise DataFileError(message)
    return list(values)
