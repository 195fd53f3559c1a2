"""Command line: `python -m summarizer summarize|analyze`, one document or a JSON Lines batch, JSON out.

I/O: reads a file or stdin, writes JSON to stdout and messages to stderr. This is the package's one
edge; it parses arguments, calls `summarize`, and prints. Room is left for more subcommands.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, TextIO

from summarizer.models import Summary
from summarizer.summarize import summarize

PROG = "python -m summarizer"
EXIT_OK = 0
EXIT_LINE_ERRORS = 1
EXIT_USAGE = 2
# Arabic news pages still come in the Windows Arabic code page; it maps every byte, so the final
# UTF-8-with-replacement step is only a guard.
_ENCODINGS = ("utf-8-sig", "windows-1256")
_LANGUAGE_MAX_CHARS = 8

_SUMMARIZE_EPILOG = """\
output:
  one document: one JSON object {"language": "ar", "sentences": [...]} on one line.
  --jsonl: each input line is {"id": ..., "text": "...", "title": ..., "language": ...,
  "max_words": N, "max_sentences": N} (all but "text" optional; a missing id becomes the line
  number); each output line is {"id": ..., "language": ..., "sentences": [...]} in input order,
  or {"id": <id, else the 1-based line number>, "error": "..."} for a line that cannot be used.
  Blank lines are skipped. --max-words/--max-sentences/--language are defaults for every line.

exit status:
  0  every document was summarised
  1  --jsonl only: at least one line produced an error line (the others were still summarised)
  2  usage error, or the input file cannot be read
"""


_ANALYZE_EPILOG = """\
output:
  one document: one JSON object {"language", "syria_related", "relevance", "summary", "events",
  "places", "actors", "killed", "injured", "casualty_figures"} on one line (see README).
  --jsonl: each input line is {"id": ..., "text": "...", "title": ..., "published": "ISO 8601",
  "language": ...} (all but "text" optional); each output line is the object above with its "id",
  in input order, or {"id": ..., "error": "..."} for a line that cannot be used.

exit status:
  0  every document was analysed
  1  --jsonl only: at least one line produced an error line
  2  usage error, or an input file (or the --gazetteer CSV) cannot be read
