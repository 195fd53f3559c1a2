"""The localisation layer: the bundled catalogues, the loader's checks, lookups and labels."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot import i18n
from bot.i18n import (
    LANGUAGES,
    LocaleError,
    event_type_label,
    governorate_label,
    language_for,
    load_catalog,
    plural_category,
    precision_label,
    sub_event_type_label,
    t,
)
from summarizer.models import GOVERNORATES


def _taxonomy() -> dict[str, list[str]]:
    text = (resources.files("summarizer") / "data" / "events.yaml").read_text(encoding="utf-8")
    taxonomy: dict[str, list[str]] = yaml.safe_load(text)["taxonomy"]
    return taxonomy


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


# --- The bundled catalogues ------------------------------------------------------------------------


def test_bundled_catalogue_loads_with_the_same_keys_in_both_languages() -> None:
    catalog = i18n.catalog()
    assert set(catalog) == set(LANGUAGES) == {"ar", "en"}
    assert set(catalog["ar"]) == set(catalog["en"])
    assert "alert.updated" in catalog["en"]


def test_every_acled_type_and_sub_type_has_a_label_in_both_languages() -> None:
    for event_type, sub_types in _taxonomy().items():
        for lang in LANGUAGES:
            assert f"event_type.{event_type}" in i18n.catalog()[lang]
            for sub in sub_types:
                assert f"sub_event_type.{sub}" in i18n.catalog()[lang], (lang, sub)
    assert event_type_label("en", "Explosions/Remote violence") == "Explosions/Remote violence"
    assert event_type_label("ar", "Battles") == "معارك"
    assert sub_event_type_label("ar", "Air/drone strike") == "غارة جوية/بطائرة مسيّرة"
    assert sub_event_type_label("en", "Air/drone strike") == "Air/drone strike"


def test_every_governorate_has_its_arabic_name() -> None:
    for name in GOVERNORATES:
        assert governorate_label("en", name) == name
        assert governorate_label("ar", name) != name
    assert governorate_label("ar", "Deir ez-Zor") == "دير الزور"
    assert governorate_label("ar", "Rural Damascus") == "ريف دمشق"
    assert governorate_label("ar", "As-Suwayda") == "السويداء"


def test_unknown_codes_are_shown_as_they_are() -> None:
    assert event_type_label("ar", "Something new") == "Something new"
    assert sub_event_type_label("en", "Nope") == "Nope"
    assert governorate_label("ar", "Atlantis") == "Atlantis"


def test_precision_labels() -> None:
    assert precision_label("en", 1) == "exact"
    assert precision_label("en", 2) == "approximate"
    assert precision_label("ar", 2) == "تقريبي"
    assert "approximate" in precision_label("en", 3)
    assert "تقريبي" in precision_label("ar", 3)
    assert precision_label("en", 7) == precision_label("en", 3)


# --- t() -------------------------------------------------------------------------------------------


def test_t_formats_and_does_not_escape() -> None:
    assert t("en", "alert.killed", count=15) == "killed 15"
    assert t("en", "alert.according_to", source="<b>SOHR & co</b>") == "(according to <b>SOHR & co</b>)"
    assert t("ar", "alert.according_to", source="المرصد") == "(بحسب المرصد)"


def test_t_unknown_language_falls_back_to_english() -> None:
    assert t("fr", "alert.updated") == t("en", "alert.updated") == "updated"
    assert t("", "alert.updated") == "updated"


def test_t_unknown_key_or_missing_parameter_raises() -> None:
    with pytest.raises(KeyError, match="no message"):
        t("en", "alert.nope")
    with pytest.raises(KeyError):
        t("en", "alert.killed")
    with pytest.raises(KeyError, match="count"):
        t("en", "alert.hours_ago")


@pytest.mark.parametrize(
    ("count", "arabic", "english"),
    [
        (1, "منذ ساعة", "1 h ago"),
        (2, "منذ ساعتين", "2 h ago"),
        (3, "منذ 3 ساعات", "3 h ago"),
        (11, "منذ 11 ساعة", "11 h ago"),
        (103, "منذ 103 ساعات", "103 h ago"),
    ],
)
def test_plural_forms(count: int, arabic: str, english: str) -> None:
    assert t("ar", "alert.hours_ago", count=count) == arabic
    assert t("en", "alert.hours_ago", count=count) == english


def test_plural_categories_follow_cldr() -> None:
    assert [plural_category("ar", n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)] == [
        "zero", "one", "two", "few", "few", "many", "many", "other", "other", "few", "many",
    ]
    assert [plural_category("en", n) for n in (0, 1, 2)] == ["other", "one", "other"]
    assert t("en", "alert.days_ago", count=1) == "1 day ago"
    assert t("en", "alert.days_ago", count=3) == "3 days ago"


@pytest.mark.parametrize(
    ("code", "default", "expected"),
    [
        ("ar", "en", "ar"),
        ("ar-SY", "en", "ar"),
        ("AR_sy", "en", "ar"),
        ("en", "ar", "en"),
        ("en-GB", "ar", "en"),
        ("fr", "ar", "ar"),
        ("fr", "en", "en"),
        ("arn", "en", "en"),  # Mapudungun is not Arabic
        (None, "ar", "ar"),
        ("", "en", "en"),
        ("de", "xx", "en"),  # a default that is no language of ours falls back to English
    ],
)
def test_language_for(code: str | None, default: str, expected: str) -> None:
    assert language_for(code, default) == expected


# --- The loader's checks ---------------------------------------------------------------------------


def test_loader_merges_every_file_of_a_language(tmp_path: Path) -> None:
    _write(tmp_path, "alerts.en.yaml", "a:\n  b: one\n")
    _write(tmp_path, "alerts.ar.yaml", "a:\n  b: واحد\n")
    _write(tmp_path, "chat.en.yaml", "c.d: 'two {x}'\n")
    _write(tmp_path, "chat.ar.yaml", "c.d: 'اثنان {x}'\n")
    _write(tmp_path, "README.md", "not a locale file")
    catalog = load_catalog(tmp_path)
    assert catalog["en"] == {"a.b": "one", "c.d": "two {x}"}
    assert catalog["ar"]["c.d"] == "اثنان {x}"


def test_duplicate_key_across_files_names_both_files(tmp_path: Path) -> None:
    _write(tmp_path, "alerts.en.yaml", "a:\n  b: one\n")
    _write(tmp_path, "chat.en.yaml", "a.b: two\n")
    _write(tmp_path, "alerts.ar.yaml", "a.b: واحد\n")
    message = r"chat\.en\.yaml: key 'a\.b' is already defined in alerts\.en\.yaml"
    with pytest.raises(LocaleError, match=message):
        load_catalog(tmp_path)


def test_missing_keys_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "alerts.en.yaml", "a: one\nb: two\nc: three\n")
    _write(tmp_path, "alerts.ar.yaml", "a: واحد\n")
    with pytest.raises(LocaleError, match=r"'ar' lacks 2 key\(s\) that 'en' has: b, c"):
        load_catalog(tmp_path)


def test_fields_must_agree_across_languages(tmp_path: Path) -> None:
    _write(tmp_path, "alerts.en.yaml", "a: 'killed {count}'\n")
    _write(tmp_path, "alerts.ar.yaml", "a: 'القتلى: {number}'\n")
    with pytest.raises(LocaleError, match="fields differ"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [unclosed\n", r"alerts\.en\.yaml: not valid YAML"),
        ("- a\n- b\n", r"alerts\.en\.yaml: the top level must be a mapping"),
        ("a: 3\n", r"alerts\.en\.yaml: a: expected a string or a mapping"),
        ("a: 'broken {'\n", r"alerts\.en\.yaml: a: bad template"),
        ("a: 'positional {}'\n", r"alerts\.en\.yaml: a: template .* named fields only"),
        ("1: one\n", r"alerts\.en\.yaml: key 1 must be a non-empty string"),
        ("a:\n  one: x\n  other: 3\n", r"alerts\.en\.yaml: a\.other: expected a string"),
    ],
)
def test_malformed_file_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path, "alerts.en.yaml", text)
    _write(tmp_path, "alerts.ar.yaml", "a: x\n")
    with pytest.raises(LocaleError, match=message):
        load_catalog(tmp_path)


def test_unknown_language_or_bad_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "alerts.fr.yaml", "a: un\n")
    with pytest.raises(LocaleError, match=r"alerts\.fr\.yaml: unknown language 'fr'"):
        load_catalog(tmp_path)
    (tmp_path / "alerts.fr.yaml").unlink()
    _write(tmp_path, "alerts.yaml", "a: one\n")
    with pytest.raises(LocaleError, match=r"alerts\.yaml: locale files are named"):
        load_catalog(tmp_path)


def test_plural_messages(tmp_path: Path) -> None:
    _write(tmp_path, "x.en.yaml", "n:\n  one: 'one thing'\n  other: '{count} things'\n")
    _write(tmp_path, "x.ar.yaml", "n:\n  one: 'شيء'\n  two: 'شيئان'\n  other: '{count} شيء'\n")
    catalog = load_catalog(tmp_path)
    assert catalog["ar"]["n"] == {"one": "شيء", "two": "شيئان", "other": "{count} شيء"}
