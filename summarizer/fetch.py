"""Fetching articles over HTTP: the only module that makes HTTP requests (httpx).

Only http(s) URLs; bounded time (connect and read timeouts), size (the body is read in
chunks and abandoned past the limit) and redirects; every failure is one InputError line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from . import __version__
from .articles import MAX_ARTICLE_BYTES, Article, decode
from .errors import InputError

log = logging.getLogger("summarizer.fetch")

TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 5
_TEXT_TYPES = ("text/plain", "text/markdown")
ARTICLE_TYPES = ("text/html", "application/xhtml+xml", *_TEXT_TYPES)


class FetchError(InputError):
    """A URL could not be fetched, or what it returned is not an article."""


def check_url(url: str) -> str:
    """Return the URL if it is an absolute http(s) URL; raise FetchError otherwise."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs can be fetched")
    if not parts.hostname:
        raise FetchError(f"{url}: the URL has no host")
    return url


@dataclass(frozen=True)
class Fetched:
    """A fetched resource: its body, the URL it ended at and what the server said it is."""

    body: bytes
    url: str
    content_type: str
    charset: str | None


def fetch(
    url: str,
    *,
    accept: Collection[str] | None = ARTICLE_TYPES,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> Fetched:
    """GET a URL whose content type is one of `accept` (or undeclared; None takes any).

    Raises:
        FetchError: Not an http(s) URL, a network failure or timeout, an HTTP error status,
            another content type, or a body over `max_bytes`.

    """
    check_url(url)
    started = time.perf_counter()
    headers = {"User-Agent": f"summarizer/{__version__}", "Accept": ", ".join(accept or ["*/*"])}
    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(timeout),
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers=headers,
            ) as client,
            client.stream("GET", url) as response,
        ):
            _check_response(url, response, accept, max_bytes)
            fetched = Fetched(
                body=_read_limited(url, response, max_bytes),
                url=str(response.url),
                content_type=_content_type(response),
                charset=response.charset_encoding,
            )
    except httpx.TimeoutException:
        raise FetchError(f"{url}: timed out after {timeout:g}s") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
    except httpx.UnsupportedProtocol:
        raise FetchError(f"{url}: redirected to a URL that is not http(s)") from None
    except httpx.HTTPError as error:
        raise FetchError(f"{url}: cannot fetch: {error}") from None
    log.info(
        "fetched %s: %d bytes of %s in %.2fs",
        url,
        len(fetched.body),
        fetched.content_type,
        time.perf_counter() - started,
    )
    return fetched


def fetch_article(
    url: str,
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> Article:
    """Fetch a web page and extract its article (text, title, date, site).

    Raises:
        FetchError: What `fetch` raises.
        InputError: The page is not an article.

    """
    fetched = fetch(url, timeout=timeout, max_bytes=max_bytes)
    text = _decode(fetched.body, url, fetched.charset)
    if fetched.content_type in _TEXT_TYPES:
        if not text.strip():
            raise FetchError(f"{url}: the page is empty")
        return Article(text=text, url=fetched.url, source=urlsplit(fetched.url).hostname)
    from .extract import article_from_html

    return article_from_html(text, origin=url, url=fetched.url)


def _check_response(
    url: str, response: httpx.Response, accept: Collection[str] | None, max_bytes: int
) -> None:
    if response.status_code >= 400:
        reason = response.reason_phrase or "error"
        raise FetchError(f"{url}: the server answered HTTP {response.status_code} {reason}")
    content_type = _content_type(response)
    if accept is not None and content_type and content_type not in accept:
        raise FetchError(f"{url}: not an article page (content type {content_type})")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"{url}: the page is larger than {_megabytes(max_bytes)}")


def _read_limited(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    """The body, refusing it as soon as it grows past max_bytes (Content-Length can lie)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: the page is larger than {_megabytes(max_bytes)}")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, url: str, charset: str | None) -> str:
    """Decode with the charset the server declared; UTF-8 (strictly) when it declared none."""
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass  # an unknown charset name: try UTF-8
    return decode(body, url)


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"
