"""Tagger evaluation: how well `summarizer.analyze` tags a hand-labelled gold set.

Usage: python -m bench.tagger_eval [--shared DIR] [--system analyze|gold|empty] [--no-gate]
                                   [--json] [--errors]

Input: `tests/data/tagger_gold.jsonl` (ANT Arabic articles: docno + labels only; the texts are read
at run time from `../shared/data/ant-dev/ant_middleeast_skynews_france24_2018.jsonl`, which may not be
committed) and `tests/data/tagger_gold_en.jsonl` (English items with inline texts). Without
`../shared` only the English items are scored, and the report says so.

Output: micro-averaged precision/recall/F1 per field and exact-match casualty accuracy:
- relevance: `syria_related`, the positive class being "about Syria";
- sub_event_types, governorates: the set per article;
- places: a predicted place matches a gold place when a normalised spelling of one equals a
  normalised spelling of the other (names and aliases on both sides; "al-"/"Al "/"as-", hyphens,
  apostrophes, case, accents and doubled letters are ignored); one-to-one matching per article;
- killed, injured: exact-match accuracy over the Syria-related gold articles (null counts as 0).

By default tags are gated on relevance, as the bot does: an article the system calls not
Syria-related contributes no predicted tags (and casualties 0). `--no-gate` scores raw outputs.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer.models import GOVERNORATES

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "tests" / "data"
SHARED_DIR = ROOT.parent / "shared"
GOLD_AR = "tagger_gold.jsonl"
GOLD_EN = "tagger_gold_en.jsonl"
# Labelled blind, after the tagger was tuned on the two files above, by someone who never saw the
# tagger or its output: the honest estimate of how the tagger does on articles it was not tuned on.
HELDOUT = "tagger_heldout.jsonl"
ANT_CORPUS = Path("data") / "ant-dev" / "ant_middleeast_skynews_france24_2018.jsonl"

SUB_EVENT_TYPES = (
    "Armed clash",
    "Government regains territory",
    "Non-state actor overtakes territory",
    "Chemical weapon",
    "Air/drone strike",
    "Suicide bomb",
    "Shelling/artillery/missile attack",
    "Remote explosive/landmine/IED",
    "Grenade",
    "Sexual violence",
    "Attack",
    "Abduction/forced disappearance",
    "Peaceful protest",
    "Protest with intervention",
    "Excessive force against protesters",
    "Violent demonstration",
    "Mob violence",
    "Agreement",
    "Arrests",
    "Change to group/activity",
    "Disrupted weapons use",
    "Headquarters or base established",
    "Looting/property destruction",
    "Non-violent transfer of territory",
    "Other",
)
SET_FIELDS = ("relevance", "sub_event_types", "governorates", "places")
COUNT_FIELDS = ("killed", "injured")

Analyse = Callable[[str, str | None], Mapping[str, Any]]
"""The system under test: (text, title) -> the `Analysis.to_json()` dict."""


class GoldError(ValueError):
    """A gold file is malformed or refers to an ANT article that is not in the corpus."""


# ---------------------------------------------------------------------------------------- names

# Arabic article transliterations that may stand alone or be hyphenated to the next word.
_ARTICLES = frozenset(
    {"al", "el", "as", "ash", "ad", "adh", "ar", "at", "ath", "az", "an", "ez", "es", "ed", "er", "et"}
)
_APOSTROPHES_RE = re.compile("['’‘`ʿʾ]")
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_REPEAT_RE = re.compile(r"(.)\1+")
_GOVERNORATE_WORDS = frozenset({"governorate", "province", "muhafazat", "muhafaza"})


def place_key(name: str) -> str:
    """A spelling-tolerant key for an English place name: 'Al-Bukamal' == 'al Bukamal' == 'Bukamal'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    tokens = [t for t in _TOKEN_RE.findall(_APOSTROPHES_RE.sub("", text)) if t not in _ARTICLES]
    key = _REPEAT_RE.sub(r"\1", "".join(tokens))
    if len(key) > 3 and key.endswith("h") and key[-2] in "aeiou":  # Raqqah == Raqqa, Hasakah == Hasaka
        key = key[:-1]
    return key


