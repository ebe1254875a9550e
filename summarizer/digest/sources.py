"""Where digest articles come from: RSS/Atom feeds, folders of files, lists of URLs.

Listing a source is cheap (one feed request, one folder scan); an item's text is loaded
only when the state does not know its URL yet, so a run at any frequency stays light.

A feed's own URL was written in the config and is fetched wherever it points; the links a
feed or a URL list holds were written by strangers, and are fetched under the policy the
run gives (public addresses only, unless the config allows private ones).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from ..articles import HTML_SUFFIXES, TEXT_SUFFIXES, Article, read_file
from ..errors import InputError, SummarizerError
from ..fetch import FetchPolicy, fetch, fetch_article

log = logging.getLogger("summarizer.digest")

_URL_LIST_MAX_BYTES = 1024 * 1024
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
    """Lower-case scheme and host, no fragment, no tracking parameters, sorted query.

    A link that does not parse (an unclosed IPv6 literal) is kept as written: fetching
    it refuses it.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    query = sorted((k, v) for k, v in parse_qsl(parts.query, True) if not _TRACKING.match(k))
    path = parts.path if parts.path not in ("", "/") else "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def list_items(
    source: FeedSource | FolderSource | UrlListSource, policy: FetchPolicy | None = None
) -> list[Item]:
    """The articles a source lists now (texts of folder files are read, pages are not).

    A feed is fetched with `policy`'s time limit, from any address.
    """
    if isinstance(source, FeedSource):
        trusted = dataclasses.replace(policy or FetchPolicy(), allow_private=True)
        return list(_feed_items(source, trusted))
    if isinstance(source, FolderSource):
        return list(_folder_items(source))
    return [Item(url=url, source=source.name) for url in _urls(source)]


def load_text(item: Item, policy: FetchPolicy | None = None) -> Item:
    """Fetch and extract the item's page if its text is not known yet."""
    if item.text is None:
        page = fetch_article(item.url, policy=policy)
        item.title = item.title or page.title
        item.published = item.published or page.published
        item.dated = item.dated or item.published
        item.text = page.text
        item.url = page.url or item.url  # the page's canonical link, when it has one
    return item


# --- feeds -----------------------------------------------------------------------------


def _feed_items(source: FeedSource, policy: FetchPolicy) -> Iterator[Item]:
    import feedparser

    # feedparser is given bytes, never a URL: every request goes through summarizer.fetch.
    parsed = feedparser.parse(fetch(source.url, accept=None, policy=policy).body)
    if parsed.bozo and not parsed.entries:
        raise SourceError(f"{source.url}: not a readable RSS or Atom feed")
    name = source.name or parsed.feed.get("title") or urlsplit(source.url).netloc
    for entry in parsed.entries:
        link = entry.get("link")
        if not link or not isinstance(link, str):
            continue
        # dict.get: feedparser's own get maps a missing `updated` to `published`, warning.
        updated = dict.get(entry, "updated_parsed")
        published = _entry_date(entry.get("published_parsed") or updated)
        title = entry.get("title")
        yield Item(
            url=link.strip(),
            source=str(name),
            title=title if isinstance(title, str) and title.strip() else None,
            published=published,
            dated=published,
        )


def _entry_date(stamp: object) -> dt.date | None:
    """The entry's date; None for one feedparser could not make sense of (year 0, …)."""
    try:
        return dt.date(*stamp[:3]) if stamp else None  # type: ignore[index]
    except (TypeError, ValueError):
        return None


# --- folders and URL lists ----------------------------------------------------------------


def _folder_items(source: FolderSource) -> Iterator[Item]:
    if not source.path.is_dir():
        raise SourceError(f"{source.path}: no such folder")
    name = source.name or source.path.name
    try:
        paths = sorted(source.path.iterdir())
    except OSError as error:
        raise SourceError(f"{source.path}: cannot list the folder: {error.strerror}") from None
    for path in paths:
        suffix = path.suffix.lower()
        if path.name.startswith(".") or suffix not in TEXT_SUFFIXES | HTML_SUFFIXES:
            continue
        try:
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
        except OSError as error:  # a dangling link
            log.warning("skipping an article: %s: %s", path, error.strerror)
            continue
        try:
            article = read_file(path)  # with a page's or front matter's link and date
        except InputError as error:
            log.warning("skipping an article: %s", error)
            continue
        yield Item(
            url=article.url or path.resolve().as_uri(),
            source=article.source or name,
            title=article.title or path.stem,
            published=article.published,
            dated=article.published or modified,
            text=article.text,
        )


def _urls(source: UrlListSource) -> list[str]:
    urls = list(source.urls)
    if source.file is not None:
        try:
            if source.file.exists() and not source.file.is_file():
                raise SourceError(f"{source.file}: not a regular file")
            with source.file.open("rb") as file:
                data = file.read(_URL_LIST_MAX_BYTES + 1)
            lines = data.decode("utf-8").splitlines()
        except OSError as error:
            raise SourceError(f"{source.file}: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise SourceError(f"{source.file}: not valid UTF-8 text (byte {error.start})") from None
        if len(data) > _URL_LIST_MAX_BYTES:
            raise SourceError(f"{source.file}: a URL list larger than 1 MB")
        urls.extend(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    return urls
