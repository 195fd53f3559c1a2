"""The ingestion pipeline end to end: a real feed server on loopback, the real fetcher, parser,
extractor and analyser, and a real database (SQLite and PostgreSQL, migrated with Alembic)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot import store
from bot.db import ArticleRow, EventRow, OutboxRow, session_factory
from bot.fetch import Fetcher
from bot.models import FeedConfig
from bot.pipeline import Pipeline, PollReport
from tests.bot.feed_server import FeedItem, FeedServer, article_page, rss_feed

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

# Two outlets' reports of one strike (invented texts), and an unrelated Syria story.
STRIKE_A = (
    "قصفت قوات النظام بالمدفعية الثقيلة بلدة البارة في جبل الزاوية بريف إدلب الجنوبي صباح اليوم، "
    "ما أدى إلى مقتل ثلاثة مدنيين بينهم طفل وإصابة سبعة آخرين، بحسب الدفاع المدني السوري.\n"
    "وقال مراسلون محليون إن أكثر من عشرين قذيفة سقطت على الأحياء السكنية وسوق البلدة.\n"
    "ونقلت فرق الدفاع المدني المصابين إلى مستشفى مدينة أريحا القريبة."
)
STRIKE_B = (
    "قتل ثلاثة مدنيين، أحدهم طفل، وأصيب سبعة بجروح جراء قصف مدفعي لقوات النظام على بلدة البارة "
    "في منطقة جبل الزاوية جنوبي إدلب، وفق ما أفاد الدفاع المدني.\n"
    "وتتعرض قرى جبل الزاوية لقصف متكرر من مواقع قوات النظام في ريف إدلب الجنوبي."
)
PROTEST = (
    "خرج مئات المتظاهرين في مدينة السويداء اليوم في وقفة احتجاجية سلمية للمطالبة بالإفراج عن "
    "المعتقلين وتحسين الأوضاع المعيشية.\n"
    "ورفع المحتجون لافتات تطالب بالتغيير السياسي في ساحة الكرامة وسط المدينة."
)


def _feed(server: FeedServer, feed_id: str, *, full_text: bool = True) -> FeedConfig:
    return FeedConfig(feed_id, feed_id, server.url(f"/{feed_id}.xml"), "ar", server.url("/"), full_text)


def _item(server: FeedServer, slug: str, title: str, text: str, *, teaser: bool = False) -> FeedItem:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n"))
    return FeedItem(
        title=title,
        link=server.url(f"/news/{slug}"),
        guid=f"urn:test:{slug}",
        description=text.split("\n", maxsplit=1)[0][:120] if teaser else text.split("\n", maxsplit=1)[0],
        content=None if teaser else paragraphs,
        published=NOW - timedelta(hours=1),
    )


def _pipeline(engine: Engine, fetcher: Fetcher) -> Pipeline:
    return Pipeline(session_factory(engine), fetcher, clock=lambda: NOW, disable_after=3)


async def _poll(engine: Engine, feeds: list[FeedConfig]) -> PollReport:
    async with Fetcher(trust_env=False, concurrency=4) as fetcher:
        return await _pipeline(engine, fetcher).poll(feeds)


def _subscribe(engine: Engine, chat_id: int, governorate: str) -> None:
    with session_factory(engine).begin() as session:
        store.ensure_subscriber(session, chat_id, kind="private", language="ar", now=NOW)
        store.add_subscription(session, chat_id, now=NOW, governorate=governorate)


def _count(engine: Engine, model: type[object]) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.asyncio
async def test_two_outlets_one_event_and_alert_queued_once(feed_server: FeedServer, engine: Engine) -> None:
    feed_server.add("/a.xml", rss_feed([_item(feed_server, "a1", "قصف على البارة", STRIKE_A)]), etag='"a1"')
    feed_server.add(
        "/b.xml",
        rss_feed([
            _item(feed_server, "b1", "مقتل ثلاثة مدنيين في جبل الزاوية", STRIKE_B),
            _item(feed_server, "b2", "وقفة احتجاجية في السويداء", PROTEST),
        ]),
        etag='"b1"',
    )
    feeds = [_feed(feed_server, "a"), _feed(feed_server, "b")]
    _subscribe(engine, 1001, "Idlib")

    report = await _poll(engine, feeds)

    assert report.fetched == 2
    assert len(report.articles) == 3
    strike = [a for a in report.articles if "Idlib" in a.governorates]
    assert len(strike) == 2
    assert strike[0].event_id is not None
    assert strike[0].event_id == strike[1].event_id  # one event, two sources
    protest = next(a for a in report.articles if "As-Suwayda" in a.governorates)
    assert protest.event_id not in (None, strike[0].event_id)
    with session_factory(engine)() as session:
        event = session.get_one(EventRow, strike[0].event_id)
        assert event.source_count == 2
        outbox = session.scalars(select(OutboxRow)).all()
    assert [(row.chat_id, row.event_id) for row in outbox] == [(1001, strike[0].event_id)]

    # The second pass: the server answers 304, nothing new, nothing queued again.
    again = await _poll(engine, feeds)
    assert again.not_modified == 2
    assert again.articles == []
    assert _count(engine, OutboxRow) == 1


@pytest.mark.asyncio
async def test_restart_does_not_reprocess_or_realert(feed_server: FeedServer, engine: Engine) -> None:
    # No validators: the feed comes back whole, as after a restart with a server that ignores ETags.
    feed_server.add("/a.xml", rss_feed([_item(feed_server, "a1", "قصف على البارة", STRIKE_A)]))
    feeds = [_feed(feed_server, "a")]
    _subscribe(engine, 1002, "Idlib")
    first = await _poll(engine, feeds)
    assert len(first.articles) == 1
    second = await _poll(engine, feeds)  # a new Pipeline, fetcher and sessions: a restart
    assert second.fetched == 1
    assert second.articles == []
    assert _count(engine, ArticleRow) == 1
    assert _count(engine, OutboxRow) == 1


@pytest.mark.asyncio
async def test_teaser_gets_the_full_text_from_the_page(feed_server: FeedServer, engine: Engine) -> None:
    item = _item(feed_server, "t1", "قصف على البارة", STRIKE_A, teaser=True)
    feed_server.add("/t.xml", rss_feed([item]))
    feed_server.add("/news/t1", article_page("قصف على البارة", STRIKE_A))
    report = await _poll(engine, [_feed(feed_server, "t", full_text=False)])
    assert feed_server.count("/news/t1") == 1
    [article] = report.articles
    assert article.syria_related
    assert article.killed == 3
    with session_factory(engine)() as session:
        row = session.scalars(select(ArticleRow)).one()
    assert row.teaser
    assert len(row.teaser) < 200
    assert row.text
    assert "مستشفى مدينة أريحا" in row.text
    assert "مقالات ذات صلة" not in row.text  # the page's furniture is not article text


@pytest.mark.asyncio
async def test_a_page_that_breaks_the_extractor_keeps_the_teaser(
    feed_server: FeedServer, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("the extractor (or its worker process) failed")

    monkeypatch.setattr("bot.pipeline.extract_article", broken)
    item = _item(feed_server, "t1", "قصف على البارة", STRIKE_A, teaser=True)
    feed_server.add("/t.xml", rss_feed([item]))
    feed_server.add("/news/t1", article_page("قصف على البارة", STRIKE_A))
    report = await _poll(engine, [_feed(feed_server, "t", full_text=False)])
    [article] = report.articles  # stored, from the teaser
    assert article.syria_related
    with session_factory(engine)() as session:
        row = session.scalars(select(ArticleRow)).one()
    assert row.text == row.teaser


@pytest.mark.asyncio
async def test_broken_feeds_do_not_stop_the_others(feed_server: FeedServer, engine: Engine) -> None:
    feed_server.add("/good.xml", rss_feed([_item(feed_server, "g1", "قصف على البارة", STRIKE_A)]))
    feed_server.add("/error.xml", b"oops", status=500)
    feed_server.add("/broken.xml", b"<rss><channel><item><title>unclosed")
    feed_server.add(
        "/cp1256.xml",
        rss_feed([_item(feed_server, "w1", "وقفة احتجاجية في السويداء", PROTEST)], encoding="windows-1256"),
    )
    feeds = [_feed(feed_server, name) for name in ("good", "error", "broken", "cp1256")]
    report = await _poll(engine, feeds)
    assert report.failed == 1  # the 500
    titles = {a.title for a in report.articles}
    assert {"قصف على البارة", "وقفة احتجاجية في السويداء"} <= titles
    with session_factory(engine)() as session:
        error_feed = store.feed_state(session, "error")
        assert error_feed is not None
        assert error_feed.consecutive_errors == 1
        assert error_feed.next_attempt_at is not None
        assert error_feed.next_attempt_at > NOW  # backing off


@pytest.mark.asyncio
async def test_failing_feed_is_disabled_after_the_threshold(feed_server: FeedServer, engine: Engine) -> None:
    feed_server.add("/error.xml", b"oops", status=503)
    feed = _feed(feed_server, "error")
    disabled: list[str] = []

    async def tell(feed_id: str, reason: str) -> None:
        disabled.append(f"{feed_id}: {reason}")

    clock = [NOW]
    async with Fetcher(trust_env=False) as fetcher:
        pipeline = Pipeline(
            session_factory(engine), fetcher, clock=lambda: clock[0], disable_after=3, on_feed_disabled=tell
        )
        for _ in range(3):
            await pipeline.poll([feed])
            clock[0] += timedelta(days=1)  # past any backoff
        report = await pipeline.poll([feed])
    assert disabled == ["error: HTTP 503 Service Unavailable"]
    assert report.skipped == 1
    assert feed_server.count("/error.xml") == 3


@pytest.mark.skipif(sys.platform != "linux", reason="process pool start method")
def test_poll_once_command_prints_jsonl(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add("/a.xml", rss_feed([_item(feed_server, "a1", "قصف على البارة", STRIKE_A)]))
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n"
        f"  - id: test-a\n    name: Test A\n    url: {feed_server.url('/a.xml')}\n"
        f"    language: ar\n    homepage: {feed_server.url('/')}\n    full_text: true\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "NO_PROXY": "*",
        "HTTP_PROXY": "",
        "HTTPS_PROXY": "",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "poll", "--once", "--jsonl", "--feeds", str(feeds_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    record = json.loads(line)
    assert set(record) == {
        "url", "feed", "title", "language", "syria_related", "event_id", "sub_event_types",
        "governorates", "places", "killed", "injured",
    }
    assert record["feed"] == "test-a"
    assert record["syria_related"] is True
    assert record["governorates"] == ["Idlib"]
    assert "1 feeds: 1 fetched" in result.stderr


@pytest.mark.shared
@pytest.mark.asyncio
async def test_seed_article_teaser_to_event(
    feed_server: FeedServer, engine: Engine, shared_dir: Path
) -> None:
    from tests.bot.feed_server import BOILERPLATE, ant_articles, seed_article, teaser_item

    seed = seed_article(shared_dir)
    link = feed_server.url("/p/deir-ez-zor")
    feed_server.add("/p/deir-ez-zor", article_page(seed.title, seed.text, site_name="راديو الكل"))
    others = list(ant_articles(shared_dir, 3))
    items = [teaser_item(seed, link, guid="seed")]
    for number, article in enumerate(others):
        path = f"/ant/{number}"
        feed_server.add(path, article_page(article.title, article.text))
        items.append(teaser_item(article, feed_server.url(path), guid=f"ant-{number}"))
    feed_server.add("/alkul.xml", rss_feed(items))
    _subscribe(engine, 1003, "Deir ez-Zor")

    report = await _poll(engine, [_feed(feed_server, "alkul", full_text=False)])

    assert len(report.articles) == 1 + len(others)
    article = next(a for a in report.articles if a.url == link)
    assert article.syria_related
    assert {"Deir ez-Zor", "Al-Hasakah"} <= set(article.governorates)
    assert {"Shelling/artillery/missile attack", "Air/drone strike"} <= set(article.sub_event_types)
    assert article.killed in (14, 15)
    with session_factory(engine)() as session:
        row = session.scalars(select(ArticleRow).where(ArticleRow.url == link)).one()
        queued = session.scalars(select(OutboxRow).where(OutboxRow.chat_id == 1003)).all()
    assert row.text is not None
    assert "كونيكو" in row.text  # the full text came from the page
    furniture = [line for line in BOILERPLATE if line not in seed.text]
    assert not [line for line in furniture if line in row.text]  # without the site's furniture
    summary = " ".join(row.summary)
    assert "زر الذهاب إلى الأعلى" not in summary  # the article's own footer stays out of the summary
    assert [q.event_id for q in queued] == [article.event_id]


@pytest.mark.asyncio
async def test_a_poll_cut_short_loses_nothing(feed_server: FeedServer, engine: Engine) -> None:
    items = [
        _item(feed_server, "c1", "قصف على البارة", STRIKE_A),
        _item(feed_server, "c2", "مقتل ثلاثة مدنيين في جبل الزاوية", STRIKE_B),
        _item(feed_server, "c3", "وقفة احتجاجية في السويداء", PROTEST),
    ]
    feed_server.add("/c.xml", rss_feed(items), etag='"c1"')
    feeds = [_feed(feed_server, "c")]

    def crash(article: object) -> None:
        raise RuntimeError("the process stops here")

    async with Fetcher(trust_env=False) as fetcher:
        cut = Pipeline(session_factory(engine), fetcher, clock=lambda: NOW, on_article=crash)
        first = await cut.poll(feeds)
    assert first.failed == 1
    assert _count(engine, ArticleRow) == 1  # one stored before the stop
    again = await _poll(engine, feeds)  # after a restart: the feed is fetched whole, not a 304
    assert again.not_modified == 0
    assert len(again.articles) == 2
    assert _count(engine, ArticleRow) == 3
    assert (await _poll(engine, feeds)).not_modified == 1  # now the validators are saved
