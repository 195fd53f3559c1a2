"""Scheduling of the feed polls on python-telegram-bot's JobQueue (APScheduler 3 on the bot's loop).

One repeating job: every `interval` seconds, with jitter so that several bots (or restarts) do not
hit the outlets in lockstep; never two runs at once (`max_instances=1`) and a missed run is not
made up in a burst (`coalesce=True`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import ContextTypes, Job, JobQueue

MAX_JITTER_SECONDS = 30.0
JOB_NAME = "poll-feeds"


def jitter_for(interval: float) -> float:
    """A tenth of the interval, at most 30 s."""
    return min(interval / 10, MAX_JITTER_SECONDS)


def schedule_polling(
    job_queue: JobQueue[Any],
    poll: Callable[[], Awaitable[object]],
    *,
    interval: float,
    first: float = 0.0,
) -> Job[Any]:
    """Run `poll` every `interval` seconds (jittered), never overlapping itself."""

    async def run(_: ContextTypes.DEFAULT_TYPE) -> None:
        await poll()

    return job_queue.run_repeating(
        run,
        interval=interval,
        first=first,
        name=JOB_NAME,
        job_kwargs={
            "max_instances": 1,
            "coalesce": True,
            "jitter": jitter_for(interval),
            "misfire_grace_time": None,
        },
    )
