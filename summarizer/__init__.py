"""Pure text processing for Syria news: language, cleaning, segmentation, extractive summaries,
and the event tagger (relevance, ACLED events, places on the Syria gazetteer, actors, casualties).

Text in, data out: no network, database or Telegram imports here (a test checks it).
"""

from summarizer.analysis import analyze
from summarizer.language import detect_language
from summarizer.models import Analysis, ScoredSentence, Sentence, Summary
from summarizer.summarize import summarize

__all__ = ["Analysis", "ScoredSentence", "Sentence", "Summary", "analyze", "detect_language", "summarize"]
