"""End to end: `python -m bot run` as a subprocess against the fake Bot API and the loopback feeds.

A user subscribes to "دير الزور"; the feed publishes the seed article (a teaser: the page is
fetched); the user gets exactly one alert naming Deir ez-Zor with the article's summary; a location
shared near Deir ez-Zor brings the event back; SIGTERM stops the bot cleanly (exit status 0).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.bot_process import BotProcess
from tests.bot.feed_server import FeedServer, Route, article_page, rss_feed, seed_article, teaser_item
from tests.bot.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
USER = 1001
DEIR_EZ_ZOR = (35.336, 40.141)  # the city; the event's places include it


@pytest.fixture
def bot_process(
    tmp_path: Path, feed_server: FeedServer, telegram: FakeTelegram
) -> Iterator[subprocess.Popen[str]]:
    feed_server.add("/alkul.xml", rss_feed([]))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n"
        "  - id: radio-alkul-ar\n"
        "    name: راديو الكل\n"
        f"    url: {feed_server.url('/alkul.xml')}\n"
        "    language: ar\n"
        f"    homepage: {feed_server.url('/')}\n"
        "    full_text: false\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY") and not k.endswith("_proxy")}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        FEEDS_FILE=str(feeds),
        POLL_INTERVAL_SECONDS="2",
        ADMIN_IDS="",
        DEFAULT_LANGUAGE="ar",
        LOG_LEVEL="INFO",
        NO_PROXY="127.0.0.1,localhost",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def _wait_until_polling(telegram: FakeTelegram, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not telegram.polls_waiting:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the bot exited with {process.returncode}:\n{err[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail("the bot never started polling Telegram")
        time.sleep(0.1)


def test_subscribe_alert_location_and_sigterm(
    bot_process: subprocess.Popen[str], feed_server: FeedServer, telegram: FakeTelegram, shared_dir: Path
) -> None:
    _wait_until_polling(telegram, bot_process)

    telegram.send_text(USER, "/subscribe دير الزور", language_code="ar")
    [confirmation] = telegram.wait_for_messages(USER, 1, timeout=30)
    assert "دير الزور" in confirmation.text, confirmation.text
    assert confirmation.parse_mode == "HTML"

    seed = seed_article(shared_dir)
    feed_server.add("/p/deir-ez-zor", article_page(seed.title, seed.text, site_name="راديو الكل"))
    feed_server.add(
        "/alkul.xml", rss_feed([teaser_item(seed, feed_server.url("/p/deir-ez-zor"), guid="seed")])
    )
    alert = telegram.wait_for_messages(USER, 2, timeout=60)[1]
    assert "دير الزور" in alert.text, alert.text
    assert any(sentence[:40] in alert.text for sentence in seed.text.splitlines() if len(sentence) > 40)
    assert feed_server.url("/p/deir-ez-zor") in alert.text  # the source, as a link

    telegram.send_location(USER, *DEIR_EZ_ZOR, language_code="ar")
    nearby = telegram.wait_for_messages(USER, 3, timeout=30)[2]
    assert seed.title[:30] in nearby.text or "دير الزور" in nearby.text, nearby.text
    assert "كم" in nearby.text  # distances in the user's language

    time.sleep(3)  # a further poll or two: the feed is unchanged, nothing is sent again
    alerts = [m for m in telegram.messages(USER) if feed_server.url("/p/deir-ez-zor") in m.text]
    assert len([m for m in alerts if m is alert]) == 1
    assert len(telegram.messages(USER)) == 3

    bot_process.send_signal(signal.SIGTERM)
    out, err = bot_process.communicate(timeout=60)
    assert bot_process.returncode == 0, err[-3000:]
    assert telegram.token not in out + err
    assert "Traceback" not in err, err[-3000:]


def test_sigterm_during_a_stalled_poll_exits_promptly(
    tmp_path: Path, feed_server: FeedServer, telegram: FakeTelegram
) -> None:
    """A feed that trickles its body would hold a poll for a minute; a stop cancels the poll."""
    feed_server.add_route("/slow.xml", Route(body=rss_feed([]) * 50, trickle=1.0, chunk_size=16))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n"
        "  - id: slow\n"
        "    name: Slow\n"
        f"    url: {feed_server.url('/slow.xml')}\n"
        "    language: en\n"
        f"    homepage: {feed_server.url('/')}\n"
        "    full_text: true\n",
        encoding="utf-8",
    )
    settings = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "FEEDS_FILE": str(feeds),
        "POLL_INTERVAL_SECONDS": "2",
    }
    with BotProcess(settings, cwd=tmp_path) as bot:
        bot.wait_for_log("bot started", timeout=90)
        deadline = time.monotonic() + 30
        while feed_server.count("/slow.xml") == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert feed_server.count("/slow.xml") >= 1
        time.sleep(1)  # the poll is now stuck in the trickling body
        started = time.monotonic()
        assert bot.terminate(timeout=60) == 0, bot.output[-3000:]
        assert time.monotonic() - started < 20
        assert "poll cancelled" in bot.output
