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
