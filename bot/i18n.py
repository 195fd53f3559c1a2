"""The bot's messages in Arabic and English: `t(lang, key, **params)` and the label helpers.

Strings live in YAML under `bot/locales/`, one file per domain and language, `<domain>.<lang>.yaml`
(`alerts.en.yaml`, `chat.ar.yaml`, ...). Nested mappings flatten to dotted keys (`alert.updated`),
and a key may be written dotted already (`start.text:`). A mapping whose keys are plural categories
(`zero one two few many other`, with `other` required) is one plural message, chosen by the `count`
parameter under the CLDR rules of its language (Arabic has six forms, English two). Values are
`str.format` templates with named fields only.

All files of a language are merged; a duplicate key across files, a malformed file or template,
or a key present in one language and missing in the other raises `LocaleError` naming the file,
key or missing keys. The files are read through importlib.resources on first use, then cached.

Interpolated values are NOT escaped: `t()` returns plain text. Whoever puts the result into
Telegram HTML escapes it (`bot.render` does). No Telegram imports here.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Final, Literal, TypeAlias

import yaml

Lang: TypeAlias = Literal["ar", "en"]
LANGUAGES: Final[tuple[Lang, ...]] = ("ar", "en")
FALLBACK_LANGUAGE: Final[Lang] = "en"
"""What an unknown language code falls back to."""
RTL_LANGUAGES: Final = frozenset({"ar"})
PLURAL_CATEGORIES: Final = ("zero", "one", "two", "few", "many", "other")

Message: TypeAlias = str | Mapping[str, str]
"""A template, or plural forms (category -> template)."""
Catalog: TypeAlias = Mapping[Lang, Mapping[str, Message]]

_FILE_NAME = re.compile(r"^(?P<domain>[a-z0-9_]+)\.(?P<lang>[a-z]{2})\.yaml$")
_FORMATTER = string.Formatter()


class LocaleError(ValueError):
    """A locale file is malformed, or the languages' key sets differ."""


# --- Loading ---------------------------------------------------------------------------------------


