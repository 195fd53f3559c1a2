"""Domain models of the summariser: plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a document, with its place in the document."""

    text: str
    index: int
    paragraph: int
    paragraph_index: int


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A sentence chosen for a summary, with the score that chose it."""

    sentence: Sentence
    score: float


@dataclass(frozen=True, slots=True)
class Summary:
    """The result of `summarize`: selected sentences in document order."""

    language: str
    selected: tuple[ScoredSentence, ...] = field(default_factory=tuple)
    sentence_count: int = 0

    @property
    def sentences(self) -> list[str]:
        """The summary's sentences as plain strings, in document order."""
        return [s.sentence.text for s in self.selected]

    @property
    def text(self) -> str:
        """The summary as one string."""
        return " ".join(self.sentences)


# --- The tagger's models (events, places, actors, casualties) -------------------------------------

GOVERNORATES: tuple[str, ...] = (
    "Damascus",
    "Rural Damascus",
    "Aleppo",
    "Idlib",
    "Hama",
    "Homs",
    "Latakia",
    "Tartus",
    "Raqqa",
    "Deir ez-Zor",
    "Al-Hasakah",
    "Quneitra",
    "Daraa",
    "As-Suwayda",
)
"""Syria's 14 governorates, in the one English spelling the project uses everywhere (stable)."""


@dataclass(frozen=True, slots=True)
class Place:
    """A place of the Syria gazetteer."""

    id: str  # stable across releases: "gov:deir-ez-zor", "dist:al-bukamal", "gn:170794", "site:conoco"
    name_en: str
    name_ar: str
    kind: str  # governorate, district, subdistrict, city, town, village, base, airport, oil_field, ...
    governorate: str  # one of GOVERNORATES
    district: str | None
    lat: float
    lon: float
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place resolved in a text. Precision as ACLED: 1 the place itself, 2 near it or part of a
    region around it, 3 only the governorate is known."""

    place: Place
    precision: int
    mention: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class EventTag:
    """An ACLED event type and sub-type found in a text, with the sentence that shows it."""

    event_type: str
    sub_event_type: str
    evidence: str
    sentence_index: int


@dataclass(frozen=True, slots=True)
class ActorMention:
    """An actor named in a text, with its ACLED actor type."""

    name: str
    type: str
    mention: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CasualtyFigure:
    """One casualty figure as stated in one sentence."""

    kind: str  # "killed" or "injured"
    count: int
    sentence: str
    sentence_index: int
    source: str | None = None  # who the sentence attributes the figure to, if anyone
    claim: bool = False  # a party to the conflict's claim: kept, never counted in the toll


@dataclass(frozen=True, slots=True)
class Casualties:
    """All figures found, and the article-level killed and injured they combine into."""

    killed: int | None
    injured: int | None
    figures: tuple[CasualtyFigure, ...] = ()


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the tagger takes from one article (see `summarizer.analyze`)."""

    language: str
    syria_related: bool
    relevance: float
    summary: tuple[str, ...]
    events: tuple[EventTag, ...] = ()
    places: tuple[PlaceMention, ...] = ()
    actors: tuple[ActorMention, ...] = ()
    casualties: Casualties = field(default_factory=lambda: Casualties(None, None))

    @property
    def governorates(self) -> list[str]:
        """The governorates of the places, in order of first mention."""
        return list(dict.fromkeys(m.place.governorate for m in self.places))

    @property
    def sub_event_types(self) -> list[str]:
        """The ACLED sub-event types, in order of first evidence."""
        return list(dict.fromkeys(e.sub_event_type for e in self.events))

    def to_json(self) -> dict[str, object]:
        """The stable JSON shape of `python -m summarizer analyze` (see README)."""
        return {
            "language": self.language,
            "syria_related": self.syria_related,
            "relevance": self.relevance,
            "summary": list(self.summary),
            "events": [
                {"event_type": e.event_type, "sub_event_type": e.sub_event_type, "evidence": e.evidence}
                for e in self.events
            ],
            "places": [_place_json(m) for m in self.places],
            "actors": [{"name": a.name, "type": a.type, "mention": a.mention} for a in self.actors],
            "killed": self.casualties.killed,
            "injured": self.casualties.injured,
            "casualty_figures": [
                {"kind": f.kind, "count": f.count, "source": f.source, "claim": f.claim,
                 "sentence": f.sentence}
                for f in self.casualties.figures
            ],
        }


def _place_json(mention: PlaceMention) -> dict[str, object]:
    place = mention.place
    return {
        "id": place.id,
        "name_en": place.name_en,
        "name_ar": place.name_ar,
        "kind": place.kind,
        "governorate": place.governorate,
        "district": place.district,
        "lat": place.lat,
        "lon": place.lon,
        "precision": mention.precision,
        "mention": mention.mention,
    }
