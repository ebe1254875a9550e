"""Where digest articles come from: RSS/Atom feeds, folders of files, lists of URLs.

Listing a source is cheap (one feed request, one folder scan); an item's text is loaded
only when the state does not know its URL yet, so a run at any frequency stays light.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from ..articles import HTML_SUFFIXES, TEXT_SUFFIXES, Article, decode, read_file
from ..errors import InputError, SummarizerError

log = logging.getLogger("summarizer.digest")

MAX_PAGE_BYTES = 5 * 1024 * 1024
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|cmpid|at_medium)$")


class SourceError(SummarizerError):
    """A source or one of its articles could not be read."""


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="Shown in the email; default: derived.")


class FeedSource(_Source):
    """An RSS or Atom feed; each entry's page is fetched and its text extracted."""

    type: Literal["feed"]
    url: str


class FolderSource(_Source):
    """A folder of article files (.txt, .md, .html)."""

    type: Literal["folder"]
    path: Path


class UrlListSource(_Source):
    """Article URLs, given inline or in a file with one URL per line (# comments)."""

    type: Literal["urls"]
    urls: list[str] = Field(default_factory=list)
    file: Path | None = None


SourceConfig = Annotated[FeedSource | FolderSource | UrlListSource, Field(discriminator="type")]


@dataclass
class Item:
    """An article a source lists; `text` is None until loaded."""

    url: str
    source: str | None
    title: str | None = None
    published: dt.date | None = None
    # The date the age limit is checked against: publication, else the file's mtime.
    dated: dt.date | None = None
    text: str | None = None

    @property
    def canonical_url(self) -> str:
        """The URL with tracking parameters and fragment removed."""
        return canonical_url(self.url)

    def article(self) -> Article:
        """The Article to summarise; its text must be loaded."""
        if not self.text:
            raise InputError(f"{self.url}: no article text")
        return Article(
            text=self.text,
            title=self.title,
            url=self.url,
            source=self.source,
            published=self.published,
        )


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, sorted query."""
    parts = urlsplit(url.strip())
    query = sorted((k, v) for k, v in parse_qsl(parts.query, True) if not _TRACKING.match(k))
    path = parts.path if parts.path not in ("", "/") else "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def content_hash(text: str) -> str:
    """SHA-256 of the text with case and whitespace normalised: equal for syndicated copies."""
    normal = " ".join(text.casefold().split())
    return hashlib.sha256(normal.encode()).hexdigest()


def list_items(source: FeedSource | FolderSource | UrlListSource) -> list[Item]:
    """The articles a source lists now (texts of folder files are read, pages are not)."""
    if isinstance(source, FeedSource):
        return list(_feed_items(source))
    if isinstance(source, FolderSource):
        return list(_folder_items(source))
    return [Item(url=url, source=source.name) for url in _urls(source)]


def load_text(item: Item) -> Item:
    """Fetch and extract the item's page if its text is not known yet."""
    if item.text is None:
        page = fetch_page(item.url)
        item.title = item.title or page.title
        item.published = item.published or page.published
        item.dated = item.dated or item.published
        item.text = page.text
        if page.canonical:
            item.url = page.canonical
    return item


# --- feeds -----------------------------------------------------------------------------


def _feed_items(source: FeedSource) -> Iterator[Item]:
    import feedparser

    # feedparser is given bytes, never a URL: every request goes through one client.
    parsed = feedparser.parse(_get(source.url))
    if parsed.bozo and not parsed.entries:
        raise SourceError(f"{source.url}: not a readable RSS or Atom feed")
    name = source.name or parsed.feed.get("title") or urlsplit(source.url).netloc
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = dt.date(*stamp[:3]) if stamp else None
        yield Item(
            url=link,
            source=name,
            title=entry.get("title") or None,
            published=published,
            dated=published,
        )


# --- folders and URL lists ----------------------------------------------------------------


def _folder_items(source: FolderSource) -> Iterator[Item]:
    if not source.path.is_dir():
        raise SourceError(f"{source.path}: no such folder")
    name = source.name or source.path.name
    for path in sorted(source.path.iterdir()):
        suffix = path.suffix.lower()
        if path.name.startswith(".") or suffix not in TEXT_SUFFIXES | HTML_SUFFIXES:
            continue
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
        if suffix in HTML_SUFFIXES:
            page = html_to_page(decode(path.read_bytes(), str(path)), path.as_uri())
            article = Article(
                text=page.text,
                title=page.title or path.stem,
                url=page.canonical,
                published=page.published,
            )
        else:
            article = read_file(path)  # front matter may give its link, site and date
        yield Item(
            url=article.url or path.resolve().as_uri(),
            source=article.source or name,
            title=article.title,
            published=article.published,
            dated=article.published or modified,
            text=article.text,
        )


def _urls(source: UrlListSource) -> list[str]:
    urls = list(source.urls)
    if source.file is not None:
        try:
            lines = source.file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise SourceError(f"{source.file}: {error.strerror}") from None
        urls.extend(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    return urls


# --- fetching and extraction ---------------------------------------------------------------
# A minimal httpx + trafilatura helper, kept here until summarizer.fetch exists to merge with.


@dataclass
class Page:
    """A fetched page's extracted text and metadata."""

    text: str
    title: str | None = None
    published: dt.date | None = None
    canonical: str | None = None


def fetch_page(url: str) -> Page:
    """Fetch an article page over HTTP(S) and extract its main text."""
    return html_to_page(decode(_get(url), url), url)


def html_to_page(html: str, url: str) -> Page:
    """Extract the main text, title, date and canonical URL of an HTML page."""
    import trafilatura

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False)
    if not text or not text.strip():
        raise SourceError(f"{url}: no article text found in the page")
    meta = trafilatura.extract_metadata(html, default_url=url)
    published = None
    if meta is not None and meta.date:
        try:
            published = dt.date.fromisoformat(meta.date[:10])
        except ValueError:
            published = None
    canonical = meta.url if meta is not None and meta.url and meta.url != url else None
    return Page(
        text=text.strip(),
        title=meta.title if meta is not None else None,
        published=published,
        canonical=canonical if canonical and canonical.startswith(("http:", "https:")) else None,
    )


def _get(url: str) -> bytes:
    import httpx

    if urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(f"{url}: only http and https URLs can be fetched")
    started = time.perf_counter()
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                timeout=httpx.Timeout(20.0),
                headers={"User-Agent": "summarizer-digest/0.1"},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise SourceError(f"{url}: HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_PAGE_BYTES:
                    raise SourceError(f"{url}: larger than {MAX_PAGE_BYTES // 1024 // 1024} MB")
    except httpx.HTTPError as error:
        raise SourceError(f"{url}: {type(error).__name__}: {error}") from None
    log.debug("fetched %s in %.2fs", url, time.perf_counter() - started)
    return bytes(body)
