"""Outbox queries the sender needs beyond `bot.store`: languages of a batch's chats, claims handed
back without counting an attempt, and a group's move to its supergroup.

Same contract as `bot.store`: synchronous functions over a `Session` that neither commit nor roll
back; times are timezone-aware UTC and "now" is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from bot.db import OutboxRow, SubscriberRow, SubscriptionRow, UTCDateTime

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
        for r in releases
    ]
    result = session.connection().execute(stmt, params)
    session.flush()
    return result.rowcount


def migrate_chat(session: Session, old_chat_id: int, new_chat_id: int, *, now: datetime) -> bool:
    """Move a group that became a supergroup to its new chat id: subscriber, filters and alerts.

    The new chat keeps the old one's settings (language, topic, digest...) unless it is a subscriber
    already. Alerts the new chat already has for the same event and topic stay as they are; the old
    chat's copies go with the old row. False when the old chat is not (or no longer) a subscriber.
    """
    old = session.get(SubscriberRow, old_chat_id)
    if old is None or old_chat_id == new_chat_id:
        return False
    if session.get(SubscriberRow, new_chat_id) is None:
        session.add(
            SubscriberRow(
                chat_id=new_chat_id,
                kind="supergroup",
                language=old.language,
                active=True,
                muted=old.muted,
                digest_hour=old.digest_hour,
                radius_km=old.radius_km,
                message_thread_id=old.message_thread_id,
                created_at=now,
                last_digest_at=old.last_digest_at,
            )
        )
        session.flush()
    session.execute(
        update(SubscriptionRow).where(SubscriptionRow.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    taken = aliased(OutboxRow)
    session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.chat_id == old_chat_id,
            ~exists().where(
                and_(
                    taken.chat_id == new_chat_id,
                    taken.event_id == OutboxRow.event_id,
                    taken.message_thread_id == OutboxRow.message_thread_id,
                )
            ),
        )
        .values(chat_id=new_chat_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(OutboxRow).where(OutboxRow.chat_id == old_chat_id))
    session.execute(delete(SubscriberRow).where(SubscriberRow.chat_id == old_chat_id))
    session.expunge(old)
    session.flush()
    return True
