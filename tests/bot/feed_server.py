"""A real HTTP server on 127.0.0.1 serving scripted feeds and article pages, for tests and benches.

`FeedServer` runs a `ThreadingHTTPServer` on an ephemeral port in a daemon thread. Routes map a path
to a `Route`: the bytes, status and headers to send, plus behaviours a feed fetcher must survive:
ETag / Last-Modified with 304 answers, a delay before the headers, a body trickled slowly, no
Content-Length, gzip or brotli encoding, redirects (and so redirect loops). It counts the requests
per path and keeps their headers, for conditional-GET assertions.

The builders make realistic bodies: `rss_feed` and `atom_feed` from `FeedItem`s (any encoding,
windows-1256 included), `article_page` wraps a text in a news site's boilerplate (navigation, share
buttons, "مقالات ذات صلة", footer), and `seed_item` / `ant_items` read real articles from ../shared
at run time (nothing from there is copied into the repository).

    with FeedServer() as server:
        server.add("/feed.xml", rss_feed([FeedItem(title="…", link=server.url("/a/1"))]))
        fetch(server.url("/feed.xml"))
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from tests.bot.loopback import LoopbackServer

Compression = Literal["gzip", "br"]
RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before sending the status line and headers
    trickle: float = 0.0  # seconds to wait between chunks of the body (0: send it at once)
    chunk_size: int = 1024  # bytes per chunk when trickling
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    etag: str | None = None  # sent, and an If-None-Match that matches gets a 304
    last_modified: str | None = None  # sent, and an If-Modified-Since not older gets a 304
    compress: Compression | None = None
    content_type: str = RSS_CONTENT_TYPE


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received."""

    path: str
    headers: Mapping[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for keep-alive connections a client left open
    request_queue_size = 1024  # a bench opens hundreds of connections at once
    allow_reuse_address = True

    def __init__(self, owner: FeedServer) -> None:
        self.owner = owner
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (timeout, size cap) closes the socket mid-response: that is expected.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per response on loopback
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:
        """Answer from the route table; 404 for unknown paths."""
        owner = self.server.owner
        owner.entered()
        try:
            self._answer(owner)
        finally:
            owner.left()

    def _answer(self, owner: FeedServer) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path
        route = owner.record(path, headers)
        if route is None:
            self._send(404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.delay and self.server.stopping.wait(route.delay):
            return
        reply_headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            reply_headers["ETag"] = route.etag
        if route.last_modified:
            reply_headers["Last-Modified"] = route.last_modified
        if _not_modified(route, headers):
            self._send(304, {k: v for k, v in reply_headers.items() if k in ("ETag", "Last-Modified")}, b"")
            return
        body = route.body
        if route.compress == "gzip":
            body = gzip.compress(body)
            reply_headers["Content-Encoding"] = "gzip"
        elif route.compress == "br":
            import brotli  # type: ignore[import-untyped]  # only when a test asks for it

            body = brotli.compress(body)
            reply_headers["Content-Encoding"] = "br"
        self._send(route.status, reply_headers, body, route=route)

    def _send(self, status: int, headers: Mapping[str, str], body: bytes, route: Route | None = None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if route is not None and not route.content_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status == 304 or not body:
            return
        if route is None or not route.trickle:
            self.wfile.write(body)
            return
        for start in range(0, len(body), route.chunk_size):
            self.wfile.write(body[start : start + route.chunk_size])
            self.wfile.flush()
            if self.server.stopping.wait(route.trickle):
                return


def _not_modified(route: Route, headers: Mapping[str, str]) -> bool:
    if route.etag and "if-none-match" in headers:
        tags = {tag.strip() for tag in headers["if-none-match"].split(",")}
        return route.etag in tags or "*" in tags
    if route.last_modified and "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
            modified = parsedate_to_datetime(route.last_modified)
        except (TypeError, ValueError):
            return False
        return modified <= since
    return False


class FeedServer(LoopbackServer["_Server"]):
    """A scriptable HTTP server on 127.0.0.1; `start()`/`stop()` or use it as a context manager."""

    name = "feed server"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._counts: Counter[str] = Counter()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0  # the most requests handled at the same time since the last reset

    def _make_server(self) -> _Server:
        return _Server(self)

    def _before_stop(self, server: _Server) -> None:
        server.stopping.set()  # handlers sleeping in a delay or trickle give up at once

    def url(self, path: str = "/") -> str:
        """The absolute http://127.0.0.1:PORT URL of `path`."""
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        headers: Mapping[str, str] | None = None,
        status: int = 200,
        delay: float = 0.0,
        trickle: float = 0.0,
        chunk_size: int = 1024,
        content_length: bool = True,
        etag: str | None = None,
        last_modified: str | None = None,
        compress: Compression | None = None,
        content_type: str = RSS_CONTENT_TYPE,
    ) -> Route:
        """Serve `body` on `path` (replacing any earlier route); the options are `Route`'s fields."""
        route = Route(
            body=body.encode("utf-8") if isinstance(body, str) else body,
            status=status,
            headers=dict(headers or {}),
            delay=delay,
            trickle=trickle,
            chunk_size=chunk_size,
            content_length=content_length,
            etag=etag,
            last_modified=last_modified,
            compress=compress,
            content_type=content_type,
        )
        return self.add_route(path, route)

    def add_route(self, path: str, route: Route) -> Route:
        """Serve `route` on `path` (a path with a query string matches only that query)."""
        with self._lock:
            self._routes[_key(path)] = route
        return route

    def redirect(self, path: str, to: str, *, status: int = 302) -> Route:
        """Answer `path` with a redirect to `to` (a path or an absolute URL)."""
        return self.add(path, b"", status=status, headers={"Location": to}, content_type="text/plain")

    def remove(self, path: str) -> None:
        """Stop serving `path` (it answers 404)."""
        with self._lock:
            self._routes.pop(_key(path), None)

    def record(self, path: str, headers: Mapping[str, str]) -> Route | None:
        """Count a request and return its route (called by the handler thread)."""
        with self._lock:
            self._counts[_key(path)] += 1
            self._requests.append(RecordedRequest(path=path, headers=dict(headers)))
            key = _key(path)
            return self._routes.get(key) or self._routes.get(urlsplit(key).path)

    def entered(self) -> None:
        """A handler started answering (called by the handler thread)."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def left(self) -> None:
        """A handler finished answering (called by the handler thread)."""
        with self._lock:
            self._in_flight -= 1

    def count(self, path: str) -> int:
        """How many requests `path` (with its query string, if any) received."""
        with self._lock:
            return self._counts[_key(path)]

    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """The requests received (on `path` only, if given), oldest first."""
        with self._lock:
            return [r for r in self._requests if path is None or _key(r.path) == _key(path)]

    def reset_counts(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._counts.clear()
            self._requests.clear()
            self.max_in_flight = self._in_flight


def _key(path: str) -> str:
    if path.startswith(("http://", "https://")):
        parts = urlsplit(path)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    return "/" + path.lstrip("/")


# --- builders ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item to put in a feed; None fields are left out of the XML."""

    title: str
    link: str | None = None
    guid: str | None = None
    description: str | None = None  # HTML allowed; escaped into the XML
    content: str | None = None  # content:encoded (RSS) or <content type="html"> (Atom)
    published: datetime | None = None
    guid_is_permalink: bool = False


def http_date(when: datetime) -> str:
    """`when` as an HTTP / RFC 822 date (what pubDate and Last-Modified carry)."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="xmlcharrefreplace")


def rss_feed(
    items: Sequence[FeedItem],
    *,
    title: str = "أخبار سوريا",
    link: str = "http://127.0.0.1/",
    language: str = "ar",
    encoding: str = "utf-8",
) -> bytes:
    """An RSS 2.0 document (with the content: and atom: namespaces WordPress uses) in `encoding`."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        (
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">'
        ),
        "<channel>",
        f"<title>{xml_escape(title)}</title>",
        f"<link>{xml_escape(link)}</link>",
        "<description>Syria news</description>",
        f"<language>{language}</language>",
        "<generator>https://wordpress.org/?v=6.5</generator>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{xml_escape(item.title)}</title>")
        if item.link is not None:
            parts.append(f"<link>{xml_escape(item.link)}</link>")
        if item.guid is not None:
            permalink = "true" if item.guid_is_permalink else "false"
            parts.append(f'<guid isPermaLink="{permalink}">{xml_escape(item.guid)}</guid>')
        if item.published is not None:
            parts.append(f"<pubDate>{http_date(item.published)}</pubDate>")
        parts.append("<dc:creator><![CDATA[فريق التحرير]]></dc:creator>")
        if item.description is not None:
            parts.append(f"<description>{xml_escape(item.description)}</description>")
        if item.content is not None:
            parts.append(f"<content:encoded>{xml_escape(item.content)}</content:encoded>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>"]
    return _encode("\n".join(parts), encoding)


