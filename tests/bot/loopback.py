"""The life cycle shared by the loopback test servers (`FeedServer`, `FakeTelegram`): an HTTP server on
an ephemeral port of 127.0.0.1, served from a daemon thread, usable as a context manager."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Generic, Self, TypeVar

S = TypeVar("S", bound=ThreadingHTTPServer)


class LoopbackServer(Generic[S]):
    """Start, stop and the port; a subclass makes its server and may wake its handlers on stop."""

    name = "loopback server"
    _server: S | None = None
    _thread: threading.Thread | None = None

    def _make_server(self) -> S:
        raise NotImplementedError

    def _before_stop(self, server: S) -> None:
        """Wake handlers that are waiting (a delay, a long poll) so that shutdown does not hang."""

    def start(self) -> Self:
        """Listen on an ephemeral port of 127.0.0.1 and serve in a daemon thread."""
        if self._server is None:
            self._server = self._make_server()
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._before_stop(self._server)
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError(f"the {self.name} is not started")
        return int(self._server.server_address[1])
