"""Failover: two `python -m bot run` processes against one PostgreSQL database.

The first to start takes the advisory lock and polls (feeds and Telegram's getUpdates); the other
only delivers. The leader is killed with SIGKILL (a crash: no clean-up); the other takes over within
`TAKEOVER_BOUND` seconds (the leader check runs every 5 s; the lock is freed as soon as PostgreSQL
sees the dead process's connection close), polls the next article, and every alert reaches the user
exactly once.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.app import LEADER_CHECK_SECONDS
from tests.bot.bot_process import BotProcess
from tests.bot.feed_server import FeedItem, FeedServer, article_page, rss_feed, seed_article, teaser_item
from tests.bot.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
USER = 2001
TAKEOVER_BOUND = LEADER_CHECK_SECONDS + 5.0
LEADS = "now polls the feeds"


def _feeds_file(tmp_path: Path, feed_server: FeedServer) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n"
        "  - id: radio-alkul-ar\n"
        "    name: راديو الكل\n"
        f"    url: {feed_server.url('/feed.xml')}\n"
        "    language: ar\n"
        f"    homepage: {feed_server.url('/')}\n"
        "    full_text: false\n",
        encoding="utf-8",
    )
    return path


def test_the_follower_takes_over_and_nothing_is_lost_or_sent_twice(
    tmp_path: Path, postgres_url: str, feed_server: FeedServer, telegram: FakeTelegram, shared_dir: Path
) -> None:
    feed_server.add("/feed.xml", rss_feed([]))
    settings = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "DATABASE_URL": postgres_url,
        "FEEDS_FILE": str(_feeds_file(tmp_path, feed_server)),
        "POLL_INTERVAL_SECONDS": "2",
    }
    with BotProcess(settings, cwd=tmp_path, name="first") as first:
        first.wait_for_log(LEADS, timeout=90)
        with BotProcess(settings, cwd=tmp_path, name="second") as second:
            second.wait_for_log("bot started", timeout=90)
            time.sleep(LEADER_CHECK_SECONDS + 1)  # the second has asked for the lead at least once
            assert LEADS not in second.output

            telegram.send_text(USER, "/subscribe دير الزور", language_code="ar")
            telegram.wait_for_messages(USER, 1, timeout=30)
            telegram.send_text(USER, "/subscribe ادلب", language_code="ar")
            telegram.wait_for_messages(USER, 2, timeout=30)

            seed = seed_article(shared_dir)
            seed_link = feed_server.url("/p/deir-ez-zor")
            feed_server.add("/p/deir-ez-zor", article_page(seed.title, seed.text))
            feed_server.add("/feed.xml", rss_feed([teaser_item(seed, seed_link, guid="seed")]))
            first_alert = telegram.wait_for_messages(USER, 3, timeout=60)[2]
            assert seed_link in first_alert.text

            first.kill()
            killed_at = time.monotonic()
            second.wait_for_log(LEADS, timeout=60)
            takeover = time.monotonic() - killed_at
            assert takeover <= TAKEOVER_BOUND, f"took {takeover:.1f} s"

            sample = (ROOT / "bot" / "examples" / "sample-article.ar.txt").read_text(encoding="utf-8")
            sample_link = feed_server.url("/p/idlib")
            feed_server.add("/p/idlib", article_page("قصف على البارة في جبل الزاوية", sample))
            items = [
                FeedItem(title="قصف على البارة في جبل الزاوية", link=sample_link, guid="idlib"),
                teaser_item(seed, seed_link, guid="seed"),
            ]
            feed_server.add("/feed.xml", rss_feed(items))
            second_alert = telegram.wait_for_messages(USER, 4, timeout=60)[3]
            assert sample_link in second_alert.text

            telegram.send_text(USER, "/mysubs", language_code="ar")  # the new leader answers commands
            telegram.wait_for_messages(USER, 5, timeout=30)
            time.sleep(5)  # more polls: nothing new, nothing again
            texts = [m.text for m in telegram.messages(USER)]
            assert len(texts) == 5
            assert sum(seed_link in text for text in texts) == 1
            assert sum(sample_link in text for text in texts) == 1
            assert second.terminate() == 0
            assert telegram.token not in first.output + second.output
