"""Telegram handlers: adapters from python-telegram-bot Updates to `bot.chat.Conversation` and back.

Each handler builds a `Request` from the Update, calls one Conversation method in a worker thread
(they use the database synchronously) and sends the `Reply`. Commands are accepted in private
chats, groups, forum topics and channels (as channel posts). In a private chat users get a short
answer to anything they send, never silence; in groups the bot keeps quiet about chatter and about
commands it lacks unless they name it (`/cmd@bot`: other bots' commands are not ours). A user over
the throttle hears so once a minute. Errors are logged once, with the traceback, by `on_error`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final

from telegram import (
    BotCommand,
    Chat,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.chat import Conversation, Reply, Request
from bot.i18n import t
from bot.ondemand import SummaryService

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS: Final = 1000  # longer commands or messages are refused, not parsed
COMMANDS_PER_MINUTE: Final = 20  # per user: enough for any person, not for a script
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
_MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST


@dataclass(slots=True)
class Throttle:
    """At most `limit` commands per user in any 60 s (in memory; per process)."""

    limit: int = COMMANDS_PER_MINUTE
    window: float = 60.0
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _warned: dict[int, float] = field(default_factory=dict)

    def allow(self, user_id: int, now: float | None = None) -> bool:
        """Count one command of the user; False when over the limit."""
        moment = time.monotonic() if now is None else now
        times = self._seen.setdefault(user_id, deque())
        while times and moment - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(moment)
        if len(self._seen) > 10_000:  # forget idle users
            for key in [k for k, v in self._seen.items() if not v or moment - v[-1] >= self.window]:
                del self._seen[key]
                self._warned.pop(key, None)
        return True

    def should_warn(self, user_id: int, now: float | None = None) -> bool:
        """Whether to tell a throttled user so: once per window, so that a flood gets one answer."""
        moment = time.monotonic() if now is None else now
        last = self._warned.get(user_id)
        if last is not None and moment - last < self.window:
            return False
        self._warned[user_id] = moment
        return True


@dataclass(frozen=True, slots=True)
class Deps:
    """What the handlers use, kept in `application.bot_data["deps"]`."""

    conversation: Conversation
    summaries: SummaryService
    admin_ids: frozenset[int]
    throttle: Throttle


def deps_of(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    """The handlers' dependencies."""
    deps = context.application.bot_data["deps"]
    assert isinstance(deps, Deps)
    return deps


# --- building requests and sending replies ------------------------------------------------------------


def request_of(update: Update, deps: Deps, *, chat_admin: bool = True) -> Request | None:
    """The Request of an update (None when it has no chat)."""
    chat = update.effective_chat
    if chat is None:
        return None
    user = update.effective_user
    message = update.effective_message
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return Request(
        chat_id=chat.id,
        chat_kind=chat.type,
        user_id=None if user is None else user.id,
        user_language=None if user is None else user.language_code,
        thread_id=thread,
        is_bot_admin=user is not None and user.id in deps.admin_ids,
        is_chat_admin=chat_admin,
        now=datetime.now(UTC),
    )


async def send_reply(context: ContextTypes.DEFAULT_TYPE, request: Request, reply: Reply) -> None:
    """Send every message of the reply; the keyboard goes with the last one."""
    for index, text in enumerate(reply.texts):
        last = index == len(reply.texts) - 1
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
        if last and reply.buttons:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons]
            )
        elif last and reply.location_keyboard and request.chat_kind == Chat.PRIVATE:
            button = KeyboardButton(t(reply.language, "location.button"), request_location=True)
            markup = ReplyKeyboardMarkup([[button]], resize_keyboard=True)
        await context.bot.send_message(
            request.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            message_thread_id=request.thread_id,
            reply_markup=markup,
        )


