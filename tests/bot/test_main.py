"""End-to-end runs of `python -m bot run` as a subprocess, as a user would start it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "examples" / "sample-article.ar.txt"
CONFIG_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "DATABASE_URL",
    "FEEDS_FILE",
    "POLL_INTERVAL_SECONDS",
    "ADMIN_IDS",
    "DEFAULT_LANGUAGE",
    "LOG_LEVEL",
)
NUMBERED = re.compile(r"^\d+\. (.+)$", re.MULTILINE)


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot run ARGS` from an empty directory with only `env` configured."""
    environ = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=tmp_path,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def squash(text: str) -> str:
    return " ".join(text.split())


def test_without_a_token_it_says_so_and_summarises_the_sample(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in result.stdout
    assert "language: ar" in result.stdout
    sentences = NUMBERED.findall(result.stdout)
    assert 1 <= len(sentences) <= 3
    article = squash(SAMPLE.read_text(encoding="utf-8"))
    for sentence in sentences:
        assert squash(sentence) in article  # extractive: sentences come from the article
    # and the tags of the sample (shelling in Idlib's Jabal al-Zawiya, three killed)
    assert "Syria-related: yes" in result.stdout
    assert "event: Explosions/Remote violence › Shelling/artillery/missile attack" in result.stdout
    assert "place: Idlib" in result.stdout
    assert "killed: 3" in result.stdout


def test_file_option_with_a_token_summarises_and_never_prints_the_token(tmp_path: Path) -> None:
    token = "123456:SECRET-token-value"
    result = run_bot(tmp_path, "--file", str(SAMPLE), TELEGRAM_BOT_TOKEN=token, LOG_LEVEL="DEBUG")
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN is not set" not in result.stdout
    assert NUMBERED.search(result.stdout)
    assert token not in result.stdout + result.stderr


def test_file_option_summarises_that_file(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(SAMPLE.read_text(encoding="utf-8").split("\n\n")[1], encoding="utf-8")
    result = run_bot(tmp_path, "--file", str(article))
    assert result.returncode == 0, result.stderr
    assert str(article) in result.stdout
    sentences = NUMBERED.findall(result.stdout)
    assert sentences
    assert all(squash(s) in squash(article.read_text(encoding="utf-8")) for s in sentences)


def test_a_bad_poll_interval_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = run_bot(tmp_path, POLL_INTERVAL_SECONDS="soon")
    assert result.returncode == 2
    assert "POLL_INTERVAL_SECONDS" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--file", str(tmp_path / "missing.txt"))
    assert result.returncode == 2
    assert "missing.txt" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
