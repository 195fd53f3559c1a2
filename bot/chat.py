"""What the bot says: every command and query as a plain function from a request to a `Reply`.

The Telegram handlers (`bot/handlers.py`) only turn an Update into a `Request`, call one method of
`Conversation` in a worker thread (these read and write the database synchronously) and send the
`Reply`. Nothing here imports Telegram, so every answer is testable without a server; the texts
come from `bot/locales/chat.*.yaml` and `bot/render.py`, in the chat's language.
"""

from __future__ import annotations

import html
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.db import SubscriberRow, SubscriptionRow
from bot.filters import (
    Category,
    FilterError,
    SubscriptionSpec,
    categories,
    category_by_code,
    parse_subscription,
    spec_columns,
)
from bot.i18n import governorate_label, language_for, t
from bot.render import render_event_list
from bot.resolve import PlaceChoice, PlaceResolver, Resolution, place_choice
from bot.views import alert_views
from summarizer.gazetteer import Gazetteer
from summarizer.models import GOVERNORATES, Place

MAX_ARGUMENT_CHARS: Final = 200
MAX_SUBSCRIPTIONS: Final = 50
MAX_PENDING: Final = 1000  # subscriptions waiting for a "which place?" button
DEFAULT_DAYS: Final = 7
MAX_DAYS: Final = 365
DEFAULT_LATEST: Final = 5
MAX_LATEST: Final = 20
LIST_LIMIT: Final = 10
MIN_RADIUS_KM: Final = 1
MAX_RADIUS_KM: Final = 200
DAMASCUS_UTC_OFFSET: Final = 3  # Syria keeps UTC+3 all year since 2022
_WORDS = re.compile(r"\S+")


