"""The real python-telegram-bot Application (`bot.app.build_application`) against the fake Bot API.

The bot runs in a thread of its own, on its own event loop, as `run_polling` runs it (initialize,
post_init, polling, start ... then the reverse), so tests drive it synchronously through the fake
server as users would. One bot serves the module; each test uses its own chat and user ids, since
the throttle counts per user. The fake refuses bad HTML, so a reply that arrives is well formed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update

from bot import store
from bot.app import BotApp, build_application
from bot.config import Settings
from bot.db import SubscriberRow, make_engine, session_factory, upgrade
from bot.handlers import Throttle, _argument
from bot.i18n import t
from tests.bot.feed_server import HTML_CONTENT_TYPE, FeedServer, article_page, seed_article
from tests.bot.telegram_server import FakeTelegram, SentMessage

ADMIN = 4242
BOT_USERNAME = "syria_alerts_test_bot"
TIMEOUT = 15.0
GENERIC_ERRORS = ("Something went wrong", "حدث خطأ")


# --- running the bot ----------------------------------------------------------------------------------


class _Errors(logging.Handler):
    """Keeps the ERROR records the bot logs (a handler that raised, a send that failed)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class RunningBot:
    """The Application on an event loop in a thread, started as `Application.run_polling` does."""

    application: BotApp
    ready: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bot-under-test", daemon=True)
        self._thread.start()
        if not self.ready.wait(60):
            raise AssertionError("the bot did not start within 60 s")
        if self.failure is not None:
            raise AssertionError("the bot failed to start") from self.failure

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(60)
            assert not self._thread.is_alive(), "the bot did not stop within 60 s"
        if self.failure is not None:
            raise AssertionError("the bot failed") from self.failure

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test thread
            self.failure = exc
            self.ready.set()

    async def _main(self) -> None:
        app = self.application
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await app.initialize()
        try:
            if app.post_init is not None:
                await app.post_init(app)
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
            await app.start()
            self.ready.set()
            await self._stop.wait()
            await app.updater.stop()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        finally:
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)


@dataclass
class Harness:
    telegram: FakeTelegram
    sessions: sessionmaker[Session]
    errors: _Errors

    def ask(
        self, chat_id: int, text: str, *, count: int = 1, timeout: float = TIMEOUT, **kwargs: Any
    ) -> list[SentMessage]:
        """Send `text` as a user and return the bot's `count` new messages to the chat."""
        before = len(self.telegram.messages(chat_id))
        self.telegram.send_text(chat_id, text, **kwargs)
        return self.telegram.wait_for_messages(chat_id, before + count, timeout=timeout)[before:]

    def press(self, chat_id: int, message: SentMessage, data: str, **kwargs: Any) -> list[SentMessage]:
        """Press the button with `data` under `message`; the bot's new messages to the chat."""
        assert data in buttons(message), f"no button {data!r} under the message: {buttons(message)}"
        before = len(self.telegram.messages(chat_id))
        self.telegram.press_button(chat_id, data, message_id=message.message_id, **kwargs)
        return self.telegram.wait_for_messages(chat_id, before + 1, timeout=TIMEOUT)[before:]

    def subscriber(self, chat_id: int) -> SubscriberRow | None:
        with self.sessions() as session:
            row = store.get_subscriber(session, chat_id)
            if row is not None:
                session.expunge(row)
            return row

    def subscriptions(self, chat_id: int) -> list[tuple[str | None, str | None, int | None]]:
        with self.sessions() as session:
            return [
                (row.governorate, row.event_category, row.message_thread_id)
                for row in store.subscriptions_of(session, chat_id)
            ]


def is_active(bot: Harness, chat_id: int) -> bool:
    row = bot.subscriber(chat_id)
    return row is not None and row.active


def buttons(message: SentMessage) -> list[str]:
    markup = message.reply_markup or {}
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


def settled(telegram: FakeTelegram, chat_id: int, count: int, wait: float = 0.5) -> list[SentMessage]:
    """The chat's messages once `count` arrived and nothing more came for `wait` seconds."""
    telegram.wait_for_messages(chat_id, count, timeout=TIMEOUT)
    time.sleep(wait)
    return telegram.messages(chat_id)


