"""Shared fixtures: where ../shared (the data sets beside the checkout) lives, or a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# python-telegram-bot 22 warns (an error under filterwarnings=error) when it builds a RetryAfter
# unless durations are timedeltas, as they will be in v23; the bot sets the same in __main__.
os.environ.setdefault("PTB_TIMEDELTA", "1")

# Plugins must be registered in the root conftest; the database fixtures live beside their tests.
pytest_plugins = ["tests.bot.db_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = ROOT.parent / "shared"

@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout; skips the test when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"needs the shared data sets at {SHARED_DIR} (absent here)")
    return SHARED_DIR