def _governorate_key(name: str) -> str:
    words = [w for w in _TOKEN_RE.findall(name.lower()) if w not in _GOVERNORATE_WORDS]
    return place_key(" ".join(words))


_GOVERNORATE_SPELLINGS = {
    "Damascus": ("Dimashq", "Damascus city"),
    "Rural Damascus": (
        "Rif Dimashq",
        "Reef Dimashq",
        "Rif Damascus",
        "Damascus countryside",
        "Damascus Rural",
    ),
    "Aleppo": ("Halab",),
    "Idlib": ("Idleb",),
    "Hama": ("Hamah",),
    "Homs": ("Hims",),
    "Latakia": ("Lattakia", "Al-Ladhiqiyah", "Latakiya"),
    "Tartus": ("Tartous", "Tartoos"),
    "Raqqa": ("Ar-Raqqah", "Al-Raqqa"),
    "Deir ez-Zor": (
        "Deir al-Zour",
        "Deir al-Zor",
        "Deir ez-Zour",
        "Deir Ezzor",
        "Dayr az-Zawr",
        "Deir el-Zor",
    ),
    "Al-Hasakah": ("Hasakah", "Hasaka", "Al-Hasakeh", "Hassakeh", "Al-Hassakah"),
    "Quneitra": ("Al-Qunaytirah", "Qunaytirah", "Kuneitra"),
    "Daraa": ("Deraa", "Dar'a", "Dara'a"),
    "As-Suwayda": ("Suwayda", "Sweida", "Al-Suwayda", "Suwaida", "As-Sweida"),
}
_GOVERNORATE_BY_KEY = {
    _governorate_key(spelling): canonical
    for canonical, spellings in _GOVERNORATE_SPELLINGS.items()
    for spelling in (canonical, *spellings)
}
_SUB_EVENT_BY_KEY = {" ".join(s.lower().split()): s for s in SUB_EVENT_TYPES}


def canonical_governorate(name: str | None) -> str | None:
    """The project spelling of a Syrian governorate ('Rif Dimashq' -> 'Rural Damascus'), else None."""
    if not name:
        return None
    return _GOVERNORATE_BY_KEY.get(_governorate_key(name))


def canonical_sub_event(name: str) -> str:
    """The ACLED spelling of a sub-event type, case and spacing aside; unknown names are kept as given."""
    return _SUB_EVENT_BY_KEY.get(" ".join(name.lower().split()), name.strip())


# ---------------------------------------------------------------------------------------- gold


@dataclass(frozen=True, slots=True)
class GoldPlace:
    """A Syrian place named as a location in a gold article."""

    name: str
    governorate: str
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        """Normalised spellings (name and aliases)."""
        return frozenset(place_key(n) for n in (self.name, *self.aliases))


@dataclass(frozen=True, slots=True)
class GoldItem:
    """One hand-labelled article with its text."""

    id: str
    language: str
    title: str | None
    text: str
    syria_related: bool
    sub_event_types: frozenset[str]
    governorates: frozenset[str]
    places: tuple[GoldPlace, ...]
    killed: int
    injured: int
    note: str


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, JSON object) for each non-blank line of a JSONL file."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{path}:{number}: not JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise GoldError(f"{path}:{number}: expected a JSON object")
        yield number, record