def _settings(telegram: FakeTelegram, database: Path, *, allow_private_urls: bool) -> Settings:
    url = f"sqlite:///{database}"
    upgrade(url)
    return Settings(
        telegram_bot_token=telegram.token,
        telegram_api_base_url=telegram.base_url,
        database_url=url,
        admin_ids=(ADMIN,),
        default_language="ar",
        allow_private_urls=allow_private_urls,
        fetch_timeout_seconds=10,
    )


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """One bot on one fake Bot API for the module (private URLs allowed, for /summary on loopback)."""
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    database = tmp_path_factory.mktemp("bot") / "bot.sqlite3"
    engine: Engine | None = None
    with FakeTelegram(bot_username=BOT_USERNAME) as telegram:
        bot = RunningBot(build_application(_settings(telegram, database, allow_private_urls=True), feeds=[]))
        bot.start()
        engine = make_engine(f"sqlite:///{database}")
        try:
            yield Harness(telegram, session_factory(engine), errors)
        finally:
            engine.dispose()
            bot.stop()
            logging.getLogger().removeHandler(errors)


@pytest.fixture
def bot(harness: Harness) -> Iterator[Harness]:
    """The module's bot; the test fails if the bot logged an error or told a user something broke."""
    first = len(harness.errors.records)
    yield harness
    problems = [r.getMessage() for r in harness.errors.records[first:]]
    assert not problems, f"the bot logged errors: {problems}"


def _assert_no_generic_errors(messages: list[SentMessage]) -> None:
    for message in messages:
        assert not any(marker in message.text for marker in GENERIC_ERRORS), message.text


# --- commands -----------------------------------------------------------------------------------------

COMMANDS = [
    "/start",
    "/help",
    "/lang",
    "/subscribe",
    "/subscribe Idlib",
    "/subscribe دير الزور غارات",
    "/mysubs",
    "/unsubscribe",
    "/where Deir ez-Zor",
    "/where",
    "/latest",
    "/latest 3",
    "/radius",
    "/radius ٥٠",
    "/digest 20",
    "/digest off",
    "/mute",
    "/resume",
    "/summary",
]


@pytest.mark.parametrize(("lang", "chat_id"), [("en", 1001), ("ar", 1002)])
def test_every_command_gets_a_well_formed_answer_in_the_users_language(
    bot: Harness, lang: str, chat_id: int
) -> None:
    answers: dict[str, str] = {}
    for command in COMMANDS:
        [reply] = bot.ask(chat_id, command, language_code=lang)
        assert reply.parse_mode == "HTML"
        assert reply.plain_text.strip()
        answers[command] = reply.plain_text
    _assert_no_generic_errors(bot.telegram.messages(chat_id))
    assert answers["/help"].startswith("الأوامر" if lang == "ar" else "Commands")
    assert ("Subscribed" in answers["/subscribe Idlib"]) == (lang == "en")
    assert answers["/subscribe Idlib"].startswith("✅")
    start = bot.telegram.messages(chat_id)[0]
    assert start.reply_markup is not None
    assert start.reply_markup["keyboard"][0][0]["request_location"] is True
    row = bot.subscriber(chat_id)
    assert row is not None
    assert (row.language, row.radius_km, row.muted, row.digest_hour) == (lang, 50, False, None)
    assert bot.subscriptions(chat_id) == [("Idlib", None, None), ("Deir ez-Zor", "airstrikes", None)]


def test_lang_switches_the_language_by_command_and_by_button(bot: Harness) -> None:
    [prompt] = bot.ask(1003, "/lang", language_code="en")
    assert buttons(prompt) == ["lang:ar", "lang:en"]
    [done] = bot.press(1003, prompt, "lang:ar")
    assert any("\u0600" <= ch <= "\u06ff" for ch in done.plain_text)
    assert bot.telegram.calls("answerCallbackQuery")
    [help_text] = bot.ask(1003, "/help", language_code="en")
    assert "الأوامر" in help_text.plain_text
    [back] = bot.ask(1003, "/lang en", language_code="en")
    assert "English" in back.plain_text
    [bad] = bot.ask(1003, "/lang fr", language_code="en")
    assert "/lang ar" in bad.plain_text


