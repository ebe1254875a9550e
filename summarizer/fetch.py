"""Fetching articles over HTTP: the only module that makes HTTP requests (httpcore).

Only http(s) URLs; bounded size (the body is read in chunks and abandoned past the limit),
redirects (followed here, each target checked like the first URL) and time: one deadline
covers the whole fetch, connection, redirects and every read, so a server that drips a
few bytes a second is cut off at the deadline. Unless private addresses are allowed, each
host is resolved once, every address checked (`summarizer.urls`), and the connection made
to the checked address, so a second DNS answer cannot swap in another one. The lookup
counts against the deadline too. Every failure is one FetchError line.

httpcore is used beneath httpx because it takes a network backend: that is where the
address check, the pinned connection and the deadline live. Environment proxies are not
used: a proxy would resolve the names itself, past the check. One module, longer than
most, because the deadline, the address check and the redirects are one fetch's state.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
import typing
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore
import httpx

from . import __version__
from .articles import MAX_ARTICLE_BYTES, Article, decode
from .errors import InputError
from .urls import (
    AddressRefused,
    Resolver,
    addresses_of,
    http_url_problem,
    is_http_url,
    public_addresses,
    shown,
    system_resolver,
)

log = logging.getLogger("summarizer.fetch")

TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_TEXT_TYPES = ("text/plain", "text/markdown")
ARTICLE_TYPES = ("text/html", "application/xhtml+xml", *_TEXT_TYPES)
_CHUNK = 64 * 1024


class FetchError(InputError):
    """A URL could not be fetched, or what it returned is not an article."""


@dataclass(frozen=True)
class FetchPolicy:
    """How long a fetch may take and which addresses it may reach.

    Attributes:
        timeout: Seconds for the whole fetch: connecting, redirects and reading the body.
        allow_private: Fetch from loopback, private and link-local addresses too (a URL the
            user typed, or an intranet feed); False checks every host, redirects included.
        resolve: Turns a host into addresses (the system resolver; tests inject a fake).
        network: The connections beneath (httpcore's sockets; tests inject a fake).

    """

    timeout: float = TIMEOUT_SECONDS
    allow_private: bool = False
    resolve: Resolver = system_resolver
    network: httpcore.NetworkBackend | None = field(default=None, compare=False)


def check_url(url: str) -> str:
    """Return the URL if it is an absolute http(s) URL; raise FetchError otherwise."""
    problem = http_url_problem(url)
    if problem is not None:
        raise FetchError(f"{shown(url)}: {problem}")
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
    max_bytes: int = MAX_ARTICLE_BYTES,
    policy: FetchPolicy | None = None,
) -> Fetched:
    """GET a URL whose content type is one of `accept` (or undeclared; None takes any).

    Raises:
        FetchError: Not an http(s) URL, an address that is not allowed, a network failure,
            the deadline passed, an HTTP error status, another content type, or a body
            over `max_bytes`.

    """
    policy = policy or FetchPolicy()
    check_url(url)
    started = time.monotonic()
    network = _GuardedNetwork(policy, started + policy.timeout)
    headers = {
        "User-Agent": f"summarizer/{__version__}",
        "Accept": ", ".join(accept or ["*/*"]),
        "Accept-Encoding": "gzip, deflate",
    }
    try:
        with httpcore.ConnectionPool(network_backend=network, ssl_context=_ssl_context()) as pool:
            fetched = _follow(pool, url, headers, accept, max_bytes, policy.timeout)
    except httpcore.TimeoutException:
        raise FetchError(f"{url}: timed out after {policy.timeout:g}s") from None
    except AddressRefused as error:
        raise FetchError(f"{url}: {error}") from None
    except (
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.ProxyError,
        httpcore.UnsupportedProtocol,
    ) as error:
        raise FetchError(f"{url}: cannot fetch: {error or type(error).__name__}") from None
    log.info(
        "fetched %s: %d bytes of %s in %.2fs",
        url,
        len(fetched.body),
        fetched.content_type,
        time.monotonic() - started,
    )
    return fetched


def _follow(
    pool: httpcore.ConnectionPool,
    url: str,
    headers: dict[str, str],
    accept: Collection[str] | None,
    max_bytes: int,
    timeout: float,
) -> Fetched:
    """GET the URL, following redirects here so that each target is checked first."""
    current = _parse(url, url)
    seconds = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    for _ in range(MAX_REDIRECTS + 1):
        request = httpcore.Request(
            "GET",
            httpcore.URL(
                scheme=current.raw_scheme,
                host=current.raw_host,
                port=current.port,
                target=current.raw_path,
            ),
            headers=[*headers.items(), ("Host", current.netloc.decode("ascii"))],
            extensions={"timeout": seconds},
        )
        response = pool.handle_request(request)
        try:
            location = _header(response, "location")
            if response.status in _REDIRECTS and location:
                current = _redirect(current, location, url)
                continue
            _check_response(url, response, accept, max_bytes)
            kind = _header(response, "content-type") or ""
            return Fetched(
                body=_read_limited(url, response, max_bytes),
                url=str(current),
                content_type=_content_type(kind),
                charset=_charset(kind),
            )
        finally:
            response.close()
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def fetch_article(
    url: str, *, max_bytes: int = MAX_ARTICLE_BYTES, policy: FetchPolicy | None = None
) -> Article:
    """Fetch a web page and extract its article (text, title, date, site).

    Raises:
        FetchError: What `fetch` raises.
        InputError: The page is not an article.

    """
    fetched = fetch(url, max_bytes=max_bytes, policy=policy)
    text = _decode(fetched.body, url, fetched.charset)
    if fetched.content_type in _TEXT_TYPES:
        if not text.strip():
            raise FetchError(f"{url}: the page is empty")
        return Article(text=text, url=fetched.url, source=urlsplit(fetched.url).hostname)
    from .extract import article_from_html

    return article_from_html(text, origin=url, url=fetched.url)


class _Deadline:
    """A moment every network operation of one fetch must finish by."""

    def __init__(self, at: float) -> None:
        self.at = at

    def clamp(self, timeout: float | None, expired: type[Exception]) -> float:
        """The timeout for one operation: what is left of the deadline, at most."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise expired("the fetch deadline passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # The certificate is checked against server_hostname: the URL's host, not the
        # address the connection was pinned to.
        try:
            limit = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
            secure = self._stream.start_tls(ssl_context, server_hostname, limit)
        except Exception:
            self._stream.close()  # as httpcore's own streams do: no socket left open
            raise
        return _DeadlineStream(secure, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _GuardedNetwork(httpcore.NetworkBackend):
    """Connects only to checked addresses, and gives each connection the fetch's deadline."""

    def __init__(self, policy: FetchPolicy, deadline: float) -> None:
        self._policy = policy
        self._deadline = _Deadline(deadline)
        self._network = policy.network or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        if self._policy.allow_private:
            addresses = addresses_of(host, port, self._resolve)
        else:
            addresses = public_addresses(host, port, self._resolve)
        failure: Exception | None = None
        for address in addresses:  # connect to what was checked; never resolve the name again
            limit = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._network.connect_tcp(
                    address, port, limit, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
                continue
            return _DeadlineStream(stream, self._deadline)
        assert failure is not None
        raise failure

    def _resolve(self, host: str, port: int) -> list[str]:
        """The resolver's answer, waited for until the deadline: a resolver has no timeout."""
        answer: queue.Queue[list[str] | Exception] = queue.Queue(maxsize=1)

        def look_up() -> None:
            try:
                answer.put(self._policy.resolve(host, port))
            except Exception as error:  # handed to the fetch, which reports it
                answer.put(error)

        threading.Thread(target=look_up, name=f"resolve {host}", daemon=True).start()
        try:
            outcome = answer.get(timeout=self._deadline.clamp(None, httpcore.ConnectTimeout))
        except queue.Empty:
            raise httpcore.ConnectTimeout(f"resolving {host} outlasted the deadline") from None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _ssl_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _redirect(current: httpx.URL, location: str, origin: str) -> httpx.URL:
    """Where a redirect leads, if it is an http(s) URL."""
    try:
        target = str(current.join(location))
    except httpx.InvalidURL as error:
        raise FetchError(f"{origin}: redirected to an invalid URL: {error}") from None
    if not is_http_url(target):
        raise FetchError(f"{origin}: redirected to a URL that is not http(s)")
    return _parse(target, origin)


def _parse(url: str, origin: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as error:
        raise FetchError(f"{origin}: invalid URL: {error}") from None


def _header(response: httpcore.Response, name: str) -> str | None:
    wanted = name.encode()
    values = [v for k, v in response.headers if k.lower() == wanted]
    return values[-1].decode("latin-1").strip() if values else None


def _check_response(
    url: str, response: httpcore.Response, accept: Collection[str] | None, max_bytes: int
) -> None:
    if response.status >= 400:
        reason = response.extensions.get("reason_phrase", b"").decode("latin-1") or "error"
        raise FetchError(f"{url}: the server answered HTTP {response.status} {reason}")
    content_type = _content_type(_header(response, "content-type") or "")
    if accept is not None and content_type and content_type not in accept:
        raise FetchError(f"{url}: not an article page (content type {content_type})")
    length = _header(response, "content-length") or ""
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"{url}: the page is larger than {_megabytes(max_bytes)}")


def _read_limited(url: str, response: httpcore.Response, max_bytes: int) -> bytes:
    """The body, refusing it as soon as it grows past max_bytes (Content-Length can lie)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in _decoded(url, response):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: the page is larger than {_megabytes(max_bytes)}")
        chunks.append(chunk)
    return b"".join(chunks)


def _decoded(url: str, response: httpcore.Response) -> Iterator[bytes]:
    """The body's bytes, gunzipped or inflated as the server encoded them."""
    encoding = (_header(response, "content-encoding") or "identity").lower()
    if encoding in ("identity", ""):
        yield from response.iter_stream()
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"{url}: unsupported content encoding {encoding!r}")
    # wbits 47 reads gzip and zlib streams alike; the output is bounded per chunk so a
    # small compressed body cannot expand into memory past the size limit.
    inflater = zlib.decompressobj(wbits=47)
    try:
        for chunk in response.iter_stream():
            data = inflater.decompress(chunk, _CHUNK)
            while data:
                yield data
                data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
        yield inflater.flush()
    except zlib.error:
        raise FetchError(f"{url}: the {encoding} body is corrupt") from None


def _decode(body: bytes, url: str, charset: str | None) -> str:
    """Decode with the charset the server declared; UTF-8 (strictly) when it declared none."""
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass  # an unknown charset name: try UTF-8
    return decode(body, url)


def _content_type(header: str) -> str:
    return header.split(";")[0].strip().lower()


def _charset(header: str) -> str | None:
    for parameter in header.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"
