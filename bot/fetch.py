"""Polite HTTP fetching of feeds and article pages (the bot's only HTTP client), and the retry policy.

`Fetcher` holds one `httpx.AsyncClient` and a concurrency limit. `Fetcher.fetch` does a conditional
GET with a size cap enforced while streaming, and returns a `FetchResult` value: OK with the bytes,
NOT_MODIFIED (304), or FAILED with a short reason. It never raises for network or HTTP trouble.

`next_attempt` and `should_disable` are the backoff policy for feeds that keep failing: pure
functions of the error count and `now`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from bot.models import FetchResult, FetchStatus

# Where an outlet's webmaster can read what the bot is; a placeholder until the project has a home.
# Names the bot to the outlets. Operators add a contact address with `user_agent=` (the project has no
# public homepage to point to yet).
USER_AGENT = "SyriaAlertsBot/0.1 (Telegram news-alert bot; polls RSS politely)"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.8"
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=20.0, write=10.0, pool=30.0)
DEFAULT_TOTAL_TIMEOUT = 60.0  # seconds for one whole fetch: a body trickled byte by byte must end too
DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # feeds and article pages are well under this; bombs are not
DEFAULT_CONCURRENCY = 16
MAX_REDIRECTS = 5
_REASON_CHARS = 200

DEFAULT_BACKOFF_BASE = timedelta(minutes=5)
DEFAULT_BACKOFF_CAP = timedelta(hours=4)
DEFAULT_DISABLE_AFTER = 10  # consecutive failures


def next_attempt(
    errors: int,
    now: datetime,
    *,
    base: timedelta = DEFAULT_BACKOFF_BASE,
    cap: timedelta = DEFAULT_BACKOFF_CAP,
    rand: Callable[[], float] = random.random,
) -> datetime:
    """When to try a feed again after `errors` consecutive failures: `now` when there is none, else an
    exponential delay (base, 2·base, 4·base, … at most `cap`) of which a random half is dropped (jitter,
    so feeds that failed together do not retry together); `rand` returns a float in [0, 1)."""
    if errors <= 0:
        return now
    # 2**62 would overflow timedelta; the cap is reached long before this exponent anyway
    exponent = min(errors - 1, 32)
    delay = min(cap, base * (1 << exponent))
    return now + delay / 2 + delay / 2 * rand()


def should_disable(errors: int, threshold: int = DEFAULT_DISABLE_AFTER) -> bool:
    """Whether a feed with `errors` consecutive failures should be disabled (and the admins told)."""
    return threshold > 0 and errors >= threshold


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:_REASON_CHARS]


class BlockedAddressError(Exception):
    """A URL whose host is on a private, loopback, link-local or otherwise non-public network."""


async def public_only(request: httpx.Request) -> None:
    """An httpx request hook that refuses hosts resolving to non-public addresses (every request,
    redirects included), so a URL a user sends cannot reach the bot's own network.

    The check resolves the name, then httpx resolves it again to connect: a DNS server that answers
    differently the second time (rebinding) is not stopped by this.
    """
    host = request.url.host
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, request.url.port or 443)
    except OSError as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
        if not address.is_global or address.is_multicast:
            raise BlockedAddressError(f"{host} is not a public address ({address})")


# (kind, reason, whether the exception's message follows the reason); the first match wins
_REASONS: tuple[tuple[type[Exception], str, bool], ...] = (
    (BlockedAddressError, "blocked address", True),
    (httpx.ConnectTimeout, "timeout (connect)", False),
    (httpx.ReadTimeout, "timeout (read)", False),
    (httpx.WriteTimeout, "timeout (write)", False),
    (httpx.PoolTimeout, "timeout (pool)", False),
    (httpx.TimeoutException, "timeout", False),
    (httpx.TooManyRedirects, "too many redirects", False),
    (httpx.InvalidURL, "invalid URL", True),
    (httpx.UnsupportedProtocol, "invalid URL", True),
    (httpx.ConnectError, "connect error", True),
    (httpx.DecodingError, "bad content encoding", True),
    (httpx.RemoteProtocolError, "protocol error", True),
)


def _reason(exc: Exception) -> str:
    """A short, stable reason for a failed fetch (its start is what logs and /feeds can group by)."""
    for kind, reason, detailed in _REASONS:
        if isinstance(exc, kind):
            return f"{reason}: {_short(exc)}" if detailed and _short(exc) else reason
    return f"{type(exc).__name__}: {_short(exc)}"


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return f"invalid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"invalid URL: scheme must be http or https, got {parts.scheme or 'none'!r}"
    if not parts.hostname:
        return "invalid URL: no host"
    return None


class Fetcher:
    """One HTTP client for the whole bot: conditional GETs, a size cap, at most `concurrency` at once."""

    def __init__(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        user_agent: str = USER_AGENT,
        trust_env: bool = True,
        request_hook: Callable[[httpx.Request], Awaitable[None]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.max_bytes = max_bytes
        self.total_timeout = total_timeout
        self._semaphore = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=True,
            max_redirects=max_redirects,
            headers={"User-Agent": user_agent},
            limits=httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=30.0
            ),
            trust_env=trust_env,  # proxies from the environment; tests on loopback turn it off
            event_hooks={"request": [request_hook]} if request_hook is not None else None,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """GET `url` (conditionally, when `etag` or `last_modified` is given); never raises."""
        problem = _url_problem(url)
        if problem is not None:
            return FetchResult(status=FetchStatus.FAILED, url=url, error=problem)
        limit = self.max_bytes if max_bytes is None else max_bytes
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._semaphore:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.total_timeout):
                    result = await self._get(url, headers, limit, etag, last_modified)
            except TimeoutError:
                result = FetchResult(
                    status=FetchStatus.FAILED, url=url, error=f"timeout (total {self.total_timeout:g}s)"
                )
            except Exception as exc:  # a fetch reports every failure as a value
                result = FetchResult(status=FetchStatus.FAILED, url=url, error=_reason(exc))
            elapsed = time.monotonic() - started
        return replace(result, elapsed=elapsed)

    async def _get(
        self, url: str, headers: dict[str, str], limit: int, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers) as response:
            final_url = str(response.url)
            status = response.status_code
            received = {key.lower(): value for key, value in response.headers.items()}
            new_etag = response.headers.get("etag")
            new_modified = response.headers.get("last-modified")

            def failed(error: str) -> FetchResult:
                return FetchResult(
                    status=FetchStatus.FAILED,
                    url=url,
                    final_url=final_url,
                    http_status=status,
                    headers=received,
                    error=error,
                )

            if status == httpx.codes.NOT_MODIFIED:
                return FetchResult(
                    status=FetchStatus.NOT_MODIFIED,
                    url=url,
                    final_url=final_url,
                    http_status=status,
                    headers=received,
                    etag=new_etag or etag,
                    last_modified=new_modified or last_modified,
                )
            if not 200 <= status < 300:
                return failed(f"HTTP {status} {response.reason_phrase}".strip())
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return failed(f"too large: Content-Length {declared} > {limit} bytes")
            body = bytearray()
            # aiter_bytes yields decoded bytes, so the cap also stops a gzip bomb
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    return failed(f"too large: more than {limit} bytes")
            return FetchResult(
                status=FetchStatus.OK,
                url=url,
                final_url=final_url,
                http_status=status,
                body=bytes(body),
                headers=received,
                etag=new_etag,
                last_modified=new_modified,
            )
