"""Telegram delivery: the outbox sender, within Telegram's flood limits.

I/O: the Bot API through a python-telegram-bot `Bot`; the database through `bot.store` and
`bot.outbox_extra`, always in a worker thread (`asyncio.to_thread`) and in short transactions.

`Deliverer.run` is the long-running sender: it claims due alerts in batches, renders each event once
per language and batch, and sends (or, for a revised event, edits) with `concurrency` requests in
flight. Outcomes are written back as they come; the writes that pile up while one is committing go
together in the next transaction (group commit), so a fan-out to thousands costs a few hundred
commits, not thousands.

Flood limits (`Limits`) hold as the server sees them, whatever the network latency: a request
occupies its slot in a sliding window from the moment it is sent until one window length after its
response came back, since Telegram saw it at some moment in between. So no window of the server's
clock ever holds more than the limit: overall, per chat (every chat, groups included) and per
group or channel (chat id < 0, per minute). The overall limit is also paced (at most a tenth of it
in a burst). A chat never holds up the others: an alert whose chat's window is full goes back to
the outbox for when it frees (`deferred`, not an attempt), staggered so the chat's alerts keep
their order.

Errors: 429 (`RetryAfter`) hands the alert back for after `retry_after` without counting an
attempt, blocks that chat as long, and pauses all sending as long unless the chat had other
requests in the last minute (then the flood is most likely the chat's own). 403 and "chat not
found" deactivate the subscriber (its undelivered alerts die). A group that became a supergroup
(`ChatMigrated`) moves to its new id (`store.migrate_chat`) and the alert is retried there.
An edit of a message that is "not modified" counts as done; one that cannot be edited any more
becomes a new message. Any other 400 is our bug: the alert dies, logged at ERROR. Network
errors, 5xx and anything unexpected are retried with exponential backoff and jitter (5 s doubling,
at most 10 min) and given up only after `max_attempts` (about a day by default), with a log line.

Delivery is at least once: an alert is recorded as sent after Telegram answered, so a process that
dies in between (or a request that timed out after Telegram received it, `TimedOut`) sends it
again. Stopping (`stop` set, or the task cancelled) lets in-flight requests finish and records
them, and hands back what was claimed but not started, so a restart resends nothing.

Claims are leases: `run` renews its own every third of `claim_lease` (60 s), and puts back (to
pending) any claim older than that, at start and then as often: what a killed sender held goes out
again within a minute, whichever process finds it, and a sender starting beside a live one never
takes the live one's alerts. Several processes may deliver from one database (claims skip each
other's rows); the limits are per process, so give each its share of the overall one. A chat's
limits are per process too: with N senders a chat with many alerts due at once can get up to N a
second (one sender per database keeps them exact).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import math
import random
import time
import traceback
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

import telegram
from sqlalchemy.orm import Session, sessionmaker
from telegram import LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
)
from telegram.warnings import PTBDeprecationWarning

from bot import outbox_extra, store
from bot.outbox_extra import Release
from bot.store import OutboxItem

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS: Final = 200
"""Attempts before an alert is given up: with 5 s doubling to 10 min and jitter, about a day."""
RETRY_BASE_SECONDS: Final = 5.0
RETRY_CAP_SECONDS: Final = 600.0
CLAIM_LEASE_SECONDS: Final = 60.0
"""A claim not renewed for this long belongs to a sender that stopped: it is put back."""
RETRY_AFTER_MARGIN: Final = 0.1  # seconds added to Telegram's retry_after, as PTB's own limiter does
WINDOW_MARGIN: Final = 0.005
"""Seconds added to every window: the server's clock may count a window's two ends as inside."""
SHORT_WAIT: Final = 0.25
"""A chat free within this many seconds is waited for; later, its alert goes back to the outbox."""
FALLBACK_LANGUAGE: Final = "ar"
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
_EDIT_GONE: Final = ("message to edit not found", "message can't be edited", "message can\u2019t be edited")
_CHAT_GONE: Final = "chat not found"
# The chat exists but the bot may not write there (lost its rights in a group or channel): for our
# purposes the chat is gone until someone adds the bot back (which re-activates it).
_NO_RIGHTS: Final = (
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
    "need administrator rights",
)
_NOT_MODIFIED: Final = "message is not modified"
_PRUNE_EVERY: Final = 1024  # requests between two prunings of the per-chat state
_FORGET_DEFERRED_AFTER: Final = 300.0  # seconds past its slot a deferral no one claimed is forgotten


# --- Public types ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's flood limits: overall, per chat, and per group or channel (chat id < 0)."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0

    def __post_init__(self) -> None:
        """Refuse limits that are not positive."""
        for name in ("per_second", "per_chat_per_second", "per_group_per_minute"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, not {getattr(self, name)!r}")


class RenderFn(Protocol):
    """The alert's HTML for an event in a language; None when the event is gone (the alert dies)."""

    def __call__(self, session: Session, event_id: int, language: str) -> str | None:
        """Render the event's alert; reads only."""


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass did. `failed`: handed back for a retry (429s included); `deferred`: handed back
    because the chat's flood window was full (not an attempt); `deactivated`: chats found gone."""

    claimed: int = 0
    sent: int = 0
    edited: int = 0
    failed: int = 0
    dead: int = 0
    deactivated: int = 0
    deferred: int = 0


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def backoff_seconds(
    attempts: int,
    *,
    base: float = RETRY_BASE_SECONDS,
    cap: float = RETRY_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before retrying after the `attempts`-th failure: base doubling, capped, jittered to 50-100 %."""
    delay = min(cap, base * 2.0 ** min(max(attempts - 1, 0), 62))
    return delay * (0.5 + 0.5 * rand())


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's `retry_after` in seconds, whether PTB gives it as a timedelta or as a number."""
    with warnings.catch_warnings():
        # v22 warns that the int form is deprecated unless PTB_TIMEDELTA is set; either form is fine.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)


# --- Flood windows -----------------------------------------------------------------------------------


class _Window:
    """At most `limit` requests in any `period` seconds, as the server sees them.

    A request counts from its start (in flight: it may reach the server any moment) until `period`
    after its end (the server saw it before its response came back). Ends are appended as requests
    finish, on a monotonic clock, so `ends` stays sorted.
    """

    __slots__ = ("ends", "in_flight", "limit", "period")

    def __init__(self, per_period: float, period: float) -> None:
        if per_period >= 1:
            self.limit, self.period = math.floor(per_period), period
        else:  # less than one per period: one per stretched period
            self.limit, self.period = 1, period / per_period
        self.period += WINDOW_MARGIN
        self.ends: deque[float] = deque()
        self.in_flight = 0

    @property
    def interval(self) -> float:
        """The mean spacing of requests at the limit."""
        return self.period / self.limit

    def prune(self, now: float) -> None:
        """Forget requests that ended more than a period ago."""
        while self.ends and self.ends[0] <= now - self.period:
            self.ends.popleft()

    def free_at(self, now: float) -> float:
        """When a new request may start: `now` if it may at once, inf until an in-flight one ends."""
        self.prune(now)
        excess = self.in_flight + len(self.ends) - self.limit
        if excess < 0:
            return now
        if excess >= len(self.ends):
            return math.inf
        return self.ends[excess] + self.period

    def idle(self, now: float) -> bool:
        """Nothing in flight and nothing within the last period."""
        self.prune(now)
        return not self.in_flight and not self.ends


class _Gate:
    """The overall limit: a sliding window, paced (bursts of a tenth of it at most), and pausable."""

    def __init__(self, per_second: float) -> None:
        self.window = _Window(per_second, 1.0)
        self.interval = self.window.interval
        self.tolerance = self.interval * max(0, self.window.limit // 10 - 1)
        self.tat = 0.0  # theoretical arrival time of the next request (GCRA)
        self.paused_until = 0.0
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()

    async def acquire(self, abort: asyncio.Event) -> bool:
        """Wait for a slot and take it; False (nothing taken) if `abort` is set first."""
        async with self._lock:  # FIFO: waiters are served in turn
            while True:
                if abort.is_set():
                    return False
                now = time.monotonic()
                at = max(self.paused_until, self.window.free_at(now), self.tat - self.tolerance)
                if at <= now:
                    break
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), None if math.isinf(at) else at - now)
            self.window.in_flight += 1
            self.tat = max(self.tat, now) + self.interval
            return True

    def finish(self, end: float) -> None:
        """A request taken with `acquire` got its answer at `end`."""
        self.window.in_flight -= 1
        self.window.ends.append(end)
        self._changed.set()

    def pause(self, until: float) -> None:
        """Send nothing before `until` (monotonic)."""
        self.paused_until = max(self.paused_until, until)

    def wake(self) -> None:
        """Let waiters look again (e.g. at an abort)."""
        self._changed.set()


