"""Which links are fetched: public addresses only for links from feeds and URL lists, checked
again after every redirect, and the connection made to the address that was checked.

The names here (news.example, metadata.example) resolve through a fake resolver, and the
public addresses they resolve to reach a loopback server through a fake network: the tests
cannot reach the internet, and these error paths need a public-looking first hop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any, ClassVar

import httpcore
import pytest
from click.testing import CliRunner

from summarizer.cli import cli
from summarizer.fetch import FetchError, FetchPolicy, fetch_article
from summarizer.urls import AddressRefused, has_scheme, is_http_url, is_public_address
from summarizer.urls import public_addresses as checked_addresses

from .loopback import QuietHandler, serving
from .test_fetch import SITE, site  # noqa: F401  (the loopback server fixture)

PUBLIC = "93.184.216.34"  # a documentation-free, globally routed address (never contacted)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),  # loopback
        ("127.8.9.10", False),
        ("::1", False),
        ("10.1.2.3", False),  # private
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("fd12:3456::1", False),  # unique local
        ("169.254.169.254", False),  # link-local: the cloud metadata endpoint
        ("fe80::1", False),
        ("100.64.0.1", False),  # shared address space (CGNAT)
        ("100.127.255.254", False),
        ("0.0.0.0", False),  # unspecified
        ("::", False),
        ("224.0.0.1", False),  # multicast
        ("ff02::1", False),
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),  # broadcast
        ("192.0.2.10", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("::ffff:127.0.0.1", False),  # IPv4-mapped forms of the above
        ("::ffff:169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("::7f00:1", False),  # IPv4-compatible (deprecated) 127.0.0.1
    ],
)
def test_public_addresses_are_told_from_the_rest(address, public):
    assert is_public_address(address) is public


def test_a_name_with_any_private_address_is_refused_as_a_whole():
    def fake_resolver(host: str, port: int) -> list[str]:
        return [PUBLIC, "10.0.0.5"]

    with pytest.raises(AddressRefused, match=r"intranet\.example resolves to 10\.0\.0\.5"):
        checked_addresses("intranet.example", 80, fake_resolver)
    assert checked_addresses("8.8.4.4", 80, fake_resolver) == ["8.8.4.4"]  # a literal


@pytest.mark.parametrize(
    ("text", "url", "http"),
    [
        ("https://example.org/a", True, True),
        ("HTTP://example.org", True, True),
        ("ftp://example.org/a", True, False),
        ("file:///etc/passwd", True, False),
        ("javascript:alert(1)", False, False),
        ("http://", True, False),
        ("http://[::1", True, False),  # an unclosed IPv6 literal
        ("http://example.org:99999/", True, False),  # a port out of range
        ("notes/today.txt", False, False),
    ],
)
def test_url_rules(text, url, http):
    assert has_scheme(text) is url
    assert is_http_url(text) is http


# --- fetching through a fake resolver and a fake network ----------------------------------


class FakeResolver:
    """Answers each lookup of a name from a script (the last answer repeats); counts lookups."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        script = self.answers.get(host)
        if script is None:
            raise AddressRefused(f"cannot resolve {host}: fake resolver knows no such name")
        answer = script[min(self.lookups.count(host), len(script) - 1)]
        self.lookups.append(host)
        return answer


class FakeNetwork(httpcore.NetworkBackend):
    """A fake internet: each routed public address reaches a port on loopback.

    Records every connection asked for, and the name every TLS handshake checks.
    """

    def __init__(self, routes: dict[str, int]) -> None:
        self.routes = routes
        self.connected: list[tuple[str, int]] = []
        self.tls_names: list[str | None] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.connected.append((host, port))
        if host not in self.routes:
            raise httpcore.ConnectError(f"fake network: no route to {host}")
        stream = httpcore.SyncBackend().connect_tcp(
            "127.0.0.1", self.routes[host], timeout, local_address, socket_options
        )
        return _TlsRecorder(stream, self.tls_names)


class _TlsRecorder(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, names: list[str | None]) -> None:
        self._stream, self._names = stream, names

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # type: ignore[no-untyped-def]
        self._names.append(server_hostname)
        self._stream.close()
        raise httpcore.ConnectError("fake network: no TLS server here")

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _News(QuietHandler):
    """news.example: /story redirects to `redirect`; /article.html is an article page."""

    redirect: ClassVar[str] = ""
    hosts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        if self.path == "/story":
            self.send_body(302, b"", headers={"Location": self.redirect})
        else:
            page = (SITE / "article.html").read_bytes()
            self.send_body(200, page, "text/html; charset=utf-8")


