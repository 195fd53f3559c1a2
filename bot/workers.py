"""Worker processes for the CPU-heavy steps (article extraction, analysis), off the event loop's GIL.

Threads share the interpreter lock with the event loop. While two threads analysed a burst of
articles, every socket call of the sender waited up to a switch interval (5 ms) to get the lock back,
and a 10-minute PostgreSQL soak delivered about 30 alerts a second against a limit of 300. Processes
keep the loop's share of the CPU.

The workers are spawned (a fork of a threaded process can inherit a held lock), ignore SIGINT (the
bot stops them itself, after the jobs in hand), leave when the bot is gone (killed with SIGKILL, it
cannot stop them), and load the lexicons once. A pool that lost a worker
(killed, out of memory) is broken for good in `concurrent.futures`: the next submission gets a new one.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


_PARENT_CHECK_SECONDS = 0.5


def _worker_init(parent: int, warm_up: Callable[[], None] | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    # The parent's pid comes from the parent: read here, it could already be init's (a bot killed
    # while this worker was starting).
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    if warm_up is not None:
        warm_up()


def _exit_with_parent(parent: int) -> None:
    """A bot killed with SIGKILL cannot stop its workers: each leaves when it sees its parent gone."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(0)


class WorkerPool(Executor):
    """A process pool that replaces itself when a worker dies; `submit` as in any `Executor`."""

    def __init__(self, workers: int, *, warm_up: Callable[[], None] | None = None) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._workers = workers
        self._warm_up = warm_up
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        self.restarts = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(os.getpid(), self._warm_up),
        )

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn(*args, **kwargs)` in a worker (a module-level function and picklable arguments)."""
        with self._lock:
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                log.warning("a worker process died: starting a new pool of %d", self._workers)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                self.restarts += 1
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers: queued jobs are cancelled if asked, running ones finish when `wait`."""
        with self._lock:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
