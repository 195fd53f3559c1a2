"""The tagger evaluation's scoring (bench.tagger_eval) on tiny hand-made gold items and predictions,
and the integrity of the gold files in tests/data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.tagger_eval import (
    DATA_DIR,
    GOLD_AR,
    GOVERNORATES,
    SUB_EVENT_TYPES,
    GoldError,
    GoldItem,
    GoldPlace,
    ant_corpus,
    canonical_governorate,
    canonical_sub_event,
    empty_system,
    evaluate,
    evaluate_detailed,
    gold_prediction,
    load_arabic,
    load_english,
    load_gold,
    markdown_table,
    match_places,
    oracle,
    place_key,
    read_prediction,
)


def _item(
    id_: str = "t-1",
    *,
    syria: bool = True,
    subs: tuple[str, ...] = ("Air/drone strike",),
    places: tuple[GoldPlace, ...] = (GoldPlace("Al-Bukamal", "Deir ez-Zor", ("Abu Kamal",)),),
    killed: int = 3,
    injured: int = 0,
) -> GoldItem:
    return GoldItem(
        id=id_,
        language="en",
        title=f"title {id_}",
        text=f"text {id_}",
        syria_related=syria,
        sub_event_types=frozenset(subs),
        governorates=frozenset(p.governorate for p in places),
        places=places,
        killed=killed,
        injured=injured,
        note="",
    )


def _place(name: str, governorate: str | None = "Deir ez-Zor", **extra: Any) -> dict[str, Any]:
    return {"id": name, "name_en": name, "name_ar": "", "kind": "town", "governorate": governorate, **extra}


def _answer(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "syria_related": True,
        "relevance": 0.9,
        "events": [],
        "places": [],
        "killed": None,
    }
    return base | fields


# ------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Al-Bukamal", "al Bukamal"),
        ("Al-Bukamal", "Bukamal"),
        ("As-Suwayda", "Suwayda"),
        ("Hammouriyeh", "Hamouriyeh"),
        ("Ar-Raqqah", "Raqqa"),
        ("Ma'arrat al-Nu'man", "Maarrat al Numan"),
        ("Kafr Batna", "kafr-batna"),
        ("Dār‘ā", "Dara"),
        ("T-4", "T4"),
    ],
)
def test_place_key_is_lenient(a: str, b: str) -> None:
    assert place_key(a) == place_key(b)


@pytest.mark.parametrize(("a", "b"), [("Hama", "Homs"), ("Al-Bab", "Al-Tabqa"), ("Jaba", "Jableh")])
def test_place_key_keeps_different_places_apart(a: str, b: str) -> None:
    assert place_key(a) != place_key(b)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("Rif Dimashq", "Rural Damascus"),
        ("Rural Damascus Governorate", "Rural Damascus"),
        ("Deir al-Zour", "Deir ez-Zor"),
        ("Hasakah", "Al-Hasakah"),
        ("Sweida", "As-Suwayda"),
        ("Idlib Province", "Idlib"),
        ("Daraa", "Daraa"),
        ("Baghdad", None),
        (None, None),
    ],
)
def test_canonical_governorate(given: str | None, canonical: str | None) -> None:
    assert canonical_governorate(given) == canonical


def test_canonical_sub_event() -> None:
    assert canonical_sub_event("air/drone  STRIKE") == "Air/drone strike"
    assert canonical_sub_event("Bombing") == "Bombing"  # unknown: kept, so it scores as a false positive


# ------------------------------------------------------------------------------------- predictions


def test_read_prediction_normalises_the_contract() -> None:
    raw = _answer(
        events=[
            {
                "event_type": "Explosions/Remote violence",
                "sub_event_type": "air/drone strike",
                "evidence": "x",
            }
        ],
        places=[
            _place("Abu Kamal", "Deir al-Zour"),
            _place("Abu Kamal"),  # same id twice: one place
            {"id": "SY", "name_en": "Syria", "kind": "country", "governorate": None},
            _place("Baghdad", None),
        ],
        killed=None,
        injured=4,
    )
    predicted = read_prediction(raw)
    assert predicted.sub_event_types == {"Air/drone strike"}
    assert predicted.governorates == {"Deir ez-Zor"}
    assert [name for name, _ in predicted.places] == ["Abu Kamal", "Baghdad"]
    assert (predicted.killed, predicted.injured) == (0, 4)


def test_read_prediction_gates_tags_on_relevance() -> None:
    raw = _answer(
        syria_related=False, events=[{"sub_event_type": "Armed clash"}], places=[_place("Hajin")], killed=5
    )
    assert read_prediction(raw).sub_event_types == set()
    assert read_prediction(raw).killed == 0
    assert read_prediction(raw, gate=False).sub_event_types == {"Armed clash"}
    assert read_prediction(raw, gate=False).killed == 5


def test_read_prediction_falls_back_to_the_relevance_score() -> None:
    assert read_prediction({"relevance": 0.8}).syria_related is True
    assert read_prediction({"relevance": 0.2}).syria_related is False


def test_match_places_uses_aliases_on_both_sides_one_to_one() -> None:
    gold = (GoldPlace("Al-Bukamal", "Deir ez-Zor", ("Abu Kamal",)), GoldPlace("Hajin", "Deir ez-Zor"))
    predicted = read_prediction(
        _answer(places=[_place("Abu Kamal"), _place("Hajjin", aliases=["Hajin"]), _place("Bukamal town")])
    ).places
    assert match_places(gold, predicted) == {0: 0, 1: 1}


def test_match_places_finds_the_largest_matching() -> None:
    gold = (GoldPlace("Douma", "Rural Damascus", ("Duma",)), GoldPlace("Duma", "Rural Damascus"))
    predicted = read_prediction(_answer(places=[_place("Duma", "Rural Damascus")])).places
    assert len(match_places(gold, predicted)) == 1


# ------------------------------------------------------------------------------------- scoring


def test_oracle_scores_one_everywhere() -> None:
    items = [_item("a"), _item("b", syria=False, subs=(), places=(), killed=0), _item("c", places=())]
    metrics = evaluate(items, oracle(items))
    assert all(
        metrics[f"{name}_f1"] == 1.0 for name in ("relevance", "sub_event_types", "governorates", "places")
    )
    assert metrics["killed_accuracy"] == metrics["injured_accuracy"] == 1.0
    assert (metrics["articles"], metrics["english"], metrics["syria_articles"]) == (3, 3, 2)


def test_empty_system_has_zero_recall() -> None:
    metrics = evaluate([_item("a"), _item("b", killed=0)], empty_system)
    for name in ("relevance", "sub_event_types", "governorates", "places"):
        assert metrics[f"{name}_recall"] == 0.0
        assert metrics[f"{name}_f1"] == 0.0
    assert metrics["killed_accuracy"] == 0.5  # right only where gold says 0


def test_counts_are_micro_averaged() -> None:
    items = [
        _item("a", subs=("Air/drone strike", "Armed clash"), killed=3),
        _item("b", syria=False, subs=(), places=(), killed=0),
    ]
    answers = {
        "text a": _answer(
            events=[{"sub_event_type": "Air/drone strike"}, {"sub_event_type": "Suicide bomb"}],
            places=[_place("Abu Kamal"), _place("Hajin")],
            killed=3,
        ),
        "text b": _answer(places=[_place("Baghdad", None)]),  # wrongly called Syria-related
    }
    metrics = evaluate(items, lambda text, title: answers[text])
    assert (metrics["relevance_tp"], metrics["relevance_fp"], metrics["relevance_fn"]) == (1, 1, 0)
    assert metrics["relevance_precision"] == 0.5
    assert (metrics["sub_event_types_tp"], metrics["sub_event_types_fp"], metrics["sub_event_types_fn"]) == (
        1,
        1,
        1,
    )
    assert (metrics["places_tp"], metrics["places_fp"], metrics["places_fn"]) == (1, 2, 0)
    assert metrics["places_precision"] == pytest.approx(1 / 3)
    assert metrics["governorates_f1"] == 1.0
    assert metrics["killed_accuracy"] == 1.0


def test_mismatches_name_what_differs() -> None:
    item = _item("a", killed=3)
    report = evaluate_detailed([item], lambda text, title: _answer(places=[_place("Hajin")], killed=2))
    problems = report.results[0].mismatches()
    assert "sub_event_types: missing ['Air/drone strike']" in problems
    assert "places: missing ['Al-Bukamal'], extra ['Hajin']" in problems
    assert "killed: gold 3, predicted 2" in problems


def test_markdown_table_has_every_field() -> None:
    table = markdown_table(evaluate([_item()], empty_system))
    for label in (
        "relevance",
        "sub-event types",
        "governorates",
        "places",
        "killed",
        "injured",
        "articles: 1",
    ):
        assert label in table


def test_gold_prediction_round_trips_through_the_contract() -> None:
    item = _item(places=(GoldPlace("Hajin", "Deir ez-Zor"), GoldPlace("Al-Bukamal", "Deir ez-Zor")))
    predicted = read_prediction(json.loads(json.dumps(gold_prediction(item))))
    assert predicted.sub_event_types == item.sub_event_types
    assert predicted.governorates == item.governorates
    assert predicted.killed == item.killed


# ------------------------------------------------------------------------------------- gold files


def test_english_gold_is_valid_and_big_enough() -> None:
    items = load_english()
    assert len(items) >= 20
    assert sum(i.syria_related for i in items) >= 12
    assert sum(not i.syria_related for i in items) >= 5
    assert all(i.text and i.title for i in items)


def test_arabic_gold_labels_only_no_texts() -> None:
    """The licence rule: ANT texts are read from ../shared at run time, never stored in the project."""
    records = [
        json.loads(line) for line in (DATA_DIR / GOLD_AR).read_text(encoding="utf-8").splitlines() if line
    ]
    assert len(records) >= 62
    assert sum(r["syria_related"] for r in records) >= 40
    assert sum(not r["syria_related"] for r in records) >= 20
    for record in records:
        assert not {"text", "title", "abstract", "url"} & set(record), record["docno"]
        assert set(record["sub_event_types"]) <= set(SUB_EVENT_TYPES)
        assert set(record["governorates"]) <= set(GOVERNORATES)
        assert {p["governorate"] for p in record["places"]} <= set(record["governorates"])


def test_gold_without_shared_is_english_only(tmp_path: Path) -> None:
    items = load_gold(tmp_path)  # no ANT corpus there
    assert {i.language for i in items} == {"en"}


def test_malformed_gold_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "gold.jsonl"
    good = {
        "id": "x",
        "text": "t",
        "syria_related": True,
        "governorates": [],
        "places": [],
        "killed": 0,
        "injured": 0,
    }
    lines = [json.dumps(good | {"sub_event_types": []}), json.dumps(good | {"sub_event_types": ["Bombing"]})]
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"gold\.jsonl:2: unknown sub-event type 'Bombing'"):
        load_english(bad)


@pytest.mark.shared
def test_every_arabic_docno_is_in_the_ant_corpus(shared_dir: Path) -> None:
    if not ant_corpus(shared_dir).is_file():
        pytest.skip(f"no ANT corpus at {ant_corpus(shared_dir)}")
    items = load_arabic(shared_dir)
    assert len(items) >= 62
    assert all(i.text and i.language == "ar" for i in items)
