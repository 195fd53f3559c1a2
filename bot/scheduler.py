"""Scheduling of the feed polls on python-telegram-bot's JobQueue (APScheduler 3 on the bot's loop).

One repeating job: every `interval` seconds; never two runs at once (`max_instances=1`) and a
missed run is not made up in a burst (`coalesce=True`). Jitter, so that several bots (or restarts)
do not hit the outlets in lockstep, comes mostly as a random phase: the first run is delayed by up
to a tenth of the interval (at most 30 s), and each run then by at most 1 s more. A per-run jitter
of a tenth of the interval would let an item wait interval + 30 s; this way it waits at most
interval + 1 s plus the poll itself.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import ContextTypes, Job, JobQueue

MAX_PHASE_SECONDS = 30.0
MAX_JITTER_SECONDS = 1.0
JOB_NAME = "poll-feeds"


def jitter_for(interval: float) -> float:
    """Per-run jitter: a tenth of the interval, at most 1 s."""
    return min(interval / 10, MAX_JITTER_SECONDS)


def phase_for(interval: float, rand: Callable[[], float] = random.random) -> float:
    """The random delay of the first run: up to a tenth of the interval, at most 30 s."""
    return min(interval / 10, MAX_PHASE_SECONDS) * rand()


def schedule_polling(
    job_queue: JobQueue[Any],
    poll: Callable[[], Awaitable[object]],
    *,
    interval: float,
    first: float = 0.0,
    rand: Callable[[], float] = random.random,
) -> Job[Any]:
    """Run `poll` every `interval` seconds (jittered), never overlapping itself; the first run after
    `first` seconds plus a random phase."""

    async def run(_: ContextTypes.DEFAULT_TYPE) -> None:
        await poll()

    return job_queue.run_repeating(
        run,
        interval=interval,
        first=first + phase_for(interval, rand),
        name=JOB_NAME,
        job_kwargs={
            "max_instances": 1,
            "coalesce": True,
            "jitter": jitter_for(interval),
            "misfire_grace_time": None,
        },
    )