"""


class LineError(ValueError):
    """One JSON Lines input line cannot be summarised; carries the id to report it under."""

    def __init__(self, line_id: Any, message: str) -> None:
        super().__init__(message)
        self.line_id = line_id


@dataclass(frozen=True, slots=True)
class _Defaults:
    """Budget and language from the command line, for lines that do not set their own."""

    max_words: int | None
    max_sentences: int | None
    language: str | None


@dataclass(frozen=True, slots=True)
class _Request:
    """One validated JSON Lines request."""

    line_id: Any
    text: str
    title: str | None
    language: str | None
    max_words: int | None
    max_sentences: int | None
    published: datetime | None = None


def decode_text(data: bytes) -> str:
    """Decode a document: UTF-8 (BOM dropped), else Windows-1256, else UTF-8 with replacement."""
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _positive_int(value: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {number}")
    return number


def _is_language_code(value: str) -> bool:
    return 0 < len(value) <= _LANGUAGE_MAX_CHARS and value.isascii() and value.isalpha()


def _language(value: str) -> str:
    """argparse type: a short language code such as 'ar' or 'en'."""
    if not _is_language_code(value):
        raise argparse.ArgumentTypeError(f"expected a language code such as 'ar' or 'en', got {value!r}")
    return value.lower()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subparser per command."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Extractive summaries of Arabic and English news."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    summarize_parser = commands.add_parser(
        "summarize",
        help="summarise one document, or a JSON Lines batch with --jsonl",
        description="Print the summary's sentences (real sentences of the text, in document order) as JSON.",
        epilog=_SUMMARIZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    summarize_parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="input file, or - for stdin (the default)"
    )
    summarize_parser.add_argument("--max-words", type=_positive_int, metavar="N", help="word budget")
    summarize_parser.add_argument(
        "--max-sentences", type=_positive_int, metavar="N", help="sentence budget (3 when no budget is given)"
    )
    summarize_parser.add_argument("--title", metavar="T", help="the headline, if it is not the first line")
    summarize_parser.add_argument(
        "--language", type=_language, metavar="L", help="language code; detected when omitted"
    )
    summarize_parser.add_argument(
        "--jsonl", action="store_true", help="read JSON Lines requests, write one JSON result per line"
    )
    analyze_parser = commands.add_parser(
        "analyze",
        help="summarise and tag one document (or a JSON Lines batch): events, places, actors, casualties",
        description="Print the analysis of an article as JSON: Syria relevance, summary, ACLED events, "
        "places on the Syria gazetteer, actors, killed and injured.",
        epilog=_ANALYZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze_parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="input file, or - for stdin (the default)"
    )
    analyze_parser.add_argument("--title", metavar="T", help="the headline, if it is not the first line")
    analyze_parser.add_argument(
        "--language", type=_language, metavar="L", help="language code; detected when omitted"
    )
    analyze_parser.add_argument(
        "--max-sentences", type=_positive_int, metavar="N", help="summary sentences (default 3)"
    )
    analyze_parser.add_argument(
        "--gazetteer", metavar="CSV", help="an extra gazetteer CSV (columns as summarizer/data/places.csv)"
    )
    analyze_parser.add_argument(
        "--jsonl", action="store_true", help="read JSON Lines requests, write one JSON result per line"
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    stdin: IO[Any] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status (argparse errors and --help included)."""
    out = stdout if stdout is not None else _utf8(sys.stdout)
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
            if args.jsonl and args.title is not None:
                parser.error("--title applies to one document; with --jsonl put a 'title' in each line")
    except SystemExit as exc:  # argparse exits on --help (0) and on a usage error (2)
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or EXIT_OK
        return EXIT_USAGE
    source = stdin if stdin is not None else sys.stdin
    max_words = getattr(args, "max_words", None)
    defaults = _Defaults(max_words, args.max_sentences, args.language)
    try:
        process = _summarize_processor if args.command == "summarize" else _analyze_processor(args.gazetteer)
    except (OSError, ValueError) as exc:
        print(f"{PROG} analyze: error: cannot use --gazetteer {args.gazetteer}: {exc}", file=err)
        return EXIT_USAGE
    with contextlib.ExitStack() as stack:
        try:
            stream = _binary(source) if args.file == "-" else stack.enter_context(open(args.file, "rb"))
            if not args.jsonl:
                text = decode_text(_as_bytes(stream.read()))
        except OSError as exc:
            name = "stdin" if args.file == "-" else args.file
            print(f"{PROG} {args.command}: error: cannot read {name}: {exc.strerror or exc}", file=err)
            return EXIT_USAGE
        if args.jsonl:
            return _run_jsonl(stream, defaults, out, process)
    request = _Request(None, text, args.title, args.language, max_words, args.max_sentences)
    _write(out, process(request))
    return EXIT_OK


Processor = Callable[["_Request"], dict[str, Any]]


def _summarize_processor(request: _Request) -> dict[str, Any]:
    summary = _summarize_request(request)
    return {"language": summary.language, "sentences": summary.sentences}


def _analyze_processor(gazetteer_csv: str | None) -> Processor:
    """The analyze command, with the default gazetteer or one extended by a CSV file."""
    from summarizer.analysis import SUMMARY_SENTENCES, analyze  # noqa: PLC0415 (summarize stays light)
    from summarizer.gazetteer import Gazetteer  # noqa: PLC0415

    gazetteer = Gazetteer.default()
    if gazetteer_csv is not None:
        with open(gazetteer_csv, encoding="utf-8-sig", newline="") as handle:
            gazetteer = gazetteer.with_rows(csv.DictReader(handle), source=gazetteer_csv)

    def process(request: _Request) -> dict[str, Any]:
        try:
            analysis = analyze(
                request.text,
                title=request.title,
                published=request.published,
                language=request.language,
                gazetteer=gazetteer,
                max_sentences=request.max_sentences or SUMMARY_SENTENCES,
            )
        except ValueError as exc:
            raise LineError(request.line_id, str(exc)) from None
        return analysis.to_json()

    return process