@dataclass(slots=True)
class _Chat:
    """One chat's flood state: its windows, a 429 block, and its alerts handed back for later."""

    windows: tuple[_Window, ...]
    gap: float  # spacing of handed-back alerts
    blocked_until: float = 0.0
    last_end: float = -math.inf  # when the chat's latest request ended
    previous_end: float = -math.inf  # ... and the one before it
    users: int = 0  # lanes working on the chat: its state must not be pruned meanwhile
    deferred: dict[int, float] = field(default_factory=dict)  # outbox id -> slot (monotonic)
    tail: float = -math.inf  # the latest slot handed out

    def free_at(self, now: float) -> float:
        """When the chat may get its next request."""
        return max(self.blocked_until, *(w.free_at(now) for w in self.windows))

    def idle(self, now: float) -> bool:
        """Nothing to remember: the state can be dropped."""
        return (
            not self.users
            and self.blocked_until <= now
            and not self.deferred
            and all(w.idle(now) for w in self.windows)
        )


# --- One pass ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A claimed alert and its rendered text (None: event gone; an exception: rendering failed)."""

    item: OutboxItem
    text: str | Exception | None


class _StoppedError(Exception):
    """The pass is stopping: the request was not made."""


@dataclass(slots=True)
class _Pass:
    """The state of one pass: per-chat lanes of claimed alerts, worked by `concurrency` workers."""

    batch: int
    lanes: dict[int, deque[_Prepared]] = field(default_factory=dict)
    ready: asyncio.Queue[int | None] = field(default_factory=asyncio.Queue)
    space: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    queued: int = 0
    gone: set[int] = field(default_factory=set)  # chats deactivated during the pass
    migrated: dict[int, int] = field(default_factory=dict)
    logged: set[type[BaseException]] = field(default_factory=set)
    claimed: int = 0
    sent: int = 0
    edited: int = 0
    failed: int = 0
    dead: int = 0
    deactivated: int = 0
    deferred: int = 0

    def add(self, prepared: Sequence[_Prepared]) -> None:
        """Queue claimed alerts on their chats' lanes, in claim order."""
        self.claimed += len(prepared)
        self.queued += len(prepared)
        for p in prepared:
            lane = self.lanes.get(p.item.chat_id)
            if lane is None:
                lane = self.lanes[p.item.chat_id] = deque()
                self.ready.put_nowait(p.item.chat_id)
            lane.append(p)

    def take(self, lane: deque[_Prepared]) -> _Prepared:
        """The lane's next alert."""
        self.queued -= 1
        if self.queued < self.batch:
            self.space.set()
        return lane.popleft()

    def report(self) -> DeliveryReport:
        """The pass's counts."""
        return DeliveryReport(
            self.claimed, self.sent, self.edited, self.failed, self.dead, self.deactivated, self.deferred
        )


