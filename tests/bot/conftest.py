"""Fixtures of the bot's tests: the loopback feed server, and a guard that keeps tests on loopback.

Every test under tests/bot may open connections to 127.0.0.1 / ::1 / localhost and Unix sockets
only; an attempt to resolve or reach any other host fails the test (even if the code under test
swallowed the error).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bot.feed_server import FeedServer
from tests.bot.telegram_server import FakeTelegram

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "localhost.localdomain"})


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if it resolves or connects to anything but loopback; yields the hosts refused."""
    violations: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(host: object) -> None:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is None or host in LOOPBACK:
            return
        violations.append(str(host))
        pytest.fail(f"a test tried to reach {host!r}: tests must stay on loopback", pytrace=False)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            check(address[0])
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if isinstance(address, tuple):
            check(address[0])
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield violations
    if violations:
        pytest.fail(f"tests must stay on loopback; tried: {', '.join(violations)}", pytrace=False)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started `FeedServer` on 127.0.0.1 with no routes; stopped after the test."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A started `FakeTelegram` (fake Bot API on 127.0.0.1); base_url for PTB; stopped after the test."""
    with FakeTelegram() as server:
        yield server