def atom_feed(
    items: Sequence[FeedItem],
    *,
    title: str = "Syria news",
    link: str = "http://127.0.0.1/",
    feed_id: str = "urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6",
    encoding: str = "utf-8",
) -> bytes:
    """An Atom 1.0 document in `encoding`; an item's guid becomes its <id> (its link, if none)."""
    latest = max((i.published for i in items if i.published), default=datetime(2024, 1, 1, tzinfo=UTC))
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{xml_escape(title)}</title>",
        f'<link href="{xml_escape(link)}"/>',
        f"<id>{xml_escape(feed_id)}</id>",
        f"<updated>{latest.astimezone(UTC).isoformat()}</updated>",
    ]
    for item in items:
        parts.append("<entry>")
        parts.append(f'<title type="text">{xml_escape(item.title)}</title>')
        if item.link is not None:
            parts.append(f'<link rel="alternate" type="text/html" href="{xml_escape(item.link)}"/>')
        entry_id = item.guid or item.link
        if entry_id is not None:
            parts.append(f"<id>{xml_escape(entry_id)}</id>")
        if item.published is not None:
            stamp = item.published.astimezone(UTC).isoformat()
            parts.append(f"<published>{stamp}</published><updated>{stamp}</updated>")
        parts.append("<author><name>Newsroom</name></author>")
        if item.description is not None:
            parts.append(f'<summary type="html">{xml_escape(item.description)}</summary>')
        if item.content is not None:
            parts.append(f'<content type="html">{xml_escape(item.content)}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return _encode("\n".join(parts), encoding)


def paragraphs_html(text: str) -> str:
    """`text` as HTML paragraphs, one per non-empty line."""
    return "\n".join(f"<p>{escape(line.strip())}</p>" for line in text.splitlines() if line.strip())


# Site furniture `article_page` puts around the article; tests assert none of it is extracted.
NAV_LINKS = ("الرئيسية", "أخبار سوريا", "اقتصاد", "رياضة", "منوعات", "اتصل بنا")
SHARE_LABELS = ("شارك على فيسبوك", "شارك على تويتر", "أرسل عبر واتساب", "انسخ الرابط")
RELATED_HEADING = "مقالات ذات صلة"
RELATED_TITLES = (
    "وزير الخارجية يستقبل نظيره في العاصمة لبحث العلاقات الثنائية",
    "ارتفاع أسعار المحروقات في الأسواق المحلية للمرة الثالثة هذا الشهر",
    "المنتخب الوطني يستعد لمباراته الودية المقبلة في الدوحة",
    "انطلاق معرض الكتاب السنوي بمشاركة مئات دور النشر العربية",
)
FOOTER_LINES = (
    "جميع الحقوق محفوظة © 2024 شبكة الأخبار السورية",
    "سياسة الخصوصية",
    "من نحن",
    "تابعونا على تلغرام",
)
BOILERPLATE = (*NAV_LINKS, *SHARE_LABELS, RELATED_HEADING, *RELATED_TITLES, *FOOTER_LINES)


def article_page(
    title: str,
    text: str,
    *,
    site_name: str = "شبكة الأخبار السورية",
    lang: str = "ar",
    encoding: str = "utf-8",
    meta_charset: bool = True,
    published: datetime | None = None,
) -> bytes:
    """A news article page as a CMS renders it: `text` (paragraphs on lines) in the article body, and
    around it a header with navigation, share buttons, a related-articles block and a footer."""
    direction = "rtl" if lang == "ar" else "ltr"
    when = (published or datetime(2024, 5, 17, 9, 30, tzinfo=UTC)).astimezone(UTC)
    charset = f'<meta charset="{encoding}">' if meta_charset else ""
    nav = "".join(
        f'<li class="menu-item"><a href="/category/{i}">{escape(n)}</a></li>' for i, n in enumerate(NAV_LINKS)
    )
    share = "".join(
        f'<a class="share-btn share-{i}" href="https://share.example/?u=1" rel="nofollow">{escape(label)}</a>'
        for i, label in enumerate(SHARE_LABELS)
    )
    related = "".join(
        f'<li><a href="/news/{100 + i}"><img src="/img/{i}.jpg" alt=""><h4>{escape(t)}</h4></a></li>'
        for i, t in enumerate(RELATED_TITLES)
    )
    footer = "".join(f"<p>{escape(line)}</p>" for line in FOOTER_LINES)
    page = f"""<!DOCTYPE html>
<html lang="{lang}" dir="{direction}">
<head>
{charset}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} | {escape(site_name)}</title>
<meta property="og:title" content="{escape(title, quote=True)}">
<meta property="og:site_name" content="{escape(site_name, quote=True)}">
<meta property="article:published_time" content="{when.isoformat()}">
<link rel="stylesheet" href="/wp-content/themes/news/style.css">
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
</head>
<body class="post-template-default single single-post">
<header class="site-header">
  <div class="logo"><a href="/">{escape(site_name)}</a></div>
  <nav class="main-navigation" role="navigation"><ul class="menu">{nav}</ul></nav>
  <form class="search-form" action="/"><input type="search" name="s" placeholder="بحث"></form>
</header>
<div class="breadcrumbs"><a href="/">الرئيسية</a> » <a href="/category/0">أخبار سوريا</a></div>
<main id="main" class="site-main">
<article class="post type-post status-publish format-standard hentry">
  <header class="entry-header">
    <h1 class="entry-title">{escape(title)}</h1>
    <div class="entry-meta"><time class="published" datetime="{when.isoformat()}">{when:%Y-%m-%d}</time></div>
  </header>
  <div class="share-buttons social-share">{share}</div>
  <div class="entry-content">
{paragraphs_html(text)}
  </div>
  <div class="share-buttons social-share bottom">{share}</div>
  <div class="tags-links"><a href="/tag/syria" rel="tag">سوريا</a></div>
</article>
<section class="related-posts">
  <h3 class="related-title">{RELATED_HEADING}</h3>
  <ul>{related}</ul>
</section>
</main>
<aside class="sidebar widget-area"><section class="widget"><h2 class="widget-title">الأكثر قراءة</h2>
<ul><li><a href="/news/7">{escape(RELATED_TITLES[0])}</a></li></ul></section></aside>
<footer class="site-footer">{footer}</footer>
<script src="/wp-includes/js/jquery.min.js"></script>
</body>
</html>
"""
    return page.encode(encoding, errors="xmlcharrefreplace")


# --- texts from ../shared, read at run time --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """A real article to serve: title, teaser (the RSS description), full text, URL and date."""

    title: str
    teaser: str
    text: str
    url: str
    published: datetime | None


def seed_article(shared_dir: Path) -> SourceArticle:
    """The seed article (Radio Alkul, Deir ez-Zor): first line the title, first paragraph the teaser."""
    raw = (shared_dir / "examples" / "seed-deir-ez-zor.ar.txt").read_text(encoding="utf-8")
    blocks = [b.strip() for b in raw.split("\n\n") if b.strip()]
    title, body = blocks[0], blocks[1:]
    return SourceArticle(
        title=title,
        teaser=body[0],
        text="\n".join(body),
        url="https://www.radioalkul.com/p/deir-ez-zor-shelling/",
        published=datetime(2023, 8, 5, 10, 0, tzinfo=UTC),
    )


def ant_articles(shared_dir: Path, limit: int | None = None) -> Iterator[SourceArticle]:
    """Articles of the ANT corpus (Sky News Arabia, France 24), `limit` of them at most."""
    path = shared_dir / "data" / "ant-dev" / "ant_middleeast_skynews_france24_2018.jsonl"
    with path.open(encoding="utf-8") as lines:
        records = (json.loads(line) for line in lines if line.strip())
        for record in islice(records, limit):
            try:
                published: datetime | None = parsedate_to_datetime(record["time"])
            except (TypeError, ValueError):
                published = None
            yield SourceArticle(
                title=record["title"],
                teaser=record.get("abstract") or "",
                text=record["text"],
                url=record["url"],
                published=published,
            )


def teaser_item(article: SourceArticle, link: str, *, guid: str | None = None) -> FeedItem:
    """A feed item carrying only the teaser of `article` (the page must be fetched for the rest)."""
    return FeedItem(
        title=article.title,
        link=link,
        guid=guid,
        description=f"<p>{escape(article.teaser)}</p>",
        published=article.published,
    )


def full_item(article: SourceArticle, link: str, *, guid: str | None = None) -> FeedItem:
    """A feed item carrying the whole of `article` in content:encoded, as WordPress feeds do."""
    return FeedItem(
        title=article.title,
        link=link,
        guid=guid,
        description=f"<p>{escape(article.teaser)}</p>",
        content=paragraphs_html(article.text),
        published=article.published,
    )


def now_http() -> str:
    """The current time as an HTTP date (for Last-Modified)."""
    return http_date(datetime.fromtimestamp(time.time(), tz=UTC))
