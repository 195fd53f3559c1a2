"""A fake Telegram Bot API on 127.0.0.1 that python-telegram-bot talks to over real HTTP (tests, benches).

`FakeTelegram` runs a `ThreadingHTTPServer` on an ephemeral port in a daemon thread and answers
`POST /bot<token>/<method>` the way api.telegram.org does: `{"ok": true, "result": ...}` with real
Bot API shapes (Message, Update, User, ChatMember...), or `{"ok": false, "error_code", "description",
"parameters"}`. Parameters are read from the query string and from the body, whether JSON,
urlencoded or multipart; python-telegram-bot sends urlencoded forms whose non-string values are JSON
text (`chat_id=42`, `reply_markup={"inline_keyboard": ...}`), multipart when it uploads files.

Users act through `send_text`, `send_location`, `press_button`, `add_bot_to_chat`...: each queues an
Update that `getUpdates` (long polling, with `offset`, `limit`, `timeout`, `allowed_updates`)
delivers. What the bot did is kept as `calls()` (every request) and `messages()` (every message it
sent, edits included). Faults are scripted: `fail` (any status, with `retry_after`), `block` (403),
`forget_chat` (400 chat not found), `unsupported` (404), `rate_limit` (Telegram's flood limits over
sliding windows, answered 429) and `latency`. `sendMessage` and `editMessageText` check HTML the way
Telegram does (supported tags only, balanced, `<` and `&` escaped) and the 4096-character limit on the
visible text, so a renderer that emits bad HTML fails here rather than in production.

    with FakeTelegram() as telegram:
        app = Application.builder().token(telegram.token).base_url(telegram.base_url).build()
        ...  # start polling
        telegram.send_text(42, "/start")
        [reply] = telegram.wait_for_messages(42)
        assert "Welcome" in reply.text
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.bot.loopback import LoopbackServer

MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units of the visible text, as Telegram counts
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200

UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CANT_PARSE = "Bad Request: can't parse entities: "
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_EDIT = "Bad Request: message can't be edited"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup of the"
    " specified message are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the"
    " webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
KICKED = {
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}

METHODS = (
    "getMe", "getUpdates", "deleteWebhook", "setWebhook", "getWebhookInfo", "setMyCommands",
    "deleteMyCommands", "getMyCommands", "setChatMenuButton", "getChatMenuButton", "setMyDescription",
    "getMyDescription", "setMyShortDescription", "getMyShortDescription", "sendMessage",
    "editMessageText", "editMessageReplyMarkup", "deleteMessage", "answerCallbackQuery",
    "sendChatAction", "getChat", "getChatMember", "getChatAdministrators", "close", "logOut",
)  # fmt: skip
_CANONICAL = {name.lower(): name for name in METHODS}  # the Bot API matches method names case-insensitively
_FLOOD_LIMITED = frozenset({"sendMessage", "editMessageText"})
# Parameters whose value is a string even when it looks like JSON ("123", "true"): never decoded.
_STRING_PARAMS = frozenset({
    "text", "parse_mode", "callback_query_id", "url", "description", "short_description", "language_code",
    "action", "caption", "inline_message_id", "secret_token", "ip_address", "name", "title", "emoji",
    "business_connection_id", "message_effect_id", "custom_emoji_id", "query", "address", "question",
    "explanation", "phone_number", "vcard", "custom_title", "photo", "document", "audio", "video",
    "animation", "voice", "sticker", "thumbnail",
})  # fmt: skip
# What getUpdates delivers when allowed_updates is empty or was never set.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made, with its decoded parameters and the HTTP status it was answered."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    status: int


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent; live: a successful edit changes it (and keeps the old text in `edits`)."""

    chat_id: int
    message_id: int
    text: str  # as the bot sent it (HTML source when parse_mode is HTML)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message_thread_id: int | None
    sent_at: float  # time.monotonic()
    edits: list[str] = field(default_factory=list)  # earlier texts, oldest first
    plain_text: str = ""  # the visible text, tags stripped and entities decoded (what users read)
    entities: list[dict[str, Any]] = field(default_factory=list)  # Bot API MessageEntity dicts
    deleted: bool = False
    edited_at: float | None = None  # time.monotonic() of the last edit of text or markup


