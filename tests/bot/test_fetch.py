"""`bot.fetch` against a real HTTP server on loopback, and the backoff policy as pure functions."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.fetch import USER_AGENT, Fetcher, next_attempt, should_disable
from bot.models import FetchStatus
from tests.bot.feed_server import FeedItem, FeedServer, http_date, rss_feed

FEED = rss_feed([FeedItem(title="قصف على إدلب", link="http://127.0.0.1/a/1", description="<p>نص</p>")])
ETAG = '"v1-abc"'
MODIFIED = http_date(datetime(2024, 5, 17, 9, 30, tzinfo=UTC))
SHORT = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)


def fetcher(**options: Any) -> Fetcher:
    """A Fetcher that ignores proxy settings of the environment (tests stay on loopback)."""
    return Fetcher(trust_env=False, **options)


# --- 200 and 304 -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_ok_returns_the_body_validators_and_headers(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED, etag=ETAG, last_modified=MODIFIED)
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/feed.xml"))
    assert result.status is FetchStatus.OK
    assert result.error is None
    assert result.http_status == 200
    assert result.body == FEED
    assert result.etag == ETAG
    assert result.last_modified == MODIFIED
    assert result.headers["content-type"].startswith("application/rss+xml")
    assert result.final_url == result.url == feed_server.url("/feed.xml")
    assert result.elapsed > 0
    (request,) = feed_server.requests("/feed.xml")
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["user-agent"].startswith("SyriaAlertsBot/")
    assert "application/rss+xml" in request.headers["accept"]
    assert "gzip" in request.headers["accept-encoding"]
    assert "if-none-match" not in request.headers


@pytest.mark.asyncio
async def test_etag_gives_304_not_modified(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED, etag=ETAG)
    async with fetcher() as client:
        first = await client.fetch(feed_server.url("/feed.xml"))
        second = await client.fetch(feed_server.url("/feed.xml"), etag=first.etag)
    assert first.status is FetchStatus.OK
    assert second.status is FetchStatus.NOT_MODIFIED
    assert second.http_status == 304
    assert second.body == b""
    assert second.etag == ETAG
    assert feed_server.count("/feed.xml") == 2
    assert feed_server.requests("/feed.xml")[1].headers["if-none-match"] == ETAG


@pytest.mark.asyncio
async def test_last_modified_gives_304_not_modified(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED, last_modified=MODIFIED)
    async with fetcher() as client:
        first = await client.fetch(feed_server.url("/feed.xml"))
        second = await client.fetch(feed_server.url("/feed.xml"), last_modified=first.last_modified)
    assert second.status is FetchStatus.NOT_MODIFIED
    assert second.last_modified == MODIFIED
    assert feed_server.requests("/feed.xml")[1].headers["if-modified-since"] == MODIFIED


@pytest.mark.asyncio
async def test_a_changed_feed_is_fetched_again(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED, etag=ETAG)
    changed = rss_feed([FeedItem(title="خبر جديد", link="http://127.0.0.1/a/2")])
    async with fetcher() as client:
        first = await client.fetch(feed_server.url("/feed.xml"))
        feed_server.add("/feed.xml", changed, etag='"v2"')
        second = await client.fetch(feed_server.url("/feed.xml"), etag=first.etag)
    assert second.status is FetchStatus.OK
    assert second.body == changed
    assert second.etag == '"v2"'


# --- failures are values ---------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "reason"), [(500, "HTTP 500"), (404, "HTTP 404"), (403, "HTTP 403")])
async def test_http_errors_fail_with_the_status(feed_server: FeedServer, status: int, reason: str) -> None:
    feed_server.add("/feed.xml", b"oops", status=status)
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/feed.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.http_status == status
    assert result.error is not None
    assert result.error.startswith(reason)
    assert result.body == b""


@pytest.mark.asyncio
async def test_an_unknown_path_is_a_404(feed_server: FeedServer) -> None:
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/missing.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "HTTP 404 Not Found"


@pytest.mark.asyncio
async def test_a_server_that_does_not_answer_times_out(feed_server: FeedServer) -> None:
    feed_server.add("/slow.xml", FEED, delay=3.0)
    started = time.monotonic()
    async with fetcher(timeout=SHORT) as client:
        result = await client.fetch(feed_server.url("/slow.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "timeout (read)"
    assert time.monotonic() - started < 2.0
    assert result.elapsed < 2.0


@pytest.mark.asyncio
async def test_a_body_trickled_slower_than_the_read_timeout_times_out(feed_server: FeedServer) -> None:
    feed_server.add("/trickle.xml", FEED, trickle=1.0, chunk_size=64)
    async with fetcher(timeout=SHORT) as client:
        result = await client.fetch(feed_server.url("/trickle.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "timeout (read)"


@pytest.mark.asyncio
async def test_a_body_trickled_fast_enough_for_each_read_still_hits_the_total_timeout(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/drip.xml", b"x" * 10_000, trickle=0.05, chunk_size=10)  # 50 s in all
    started = time.monotonic()
    async with fetcher(timeout=SHORT, total_timeout=0.6) as client:
        result = await client.fetch(feed_server.url("/drip.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "timeout (total 0.6s)"
    assert time.monotonic() - started < 2.0


@pytest.mark.asyncio
async def test_a_slow_body_within_the_timeouts_arrives_whole(feed_server: FeedServer) -> None:
    feed_server.add("/slow-ok.xml", FEED, trickle=0.02, chunk_size=len(FEED) // 4 + 1)
    async with fetcher(timeout=SHORT) as client:
        result = await client.fetch(feed_server.url("/slow-ok.xml"))
    assert result.status is FetchStatus.OK
    assert result.body == FEED


@pytest.mark.asyncio
async def test_an_oversized_body_announced_by_content_length_is_refused(feed_server: FeedServer) -> None:
    feed_server.add("/big.xml", b"x" * 200_000)
    async with fetcher(max_bytes=50_000) as client:
        result = await client.fetch(feed_server.url("/big.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "too large: Content-Length 200000 > 50000 bytes"
    assert result.http_status == 200
    assert result.body == b""


@pytest.mark.asyncio
async def test_an_oversized_body_without_content_length_is_cut_while_streaming(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/big.xml", b"x" * 2_000_000, content_length=False)
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/big.xml"), max_bytes=100_000)
    assert result.status is FetchStatus.FAILED
    assert result.error == "too large: more than 100000 bytes"
    assert result.body == b""


@pytest.mark.asyncio
async def test_a_body_without_content_length_within_the_cap_arrives(feed_server: FeedServer) -> None:
    feed_server.add("/feed.xml", FEED, content_length=False)
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/feed.xml"))
    assert result.status is FetchStatus.OK
    assert result.body == FEED


@pytest.mark.asyncio
async def test_a_gzip_bomb_is_cut_at_the_decoded_size(feed_server: FeedServer) -> None:
    feed_server.add("/bomb.xml", b"\0" * 20_000_000, compress="gzip")  # about 20 kB on the wire
    async with fetcher(max_bytes=1_000_000) as client:
        result = await client.fetch(feed_server.url("/bomb.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "too large: more than 1000000 bytes"


@pytest.mark.asyncio
async def test_a_redirect_loop_fails(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/a")
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/a"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "too many redirects"
    assert feed_server.count("/a") + feed_server.count("/b") == 6  # the first request and 5 redirects


@pytest.mark.asyncio
async def test_redirects_are_followed_and_the_final_url_kept(feed_server: FeedServer) -> None:
    feed_server.redirect("/old-feed", "/feed", status=301)
    feed_server.redirect("/feed", feed_server.url("/feed.xml"), status=302)
    feed_server.add("/feed.xml", FEED)
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/old-feed"))
    assert result.status is FetchStatus.OK
    assert result.url == feed_server.url("/old-feed")
    assert result.final_url == feed_server.url("/feed.xml")
    assert result.body == FEED


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url",
    ["not a url", "ftp://127.0.0.1/feed.xml", "http://", "file:///etc/passwd", "", "http://127.0.0.1:99999/"],
)
async def test_an_invalid_url_fails_without_a_request(url: str) -> None:
    async with fetcher() as client:
        result = await client.fetch(url)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith("invalid URL")
    assert result.url == url


@pytest.mark.asyncio
async def test_a_closed_port_is_a_connect_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with fetcher() as client:
        result = await client.fetch(f"http://127.0.0.1:{port}/feed.xml")
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith("connect error")


@pytest.mark.asyncio
@pytest.mark.parametrize("compress", ["gzip", "br"])
async def test_compressed_bodies_are_decoded(feed_server: FeedServer, compress: Any) -> None:
    feed_server.add("/feed.xml", FEED, compress=compress)
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/feed.xml"))
    assert result.status is FetchStatus.OK
    assert result.body == FEED
    assert result.headers["content-encoding"] == compress


@pytest.mark.asyncio
async def test_corrupt_gzip_fails_with_a_reason(feed_server: FeedServer) -> None:
    corrupt = gzip.compress(FEED)[:20] + b"garbage" * 10
    feed_server.add("/feed.xml", corrupt, headers={"Content-Encoding": "gzip"})
    async with fetcher() as client:
        result = await client.fetch(feed_server.url("/feed.xml"))
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith("bad content encoding")


@pytest.mark.asyncio
async def test_concurrency_is_limited(feed_server: FeedServer) -> None:
    for number in range(8):
        feed_server.add(f"/feed-{number}.xml", FEED, delay=0.1)
    async with fetcher(concurrency=3) as client:
        results = await asyncio.gather(*(client.fetch(feed_server.url(f"/feed-{n}.xml")) for n in range(8)))
    assert all(r.status is FetchStatus.OK for r in results)
    assert 1 <= feed_server.max_in_flight <= 3


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Fetcher(concurrency=0, trust_env=False)


# --- backoff policy --------------------------------------------------------------------------------

NOW = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)
BASE = timedelta(minutes=5)
CAP = timedelta(hours=4)


def test_no_errors_means_now() -> None:
    assert next_attempt(0, NOW, rand=lambda: 0.5) == NOW


@pytest.mark.parametrize(
    ("errors", "full"), [(1, 5), (2, 10), (3, 20), (4, 40), (6, 160), (7, 240), (50, 240)]
)
def test_backoff_doubles_up_to_the_cap_with_jitter(errors: int, full: int) -> None:
    low = next_attempt(errors, NOW, base=BASE, cap=CAP, rand=lambda: 0.0)
    high = next_attempt(errors, NOW, base=BASE, cap=CAP, rand=lambda: 1.0)
    assert low == NOW + timedelta(minutes=full) / 2
    assert high == NOW + timedelta(minutes=full)


def test_backoff_survives_huge_error_counts() -> None:
    assert next_attempt(10**9, NOW, base=BASE, cap=CAP, rand=lambda: 1.0) == NOW + CAP


def test_backoff_jitter_spreads_retries() -> None:
    import random

    rng = random.Random(7)
    times = {next_attempt(3, NOW, rand=rng.random) for _ in range(20)}
    assert len(times) > 10
    assert all(NOW + timedelta(minutes=10) <= t <= NOW + timedelta(minutes=20) for t in times)


def test_disable_after_the_threshold() -> None:
    assert not should_disable(0)
    assert not should_disable(4, threshold=5)
    assert should_disable(5, threshold=5)
    assert should_disable(9, threshold=5)
    assert not should_disable(100, threshold=0)  # 0 turns disabling off


# --- the test harness ------------------------------------------------------------------------------


def test_the_feed_server_works_as_a_plain_class() -> None:
    server = FeedServer()
    with pytest.raises(RuntimeError):
        server.url("/")
    server.start()
    try:
        server.add("/feed.xml?page=2", b"page two", content_type="text/plain")
        server.add("/feed.xml", b"page one", content_type="text/plain")
        with httpx.Client(trust_env=False) as client:
            assert client.get(server.url("/feed.xml")).content == b"page one"
            assert client.get(server.url("/feed.xml?page=2")).content == b"page two"
            assert client.get(server.url("/feed.xml?page=3")).content == b"page one"
            server.remove("/feed.xml")
            assert client.get(server.url("/feed.xml")).status_code == 404
        assert server.count("/feed.xml") == 2  # counted per path and query
        assert server.count("/feed.xml?page=2") == server.count("/feed.xml?page=3") == 1
        server.reset_counts()
        assert server.count("/feed.xml") == 0
    finally:
        server.stop()
    server.stop()  # twice is harmless


def test_the_feed_server_stops_at_once_with_connections_open() -> None:
    with FeedServer() as server, httpx.Client(trust_env=False) as client:
        server.add("/slow", b"x" * 1000, trickle=5.0, chunk_size=10)
        server.add("/fast", b"ok")
        assert client.get(server.url("/fast")).content == b"ok"  # a keep-alive connection stays open
        with client.stream("GET", server.url("/slow")) as response:
            assert response.status_code == 200
            started = time.monotonic()
            server.stop()
            assert time.monotonic() - started < 1.0


def test_tests_cannot_leave_loopback(loopback_only: list[str]) -> None:
    with pytest.raises(pytest.fail.Exception, match="loopback"):
        socket.getaddrinfo("example.com", 80)
    with socket.socket() as sock, pytest.raises(pytest.fail.Exception, match="loopback"):
        sock.connect(("192.0.2.1", 80))
    assert loopback_only == ["example.com", "192.0.2.1"]
    loopback_only.clear()  # refused as expected: do not fail this test at teardown
    socket.getaddrinfo("127.0.0.1", 80)
    socket.getaddrinfo("localhost", 80)
