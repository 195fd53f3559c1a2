"""The fake Bot API against the real python-telegram-bot client, over HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, CommandHandler, ContextTypes

from tests.bot.telegram_server import EntityParseError, FakeTelegram, parse_html, utf16_len

CHAT = 4242
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta durations: without it, building a RetryAfter emits a
    PTBDeprecationWarning, which filterwarnings=error turns into the exception raised instead."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def bot_for(telegram: FakeTelegram) -> Bot:
    """A PTB Bot pointed at the fake."""
    return Bot(telegram.token, base_url=telegram.base_url)


def keyboard() -> InlineKeyboardMarkup:
    """One row with a callback button and a URL button."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Idlib", callback_data="sub:idlib"),
                InlineKeyboardButton("Map", url="https://x.y/"),
            ]
        ]
    )


# --- HTML, as Telegram parses it (pure) ------------------------------------------------------------


def test_parse_html_strips_tags_unescapes_and_makes_entities() -> None:
    plain, entities = parse_html(
        '  <b>Shelling</b> in <a href="https://e.x/?a=1&amp;b=2">Idlib</a> &lt;3 &#x27;x&#39;\n'
    )
    assert plain == "Shelling in Idlib <3 'x'"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 8},
        {"type": "text_link", "offset": 12, "length": 5, "url": "https://e.x/?a=1&b=2"},
    ]


def test_parse_html_counts_utf16_and_knows_every_supported_tag() -> None:
    text = (
        "😀<i>a</i><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>"
        '<span class="tg-spoiler">h</span><tg-spoiler>i</tg-spoiler><code>j</code>'
        '<pre><code class="language-python">k</code></pre><blockquote expandable>l</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><strong>m</strong>'
    )
    plain, entities = parse_html(text)
    assert plain == "😀abcdefghijkl👍m"
    assert utf16_len(plain) == 17
    assert entities[0] == {"type": "italic", "offset": 2, "length": 1}
    kinds = [e["type"] for e in entities]
    assert kinds == [
        "italic", "italic", "underline", "underline", "strikethrough", "strikethrough", "strikethrough",
        "spoiler", "spoiler", "code", "pre", "expandable_blockquote", "custom_emoji", "bold",
    ]  # fmt: skip
    assert entities[10]["language"] == "python"
    assert entities[12] == {
        "type": "custom_emoji",
        "offset": 14,
        "length": 2,
        "custom_emoji_id": "5368324170671202286",
    }


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<br>", 'Unsupported start tag "br"'),
        ("<p>x</p>", 'Unsupported start tag "p"'),
        ("a < b", 'Unsupported start tag ""'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<b", "Unclosed start tag"),
        ('<a href="x>y</a>', "Unclosed start tag"),
        ("Tom & Jerry", "Unescaped '&'"),
        ("&nbsp;", "Unescaped '&'"),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
    ],
)
def test_parse_html_rejects_what_telegram_rejects(html: str, error: str) -> None:
    with pytest.raises(EntityParseError, match=error.replace("(", r"\(")):
        parse_html(html)


def test_a_bare_ampersand_passes_when_not_strict() -> None:
    assert parse_html("Tom & Jerry &nbsp;", strict_ampersand=False) == ("Tom & Jerry &nbsp;", [])


# --- PTB's Bot against the fake --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_get_me(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:  # __aenter__ calls getMe
        me = await bot.get_me()
    assert me.id == telegram.bot_id == 123456
    assert me.username == "syria_alerts_test_bot"
    assert me.is_bot
    assert [c.method for c in telegram.calls()][:2] == ["getMe", "getMe"]
    assert all(c.status == 200 for c in telegram.calls())


