"""Static checks of the Dockerfile: everything it copies from the build context exists in the repo."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copied_sources() -> list[str]:
    """Build-context paths named by the Dockerfile's COPY/ADD instructions (not `--from=` stage copies)."""
    sources: list[str] = []
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        words = line.strip().split(maxsplit=1)
        if len(words) != 2 or words[0].upper() not in {"COPY", "ADD"}:
            continue
        rest = words[1].strip()
        args = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        if any(a.startswith("--from=") for a in args):
            continue
        paths = [a for a in args if not a.startswith("--")]
        sources.extend(paths[:-1])  # the last argument is the destination
    return sources


def test_the_dockerfile_copies_something() -> None:
    assert "pyproject.toml" in copied_sources()


def test_every_copied_path_exists() -> None:
    missing = [source for source in copied_sources() if not (ROOT / source).exists()]
    assert not missing, f"Dockerfile copies paths missing from the repo: {missing}"


def test_copied_paths_are_not_docker_ignored() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert not [source for source in copied_sources() if source.rstrip("/") in ignored]