async def is_chat_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender may change the chat's alerts: always in private chats and for channel posts
    (only admins post); in groups, and for buttons under a channel's posts (any reader may press
    them), the chat's creator and administrators (and a group's anonymous admins)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    pressed = update.callback_query is not None  # then `message` is the bot's own message
    if chat is None or chat.type == Chat.PRIVATE or (chat.type == Chat.CHANNEL and not pressed):
        return True
    if (
        not pressed
        and message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    ):
        return True  # an anonymous admin
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("chat %s: cannot check whether user %s is an admin: %s", chat.id, user.id, exc)
        return False
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def command(
    method: Callable[[Conversation, Request, str], Reply | None],
    *,
    needs_admin: bool = False,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """A handler for a command whose argument is the rest of the message."""

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        received = _text_of(update, context)
        if received is None:
            return
        deps, request, text = received
        if not await _admit(context, deps, request, text):
            return
        if needs_admin and request.chat_kind != Chat.PRIVATE:
            request = _with_admin(request, await is_chat_admin(update, context))
        reply = await asyncio.to_thread(method, deps.conversation, request, _argument(text))
        if reply is not None:
            await send_reply(context, request, reply)

    return handle


async def _admit(
    context: ContextTypes.DEFAULT_TYPE, deps: Deps, request: Request, text: str, *, quiet: bool = False
) -> bool:
    """Bound the input: too long or too many commands from one user get a short answer instead
    (the "too fast" one once a minute; nothing at all when `quiet`)."""
    if len(text) > MAX_MESSAGE_CHARS:
        if not quiet:
            lang = await asyncio.to_thread(deps.conversation.language, request)
            reply = Reply.one(t(lang, "chat.too_long", limit=MAX_MESSAGE_CHARS), lang)
            await send_reply(context, request, reply)
        return False
    if request.user_id is not None and not deps.throttle.allow(request.user_id):
        if not quiet and deps.throttle.should_warn(request.user_id):
            lang = await asyncio.to_thread(deps.conversation.language, request)
            await send_reply(context, request, Reply.one(t(lang, "error.busy"), lang))
        return False
    return True


def _argument(text: str) -> str:
    """What follows the command ("/where@bot Idlib 3" → "Idlib 3"), after a space or a line break."""
    parts = text.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


def _with_admin(request: Request, admin: bool) -> Request:
    return replace(request, is_chat_admin=admin)


def _text_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Deps, Request, str] | None:
    """The dependencies, the request and the text of a text message (None for anything else)."""
    deps = deps_of(context)
    request = request_of(update, deps)
    message = update.effective_message
    if request is None or message is None or message.text is None:
        return None
    return deps, request, message.text


# --- handlers that are not plain commands -------------------------------------------------------------


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message: a place name gets its latest events."""
    received = _text_of(update, context)
    if received is None:
        return
    deps, request, text = received
    # Chatter in a group (the bot sees it when it is an admin or privacy mode is off): stay quiet.
    if not await _admit(context, deps, request, text, quiet=request.chat_kind != Chat.PRIVATE):
        return
    reply = await asyncio.to_thread(deps.conversation.plain_text, request, text.strip())
    if reply is not None:
        await send_reply(context, request, reply)


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A shared location: events within the chat's radius."""
    deps = deps_of(context)
    request = request_of(update, deps)
    message = update.effective_message
    if request is None or message is None or message.location is None:
        return
    if request.user_id is not None and not deps.throttle.allow(request.user_id):
        return
    location = message.location
    reply = await asyncio.to_thread(deps.conversation.nearby, request, location.latitude, location.longitude)
    await send_reply(context, request, reply)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    received = _text_of(update, context)
    if received is None:
        return
    deps, request, text = received
    command_word, _, addressee = text.split()[0].partition("@")
    if request.chat_kind != Chat.PRIVATE and addressee.lower() != (context.bot.username or "").lower():
        return  # in a group, a command we lack is most likely another bot's
    if not await _admit(context, deps, request, text):
        return
    name = command_word
    reply = await asyncio.to_thread(deps.conversation.unknown_command, request, name)
    await send_reply(context, request, reply)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on an inline button: `sub:…`, `unsub:…`, `where:…`, `lang:…`."""
    deps = deps_of(context)
    query = update.callback_query
    request = request_of(update, deps)
    if query is None or request is None:
        return
    if request.user_id is not None and not deps.throttle.allow(request.user_id):
        lang = await asyncio.to_thread(deps.conversation.language, request)
        await query.answer(t(lang, "error.busy"))  # a notice on the user's screen, not a message
        return
    await query.answer()
    data = query.data or ""
    kind = data.partition(":")[0]
    if kind in ("sub", "unsub", "lang") and request.chat_kind != Chat.PRIVATE:
        request = _with_admin(request, await is_chat_admin(update, context))
    conversation = deps.conversation
    handlers: dict[str, Callable[[Request, str], Reply]] = {
        "sub": conversation.subscribe_button,
        "unsub": conversation.unsubscribe_button,
        "where": conversation.where_button,
        "lang": lambda r, d: conversation.set_language(r, d.partition(":")[2]),
    }
    handler = handlers.get(kind)
    if handler is None:
        lang = await asyncio.to_thread(conversation.language, request)
        reply = Reply.one(t(lang, "button.expired"), lang)
    else:
        reply = await asyncio.to_thread(handler, request, data)
    await send_reply(context, request, reply)


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was added to a chat, removed from it, or blocked by a user."""
    deps = deps_of(context)
    change = update.my_chat_member
    request = request_of(update, deps)
    if change is None or request is None:
        return
    status = change.new_chat_member.status
    if status in (ChatMember.LEFT, ChatMember.BANNED):
        await asyncio.to_thread(deps.conversation.left, request)
        log.info("chat %s: the bot was removed or blocked", request.chat_id)
        return
    was_in = change.old_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED)
    if was_in or request.chat_kind == Chat.PRIVATE:
        return
    reply = await asyncio.to_thread(deps.conversation.joined, request)
    log.info("chat %s: the bot was added (%s)", request.chat_id, request.chat_kind)
    if request.chat_kind != Chat.CHANNEL or status == ChatMember.ADMINISTRATOR:
        try:
            await send_reply(context, request, reply)
        except TelegramError as exc:  # e.g. a channel where the bot may not post
            log.warning("chat %s: cannot greet: %s", request.chat_id, exc)


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group was upgraded to a supergroup: move its subscriptions to the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    moved = await asyncio.to_thread(
        deps_of(context).conversation.migrated, message.chat_id, message.migrate_to_chat_id
    )
    log.info(
        "chat %s became %s (subscriptions moved: %s)", message.chat_id, message.migrate_to_chat_id, moved
    )


