"""Fetching pages from a loopback HTTP server: articles, errors, limits."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer.errors import InputError
from summarizer.fetch import FetchError, FetchPolicy, check_url, fetch_article

from .loopback import QuietHandler, serving

SITE = Path(__file__).parent / "articles" / "cli" / "site"


# Redirects: (status, Location) by path; the Location is sent as is, broken or not.
REDIRECTS = {
    "/to-ftp": (302, "ftp://127.0.0.1/file"),
    "/to-nowhere": (302, "http://[::1"),  # a Location that is no URL at all
    "/loop": (302, "/loop"),
    "/moved": (301, "/article.html"),
}


class _Site(QuietHandler):
    """Serves tests/articles/cli/site, plus a few pages that misbehave on purpose."""

    def do_GET(self) -> None:
        if self.path in REDIRECTS:
            return self.redirect(*REDIRECTS[self.path])
        if self.path == "/slow.html":
            time.sleep(2)
            return self.send_body(200, b"<html><body>late</body></html>", "text/html")
        if self.path == "/drip.html":  # a few bytes a second, each read well within a timeout
            return self.drip(b"<html><body>" + b"word " * 16 + b"</body></html>", "text/html")
        if self.path == "/gzip.html":
            return self._gzipped(gzip.compress((SITE / "article.html").read_bytes()))
        if self.path == "/bomb.html":  # a small body that inflates past the size limit
            return self._gzipped(gzip.compress(b"0" * 10_000_000))
        if self.path == "/corrupt.html":
            return self._gzipped(b"\x1f\x8b not gzip at all")
        if self.path == "/image.png":
            return self.send_body(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
        if self.path == "/big.html":
            return self.send_body(200, b"<html><body>" + b"word " * 40_000, "text/html")
        if self.path == "/plain.txt":
            text = (SITE / "article.html").read_bytes()
            return self.send_body(200, text, "text/plain; charset=utf-8")
        return self.send_file(SITE / self.path.lstrip("/"))

    def _gzipped(self, body: bytes) -> None:
        self.send_body(200, body, "text/html", headers={"Content-Encoding": "gzip"})


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """Base URL of a loopback server with the test pages."""
    with serving(_Site) as root:
        yield root


# The test server is on loopback: these tests allow private addresses, as a URL typed on
# the command line does (tests/test_urls.py covers the default, which refuses them).
LOCAL = FetchPolicy(allow_private=True)


def test_fetch_extracts_text_title_date_and_site(site):
    article = fetch_article(f"{site}/article.html", policy=LOCAL)
    assert article.title == "Valmora ferry crews vote to strike from Tuesday"
    assert article.published is not None and article.published.isoformat() == "2026-03-09"
    assert article.source == "Coastline Courier"
    assert article.url == f"{site}/article.html"
    assert "Mirela Santos" in article.text
    assert "Sport" not in article.text  # navigation is not article text


def test_fetch_follows_redirects_and_keeps_the_final_url(site):
    article = fetch_article(f"{site}/moved", policy=LOCAL)
    assert article.url == f"{site}/article.html"


def test_fetch_plain_text_is_taken_as_is(site):
    article = fetch_article(f"{site}/plain.txt", policy=LOCAL)
    assert article.text.startswith("<!doctype html>")
    assert article.source == "127.0.0.1"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing.html", "HTTP 404"),
        ("/image.png", "not an article page (content type image/png)"),
        ("/login.html", "not an article page"),
        ("/to-ftp", "not http(s)"),
        ("/to-nowhere", "redirected to"),
        ("/loop", "more than 5 redirects"),
    ],
)
def test_fetch_failures_are_one_clear_line(site, path, message):
    with pytest.raises(InputError) as caught:
        fetch_article(f"{site}{path}", policy=LOCAL)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert text.startswith(f"{site}{path}: ")


def test_fetch_refuses_a_body_over_the_size_limit(site):
    with pytest.raises(FetchError, match="larger than"):
        fetch_article(f"{site}/big.html", max_bytes=100_000, policy=LOCAL)


def test_fetch_gives_up_after_the_timeout(site):
    with pytest.raises(FetchError, match=r"timed out after 0\.3s"):
        fetch_article(f"{site}/slow.html", policy=FetchPolicy(timeout=0.3, allow_private=True))


def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(site):
    # Each read gets bytes at once: a timeout per read would never fire, and the page
    # would take several times the deadline to arrive. One deadline covers the whole fetch.
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.5s"):
        fetch_article(f"{site}/drip.html", policy=FetchPolicy(timeout=0.5, allow_private=True))
    assert time.monotonic() - started < 1.5


def test_a_gzipped_page_is_read(site):
    article = fetch_article(f"{site}/gzip.html", policy=LOCAL)
    assert "Mirela Santos" in article.text


@pytest.mark.parametrize(
    ("path", "message"),
    [("/bomb.html", "larger than 5 MB"), ("/corrupt.html", "gzip body is corrupt")],
)
def test_a_gzip_bomb_or_a_corrupt_body_is_refused(site, path, message):
    with pytest.raises(FetchError, match=message):
        fetch_article(f"{site}{path}", policy=LOCAL)


def test_fetch_reports_an_unreachable_host():
    # Port 9 (discard) on loopback: nothing listens there.
    with pytest.raises(FetchError, match="cannot fetch"):
        fetch_article(
            "http://127.0.0.1:9/article.html", policy=FetchPolicy(timeout=2, allow_private=True)
        )


@pytest.mark.parametrize(
    "url", ["ftp://example.org/a.html", "file:///etc/passwd", "javascript:alert(1)", "http://"]
)
def test_only_http_urls_with_a_host_are_accepted(url):
    with pytest.raises(FetchError):
        check_url(url)
