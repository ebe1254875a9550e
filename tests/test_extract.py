"""Extracting the article and its metadata from HTML pages (trafilatura)."""

from __future__ import annotations

import pytest

from summarizer.articles import read_file
from summarizer.errors import InputError
from summarizer.extract import article_from_html

from .test_fetch import SITE


def test_article_page_gives_text_and_metadata():
    html = (SITE / "article.html").read_text(encoding="utf-8")
    article = article_from_html(html, origin="article.html")
    assert article.title == "Valmora ferry crews vote to strike from Tuesday"
    assert article.published is not None and article.published.isoformat() == "2026-03-09"
    assert article.source == "Coastline Courier"
    assert article.url is None
    assert "Paul Hendry" in article.text
    assert "© Coastline Courier" not in article.text


def test_html_files_go_through_the_same_extraction():
    article = read_file(SITE / "second.html")
    assert article.title == "Orlen Valley council approves flood wall"
    assert article.source == "Valley Gazette"
    assert article.published is not None and article.published.isoformat() == "2026-02-20"
    assert "<p>" not in article.text


def test_page_without_an_article_is_a_clear_error():
    html = (SITE / "login.html").read_text(encoding="utf-8")
    with pytest.raises(InputError, match=r"^login.html: not an article page \(only \d+ words"):
        article_from_html(html, origin="login.html")


def test_site_name_falls_back_to_the_host_without_its_port():
    html = (SITE / "article.html").read_text(encoding="utf-8")
    html = html.replace('<meta property="og:site_name" content="Coastline Courier">', "")
    html = html.replace(" | Coastline Courier", "")
    article = article_from_html(html, origin="x", url="http://127.0.0.1:8123/article.html")
    assert article.source == "127.0.0.1"
