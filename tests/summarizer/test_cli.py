"""The command line's contract: `python -m summarizer summarize`, one document and --jsonl batches."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer.cli import decode_text, main

ROOT = Path(__file__).resolve().parents[2]
ARABIC = "قتل ثلاثة مدنيين في قصف على إدلب. وأصيب خمسة آخرون بجروح. وطالب ناشطون بوقف الهجمات."
ENGLISH = "Shelling killed three civilians in Idlib. Rescuers pulled victims from the rubble. Aid was sent."


def _run(argv: list[str], stdin: Any = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=stdin if stdin is not None else io.BytesIO(b""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _records(output: str) -> list[dict[str, Any]]:
    assert output.endswith("\n")
    return [json.loads(line) for line in output.splitlines()]


def _jsonl(*lines: str) -> io.BytesIO:
    return io.BytesIO("".join(f"{line}\n" for line in lines).encode("utf-8"))


# One document


def test_summarize_stdin_prints_one_json_line() -> None:
    code, out, err = _run(["summarize"], io.BytesIO(ARABIC.encode("utf-8")))
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    assert "قتل" in out  # ensure_ascii=False: Arabic as is, not \u escapes
    assert json.loads(out) == {
        "language": "ar",
        "sentences": [
            "قتل ثلاثة مدنيين في قصف على إدلب.",
            "وأصيب خمسة آخرون بجروح.",
            "وطالب ناشطون بوقف الهجمات.",
        ],
    }


def test_summarize_reads_a_text_stream_too() -> None:
    code, out, _ = _run(["summarize", "-"], io.StringIO(ENGLISH))
    assert code == 0
    assert json.loads(out)["language"] == "en"


def test_summarize_file_with_budget(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ENGLISH, encoding="utf-8")
    code, out, _ = _run(["summarize", "--max-sentences", "1", str(path)])
    assert code == 0
    assert len(json.loads(out)["sentences"]) == 1


def test_summarize_title_and_language_are_passed_on(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ENGLISH, encoding="utf-8")
    code, out, _ = _run(["summarize", "--title", "Idlib shelling", "--language", "EN", str(path)])
    assert code == 0
    assert json.loads(out)["language"] == "en"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(ARABIC.encode("utf-8"), ARABIC, id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + ARABIC.encode("utf-8"), ARABIC, id="utf-8-bom"),
        pytest.param(ARABIC.encode("windows-1256"), ARABIC, id="windows-1256"),
    ],
)
def test_decode_text(data: bytes, expected: str) -> None:
    assert decode_text(data) == expected


def test_summarize_windows_1256_file(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(ARABIC.encode("windows-1256"))
    code, out, err = _run(["summarize", str(path)])
    assert (code, err) == (0, "")
    assert json.loads(out)["sentences"][0] == "قتل ثلاثة مدنيين في قصف على إدلب."


def test_summarize_empty_input_is_an_empty_summary() -> None:
    code, out, _ = _run(["summarize"], io.BytesIO(b""))
    assert code == 0
    assert json.loads(out) == {"language": "und", "sentences": []}


def test_missing_file_is_a_message_and_exit_2(tmp_path: Path) -> None:
    code, out, err = _run(["summarize", str(tmp_path / "absent.txt")])
    assert code == 2
    assert out == ""
    assert "absent.txt" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("flag", ["--max-words", "--max-sentences"])
@pytest.mark.parametrize("value", ["0", "-1", "ten", "2.5"])
def test_bad_budget_is_a_usage_error(flag: str, value: str) -> None:
    code, out, err = _run(["summarize", flag, value], io.BytesIO(ENGLISH.encode()))
    assert code == 2
    assert out == ""
    assert flag in err


def test_no_command_is_a_usage_error() -> None:
    code, _, err = _run([])
    assert code == 2
    assert "usage:" in err


def test_help_documents_the_exit_codes() -> None:
    code, out, _ = _run(["summarize", "--help"])
    assert code == 0
    assert "exit status" in out
    assert "--jsonl" in out


# JSON Lines


def test_jsonl_results_in_input_order() -> None:
    stdin = _jsonl(
        json.dumps({"id": "a", "text": ARABIC, "max_sentences": 1}, ensure_ascii=False),
        "",
        json.dumps({"id": 2, "text": ENGLISH}),
    )
    code, out, err = _run(["summarize", "--jsonl"], stdin)
    assert (code, err) == (0, "")
    first, second = _records(out)
    assert first == {"id": "a", "language": "ar", "sentences": ["قتل ثلاثة مدنيين في قصف على إدلب."]}
    assert second["id"] == 2
    assert second["language"] == "en"
    assert len(second["sentences"]) == 3


def test_jsonl_bad_lines_become_error_lines_and_the_run_goes_on() -> None:
    stdin = _jsonl(
        json.dumps({"id": "ok-1", "text": ENGLISH}),
        "{not json",
        json.dumps({"id": "no-text"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "words-str", "text": ENGLISH, "max_words": "20"}),
        json.dumps({"id": "words-zero", "text": ENGLISH, "max_words": 0}),
        json.dumps({"id": "sentences-bool", "text": ENGLISH, "max_sentences": True}),
        json.dumps({"id": "text-num", "text": 5}),
        json.dumps({"id": "text-empty", "text": "  "}),
        json.dumps({"text": ENGLISH, "title": 3}),
        json.dumps({"id": "ok-2", "text": ARABIC}, ensure_ascii=False),
    )
    code, out, _ = _run(["summarize", "--jsonl"], stdin)
    assert code == 1
    records = _records(out)
    assert [r["id"] for r in records] == [
        "ok-1",
        2,
        "no-text",
        4,
        "words-str",
        "words-zero",
        "sentences-bool",
        "text-num",
        "text-empty",
        10,
        "ok-2",
    ]
    assert [("error" in r) for r in records] == [False] + [True] * 9 + [False]
    errors = {r["id"]: r["error"] for r in records if "error" in r}
    assert "invalid JSON" in errors[2]
    assert "text" in errors["no-text"]
    assert "object" in errors[4]
    assert "max_words" in errors["words-str"]
    assert "max_words" in errors["words-zero"]
    assert "max_sentences" in errors["sentences-bool"]
    assert "text" in errors["text-num"]
    assert "empty" in errors["text-empty"]
    assert "title" in errors[10]
    assert records[-1]["language"] == "ar"


def test_jsonl_invalid_utf8_line_is_an_error_line() -> None:
    stdin = io.BytesIO(
        b'{"id": 1, "text": "\xff"}\n' + json.dumps({"id": 2, "text": ENGLISH}).encode() + b"\n"
    )
    code, out, _ = _run(["summarize", "--jsonl"], stdin)
    assert code == 1
    first, second = _records(out)
    assert first["id"] == 1
    assert "UTF-8" in first["error"]
    assert "sentences" in second


def test_jsonl_cli_budget_is_the_default_for_lines_without_their_own() -> None:
    stdin = _jsonl(
        json.dumps({"id": "default", "text": ENGLISH}),
        json.dumps({"id": "own", "text": ENGLISH, "max_sentences": 2}),
    )
    code, out, _ = _run(["summarize", "--jsonl", "--max-sentences", "1"], stdin)
    assert code == 0
    counts = {r["id"]: len(r["sentences"]) for r in _records(out)}
    assert counts == {"default": 1, "own": 2}


def test_jsonl_line_without_id_is_reported_under_its_line_number() -> None:
    code, out, _ = _run(["summarize", "--jsonl"], _jsonl("", json.dumps({"text": ENGLISH})))
    assert code == 0
    assert _records(out)[0]["id"] == 2


def test_jsonl_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 1, "text": ENGLISH}) + "\n", encoding="utf-8")
    code, out, _ = _run(["summarize", "--jsonl", str(path)])
    assert code == 0
    assert _records(out)[0]["id"] == 1


def test_jsonl_rejects_a_global_title() -> None:
    code, _, err = _run(["summarize", "--jsonl", "--title", "T"], _jsonl(json.dumps({"text": ENGLISH})))
    assert code == 2
    assert "--title" in err


class _FlushRecorder(io.StringIO):
    """stdout that remembers what had been flushed each time."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        super().flush()
        self.flushed.append(self.getvalue())


