"""The daily digest: chats that chose `/digest <hour>` get one message a day instead of instant alerts.

A job runs every few minutes; a chat is due when the current UTC hour is its `digest_hour` and its
last digest is more than 20 hours old. Its digest lists the events first seen since its last digest
(at most a day back) that match any of its subscriptions. `last_digest_at` moves only after every
part was sent, so a digest that failed is tried again on the next run within the hour; a chat
that blocked the bot is marked inactive.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import store
from bot.db import SubscriberRow
from bot.filters import subscription_matches
from bot.i18n import t
from bot.render import render_event_list
from bot.views import alert_views
from summarizer.gazetteer import Gazetteer

log = logging.getLogger(__name__)

MIN_GAP: Final = timedelta(hours=20)
LOOKBACK: Final = timedelta(days=1)
MAX_EVENTS: Final = 30


@dataclass(frozen=True, slots=True)
class Digest:
    """One chat's digest: where it goes, in which language, and the events in it."""

    chat_id: int
    thread_id: int | None
    language: str
    event_ids: tuple[int, ...]


def due_digests(session: Session, now: datetime) -> list[Digest]:
    """The digests due at `now`, each with its matching events (possibly none)."""
    stmt = select(SubscriberRow).where(
        SubscriberRow.active,
        ~SubscriberRow.muted,
        SubscriberRow.digest_hour == now.hour,
        (SubscriberRow.last_digest_at.is_(None)) | (SubscriberRow.last_digest_at <= now - MIN_GAP),
    )
    digests: list[Digest] = []
    for subscriber in session.scalars(stmt):
        since = max(subscriber.last_digest_at or now - LOOKBACK, now - LOOKBACK)
        digests.append(
            Digest(
                subscriber.chat_id,
                subscriber.message_thread_id,
                subscriber.language,
                tuple(matching_events(session, subscriber.chat_id, since)),
            )
        )
    return digests


def matching_events(session: Session, chat_id: int, since: datetime) -> list[int]:
    """Ids of the events first seen since `since` that match one of the chat's subscriptions, newest first."""
    subscriptions = store.subscriptions_of(session, chat_id)
    found: list[int] = []
    for event in store.events_since(session, since):
        places = list(event.places)
        text: str | None = None
        for sub in subscriptions:
            if sub.keyword and text is None:
                text = store.event_text(session, event.id)
            if subscription_matches(
                place_id=sub.place_id,
                governorate=sub.governorate,
                district=sub.district,
                event_category=sub.event_category,
                keyword=sub.keyword,
                min_killed=sub.min_killed,
                event_place_ids=[p.place_id for p in places],
                event_governorates=list({*event.governorates, *(p.governorate for p in places)}),
                event_districts=[p.district for p in places if p.district],
                event_types=event.event_types,
                sub_event_types=event.sub_event_types,
                killed=event.killed,
                event_text=text or "",
            ):
                found.append(event.id)
                break
        if len(found) >= MAX_EVENTS:
            break
    return found


def mark_digest_sent(session: Session, chat_id: int, now: datetime) -> None:
    """Record that the chat's digest went out."""
    row = session.get(SubscriberRow, chat_id)
    if row is not None:
        row.last_digest_at = now


async def send_digests(
    bot: Bot, sessions: sessionmaker[Session], now: datetime, gazetteer: Gazetteer | None = None
) -> int:
    """Send every digest due at `now`; the number sent. Chats with nothing new get a short note."""

    def load() -> list[tuple[Digest, list[str]]]:
        with sessions() as session:
            prepared = []
            for digest in due_digests(session, now):
                views = alert_views(session, list(digest.event_ids), gazetteer)
                heading = t(digest.language, "digest.heading", count=len(views))
                texts = render_event_list(views, digest.language, heading=heading) if views else [heading]
                prepared.append((digest, texts))
            return prepared

    sent = 0
    for digest, texts in await asyncio.to_thread(load):
        try:
            for text in texts:
                await bot.send_message(
                    digest.chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=digest.thread_id,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
        except (Forbidden, BadRequest) as exc:
            if isinstance(exc, Forbidden) or "chat not found" in exc.message.lower():
                log.info("chat %s: gone (%s); no more digests", digest.chat_id, exc.message)
                await asyncio.to_thread(_deactivate, sessions, digest.chat_id, now)
            else:
                log.error("chat %s: digest refused: %s", digest.chat_id, exc.message)
            continue
        except TelegramError as exc:
            log.warning("chat %s: digest failed, retrying on the next run: %s", digest.chat_id, exc)
            continue
        await asyncio.to_thread(_mark, sessions, digest.chat_id, now)
        sent += 1
    return sent


def _deactivate(sessions: sessionmaker[Session], chat_id: int, now: datetime) -> None:
    with sessions.begin() as session:
        store.deactivate_subscriber(session, chat_id, now=now)


def _mark(sessions: sessionmaker[Session], chat_id: int, now: datetime) -> None:
    with sessions.begin() as session:
        mark_digest_sent(session, chat_id, now)
