"""`bot.parse`: feed bytes to FeedEntry records (RSS, Atom, windows-1256, broken XML, entity bombs)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.fetch import Fetcher
from bot.identity import entry_identity
from bot.models import FeedConfig, FetchResult, FetchStatus
from bot.parse import ParsedFeed, html_to_text, parse_feed
from tests.bot.feed_server import (
    FeedItem,
    FeedServer,
    ant_articles,
    article_page,
    atom_feed,
    full_item,
    rss_feed,
    seed_article,
    teaser_item,
)

FEED = FeedConfig("test-ar", "اختبار", "http://127.0.0.1:8000/feed/", "ar", "http://127.0.0.1:8000/", False)
WHEN = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
ITEMS = [
    FeedItem(
        title="مقتل ثلاثة مدنيين بقصف مدفعي على جبل الزاوية",
        link="http://127.0.0.1:8000/news/1/?utm_source=rss&utm_medium=rss",
        guid="http://127.0.0.1:8000/?p=1",
        description="<p>قُتل ثلاثة مدنيين <strong>وأصيب</strong> آخرون &amp; نزح العشرات.</p>"
        "<script>alert(1)</script><img src='x.jpg'>",
        content="<p>الفقرة الأولى من الخبر.</p><p>الفقرة الثانية&nbsp;من الخبر.</p><!-- ad -->",
        published=WHEN,
    ),
    FeedItem(
        title="Shelling in Idlib's countryside",
        link="http://127.0.0.1:8000/news/2/",
        description="Three civilians were killed, the Civil Defence said.",
        published=WHEN + timedelta(hours=1),
    ),
]


def ok(body: bytes, content_type: str = "application/rss+xml", url: str = FEED.url) -> FetchResult:
    return FetchResult(
        status=FetchStatus.OK,
        url=url,
        final_url=url,
        http_status=200,
        body=body,
        headers={"Content-Type": content_type},
    )


def parse(body: bytes, content_type: str = "application/rss+xml") -> ParsedFeed:
    return parse_feed(FEED, ok(body, content_type))


# --- well-formed feeds -----------------------------------------------------------------------------


def test_rss_entries_become_plain_text_records() -> None:
    parsed = parse(rss_feed(ITEMS, title="أخبار <سوريا>"))
    assert not parsed.bozo
    assert parsed.reason is None
    assert parsed.title == "أخبار <سوريا>"
    first, second = parsed.entries
    assert first.feed_id == "test-ar"
    assert first.title == ITEMS[0].title
    assert first.summary == "قُتل ثلاثة مدنيين وأصيب آخرون & نزح العشرات."
    assert first.content == "الفقرة الأولى من الخبر.\nالفقرة الثانية من الخبر."
    assert first.published == WHEN
    assert first.published.tzinfo is not None
    assert first.guid == "http://127.0.0.1:8000/?p=1"
    assert first.url == ITEMS[0].link
    assert first.identity == "guid:http://127.0.0.1:8000/?p=1"
    assert second.content is None
    assert second.summary == "Three civilians were killed, the Civil Defence said."
    assert second.guid is None
    assert second.identity == "url:http://127.0.0.1:8000/news/2/"


def test_atom_entries_become_plain_text_records() -> None:
    items = [
        FeedItem(
            title="قصف على دير الزور",
            link="http://127.0.0.1:8000/ar/1",
            guid="tag:example.org,2024:1",
            description="<p>ملخص <em>الخبر</em></p>",
            content="<div><p>نص كامل.</p><ul><li>بند</li></ul></div>",
            published=WHEN,
        )
    ]
    parsed = parse(atom_feed(items, title="Atom feed"), "application/atom+xml")
    assert not parsed.bozo
    assert parsed.title == "Atom feed"
    (entry,) = parsed.entries
    assert entry.title == "قصف على دير الزور"
    assert entry.summary == "ملخص الخبر"
    assert entry.content == "نص كامل.\nبند"
    assert entry.url == "http://127.0.0.1:8000/ar/1"
    assert entry.identity == "guid:tag:example.org,2024:1"
    assert entry.published == WHEN


def test_dates_in_other_zones_become_utc() -> None:
    body = rss_feed([FeedItem(title="t", link="http://127.0.0.1/a")]).replace(
        b"<dc:creator>", b"<pubDate>Fri, 17 May 2024 12:30:00 +0300</pubDate><dc:creator>"
    )
    (entry,) = parse(body).entries
    assert entry.published == WHEN
    assert entry.published.utcoffset() == timedelta(0)
    atom = atom_feed(
        [
            FeedItem(
                title="t", link="http://127.0.0.1/a", published=WHEN.astimezone(timezone(timedelta(hours=3)))
            )
        ]
    )
    assert parse(atom, "application/atom+xml").entries[0].published == WHEN


def test_relative_links_resolve_against_the_feed_url() -> None:
    (entry,) = parse(rss_feed([FeedItem(title="t", link="/news/7")])).entries
    assert entry.url == "http://127.0.0.1:8000/news/7"


def test_empty_entries_are_skipped_and_duplicates_kept_once() -> None:
    items = [
        FeedItem(title="", link="http://127.0.0.1/empty"),
        FeedItem(title="a", guid="same"),
        FeedItem(title="a again", guid="same"),
    ]
    parsed = parse(rss_feed(items))
    assert [e.title for e in parsed.entries] == ["a"]


def test_a_valid_feed_without_items_is_not_an_error() -> None:
    parsed = parse(rss_feed([]))
    assert parsed == ParsedFeed(entries=(), bozo=False, reason=None, title="أخبار سوريا")


@pytest.mark.parametrize("status", [FetchStatus.NOT_MODIFIED, FetchStatus.FAILED])
def test_nothing_is_parsed_from_a_fetch_without_bytes(status: FetchStatus) -> None:
    parsed = parse_feed(FEED, FetchResult(status=status, url=FEED.url, error="x"))
    assert parsed.entries == ()
    assert not parsed.bozo
    assert parsed.reason == f"nothing to parse: fetch {status}"


# --- encodings -------------------------------------------------------------------------------------


def test_windows_1256_declared_in_the_xml() -> None:
    body = rss_feed(ITEMS, encoding="windows-1256")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # really not UTF-8
    parsed = parse(body, "application/rss+xml")
    assert not parsed.bozo, parsed.reason
    assert [e.title for e in parsed.entries] == [i.title for i in ITEMS]
    assert parsed.entries[0].content == "الفقرة الأولى من الخبر.\nالفقرة الثانية من الخبر."


def test_windows_1256_declared_in_the_http_header_only() -> None:
    body = rss_feed(ITEMS, encoding="windows-1256").replace(b' encoding="windows-1256"', b"")
    parsed = parse(body, "text/xml; charset=windows-1256")
    assert [e.title for e in parsed.entries] == [i.title for i in ITEMS]


def test_utf8_with_a_byte_order_mark() -> None:
    parsed = parse(b"\xef\xbb\xbf" + rss_feed(ITEMS))
    assert [e.title for e in parsed.entries] == [i.title for i in ITEMS]


# --- broken feeds ----------------------------------------------------------------------------------


def test_malformed_xml_is_bozo_and_keeps_what_was_recovered() -> None:
    body = rss_feed(ITEMS).replace(b"</channel>\n</rss>", b"")  # truncated
    body = body.replace("مدفعي".encode(), "مدفعي & <b>".encode(), 1)  # a bare ampersand and open tag
    parsed = parse(body)
    assert parsed.bozo
    assert parsed.reason is not None
    assert parsed.reason.startswith("SAXParseException")
    assert len(parsed.entries) == 2
    assert parsed.entries[1].title == ITEMS[1].title


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\x01\x02 this is no feed", "application/octet-stream"),
        (b"<html><body><p>Not found</p></body></html>", "text/html"),
    ],
)
def test_a_body_that_is_no_feed_gives_no_entries_and_a_reason(body: bytes, content_type: str) -> None:
    parsed = parse(body, content_type)
    assert parsed.bozo
    assert parsed.entries == ()
    assert parsed.reason is not None
    assert parsed.reason.startswith("not a feed")


def test_a_feed_cut_before_its_first_item_ends() -> None:
    parsed = parse(b"<rss><channel><item><title>never closed")
    assert parsed.bozo
    assert parsed.entries == ()
    assert parsed.reason is not None
    assert "no element found" in parsed.reason


def test_an_empty_body() -> None:
    assert parse(b"  \n") == ParsedFeed(entries=(), bozo=True, reason="empty body")


def test_an_article_page_served_as_a_feed() -> None:
    parsed = parse(article_page("عنوان", "نص المقال"), "text/html; charset=utf-8")
    assert parsed.entries == ()
    assert parsed.reason is not None
    assert parsed.reason.startswith("not a feed")


# --- XML attacks -----------------------------------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>bomb &lol9;</title>'
    b"<item><title>boom &lol9;</title><link>http://127.0.0.1/a</link>"
    b"<description>&lol9;&lol9;&lol9;</description></item></channel></rss>"
)


def test_billion_laughs_is_not_expanded() -> None:
    assert b"&lol9;" in BILLION_LAUGHS  # 10**9 "lol"s if expanded: gigabytes
    started = time.monotonic()
    parsed = parse(BILLION_LAUGHS)
    assert time.monotonic() - started < 1.0
    total = sum(len(e.title) + len(e.summary) + len(e.content or "") for e in parsed.entries)
    assert total < 10_000
    assert "lollollol" not in (parsed.title or "") + "".join(e.title + e.summary for e in parsed.entries)


def test_quadratic_blowup_is_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + b"A" * 50_000 + b'">]>\n'
        b'<rss version="2.0"><channel><title>t</title><item><title>q</title>'
        b"<link>http://127.0.0.1/a</link><description>" + b"&a;" * 20_000 + b"</description></item>"
        b"</channel></rss>"
    )  # 1 GB if expanded
    started = time.monotonic()
    parsed = parse(body)
    assert time.monotonic() - started < 2.0
    assert sum(len(e.summary) + len(e.content or "") for e in parsed.entries) < 200_000


def test_external_entities_are_not_resolved() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY file SYSTEM "file:///etc/passwd">'
        b'<!ENTITY net SYSTEM "http://192.0.2.1/secret">]>\n'
        b'<rss version="2.0"><channel><title>t</title><item><title>x &file; &net;</title>'
        b"<link>http://127.0.0.1/a</link><description>d &file;</description></item></channel></rss>"
    )
    parsed = parse(body)  # the conftest guard fails the test if anything reaches 192.0.2.1
    text = "".join(e.title + e.summary for e in parsed.entries)
    assert "root:" not in text


# --- identity --------------------------------------------------------------------------------------


def test_identity_is_stable_across_parses() -> None:
    items = [
        FeedItem(title="with guid", link="http://127.0.0.1/a", guid="urn:1", published=WHEN),
        FeedItem(title="link only", link="http://127.0.0.1/b?id=2", published=WHEN),
        FeedItem(title="neither", published=WHEN),
    ]
    first = [e.identity for e in parse(rss_feed(items)).entries]
    second = [e.identity for e in parse(rss_feed(items)).entries]
    assert first == second
    assert [i.split(":", 1)[0] for i in first] == ["guid", "url", "hash"]
    assert first[2] == entry_identity(None, None, "neither", WHEN)


def test_tracking_parameters_do_not_change_identity() -> None:
    plain = FeedItem(title="t", link="http://127.0.0.1/news/9?id=9", published=WHEN)
    tracked = FeedItem(
        title="t (edited)",
        link="http://127.0.0.1/news/9?utm_source=twitter&id=9&fbclid=XYZ#comments",
        published=WHEN,
    )
    assert parse(rss_feed([plain])).entries[0].identity == parse(rss_feed([tracked])).entries[0].identity


def test_the_same_entry_in_rss_and_atom_has_the_same_identity() -> None:
    item = FeedItem(title="t", link="http://127.0.0.1/news/9", guid="urn:uuid:9", published=WHEN)
    rss = parse(rss_feed([item])).entries[0]
    atom = parse(atom_feed([item]), "application/atom+xml").entries[0]
    assert rss.identity == atom.identity == "guid:urn:uuid:9"


# --- html_to_text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("plain  text\n with   spaces", "plain text\nwith spaces"),
        ("a < b and c > d", "a < b and c > d"),
        ("<p>one</p><p>two<br>three</p>", "one\ntwo\nthree"),
        ("x <b>bold</b> &amp; <i>it</i>&#1575;", "x bold & itا"),
        ("<style>p {}</style><script>var a = '<p>';</script>text", "text"),
        ("before<!-- comment -->after", "beforeafter"),
        ("<p>unclosed <b>tags", "unclosed tags"),
        ("<span>" * 1000 + "deep" + "</span>" * 1000, "deep"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


# --- real texts from ../shared ---------------------------------------------------------------------


@pytest.mark.shared
def test_feeds_built_from_ant_articles(shared_dir: Path) -> None:
    articles = list(ant_articles(shared_dir, limit=30))
    items = [full_item(a, a.url) for a in articles[:15]] + [teaser_item(a, a.url) for a in articles[15:]]
    for encoding in ("utf-8", "windows-1256"):
        parsed = parse(rss_feed(items, encoding=encoding))
        assert not parsed.bozo, parsed.reason
        assert len(parsed.entries) == 30
        for entry, article in zip(parsed.entries, articles, strict=True):
            assert entry.title == " ".join(article.title.split())
            assert entry.published == article.published
            assert entry.identity.startswith("url:")
        assert all(e.content for e in parsed.entries[:15])
        assert not any(e.content for e in parsed.entries[15:])
        # the full text survives the trip through XML and HTML as the same words
        assert (parsed.entries[0].content or "").split() == articles[0].text.split()


@pytest.mark.shared
def test_the_seed_article_as_a_teaser_item(shared_dir: Path) -> None:
    seed = seed_article(shared_dir)
    (entry,) = parse(rss_feed([teaser_item(seed, seed.url, guid="https://www.radioalkul.com/?p=1")])).entries
    assert entry.title == seed.title
    assert entry.summary == seed.teaser
    assert entry.content is None


# --- over loopback ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_windows_1256_gzip_feed_fetched_over_loopback(feed_server: FeedServer) -> None:
    feed_server.add(
        "/feed/",
        rss_feed(ITEMS, encoding="windows-1256"),
        compress="gzip",
        content_type="application/rss+xml",
    )
    feed = FeedConfig("loop-ar", "حلقة", feed_server.url("/feed/"), "ar", feed_server.url("/"), True)
    async with Fetcher(trust_env=False) as fetcher:
        result = await fetcher.fetch(feed.url)
    parsed = parse_feed(feed, result)
    assert not parsed.bozo, parsed.reason
    assert [e.title for e in parsed.entries] == [i.title for i in ITEMS]
    assert parsed.entries[0].summary == "قُتل ثلاثة مدنيين وأصيب آخرون & نزح العشرات."
