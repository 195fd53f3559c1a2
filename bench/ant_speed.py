"""ANT throughput: articles per second of our summariser and of sumy LexRank, on one core.

Usage: python -m bench.ant_speed [--limit N] [--sumy-limit N]

Input: ../shared/data/ant-dev/ant_middleeast_skynews_france24_2018.jsonl (4,856 Arabic articles).
ours = summarize(text, title=title, max_sentences=3); sumy = LexRank asked for 3 sentences with its
Arabic tokenizer, stemmer and stop words. By default both run on every article (sumy takes about
30 s); `--sumy-limit N` times sumy on the first N only, for a quick run (the output says so).
Each system is warmed up first, on two articles and one short English text. A last table times the
whole analysis (`summarizer.analysis.analyze`: summary, relevance, events, places, actors,
casualties) on the same articles.
"""

from __future__ import annotations

import os

# Single core: pin BLAS/OpenMP pools before numpy is imported (by sumy or summarizer, below).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402  (imports follow the thread settings on purpose)
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.easc import SHARED_DIR  # noqa: E402
from bench.sumy_baselines import top_sentences  # noqa: E402
from summarizer import summarize  # noqa: E402

ANT_PATH = SHARED_DIR / "data" / "ant-dev" / "ant_middleeast_skynews_france24_2018.jsonl"
SENTENCES = 3
WARM_UP = 2
DEFAULT_SUMY_LIMIT = 0  # all: sumy takes about 30 s on the 4,856 articles


@dataclass(frozen=True, slots=True)
class Article:
    """One ANT article: headline and body."""

    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Timing:
    """How long one system took over a number of articles."""

    system: str
    articles: int
    seconds: float

    @property
    def rate(self) -> float:
        """Articles per second."""
        return self.articles / self.seconds if self.seconds else float("inf")


def load_articles(path: Path = ANT_PATH, limit: int | None = None) -> list[Article]:
    """The first `limit` articles (all by default) of the ANT JSON-lines file."""
    articles: list[Article] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if limit is not None and len(articles) >= limit:
                break
            record = json.loads(line)
            articles.append(Article(record.get("title") or "", record["text"]))
    return articles


def ours(article: Article) -> list[str]:
    """Our summariser, three sentences."""
    return summarize(article.text, title=article.title or None, max_sentences=SENTENCES).sentences


def ours_analyze(article: Article) -> list[str]:
    """Our whole analysis: summary, relevance, events, places, actors, casualties."""
    from summarizer.analysis import analyze  # noqa: PLC0415 (summary-only runs need not load it)

    return list(analyze(article.text, title=article.title or None).summary)


def sumy_lexrank() -> Callable[[Article], list[str]]:
    """sumy LexRank, three sentences."""
    lexrank = top_sentences("lexrank", SENTENCES)
    return lambda article: lexrank(article.text)


# Warm-up also runs one English text, so one-time loading on any code path (py3langid's model loads
# on its first call, about 0.3 s) is not charged to the throughput, for either system.
_WARM_UP_ENGLISH = Article(
    "Shelling in Idlib",
    "Government forces shelled villages in southern Idlib on Monday. Three civilians were killed. "
    "Rescue workers said the toll could rise.",
)


def time_system(name: str, system: Callable[[Article], list[str]], articles: Sequence[Article]) -> Timing:
    """Warm `system` up on the first articles, then time it over all of `articles`."""
    for article in [*articles[:WARM_UP], _WARM_UP_ENGLISH]:
        system(article)
    started = time.perf_counter()
    for article in articles:
        system(article)
    return Timing(name, len(articles), time.perf_counter() - started)


def _pin_to_one_cpu() -> None:
    """Keep the process on one CPU where the OS allows it (Linux)."""
    if hasattr(os, "sched_getaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def markdown_table(timings: Sequence[Timing]) -> str:
    """The timings as a markdown table."""
    lines = ["| system | articles | seconds | articles/s |", "| --- | --- | --- | --- |"]
    lines += [f"| {t.system} | {t.articles} | {t.seconds:.2f} | {t.rate:.1f} |" for t in timings]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Time both systems and print the table and the speed ratio."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="use only the first N articles")
    parser.add_argument(
        "--no-analyze", action="store_true", help="skip the row for the whole analysis (summary and tags)"
    )
    parser.add_argument(
        "--sumy-limit",
        type=int,
        default=DEFAULT_SUMY_LIMIT,
        help=f"time sumy on the first N articles only (default {DEFAULT_SUMY_LIMIT}; 0 = as many as ours)",
    )
    args = parser.parse_args(argv)
    # sumy's LexRank divides by a zero norm when no two sentences share a word (ANT article 83):
    # its output there is meaningless, its timing is not.
    warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning, r"sumy\.")
    _pin_to_one_cpu()
    articles = load_articles(limit=args.limit)
    sumy_articles = articles[: args.sumy_limit] if args.sumy_limit else articles
    sampled = len(sumy_articles) < len(articles)
    timings = [time_system("ours", ours, articles)]
    if sampled:
        timings.append(time_system(f"ours (first {len(sumy_articles)})", ours, sumy_articles))
    timings.append(time_system("sumy LexRank", sumy_lexrank(), sumy_articles))
    print(markdown_table(timings))
    print()
    if sampled:
        print(f"sumy was timed on the first {len(sumy_articles)} of the {len(articles)} articles only;")
        print("the ratio compares both systems on those same articles.")
    ratio = timings[-2].rate / timings[-1].rate
    print(f"ours/sumy speed ratio: {ratio:.1f}x (one CPU, BLAS/OpenMP threads = 1)")
    if not args.no_analyze:
        print()
        print(markdown_table([time_system("ours: analyze (summary and tags)", ours_analyze, articles)]))


if __name__ == "__main__":
    main()
