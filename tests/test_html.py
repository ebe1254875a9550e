"""The HTML view: highlights at the right offsets, links both ways, everything escaped.

The summaries rendered here are built from hand-written fake answers (tests/fakes.py), then
grounded by code on a test text: rendering needs no model.
"""

import copy
import datetime as dt
import shutil
import subprocess
from html.parser import HTMLParser
from itertools import pairwise

import pytest

from summarizer import ArticleInfo, ArticleSummary, Provenance, SummaryResult
from summarizer.grounding import ground
from summarizer.render import SUFFIXES, highlighted_article_html, render, render_html

from .fakes import FAKE_VALID_ANSWER

TEXT = (
    "Trump said he plans to meet with Russian President Vladimir Putin on Tuesday.\n\n"
    "Zelenskyy called the offer “a trap” and demanded <b>more</b> air defence & shells.\n"
    "<script>alert('article')</script> ends the text."
)


def fake_result(
    text: str = TEXT, title: str = "Talks <script>alert('title')</script>"
) -> SummaryResult:
    """A result built from a hand-written fake answer, grounded by code on `text`."""
    answer = copy.deepcopy(FAKE_VALID_ANSWER)
    answer["actors"].append(
        {"name": "Volodymyr Zelenskyy", "aliases": ["Zelenskyy"], "type": "person"}
    )
    answer["actors"].append({"name": "<img src=x onerror=alert(1)>", "type": "other"})
    answer["events"][0]["evidence"] = [
        "he plans to meet with Russian President Vladimir Putin on Tuesday",
        "Putin on Tuesday",  # overlaps the first quote
    ]
    answer["events"].append(
        {
            **answer["events"][0],
            "what": "Putin <script>alert('what')</script> invented",
            "evidence": ["Putin agreed to everything at once"],  # not in the text
        }
    )
    answer["positions"] = [
        {
            "actor": "Volodymyr Zelenskyy",
            "topic": "the offer",
            "stance": "A trap.",
            "evidence": ['Zelenskyy called the offer "a trap"'],
        }
    ]
    answer["demands"] = [
        {
            "by": "Volodymyr Zelenskyy",
            "of": None,
            "what": "More air defence",
            "conditions": None,
            "evidence": ["demanded <b>more</b> air defence & shells"],
        }
    ]
    summary = ArticleSummary.model_validate(answer)
    grounding = ground(summary, text)
    return SummaryResult(
        article=ArticleInfo(title=title, url="javascript:alert(1)", text=text),
        summary=summary,
        provenance=Provenance(
            model="fake-model",
            backend="scripted-fake",
            prompt_hash="0" * 16,
            input_hash="0" * 16,
            attempts=1,
            cache_hit=True,
            seconds=0.0,
            created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        ),
        grounding=grounding,
    )