def test_admin_commands_answer_admins_only(bot: Harness) -> None:
    [refused] = bot.ask(1004, "/stats", language_code="en")
    assert "admins" in refused.plain_text
    [refused_feeds] = bot.ask(1004, "/feeds", language_code="en")
    assert "admins" in refused_feeds.plain_text
    [stats] = bot.ask(ADMIN, "/stats", language_code="en")
    assert "Active chats" in stats.plain_text
    [feeds] = bot.ask(ADMIN, "/feeds", language_code="ar")
    assert "admins" not in feeds.plain_text
    [help_text] = bot.ask(ADMIN, "/help", language_code="en")
    assert "/feeds" in help_text.plain_text


def test_the_command_menu_is_published_in_both_languages(bot: Harness) -> None:
    english = bot.telegram.commands()
    arabic = bot.telegram.commands(language_code="ar")
    assert [c["command"] for c in english] == [c["command"] for c in arabic]
    assert {"subscribe", "where", "latest", "summary", "help"} <= {c["command"] for c in english}
    assert english != arabic


# --- buttons --------------------------------------------------------------------------------------


def test_subscribe_and_unsubscribe_with_buttons(bot: Harness) -> None:
    [menu] = bot.ask(1005, "/subscribe", language_code="ar")
    assert "sub:gov:9" in buttons(menu)
    [added] = bot.press(1005, menu, "sub:gov:9", language_code="ar")
    assert "دير الزور" in added.plain_text
    [kind] = bot.press(1005, menu, "sub:cat:airstrikes", language_code="ar")
    assert kind.plain_text.startswith("✅")
    assert bot.subscriptions(1005) == [("Deir ez-Zor", None, None), (None, "airstrikes", None)]
    [choices] = bot.ask(1005, "/unsubscribe", language_code="ar")
    data = buttons(choices)
    assert data[-1] == "unsub:all"
    [removed] = bot.press(1005, choices, data[0])
    assert "دير الزور" in removed.plain_text
    [gone] = bot.press(1005, choices, data[0])  # the same button again
    assert gone.plain_text != removed.plain_text
    [everything] = bot.press(1005, choices, "unsub:all")
    assert "1" in everything.plain_text
    assert bot.subscriptions(1005) == []


def test_an_ambiguous_place_offers_buttons(bot: Harness) -> None:
    [question] = bot.ask(1006, "/subscribe Suran", language_code="en")
    assert sorted(buttons(question)) == ["sub:place:gn:163913", "sub:place:gn:163915"]
    [added] = bot.press(1006, question, "sub:place:gn:163913")
    assert "Suran" in added.plain_text
    [where] = bot.ask(1006, "/where Suran 30", language_code="en")
    [events] = bot.press(1006, where, "where:gn:163915:30")
    assert "Suran" in events.plain_text


def test_stale_buttons_expire(bot: Harness) -> None:
    [menu] = bot.ask(1007, "/subscribe", language_code="en")
    bot.telegram.press_button(1007, "sub:gov:99", message_id=menu.message_id)
    bot.telegram.press_button(1007, "nonsense", message_id=menu.message_id)
    messages = settled(bot.telegram, 1007, 3)
    assert ["no longer" in m.plain_text for m in messages[1:]] == [True, True]


# --- plain messages, locations, unknown commands, long messages, the throttle ------------------------


def test_a_plain_place_name_and_chatter(bot: Harness) -> None:
    [events] = bot.ask(1008, "Idlib", language_code="en")
    assert "Idlib" in events.plain_text
    [hint] = bot.ask(1008, "hello, what can you do?", language_code="en")
    assert "/help" in hint.plain_text
    assert hint.reply_markup is not None
    assert hint.reply_markup["keyboard"][0][0]["request_location"] is True


@pytest.mark.parametrize(("lang", "chat_id", "km"), [("en", 1009, "km"), ("ar", 1010, "كم")])
def test_a_shared_location(bot: Harness, lang: str, chat_id: int, km: str) -> None:
    before = len(bot.telegram.messages(chat_id))
    bot.telegram.send_location(chat_id, 35.336, 40.141, language_code=lang)
    [reply] = bot.telegram.wait_for_messages(chat_id, before + 1, timeout=TIMEOUT)[before:]
    assert "25" in reply.plain_text
    assert km in reply.plain_text