async def on_summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/summary <url>: fetch, summarise and tag one article."""
    received = _text_of(update, context)
    if received is None:
        return
    deps, request, text = received
    if not await _admit(context, deps, request, text):
        return
    lang = await asyncio.to_thread(deps.conversation.language, request)
    url = _argument(text)
    if not url:
        await send_reply(context, request, Reply.one(t(lang, "summary.usage"), lang))
        return
    await context.bot.send_chat_action(request.chat_id, "typing", message_thread_id=request.thread_id)
    reply = await deps.summaries.summarize_url(url, lang)
    await send_reply(context, request, reply)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an error with its traceback, once, and tell the user something went wrong."""
    chat_id = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    log.error("error handling an update (chat %s)", chat_id, exc_info=context.error)
    if chat_id is None or not isinstance(update, Update):
        return
    try:
        deps = deps_of(context)
        request = request_of(update, deps)
        if request is None:
            return
        lang = await asyncio.to_thread(deps.conversation.language, request)
        await send_reply(context, request, Reply.one(t(lang, "error.generic"), lang))
    except Exception:  # the error handler must not raise
        log.exception("chat %s: could not report an error to the user", chat_id)


# --- registration -----------------------------------------------------------------------------------

COMMANDS: Final[dict[str, tuple[Callable[[Conversation, Request, str], Reply | None], bool]]] = {
    "start": (lambda c, r, a: c.start(r), False),
    "help": (lambda c, r, a: c.help(r), False),
    "lang": (Conversation.set_language, True),
    "subscribe": (Conversation.subscribe, True),
    "unsubscribe": (Conversation.unsubscribe, True),
    "mysubs": (lambda c, r, a: c.my_subscriptions(r), False),
    "where": (Conversation.where, False),
    "latest": (Conversation.latest, False),
    "radius": (Conversation.radius, True),
    "digest": (Conversation.digest, True),
    "mute": (lambda c, r, a: c.mute(r, True), True),
    "resume": (lambda c, r, a: c.mute(r, False), True),
    "feeds": (lambda c, r, a: c.feeds(r), False),
    "stats": (lambda c, r, a: c.stats(r), False),
    "enablefeed": (Conversation.enable_feed, False),
}
MENU: Final = (
    "subscribe",
    "where",
    "latest",
    "mysubs",
    "unsubscribe",
    "summary",
    "digest",
    "radius",
    "lang",
    "help",
)


def register(application: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    """Add every handler to the application."""
    application.bot_data["deps"] = deps
    for name, (method, needs_admin) in COMMANDS.items():
        application.add_handler(
            CommandHandler(name, command(method, needs_admin=needs_admin), filters=_MESSAGES)
        )
    application.add_handler(CommandHandler("summary", on_summary, filters=_MESSAGES))
    application.add_handler(MessageHandler(_MESSAGES & filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(_MESSAGES & filters.LOCATION, on_location))
    application.add_handler(MessageHandler(_MESSAGES & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)


async def set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Publish the command menu in both languages; a server that lacks the method gets a warning."""
    for lang in ("en", "ar"):
        commands = [BotCommand(name, t(lang, f"menu.{name}")) for name in MENU]
        try:
            await application.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)
        except TelegramError as exc:
            log.warning("setMyCommands (%s) failed, carrying on without a command menu: %s", lang, exc)
            return
