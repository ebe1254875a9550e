"""Main text and metadata (title, publication date, site) from an HTML page, with trafilatura."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlsplit

from .articles import Article
from .errors import InputError
from .urls import is_http_url

log = logging.getLogger("summarizer.extract")

# Fewer words than this in the main text: a login form, an index page, a paywall stub.
MIN_ARTICLE_WORDS = 20


def article_from_html(html: str, origin: str, url: str | None = None) -> Article:
    """Extract an Article from an HTML page.

    Args:
        html: The page's HTML.
        origin: Where it came from (a path or URL), used in error messages.
        url: The page's URL, when it was fetched. The Article keeps the page's canonical
            link if it declares one (the same story reached through a tracking link or a
            syndicating site is then one article), else this URL.

    Raises:
        InputError: The page holds no article text (too little main text to summarise).

    """
    import trafilatura  # slow to import; only HTML inputs need it

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
    )
    fields: dict[str, Any] = {}
    if document is not None:
        fields = document if isinstance(document, dict) else document.as_dict()
    text = (fields.get("text") or "").strip()
    words = len(text.split())
    if words < MIN_ARTICLE_WORDS:
        raise InputError(
            f"{origin}: not an article page (only {words} words of main text were found)"
        )
    article = Article(
        text=text,
        title=fields.get("title") or None,
        url=_canonical(fields.get("url"), url),
        source=_source(fields.get("sitename"), url),
        published=_date(fields.get("date")),
    )
    log.info(
        "%s: %d words, title %r, published %s, site %s",
        origin,
        words,
        article.title,
        article.published,
        article.source,
    )
    return article


def _canonical(declared: str | None, fetched: str | None) -> str | None:
    return declared if is_http_url(declared) else fetched


def _source(sitename: str | None, url: str | None) -> str | None:
    """The site's name; trafilatura falls back to `host:port`, which we trim to the host."""
    if url is None:
        return sitename or None
    parts = urlsplit(url)
    if not sitename or sitename in (parts.netloc, parts.hostname):
        return parts.hostname or None
    return sitename


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
