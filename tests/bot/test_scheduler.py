"""The poll job on a real JobQueue: it repeats and never overlaps itself."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from telegram.ext import Application

from bot.scheduler import jitter_for, phase_for, schedule_polling


def test_jitter_is_a_tenth_capped() -> None:
    assert jitter_for(5) == 0.5
    assert jitter_for(300) == 1.0
    assert phase_for(300, lambda: 0.5) == 15
    assert phase_for(3600, lambda: 1.0) == 30


@pytest.mark.asyncio
async def test_poll_job_repeats_without_overlapping(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="apscheduler")
    application = Application.builder().token("123:test").build()
    running = 0
    most = 0
    starts: list[float] = []

    async def poll() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        starts.append(time.monotonic())
        await asyncio.sleep(0.3)  # longer than the interval: the next run must wait
        running -= 1

    assert application.job_queue is not None
    schedule_polling(application.job_queue, poll, interval=0.1, rand=lambda: 0.0)
    await application.job_queue.start()
    try:
        await asyncio.sleep(1.2)
    finally:
        await application.job_queue.stop(wait=True)
    assert most == 1
    assert len(starts) >= 3