# --- The outcome writer ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Call:
    """A write other than a sent alert or a hand-back: `what` names it in logs."""

    what: str
    op: Callable[[Session], object]
    outbox_id: int | None = None


_Write = outbox_extra.Sent | Release | _Call
"""An outcome to record; runs of sent alerts and of hand-backs go in one statement each."""


class _Writer:
    """Records outcomes in the background: what arrives while one transaction commits goes in the next."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._writes: list[_Write] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, write: _Write) -> None:
        """Queue a write."""
        self._writes.append(write)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def flush(self) -> None:
        """Wait until every queued write is done (a cancelled waiter leaves the writing running)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        while self._writes:
            writes, self._writes = self._writes, []
            await asyncio.to_thread(self._apply, writes)

    def _apply(self, writes: list[_Write]) -> None:
        try:
            with self._sessions.begin() as session:
                store.lock_outbox(session)
                _write_all(session, writes)
            return
        except Exception:
            if len(writes) == 1:
                log.exception("could not record %s; a restart retries it", _describe(writes[0]))
                return
        for write in writes:  # one bad write must not lose the others: one transaction each
            try:
                with self._sessions.begin() as session:
                    store.lock_outbox(session)
                    _write_all(session, [write])
            except Exception:
                log.exception("could not record %s; a restart retries it", _describe(write))