def _utf8(stream: TextIO) -> TextIO:
    """Our JSON is UTF-8 whatever the locale says (ensure_ascii=False writes Arabic as is)."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(encoding="utf-8")
    return stream


def _as_bytes(data: bytes | str) -> bytes:
    """What a stream gave, as bytes: a text stream (StringIO in tests) is already decoded."""
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _binary(source: IO[Any]) -> IO[Any]:
    """The byte stream under a text stream (sys.stdin), or the stream itself (StringIO/BytesIO)."""
    return getattr(source, "buffer", source)


def _run_jsonl(lines: Iterable[bytes | str], defaults: _Defaults, out: TextIO, process: Processor) -> int:
    """Process line by line, writing (and flushing) each result before reading on."""
    status = EXIT_OK
    for line_number, raw in enumerate(lines, start=1):
        try:
            line = _decode_line(raw, line_number)
            if not line.strip():
                continue
            request = _parse_request(line, line_number, defaults)
            result = process(request)
        except LineError as exc:
            status = EXIT_LINE_ERRORS
            _write(out, {"id": exc.line_id, "error": str(exc)})
            continue
        _write(out, {"id": request.line_id, **result})
    return status


def _decode_line(raw: bytes | str, line_number: int) -> str:
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LineError(line_number, f"line is not valid UTF-8 (byte {exc.start + 1})") from None
    return text.removeprefix("\ufeff") if line_number == 1 else text


def _parse_request(line: str, line_number: int, defaults: _Defaults) -> _Request:
    """Validate one JSON Lines request; a LineError says what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(line_number, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise LineError(line_number, f"expected a JSON object, got {_json_type(data)}")
    line_id = data.get("id", line_number)
    text = data.get("text")
    if text is None:
        raise LineError(line_id, "missing 'text'")
    if not isinstance(text, str):
        raise LineError(line_id, f"'text' must be a string, got {_json_type(text)}")
    if not text.strip():
        raise LineError(line_id, "'text' is empty")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise LineError(line_id, f"'title' must be a string, got {_json_type(title)}")
    language = data.get("language", defaults.language)
    if language is not None and not (isinstance(language, str) and _is_language_code(language)):
        raise LineError(line_id, f"'language' must be a language code such as 'ar', got {language!r}")
    return _Request(
        line_id,
        text,
        title,
        language.lower() if language is not None else None,
        _budget(data, "max_words", line_id, defaults.max_words),
        _budget(data, "max_sentences", line_id, defaults.max_sentences),
        _published(data.get("published"), line_id),
    )


def _published(value: Any, line_id: Any) -> datetime | None:
    """An ISO 8601 time; a time without a zone is taken as UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise LineError(line_id, f"'published' must be an ISO 8601 string, got {_json_type(value)}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise LineError(line_id, f"'published' is not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _budget(data: dict[str, Any], key: str, line_id: Any, default: int | None) -> int | None:
    value = data.get(key)
    if value is None:
        return default
    # bool is an int subclass: `true` is not a budget.
    if not isinstance(value, int) or isinstance(value, bool):
        raise LineError(line_id, f"'{key}' must be a positive integer, got {_json_type(value)}")
    if value < 1:
        raise LineError(line_id, f"'{key}' must be a positive integer, got {value}")
    return value


def _summarize_request(request: _Request) -> Summary:
    try:
        return summarize(
            request.text,
            title=request.title,
            language=request.language,
            max_words=request.max_words,
            max_sentences=request.max_sentences,
        )
    except ValueError as exc:  # summarize's documented rejection of a bad budget
        raise LineError(request.line_id, str(exc)) from None


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _write(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