def test_unknown_commands(bot: Harness) -> None:
    [reply] = bot.ask(1011, "/frobnicate now", language_code="en")
    assert "/frobnicate" in reply.plain_text
    assert "/help" in reply.plain_text
    [arabic] = bot.ask(1012, "/frobnicate", language_code="ar")
    assert "/frobnicate" in arabic.plain_text
    assert "/help" in arabic.plain_text


@pytest.mark.parametrize(
    ("chat_id", "text"),
    [(1013, "x" * 2000), (1014, "/where " + "Idlib " * 400), (1015, "/subscribe " + "ا" * 1990)],
)
def test_a_very_long_message_gets_a_short_answer(bot: Harness, chat_id: int, text: str) -> None:
    [reply] = bot.ask(chat_id, text, language_code="en")
    assert "1000" in reply.plain_text
    assert bot.subscriptions(chat_id) == []


def test_the_throttle_answers_once_when_a_user_is_too_fast(bot: Harness) -> None:
    for _ in range(22):
        bot.telegram.send_text(1020, "/help", language_code="en")
    messages = settled(bot.telegram, 1020, 21, wait=1.0)
    busy = [m for m in messages if "too fast" in m.plain_text]
    assert len(busy) == 1
    assert len(messages) == 21
    # Buttons count too; the answer to a press is a notice, not a message.
    [prompt] = bot.ask(1022, "/lang", language_code="en")
    for _ in range(20):
        bot.telegram.press_button(1022, "lang:en", message_id=prompt.message_id)
    presses = settled(bot.telegram, 1022, 20, wait=1.0)[1:]
    assert len(presses) == 19
    notices = [
        c.params.get("text") for c in bot.telegram.calls("answerCallbackQuery") if c.params.get("text")
    ]
    assert any("too fast" in str(text) for text in notices)
    # Another user is not slowed down.
    [reply] = bot.ask(1021, "/help", language_code="en")
    assert "/subscribe" in reply.plain_text


# --- groups, forum topics, channels ---------------------------------------------------------------


def test_a_group_welcome_admin_rules_and_removal(bot: Harness) -> None:
    group = -5001
    before = len(bot.telegram.messages(group))
    bot.telegram.add_bot_to_chat(group, chat_type="group", by_user_id=11, title="Deir news")
    [welcome] = bot.telegram.wait_for_messages(group, before + 1, timeout=TIMEOUT)[before:]
    assert "/subscribe" in welcome.plain_text
    row = bot.subscriber(group)
    assert row is not None
    assert (row.kind, row.active, row.language) == ("group", True, "ar")  # the adder's language unknown
    admins_only = t("ar", "chat.admins_only")
    [refused] = bot.ask(group, "/subscribe Idlib", chat_type="group", user_id=12, language_code="en")
    assert refused.plain_text == admins_only
    [refused_mute] = bot.ask(group, "/mute", chat_type="group", user_id=12, language_code="en")
    assert refused_mute.plain_text == admins_only
    assert bot.telegram.calls("getChatMember")
    [menu] = bot.ask(group, "/subscribe", chat_type="group", user_id=11, language_code="en")
    [button_refused] = bot.press(group, menu, "sub:gov:3", user_id=12, chat_type="group")
    assert button_refused.plain_text == admins_only
    assert bot.subscriptions(group) == []
    [added] = bot.ask(group, "/subscribe Idlib", chat_type="group", user_id=11, language_code="en")
    assert added.plain_text.startswith("✅")
    [anyone] = bot.ask(group, "/where Idlib", chat_type="group", user_id=12, language_code="en")
    assert anyone.plain_text != admins_only
    # Chatter and other bots' commands get no answer in a group; our own named command does.
    bot.telegram.send_text(group, "hello everyone", chat_type="group", user_id=12)
    bot.telegram.send_text(group, "/weather@other_bot", chat_type="group", user_id=12)
    bot.telegram.send_text(group, "/frobnicate", chat_type="group", user_id=12)
    [unknown] = bot.ask(group, f"/frobnicate@{BOT_USERNAME}", chat_type="group", user_id=12)
    assert "/frobnicate" in unknown.plain_text
    count = len(bot.telegram.messages(group))
    assert len(settled(bot.telegram, group, count)) == count
    bot.telegram.remove_bot_from_chat(group, chat_type="group")
    bot.telegram.wait_for(lambda: not is_active(bot, group), timeout=TIMEOUT)


