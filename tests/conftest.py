"""Shared fixtures: where ../shared (the data sets beside the checkout) lives, or a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

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
