"""The summariser is a pure core: importing it must not load any I/O or bot module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = frozenset({"telegram", "httpx", "sqlalchemy", "apscheduler", "asyncio", "bot"})


def test_importing_summarizer_loads_no_io_module() -> None:
    # A fresh interpreter: this test process has long since imported whatever other tests needed.
    code = "import json, sys, summarizer; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = {name.partition(".")[0] for name in json.loads(result.stdout)}
    assert "summarizer" in loaded
    assert not loaded & FORBIDDEN, f"importing summarizer loaded {sorted(loaded & FORBIDDEN)}"
