"""The tagger's facade on the canonical example (../shared/examples) and on small invented texts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarizer.analysis import analyze
from summarizer.models import GOVERNORATES
from summarizer.textnorm import normalize_text


@pytest.fixture(scope="module")
def seed(shared_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The seed article's analysis (as JSON) and what a careful reader expects of it."""
    examples = shared_dir / "examples"
    text = (examples / "seed-deir-ez-zor.ar.txt").read_text(encoding="utf-8")
    expected = json.loads((examples / "seed-deir-ez-zor.expected.json").read_text(encoding="utf-8"))
    return analyze(text).to_json(), expected


def _names(place: dict[str, Any]) -> set[str]:
    return {normalize_text(place["name_ar"]), normalize_text(place["name_en"])}


@pytest.mark.shared
def test_seed_language_and_relevance(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, expected = seed
    assert result["language"] == expected["language"]
    assert result["syria_related"] is expected["syria_related"]
    assert result["relevance"] >= 0.9


@pytest.mark.shared
def test_seed_event_types(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, expected = seed
    found = {e["sub_event_type"] for e in result["events"]}
    assert set(expected["sub_event_types_must_include"]) <= found
    assert all(e["evidence"] for e in result["events"])


@pytest.mark.shared
def test_seed_governorates(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, expected = seed
    governorates = {p["governorate"] for p in result["places"]}
    assert set(expected["governorates_must_include"]) <= governorates
    assert governorates <= set(GOVERNORATES)


@pytest.mark.shared
def test_seed_places(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, expected = seed
    for wanted in expected["places_must_include"]:
        arabic = normalize_text(wanted["ar"])
        matches = [
            p for p in result["places"]
            if p["governorate"] == wanted["governorate"]
            and any(arabic in name or name in arabic for name in _names(p) if name)
        ]
        assert matches, f"missing place {wanted['en']} ({wanted['ar']})"
    for place in result["places"]:
        assert isinstance(place["lat"], float)
        assert isinstance(place["lon"], float)
        assert place["precision"] in (1, 2, 3)
        assert place["id"]
        assert place["mention"]


@pytest.mark.shared
def test_seed_no_foreign_place(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, _ = seed
    assert all(normalize_text("العراق") not in _names(p) for p in result["places"])


@pytest.mark.shared
def test_seed_actors(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, expected = seed
    names = {a["name"] for a in result["actors"]}
    assert set(expected["actors_must_include"]) <= names


@pytest.mark.shared
def test_seed_casualties(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, expected = seed
    assert result["killed"] in expected["killed"]["acceptable"]
    assert result["injured"] in expected["injured"]["acceptable"]


@pytest.mark.shared
def test_seed_summary(seed: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, expected = seed
    summary = " ".join(result["summary"])
    assert result["summary"]
    for boilerplate in expected["summary_must_not_contain"]:
        assert boilerplate not in summary


def test_non_syria_article_has_no_tags() -> None:
    text = (
        "أعلنت وزارة الصحة العراقية مقتل ثلاثة أشخاص في انفجار عبوة ناسفة في بغداد. "
        "وقالت الشرطة العراقية إن الانفجار وقع في سوق شعبي وسط العاصمة العراقية. "
        "ولم تتبن أي جهة الهجوم حتى الآن في العراق."
    )
    result = analyze(text)
    assert not result.syria_related
    assert result.events == ()
    assert result.places == ()
    assert result.casualties.killed is None


def test_english_syria_article() -> None:
    text = (
        "Syrian government forces shelled the town of Maarat al-Numan in Idlib province on Monday, "
        "killing three civilians, according to rescue workers. "
        "Russian jets also carried out air strikes on villages in the Idlib countryside."
    )
    result = analyze(text, title="Shelling kills three in Syria's Idlib")
    assert result.syria_related
    assert "Idlib" in result.governorates
    assert {"Shelling/artillery/missile attack", "Air/drone strike"} <= set(result.sub_event_types)
    assert result.casualties.killed == 3