def _labels(record: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The validated label fields of a gold record."""
    try:
        syria = record["syria_related"]
        subs = [str(s) for s in record["sub_event_types"]]
        governorates = [str(g) for g in record["governorates"]]
        places = [
            GoldPlace(str(p["name"]), str(p["governorate"]), tuple(str(a) for a in p.get("aliases", ())))
            for p in record["places"]
        ]
        killed, injured = record["killed"], record["injured"]
    except (KeyError, TypeError) as exc:
        raise GoldError(f"{where}: missing or malformed field: {exc!r}") from exc
    problems = [
        *(f"unknown sub-event type {s!r}" for s in subs if s not in SUB_EVENT_TYPES),
        *(f"unknown governorate {g!r}" for g in governorates if g not in GOVERNORATES),
        *(
            f"place {p.name!r} has unknown governorate {p.governorate!r}"
            for p in places
            if p.governorate not in GOVERNORATES
        ),
        *(
            f"place {p.name!r} is in {p.governorate}, which is missing from governorates"
            for p in places
            if p.governorate not in governorates
        ),
        *(["syria_related must be true or false"] if not isinstance(syria, bool) else []),
        *(["killed and injured must be integers >= 0"] if not _counts_ok(killed, injured) else []),
        *(
            ["a non-Syria article must have no labels"]
            if syria is False and (subs or governorates or places or killed or injured)
            else []
        ),
    ]
    if problems:
        raise GoldError(f"{where}: " + "; ".join(problems))
    return {
        "syria_related": syria,
        "sub_event_types": frozenset(subs),
        "governorates": frozenset(governorates),
        "places": tuple(places),
        "killed": killed,
        "injured": injured,
        "note": str(record.get("note", "")),
    }


def _counts_ok(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)


def load_english(path: Path = DATA_DIR / GOLD_EN) -> list[GoldItem]:
    """The English gold items, texts inline."""
    items = []
    for number, record in _records(path):
        where = f"{path}:{number}"
        if not isinstance(record.get("id"), str) or not isinstance(record.get("text"), str):
            raise GoldError(f"{where}: needs string 'id' and 'text'")
        title = record.get("title")
        items.append(GoldItem(record["id"], "en", title, record["text"], **_labels(record, where)))
    return items


def ant_corpus(shared_dir: Path) -> Path:
    """Where the ANT corpus lives under a ../shared directory."""
    return shared_dir / ANT_CORPUS


def load_ant_texts(corpus: Path, docnos: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{docno: (title, text)} for the wanted ANT articles."""
    wanted = set(docnos)
    found: dict[str, tuple[str, str]] = {}
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            if article["docno"] in wanted:
                found[article["docno"]] = (article["title"], article["text"])
    return found


def load_arabic(shared_dir: Path, path: Path = DATA_DIR / GOLD_AR) -> list[GoldItem]:
    """The Arabic gold items, their texts joined in from the ANT corpus under `shared_dir`."""
    labelled = []
    for number, record in _records(path):
        where = f"{path}:{number}"
        if not isinstance(record.get("docno"), str):
            raise GoldError(f"{where}: needs a string 'docno'")
        labelled.append((record["docno"], _labels(record, where)))
    texts = load_ant_texts(ant_corpus(shared_dir), (docno for docno, _ in labelled))
    missing = [docno for docno, _ in labelled if docno not in texts]
    if missing:
        raise GoldError(f"{path}: docnos not in {ant_corpus(shared_dir)}: {', '.join(missing)}")
    return [GoldItem(docno, "ar", texts[docno][0], texts[docno][1], **labels) for docno, labels in labelled]


def load_gold(shared_dir: Path | None, data_dir: Path = DATA_DIR) -> list[GoldItem]:
    """All gold items: Arabic (when `shared_dir` holds the ANT corpus) then English."""
    arabic = []
    if shared_dir is not None and ant_corpus(shared_dir).is_file():
        arabic = load_arabic(shared_dir, data_dir / GOLD_AR)
    items = [*arabic, *load_english(data_dir / GOLD_EN)]
    duplicates = sorted(id_ for id_, n in Counter(item.id for item in items).items() if n > 1)
    if duplicates:
        raise GoldError(f"{data_dir}: duplicate ids: {', '.join(duplicates)}")
    return items


# ---------------------------------------------------------------------------------------- predictions


@dataclass(frozen=True, slots=True)
class Predicted:
    """What the system said about one article, normalised for scoring."""

    syria_related: bool
    sub_event_types: frozenset[str]
    governorates: frozenset[str]
    places: tuple[tuple[str, frozenset[str]], ...]  # (display name, normalised spellings)
    killed: int
    injured: int


def _place_names(place: Mapping[str, Any]) -> list[str]:
    names = [place.get("name_en"), place.get("name"), *(place.get("aliases") or ())]
    return [n for n in names if isinstance(n, str) and n.strip()]


def read_prediction(raw: Mapping[str, Any], *, gate: bool = True) -> Predicted:
    """Normalise an `Analysis.to_json()` dict; with `gate`, a not-Syria answer carries no tags."""
    syria = raw.get("syria_related")
    if syria is None:
        syria = float(raw.get("relevance") or 0.0) >= 0.5
    syria = bool(syria)
    if gate and not syria:
        return Predicted(False, frozenset(), frozenset(), (), 0, 0)
    places: dict[str, tuple[str, frozenset[str]]] = {}
    governorates = {canonical_governorate(g) for g in raw.get("governorates") or ()}
    for place in raw.get("places") or ():
        if place.get("kind") == "country":
            continue  # "Syria" itself, or a neighbour: not a location inside Syria
        governorates.add(canonical_governorate(place.get("governorate")))
        names = _place_names(place)
        if names:
            places.setdefault(
                str(place.get("id") or place_key(names[0])), (names[0], frozenset(map(place_key, names)))
            )
    return Predicted(
        syria_related=syria,
        sub_event_types=frozenset(canonical_sub_event(e["sub_event_type"]) for e in raw.get("events") or ()),
        governorates=frozenset(g for g in governorates if g is not None),
        places=tuple(places.values()),
        killed=int(raw.get("killed") or 0),
        injured=int(raw.get("injured") or 0),
    )


def match_places(
    gold: Sequence[GoldPlace], predicted: Sequence[tuple[str, frozenset[str]]]
) -> dict[int, int]:
    """A largest one-to-one matching {gold index: predicted index} of places sharing a spelling."""
    candidates = [[j for j, (_, keys) in enumerate(predicted) if keys & place.keys] for place in gold]
    owner: dict[int, int] = {}  # predicted index -> gold index

    def assign(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or assign(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(gold)):
        assign(i, set())
    return {i: j for j, i in owner.items()}


# ---------------------------------------------------------------------------------------- scoring


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives of one field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        """Accumulate one article's counts."""
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class ItemResult:
    """Gold and prediction side by side for one article, with its mismatches."""

    item: GoldItem
    predicted: Predicted
    matched_places: dict[int, int]

    def set_counts(self, name: str) -> tuple[int, int, int]:
        """(TP, FP, FN) of one set field for this article."""
        gold, pred = self.item, self.predicted
        if name == "relevance":
            return (
                int(gold.syria_related and pred.syria_related),
                int(pred.syria_related and not gold.syria_related),
                int(gold.syria_related and not pred.syria_related),
            )
        if name == "places":
            tp = len(self.matched_places)
            return tp, len(pred.places) - tp, len(gold.places) - tp
        wanted: frozenset[str] = getattr(gold, name)
        found: frozenset[str] = getattr(pred, name)
        return len(wanted & found), len(found - wanted), len(wanted - found)

    def mismatches(self) -> list[str]:
        """Human-readable differences between gold and prediction (empty when all agree)."""
        gold, pred = self.item, self.predicted
        out = []
        if gold.syria_related != pred.syria_related:
            out.append(f"relevance: gold {gold.syria_related}, predicted {pred.syria_related}")
        for name in ("sub_event_types", "governorates"):
            wanted: frozenset[str] = getattr(gold, name)
            found: frozenset[str] = getattr(pred, name)
            out.extend(_diff(name, wanted - found, found - wanted))
        missed = {p.name for i, p in enumerate(gold.places) if i not in self.matched_places}
        extra = {name for j, (name, _) in enumerate(pred.places) if j not in self.matched_places.values()}
        out.extend(_diff("places", missed, extra))
        if gold.syria_related:
            out.extend(
                f"{name}: gold {getattr(gold, name)}, predicted {getattr(pred, name)}"
                for name in COUNT_FIELDS
                if getattr(gold, name) != getattr(pred, name)
            )
        return out


def _diff(name: str, missing: Iterable[str], extra: Iterable[str]) -> list[str]:
    missing, extra = sorted(missing), sorted(extra)
    parts = [f"missing {missing}"] * bool(missing) + [f"extra {extra}"] * bool(extra)
    return [f"{name}: " + ", ".join(parts)] if parts else []


@dataclass(slots=True)
class Report:
    """Per-article results and the micro-averaged totals."""

    results: list[ItemResult] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        """Flat metrics: `<field>_precision/_recall/_f1`, `killed_accuracy`, `injured_accuracy`, counts."""
        out: dict[str, float] = {}
        for name in SET_FIELDS:
            counts = Counts()
            for result in self.results:
                counts.add(*result.set_counts(name))
            out |= {
                f"{name}_precision": counts.precision,
                f"{name}_recall": counts.recall,
                f"{name}_f1": counts.f1,
            }
            out |= {f"{name}_tp": counts.tp, f"{name}_fp": counts.fp, f"{name}_fn": counts.fn}
        syria = [r for r in self.results if r.item.syria_related]
        for name in COUNT_FIELDS:
            right = sum(getattr(r.item, name) == getattr(r.predicted, name) for r in syria)
            out[f"{name}_accuracy"] = right / len(syria) if syria else 1.0
        out["articles"] = len(self.results)
        out["arabic"] = sum(r.item.language == "ar" for r in self.results)
        out["english"] = sum(r.item.language == "en" for r in self.results)
        out["syria_articles"] = len(syria)
        return out


def evaluate_detailed(items: Iterable[GoldItem], analyse: Analyse, *, gate: bool = True) -> Report:
    """Run `analyse` on every gold item and keep the per-article comparisons."""
    report = Report()
    for item in items:
        predicted = read_prediction(analyse(item.text, item.title), gate=gate)
        report.results.append(ItemResult(item, predicted, match_places(item.places, predicted.places)))
    return report


def evaluate(items: Iterable[GoldItem], analyse: Analyse, *, gate: bool = True) -> dict[str, float]:
    """Micro-averaged precision/recall/F1 per field and casualty accuracy of `analyse` on `items`."""
    return evaluate_detailed(items, analyse, gate=gate).metrics()


# ---------------------------------------------------------------------------------------- reference systems


def gold_prediction(item: GoldItem) -> dict[str, Any]:
    """The gold labels written as an `Analysis.to_json()` dict (an oracle: scores 1.0 everywhere)."""
    return {
        "language": item.language,
        "syria_related": item.syria_related,
        "relevance": 1.0 if item.syria_related else 0.0,
        "summary": [],
        "events": [
            {"event_type": "", "sub_event_type": s, "evidence": ""} for s in sorted(item.sub_event_types)
        ],
        "places": [
            {
                "id": f"gold-{i}",
                "name_en": p.name,
                "name_ar": "",
                "kind": "place",
                "governorate": p.governorate,
                "aliases": list(p.aliases),
            }
            for i, p in enumerate(item.places)
        ],
        "governorates": sorted(item.governorates),
        "actors": [],
        "killed": item.killed or None,
        "injured": item.injured or None,
    }


def oracle(items: Iterable[GoldItem]) -> Analyse:
    """A system that answers every gold article with its own labels."""
    answers = {(item.text, item.title): gold_prediction(item) for item in items}
    return lambda text, title: answers[(text, title)]


def empty_system(text: str, title: str | None) -> dict[str, Any]:
    """A system that finds nothing (the recall floor)."""
    del text, title
    return {
        "syria_related": False,
        "relevance": 0.0,
        "events": [],
        "places": [],
        "killed": None,
        "injured": None,
    }


def analyze_system(text: str, title: str | None) -> Mapping[str, Any]:
    """`summarizer.analyze`, the system under test."""
    from summarizer import analyze  # noqa: PLC0415 - imported late: the scorer must load without it

    result: Mapping[str, Any] = analyze(text, title=title).to_json()
    return result


# ---------------------------------------------------------------------------------------- report

_LABELS = {
    "relevance": "relevance (Syria-related)",
    "sub_event_types": "sub-event types",
    "governorates": "governorates",
    "places": "places",
}


def markdown_table(metrics: Mapping[str, float]) -> str:
    """The metrics as a markdown table, one row per field, then casualty accuracy and counts."""
    lines = [
        "| field | precision | recall | F1 | TP | FP | FN |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in SET_FIELDS:
        m = {k: metrics[f"{name}_{k}"] for k in ("precision", "recall", "f1", "tp", "fp", "fn")}
        lines.append(
            f"| {_LABELS[name]} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
            f"| {int(m['tp'])} | {int(m['fp'])} | {int(m['fn'])} |"
        )
    syria = int(metrics["syria_articles"])
    lines += [
        "",
        "| casualties (Syria-related gold articles) | exact-match accuracy |",
        "| --- | --- |",
        *(f"| {name} | {metrics[f'{name}_accuracy']:.3f} (n={syria}) |" for name in COUNT_FIELDS),
        "",
        (
            f"articles: {int(metrics['articles'])} (Arabic {int(metrics['arabic'])}, "
            f"English {int(metrics['english'])}; Syria-related {syria})"
        ),
    ]
    return "\n".join(lines)


def error_lines(report: Report) -> list[str]:
    """One block per article whose prediction differs from gold."""
    lines = []
    for result in report.results:
        problems = result.mismatches()
        if problems:
            item = result.item
            lines.append(f"## {item.id} [{item.language}] {item.title or ''}".rstrip())
            lines.append(f"   gold note: {item.note}")
            lines.extend(f"   - {p}" for p in problems)
    return lines


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shared", type=Path, default=SHARED_DIR, help=f"the shared data directory (default {SHARED_DIR})"
    )
    parser.add_argument(
        "--system",
        choices=("analyze", "gold", "empty"),
        default="analyze",
        help="analyze = summarizer.analyze (default); gold = oracle (all 1.0); empty = finds nothing",
    )
    parser.add_argument(
        "--no-gate", action="store_true", help="score tags even where the system says not Syria"
    )
    parser.add_argument(
        "--set",
        choices=("dev", "heldout"),
        default="dev",
        dest="gold_set",
        help="dev = the labelled set the tagger was tuned on (default); heldout = the blind set",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--errors", action="store_true", help="print per-article mismatches")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the tagger evaluation table (or JSON), optionally with per-article errors."""
    args = _parse_args(argv)
    shared = args.shared if ant_corpus(args.shared).is_file() else None
    if args.gold_set == "heldout":
        if shared is None:
            raise SystemExit(f"the held-out set needs {ant_corpus(args.shared)}")
        items = load_arabic(shared, DATA_DIR / HELDOUT)
    else:
        items = load_gold(shared)
    systems: dict[str, Analyse] = {"analyze": analyze_system, "gold": oracle(items), "empty": empty_system}
    report = evaluate_detailed(items, systems[args.system], gate=not args.no_gate)
    metrics = report.metrics()
    notice = None if shared else f"{ant_corpus(args.shared)} not found: English items only"
    if args.json:
        out: dict[str, Any] = {"system": args.system, "set": args.gold_set, "gated": not args.no_gate}
        out["shared"] = shared is not None
        out |= {"notice": notice, "metrics": metrics}
        if args.errors:
            out["errors"] = {r.item.id: r.mismatches() for r in report.results if r.mismatches()}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if notice:
        print(f"NOTE: {notice}\n")
    print(markdown_table(metrics))
    if args.errors:
        print("\n" + "\n".join(error_lines(report) or ["no mismatches"]))


if __name__ == "__main__":
    main()
