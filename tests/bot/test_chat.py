"""`bot.chat.Conversation` over a real database (SQLite and PostgreSQL), in Arabic and English.

Every reply is checked the way Telegram would take it: each text is valid Telegram HTML of at most
4096 visible characters (the fake Bot API's parser), each button's callback data at most 64 bytes.
Events are stored with `bot.store` as the pipeline stores them, at real gazetteer places.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import store
from bot.chat import MAX_SUBSCRIPTIONS, Conversation, Reply, Request
from bot.db import SubscriberRow, SubscriptionRow
from bot.models import FeedConfig
from bot.resolve import PlaceResolver
from bot.store import EventFacts, EventPlace
from summarizer.gazetteer import Gazetteer
from tests.bot.telegram_server import MAX_CALLBACK_DATA_BYTES, MAX_MESSAGE_LENGTH, parse_html, utf16_len

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LANGS = ("ar", "en")
ADMIN = 900
FEED = FeedConfig(
    "enab-baladi-ar", "عنب بلدي", "https://www.enabbaladi.net/feed/", "ar", "https://x.test/", True
)
SHELLING = ("Explosions/Remote violence", "Shelling/artillery/missile attack")
AIRSTRIKE = ("Explosions/Remote violence", "Air/drone strike")

# Where this module's tests put events: gazetteer ids, so that the views find the Arabic names.
DEIR_EZ_ZOR_CITY = "gn:170794"
MAYADIN_CITY = "gn:173480"  # about 44 km down the Euphrates from Deir ez-Zor
CONOCO = "site:conoco"  # about 15 km east of Deir ez-Zor
IDLIB_CITY = "gn:169389"
SARAQIB = "gn:164816"
DAMASCUS_CITY = "gn:170654"


# --- fixtures and helpers ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


@pytest.fixture(scope="module")
def resolver(gazetteer: Gazetteer) -> PlaceResolver:
    return PlaceResolver(gazetteer)


@pytest.fixture
def conversation(
    sessions: sessionmaker[Session], gazetteer: Gazetteer, resolver: PlaceResolver
) -> Conversation:
    return Conversation(sessions, resolver=resolver, gazetteer=gazetteer, default_language="ar")


def request(
    chat_id: int,
    lang: str | None = "en",
    *,
    kind: str = "private",
    user_id: int | None = None,
    admin: bool = False,
    chat_admin: bool = True,
    thread_id: int | None = None,
    now: datetime = NOW,
) -> Request:
    return Request(
        chat_id=chat_id,
        chat_kind=kind,
        user_id=user_id if user_id is not None else (chat_id if kind == "private" else 1),
        user_language=lang,
        thread_id=thread_id,
        is_bot_admin=admin,
        is_chat_admin=chat_admin,
        now=now,
    )


def check(reply: Reply | None) -> Reply:
    """The reply, after checking that Telegram would accept every message and button of it."""
    assert reply is not None
    assert reply.texts
    for text in reply.texts:
        plain, _ = parse_html(text)  # raises on HTML Telegram refuses
        assert plain.strip()
        assert utf16_len(plain) <= MAX_MESSAGE_LENGTH
    for row in reply.buttons:
        for button in row:
            assert button.text.strip()
            assert 0 < len(button.data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    return reply


def text_of(reply: Reply | None) -> str:
    """The visible text of a checked reply (all messages)."""
    return "\n".join(parse_html(text)[0] for text in check(reply).texts)


def button_data(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


def subscriptions(sessions: sessionmaker[Session], chat_id: int) -> list[dict[str, Any]]:
    columns = ("place_id", "governorate", "district", "event_category", "keyword", "min_killed")
    with sessions() as session:
        rows = store.subscriptions_of(session, chat_id)
        return [
            {
                name: getattr(row, name)
                for name in (*columns, "message_thread_id")
                if getattr(row, name) is not None
            }
            for row in rows
        ]


def subscriber(sessions: sessionmaker[Session], chat_id: int) -> SubscriberRow:
    with sessions() as session:
        row = store.get_subscriber(session, chat_id)
        assert row is not None
        session.expunge(row)
        return row


def place(gazetteer: Gazetteer, place_id: str) -> EventPlace:
    found = gazetteer.get(place_id)
    return EventPlace(found.id, found.name_en, found.governorate, found.district, found.lat, found.lon, 1)


def add_event(
    sessions: sessionmaker[Session],
    gazetteer: Gazetteer,
    identity: str,
    *place_ids: str,
    seen: datetime = NOW - timedelta(hours=2),
    types: tuple[str, str] = SHELLING,
    killed: int | None = None,
    title: str | None = None,
    summary: str | None = None,
) -> int:
    """Store an article and the event it starts, as the pipeline does; the event's id. Lists show
    the first summary sentence: `title` is that sentence."""
    with sessions.begin() as session:
        store.sync_feeds(session, [FEED])
        article = store.add_article(
            session,
            feed_id=FEED.id,
            identity=identity,
            title=f"Title of {identity}",
            url=f"https://www.enabbaladi.net/archives/{identity}",
            language="en",
            fetched_at=seen,
            summary=[summary or f"{title or identity}."],
            syria_related=True,
            relevance=0.9,
        )
        facts = EventFacts(
            occurred_at=seen - timedelta(hours=1),
            event_types=(types[0],),
            sub_event_types=(types[1],),
            places=tuple(place(gazetteer, p) for p in place_ids),
            killed=killed,
        )
        event = store.create_event(session, facts, article_id=article.id, now=seen)
        store.assign_event(session, article.id, event.id)
        return event.id


@pytest.fixture
def events(sessions: sessionmaker[Session], gazetteer: Gazetteer) -> dict[str, int]:
    """Events at Deir ez-Zor (now and 5 days ago), Al-Mayadin, the Conoco field, Saraqib and Damascus."""
    return {
        "deir": add_event(
            sessions, gazetteer, "deir", DEIR_EZ_ZOR_CITY, killed=3, title="Shells on Deir ez-Zor"
        ),
        "deir_old": add_event(
            sessions,
            gazetteer,
            "deir-old",
            DEIR_EZ_ZOR_CITY,
            seen=NOW - timedelta(days=5),
            title="Old Deir news",
        ),
        "mayadin": add_event(
            sessions,
            gazetteer,
            "mayadin",
            MAYADIN_CITY,
            seen=NOW - timedelta(hours=3),
            title="Raid on Mayadin",
        ),
        "conoco": add_event(
            sessions,
            gazetteer,
            "conoco",
            CONOCO,
            seen=NOW - timedelta(hours=4),
            types=AIRSTRIKE,
            title="Drone strike near Conoco",
        ),
        "saraqib": add_event(
            sessions, gazetteer, "saraqib", SARAQIB, seen=NOW - timedelta(hours=5), title="Saraqib shelled"
        ),
        "damascus": add_event(
            sessions,
            gazetteer,
            "damascus",
            DAMASCUS_CITY,
            seen=NOW - timedelta(days=30),
            title="Damascus blast",
        ),
    }


# --- /start, /help, /lang ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_start_registers_the_chat_in_the_users_language(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    reply = check(conversation.start(request(10, lang)))
    assert reply.language == lang
    assert reply.location_keyboard
    assert "/subscribe" in reply.texts[0]
    assert ("تنبيهات" in reply.texts[0]) == (lang == "ar")
    row = subscriber(sessions, 10)
    assert (row.language, row.kind, row.active, row.muted, row.radius_km) == (
        lang,
        "private",
        True,
        False,
        25,
    )


def test_language_follows_telegram_then_the_default(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    assert conversation.language(request(11, "ar-SY")) == "ar"
    assert conversation.language(request(11, "en-GB")) == "en"
    assert conversation.language(request(11, "fr")) == "ar"  # the bot's default
    assert conversation.language(request(11, None)) == "ar"
    check(conversation.start(request(11, "en-US")))
    assert conversation.language(request(11, "ar")) == "en"  # the chat's language, once registered


def test_start_in_a_group_offers_no_location_keyboard(conversation: Conversation) -> None:
    reply = check(conversation.start(request(-12, "en", kind="group")))
    assert not reply.location_keyboard


@pytest.mark.parametrize("lang", LANGS)
def test_help_has_the_admin_section_only_for_admins(conversation: Conversation, lang: str) -> None:
    user = text_of(conversation.help(request(13, lang)))
    admin = text_of(conversation.help(request(13, lang, admin=True)))
    assert "/subscribe" in user
    assert "/where" in user
    assert "/feeds" not in user
    assert "/stats" not in user
    assert admin.startswith(user)
    assert "/feeds" in admin
    assert "/stats" in admin


@pytest.mark.parametrize("lang", LANGS)
def test_lang_without_argument_offers_both_languages(conversation: Conversation, lang: str) -> None:
    reply = check(conversation.set_language(request(14, lang), ""))
    assert button_data(reply) == ["lang:ar", "lang:en"]
    assert reply.language == lang


@pytest.mark.parametrize("value", ["fr", "klingon", "<b>", "x" * 300])
def test_lang_refuses_unknown_languages(conversation: Conversation, value: str) -> None:
    text = text_of(conversation.set_language(request(15, "en"), value))
    assert "/lang ar" in text
    assert value[:20] in text
    assert conversation.language(request(15, "en")) == "en"


@pytest.mark.parametrize(
    ("value", "expected"), [("ar", "ar"), ("العربية", "ar"), ("عربي", "ar"), ("EN", "en")]
)
def test_lang_switches_and_answers_in_the_new_language(
    conversation: Conversation, sessions: sessionmaker[Session], value: str, expected: str
) -> None:
    start = "ar" if expected == "en" else "en"
    check(conversation.start(request(16, start)))
    reply = check(conversation.set_language(request(16, start), value))
    assert reply.language == expected
    assert subscriber(sessions, 16).language == expected
    assert conversation.language(request(16, start)) == expected
    assert check(conversation.help(request(16, start))).language == expected


def test_lang_in_a_group_needs_a_chat_admin(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    check(conversation.joined(request(-17, "en", kind="supergroup")))
    text = text_of(conversation.set_language(request(-17, "en", kind="supergroup", chat_admin=False), "ar"))
    assert "admins" in text
    assert subscriber(sessions, -17).language == "en"
    check(conversation.set_language(request(-17, "en", kind="supergroup"), "ar"))
    assert subscriber(sessions, -17).language == "ar"


# --- /subscribe ----------------------------------------------------------------------------------------

SUBSCRIPTIONS = [
    ("Idleb", {"governorate": "Idlib"}),
    ("Idlib", {"governorate": "Idlib"}),
    ("ادلب", {"governorate": "Idlib"}),
    ("دير الزور", {"governorate": "Deir ez-Zor"}),
    ("ديرالزور", {"governorate": "Deir ez-Zor"}),
    ("Deir ez-Zor", {"governorate": "Deir ez-Zor"}),
    ("Deir ez-Zor airstrikes", {"governorate": "Deir ez-Zor", "event_category": "airstrikes"}),
    ("غارات دير الزور", {"governorate": "Deir ez-Zor", "event_category": "airstrikes"}),
    ("Hama airstrkes", {"governorate": "Hama", "event_category": "airstrikes"}),
    ("Al-Mayadin", {"district": "Al-Mayadin"}),
    ("الميادين", {"district": "Al-Mayadin"}),
    ("Saraqib", {"place_id": SARAQIB}),
    ("سراقب", {"place_id": SARAQIB}),
    ("Conoco gas field", {"place_id": CONOCO}),
    ("حقل كونيكو", {"place_id": CONOCO}),
    ("killed>=5", {"min_killed": 5}),
    ("قتلى 5", {"min_killed": 5}),
    ("٥ قتلى", {"min_killed": 5}),
    ("keyword: Conoco", {"keyword": "Conoco"}),
    ("«كونيكو»", {"keyword": "كونيكو"}),
    (
        "Homs shelling killed>=3 keyword: Palmyra road",
        {"governorate": "Homs", "event_category": "shelling", "min_killed": 3, "keyword": "Palmyra road"},
    ),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("argument", "columns"), SUBSCRIPTIONS, ids=[a for a, _ in SUBSCRIPTIONS])
def test_subscribe_understands_places_kinds_tolls_and_keywords(
    conversation: Conversation,
    sessions: sessionmaker[Session],
    argument: str,
    columns: dict[str, Any],
    lang: str,
) -> None:
    text = text_of(conversation.subscribe(request(20, lang), argument))
    assert text.startswith("✅")
    assert subscriptions(sessions, 20) == [columns]
    again = text_of(conversation.subscribe(request(20, lang), argument))
    assert not again.startswith("✅")
    assert again.split(":", 1)[1] == text.split(":", 1)[1]  # the same description
    assert len(subscriptions(sessions, 20)) == 1


@pytest.mark.parametrize(
    ("lang", "argument", "description"),
    [
        ("ar", "Deir ez-Zor airstrikes", "دير الزور · غارات جوية وضربات مسيرات"),
        ("en", "دير الزور غارات", "Deir ez-Zor · Air and drone strikes"),
        ("ar", "Al-Mayadin", "الميادين (دير الزور)"),
        ("en", "الميادين", "Al-Mayadin (Deir ez-Zor)"),
        ("ar", "Conoco gas field", "حقل كونيكو (دير الزور)"),
        ("en", "killed>=5", "killed ≥ 5"),
        ("ar", "killed>=5", "قتلى ≥ 5"),
        ("en", "keyword: Conoco", "“Conoco”"),
        ("ar", "«كونيكو»", "«كونيكو»"),
    ],
)
def test_subscriptions_are_described_in_the_chats_language(
    conversation: Conversation, lang: str, argument: str, description: str
) -> None:
    text = text_of(conversation.subscribe(request(21, lang), argument))
    assert text.endswith(description)
    assert description in text_of(conversation.my_subscriptions(request(21, lang)))


@pytest.mark.parametrize("lang", LANGS)
def test_subscribe_without_argument_offers_governorates_and_kinds(
    conversation: Conversation, lang: str
) -> None:
    reply = check(conversation.subscribe(request(22, lang), "   "))
    data = button_data(reply)
    assert data[:14] == [f"sub:gov:{i}" for i in range(14)]
    assert "sub:cat:airstrikes" in data
    assert "sub:cat:shelling" in data
    labels = [button.text for row in reply.buttons for button in row]
    assert ("دير الزور" if lang == "ar" else "Deir ez-Zor") in labels


@pytest.mark.parametrize("lang", LANGS)
def test_subscribe_to_an_unknown_place_says_so(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    reply = check(conversation.subscribe(request(23, lang), "Xyzzyplace"))
    assert "Xyzzyplace" in text_of(reply)
    assert not reply.buttons
    assert subscriptions(sessions, 23) == []


def test_subscribe_escapes_what_the_user_typed(conversation: Conversation) -> None:
    reply = check(conversation.subscribe(request(24, "en"), "Idleb <script>&"))
    assert "&lt;script&gt;&amp;" in reply.texts[0]
    assert "<script>" in text_of(reply)


@pytest.mark.parametrize("lang", LANGS)
def test_an_ambiguous_place_offers_buttons_that_subscribe(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    reply = check(conversation.subscribe(request(25, lang), "Suran"))
    assert "Suran" in text_of(reply)
    data = button_data(reply)
    assert sorted(data) == ["sub:place:gn:163913", "sub:place:gn:163915"]  # Suran in Aleppo and in Hama
    labels = [button.text for row in reply.buttons for button in row]
    assert any(("حلب" if lang == "ar" else "Aleppo") in label for label in labels)
    assert subscriptions(sessions, 25) == []
    assert text_of(conversation.subscribe_button(request(25, lang), "sub:place:gn:163913")).startswith("✅")
    assert subscriptions(sessions, 25) == [{"place_id": "gn:163913"}]


def test_a_place_picked_from_buttons_keeps_the_other_filters(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    reply = check(
        conversation.subscribe(request(26, "en"), "Suran airstrikes killed>=2 keyword: bakery queue")
    )
    data = button_data(reply)
    assert len(data) == 2
    assert all(d.startswith("sub:pick:") for d in data)
    check(conversation.subscribe_button(request(26, "en"), data[1]))
    [row] = subscriptions(sessions, 26)
    assert row["place_id"] in ("gn:163913", "gn:163915")
    assert {k: v for k, v in row.items() if k != "place_id"} == {
        "event_category": "airstrikes",
        "min_killed": 2,
        "keyword": "bakery queue",
    }


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "argument",
    [
        "x" * 201,
        "Idlib " * 100,
        "killed>=5 killed>=7",
        "«bread» «fuel»",
        "keyword: " + "x" * 70,
        "airstrikes shelling",
        "Idlib airstrikes shelling",
        "killed>=999999",
        "killed>=-3",
        "keyword:",
        "في",
    ],
)
def test_subscribe_refuses_what_it_cannot_read_with_a_message(
    conversation: Conversation, sessions: sessionmaker[Session], argument: str, lang: str
) -> None:
    reply = check(conversation.subscribe(request(27, lang), argument))
    assert not text_of(reply).startswith("✅")
    assert reply.language == lang
    assert subscriptions(sessions, 27) == []


@pytest.mark.parametrize(("lang", "label"), [("en", "Shelling and missiles"), ("ar", "قصف مدفعي وصاروخي")])
def test_two_kinds_of_event_are_named_not_coded(conversation: Conversation, lang: str, label: str) -> None:
    text = text_of(conversation.subscribe(request(28, lang), "airstrikes shelling"))
    assert label in text
    assert "shelling" not in text.replace(label, "")


def test_fifty_subscriptions_at_most(conversation: Conversation, sessions: sessionmaker[Session]) -> None:
    for n in range(MAX_SUBSCRIPTIONS):
        assert text_of(conversation.subscribe(request(29, "en"), f"killed>={n}")).startswith("✅")
    text = text_of(conversation.subscribe(request(29, "en"), "Idlib"))
    assert "50" in text
    assert len(subscriptions(sessions, 29)) == MAX_SUBSCRIPTIONS
    # One already there is not a new one: it is named, not refused.
    assert "already" in text_of(conversation.subscribe(request(29, "en"), "killed>=7"))
    assert "50" in text_of(conversation.subscribe_button(request(29, "en"), "sub:gov:9"))
    assert "/unsubscribe" in text_of(conversation.subscribe(request(29, "ar"), "ادلب"))


# --- subscribe buttons -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_subscribe_buttons(conversation: Conversation, sessions: sessionmaker[Session], lang: str) -> None:
    gov = text_of(conversation.subscribe_button(request(30, lang), "sub:gov:9"))
    assert gov.endswith("دير الزور" if lang == "ar" else "Deir ez-Zor")
    check(conversation.subscribe_button(request(30, lang), "sub:cat:airstrikes"))
    check(conversation.subscribe_button(request(30, lang), f"sub:place:{CONOCO}"))
    assert subscriptions(sessions, 30) == [
        {"governorate": "Deir ez-Zor"},
        {"event_category": "airstrikes"},
        {"place_id": CONOCO},
    ]


@pytest.mark.parametrize(
    "data",
    [
        "sub:gov:14",
        "sub:gov:99",
        "sub:gov:-1",
        "sub:gov:x",
        "sub:gov:",
        "sub:cat:nope",
        "sub:place:gn:0",
        "sub:place:",
        "sub:pick:999999",
        "sub:pick:x",
        "sub:what:1",
        "sub",
    ],
)
def test_stale_or_unknown_subscribe_buttons_expire(
    conversation: Conversation, sessions: sessionmaker[Session], data: str
) -> None:
    for lang in LANGS:
        text = text_of(conversation.subscribe_button(request(31, lang), data))
        assert ("no longer" in text) == (lang == "en")
    assert subscriptions(sessions, 31) == []


# --- /unsubscribe, /mysubs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_unsubscribe_offers_one_button_per_subscription(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    assert "/subscribe" in text_of(conversation.unsubscribe(request(40, lang), ""))
    for argument in ("Idlib", "Deir ez-Zor airstrikes", "keyword: Conoco"):
        check(conversation.subscribe(request(40, lang), argument))
    with sessions() as session:
        ids = [row.id for row in store.subscriptions_of(session, 40)]
    reply = check(conversation.unsubscribe(request(40, lang), ""))
    assert button_data(reply) == [*(f"unsub:{i}" for i in ids), "unsub:all"]
    done = text_of(conversation.unsubscribe_button(request(40, lang), f"unsub:{ids[1]}"))
    assert ("غارات" if lang == "ar" else "Air and drone strikes") in done
    assert [row.get("governorate") for row in subscriptions(sessions, 40)] == ["Idlib", None]
    gone = text_of(conversation.unsubscribe_button(request(40, lang), f"unsub:{ids[1]}"))
    assert gone != done
    assert len(subscriptions(sessions, 40)) == 2


def test_unsubscribe_buttons_of_another_chat_or_garbage_do_nothing(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    check(conversation.subscribe(request(41, "en"), "Idlib"))
    with sessions() as session:
        [theirs] = [row.id for row in store.subscriptions_of(session, 41)]
    assert "already gone" in text_of(conversation.unsubscribe_button(request(42, "en"), f"unsub:{theirs}"))
    assert "no longer" in text_of(conversation.unsubscribe_button(request(42, "en"), "unsub:abc"))
    assert "no longer" in text_of(conversation.unsubscribe_button(request(42, "en"), "unsub:"))
    assert subscriptions(sessions, 41) == [{"governorate": "Idlib"}]


@pytest.mark.parametrize(("lang", "word"), [("en", "all"), ("en", "ALL"), ("ar", "الكل"), ("ar", "كل")])
def test_unsubscribe_all(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str, word: str
) -> None:
    for argument in ("Idlib", "killed>=5"):
        check(conversation.subscribe(request(43, lang), argument))
    check(conversation.subscribe(request(44, lang), "Idlib"))
    assert "2" in text_of(conversation.unsubscribe(request(43, lang), word))
    assert subscriptions(sessions, 43) == []
    assert subscriptions(sessions, 44) == [{"governorate": "Idlib"}]  # another chat's are kept
    check(conversation.subscribe(request(43, lang), "Idlib"))
    check(conversation.unsubscribe_button(request(43, lang), "unsub:all"))
    assert subscriptions(sessions, 43) == []


@pytest.mark.parametrize("lang", LANGS)
def test_mysubs_lists_subscriptions_and_settings(conversation: Conversation, lang: str) -> None:
    assert "/subscribe" in text_of(conversation.my_subscriptions(request(45, lang)))
    for argument in ("Idlib", "killed>=5"):
        check(conversation.subscribe(request(45, lang), argument))
    check(conversation.mute(request(45, lang), True))
    check(conversation.digest(request(45, lang), "20"))
    check(conversation.radius(request(45, lang), "40"))
    text = text_of(conversation.my_subscriptions(request(45, lang)))
    assert text.count("•") == 2
    assert ("إدلب" if lang == "ar" else "Idlib") in text
    assert "40" in text
    assert "20:00" in text
    assert "/resume" in text


# --- /mute, /resume, /radius, /digest ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_mute_and_resume(conversation: Conversation, sessions: sessionmaker[Session], lang: str) -> None:
    check(conversation.mute(request(50, lang), True))
    assert subscriber(sessions, 50).muted
    check(conversation.mute(request(50, lang), False))
    assert not subscriber(sessions, 50).muted


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("argument", "km"), [("50", 50), ("٥٠", 50), ("۵۰", 50), ("75km", 75), ("1", 1), ("200", 200)]
)
def test_radius_sets_the_location_radius(
    conversation: Conversation, sessions: sessionmaker[Session], argument: str, km: int, lang: str
) -> None:
    assert "25" in text_of(conversation.radius(request(51, lang), ""))
    assert str(km) in text_of(conversation.radius(request(51, lang), argument))
    assert subscriber(sessions, 51).radius_km == km
    assert str(km) in text_of(conversation.radius(request(51, lang), ""))


@pytest.mark.parametrize("argument", ["0", "201", "-5", "1.5", "abc", "٥٠٠", "9" * 30, "<b>"])
def test_radius_refuses_bad_values(
    conversation: Conversation, sessions: sessionmaker[Session], argument: str
) -> None:
    for lang in LANGS:
        text = text_of(conversation.radius(request(52, lang), argument))
        assert "200" in text
    assert subscriber(sessions, 52).radius_km == 25


@pytest.mark.parametrize(
    ("argument", "utc_hour", "shown"),
    [
        ("20", 17, "20:00"),
        ("٢٠", 17, "20:00"),
        ("8pm", 17, "20:00"),
        ("20:00", 17, "20:00"),
        ("0", 21, "00:00"),
        ("2", 23, "02:00"),
        ("3", 0, "03:00"),
    ],
)
def test_digest_stores_the_utc_hour(
    conversation: Conversation, sessions: sessionmaker[Session], argument: str, utc_hour: int, shown: str
) -> None:
    for lang in LANGS:
        assert shown in text_of(conversation.digest(request(53, lang), argument))
        row = subscriber(sessions, 53)
        assert row.digest_hour == utc_hour
        assert row.last_digest_at == NOW
        assert shown in text_of(conversation.digest(request(53, lang), ""))


@pytest.mark.parametrize("lang", LANGS)
def test_digest_off_and_bad_values(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    check(conversation.digest(request(54, lang), "20"))
    for bad in ("24", "25", "-1", "abc", "13pm", "٢٥"):
        check(conversation.digest(request(54, lang), bad))
        assert subscriber(sessions, 54).digest_hour == 17
    off = "off" if lang == "en" else "إيقاف"
    check(conversation.digest(request(54, lang), off))
    assert subscriber(sessions, 54).digest_hour is None


# --- /where, plain place names, locations, /latest -------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_where_lists_the_latest_events_at_a_place(
    conversation: Conversation, events: dict[str, int], lang: str
) -> None:
    text = text_of(conversation.where(request(60, lang), "دير الزور"))
    # The governorate: the city, Al-Mayadin and Conoco, newest first; the old one is within 7 days too.
    assert text.index("Shells on Deir ez-Zor") < text.index("Raid on Mayadin") < text.index("Old Deir news")
    assert "Drone strike near Conoco" in text
    assert "Saraqib" not in text
    assert "Damascus blast" not in text
    three_days = text_of(conversation.where(request(60, lang), "Deir ez-Zor ٣"))
    assert "Old Deir news" not in three_days
    assert "Shells on Deir ez-Zor" in three_days
    district = text_of(conversation.where(request(60, lang), "Al-Mayadin"))
    assert "Raid on Mayadin" in district
    assert "Shells on Deir ez-Zor" not in district
    town = text_of(conversation.where(request(60, lang), "Saraqib"))
    assert "Saraqib shelled" in town


@pytest.mark.parametrize("lang", LANGS)
def test_where_with_no_events_unknown_places_and_bad_days(
    conversation: Conversation, events: dict[str, int], lang: str
) -> None:
    assert "/where" in text_of(conversation.where(request(61, lang), ""))
    none = text_of(conversation.where(request(61, lang), "Damascus"))  # its event is 30 days old
    assert "Damascus blast" not in none
    assert "Damascus blast" in text_of(conversation.where(request(61, lang), "Damascus 31"))
    for days in ("0", "366", "٠"):
        assert "365" in text_of(conversation.where(request(61, lang), f"Idlib {days}"))
    unknown = check(conversation.where(request(61, lang), "Qqqqzz"))
    assert "Qqqqzz" in text_of(unknown)
    assert not unknown.buttons
    assert "200" in text_of(conversation.where(request(61, lang), "Idlib " * 50))


def test_where_offers_buttons_for_ambiguous_places_and_keeps_the_days(
    conversation: Conversation, events: dict[str, int]
) -> None:
    reply = check(conversation.where(request(62, "en"), "Suran 30"))
    assert sorted(button_data(reply)) == ["where:gn:163913:30", "where:gn:163915:30"]
    assert sorted(button_data(check(conversation.where(request(62, "en"), "Suran")))) == [
        "where:gn:163913",
        "where:gn:163915",
    ]
    assert "Suran" in text_of(conversation.where_button(request(62, "en"), "where:gn:163913:30"))
    text = text_of(conversation.where_button(request(62, "ar"), f"where:{SARAQIB}"))
    assert "Saraqib shelled" in text
    for stale in ("where:gn:0", "where:", "where:gn:163913:0", "where:gn:163913:x"):
        assert "no longer" in text_of(conversation.where_button(request(62, "en"), stale))


@pytest.mark.parametrize("lang", LANGS)
def test_plain_text_place_names_get_events_and_chatter_a_hint(
    conversation: Conversation, events: dict[str, int], lang: str
) -> None:
    assert "Saraqib shelled" in text_of(conversation.plain_text(request(63, lang), "سراقب"))
    assert "Shells on Deir ez-Zor" in text_of(conversation.plain_text(request(63, lang), "Deir ez-Zor"))
    hint = check(conversation.plain_text(request(63, lang), "hello, any news today?"))
    assert hint.location_keyboard
    assert "/help" in hint.texts[0]
    assert check(conversation.plain_text(request(63, lang), "x" * 2000)).texts == hint.texts
    suran = check(conversation.plain_text(request(63, lang), "Suran"))  # two villages
    assert sorted(button_data(suran)) == ["where:gn:163913", "where:gn:163915"]
    group = request(-63, lang, kind="supergroup")
    assert conversation.plain_text(group, "hello, any news today?") is None
    assert "Saraqib shelled" in text_of(conversation.plain_text(group, "Saraqib"))


@pytest.mark.parametrize("lang", LANGS)
def test_a_shared_location_lists_events_within_the_radius_nearest_first(
    conversation: Conversation, events: dict[str, int], lang: str
) -> None:
    at_deir = (35.336, 40.141)
    text = text_of(conversation.nearby(request(64, lang), *at_deir))
    assert text.index("Shells on Deir ez-Zor") < text.index("Drone strike near Conoco")
    assert "Old Deir news" in text
    assert "Raid on Mayadin" not in text  # 44 km: beyond the default 25 km
    check(conversation.radius(request(64, lang), "50"))
    wider = text_of(conversation.nearby(request(64, lang), *at_deir))
    assert wider.index("Drone strike near Conoco") < wider.index("Raid on Mayadin")
    assert "Saraqib" not in wider
    far = check(conversation.nearby(request(64, lang), 32.0, 36.0))
    assert "50" in text_of(far)
    assert far.location_keyboard
    for bad in ((91.0, 40.0), (35.0, 181.0), (float("nan"), 40.0)):
        check(conversation.nearby(request(64, lang), *bad))


@pytest.mark.parametrize("lang", LANGS)
def test_latest(
    conversation: Conversation, sessions: sessionmaker[Session], gazetteer: Gazetteer, lang: str
) -> None:
    assert text_of(conversation.latest(request(65, lang), ""))
    add_event(sessions, gazetteer, "one", IDLIB_CITY, title="First event", seen=NOW - timedelta(hours=3))
    add_event(sessions, gazetteer, "two", SARAQIB, title="Second event", seen=NOW - timedelta(hours=2))
    add_event(
        sessions, gazetteer, "three", DEIR_EZ_ZOR_CITY, title="Third event", seen=NOW - timedelta(hours=1)
    )
    text = text_of(conversation.latest(request(65, lang), ""))
    assert text.index("Third event") < text.index("Second event") < text.index("First event")
    two = text_of(conversation.latest(request(65, lang), "٢"))
    assert "Second event" in two
    assert "First event" not in two
    for bad in ("0", "21", "abc", "-1", "2.5"):
        assert "20" in text_of(conversation.latest(request(65, lang), bad))


# --- admins ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_feeds_and_stats_are_for_bot_admins_only(
    conversation: Conversation, sessions: sessionmaker[Session], events: dict[str, int], lang: str
) -> None:
    refused_feeds = text_of(conversation.feeds(request(70, lang)))
    refused_stats = text_of(conversation.stats(request(70, lang)))
    assert refused_feeds == refused_stats
    assert FEED.name not in refused_feeds
    with sessions.begin() as session:
        store.record_fetch(
            session, FEED.id, ok=False, error="HTTP 503 <Service Unavailable>", now=NOW, disable_threshold=3
        )
    feeds = text_of(conversation.feeds(request(ADMIN, lang, admin=True)))
    assert FEED.name in feeds
    assert "HTTP 503 <Service Unavailable>" in feeds
    check(conversation.subscribe(request(70, lang), "Idlib"))
    stats = text_of(conversation.stats(request(ADMIN, lang, admin=True)))
    assert "6" in stats  # events
    assert "1" in stats  # subscriptions


@pytest.mark.parametrize("lang", LANGS)
def test_an_admin_re_enables_a_disabled_feed(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    with sessions.begin() as session:
        store.sync_feeds(session, [FEED])
        for _ in range(3):
            store.record_fetch(session, FEED.id, ok=False, error="HTTP 500", now=NOW, disable_threshold=3)
    assert FEED.id not in text_of(conversation.enable_feed(request(71, lang), FEED.id))  # not an admin
    assert "/enablefeed" in text_of(conversation.enable_feed(request(ADMIN, lang, admin=True), ""))
    assert "nope" in text_of(conversation.enable_feed(request(ADMIN, lang, admin=True), "nope"))
    with sessions() as session:
        row = store.feed_state(session, FEED.id)
        assert row is not None
        assert row.disabled
    done = text_of(conversation.enable_feed(request(ADMIN, lang, admin=True), FEED.id))
    assert FEED.id in done
    with sessions() as session:
        row = store.feed_state(session, FEED.id)
        assert row is not None
        assert not row.disabled
        assert row.consecutive_errors == 0


# --- groups, channels and forum topics ---------------------------------------------------------------------


def test_group_settings_need_a_chat_admin(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    check(conversation.joined(request(-80, "en", kind="group")))
    member = request(-80, "en", kind="group", user_id=2, chat_admin=False)
    for reply in (
        conversation.subscribe(member, "Idlib"),
        conversation.subscribe(member, ""),
        conversation.subscribe_button(member, "sub:gov:9"),
        conversation.unsubscribe(member, "all"),
        conversation.unsubscribe_button(member, "unsub:all"),
        conversation.unsubscribe_button(member, "unsub:1"),
        conversation.mute(member, True),
        conversation.digest(member, "20"),
        conversation.radius(member, "50"),
        conversation.set_language(member, "ar"),
    ):
        assert "admins" in text_of(reply)
    row = subscriber(sessions, -80)
    assert (row.muted, row.digest_hour, row.radius_km, row.language) == (False, None, 25, "en")
    assert subscriptions(sessions, -80) == []
    # Anyone may ask.
    for reply in (
        conversation.radius(member, ""),
        conversation.where(member, "Idlib"),
        conversation.latest(member, ""),
        conversation.my_subscriptions(member),
        conversation.help(member),
    ):
        assert "admins" not in text_of(reply)
    admin = request(-80, "en", kind="group", user_id=1)
    assert text_of(conversation.subscribe(admin, "Idlib")).startswith("✅")
    assert "admins" in text_of(conversation.unsubscribe(member, ""))
    assert subscriptions(sessions, -80) == [{"governorate": "Idlib"}]


@pytest.mark.parametrize("lang", LANGS)
def test_joining_and_leaving_a_group(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    reply = check(conversation.joined(request(-81, lang, kind="supergroup")))
    assert "/subscribe" in reply.texts[0]
    assert not reply.location_keyboard
    row = subscriber(sessions, -81)
    assert (row.kind, row.active, row.language) == ("supergroup", True, lang)
    conversation.left(request(-81, lang, kind="supergroup"))
    assert not subscriber(sessions, -81).active
    check(conversation.joined(request(-81, lang, kind="supergroup")))
    assert subscriber(sessions, -81).active


def test_a_channel_without_a_user_gets_the_default_language(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    channel = Request(chat_id=-1001, chat_kind="channel", user_id=None, user_language=None, now=NOW)
    assert check(conversation.joined(channel)).language == "ar"
    assert text_of(conversation.subscribe(channel, "Idlib")).startswith("✅")
    assert subscriber(sessions, -1001).kind == "channel"


@pytest.mark.parametrize("lang", LANGS)
def test_forum_topics_get_their_own_subscriptions(
    conversation: Conversation, sessions: sessionmaker[Session], lang: str
) -> None:
    topic = request(-1002, lang, kind="supergroup", thread_id=7)
    text = text_of(conversation.subscribe(topic, "Idlib"))
    assert text.startswith("✅")
    assert "7" in text
    check(conversation.subscribe(request(-1002, lang, kind="supergroup"), "Idlib"))
    check(conversation.subscribe(request(-1002, lang, kind="supergroup", thread_id=9), "Idlib"))
    check(conversation.subscribe_button(topic, "sub:cat:airstrikes"))
    assert subscriptions(sessions, -1002) == [
        {"governorate": "Idlib", "message_thread_id": 7},
        {"governorate": "Idlib"},
        {"governorate": "Idlib", "message_thread_id": 9},
        {"event_category": "airstrikes", "message_thread_id": 7},
    ]
    assert "already" in text_of(conversation.subscribe(topic, "Idleb")) or lang == "ar"
    assert len(subscriptions(sessions, -1002)) == 4
    listing = text_of(conversation.my_subscriptions(topic))
    assert listing.count("•") == 4


@pytest.mark.parametrize("lang", LANGS)
def test_unknown_commands_are_named_and_escaped(conversation: Conversation, lang: str) -> None:
    reply = check(conversation.unknown_command(request(90, lang), "/<b>foo&"))
    assert "/<b>foo&" in text_of(reply)
    assert "/help" in reply.texts[0]


def test_the_subscription_rows_belong_to_the_chat(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    check(conversation.subscribe(request(91, "en", now=NOW), "Idlib"))
    with sessions() as session:
        [row] = session.query(SubscriptionRow).all()
        assert (row.chat_id, row.created_at) == (91, NOW)


def test_concurrent_first_commands_of_a_new_chat_register_it_once(
    conversation: Conversation, sessions: sessionmaker[Session]
) -> None:
    # The handlers run updates concurrently, each in a worker thread.
    barrier = threading.Barrier(8)

    def first_command(n: int) -> Reply:
        barrier.wait(timeout=10)
        return conversation.subscribe(request(92, "en"), f"killed>={n}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(first_command, range(8)))
    assert all(text_of(reply).startswith("✅") for reply in replies)
    assert sorted(row["min_killed"] for row in subscriptions(sessions, 92)) == list(range(8))
    assert subscriber(sessions, 92).active
