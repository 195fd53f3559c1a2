"""EASC ROUGE table: our summariser against Lead, sumy LexRank/TextRank/LSA and a greedy oracle.

Usage: python -m bench.easc_rouge [--topics N] [--systems ours,lead,...] [--json]

Every system gets the same budget L (the references' mean token count) and is scored the same way
(see bench.easc). ours = summarize(text, max_words=L). The sumy rows use sumy's Arabic tokenizer
(which also splits at every comma), its Arabic stemmer and stop words; sumy's ranking is walked
best-first until L tokens are taken, then the sentences go back in document order.
The oracle greedily adds the sentence that most raises mean ROUGE-1 + ROUGE-2 F1 against the
references, so it is an upper bound for extracting whole sentences, not a system.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence

from bench.easc import System, Topic, evaluate, lead, load_topics, oracle_system
from bench.sumy_baselines import ranked_system
from summarizer import summarize

LABELS = {
    "ours": "ours (summarize, max_words=L)",
    "lead": "Lead (first sentences)",
    "lexrank": "sumy LexRank",
    "textrank": "sumy TextRank",
    "lsa": "sumy LSA",
    "oracle": "greedy oracle (upper bound)",
}


def ours(text: str, length: int) -> list[str]:
    """Our summariser with the EASC word budget."""
    return summarize(text, max_words=length).sentences


def _systems(topics: Sequence[Topic]) -> dict[str, Callable[[], System]]:
    """Factories, so that only the systems asked for get built."""
    return {
        "ours": lambda: ours,
        "lead": lambda: lead,
        "lexrank": lambda: ranked_system("lexrank"),
        "textrank": lambda: ranked_system("textrank"),
        "lsa": lambda: ranked_system("lsa"),
        "oracle": lambda: oracle_system(topics),
    }


def run(names: Sequence[str], topics: Sequence[Topic]) -> dict[str, dict[str, float]]:
    """ROUGE scores (and seconds taken) of each named system over `topics`."""
    factories = _systems(topics)
    results = {}
    for name in names:
        started = time.perf_counter()
        scores = evaluate(factories[name](), topics)
        results[name] = {**scores, "seconds": time.perf_counter() - started}
    return results


def markdown_table(results: dict[str, dict[str, float]]) -> str:
    """The results as a markdown table, one row per system."""
    lines = ["| system | ROUGE-1 F | ROUGE-2 F | ROUGE-L F |", "| --- | --- | --- | --- |"]
    for name, r in results.items():
        lines.append(f"| {LABELS[name]} | {r['rouge1']:.3f} | {r['rouge2']:.3f} | {r['rougeL']:.3f} |")
    return "\n".join(lines)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topics", type=int, default=None, help="use only the first N topics")
    parser.add_argument(
        "--systems",
        default=",".join(LABELS),
        help=f"comma-separated subset of {','.join(LABELS)} (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(args.systems) - set(LABELS))
    if unknown:
        parser.error(f"unknown systems: {', '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Print the EASC ROUGE table (or JSON)."""
    args = _parse_args(argv)
    topics = load_topics(limit=args.topics)
    results = run(args.systems, topics)
    if args.json:
        lengths = [t.length for t in topics]
        report = {"topics": len(topics), "mean_length": sum(lengths) / len(lengths), "systems": results}
        print(json.dumps(report, indent=2))
    else:
        print(markdown_table(results))


if __name__ == "__main__":
    main()
