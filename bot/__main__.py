"""Command line of the bot: `python -m bot run [--file PATH]` and `python -m bot poll [--once]`.

Only wiring: parse the arguments, read the settings once, hand over. `run` starts the bot
(`bot.app`) until SIGINT or SIGTERM. Without `TELEGRAM_BOT_TOKEN` it says what is missing and,
to still be useful, summarises and tags the bundled sample article; `run --file PATH` does that
for any article. Bad settings or arguments exit with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.logs import configure_logging
from summarizer import analyze
from summarizer.models import Analysis

SAMPLE_ARTICLE = "sample-article.ar.txt"
SUMMARY_SENTENCES = 3
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m bot`."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Syria conflict news as short, tagged Telegram alerts."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument(
        "--file",
        type=Path,
        metavar="PATH",
        help="summarise and tag this UTF-8 article, print the result and exit (no Telegram)",
    )
    poll = commands.add_parser(
        "poll", help="poll the feeds: store new articles, events and alerts (--once: one pass, then exit)"
    )
    poll.add_argument("--once", action="store_true", help="one pass over every feed, then exit")
    poll.add_argument("--feeds", type=Path, metavar="FILE", help="feeds file (default: FEEDS_FILE)")
    poll.add_argument("--jsonl", action="store_true", help="print one JSON line per new article on stdout")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the command line and return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(environ)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, [settings.telegram_bot_token, settings.webhook_secret])
    if args.command == "poll":
        from bot.ingest import poll_command  # noqa: PLC0415 (the run command needs none of it)

        return poll_command(settings, feeds_file=args.feeds, once=args.once, jsonl=args.jsonl)
    if args.file is None and settings.telegram_bot_token is not None:
        return start_bot(settings)
    return run(settings, args.file)


def start_bot(settings: Settings) -> int:
    """Run the bot until SIGINT or SIGTERM."""
    # python-telegram-bot 22: durations as timedeltas (v23's default), without a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    from bot.app import build_application, run_bot  # noqa: PLC0415 (the analysis mode needs none of it)
    from bot.db import upgrade  # noqa: PLC0415
    from bot.feeds import FeedsFileError, load_feeds  # noqa: PLC0415

    try:
        feeds = load_feeds(settings.feeds_file)
    except FeedsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    upgrade(settings.database_url)
    try:
        run_bot(build_application(settings, feeds), settings)
    except Exception:  # logged (token redacted) instead of a raw traceback on stderr
        logging.getLogger("bot").exception("the bot stopped on an error")
        return 1
    return 0


def run(settings: Settings, path: Path | None) -> int:
    """Summarise and tag one article (the bundled sample without a path) and print it."""
    if path is None and settings.telegram_bot_token is None:
        print(
            "TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.\n"
            "Get a token from @BotFather and set it, e.g. `export TELEGRAM_BOT_TOKEN=123456:ABC...`,\n"
            "then run this again. Meanwhile, here is what the bot makes of a sample article."
        )
    if path is None:
        source = f"the bundled sample article ({SAMPLE_ARTICLE})"
        text = resources.files("bot").joinpath("examples", SAMPLE_ARTICLE).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: cannot read {path}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if not text.strip():
        print(f"error: {source} is empty", file=sys.stderr)
        return EXIT_USAGE
    analysis = analyze(text, max_sentences=SUMMARY_SENTENCES)
    print(f"\nSummary of {source}:")
    print(f"language: {analysis.language}")
    for number, sentence in enumerate(analysis.summary, start=1):
        print(f"{number}. {sentence}")
    for line in describe_tags(analysis):
        print(line)
    return 0


def describe_tags(analysis: Analysis) -> list[str]:
    """The tagger's findings as plain lines (no line starts with a number: those are the summary)."""
    related = "yes" if analysis.syria_related else "no"
    lines = [f"Syria-related: {related} (relevance {analysis.relevance:.2f})"]
    lines += [f"event: {e.event_type} › {e.sub_event_type}" for e in analysis.events]
    for mention in analysis.places:
        place = mention.place
        path = " › ".join(dict.fromkeys(p for p in (place.governorate, place.district, place.name_en) if p))
        where = "" if mention.precision == 1 else " (approximate)"
        lines.append(f"place: {path}{where}")
    lines += [f"actor: {a.name} ({a.type})" for a in analysis.actors]
    casualties = analysis.casualties
    if casualties.killed is not None or casualties.injured is not None:
        lines.append(f"killed: {casualties.killed or 0}, injured: {casualties.injured or 0}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