def _write_all(session: Session, writes: Sequence[_Write]) -> None:
    """Apply writes in order, runs of sent alerts and of hand-backs each in one statement."""
    i = 0
    while i < len(writes):
        j = i + 1
        while j < len(writes) and type(writes[j]) is type(writes[i]):
            j += 1
        run = writes[i:j]
        if isinstance(run[0], outbox_extra.Sent):
            outbox_extra.mark_sent_many(session, [w for w in run if isinstance(w, outbox_extra.Sent)])
        elif isinstance(run[0], Release):
            outbox_extra.release(session, [w for w in run if isinstance(w, Release)])
        else:
            for w in run:
                if isinstance(w, _Call):
                    w.op(session)
        i = j


def _describe(write: _Write) -> str:
    if isinstance(write, outbox_extra.Sent):
        return f"alert {write.outbox_id} as sent"
    if isinstance(write, Release):
        return f"alert {write.outbox_id} as handed back"
    return write.what


# --- The deliverer -----------------------------------------------------------------------------------


class Deliverer:
    """Sends the outbox's due alerts through `bot`, within `limits`; see the module docstring.

    The bot's connection pool must allow `concurrency` requests at once (PTB's `Application` gives
    its bot 256; a bare `Bot` needs `request=HTTPXRequest(connection_pool_size=...)`).
    """

    def __init__(
        self,
        bot: telegram.Bot,
        sessions: sessionmaker[Session],
        render: RenderFn,
        *,
        limits: Limits = Limits(),
        concurrency: int = 16,
        batch: int = 200,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        clock: Callable[[], datetime] = utc_now,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_cap: float = RETRY_CAP_SECONDS,
        claim_lease: float = CLAIM_LEASE_SECONDS,
    ) -> None:
        if concurrency < 1 or batch < 1 or max_attempts < 1:
            raise ValueError("concurrency, batch and max_attempts must be at least 1")
        if claim_lease <= 0:
            raise ValueError("claim_lease must be positive")
        self._bot = bot
        self._token = bot.token
        self._sessions = sessions
        self._render = render
        self._limits = limits
        self._concurrency = concurrency
        self._batch = batch
        self._max_attempts = max_attempts
        self._clock = clock
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._lease = claim_lease
        self._held: set[int] = set()  # claimed, no outcome yet: run renews these claims
        self._gate: _Gate | None = None
        self._writer = _Writer(sessions)
        self._chats: dict[int, _Chat] = {}
        self._slots: list[float] = []  # heap of deferral slots: when to look at the outbox again
        self._requests = 0
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- Entry points ---

    async def run(self, stop: asyncio.Event, *, idle: float = 1.0) -> None:
        """Deliver until `stop` is set: pass after pass, resting `idle` seconds when nothing is due.

        Puts back first what a killed process left claimed. A stop (or a cancel) lets the requests
        in flight finish and records them before returning.
        """
        self._loop = asyncio.get_running_loop()
        wake = self._wake_event()
        await self._keep_claims_once()
        keeper = asyncio.create_task(self._keep_claims(), name="renew-outbox-claims")
        try:
            while not stop.is_set():
                try:
                    report = await self._pass(stop)
                except Exception:
                    log.exception("delivery pass failed; retrying after %.1f s", idle)
                    report = None
                if report is not None and report.claimed:
                    log.info("delivery: %s", report)
                    continue
                await self._rest(stop, wake, idle)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            await self._writer.flush()

    async def _keep_claims(self) -> None:
        """Every third of the lease: renew this sender's claims, put back other senders' stale ones."""
        while True:
            await asyncio.sleep(self._lease / 3)
            await self._keep_claims_once()

    async def _keep_claims_once(self) -> None:
        try:
            released = await asyncio.to_thread(self._renew_and_release, list(self._held))
        except Exception:
            log.exception("could not renew the outbox claims")
            return
        if released:
            log.info("put back %d alerts left claimed by a sender that stopped", released)

    def wake(self) -> None:
        """Look at the outbox now (the pipeline just queued alerts); safe from any thread."""
        wake = self._wake_event()
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    async def deliver_due(self) -> DeliveryReport:
        """One pass: deliver everything due now (and what comes due meanwhile), then report."""
        return await self._pass(None)

    # --- A pass ---

    async def _pass(self, stop: asyncio.Event | None) -> DeliveryReport:
        self._wake_event().clear()
        gate = self._gate = self._gate or _Gate(self._limits.per_second)
        run = _Pass(batch=self._batch)
        workers = [asyncio.create_task(self._worker(run)) for _ in range(self._concurrency)]
        watcher = asyncio.create_task(self._watch(stop, run, gate)) if stop is not None else None
        try:
            try:
                await self._feed(run)
            finally:
                for _ in workers:
                    run.ready.put_nowait(None)
            await asyncio.wait(workers)
        except BaseException:  # cancelled: no new request, but those in flight end and are recorded
            run.stopping.set()
            gate.wake()
            await asyncio.wait(workers)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            await self._writer.flush()
            self._prune(time.monotonic())
        return run.report()

    @staticmethod
    async def _watch(stop: asyncio.Event, run: _Pass, gate: _Gate) -> None:
        """Stop the pass when `stop` is set: unstarted alerts go back, requests in flight finish."""
        await stop.wait()
        run.stopping.set()
        gate.wake()

    async def _feed(self, run: _Pass) -> None:
        """Claim batches while there are due alerts, keeping at most about two batches in memory."""
        while not run.stopping.is_set():
            while run.queued >= self._batch:
                run.space.clear()
                await run.space.wait()
            claim = asyncio.ensure_future(asyncio.to_thread(self._claim))
            try:
                prepared = await asyncio.shield(claim)
            except asyncio.CancelledError:
                # The claim goes on in its thread and commits: hand back what it took.
                with contextlib.suppress(Exception):
                    for p in await claim:
                        self._release(p.item, retry_at=self._clock(), error=None)
                raise
            except Exception:
                log.exception("could not claim alerts")
                return
            if not prepared:
                return
            self._held.update(p.item.id for p in prepared)
            run.add(prepared)

    async def _worker(self, run: _Pass) -> None:
        while (chat_id := await run.ready.get()) is not None:
            lane = run.lanes[chat_id]
            while lane:
                p = run.take(lane)
                try:
                    await self._one(p, run)
                except Exception:  # a bug of ours: never lose the alert, never lose the worker
                    log.exception("delivery of alert %d failed unexpectedly", p.item.id)
                    self._retry(p.item, "internal error", run)
            del run.lanes[chat_id]

    async def _one(self, p: _Prepared, run: _Pass) -> None:
        item = p.item
        if run.stopping.is_set():
            self._release(item, retry_at=self._clock(), error=None)
            return
        if item.chat_id in run.gone:
            self._dead(item, "chat inactive", run)
            return
        if item.chat_id in run.migrated:
            self._release(
                item, retry_at=self._clock(), error=f"chat migrated to {run.migrated[item.chat_id]}"
            )
            run.failed += 1
            return
        if isinstance(p.text, Exception):
            self._log_once(p.text, run, f"rendering event {item.event_id} failed")
            self._retry(item, f"render failed: {self._redact(repr(p.text))}", run)
            return
        if p.text is None:
            self._dead(item, "event gone", run)
            return
        chat = self._chat(item.chat_id)
        chat.users += 1
        try:
            await self._send(item, p.text, chat, run)
        except _StoppedError:
            self._release(item, retry_at=self._clock(), error=None)
        except Exception as exc:
            self._on_error(exc, item, chat, run)
        finally:
            chat.users -= 1

    async def _send(self, item: OutboxItem, text: str, chat: _Chat, run: _Pass) -> None:
        """Edit or send, once the chat's window allows; record the outcome. Raises Telegram's errors."""
        if not await self._chat_ready(item, chat, run, queue_behind=True, forget_message=False):
            return
        message_id = item.telegram_message_id
        if item.needs_edit and message_id is not None:
            try:
                await self._request(
                    chat,
                    run,
                    lambda: self._bot.edit_message_text(
                        text,
                        chat_id=item.chat_id,
                        message_id=message_id,
                        parse_mode=ParseMode.HTML,
                        link_preview_options=NO_PREVIEW,
                    ),
                )
            except BadRequest as exc:
                reason = exc.message.lower()
                if _NOT_MODIFIED in reason:
                    pass  # the message already shows this text
                elif any(gone in reason for gone in _EDIT_GONE):
                    log.info("alert %d: %s; sending a new message", item.id, exc.message)
                    if not await self._chat_ready(item, chat, run, queue_behind=False, forget_message=True):
                        return
                    message_id = None
                else:
                    raise
            if message_id is not None:
                self._sent(item, message_id, run, edited=True)
                return
        message = await self._request(
            chat,
            run,
            lambda: self._bot.send_message(
                item.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=item.message_thread_id,
                link_preview_options=NO_PREVIEW,
            ),
        )
        assert isinstance(message, Message)
        self._sent(item, message.message_id, run, edited=False)

    async def _chat_ready(
        self, item: OutboxItem, chat: _Chat, run: _Pass, *, queue_behind: bool, forget_message: bool
    ) -> bool:
        """Wait briefly for the chat's window, or hand the alert back for when it frees (False)."""
        now = time.monotonic()
        free = chat.free_at(now)
        returning = chat.deferred.pop(item.id, None) is not None
        if queue_behind and not returning and chat.deferred:
            free = max(free, chat.tail + chat.gap)  # alerts handed back earlier go first
        if free - now > SHORT_WAIT:
            slot = free if returning or not queue_behind else max(free, chat.tail + chat.gap)
            chat.deferred[item.id] = slot
            chat.tail = max(chat.tail, slot)
            heapq.heappush(self._slots, slot)
            self._release(item, retry_at=self._at(slot, now), error=None, forget_message=forget_message)
            run.deferred += 1
            return False
        if free > now:
            await asyncio.sleep(free - now)
        return True

    async def _request(
        self, chat: _Chat, run: _Pass, call: Callable[[], Awaitable[Message | bool]]
    ) -> Message | bool:
        """Make one Bot API request inside the overall and the chat's windows."""
        gate = self._gate
        assert gate is not None
        if not await gate.acquire(run.stopping):
            raise _StoppedError
        for w in chat.windows:
            w.in_flight += 1
        try:
            return await call()
        finally:
            end = time.monotonic()
            gate.finish(end)
            for w in chat.windows:
                w.in_flight -= 1
                w.ends.append(end)
            chat.previous_end, chat.last_end = chat.last_end, end
            self._requests += 1
            if self._requests % _PRUNE_EVERY == 0:
                self._prune(end)

    # --- Outcomes ---

    def _on_error(self, exc: Exception, item: OutboxItem, chat: _Chat, run: _Pass) -> None:
        where = f"alert {item.id} (event {item.event_id}, chat {item.chat_id})"
        error = self._redact(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, RetryAfter):
            seconds = retry_after_seconds(exc) + RETRY_AFTER_MARGIN
            now = time.monotonic()
            until = now + seconds
            chat.blocked_until = max(chat.blocked_until, until)
            if now - chat.previous_end > 60.0:  # the chat's first request in a minute: a global flood
                self._gate_pause(until)
                log.warning("flood control (429) at %s: all sending paused for %.1f s", where, seconds)
            else:
                log.warning("flood control (429) at %s: the chat paused for %.1f s", where, seconds)
            chat.deferred[item.id] = until
            chat.tail = max(chat.tail, until)
            heapq.heappush(self._slots, until)
            self._release(
                item, retry_at=self._at(until, now), error=f"429 flood control: retry after {seconds:g} s"
            )
            run.failed += 1
        elif isinstance(exc, ChatMigrated):
            new_chat_id = exc.new_chat_id
            log.warning("chat %d became supergroup %d: moving its subscription", item.chat_id, new_chat_id)
            now_utc = self._clock()
            # Handed back first: the move takes the alert along (or, if the new chat is a subscriber
            # already, the old chat is deactivated and the alert dies with its other ones).
            self._release(item, retry_at=now_utc, error=error)
            self._record(
                _Call(
                    f"the move of chat {item.chat_id} to {new_chat_id}",
                    lambda s: self._migrate(s, item.chat_id, new_chat_id, now_utc),
                )
            )
            run.migrated[item.chat_id] = new_chat_id
            run.failed += 1
        elif isinstance(exc, Forbidden) or (
            isinstance(exc, BadRequest)
            and (_CHAT_GONE in exc.message.lower() or any(r in exc.message.lower() for r in _NO_RIGHTS))
        ):
            log.info("chat %d is gone (%s): deactivated", item.chat_id, error)
            now_utc = self._clock()
            self._dead(item, error, run)
            self._record(
                _Call(
                    f"the deactivation of chat {item.chat_id}",
                    lambda s: store.deactivate_subscriber(s, item.chat_id, now=now_utc),
                )
            )
            run.gone.add(item.chat_id)
            run.deactivated += 1
        elif isinstance(exc, BadRequest) and "thread not found" in exc.message.lower():
            # The forum topic was deleted: the alert cannot go where it was asked to.
            log.warning("Telegram refused %s (the topic is gone): %s", where, error)
            self._dead(item, error, run)
        elif isinstance(exc, BadRequest):
            log.error("Telegram refused %s: %s", where, error)
            self._dead(item, error, run)
        elif isinstance(exc, NetworkError):  # TimedOut, connection errors, 5xx
            log.warning("%s failed (attempt %d): %s", where, item.attempts, error)
            self._retry(item, error, run)
        else:
            self._log_once(exc, run, f"{where} failed unexpectedly")
            self._retry(item, error, run)

    def _sent(self, item: OutboxItem, message_id: int, run: _Pass, *, edited: bool) -> None:
        self._record(outbox_extra.Sent(item.id, message_id, item.event_version, self._clock()))
        if edited:
            run.edited += 1
        else:
            run.sent += 1

    def _retry(self, item: OutboxItem, error: str, run: _Pass) -> None:
        if item.attempts >= self._max_attempts:
            log.error(
                "giving up alert %d (event %d, chat %d) after %d attempts: %s",
                item.id,
                item.event_id,
                item.chat_id,
                item.attempts,
                error,
            )
            self._dead(item, f"gave up after {item.attempts} attempts: {error}", run)
            return
        delay = backoff_seconds(item.attempts, base=self._retry_base, cap=self._retry_cap)
        retry_at = self._clock() + timedelta(seconds=delay)
        self._record(
            _Call(
                f"alert {item.id} as failed",
                lambda s: store.mark_failed(s, item.id, error=error, retry_at=retry_at),
                item.id,
            )
        )
        run.failed += 1

    def _dead(self, item: OutboxItem, error: str, run: _Pass) -> None:
        self._record(
            _Call(f"alert {item.id} as dead", lambda s: store.mark_dead(s, item.id, error=error), item.id)
        )
        run.dead += 1

    def _release(
        self, item: OutboxItem, *, retry_at: datetime, error: str | None, forget_message: bool = False
    ) -> None:
        self._record(Release(item.id, retry_at, error, forget_message))

    def _record(self, write: _Write) -> None:
        """Queue an outcome; an alert with one is no longer held (its claim needs no renewing)."""
        outbox_id = write.outbox_id
        if outbox_id is not None:
            self._held.discard(outbox_id)
        self._writer.add(write)

    @staticmethod
    def _migrate(session: Session, old_chat_id: int, new_chat_id: int, now: datetime) -> None:
        if not store.migrate_chat(session, old_chat_id, new_chat_id):
            store.deactivate_subscriber(session, old_chat_id, now=now)

    # --- Helpers ---

    def _claim(self) -> list[_Prepared]:
        """Claim a batch, read its chats' languages, render each (event, language) once."""
        now = self._clock()
        with self._sessions.begin() as session:
            items = store.claim_outbox(session, self._batch, now)
        if not items:
            return []
        texts: dict[tuple[int, str], str | Exception | None] = {}
        try:
            with self._sessions() as session:
                languages = outbox_extra.chat_languages(session, {i.chat_id for i in items})
                keys = [(i.event_id, languages.get(i.chat_id, FALLBACK_LANGUAGE)) for i in items]
                for key in dict.fromkeys(keys):
                    try:
                        texts[key] = self._render(session, *key)
                    except Exception as exc:
                        texts[key] = exc
        except Exception as exc:  # the claim is committed: the alerts must still be settled
            return [_Prepared(i, exc) for i in items]
        return [_Prepared(i, texts[key]) for i, key in zip(items, keys, strict=True)]

    def _renew_and_release(self, held: list[int]) -> int:
        now = self._clock()
        with self._sessions.begin() as session:
            store.lock_outbox(session)
            outbox_extra.renew_claims(session, held, now=now)
            return store.release_stale_claims(session, claimed_before=now - timedelta(seconds=self._lease))

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            windows = [_Window(self._limits.per_chat_per_second, 1.0)]
            if chat_id < 0:
                windows.append(_Window(self._limits.per_group_per_minute, 60.0))
            chat = _Chat(tuple(windows), gap=max(w.interval for w in windows))
            self._chats[chat_id] = chat
        return chat

    def _prune(self, now: float) -> None:
        """Drop the state of chats with nothing recent, and deferrals long overdue (bounded memory)."""
        for chat_id, chat in list(self._chats.items()):
            for outbox_id, slot in list(chat.deferred.items()):
                if slot < now - _FORGET_DEFERRED_AFTER:
                    del chat.deferred[outbox_id]
            if chat.idle(now):
                del self._chats[chat_id]
        while self._slots and self._slots[0] <= now:
            heapq.heappop(self._slots)

    def _gate_pause(self, until: float) -> None:
        if self._gate is not None:
            self._gate.pause(until)

    async def _rest(self, stop: asyncio.Event, wake: asyncio.Event, idle: float) -> None:
        """Sleep `idle` seconds (less if a deferred alert comes due sooner) or until woken or stopped."""
        now = time.monotonic()
        while self._slots and self._slots[0] <= now:
            heapq.heappop(self._slots)
        timeout = min(idle, self._slots[0] - now) if self._slots else idle
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=max(timeout, 0.0), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    def _wake_event(self) -> asyncio.Event:
        if self._wake is None:
            self._wake = asyncio.Event()
        return self._wake

    def _at(self, slot: float, now: float) -> datetime:
        """The database time of a monotonic moment."""
        return self._clock() + timedelta(seconds=max(slot - now, 0.0))

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text

    def _log_once(self, exc: BaseException, run: _Pass, what: str) -> None:
        """The traceback the first time an exception type shows up in a pass, one line after that."""
        if type(exc) in run.logged:
            log.warning("%s: %s", what, self._redact(repr(exc)))
            return
        run.logged.add(type(exc))
        trace = "".join(traceback.format_exception(exc))
        log.error("%s:\n%s", what, self._redact(trace))
