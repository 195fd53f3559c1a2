"""Pure text processing for Syria news: language, cleaning, segmentation, extractive summaries.

Text in, data out: no network, database or Telegram imports here (a test checks it).
"""

from summarizer.language import detect_language
from summarizer.models import ScoredSentence, Sentence, Summary
from summarizer.summarize import summarize

__all__ = ["ScoredSentence", "Sentence", "Summary", "detect_language", "summarize"]