# --- Requests and replies ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """Who is asking, from where: what every command needs besides its arguments."""

    chat_id: int
    chat_kind: str  # private, group, supergroup, channel
    user_id: int | None
    user_language: str | None  # Telegram's language_code of the user
    thread_id: int | None = None  # the forum topic the command came from
    is_bot_admin: bool = False  # the user is in ADMIN_IDS
    is_chat_admin: bool = True  # in groups: the user administers the chat (private chats: always)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class Button:
    """An inline keyboard button: its label and its callback data (at most 64 bytes)."""

    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send back: one or more HTML messages, an inline keyboard under the last one, and
    whether to offer the "share my location" keyboard (private chats only)."""

    texts: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    location_keyboard: bool = False
    language: str = "ar"

    @classmethod
    def one(cls, text: str, language: str, **kwargs: object) -> Reply:
        """A reply of one message."""
        return cls((text,), language=language, **kwargs)  # type: ignore[arg-type]


# --- The conversation -------------------------------------------------------------------------------


class Conversation:
    """Every command of the bot, over the database and the gazetteer."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        resolver: PlaceResolver | None = None,
        gazetteer: Gazetteer | None = None,
        default_language: str = "ar",
    ) -> None:
        self._sessions = sessions
        self._gazetteer = gazetteer or Gazetteer.default()
        self._resolver = resolver or PlaceResolver(self._gazetteer)
        self._default_language = default_language
        self._districts: dict[str, Place] | None = None  # English name -> district, built on first use
        self._pending: OrderedDict[int, SubscriptionSpec] = OrderedDict()
        self._pending_counter = 0
        self._pending_lock = threading.Lock()  # the handlers call in from worker threads

    # --- language ---------------------------------------------------------------------------------

    def language(self, request: Request) -> str:
        """The chat's language: the one chosen with /lang, else the user's Telegram language."""
        with self._sessions() as session:
            row = store.get_subscriber(session, request.chat_id)
            if row is not None:
                return row.language
        return language_for(request.user_language, self._default_language)

    def _register(self, request: Request) -> None:
        """Create the chat's row, if new, in a transaction of its own: the handlers run updates
        concurrently, and two of a new chat would both insert it (the loser retries as a reader)."""
        with self._sessions() as session:
            if store.get_subscriber(session, request.chat_id) is not None:
                return
        try:
            with self._sessions.begin() as session:
                self._subscriber(session, request)
        except IntegrityError:
            pass  # another update of the chat created it meanwhile

    def _subscriber(self, session: Session, request: Request) -> SubscriberRow:
        language = language_for(request.user_language, self._default_language)
        return store.ensure_subscriber(
            session, request.chat_id, kind=request.chat_kind, language=language, now=request.now
        )

    # --- /start, /help, /lang ---------------------------------------------------------------------

    def start(self, request: Request) -> Reply:
        """Welcome: what the bot does, with examples; registers the chat."""
        self._register(request)
        with self._sessions.begin() as session:
            lang = self._subscriber(session, request).language
        return Reply(
            (t(lang, "start.text"),),
            location_keyboard=request.chat_kind == "private",
            language=lang,
        )

    def help(self, request: Request) -> Reply:
        """The list of commands, with examples."""
        lang = self.language(request)
        text = t(lang, "help.text")
        if request.is_bot_admin:
            text += "\n\n" + t(lang, "help.admin")
        return Reply((text,), location_keyboard=request.chat_kind == "private", language=lang)

    def set_language(self, request: Request, argument: str) -> Reply:
        """/lang [ar|en]: switch the interface language (buttons without an argument)."""
        choice = argument.strip().lower()
        aliases = {"ar": "ar", "arabic": "ar", "عربي": "ar", "العربية": "ar", "en": "en", "english": "en"}
        lang = self.language(request)
        if not choice:
            buttons = ((Button("العربية", "lang:ar"), Button("English", "lang:en")),)
            return Reply((t(lang, "lang.prompt"),), buttons=buttons, language=lang)
        if choice not in aliases:
            return Reply.one(t(lang, "lang.unknown", value=html.escape(argument[:20])), lang)
        if not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        self._register(request)
        with self._sessions.begin() as session:
            row = self._subscriber(session, request)
            row.language = aliases[choice]
            lang = row.language
        return Reply.one(t(lang, "lang.set"), lang)

    # --- subscriptions ----------------------------------------------------------------------------

    def subscribe(self, request: Request, argument: str) -> Reply:
        """/subscribe <filters>: add a subscription; with no argument, offer buttons."""
        lang = self.language(request)
        if not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        if not argument.strip():
            return Reply((t(lang, "subscribe.prompt"),), buttons=self._subscribe_buttons(lang), language=lang)
        parsed = parse_subscription(argument, self._resolver)
        if isinstance(parsed, FilterError):
            return self._filter_error(parsed, lang, argument)
        return self._add(request, parsed, lang)

    def subscribe_button(self, request: Request, data: str) -> Reply:
        """A button of /subscribe: `sub:gov:<n>`, `sub:cat:<code>`, `sub:place:<place id>` or
        `sub:pick:<n>` (a place picked for a subscription with more filters, see `_pick_data`)."""
        lang = self.language(request)
        if not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        _, kind, value = [*data.split(":", 2), "", ""][:3]
        spec: SubscriptionSpec | None = None
        if kind == "gov" and value.isdigit() and int(value) < len(GOVERNORATES):
            spec = SubscriptionSpec(
                place=self._choice(self._gazetteer.governorate(GOVERNORATES[int(value)]).id)
            )
        elif kind == "cat":
            category = next((c for c in categories() if c.code == value), None)
            spec = None if category is None else SubscriptionSpec(category=category)
        elif kind == "place":
            choice = self._choice(value)
            spec = None if choice is None else SubscriptionSpec(place=choice)
        elif kind == "pick" and value.isdigit():
            with self._pending_lock:
                spec = self._pending.get(int(value))
        if spec is None:
            return Reply.one(t(lang, "button.expired"), lang)
        return self._add(request, spec, lang)

    def _add(self, request: Request, spec: SubscriptionSpec, lang: str) -> Reply:
        self._register(request)
        with self._sessions.begin() as session:
            self._subscriber(session, request)
            existing = store.subscriptions_of(session, request.chat_id)
            columns = {**spec_columns(spec), "message_thread_id": request.thread_id}
            known = any(all(getattr(row, k) == v for k, v in columns.items()) for row in existing)
            if not known and len(existing) >= MAX_SUBSCRIPTIONS:
                return Reply.one(t(lang, "subscribe.limit", limit=MAX_SUBSCRIPTIONS), lang)
            row = store.add_subscription(session, request.chat_id, now=request.now, **columns)  # type: ignore[arg-type]
            key = "subscribe.exists" if known else "subscribe.added"
            description = self.describe(row, lang)
        return Reply.one(t(lang, key, description=description), lang)

    def _filter_error(self, error: FilterError, lang: str, argument: str) -> Reply:
        params = dict(error.params)
        if error.key == "subscribe.two_categories":  # the parser names categories by their codes
            for name, code in params.items():
                category = category_by_code(code)
                params[name] = code if category is None else _category_label(category, lang)
        params = {name: html.escape(str(value), quote=False) for name, value in params.items()}
        text = t(lang, error.key, **params)
        buttons = tuple(
            (Button(self._choice_label(c, lang), self._pick_data(c, argument)),) for c in error.candidates
        )
        if buttons:
            text += "\n" + t(lang, "subscribe.pick_one")
        return Reply((text,), buttons=buttons, language=lang)

    def _pick_data(self, choice: PlaceChoice, argument: str) -> str:
        """The callback data of a "which place?" button: `sub:place:<id>` when the place is all the
        user asked for; else `sub:pick:<n>`, a subscription kept here with the user's other filters
        (callback data holds 64 bytes, too few for a keyword), forgotten after MAX_PENDING others."""
        spec = parse_subscription(argument, _FixedPlace(choice))
        if isinstance(spec, FilterError) or spec == SubscriptionSpec(place=choice):
            return f"sub:place:{choice.place_id}"
        with self._pending_lock:
            self._pending_counter += 1
            number = self._pending_counter
            self._pending[number] = spec
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
        return f"sub:pick:{number}"

    def _subscribe_buttons(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        governorates = [
            Button(governorate_label(lang, name), f"sub:gov:{i}") for i, name in enumerate(GOVERNORATES)
        ]
        kinds = [
            Button(c.label_ar if lang == "ar" else c.label_en, f"sub:cat:{c.code}") for c in categories()
        ]
        return _rows(governorates, 2) + _rows(kinds, 2)

    def unsubscribe(self, request: Request, argument: str) -> Reply:
        """/unsubscribe: buttons, one per subscription; `/unsubscribe all` removes every one."""
        lang = self.language(request)
        if not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        with self._sessions.begin() as session:
            rows = store.subscriptions_of(session, request.chat_id)
            if not rows:
                return Reply.one(t(lang, "mysubs.none"), lang)
            if argument.strip().lower() in ("all", "الكل", "كل"):
                for row in rows:
                    store.remove_subscription(session, request.chat_id, row.id)
                return Reply.one(t(lang, "unsubscribe.all_done", count=len(rows)), lang)
            buttons = tuple(
                (Button(_plain(self.describe(row, lang))[:60], f"unsub:{row.id}"),) for row in rows
            )
        buttons += ((Button(t(lang, "unsubscribe.all_button"), "unsub:all"),),)
        return Reply((t(lang, "unsubscribe.pick"),), buttons=buttons, language=lang)

    def unsubscribe_button(self, request: Request, data: str) -> Reply:
        """A button of /unsubscribe: `unsub:<id>` or `unsub:all`."""
        value = data.partition(":")[2]
        if value == "all":
            return self.unsubscribe(request, "all")
        lang = self.language(request)
        if not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        if not value.isdigit():
            return Reply.one(t(lang, "button.expired"), lang)
        with self._sessions.begin() as session:
            row = session.get(SubscriptionRow, int(value))
            if row is None or row.chat_id != request.chat_id:
                return Reply.one(t(lang, "unsubscribe.gone"), lang)
            description = self.describe(row, lang)
            store.remove_subscription(session, request.chat_id, row.id)
        return Reply.one(t(lang, "unsubscribe.done", description=description), lang)

    def my_subscriptions(self, request: Request) -> Reply:
        """/mysubs: the chat's subscriptions and delivery settings."""
        lang = self.language(request)
        with self._sessions() as session:
            subscriber = store.get_subscriber(session, request.chat_id)
            rows = store.subscriptions_of(session, request.chat_id)
            lines = [f"• {self.describe(row, lang)}" for row in rows]
        if not lines:
            return Reply.one(t(lang, "mysubs.none"), lang)
        text = t(lang, "mysubs.heading") + "\n" + "\n".join(lines)
        if subscriber is not None:
            text += "\n\n" + self._settings_line(subscriber, lang)
        return Reply.one(text, lang)

    def _settings_line(self, subscriber: SubscriberRow, lang: str) -> str:
        parts = [t(lang, "mysubs.radius", km=subscriber.radius_km)]
        if subscriber.muted:
            parts.append(t(lang, "mysubs.muted"))
        if subscriber.digest_hour is not None:
            parts.append(t(lang, "mysubs.digest", hour=_local_hour(subscriber.digest_hour)))
        else:
            parts.append(t(lang, "mysubs.instant"))
        return " · ".join(parts)

    def describe(self, row: SubscriptionRow, lang: str) -> str:
        """A subscription in words (HTML-escaped), e.g. "Deir ez-Zor · airstrikes · killed ≥ 5"."""
        parts: list[str] = []
        for place_id in (row.place_id, row.district and f"district:{row.district}", row.governorate):
            if not place_id:
                continue
            if place_id == row.governorate:
                parts.append(governorate_label(lang, place_id))
            elif place_id.startswith("district:"):
                parts.append(self._district_label(place_id.partition(":")[2], lang))
            else:
                choice = self._choice(place_id)
                parts.append(self._choice_label(choice, lang) if choice else place_id)
        if row.event_category:
            category = category_by_code(row.event_category)
            label = row.event_category if category is None else _category_label(category, lang)
            parts.append(label)
        if row.keyword:
            parts.append(t(lang, "describe.keyword", keyword=row.keyword))
        if row.min_killed is not None:
            parts.append(t(lang, "describe.min_killed", count=row.min_killed))
        if row.message_thread_id is not None:
            parts.append(t(lang, "describe.topic", topic=row.message_thread_id))
        return html.escape(" · ".join(parts) or t(lang, "describe.everything"), quote=False)

    # --- settings ---------------------------------------------------------------------------------

    def mute(self, request: Request, muted: bool) -> Reply:
        """/mute and /resume: pause or restart alerts (subscriptions are kept)."""
        lang = self.language(request)
        if not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        self._register(request)
        with self._sessions.begin() as session:
            self._subscriber(session, request).muted = muted
        return Reply.one(t(lang, "mute.done" if muted else "resume.done"), lang)

    def radius(self, request: Request, argument: str) -> Reply:
        """/radius [km]: the radius of location queries (1–200 km); only admins change a group's."""
        lang = self.language(request)
        text = argument.strip().lower()
        value = _to_int(text.removesuffix("km").removesuffix("كم").strip())
        if text and not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        self._register(request)
        with self._sessions.begin() as session:
            row = self._subscriber(session, request)
            if not text:
                return Reply.one(t(lang, "radius.usage", km=row.radius_km), lang)
            if value is None or not MIN_RADIUS_KM <= value <= MAX_RADIUS_KM:
                return Reply.one(t(lang, "radius.bad", low=MIN_RADIUS_KM, high=MAX_RADIUS_KM), lang)
            row.radius_km = value
        return Reply.one(t(lang, "radius.set", km=value), lang)

    def digest(self, request: Request, argument: str) -> Reply:
        """/digest <hour>|off: one daily digest at that hour (Damascus time) instead of instant alerts."""
        lang = self.language(request)
        if not request.is_chat_admin:
            return Reply.one(t(lang, "chat.admins_only"), lang)
        value = argument.strip().lower()
        self._register(request)
        with self._sessions.begin() as session:
            row = self._subscriber(session, request)
            if not value:
                current = (
                    t(lang, "mysubs.instant")
                    if row.digest_hour is None
                    else t(lang, "mysubs.digest", hour=_local_hour(row.digest_hour))
                )
                return Reply.one(t(lang, "digest.usage", current=current), lang)
            if value in ("off", "stop", "إيقاف", "ايقاف", "الغاء", "إلغاء"):
                row.digest_hour = None
                return Reply.one(t(lang, "digest.off"), lang)
            hour = _parse_hour(value)
            if hour is None:
                return Reply.one(t(lang, "digest.bad"), lang)
            row.digest_hour = (hour - DAMASCUS_UTC_OFFSET) % 24
            row.last_digest_at = request.now  # the first digest covers what comes from now on
        return Reply.one(t(lang, "digest.set", hour=f"{hour:02d}:00"), lang)

    # --- queries ----------------------------------------------------------------------------------

    def where(self, request: Request, argument: str) -> Reply:
        """/where <place> [days]: the latest events at a place."""
        lang = self.language(request)
        words = argument.split()
        if not words:
            return Reply.one(t(lang, "where.usage"), lang)
        if len(argument) > MAX_ARGUMENT_CHARS:
            return Reply.one(t(lang, "chat.too_long", limit=MAX_ARGUMENT_CHARS), lang)
        days = DEFAULT_DAYS
        if len(words) > 1 and (number := _to_int(words[-1])) is not None:
            if not 1 <= number <= MAX_DAYS:
                return Reply.one(t(lang, "where.bad_days", high=MAX_DAYS), lang)
            days, words = number, words[:-1]
        resolution = self._resolver.resolve(" ".join(words))
        if resolution.choice is None:
            return self._unresolved(resolution, lang, days)
        return self._events_at(resolution.choice, days, request.now, lang)

    def where_button(self, request: Request, data: str) -> Reply:
        """A "did you mean" button of /where: `where:<place id>[:<days>]` (place ids hold one colon)."""
        lang = self.language(request)
        parts = data.partition(":")[2].split(":")
        days = parts.pop() if len(parts) > 2 else None
        choice = self._choice(":".join(parts))
        number = DEFAULT_DAYS if days is None else _to_int(days)
        if choice is None or number is None or not 1 <= number <= MAX_DAYS:
            return Reply.one(t(lang, "button.expired"), lang)
        return self._events_at(choice, number, request.now, lang)

    def plain_text(self, request: Request, text: str) -> Reply | None:
        """A message that is not a command: events at the place it names; in private chats a hint
        otherwise (None in groups, where the bot keeps quiet about chatter)."""
        lang = self.language(request)
        if len(text) <= MAX_ARGUMENT_CHARS:
            resolution = self._resolver.is_place(text)
            if resolution is not None and resolution.choice is not None:
                return self._events_at(resolution.choice, DEFAULT_DAYS, request.now, lang)
            if resolution is not None and resolution.candidates:  # a name several places share
                return self._unresolved(resolution, lang, DEFAULT_DAYS)
        if request.chat_kind != "private":
            return None
        return Reply.one(t(lang, "unknown.text"), lang, location_keyboard=True)

    def _events_at(self, choice: PlaceChoice, days: int, now: datetime, lang: str) -> Reply:
        since = now - timedelta(days=days)
        with self._sessions() as session:
            if choice.kind == "governorate":
                events = store.events_by_place(
                    session, limit=LIST_LIMIT, governorate=choice.governorate, since=since
                )
            elif choice.kind == "district":
                events = store.events_by_place(
                    session, limit=LIST_LIMIT, district=choice.district, since=since
                )
            else:
                events = store.events_by_place(
                    session, limit=LIST_LIMIT, place_ids=[choice.place_id], since=since
                )
            views = alert_views(session, [e.id for e in events], self._gazetteer)
        name = html.escape(self._choice_label(choice, lang))
        if not views:
            return Reply.one(t(lang, "where.none", place=name, days=days), lang)
        heading = t(lang, "where.heading", place=name, days=days)
        return Reply(tuple(render_event_list(views, lang, heading=heading)), language=lang)

    def _unresolved(self, resolution: Resolution, lang: str, days: int) -> Reply:
        query = html.escape(resolution.query[:60])
        if not resolution.candidates:
            return Reply.one(t(lang, "where.unknown", query=query), lang)
        key = "where.ambiguous" if resolution.ambiguous and not resolution.fuzzy else "where.suggest"
        buttons = tuple(
            (Button(self._choice_label(c, lang), _where_data(c.place_id, days)),)
            for c in resolution.candidates
        )
        return Reply((t(lang, key, query=query),), buttons=buttons, language=lang)

    def nearby(self, request: Request, latitude: float, longitude: float) -> Reply:
        """A shared location: events within the chat's radius, nearest and newest first."""
        lang = self.language(request)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return Reply.one(t(lang, "near.bad"), lang)
        with self._sessions() as session:
            row = store.get_subscriber(session, request.chat_id)
            radius = row.radius_km if row is not None else 25
            found = store.events_near(session, latitude, longitude, radius, limit=LIST_LIMIT)
            views = alert_views(session, [n.event.id for n in found], self._gazetteer)
        if not views:
            return Reply.one(t(lang, "near.none", km=radius), lang, location_keyboard=True)
        by_id = {n.event.id: n.distance_km for n in found}
        heading = t(lang, "near.heading", km=radius)
        texts = render_event_list(
            views, lang, heading=heading, distances_km=[by_id[v.event_id] for v in views]
        )
        return Reply(tuple(texts), language=lang)

    def latest(self, request: Request, argument: str) -> Reply:
        """/latest [n]: the newest events anywhere."""
        lang = self.language(request)
        count = DEFAULT_LATEST
        if argument.strip():
            value = _to_int(argument.strip())
            if value is None or not 1 <= value <= MAX_LATEST:
                return Reply.one(t(lang, "latest.bad", high=MAX_LATEST), lang)
            count = value
        with self._sessions() as session:
            events = store.latest_events(session, count)
            views = alert_views(session, [e.id for e in events], self._gazetteer)
        if not views:
            return Reply.one(t(lang, "latest.none"), lang)
        return Reply(tuple(render_event_list(views, lang, heading=t(lang, "latest.heading"))), language=lang)

    # --- admins -----------------------------------------------------------------------------------

    def feeds(self, request: Request) -> Reply:
        """/feeds (admins): the health of every feed."""
        lang = self.language(request)
        if not request.is_bot_admin:
            return Reply.one(t(lang, "admin.only"), lang)
        with self._sessions() as session:
            rows = store.all_feeds(session)
        if not rows:
            return Reply.one(t(lang, "feeds.none"), lang)
        lines = [t(lang, "feeds.heading", count=len(rows))]
        for row in rows:
            state = "⛔" if row.disabled else ("⚠️" if row.consecutive_errors else "✅")
            last = _when(row.last_success_at, request.now, lang)
            name = f"<b>{html.escape(row.name)}</b> <code>{html.escape(row.id)}</code>"
            line = f"{state} {name} · {t(lang, 'feeds.last_ok', when=last)}"
            if row.consecutive_errors:
                error = html.escape((row.last_error or "")[:120])
                line += " · " + t(lang, "feeds.errors", count=row.consecutive_errors, error=error)
            lines.append(line)
        return Reply(tuple(_pack(lines)), language=lang)

    def enable_feed(self, request: Request, argument: str) -> Reply:
        """/enablefeed <id> (admins): poll a disabled feed again, its errors forgotten."""
        lang = self.language(request)
        if not request.is_bot_admin:
            return Reply.one(t(lang, "admin.only"), lang)
        feed_id = argument.strip()
        if not feed_id:
            return Reply.one(t(lang, "enablefeed.usage"), lang)
        with self._sessions.begin() as session:
            found = store.enable_feed(session, feed_id[:64])
        key = "enablefeed.done" if found else "enablefeed.unknown"
        return Reply.one(t(lang, key, feed=html.escape(feed_id[:64])), lang)

    def stats(self, request: Request) -> Reply:
        """/stats (admins): subscribers, events and the outbox."""
        lang = self.language(request)
        if not request.is_bot_admin:
            return Reply.one(t(lang, "admin.only"), lang)
        with self._sessions() as session:
            figures = store.bot_stats(session, now=request.now)
        lines = [t(lang, "stats.heading")]
        lines += [t(lang, f"stats.{name}", count=value) for name, value in figures.items()]
        return Reply.one("\n".join(lines), lang)

    # --- chat membership --------------------------------------------------------------------------

    def joined(self, request: Request) -> Reply:
        """The bot was added to a group or channel: register it and say how to subscribe."""
        self._register(request)
        with self._sessions.begin() as session:
            lang = self._subscriber(session, request).language
        return Reply.one(t(lang, "group.welcome"), lang)

    def left(self, request: Request) -> None:
        """The bot was removed from a chat (or blocked): stop sending there."""
        with self._sessions.begin() as session:
            store.deactivate_subscriber(session, request.chat_id, now=request.now)

    def migrated(self, old_chat_id: int, new_chat_id: int) -> bool:
        """The group became a supergroup with a new id: its subscriptions follow it."""
        with self._sessions.begin() as session:
            return store.migrate_chat(session, old_chat_id, new_chat_id)

    def unknown_command(self, request: Request, command: str) -> Reply:
        """A command the bot does not have."""
        lang = self.language(request)
        return Reply.one(t(lang, "unknown.command", command=html.escape(command[:32])), lang)

    # --- helpers ----------------------------------------------------------------------------------

    def _choice(self, place_id: str) -> PlaceChoice | None:
        """The gazetteer entry with this id as a choice (None: no such place, e.g. an old button)."""
        try:
            return place_choice(self._gazetteer.get(place_id))
        except KeyError:
            return None

    def _district_label(self, district: str, lang: str) -> str:
        """A district, stored by its English name, in `lang` (with its governorate)."""
        if self._districts is None:
            self._districts = {p.name_en: p for p in self._gazetteer.places() if p.kind == "district"}
        place = self._districts.get(district)
        if place is None:
            return district
        name = place.name_ar if lang == "ar" and place.name_ar else place.name_en
        governorate = governorate_label(lang, place.governorate)
        return name if name == governorate else f"{name} ({governorate})"

    @staticmethod
    def _choice_label(choice: PlaceChoice, lang: str) -> str:
        if choice.kind == "governorate":
            return governorate_label(lang, choice.governorate)
        name = choice.name_ar if lang == "ar" and choice.name_ar else choice.name_en
        governorate = governorate_label(lang, choice.governorate)
        return name if name == governorate else f"{name} ({governorate})"


class _FixedPlace(PlaceResolver):
    """A resolver that reads any place words as one place: the user picked it from buttons."""

    def __init__(self, choice: PlaceChoice) -> None:
        super().__init__()
        self._fixed = choice

    def resolve(self, query: str) -> Resolution:
        """The picked place, whatever the query."""
        return Resolution(query, self._fixed, (), fuzzy=False)


# --- small pure helpers -------------------------------------------------------------------------------


def _where_data(place_id: str, days: int) -> str:
    return f"where:{place_id}" if days == DEFAULT_DAYS else f"where:{place_id}:{days}"


def _rows(buttons: Sequence[Button], width: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def _category_label(category: Category, lang: str) -> str:
    return category.label_ar if lang == "ar" else category.label_en


def _plain(text: str) -> str:
    return html.unescape(text)


_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _to_int(text: str) -> int | None:
    value = text.translate(_ARABIC_DIGITS)
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else None


def _parse_hour(text: str) -> int | None:
    """An hour of the day: "18", "18:00", "6pm", "٦"."""
    value = text.translate(_ARABIC_DIGITS).replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})(?::00)?(am|pm)?", value)
    if match is None:
        return None
    hour = int(match.group(1))
    if match.group(2):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match.group(2) == "pm" else 0)
    return hour if 0 <= hour <= 23 else None


def _local_hour(utc_hour: int) -> str:
    return f"{(utc_hour + DAMASCUS_UTC_OFFSET) % 24:02d}:00"


def _when(moment: datetime | None, now: datetime, lang: str) -> str:
    if moment is None:
        return t(lang, "time.never")
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 60:
        return t(lang, "time.minutes_ago", count=minutes)
    if minutes < 48 * 60:
        return t(lang, "time.hours_ago", count=minutes // 60)
    return t(lang, "time.days_ago", count=minutes // (24 * 60))


def _pack(lines: Sequence[str], limit: int = 3500) -> list[str]:
    """Lines joined into messages of at most `limit` characters (each line is short)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > limit:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        messages.append(current)
    return messages
