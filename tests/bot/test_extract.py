"""`bot.extract`: the article text of a page wrapped in site boilerplate, in any encoding it declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.extract import ArticleText, decode_html, extract_article
from bot.fetch import HTML_ACCEPT, Fetcher
from bot.models import FetchStatus
from tests.bot.feed_server import BOILERPLATE, FeedServer, ant_articles, article_page, seed_article

TITLE = "مقتل ثلاثة مدنيين بقصف مدفعي على بلدة طفس في ريف درعا"
TEXT = "\n".join(
    (
        (
            "أفادت مصادر محلية في محافظة درعا جنوبي سوريا بمقتل ثلاثة مدنيين وإصابة خمسة آخرين جراء قصف "
            "مدفعي استهدف بلدة طفس في ريف المحافظة الغربي صباح اليوم."
        ),
        (
            "وقال ناشطون إن القصف تركز على الأحياء السكنية في البلدة، ما أدى إلى أضرار مادية كبيرة في "
            "المنازل والمحال التجارية، وسط حالة من الذعر بين الأهالي."
        ),
        (
            "وأضافت المصادر أن فرق الدفاع المدني عملت على إسعاف المصابين إلى المشافي الميدانية القريبة، "
            "فيما لا تزال عمليات البحث جارية تحت الأنقاض."
        ),
        (
            "ويأتي هذا التصعيد بعد أيام من توتر أمني تشهده المنطقة، على خلفية اشتباكات متقطعة بين "
            "مجموعات محلية وقوات حكومية في محيط البلدة."
        ),
    )
)
TITLE_EN = "Shelling kills three civilians in Daraa's western countryside"
TEXT_EN = "\n".join(
    (
        (
            "Three civilians were killed and five others wounded on Friday when artillery shells hit "
            "the town of Tafas in the western countryside of Daraa, local sources said."
        ),
        (
            "Activists said the shelling targeted residential neighbourhoods, causing heavy damage to "
            "homes and shops and panic among residents."
        ),
        (
            "Civil Defence teams took the wounded to nearby field hospitals, while the search under the "
            "rubble continued into the evening."
        ),
        (
            "The escalation follows days of tension in the area, where sporadic clashes have pitted "
            "local groups against government forces."
        ),
    )
)
URL = "http://127.0.0.1:8000/news/2024/05/17/tafas/"
HTML = {"content-type": "text/html"}


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def assert_clean_article(result: ArticleText | None, title: str, text: str) -> None:
    """The whole text is there, in order, and none of the site furniture that is not in the text."""
    assert result is not None
    assert result.title == title
    assert lines(result.text) == lines(text)
    leaked = [line for line in BOILERPLATE if line in result.text and line not in text]
    assert leaked == []


def test_the_article_is_extracted_without_boilerplate() -> None:
    page = article_page(TITLE, TEXT)
    assert all(line.encode() in page for line in BOILERPLATE)  # the furniture is on the page
    assert_clean_article(
        extract_article(page, URL, {"Content-Type": "text/html; charset=UTF-8"}), TITLE, TEXT
    )


def test_an_english_article() -> None:
    page = article_page(TITLE_EN, TEXT_EN, site_name="Syria News Network", lang="en")
    assert_clean_article(extract_article(page, URL, HTML), TITLE_EN, TEXT_EN)


@pytest.mark.parametrize(
    ("meta_charset", "headers"),
    [
        (True, HTML),  # <meta charset="windows-1256"> only
        (False, {"Content-Type": "text/html; charset=windows-1256"}),  # the HTTP header only
        (False, HTML),  # declared nowhere: not UTF-8, so the Arabic fallback
        (True, {"Content-Type": "text/html; charset=utf-8"}),  # the header lies: UTF-8 fails, next
        (False, None),
    ],
)
def test_a_windows_1256_page(meta_charset: bool, headers: dict[str, str] | None) -> None:
    page = article_page(TITLE, TEXT, encoding="windows-1256", meta_charset=meta_charset)
    with pytest.raises(UnicodeDecodeError):
        page.decode("utf-8")
    assert_clean_article(extract_article(page, URL, headers), TITLE, TEXT)


@pytest.mark.parametrize(
    "page",
    [
        b"",
        b"   \n",
        b"<html><head><title>x</title></head><body></body></html>",
        article_page("عنوان فقط", ""),  # only the site's furniture
        b"\x00\x01\x02\x03",
    ],
)
def test_a_page_without_an_article_gives_none(page: bytes) -> None:
    assert extract_article(page, URL, HTML) is None


# --- decoding --------------------------------------------------------------------------------------

ARABIC = "قصف على إدلب"
AS_1256 = {"Content-Type": "text/html; charset=windows-1256"}


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (ARABIC.encode("utf-8"), None, ARABIC),
        (ARABIC.encode("windows-1256"), None, ARABIC),
        (b"\xef\xbb\xbf" + ARABIC.encode("utf-8"), AS_1256, ARABIC),  # the byte-order mark wins
        (ARABIC.encode("utf-16"), None, ARABIC),
        (ARABIC.encode("windows-1256"), {"content-type": 'text/html; charset="Windows-1256"'}, ARABIC),
        (ARABIC.encode("utf-8"), {"Content-Type": "text/html; charset=iso-8859-1"}, ARABIC),
        (ARABIC.encode("windows-1256"), {"Content-Type": "text/html; charset=no-such-codec"}, ARABIC),
        ("café".encode("iso-8859-1"), {"Content-Type": "text/html; charset=iso-8859-1"}, "café"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">' + "ن".encode("cp1256"),
         None, '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">ن'),
    ],
)  # fmt: skip
def test_decode_html(body: bytes, headers: dict[str, str] | None, expected: str) -> None:
    assert decode_html(body, headers) == expected


def test_the_http_charset_wins_over_meta() -> None:
    body = b'<meta charset="utf-8">' + "é".encode("cp1252")
    assert decode_html(body, {"Content-Type": "text/html; charset=windows-1252"}).endswith("é")


# --- real articles from ../shared ------------------------------------------------------------------


@pytest.mark.shared
def test_the_seed_article_page(shared_dir: Path) -> None:
    seed = seed_article(shared_dir)
    result = extract_article(article_page(seed.title, seed.text), seed.url, HTML)
    assert result is not None
    assert result.title == seed.title
    for line in lines(seed.text):
        assert line in result.text
    assert [b for b in BOILERPLATE if b in result.text and b not in seed.text] == []


@pytest.mark.shared
def test_ant_articles_come_back_whole(shared_dir: Path) -> None:
    for article in ant_articles(shared_dir, limit=40):
        for encoding in ("utf-8", "windows-1256"):
            page = article_page(article.title, article.text, encoding=encoding)
            result = extract_article(page, article.url, HTML)
            assert result is not None, article.url
            assert lines(result.text) == lines(article.text), article.url
            assert [b for b in BOILERPLATE if b in result.text and b not in article.text] == []


# --- teaser to full text over loopback -------------------------------------------------------------


async def fetch_and_extract(server: FeedServer, path: str) -> ArticleText | None:
    async with Fetcher(trust_env=False) as fetcher:
        result = await fetcher.fetch(server.url(path), accept=HTML_ACCEPT)
    assert result.status is FetchStatus.OK, result.error
    return extract_article(result.body, result.final_url or result.url, result.headers)


@pytest.mark.asyncio
async def test_a_teaser_entry_gets_its_full_text_from_the_page(feed_server: FeedServer) -> None:
    feed_server.add("/news/1", article_page(TITLE, TEXT), content_type="text/html; charset=utf-8")
    feed_server.redirect("/p/1", "/news/1")  # feed links often go through a redirect
    feed_server.add(
        "/news/2",
        article_page(TITLE, TEXT, encoding="windows-1256", meta_charset=False),
        content_type="text/html; charset=windows-1256",
        compress="gzip",
    )
    assert_clean_article(await fetch_and_extract(feed_server, "/p/1"), TITLE, TEXT)
    assert_clean_article(await fetch_and_extract(feed_server, "/news/2"), TITLE, TEXT)
    assert "text/html" in feed_server.requests("/news/1")[0].headers["accept"]


@pytest.mark.shared
@pytest.mark.asyncio
async def test_the_seed_article_page_over_loopback(feed_server: FeedServer, shared_dir: Path) -> None:
    seed = seed_article(shared_dir)
    feed_server.add("/seed", article_page(seed.title, seed.text), content_type="text/html; charset=utf-8")
    result = await fetch_and_extract(feed_server, "/seed")
    assert result is not None
    assert result.title == seed.title
    assert all(line in result.text for line in lines(seed.text))