class EntityParseError(ValueError):
    """Telegram would answer "can't parse entities" for this HTML."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Flood limits over sliding windows; None means no limit of that kind."""

    per_second: float | None = None  # sends in any 1 s, all chats together
    per_chat_per_second: float | None = None  # sends to one chat in any 1 s
    per_group_per_minute: float | None = None  # sends to one group or channel (chat id < 0) in any 60 s
    retry_after: int = 1


@dataclass(slots=True)
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


class _ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


# --- HTML, as Telegram parses it ------------------------------------------------------------------

_TAG_ENTITY = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
    "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}  # fmt: skip
_CHAR_REF_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    """The length of `text` in UTF-16 code units (how Telegram measures texts and entity offsets)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the visible text
    attrs: dict[str, str]
    byte_offset: int
    language: str | None = None


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _char_ref(text: str, i: int, *, strict: bool) -> tuple[str, int]:
    """The character `&...;` at `i` stands for, and the index after it."""
    match = _CHAR_REF_RE.match(text, i)
    if match is not None:
        named, decimal, hexa = match.groups()
        if named:
            return _NAMED_REFS[named], match.end()
        code = int(decimal) if decimal else int(hexa, 16)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), match.end()
    if strict:
        raise EntityParseError(f"Unescaped '&' at byte offset {_byte_offset(text, i)} (escape it as &amp;)")
    return "&", i + 1


def _unescape(value: str, *, strict: bool) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            ch, i = _char_ref(value, i, strict=strict)
            out.append(ch)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _parse_attributes(text: str, i: int, begin: int, *, strict: bool) -> tuple[dict[str, str], int]:
    """The attributes of a start tag from `i` up to its `>`, and the index after the `>`."""
    attrs: dict[str, str] = {}
    n = len(text)
    unclosed = f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(unclosed)
        if text[i] == ">":
            return attrs, i + 1
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        if i >= n:
            raise EntityParseError(unclosed)
        name = text[name_start:i].lower()
        value = ""
        if text[i] == "=":
            i += 1
            if i >= n:
                raise EntityParseError(unclosed)
            if text[i] in "\"'":
                quote = text[i]
                end = text.find(quote, i + 1)
                if end < 0:
                    raise EntityParseError(unclosed)
                value, i = text[i + 1 : end], end + 1
            else:
                value_start = i
                while i < n and not text[i].isspace() and text[i] != ">":
                    i += 1
                value = text[value_start:i]
        attrs[name] = _unescape(value, strict=strict)


def _start_tag(text: str, i: int, *, strict: bool) -> tuple[_OpenTag, int]:
    begin = i
    i += 1
    while i < len(text) and not text[i].isspace() and text[i] != ">":
        i += 1
    offset = _byte_offset(text, begin)
    if i >= len(text):
        raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
    name = text[begin + 1 : i].lower()
    if name not in _TAG_ENTITY:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    attrs, i = _parse_attributes(text, i, begin, strict=strict)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "tg-emoji" and not attrs.get("emoji-id"):
        raise EntityParseError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}')
    return _OpenTag(name=name, start=0, attrs=attrs, byte_offset=offset), i


def _entity(tag: _OpenTag, end: int, parent: _OpenTag | None) -> dict[str, Any] | None:
    """The MessageEntity a closed tag makes (None for a <code> that only names a <pre>'s language)."""
    length = end - tag.start
    kind = _TAG_ENTITY[tag.name]
    if tag.name == "code" and parent is not None and parent.name == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-"):
            parent.language = language.removeprefix("language-")
        return None
    if length <= 0:
        return None
    entity: dict[str, Any] = {"type": kind, "offset": tag.start, "length": length}
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return None
        entity["url"] = href
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    return entity


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and MessageEntity dicts Telegram makes of `text` sent with parse_mode HTML.

    Raises `EntityParseError` where Telegram answers "can't parse entities": an unsupported or
    unclosed tag, a bare `<`, an end tag that does not match. With `strict_ampersand` (the default) a
    `&` that does not start `&lt;` `&gt;` `&amp;` `&quot;` or a numeric reference is an error too,
    which is stricter than Telegram (it keeps such an `&` as it is) because it means an unescaped
    string. Leading and trailing whitespace is trimmed, as Telegram does.
    """
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    position = 0  # UTF-16 offset of the next visible character
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, i = _char_ref(text, i, strict=strict_ampersand)
            out.append(decoded)
            position += utf16_len(decoded)
            continue
        if ch != "<":
            out.append(ch)
            position += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        if i + 1 < n and text[i + 1] == "/":
            offset = _byte_offset(text, i)
            close = text.find(">", i)
            if close < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
            name = text[i + 2 : close].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
            if name != stack[-1].name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1].name}>", '
                    f'found "</{name}>"'
                )
            tag = stack.pop()
            entity = _entity(tag, position, stack[-1] if stack else None)
            if entity is not None:
                entities.append(entity)
            i = close + 1
            continue
        tag, i = _start_tag(text, i, strict=strict_ampersand)
        tag.start = position
        stack.append(tag)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _trim("".join(out), entities)


def _trim(plain: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip the text as Telegram does, moving and clipping the entities with it."""
    stripped = plain.strip()
    if not stripped:
        return "", []
    shift = utf16_len(plain[: len(plain) - len(plain.lstrip())])
    limit = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, kept


# --- HTTP ------------------------------------------------------------------------------------------


def _decode_value(name: str, raw: str) -> Any:
    """A form field's value: JSON-decoded unless it is a string parameter or not JSON at all."""
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            params[name] = data  # an uploaded file
        else:
            params[name] = _decode_value(name, data.decode("utf-8", "replace"))
    return params


def parse_params(content_type: str, body: bytes, query: str = "") -> dict[str, Any]:
    """The request's parameters from its query string and its JSON, urlencoded or multipart body."""
    params = {name: _decode_value(name, value) for name, value in parse_qsl(query, keep_blank_values=True)}
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if kind == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise _ApiError(400, "Bad Request: the request body must be a JSON object")
        for name, value in data.items():
            params[name] = _decode_value(name, value) if isinstance(value, str) else value
    elif kind == "multipart/form-data":
        params.update(_multipart(content_type, body))
    else:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({name: _decode_value(name, value) for name, value in pairs})
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for keep-alive connections or a pending long poll
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, owner: FakeTelegram) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (a cancelled long poll, a timeout) closes the socket mid-answer.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_POST(self) -> None:
        """Answer a Bot API call."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._answer(body)

    def do_GET(self) -> None:
        """Answer a Bot API call made with GET (parameters in the query string)."""
        self._answer(b"")

    def _answer(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        status, payload = self.server.owner.handle(
            parts.path, parts.query, self.headers.get("Content-Type", ""), body
        )
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# --- the fake --------------------------------------------------------------------------------------


def _chat_type_of(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _update_kind(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None


class FakeTelegram(LoopbackServer["_Server"]):
    """A scriptable Bot API server on 127.0.0.1; `start()`/`stop()` or use it as a context manager."""

    name = "fake Telegram server"

    def __init__(
        self, token: str = "123456:TEST-token", *, bot_username: str = "syria_alerts_test_bot"
    ) -> None:
        if not re.fullmatch(r"\d+:[\w-]+", token):
            raise ValueError("a bot token looks like 123456:ABC-def")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.latency = 0.0  # seconds slept before answering each sendMessage / editMessageText
        self.strict_ampersand = True  # a bare '&' in HTML is an error (Telegram would keep it)
        self._cond = threading.Condition()
        self._generation = 0  # bumped on every change, for wait_for
        self._stopping = threading.Event()
        self._calls: list[Call] = []
        self._messages: list[SentMessage] = []
        self._by_id: dict[tuple[int, int], SentMessage] = {}
        self._last_message_id: dict[int, int] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._creators: dict[int, int] = {}
        self._bot_status: dict[int, str] = {}
        self._gone: dict[int, tuple[int, str]] = {}  # chat id -> (status, description) for every call
        self._blocked: dict[int, tuple[int, str]] = {}  # chat id -> (status, description) for sends
        self._users: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = count(1)
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._polls_waiting = 0
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._callback_ids = count(1)
        self._faults: list[_Fault] = []
        self._unsupported: set[str] = set()
        self._limit: RateLimit | None = None
        self._recent_sends: deque[float] = deque()  # last second, all chats
        self._chat_sends: dict[int, deque[float]] = {}  # last minute, per chat
        self._violations = 0
        self._webhook_url = ""
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda _: self.bot_user(full=True),
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": lambda p: self._commands.get(self._commands_key(p), []),
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": lambda p: self._menu_buttons.get(
                _as_int(p.get("chat_id")), {"type": "commands"}
            ),
            "setMyDescription": lambda p: self._set_description("description", p),
            "getMyDescription": lambda p: {"description": self._description("description", p)},
            "setMyShortDescription": lambda p: self._set_description("short_description", p),
            "getMyShortDescription": lambda p: {
                "short_description": self._description("short_description", p)
            },
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "close": lambda _: True,
            "logOut": lambda _: True,
        }

    # --- lifecycle

    def start(self) -> Self:
        """Listen on an ephemeral port of 127.0.0.1 and serve in a daemon thread."""
        if self._server is None:
            self._stopping.clear()
        return super().start()

    def _make_server(self) -> _Server:
        return _Server(self)

    def _before_stop(self, server: _Server) -> None:
        self._stopping.set()  # a getUpdates waiting for updates answers at once
        with self._cond:
            self._cond.notify_all()

    @property
    def base_url(self) -> str:
        """What to give python-telegram-bot as base_url: it appends `<token>/<method>`."""
        return f"http://127.0.0.1:{self.port}/bot"

    def bot_user(self, *, full: bool = False) -> dict[str, Any]:
        """The bot as a Bot API User (with getMe's extra fields when `full`)."""
        user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Syria alerts (test)",
            "username": self.bot_username,
        }
        if full:
            user |= {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        return user

    # --- users act

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        first_name: str = "Test",
    ) -> dict[str, Any]:
        """A user writes `text` in the chat (a command gets its bot_command entity); returns the Update."""
        with self._cond:
            message = self._user_message(chat_id, chat_type, user_id, language_code, first_name)
            message["text"] = text
            command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
            if command is not None:
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command[0])}]
            if message_thread_id is not None:
                message["message_thread_id"] = message_thread_id
                if is_topic_message:
                    message["is_topic_message"] = True
                    message["chat"]["is_forum"] = True
            return self._queue({"message": message})

    def send_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """A user shares a location in a private chat; returns the Update."""
        with self._cond:
            message = self._user_message(chat_id, "private", user_id, language_code, "Test")
            message["location"] = {"latitude": latitude, "longitude": longitude}
            return self._queue({"message": message})

    def press_button(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
    ) -> dict[str, Any]:
        """A user presses an inline button with callback `data` under a message the bot sent."""
        with self._cond:
            sent = self._by_id.get((chat_id, message_id))
            if sent is None or sent.deleted:
                raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
            chat = self._chat(chat_id, chat_type)
            user = self._user(self._default_user(chat_id, chat["type"], user_id), language_code, "Test")
            query_id = str(next(self._callback_ids))
            self._callback_queries[query_id] = False
            query = {
                "id": query_id,
                "from": user,
                "message": self._message_dict(sent),
                "chat_instance": str(abs(chat_id)),
                "data": data,
            }
            return self._queue({"callback_query": query})

    def add_bot_to_chat(
        self, chat_id: int, *, chat_type: str = "group", by_user_id: int = 1, title: str = "Test group"
    ) -> dict[str, Any]:
        """A user adds the bot to a chat (an administrator for channels): a my_chat_member Update."""
        with self._cond:
            chat = self._chat(chat_id, chat_type)
            if chat_type != "private":
                chat["title"] = title
            self._creators.setdefault(chat_id, by_user_id)
            self._gone.pop(chat_id, None)
            self._blocked.pop(chat_id, None)
            new_status = "administrator" if chat_type == "channel" else "member"
            self._bot_status[chat_id] = new_status
            return self._queue({"my_chat_member": self._member_update(chat, by_user_id, "left", new_status)})

    def remove_bot_from_chat(
        self, chat_id: int, *, chat_type: str = "group", by_user_id: int | None = None
    ) -> dict[str, Any]:
        """The bot is removed from a group or channel, or blocked in a private chat; later sends get 403."""
        with self._cond:
            chat = self._chat(chat_id, chat_type)
            old_status = self._bot_status.get(
                chat_id, "administrator" if chat_type == "channel" else "member"
            )
            new_status = "kicked" if chat_type == "private" else "left"
            self._bot_status[chat_id] = new_status
            self._blocked[chat_id] = (403, KICKED.get(chat_type, BLOCKED))
            by = by_user_id if by_user_id is not None else (chat_id if chat_type == "private" else 1)
            return self._queue({"my_chat_member": self._member_update(chat, by, old_status, new_status)})

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update dict (its update_id is assigned here); returns it."""
        with self._cond:
            return self._queue(update)

    # --- what the bot did

    def calls(self, method: str | None = None) -> list[Call]:
        """The requests answered so far (of `method` only, if given), in the order they were answered."""
        with self._cond:
            name = _CANONICAL.get(method.lower(), method) if method else None
            return [c for c in self._calls if name is None or c.method == name]

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """The messages the bot sent (to `chat_id` only, if given) in send order; deleted ones included."""
        with self._cond:
            return [m for m in self._messages if chat_id is None or m.chat_id == chat_id]

    def pending_updates(self) -> list[dict[str, Any]]:
        """The updates queued and not yet confirmed by a getUpdates offset."""
        with self._cond:
            return list(self._updates)

    def commands(
        self, *, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The commands set with setMyCommands for `scope` (default scope if None) and language."""
        with self._cond:
            return list(
                self._commands.get(self._commands_key({"scope": scope, "language_code": language_code}), [])
            )

    def wait_for_messages(self, chat_id: int, count: int = 1, *, timeout: float = 10.0) -> list[SentMessage]:
        """Block until the bot sent at least `count` messages to the chat; returns them all."""
        with self._cond:
            if self._cond.wait_for(lambda: len(self._chat_messages(chat_id)) >= count, timeout):
                return self._chat_messages(chat_id)
            texts = [m.text for m in self._chat_messages(chat_id)]
            recent = [(c.method, c.status) for c in self._calls[-10:]]
        raise AssertionError(
            f"chat {chat_id}: expected at least {count} message(s) within {timeout}s, got {len(texts)}: "
            f"{texts!r}; last calls: {recent!r}"
        )

    def wait_for(self, predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
        """Block until `predicate()` is true; it is checked on every change here and every 50 ms."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                generation = self._generation
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {timeout}s")
            with self._cond:
                if self._generation == generation:
                    self._cond.wait(min(remaining, 0.05))

    # --- faults

    def fail(
        self,
        method: str,
        *,
        status: int,
        description: str,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with this error."""
        name = _CANONICAL.get(method.lower(), method)
        with self._cond:
            self._faults.append(_Fault(name, status, description, retry_after, chat_id, times))

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends and edits to the chat get 403."""
        with self._cond:
            self._blocked[chat_id] = (403, BLOCKED)

    def forget_chat(self, chat_id: int) -> None:
        """Every call naming the chat gets 400 chat not found."""
        with self._cond:
            self._gone[chat_id] = (400, CHAT_NOT_FOUND)

    def unblock(self, chat_id: int) -> None:
        """Undo `block`, `forget_chat` and `remove_bot_from_chat` for the chat."""
        with self._cond:
            self._blocked.pop(chat_id, None)
            self._gone.pop(chat_id, None)

    def unsupported(self, method: str) -> None:
        """Answer `method` with 404 Not Found, as a server that does not know it."""
        with self._cond:
            self._unsupported.add(_CANONICAL.get(method.lower(), method))

    def rate_limit(
        self,
        *,
        per_second: float | None = None,
        per_chat_per_second: float | None = None,
        per_group_per_minute: float | None = None,
        retry_after: int = 1,
    ) -> None:
        """Answer 429 to sendMessage / editMessageText calls over these limits (sliding windows).

        Each call replaces the limits set before; with no limit at all it turns the limiting off. Only
        delivered sends fill the windows, and sends count even while no limit is set.
        """
        with self._cond:
            self._limit = RateLimit(per_second, per_chat_per_second, per_group_per_minute, retry_after)

    @property
    def polls_waiting(self) -> int:
        """How many getUpdates calls are waiting for an update right now (1 while a bot polls)."""
        with self._cond:
            return self._polls_waiting

    @property
    def violations(self) -> int:
        """How many calls `rate_limit` answered with 429."""
        with self._cond:
            return self._violations

    # --- serving (handler threads)

    def handle(self, path: str, query: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one HTTP request: the status and the JSON payload (called by the handler thread)."""
        arrived = time.monotonic()
        method, params = "", {}
        try:
            match = re.fullmatch(r"/bot([^/]*)/([^/]+)", path)
            if match is None:
                raise _ApiError(404, NOT_FOUND)
            method = _CANONICAL.get(match[2].lower(), match[2])
            params = parse_params(content_type, body, query)
            if match[1] != self.token:
                raise _ApiError(401, UNAUTHORIZED)
            if method in self._unsupported or method not in self._methods:
                raise _ApiError(404, NOT_FOUND)
            if method in _FLOOD_LIMITED and self.latency > 0:
                self._stopping.wait(self.latency)
            with self._cond:
                result = self._dispatch(method, params)
            status, payload = 200, {"ok": True, "result": result}
        except _ApiError as error:
            status, payload = error.status, error.payload()
        except ValueError as error:  # a body that is not what its Content-Type says
            status, payload = 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
        with self._cond:
            self._calls.append(Call(method=method, params=params, at=arrived, status=status))
            self._changed()
        return status, payload

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        chat_id = _as_int(params.get("chat_id"))
        for fault in self._faults:
            if fault.method == method and fault.times > 0 and fault.chat_id in (None, chat_id):
                fault.times -= 1
                self._faults = [f for f in self._faults if f.times > 0]
                raise _ApiError(fault.status, fault.description, fault.retry_after)
        if chat_id is not None:
            if chat_id in self._gone:
                raise _ApiError(*self._gone[chat_id])
            if chat_id in self._blocked and method.startswith(("send", "edit", "copy", "forward")):
                raise _ApiError(*self._blocked[chat_id])
        return self._methods[method](params)

    def _changed(self) -> None:
        self._generation += 1
        self._cond.notify_all()

    # --- updates

    def _queue(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._changed()
        return update

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook_url:
            raise _ApiError(409, WEBHOOK_ACTIVE)
        offset = _as_int(params.get("offset")) or 0
        limit = min(max(_as_int(params.get("limit")) or 100, 1), 100)
        timeout = params.get("timeout") or 0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        mine = self._poll_generation
        deadline = time.monotonic() + float(timeout)
        self._polls_waiting += 1
        self._changed()  # so that wait_for(lambda: telegram.polls_waiting > 0) wakes up
        try:
            while True:
                if self._poll_generation != mine:
                    raise _ApiError(409, POLL_CONFLICT)
                self._updates = [u for u in self._updates if self._allowed(u)]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._stopping.is_set():
                    return self._updates[:limit]
                self._cond.wait(remaining)
        finally:
            self._polls_waiting -= 1

    def _allowed(self, update: Mapping[str, Any]) -> bool:
        kind = _update_kind(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    def _get_webhook_info(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # --- chats and users

    def _chat(self, chat_id: int, chat_type: str | None = None) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            kind = chat_type or _chat_type_of(chat_id)
            chat = {"id": chat_id, "type": kind}
            if kind == "private":
                chat["first_name"] = "Test"
            else:
                chat["title"] = "Test group" if kind != "channel" else "Test channel"
            self._chats[chat_id] = chat
        return chat

    def _user(self, user_id: int, language_code: str | None, first_name: str) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return dict(user)

    def _known_user(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return self.bot_user()
        return dict(self._users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "Test"}))

    @staticmethod
    def _default_user(chat_id: int, chat_type: str, user_id: int | None) -> int:
        if user_id is not None:
            return user_id
        return chat_id if chat_type == "private" else 1

    def _next_message_id(self, chat_id: int) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _user_message(
        self, chat_id: int, chat_type: str, user_id: int | None, language_code: str | None, first_name: str
    ) -> dict[str, Any]:
        chat = self._chat(chat_id, chat_type)
        if chat["type"] == "private":
            chat["first_name"] = first_name
        user = self._user(self._default_user(chat_id, chat["type"], user_id), language_code, first_name)
        return {
            "message_id": self._next_message_id(chat_id),
            "from": user,
            "chat": dict(chat),
            "date": int(time.time()),
        }

    def _member_update(self, chat: dict[str, Any], by_user_id: int, old: str, new: str) -> dict[str, Any]:
        return {
            "chat": dict(chat),
            "from": self._known_user(by_user_id),
            "date": int(time.time()),
            "old_chat_member": self._member(self.bot_id, old),
            "new_chat_member": self._member(self.bot_id, new),
        }

    def _member(self, user_id: int, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"user": self._known_user(user_id), "status": status}
        if status == "administrator":
            rights = (
                "can_manage_chat", "can_delete_messages", "can_invite_users", "can_post_messages",
                "can_edit_messages",
            )  # fmt: skip
            denied = (
                "can_be_edited", "is_anonymous", "can_manage_video_chats", "can_restrict_members",
                "can_promote_members", "can_change_info", "can_post_stories", "can_edit_stories",
                "can_delete_stories",
            )  # fmt: skip
            member |= dict.fromkeys(rights, True) | dict.fromkeys(denied, False)
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _chat_id(self, params: Mapping[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        chat_id = _as_int(raw)
        if chat_id is None:
            raise _ApiError(400, CHAT_NOT_FOUND)
        return chat_id

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat_id(params)
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = dict(self._chat(self._chat_id(params)))
        gifts = (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        )
        chat |= {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(gifts, False),
        }
        return chat

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        user_id = _as_int(params.get("user_id"))
        if user_id is None:
            raise _ApiError(400, "Bad Request: user_id is empty")
        if user_id == self.bot_id:
            return self._member(user_id, self._bot_status.get(chat_id, "member"))
        if self._creators.get(chat_id) == user_id or (chat_id == user_id and chat_id > 0):
            return self._member(user_id, "creator" if chat_id < 0 else "member")
        return self._member(user_id, "member")

    def _get_chat_administrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat_id = self._chat_id(params)
        admins = [self._member(self._creators.get(chat_id, 1), "creator")]
        if self._bot_status.get(chat_id) == "administrator":
            admins.append(self._member(self.bot_id, "administrator"))
        return admins

    # --- bot settings

    @staticmethod
    def _commands_key(params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = [dict(c) for c in commands]
        return True

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        self._menu_buttons[_as_int(params.get("chat_id"))] = dict(button)
        return True

    def _set_description(self, kind: str, params: dict[str, Any]) -> bool:
        self._descriptions[kind, str(params.get("language_code") or "")] = str(params.get(kind) or "")
        return True

    def _description(self, kind: str, params: Mapping[str, Any]) -> str:
        return self._descriptions.get((kind, str(params.get("language_code") or "")), "")

    # --- messages

    def _chat_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self._messages if m.chat_id == chat_id]

    def _render(self, params: Mapping[str, Any]) -> tuple[str, str | None, str, list[dict[str, Any]]]:
        """The text, parse mode, visible text and entities of a message to send, or the 400 Telegram gives."""
        text = params.get("text")
        text = "" if text is None else str(text)
        parse_mode = params.get("parse_mode") or None
        if parse_mode is not None and str(parse_mode).lower() not in ("html", "markdown", "markdownv2"):
            raise _ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        if parse_mode is not None and str(parse_mode).lower() == "html":
            try:
                plain, entities = parse_html(text, strict_ampersand=self.strict_ampersand)
            except EntityParseError as error:
                raise _ApiError(400, CANT_PARSE + str(error)) from None
        else:  # Markdown is not parsed: its markup counts as text
            plain, entities = text.strip(), []
        if not plain:
            raise _ApiError(400, TEXT_EMPTY)
        if utf16_len(plain) > MAX_MESSAGE_LENGTH:
            raise _ApiError(400, TEXT_TOO_LONG)
        return text, None if parse_mode is None else str(parse_mode), plain, entities

    @staticmethod
    def _markup(params: Mapping[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _flood_check(self, chat_id: int) -> None:
        """Raise 429 if a send to the chat now breaks the limits; else count it."""
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] >= 1.0:
            self._recent_sends.popleft()
        chat = self._chat_sends.setdefault(chat_id, deque())
        while chat and now - chat[0] >= 60.0:
            chat.popleft()
        limit = self._limit
        if limit is not None:
            in_last_second = sum(1 for t in chat if now - t < 1.0)
            over = (
                (limit.per_second is not None and len(self._recent_sends) >= limit.per_second)
                or (limit.per_chat_per_second is not None and in_last_second >= limit.per_chat_per_second)
                or (
                    limit.per_group_per_minute is not None
                    and chat_id < 0
                    and len(chat) >= limit.per_group_per_minute
                )
            )
            if over:
                self._violations += 1
                raise _ApiError(429, f"Too Many Requests: retry after {limit.retry_after}", limit.retry_after)
        self._recent_sends.append(now)
        chat.append(now)

    def _message_dict(self, sent: SentMessage) -> dict[str, Any]:
        chat = self._chat(sent.chat_id)
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time() - (time.monotonic() - sent.sent_at)),
            "chat": dict(chat),
            "text": sent.plain_text,
        }
        if chat["type"] == "channel":
            message["sender_chat"] = dict(chat)
        else:
            message["from"] = self.bot_user()
        if sent.entities:
            message["entities"] = [dict(e) for e in sent.entities]
        if sent.reply_markup is not None and "inline_keyboard" in sent.reply_markup:
            message["reply_markup"] = sent.reply_markup  # Telegram echoes inline keyboards only
        if sent.message_thread_id is not None:
            message["message_thread_id"] = sent.message_thread_id
            message["is_topic_message"] = True
        if sent.edited_at is not None:
            message["edit_date"] = int(time.time())
        return message

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        text, parse_mode, plain, entities = self._render(params)
        markup = self._markup(params)
        self._flood_check(chat_id)
        sent = SentMessage(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup,
            message_thread_id=_as_int(params.get("message_thread_id")),
            sent_at=time.monotonic(),
            edits=[],
            plain_text=plain,
            entities=entities,
        )
        self._messages.append(sent)
        self._by_id[chat_id, sent.message_id] = sent
        return self._message_dict(sent)

    def _message_to_edit(self, params: Mapping[str, Any]) -> SentMessage:
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"))
        sent = self._by_id.get((chat_id, message_id or 0))
        if sent is None or sent.deleted:
            if sent is None and 0 < (message_id or 0) <= self._last_message_id.get(chat_id, 0):
                raise _ApiError(400, CANT_EDIT)  # a user's message
            raise _ApiError(400, EDIT_NOT_FOUND)
        return sent

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._message_to_edit(params)
        text, parse_mode, plain, entities = self._render(params)
        markup = self._markup(params)
        if (plain, entities, markup) == (sent.plain_text, sent.entities, sent.reply_markup):
            raise _ApiError(400, NOT_MODIFIED)
        self._flood_check(sent.chat_id)
        sent.edits.append(sent.text)
        sent.text, sent.parse_mode, sent.plain_text, sent.entities = text, parse_mode, plain, entities
        sent.reply_markup = markup
        sent.edited_at = time.monotonic()
        return self._message_dict(sent)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._message_to_edit(params)
        markup = self._markup(params)
        if markup == sent.reply_markup:
            raise _ApiError(400, NOT_MODIFIED)
        sent.reply_markup = markup
        sent.edited_at = time.monotonic()
        return self._message_dict(sent)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id")) or 0
        sent = self._by_id.get((chat_id, message_id))
        if sent is not None and not sent.deleted:
            sent.deleted = True
            return True
        if sent is None and 0 < message_id <= self._last_message_id.get(chat_id, 0):
            return True  # a user's message
        raise _ApiError(400, DELETE_NOT_FOUND)

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id, True):
            raise _ApiError(400, QUERY_INVALID)
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True