def test_jsonl_flushes_each_result_before_reading_the_next_line() -> None:
    out = _FlushRecorder()
    flushed_before_second_line: list[str] = []

    class _Lines:
        def __iter__(self) -> Iterator[str]:
            yield json.dumps({"id": "first", "text": ENGLISH}) + "\n"
            flushed_before_second_line.append(out.flushed[-1] if out.flushed else "")
            yield json.dumps({"id": "second", "text": ENGLISH}) + "\n"

    assert main(["summarize", "--jsonl"], stdin=_Lines(), stdout=out, stderr=io.StringIO()) == 0
    assert '"first"' in flushed_before_second_line[0]


# A real process


def test_python_m_summarizer_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(ARABIC.encode("windows-1256"))
    result = subprocess.run(
        [sys.executable, "-m", "summarizer", "summarize", "--max-sentences", "2", str(path)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", errors="replace")
    assert result.stdout.count(b"\n") == 1
    assert json.loads(result.stdout.decode("utf-8")) == {
        "language": "ar",
        "sentences": ["قتل ثلاثة مدنيين في قصف على إدلب.", "وأصيب خمسة آخرون بجروح."],
    }


# --- analyze ---------------------------------------------------------------------------------------

_SYRIA_TEXT = (
    "قصفت قوات النظام بالمدفعية بلدة البارة في جبل الزاوية بريف إدلب الجنوبي، ما أدى إلى مقتل "
    "ثلاثة مدنيين وإصابة خمسة آخرين، بحسب الدفاع المدني السوري. "
    "وشنت الطائرات الحربية الروسية غارات جوية على قرى في ريف إدلب."
)
_ANALYSIS_KEYS = {
    "language", "syria_related", "relevance", "summary", "events", "places", "actors", "killed", "injured",
}


def test_analyze_one_document_prints_the_contract() -> None:
    status, out, _ = _run(["analyze", "-"], io.BytesIO(_SYRIA_TEXT.encode("utf-8")))
    assert status == 0
    [record] = _records(out)
    assert set(record) >= _ANALYSIS_KEYS
    assert record["syria_related"] is True
    assert record["killed"] == 3
    assert {p["governorate"] for p in record["places"]} == {"Idlib"}
    assert {"Shelling/artillery/missile attack", "Air/drone strike"} <= {
        e["sub_event_type"] for e in record["events"]
    }


def test_analyze_jsonl_keeps_order_and_reports_bad_lines() -> None:
    stdin = _jsonl(
        json.dumps({"id": "a", "text": _SYRIA_TEXT, "published": "2024-03-01T10:00:00Z"}),
        "{not json",
        json.dumps({"id": "c", "text": _SYRIA_TEXT, "published": "yesterday"}),
        json.dumps({"id": "d", "text": "Football: the league final ended 2-1."}),
    )
    status, out, _ = _run(["analyze", "--jsonl"], stdin)
    records = _records(out)
    assert status == 1
    assert [r["id"] for r in records] == ["a", 2, "c", "d"]
    assert records[0]["syria_related"] is True
    assert "error" in records[1]
    assert "published" in records[2]["error"]
    assert records[3]["syria_related"] is False
    assert records[3]["events"] == []


def test_analyze_with_an_extra_gazetteer_csv(tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "id,kind,name_en,name_ar,governorate,district,lat,lon,aliases,seat,population,source\n"
        "x:tall-zuhur,village,Tall al-Zuhur,تل الزهور,Idleb,,35.70,36.60,,,,test\n",
        encoding="utf-8",
    )
    text = "قصفت قوات النظام بالمدفعية قرية تل الزهور في ريف إدلب، ما أدى إلى مقتل مدنيين اثنين."
    status, out, _ = _run(["analyze", "--gazetteer", str(extra), "-"], io.BytesIO(text.encode("utf-8")))
    assert status == 0
    [record] = _records(out)
    place = next(p for p in record["places"] if p["id"] == "x:tall-zuhur")
    assert place["governorate"] == "Idlib"
    assert place["precision"] == 1


def test_analyze_bad_gazetteer_csv_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("id,kind,name_en\nx:1,village,Nowhere\n", encoding="utf-8")
    status, _, err = _run(["analyze", "--gazetteer", str(broken), "-"], io.BytesIO(b"text"))
    assert status == 2
    assert "broken.csv" in err
    status, _, err = _run(["analyze", "--gazetteer", str(tmp_path / "missing.csv"), "-"], io.BytesIO(b"x"))
    assert status == 2
    assert "missing.csv" in err