def news_server(redirect: str = "") -> tuple[type[_News], Any]:
    handler = type("News", (_News,), {"redirect": redirect, "hosts": []})
    return handler, serving(handler)


def test_a_redirect_from_a_public_name_to_a_private_address_is_refused():
    handler, server = news_server(redirect="http://metadata.example/latest/meta-data/")
    resolver = FakeResolver({"news.example": [[PUBLIC]], "metadata.example": [["169.254.169.254"]]})
    with server as root:
        network = FakeNetwork({PUBLIC: int(root.rsplit(":", 1)[1])})
        policy = FetchPolicy(resolve=resolver, network=network)
        with pytest.raises(FetchError) as caught:
            fetch_article("http://news.example/story", policy=policy)
    message = str(caught.value)
    assert message.startswith("http://news.example/story: metadata.example resolves to ")
    assert "169.254.169.254, which is not a public address" in message
    assert network.connected == [(PUBLIC, 80)]  # the metadata endpoint was never contacted
    assert handler.hosts == ["news.example"]  # the first hop was fetched, under its name


def test_a_redirect_to_a_literal_private_address_is_refused():
    handler, server = news_server()
    with server as root:
        handler.redirect = f"{root}/article.html"  # http://127.0.0.1:port
        network = FakeNetwork({PUBLIC: int(root.rsplit(":", 1)[1])})
        policy = FetchPolicy(resolve=FakeResolver({"news.example": [[PUBLIC]]}), network=network)
        with pytest.raises(FetchError, match=r"127\.0\.0\.1 is not a public address"):
            fetch_article("http://news.example/story", policy=policy)
    assert network.connected == [(PUBLIC, 80)]


def test_the_connection_goes_to_the_address_that_was_checked():
    # A rebinding name: public when checked, loopback on any later lookup.
    resolver = FakeResolver({"news.example": [[PUBLIC], ["127.0.0.1"]]})
    handler, server = news_server()
    with server as root:
        network = FakeNetwork({PUBLIC: int(root.rsplit(":", 1)[1])})
        article = fetch_article(
            "http://news.example/article.html",
            policy=FetchPolicy(resolve=resolver, network=network),
        )
    assert article.url == "http://news.example/article.html" and "Mirela Santos" in article.text
    assert resolver.lookups == ["news.example"]  # resolved once, never again
    assert network.connected == [(PUBLIC, 80)]  # to the checked address, not the name
    assert handler.hosts == ["news.example"]  # with the name in the Host header


def test_tls_checks_the_certificate_for_the_name_not_the_address():
    _, server = news_server()
    with server as root:
        network = FakeNetwork({PUBLIC: int(root.rsplit(":", 1)[1])})
        policy = FetchPolicy(resolve=FakeResolver({"news.example": [[PUBLIC]]}), network=network)
        with pytest.raises(FetchError, match="cannot fetch: fake network: no TLS server here"):
            fetch_article("https://news.example/a", policy=policy)
    assert network.connected == [(PUBLIC, 443)]
    assert network.tls_names == ["news.example"]  # SNI and the certificate check


def test_a_resolver_that_never_answers_is_cut_at_the_deadline():
    def fake_hanging_resolver(host: str, port: int) -> list[str]:
        time.sleep(5)
        return [PUBLIC]

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.3s"):
        fetch_article(
            "http://news.example/a",
            policy=FetchPolicy(timeout=0.3, resolve=fake_hanging_resolver, network=FakeNetwork({})),
        )
    assert time.monotonic() - started < 1.5


def test_a_private_address_is_fetched_when_allowed():
    _, server = news_server()
    with server as root:
        article = fetch_article(f"{root}/article.html", policy=FetchPolicy(allow_private=True))
    assert "Mirela Santos" in article.text


def test_by_default_a_loopback_link_is_refused_before_any_connection():
    network = FakeNetwork({})
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 is not a public address"):
        fetch_article("http://127.0.0.1:9/a", policy=FetchPolicy(network=network))
    assert network.connected == []


# --- the CLI: a typed URL may be local, a listed one may not ---------------------------------


def test_a_local_url_typed_on_the_command_line_is_fetched(site):  # noqa: F811
    result = CliRunner().invoke(
        cli, ["summarize", f"{site}/article.html", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["article"]["url"] == f"{site}/article.html"


def test_a_local_url_in_a_url_list_is_refused_by_default(site, tmp_path):  # noqa: F811
    listing = tmp_path / "reading.urls"
    listing.write_text(f"{site}/article.html\n")
    result = CliRunner().invoke(cli, ["summarize", str(listing)], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"error: {site}/article.html: 127.0.0.1 is not a public address" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