class Page(HTMLParser):
    """Collects ids, links, marks (with their text) and tags of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.marks: list[dict] = []
        self._open_mark: dict | None = None
        self._link: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "a":
            self._link = attributes.get("href")
            if self._link:
                self.hrefs.append(self._link)
        if tag == "mark":
            self._open_mark = {**attributes, "text": "", "link": self._link}

    def handle_endtag(self, tag):
        if tag == "mark" and self._open_mark is not None:
            self.marks.append(self._open_mark)
            self._open_mark = None
        if tag == "a":
            self._link = None

    def handle_data(self, data):
        if self._open_mark is not None:
            self._open_mark["text"] += data


def test_every_mark_holds_exactly_the_article_text_at_its_offsets():
    result = fake_result()
    page = Page(render_html(result))
    assert page.marks
    for mark in page.marks:
        start, end = int(mark["data-start"]), int(mark["data-end"])
        assert mark["text"] == TEXT[start:end]


def test_every_located_quote_is_covered_by_marks_and_colored_by_item_kind():
    result = fake_result()
    page = Page(render_html(result))
    covered = {
        (int(m["data-start"]), int(m["data-end"]), kind)
        for m in page.marks
        for kind in ("event", "position", "demand")
        if f"hl-{kind}" in m["class"]
    }
    for kind, _, evidence in result.summary.evidence():
        if evidence.match == "none":
            continue
        pieces = sorted((s, e) for s, e, k in covered if k == kind)
        inside = [(s, e) for s, e in pieces if evidence.start <= s and e <= evidence.end]
        assert inside[0][0] == evidence.start and inside[-1][1] == evidence.end
        assert all(a[1] == b[0] for a, b in pairwise(inside))  # no gap


def test_overlapping_quotes_are_cut_into_pieces_naming_every_quote():
    page = Page(render_html(fake_result()))
    overlap = [m for m in page.marks if len(m["data-quotes"].split()) == 2]
    assert [m["text"] for m in overlap] == ["Putin on Tuesday"]


def test_links_go_both_ways_between_items_and_highlights():
    result = fake_result()
    page = Page(render_html(result))
    for mark in page.marks:
        assert mark["link"].startswith("#") and mark["link"][1:] in page.ids
    quote_links = [h for h in page.hrefs if h.startswith("#q-")]
    located = [e for _, _, e in result.summary.evidence() if e.match != "none"]
    assert len(quote_links) == len(located) == 4
    assert all(link[1:] in page.ids for link in quote_links)
    assert {"event-0", "event-1", "position-0", "demand-0"} <= page.ids


def test_article_and_model_text_is_escaped():
    html = render_html(fake_result())
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;article&#39;)&lt;/script&gt;" in html
    assert "Putin &lt;script&gt;alert(&#39;what&#39;)&lt;/script&gt; invented" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>more</b>" not in html and "&lt;b&gt;more&lt;/b&gt; air defence &amp; shells" in html
    assert 'href="javascript:' not in html


def test_page_is_self_contained():
    page = Page(render_html(fake_result()))
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert all(h.startswith("#") for h in page.hrefs)  # the javascript: URL is not a link


def test_ungrounded_items_and_unmentioned_actors_are_flagged():
    html = render_html(fake_result())
    assert html.count("⚠ not found in the article") == 1
    assert 'id="event-1"' in html and "item-event ungrounded" in html
    assert html.count("⚠ not in the text") == 1  # the invented actor


def test_fragment_ids_take_a_prefix_for_pages_holding_several_articles():
    fragment = str(highlighted_article_html(fake_result(), id_prefix="a2-"))
    page = Page(fragment)
    assert page.ids and all(i.startswith("a2-q-") for i in page.ids)
    assert all(m["link"].startswith("#a2-") for m in page.marks)
    assert "background: #" in fragment  # colours inline, for email clients that drop <style>


def test_article_without_text_renders_without_highlights():
    result = fake_result()
    result.article.text = None
    html = render(result, "html")
    assert "article text is not available" in html and "<mark" not in html
    assert SUFFIXES["html"] == ".html"


def dated_result() -> SummaryResult:
    """The fake result with dates set on its events, as code resolves them from `when`."""
    result = fake_result()
    result.summary.events[0].date = dt.date(2025, 3, 18)
    result.summary.events[1].date = dt.date(2025, 3, 17)
    result.summary.events[1].status = "occurred"
    return result


def test_events_with_dates_are_drawn_on_a_timeline_linking_to_each_event():
    html = render_html(dated_result())
    page = Page(html)
    assert "svg" in page.tags and "Timeline</h2>" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    timeline_links = Page(svg).hrefs
    assert sorted(timeline_links) == ["#event-0", "#event-1"]
    assert all(link[1:] in page.ids for link in timeline_links)
    assert 'class="item item-event status-planned"' in html  # the planned call
    assert 'class="item item-event status-past"' in html
    assert html.index("Mon 17 Mar 2025") < html.index("Tue 18 Mar")


def test_the_timeline_escapes_what_the_model_wrote():
    html = render_html(dated_result())
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "Putin &lt;script&gt;alert(&#39;what&#39;)&lt;/script&gt; invented" in svg
    assert "<script" not in html


def test_no_timeline_with_fewer_than_two_dated_events():
    result = dated_result()
    result.summary.events[1].date = None
    assert "<svg" not in render_html(result)
    assert "<svg" not in render_html(fake_result())


# --- in a real browser -----------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(tmp_path, *arguments: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_headless_chromium_shows_the_highlights(tmp_path):
    result = fake_result()
    page_file = tmp_path / "summary.html"
    page_file.write_text(render_html(result), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", page_file.as_uri()).stdout
    page = Page(dom)
    assert len(page.marks) == len(Page(render_html(result)).marks) >= 4
    for mark in page.marks:  # as the browser parsed it: the text at the offsets
        assert mark["text"] == TEXT[int(mark["data-start"]) : int(mark["data-end"])]
    assert "script" not in page.tags  # the article's <script> stayed text
    timeline = Page(chromium(tmp_path, "--dump-dom", _page(tmp_path, dated_result())).stdout)
    assert "svg" in timeline.tags and "script" not in timeline.tags
    screenshot = tmp_path / "summary.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,900", page_file.as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000


def _page(tmp_path, result: SummaryResult) -> str:
    path = tmp_path / "dated.html"
    path.write_text(render_html(result), encoding="utf-8")
    return path.as_uri()