@pytest.mark.asyncio
async def test_send_message_round_trip(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:
        first = await bot.send_message(CHAT, "<b>Shelling</b> in Idlib &amp; Hama", parse_mode=ParseMode.HTML)
        second = await bot.send_message(GROUP, "with buttons", reply_markup=keyboard(), message_thread_id=7)
    assert first.message_id == 1
    assert first.text == "Shelling in Idlib & Hama"
    assert first.text_html == "<b>Shelling</b> in Idlib &amp; Hama"
    assert first.chat.id == CHAT
    assert first.chat.type == "private"
    assert first.from_user is not None
    assert first.from_user.id == telegram.bot_id
    assert second.message_id == 1  # message ids are per chat
    assert second.reply_markup == keyboard()
    assert second.message_thread_id == 7
    assert second.chat.type == "supergroup"

    [sent] = telegram.messages(CHAT)
    assert (sent.text, sent.parse_mode, sent.plain_text) == (
        "<b>Shelling</b> in Idlib &amp; Hama",
        "HTML",
        "Shelling in Idlib & Hama",
    )
    [grouped] = telegram.messages(GROUP)
    assert grouped.message_thread_id == 7
    assert grouped.reply_markup == keyboard().to_dict()
    call = telegram.calls("sendMessage")[-1]
    assert call.params["chat_id"] == GROUP  # form values that are JSON arrive decoded
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sub:idlib"
    assert call.params["message_thread_id"] == 7


@pytest.mark.asyncio
async def test_text_that_looks_like_json_stays_text(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:
        message = await bot.send_message(CHAT, "123")
    assert message.text == "123"
    assert telegram.messages(CHAT)[0].text == "123"


@pytest.mark.asyncio
async def test_edit_message_text(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:
        sent = await bot.send_message(CHAT, "draft", reply_markup=keyboard())
        edited = await bot.edit_message_text(
            "<i>final</i>", chat_id=CHAT, message_id=sent.message_id, parse_mode=ParseMode.HTML
        )
        assert not isinstance(edited, bool)
        assert edited.text == "final"
        assert edited.reply_markup is None  # an edit without reply_markup removes the keyboard
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("<i>final</i>", chat_id=CHAT, message_id=1, parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("x", chat_id=CHAT, message_id=99)
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=1, reply_markup=keyboard())
        assert await bot.delete_message(CHAT, 1)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("again", chat_id=CHAT, message_id=1)
    [message] = telegram.messages(CHAT)
    assert message.text == "<i>final</i>"
    assert message.edits == ["draft"]
    assert message.reply_markup == keyboard().to_dict()
    assert message.deleted


@pytest.mark.asyncio
async def test_get_updates_long_polls_and_ptb_parses_the_updates(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=timedelta(seconds=0.3)) == ()  # fractions reach the fake
        assert time.monotonic() - started >= 0.25

        sent = await bot.send_message(CHAT, "pick", reply_markup=keyboard())
        threading.Timer(0.2, telegram.send_text, args=(CHAT, "/start@syria_alerts_test_bot now")).start()
        started = time.monotonic()
        [command] = await bot.get_updates(timeout=5)
        assert time.monotonic() - started < 2  # answered when the update arrived
        assert command.message is not None
        assert command.message.text == "/start@syria_alerts_test_bot now"
        assert command.message.message_id == 2  # after the bot's message in the same chat
        assert command.message.entities[0].type == "bot_command"
        assert command.message.entities[0].length == len("/start@syria_alerts_test_bot")
        assert command.effective_user is not None
        assert command.effective_user.id == CHAT
        assert command.effective_user.language_code == "en"

        telegram.send_location(CHAT, 35.93, 36.63)
        telegram.press_button(CHAT, "sub:idlib", message_id=sent.message_id)
        updates = await bot.get_updates(offset=command.update_id + 1, timeout=1)
        assert [u.update_id for u in updates] == [command.update_id + 1, command.update_id + 2]
        location, button = updates
        assert location.message is not None
        assert location.message.location is not None
        assert location.message.location.latitude == pytest.approx(35.93)
        assert button.callback_query is not None
        assert button.callback_query.data == "sub:idlib"
        assert button.callback_query.message is not None
        assert button.callback_query.message.message_id == sent.message_id
        assert await button.callback_query.answer("Subscribed")
        with pytest.raises(BadRequest, match="Query is too old"):
            await button.callback_query.answer()  # twice

        assert await bot.get_updates(offset=button.update_id + 1, timeout=0) == ()
    assert telegram.pending_updates() == []


@pytest.mark.asyncio
async def test_bot_added_to_a_group_and_removed(telegram: FakeTelegram) -> None:
    added = telegram.add_bot_to_chat(GROUP, chat_type="supergroup", by_user_id=77, title="Idlib news")
    removed = telegram.remove_bot_from_chat(GROUP, chat_type="supergroup")
    async with bot_for(telegram) as bot:
        first, second = await bot.get_updates()
        assert first.update_id == added["update_id"]
        assert second.update_id == removed["update_id"]
        assert first.my_chat_member is not None
        assert first.my_chat_member.new_chat_member.status == "member"
        assert first.my_chat_member.chat.title == "Idlib news"
        assert second.my_chat_member is not None
        assert second.my_chat_member.new_chat_member.status == "left"
        with pytest.raises(Forbidden, match="kicked"):
            await bot.send_message(GROUP, "still there?")
        telegram.add_bot_to_chat(GROUP, chat_type="supergroup", by_user_id=77, title="Idlib news")
        [admin] = await bot.get_chat_administrators(GROUP)
        assert (admin.status, admin.user.id) == ("creator", 77)
        chat = await bot.get_chat(GROUP)
        assert chat.title == "Idlib news"
        member = await bot.get_chat_member(GROUP, telegram.bot_id)
        assert member.status == "member"
        assert (await bot.send_message(GROUP, "back")).message_id == 1


@pytest.mark.asyncio
async def test_channel_add_makes_the_bot_an_administrator(telegram: FakeTelegram) -> None:
    telegram.add_bot_to_chat(-1009, chat_type="channel", title="Alerts")
    async with bot_for(telegram) as bot:
        [update] = await bot.get_updates()
        assert update.my_chat_member is not None
        assert update.my_chat_member.new_chat_member.status == "administrator"
        message = await bot.send_message(-1009, "post")
        assert message.sender_chat is not None
        assert message.sender_chat.id == -1009


@pytest.mark.asyncio
async def test_scripted_failures(telegram: FakeTelegram) -> None:
    telegram.fail("sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7)
    telegram.fail("sendMessage", status=500, description="Internal Server Error", chat_id=2, times=2)
    telegram.block(3)
    telegram.forget_chat(4)
    async with bot_for(telegram) as bot:
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(1, "x")
        assert retry.value.retry_after == timedelta(seconds=7)
        await bot.send_message(1, "x")  # times=1: the next one goes through
        for _ in range(2):
            with pytest.raises(NetworkError) as server_error:
                await bot.send_message(2, "x")
            assert not isinstance(server_error.value, BadRequest)
        await bot.send_message(2, "x")
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(3, "x")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(4, "x")
        telegram.unblock(3)
        await bot.send_message(3, "x")
    assert [len(telegram.messages(chat)) for chat in (1, 2, 3, 4)] == [1, 1, 1, 0]
    assert [c.status for c in telegram.calls("sendMessage")] == [429, 200, 500, 500, 200, 403, 400, 200]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>unclosed", "Can't parse entities"),
        ("1 < 2", "Can't parse entities"),
        ("<br>", "Can't parse entities"),
        ("Q&A", "Can't parse entities"),
        ("<b> </b>", "Message text is empty"),
        ("x" * 4097, "Message is too long"),
        ("<b>" + "😀" * 2049 + "</b>", "Message is too long"),  # 4098 UTF-16 code units
    ],
)
async def test_bad_html_and_long_texts_are_rejected(telegram: FakeTelegram, text: str, error: str) -> None:
    async with bot_for(telegram) as bot:
        with pytest.raises(BadRequest, match=error):
            await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)
    assert telegram.messages() == []


@pytest.mark.asyncio
async def test_the_limit_counts_visible_text_only(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:
        await bot.send_message(CHAT, "<b>" + "&amp;" * 4096 + "</b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(CHAT, "&amp;" * 4096 + "!", parse_mode=ParseMode.HTML)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(CHAT, "x", reply_markup=markup)


@pytest.mark.asyncio
async def test_rate_limit_answers_429_and_counts_violations(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:
        telegram.rate_limit(per_second=3)
        for chat in (101, 102, 103):
            await bot.send_message(chat, "burst")
        with pytest.raises(RetryAfter):
            await bot.send_message(104, "fourth in the same second")

        telegram.rate_limit(per_chat_per_second=1, retry_after=2)
        await bot.send_message(1, "a")
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(1, "b")
        assert retry.value.retry_after == timedelta(seconds=2)
        await bot.send_message(2, "another chat has its own window")

        telegram.rate_limit(per_group_per_minute=3)
        for n in range(3):
            await bot.send_message(-11, f"group {n}")
        with pytest.raises(RetryAfter):
            await bot.send_message(-11, "fourth in the minute")
        await bot.send_message(3, "private chats have no minute limit")

        telegram.rate_limit()
        await bot.send_message(104, "no limit")
    assert telegram.violations == 3
    assert [m.text for m in telegram.messages(1)] == ["a"]
    assert len(telegram.messages(-11)) == 3
    assert [c.status for c in telegram.calls("sendMessage")].count(429) == 3


@pytest.mark.asyncio
async def test_unsupported_method_and_wrong_token(telegram: FakeTelegram) -> None:
    telegram.unsupported("setMyCommands")
    async with bot_for(telegram) as bot:
        with pytest.raises(InvalidToken, match="Not Found"):
            await bot.set_my_commands([("start", "Start")])
        assert await bot.set_my_description("Alerts about Syria")
    wrong = Bot("999:wrong", base_url=telegram.base_url)
    try:
        with pytest.raises(InvalidToken, match="rejected by the server"):  # PTB's words for a 401
            await wrong.initialize()
    finally:
        await wrong.shutdown()
    assert [c.status for c in telegram.calls()][-1] == 401


@pytest.mark.asyncio
async def test_bot_settings_methods(telegram: FakeTelegram) -> None:
    async with bot_for(telegram) as bot:
        assert await bot.set_my_commands([("start", "Start"), ("subscribe", "Follow a place")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "subscribe"]
        assert await bot.set_my_commands([("start", "ابدأ")], language_code="ar")
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([("Start-Now", "bad name")])
        assert await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
        assert await bot.set_chat_menu_button()
        assert await bot.set_my_short_description("Syria alerts")
        assert await bot.send_chat_action(CHAT, "typing")
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.set_webhook("https://example.invalid/hook")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook()
    assert telegram.commands(language_code="ar") == [{"command": "start", "description": "ابدأ"}]


# --- raw HTTP: the encodings the Bot API accepts ----------------------------------------------------


def test_json_urlencoded_multipart_and_query_string_bodies(telegram: FakeTelegram) -> None:
    url = f"{telegram.base_url}{telegram.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
    with httpx.Client() as client:
        as_json = client.post(url, json={"chat_id": 5, "text": "json", "reply_markup": markup}).json()
        as_form = client.post(url, data={"chat_id": "5", "text": "form", "reply_markup": json.dumps(markup)})
        as_multipart = client.post(
            url, data={"chat_id": "5", "text": "multipart"}, files={"photo": ("p.jpg", b"\xff\xd8")}
        )
        as_query = client.get(url, params={"chat_id": "5", "text": "query"})
        not_found = client.post(f"{telegram.base_url}{telegram.token}/noSuchMethod")
        unauthorized = client.post(f"{telegram.base_url}1:nope/getMe")
    assert as_json["ok"] is True
    assert as_json["result"]["reply_markup"] == markup
    assert as_form.json()["result"]["reply_markup"] == markup
    assert as_multipart.json()["result"]["text"] == "multipart"
    assert as_query.json()["result"]["message_id"] == 4
    assert telegram.calls("sendMessage")[2].params["photo"] == b"\xff\xd8"
    assert not_found.status_code == 404
    assert not_found.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert unauthorized.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


# --- waiting, and stopping ---------------------------------------------------------------------------


def test_wait_for_messages_reports_what_it_has(telegram: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match=r"expected at least 1 message\(s\) within 0.1s, got 0"):
        telegram.wait_for_messages(CHAT, timeout=0.1)
    with pytest.raises(AssertionError, match="condition not met"):
        telegram.wait_for(lambda: False, timeout=0.1)


def test_stop_does_not_wait_for_a_long_poll() -> None:
    server = FakeTelegram().start()
    url = f"{server.base_url}{server.token}/getUpdates"
    answers: list[Any] = []

    def poll() -> None:
        with httpx.Client() as client:
            answers.append(client.post(url, data={"timeout": "30"}, timeout=10).json())

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    server.wait_for(lambda: server.polls_waiting == 1, timeout=5)
    started = time.monotonic()
    server.stop()
    poller.join(timeout=5)
    assert time.monotonic() - started < 2
    assert answers == [{"ok": True, "result": []}]


# --- a whole Application, polling ---------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet in the user's language."""
    assert update.effective_message is not None
    assert update.effective_user is not None
    await update.effective_message.reply_html(f"<b>Welcome</b>, {update.effective_user.language_code}")


@pytest.mark.asyncio
async def test_an_application_polls_and_answers_a_command(telegram: FakeTelegram) -> None:
    app = Application.builder().token(telegram.token).base_url(telegram.base_url).build()
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        telegram.send_text(CHAT, "/start", language_code="ar")
        telegram.send_text(CHAT, "/start@other_bot")  # addressed to another bot: ignored
        telegram.send_text(CHAT, "/start@syria_alerts_test_bot")
        replies = await asyncio.to_thread(telegram.wait_for_messages, CHAT, 2, timeout=5)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert [r.plain_text for r in replies] == ["Welcome, ar", "Welcome, en"]
    assert replies[0].text == "<b>Welcome</b>, ar"
    assert len(telegram.messages(CHAT)) == 2
    assert telegram.pending_updates() == []  # the updater confirmed everything on stop
