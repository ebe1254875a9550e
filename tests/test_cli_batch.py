"""The CLI on real work, replayed from fixtures recorded with the embedded model: a page
served on loopback, a URL list with a failing URL, every output format, a folder of 20.

Each article is summarised by the model once; later tests read the same answer (in record
mode they pass `--cache auto`, so the model is not asked again).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from html.parser import HTMLParser

from click.testing import CliRunner

from summarizer.cli import cli

from .conftest import RECORDING
from .test_fetch import SITE, site  # noqa: F401  (the loopback server fixture)

TITLE = "Valmora ferry crews vote to strike from Tuesday"
# Already recorded by an earlier test in this file: read it, don't ask the model again.
AGAIN = ["--cache", "auto"] if RECORDING else []


def run(*args: str, input: str | None = None):
    runner = CliRunner()
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def test_url_summary_takes_title_date_and_site_from_the_page(site):  # noqa: F811
    result = run("summarize", f"{site}/article.html", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    article = data["article"]
    assert article["title"] == TITLE
    assert article["published"] == "2026-03-09"
    assert article["source"] == "Coastline Courier"
    assert article["url"] == f"{site}/article.html"
    assert data["summary"]["actors"] and data["summary"]["events"]
    # Published on Monday 9 March 2026: "Tuesday" is the 10th.
    for event in data["summary"]["events"]:
        if event["when"] and "tuesday" in event["when"].lower():
            assert event["date"] == "2026-03-10", event
    assert "usage: 1 article," in result.stderr
    assert "$0 (local model)" in result.stderr
    assert f"✓ {site}/article.html: local:" in result.stderr  # which model answered


def test_url_list_batch_reports_the_failing_url_and_exits_1(site, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SUMMARIZER_ALLOW_PRIVATE_ADDRESSES", "1")  # the listed pages are local
    listing = tmp_path / "reading.urls"
    listing.write_text(
        f"# this week's reading\n{site}/article.html\n{site}/missing.html\n{site}/moved\n"
    )
    result = run("summarize", str(listing), "--format", "jsonl", *AGAIN)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    articles = [json.loads(line)["article"] for line in lines]
    assert [a["title"] for a in articles] == [TITLE, TITLE]
    # /moved redirects to the article: the final URL is kept.
    assert [a["url"] for a in articles] == [f"{site}/article.html"] * 2
    assert "1 of 3 inputs failed" in result.stderr
    assert f"error: {site}/missing.html: the server answered HTTP 404" in result.stderr
    assert "usage: 2 articles," in result.stderr
    assert "Traceback" not in result.stderr


def _summarize_file(fmt: str, *extra: str):
    result = run("summarize", str(SITE / "article.html"), "--format", fmt, *AGAIN, *extra)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_json_format_is_one_object_with_provenance():
    data = json.loads(_summarize_file("json"))
    assert data["article"]["title"] == TITLE
    assert data["provenance"]["model"].startswith("local:")
    assert data["provenance"]["cache_hit"] is True


def test_jsonl_format_is_one_line_per_article():
    lines = _summarize_file("jsonl").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["summary"]["summary"]


def test_markdown_format_has_title_and_sections():
    text = _summarize_file("markdown")
    assert text.startswith(f"# {TITLE}\n")
    assert "Coastline Courier · 2026-03-09" in text
    for heading in ("## Key points", "## Actors", "## Events"):
        assert heading in text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_format_is_a_self_contained_page():
    page = _summarize_file("html")
    parser = _Collector()
    parser.feed(page)
    assert parser.tags[0] == "html" and "body" in parser.tags
    assert TITLE in "".join(parser.text)
    assert "Mirela Santos" in "".join(parser.text)
    assert 'src="http' not in page and "<link " not in page  # no outside resources


def test_terminal_format_shows_summary_actors_and_events():
    text = _summarize_file("terminal")
    assert TITLE in text
    assert "Actors" in text and "Events" in text
    assert "Coastline Courier · 2026-03-09" in text


def test_output_folder_gets_one_file_per_article_under_a_stable_name(site, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SUMMARIZER_ALLOW_PRIVATE_ADDRESSES", "1")  # the listed pages are local
    listing = tmp_path / "two.urls"
    listing.write_text(f"{site}/article.html\n{site}/moved\n")
    out = tmp_path / "out"
    first = run("summarize", str(listing), "-f", "markdown", "-o", str(out), *AGAIN)
    assert first.exit_code == 0, first.stderr
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].startswith("article-") and names[1].startswith("moved-")
    assert all(name.endswith(".md") for name in names)
    again = run("summarize", str(listing), "-f", "markdown", "-o", str(out), *AGAIN)
    assert again.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == names
    assert first.stdout == ""


def test_batch_of_20_saved_pages_with_one_that_is_not_an_article(tmp_path):
    # 19 saved copies of the served article (each copy is the same request, so this needs no
    # recording of its own) and one page that is not an article.
    folder = tmp_path / "saved"
    folder.mkdir()
    for number in range(1, 20):
        shutil.copy(SITE / "article.html", folder / f"page-{number:02d}.html")
    shutil.copy(SITE / "login.html", folder / "page-20.html")
    result = run("summarize", str(folder), "--format", "jsonl", *AGAIN)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 19
    assert all(json.loads(line)["summary"]["actors"] for line in lines)
    assert "1 of 20 inputs failed" in result.stderr
    assert f"error: {folder / 'page-20.html'}: not an article page" in result.stderr
    assert "usage: 19 articles," in result.stderr
    assert result.stderr.count("✓ ") == 19 and result.stderr.count("✗ ") == 1
    assert "20/20" in result.stderr  # the progress bar's last frame


def test_dates_resolve_relative_to_the_page_not_today(site):  # noqa: F811
    result = run("summarize", f"{site}/article.html", "-f", "json", *AGAIN)
    data = json.loads(result.stdout)
    dates = [e["date"] for e in data["summary"]["events"] if e["date"]]
    today = dt.date.today().isoformat()
    assert all(d.startswith("2026-03") for d in dates) and today not in dates