def load_catalog(root: Traversable) -> Catalog:
    """Read and check every `<domain>.<lang>.yaml` in `root` (a directory or package resource)."""
    messages: dict[Lang, dict[str, Message]] = {lang: {} for lang in LANGUAGES}
    origin: dict[Lang, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise LocaleError(f"{entry.name}: locale files are named <domain>.<lang>.yaml")
        code = next((code for code in LANGUAGES if code == match["lang"]), None)
        if code is None:
            raise LocaleError(
                f"{entry.name}: unknown language {match['lang']!r} (one of {', '.join(LANGUAGES)})"
            )
        for key, message in _read_file(entry).items():
            if key in messages[code]:
                raise LocaleError(f"{entry.name}: key {key!r} is already defined in {origin[code][key]}")
            messages[code][key] = message
            origin[code][key] = entry.name
    _check_parity(messages, origin)
    return messages


def _read_file(entry: Traversable) -> dict[str, Message]:
    try:
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LocaleError(f"{entry.name}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LocaleError(f"{entry.name}: the top level must be a mapping of keys to messages")
    flat: dict[str, Message] = {}
    _flatten(data, "", entry.name, flat)
    return flat


def _flatten(data: dict[object, object], prefix: str, where: str, out: dict[str, Message]) -> None:
    for raw_key, value in data.items():
        if not isinstance(raw_key, str) or not raw_key:
            raise LocaleError(f"{where}: key {prefix}{raw_key!r} must be a non-empty string")
        key = prefix + raw_key
        if isinstance(value, str):
            out[key] = _template(value, key, where)
        elif isinstance(value, dict) and _is_plural(value):
            out[key] = {
                str(category): _template(form, f"{key}.{category}", where) for category, form in value.items()
            }
        elif isinstance(value, dict):
            _flatten(value, key + ".", where, out)
        else:
            raise LocaleError(f"{where}: {key}: expected a string or a mapping, got {type(value).__name__}")


def _is_plural(value: dict[object, object]) -> bool:
    return "other" in value and all(k in PLURAL_CATEGORIES for k in value)


def _template(value: object, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise LocaleError(f"{where}: {key}: expected a string, got {type(value).__name__}")
    try:
        fields = _fields(value)
    except ValueError as exc:
        raise LocaleError(f"{where}: {key}: bad template {value!r}: {exc}") from exc
    if any(not name.isidentifier() for name in fields):
        raise LocaleError(f"{where}: {key}: template {value!r} must use named fields only")
    return value


def _fields(template: str) -> set[str]:
    """The names of the fields a template uses (attribute and index parts removed)."""
    names: set[str] = set()
    for _, field_name, _, _ in _FORMATTER.parse(template):
        if field_name is not None:
            names.add(re.split(r"[.\[]", field_name, maxsplit=1)[0])
    return names


def _message_fields(message: Message) -> set[str]:
    if isinstance(message, str):
        return _fields(message)
    return set().union(*(_fields(form) for form in message.values())) - {"count"}


def _check_parity(
    messages: Mapping[Lang, Mapping[str, Message]], origin: Mapping[Lang, Mapping[str, str]]
) -> None:
    problems: list[str] = []
    for lang in LANGUAGES:
        others = [other for other in LANGUAGES if other != lang]
        for other in others:
            missing = sorted(set(messages[other]) - set(messages[lang]))
            if missing:
                problems.append(
                    f"'{lang}' lacks {len(missing)} key(s) that '{other}' has: {', '.join(missing)}"
                )
    first, *rest = LANGUAGES
    for key in sorted(messages[first]):
        for other in rest:
            if key not in messages[other]:
                continue
            mine, theirs = _message_fields(messages[first][key]), _message_fields(messages[other][key])
            if mine != theirs:
                problems.append(
                    f"{key}: fields differ: {sorted(mine)} in {origin[first][key]}, "
                    f"{sorted(theirs)} in {origin[other][key]}"
                )
    if problems:
        raise LocaleError("locales disagree: " + "; ".join(problems))


@functools.cache
def catalog() -> Catalog:
    """The package's messages (bot/locales), read and checked once; call at start to fail early."""
    return load_catalog(resources.files("bot") / "locales")


# --- Lookup ----------------------------------------------------------------------------------------


def normalize_language(lang: str | None) -> Lang:
    """`lang` if it is one of LANGUAGES, else the fallback ("en")."""
    return next((code for code in LANGUAGES if code == lang), FALLBACK_LANGUAGE)


def is_rtl(lang: str) -> bool:
    """True if the language is written right to left."""
    return normalize_language(lang) in RTL_LANGUAGES


def t(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang` (unknown languages: English), formatted with `params`.

    A plural message takes its form from `count` (an int). The result is plain text: the values
    are not escaped. Raises KeyError for an unknown key or a missing parameter.
    """
    code = normalize_language(lang)
    message = catalog()[code].get(key)
    if message is None:
        raise KeyError(f"no message {key!r} in the locales")
    if not isinstance(message, str):
        count = params.get("count")
        if not isinstance(count, int):
            raise KeyError(f"{key}: a plural message needs an int 'count', got {count!r}")
        message = message.get(plural_category(code, count), message["other"])
    return message.format(**params)


def plural_category(lang: str, count: int) -> str:
    """The CLDR plural category of an integer count in `lang`."""
    n = abs(count)
    if normalize_language(lang) == "ar":
        if n in (0, 1, 2):
            return ("zero", "one", "two")[n]
        if 3 <= n % 100 <= 10:
            return "few"
        if 11 <= n % 100 <= 99:
            return "many"
        return "other"
    return "one" if n == 1 else "other"


def language_for(telegram_code: str | None, default: str) -> Lang:
    """The bot language for a Telegram `language_code`: "ar", "ar-SY" -> ar; "en", "en-GB" -> en.

    Anything else (or None) gives `default`, itself normalised ("en" if it is no language of ours).
    """
    if telegram_code:
        primary = re.split(r"[-_]", telegram_code.strip().lower(), maxsplit=1)[0]
        if primary in LANGUAGES:
            return normalize_language(primary)
    return normalize_language(default)


def _label(lang: str, group: str, code: str) -> str:
    message = catalog()[normalize_language(lang)].get(f"{group}.{code}")
    return message if isinstance(message, str) else code


def event_type_label(lang: str, code: str) -> str:
    """An ACLED event type ("Explosions/Remote violence") in `lang`; an unknown code as is."""
    return _label(lang, "event_type", code)


def sub_event_type_label(lang: str, code: str) -> str:
    """An ACLED sub-event type ("Air/drone strike") in `lang`; an unknown code as is."""
    return _label(lang, "sub_event_type", code)


def governorate_label(lang: str, name: str) -> str:
    """A governorate, named as in summarizer.models.GOVERNORATES, in `lang`; unknown names as is."""
    return _label(lang, "governorate", name)


def precision_label(lang: str, precision: int) -> str:
    """How exact a place is (ACLED: 1 the place itself, 2 near it, 3 only the region); others as 3."""
    return t(lang, f"precision.{precision if precision in (1, 2, 3) else 3}")
