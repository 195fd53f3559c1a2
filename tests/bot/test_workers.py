"""The worker pool: jobs run in other processes, and a pool that lost a worker is replaced."""

from __future__ import annotations

import operator
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool

import pytest

from bot.workers import WorkerPool


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(1)
    yield workers
    workers.shutdown(wait=True, cancel_futures=True)


def test_jobs_run_in_another_process(pool: WorkerPool) -> None:
    assert pool.submit(os.getpid).result(timeout=60) != os.getpid()
    assert pool.submit(operator.add, 2, 3).result(timeout=60) == 5


def test_a_dead_worker_is_replaced_on_the_next_job(pool: WorkerPool) -> None:
    with pytest.raises(BrokenProcessPool):
        pool.submit(os._exit, 1).result(timeout=60)  # the worker dies mid-job (killed, out of memory)
    assert pool.submit(operator.add, 2, 3).result(timeout=60) == 5
    assert pool.restarts == 1


def test_at_least_one_worker() -> None:
    with pytest.raises(ValueError, match="at least one"):
        WorkerPool(0)


_ORPHAN_SCRIPT = """
import os, sys
from bot.workers import WorkerPool
pool = WorkerPool(1)
print(pool.submit(os.getpid).result(timeout=60), flush=True)
os.kill(os.getpid(), 9)  # the bot killed: no shutdown, no atexit
"""


# Killed while its worker is still starting (the worker cannot learn its parent from getppid then).
_ORPHAN_AT_START_SCRIPT = """
import os
from bot.workers import WorkerPool
pool = WorkerPool(1)
pool.submit(os.getpid)
print(*[p.pid for p in pool._pool._processes.values()], flush=True)
os.kill(os.getpid(), 9)
"""


@pytest.mark.parametrize("script", [_ORPHAN_SCRIPT, _ORPHAN_AT_START_SCRIPT], ids=["working", "starting"])
def test_workers_leave_when_the_bot_is_killed(script: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    worker = int(done.stdout.strip())
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
