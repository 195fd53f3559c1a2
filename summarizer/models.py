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


@dataclass(frozen=True, slots=True)
class Casualties:
    """All figures found, and the article-level killed and injured they combine into."""

    killed: int | None
    injured: int | None
    figures: tuple[CasualtyFigure, ...] = ()
