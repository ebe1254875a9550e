"""Reading articles from files and stdin: the metadata a saved article carries with it."""

from __future__ import annotations

import datetime as dt
import io
import sys

import pytest

from summarizer import InputError
from summarizer.articles import read_file, read_stdin

from .conftest import ROOT

BODY = "On Monday the council voted to close the pier.\nRepairs start on Tuesday."


def test_front_matter_gives_title_date_link_and_site(tmp_path):
    path = tmp_path / "pier.md"
    path.write_text(
        "---\n"
        "title: Council closes the north pier\n"
        "source: https://example.org/news/pier\n"
        "site: Port Ellery Gazette\n"
        "published: 2026-03-09\n"
        "---\n" + BODY,
        encoding="utf-8",
    )
    article = read_file(path)
    assert article.text == BODY
    assert article.title == "Council closes the north pier"
    assert article.url == "https://example.org/news/pier"
    assert article.source == "Port Ellery Gazette"
    assert article.published == dt.date(2026, 3, 9)


def test_front_matter_source_that_is_not_a_link_is_the_site_and_a_timestamp_is_its_day(tmp_path):
    path = tmp_path / "pier.txt"
    path.write_text("---\nsource: Reuters\ndate: 2026-03-09T22:15:00Z\n---\n" + BODY)
    article = read_file(path)
    assert (article.source, article.url) == ("Reuters", None)
    assert article.published == dt.date(2026, 3, 9)
    assert article.title == "pier"  # no title given: the file name, as without front matter


def test_front_matter_on_stdin(monkeypatch):
    data = ("---\ntitle: Pier closed\npublished: 2026-03-09\n---\n" + BODY).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    article = read_stdin()
    assert (article.title, article.published, article.text) == (
        "Pier closed",
        dt.date(2026, 3, 9),
        BODY,
    )


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("title: [unclosed\n", "front matter is not valid YAML"),
        ("published: next week\n", "front matter 'published'"),
    ],
)
def test_bad_front_matter_is_one_clear_error(tmp_path, front_matter, message):
    path = tmp_path / "bad.md"
    path.write_text("---\n" + front_matter + "---\n" + BODY)
    with pytest.raises(InputError, match=message):
        read_file(path)


def test_front_matter_without_text_is_refused(tmp_path):
    path = tmp_path / "empty.md"
    path.write_text("---\ntitle: Nothing here\n---\n\n")
    with pytest.raises(InputError, match="no article text"):
        read_file(path)


def test_the_seed_article_carries_its_headline_and_date():
    article = read_file(ROOT / "seeds" / "kursk-ceasefire-talks.txt")
    assert article.title == "Fierce fighting in Kursk as Trump and Putin prepare to talk"
    assert article.published == dt.date(2025, 3, 17)
    assert article.text.startswith("On Monday, just a few miles behind the front lines")


def test_the_seed_article_text_is_the_shared_original():
    original = ROOT.parent / "shared" / "seeds" / "kursk-ceasefire-talks.txt"
    if not original.exists():
        pytest.skip("../shared is not beside this checkout")
    article = read_file(ROOT / "seeds" / "kursk-ceasefire-talks.txt")
    assert article.text == original.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "---\nNot a mapping, just words.\n---\nBody text.",
        "---\n\nA rule opens the article.\n\n---\nMore.",
    ],
)
def test_an_article_that_opens_with_a_rule_keeps_all_its_text(tmp_path, text):
    path = tmp_path / "ruled.md"
    path.write_text(text)
    assert read_file(path).text == text


def test_front_matter_numbers_are_read_as_text(tmp_path):
    path = tmp_path / "year.md"
    path.write_text("---\ntitle: 2024\n---\n" + BODY)
    assert read_file(path).title == "2024"