def test_a_forum_topic_subscription_lives_in_its_topic(bot: Harness) -> None:
    forum = -1005002
    bot.telegram.add_bot_to_chat(forum, chat_type="supergroup", by_user_id=13)
    bot.telegram.wait_for_messages(forum, 1, timeout=TIMEOUT)
    topic: dict[str, Any] = {
        "chat_type": "supergroup",
        "user_id": 13,
        "message_thread_id": 77,
        "is_topic_message": True,
    }
    [added] = bot.ask(forum, "/subscribe Deir ez-Zor", language_code="en", **topic)
    assert added.message_thread_id == 77
    assert "77" in added.plain_text
    [menu] = bot.ask(forum, "/subscribe", language_code="en", **topic)
    assert menu.message_thread_id == 77
    [kind] = bot.press(forum, menu, "sub:cat:shelling", chat_type="supergroup", user_id=13)
    assert kind.message_thread_id == 77
    # A reply thread in the general chat is not a topic.
    [general] = bot.ask(
        forum, "/subscribe Idlib", language_code="en", chat_type="supergroup", user_id=13, message_thread_id=5
    )
    assert general.message_thread_id is None
    assert bot.subscriptions(forum) == [
        ("Deir ez-Zor", None, 77),
        (None, "shelling", 77),
        ("Idlib", None, None),
    ]


def channel_post(telegram: FakeTelegram, channel: int, text: str, message_id: int) -> None:
    """An admin posts `text` in the channel (channel posts have no user, only the channel)."""
    chat = {"id": channel, "type": "channel", "title": "Syria alerts channel"}
    command = text.split(maxsplit=1)[0]
    telegram.push_update(
        {
            "channel_post": {
                "message_id": message_id,
                "chat": chat,
                "sender_chat": chat,
                "date": int(time.time()),
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
            }
        }
    )


def test_a_channel_takes_commands_from_its_posts_and_buttons_from_its_admins(bot: Harness) -> None:
    channel = -1005003
    bot.telegram.add_bot_to_chat(channel, chat_type="channel", by_user_id=14, title="Syria alerts channel")
    [welcome] = bot.telegram.wait_for_messages(channel, 1, timeout=TIMEOUT)
    assert "/subscribe" in welcome.plain_text
    channel_post(bot.telegram, channel, "/subscribe Idlib", 900)
    [added] = bot.telegram.wait_for_messages(channel, 2, timeout=TIMEOUT)[1:]
    assert added.plain_text.startswith("✅")
    assert bot.subscriptions(channel) == [("Idlib", None, None)]
    channel_post(bot.telegram, channel, "/unsubscribe", 901)
    [listing] = bot.telegram.wait_for_messages(channel, 3, timeout=TIMEOUT)[2:]
    # A reader of the channel sees the buttons too, and may not use them.
    [refused] = bot.press(channel, listing, "unsub:all", user_id=15, chat_type="channel")
    assert refused.plain_text == t("ar", "chat.admins_only")
    assert bot.subscriptions(channel) == [("Idlib", None, None)]
    [removed] = bot.press(channel, listing, "unsub:all", user_id=14, chat_type="channel")
    assert removed.plain_text != refused.plain_text
    assert bot.subscriptions(channel) == []


def test_a_user_who_blocks_the_bot_becomes_inactive(bot: Harness) -> None:
    bot.ask(1040, "/subscribe Idlib", language_code="en")
    assert is_active(bot, 1040)
    bot.telegram.remove_bot_from_chat(1040, chat_type="private")
    bot.telegram.wait_for(lambda: not is_active(bot, 1040), timeout=TIMEOUT)
    assert bot.subscriptions(1040) == [("Idlib", None, None)]  # kept, should the user come back


