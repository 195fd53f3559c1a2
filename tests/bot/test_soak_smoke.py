"""The soak (`bench/soak.py`) in miniature: the real bot for 15 s against 16 faulty and healthy feeds and
60 subscribers with injected Telegram errors; every invariant must hold.

The long run is `python -m bench.soak` (10 minutes, 200 feeds, 2,000 subscribers); this one keeps the
soak itself working. Left out: the feed kinds that hold a poll for seconds (slow, timeout, stall), and
the memory check (15 s say nothing about a trend).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench import soak

pytestmark = pytest.mark.shared


def test_a_short_soak_balances_its_books(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    argv = [
        "--minutes", "0.25", "--feeds", "16", "--subscribers", "60", "--rate", "50", "--poll", "2",
        "--wave-every", "4", "--wave-share", "0.25", "--initial-items", "1", "--sample-every", "2",
        "--fault-every", "4",
        "--drain-timeout", "30", "--max-slope", "inf", "--seed", "3",
        "--skip-kind", "slow", "--skip-kind", "timeout", "--skip-kind", "stall",
        "--keep", str(tmp_path / "soak"),
    ]  # fmt: skip
    status = soak.main(argv)
    report = capsys.readouterr().out
    assert status == 0, report
    assert "| **NO** |" not in report
    assert "**alerts queued (outbox rows)**" in report
    assert time.monotonic() - started < 60, "the smoke soak should take well under a minute"
