"""`python -m bot run` as a child process, for end-to-end tests and benches.

`BotProcess` starts the bot with a clean environment (only the settings given, no proxies), reads
its stderr in a thread (so the pipe never fills) and lets a test wait for a log line.

    with BotProcess(env) as bot:
        bot.wait_for_log("now polls the feeds")
        ...
        bot.terminate()  # SIGTERM, then the exit status
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parents[2]


def bot_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The environment of a bot process: this one's, minus proxies and bot settings, plus `settings`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))
    }
    env.update(PYTHONPATH=str(ROOT), NO_PROXY="127.0.0.1,localhost", LOG_LEVEL="INFO")
    env.update(settings)
    return env


class BotProcess:
    """A running `python -m bot run`, its stderr collected line by line."""

    def __init__(self, settings: Mapping[str, str], *, cwd: Path, name: str = "bot") -> None:
        self.name = name
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=cwd,
            env=bot_environment(settings),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._reader = threading.Thread(target=self._read, name=f"{name}-stderr", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def pid(self) -> int:
        """The process id."""
        return self._process.pid

    @property
    def output(self) -> str:
        """Everything written to stderr so far."""
        with self._changed:
            return "\n".join(self.lines)

    def running(self) -> bool:
        """Whether the process is still alive."""
        return self._process.poll() is None

    def wait_for_log(self, pattern: str, *, timeout: float = 60.0, start: int = 0) -> int:
        """Wait for a stderr line (from line `start` on) matching `pattern`; its index."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            index = start
            while True:
                while index < len(self.lines):
                    if regex.search(self.lines[index]):
                        return index
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._process.poll() is not None and not self._reader.is_alive()):
                    tail = "\n".join(self.lines[-40:])
                    message = f"{self.name}: no log line matching {pattern!r}; last lines:\n{tail}"
                    raise AssertionError(message)
                self._changed.wait(min(remaining, 0.5))

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait for the exit status."""
        self._process.send_signal(signal.SIGTERM)
        status = self._process.wait(timeout=timeout)
        self._close()
        return status

    def kill(self) -> None:
        """SIGKILL: the process dies at once, with no clean-up (a crash)."""
        self._process.kill()
        self._process.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        self._reader.join(timeout=10)
        if self._process.stderr is not None:
            self._process.stderr.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.running():
            self.kill()
        else:
            self._close()
