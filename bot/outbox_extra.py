"""Outbox queries the sender needs beyond `bot.store`: languages of a batch's chats, sent alerts
recorded in bulk, claims renewed, and claims handed back without counting an attempt.

Same contract as `bot.store`: synchronous functions over a `Session` that neither commit nor roll
back; times are timezone-aware UTC and "now" is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CursorResult,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    case,
    false,
    func,
    null,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from bot.db import OutboxRow, SubscriberRow, UTCDateTime

_CHUNK: Final = 500


@dataclass(frozen=True, slots=True)
class Release:
    """A claimed alert handed back unsent: claimable again from `retry_at`.

    `error` None puts it back to `pending` (it was only deferred); otherwise it is `failed` with that
    error. `forget_message` turns a pending edit into a new message (the old one cannot be edited).
    """

    outbox_id: int
    retry_at: datetime
    error: str | None = None
    forget_message: bool = False


@dataclass(frozen=True, slots=True)
class Sent:
    """A delivered (or edited) alert: the message it is, the event version it shows, and when."""

    outbox_id: int
    telegram_message_id: int
    sent_version: int
    now: datetime


def mark_sent_many(session: Session, sent: Sequence[Sent]) -> None:
    """`store.mark_sent` for many alerts in one executemany: same effect, a fraction of the cost.

    A fan-out records thousands of these; the ORM statement costs about a millisecond each.
    """
    if not sent:
        return
    table = cast(Table, OutboxRow.__table__)
    c = table.c
    version = bindparam("b_version", type_=Integer())
    now = bindparam("b_now", type_=UTCDateTime())
    revised = c.event_version > version
    stmt = (
        update(table)
        .where(c.id == bindparam("b_id", type_=Integer()))
        .values(
            status=case((revised, "pending"), else_="sent"),
            needs_edit=case((revised, true()), else_=false()),
            sent_version=version,
            telegram_message_id=bindparam("b_message_id", type_=BigInteger()),
            sent_at=func.coalesce(c.sent_at, now),
            next_attempt_at=now,
            claimed_at=None,
            last_error=None,
        )
    )
    params = [
        {
            "b_id": s.outbox_id,
            "b_version": s.sent_version,
            "b_message_id": s.telegram_message_id,
            "b_now": s.now,
        }
        for s in sorted(sent, key=lambda s: s.outbox_id)  # id order, as store.queue_alerts locks
    ]
    session.connection().execute(stmt, params)
    session.flush()


def chat_languages(session: Session, chat_ids: Iterable[int]) -> dict[int, str]:
    """The language of each of these chats that is a subscriber (one query per 500 chats)."""
    ids = sorted(set(chat_ids))
    languages: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(SubscriberRow.chat_id, SubscriberRow.language).where(
            SubscriberRow.chat_id.in_(ids[start : start + _CHUNK])
        )
        languages.update((chat_id, language) for chat_id, language in session.execute(stmt))
    return languages


def release(session: Session, releases: Sequence[Release]) -> int:
    """Hand claimed (`sending`) alerts back without counting the claim as an attempt; how many.

    For what is not the alert's fault: the chat's flood window was full, Telegram said "retry after"
    (429), the sender is stopping. Rows no longer `sending` (another writer settled them) are left alone.
    """
    if not releases:
        return 0
    table = cast(Table, OutboxRow.__table__)
    c = table.c
    forget = bindparam("b_forget", type_=Boolean())
    stmt = (
        update(table)
        .where(c.id == bindparam("b_id", type_=Integer()), c.status == "sending")
        .values(
            status=bindparam("b_status", type_=String()),
            next_attempt_at=bindparam("b_retry_at", type_=UTCDateTime()),
            last_error=case(
                (bindparam("b_keep_error", type_=Boolean()), c.last_error),
                else_=bindparam("b_error", type_=Text()),
            ),
            claimed_at=None,
            attempts=case((c.attempts > 0, c.attempts - 1), else_=0),
            needs_edit=case((forget, false()), else_=c.needs_edit),
            telegram_message_id=case((forget, null()), else_=c.telegram_message_id),
        )
    )
    params: list[dict[str, Any]] = [
        {
            "b_id": r.outbox_id,
            "b_status": "pending" if r.error is None else "failed",
            "b_retry_at": r.retry_at,
            "b_keep_error": r.error is None,
            "b_error": r.error,
            "b_forget": r.forget_message,
        }
        for r in sorted(releases, key=lambda r: r.outbox_id)  # id order, as store.queue_alerts locks
    ]
    result = session.connection().execute(stmt, params)
    session.flush()
    return result.rowcount


def renew_claims(session: Session, outbox_ids: Sequence[int], *, now: datetime) -> int:
    """Renew a live sender's claims (`claimed_at` = now) so that no one puts them back; how many."""
    renewed = 0
    for start in range(0, len(outbox_ids), _CHUNK):
        result = session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(outbox_ids[start : start + _CHUNK]), OutboxRow.status == "sending")
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        renewed += cast(CursorResult[Any], result).rowcount
    session.flush()
    return renewed