# --- /summary ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [("ar", 1030, "دير الزور"), ("en", 1031, "Deir ez-Zor")], ids=["ar", "en"])
def test_summary_of_an_article(
    bot: Harness, feed_server: FeedServer, shared_dir: Path, case: tuple[str, int, str]
) -> None:
    lang, chat_id, place = case
    article = seed_article(shared_dir)
    feed_server.add("/news/seed", article_page(article.title, article.text), content_type=HTML_CONTENT_TYPE)
    [summary] = bot.ask(chat_id, f"/summary {feed_server.url('/news/seed')}", language_code=lang, timeout=60)
    assert place in summary.plain_text
    if lang == "ar":  # districts too are named in Arabic
        [places] = [line for line in summary.plain_text.splitlines() if line.startswith("📍")]
        assert not any("a" <= ch.lower() <= "z" for ch in places), places
    assert ("قصف مدفعي" if lang == "ar" else "Shelling") in summary.plain_text  # the event tags
    assert ("القتلى" if lang == "ar" else "killed") in summary.plain_text
    assert "127.0.0.1" in summary.text  # the source link
    assert len(summary.plain_text) > 100
    assert bot.telegram.calls("sendChatAction")
    [usage] = bot.ask(chat_id, "/summary", language_code=lang)
    assert "/summary" in usage.plain_text
    [bad] = bot.ask(chat_id, "/summary ftp://example.org/x", language_code=lang)
    assert bad.plain_text == t(lang, "summary.not_a_link")


def test_summary_of_a_missing_page_says_it_failed(bot: Harness, feed_server: FeedServer) -> None:
    feed_server.add("/gone", "not here", status=404, content_type="text/plain")
    [reply] = bot.ask(1032, f"/summary {feed_server.url('/gone')}", language_code="en")
    assert "could not read" in reply.plain_text


# --- a bot with stricter settings, on a server without setMyCommands ----------------------------------


def test_private_urls_are_blocked_and_a_missing_command_menu_is_only_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeTelegram(bot_username=BOT_USERNAME) as telegram:
        telegram.unsupported("setMyCommands")
        running = RunningBot(
            build_application(
                _settings(telegram, tmp_path / "bot.sqlite3", allow_private_urls=False), feeds=[]
            )
        )
        with caplog.at_level(logging.WARNING):
            running.start()
            try:
                telegram.send_text(7001, "/start", language_code="en")
                [welcome] = telegram.wait_for_messages(7001, 1, timeout=TIMEOUT)
                assert "/subscribe" in welcome.plain_text
                telegram.send_text(7001, "/summary http://127.0.0.1:9/news/1", language_code="en")
                blocked = telegram.wait_for_messages(7001, 2, timeout=TIMEOUT)[1]
                assert "private or local" in blocked.plain_text
            finally:
                running.stop()
    assert telegram.commands() == []
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "setMyCommands" in r.getMessage()
    ]
    assert warnings
    assert telegram.token not in caplog.text


# --- the pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "argument"),
    [
        ("/where", ""),
        ("/where Idlib 3", "Idlib 3"),
        ("/where@syria_alerts_test_bot  Idlib ", "Idlib"),
        ("/where\nIdlib", "Idlib"),
        ("/subscribe\tkeyword: a  b", "keyword: a  b"),
    ],
)
def test_the_argument_of_a_command(text: str, argument: str) -> None:
    assert _argument(text) == argument


def test_the_throttle_counts_per_user_over_a_sliding_minute() -> None:
    throttle = Throttle(limit=3, window=60.0)
    assert [throttle.allow(1, now=t) for t in (0.0, 1.0, 2.0, 3.0)] == [True, True, True, False]
    assert throttle.should_warn(1, now=3.0)
    assert not throttle.should_warn(1, now=30.0)  # one warning a minute
    assert throttle.allow(2, now=3.0)  # another user
    assert throttle.allow(1, now=60.5)  # the first command left the window
    assert not throttle.allow(1, now=60.7)
    assert throttle.should_warn(1, now=63.5)  # a minute after the last warning
