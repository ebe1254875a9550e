"""Stories in the digest, end to end: loopback feeds, a real SQLite archive, loopback SMTP.

One story, the Harbor City transit strike, in three feeds on its first day: the Herald's
article and two syndicated copies of it (the City Wire's, with its own headline, byline,
footer and a trimmed ending; the Courier's, with another headline and footer). The next
day the Herald reports the mayor's invitation to talks. `summarizer archive stories` and
`archive story ID` then list the story and its sources.

The model's answers are scripted fakes (`FAKE_ANSWERS`, written by hand for these
articles, each quoting its article word for word): a real model cannot be made to give
the exact answers that decide what is new. Everything else is real: fetching, extraction,
the archive's migrations, the story grouping, rendering and sending.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer import Settings, Summarizer
from summarizer.digest import load_config, run_digest

from .conftest import ROOT
from .fakes import ScriptedBackend, fake_completion
from .loopback import QuietHandler, serving
from .test_digest import (
    Smtp,
    parts,
    smtp,  # noqa: F401  (the loopback SMTP server fixture)
)

STRIKE_PAGE = ROOT / "tests" / "articles" / "digest" / "transit-strike.html"
TALKS_PAGE = ROOT / "tests" / "articles" / "digest" / "transit-talks.html"
WIRE_COPY = ROOT / "tests" / "articles" / "stories" / "transit-strike-syndicated.txt"
COURIER_FOOTER = "Distributed by the Harbor Courier syndicate. Reuse needs a licence."
STRIKE = "Harbor City transit workers call strike for Friday"
TALKS = "Mayor Marsh invites transit union to new talks"


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def _wire_page() -> bytes:
    headline, *paragraphs = WIRE_COPY.read_text(encoding="utf-8").splitlines()
    return _page(headline, paragraphs)


def _courier_page() -> bytes:
    """The Herald's text under the Courier's headline, with the Courier's footer."""
    paragraphs = [
        "The Harbor City Transit Workers Union said on Monday that its 2,400 bus and tram "
        "drivers will strike on Friday unless the city raises wages by six percent.",
        "Union president Tomas Reyes said drivers had worked without a new contract for eleven "
        'months. "We are out of patience, and so are our members," Reyes told reporters '
        "outside the depot.",
        "Mayor Elena Marsh called the demand unaffordable and urged the union to return to "
        "talks. The city said it would run a reduced bus service with managers if the strike "
        "goes ahead.",
        COURIER_FOOTER,
    ]
    return _page("Drivers threaten Friday strike over pay", paragraphs)


def _feed(title: str, items: list[tuple[str, str, str]]) -> str:
    entries = "".join(
        f"<item><title>{headline}</title><link>{{base}}{path}</link><pubDate>{date}</pubDate></item>"
        for headline, path, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{{base}}/</link><description>news</description>"
        f"{entries}</channel></rss>"
    )


MONDAY, TUESDAY = "Mon, 23 Nov 2026 08:00:00 GMT", "Tue, 24 Nov 2026 08:00:00 GMT"
FIRST_DAY = {
    "/herald.rss": _feed("Harbor Herald", [(STRIKE, "/herald/strike", MONDAY)]),
    "/wire.rss": _feed("City Wire", [("Drivers set walkout", "/wire/strike", MONDAY)]),
    "/courier.rss": _feed("Harbor Courier", [("Drivers threaten", "/courier/strike", MONDAY)]),
}
NEXT_DAY = {
    **FIRST_DAY,
    "/herald.rss": _feed(
        "Harbor Herald", [(TALKS, "/herald/talks", TUESDAY), (STRIKE, "/herald/strike", MONDAY)]
    ),
}
PAGES = {
    "/herald/strike": STRIKE_PAGE.read_bytes,
    "/herald/talks": TALKS_PAGE.read_bytes,
    "/wire/strike": _wire_page,
    "/courier/strike": _courier_page,
}


def _actor(name: str, type_: str, role: str | None = None, *aliases: str) -> dict[str, Any]:
    return {"name": name, "aliases": list(aliases), "type": type_, "role": role}


def _event(what: str, category: str, status: str, when: str | None, quote: str) -> dict[str, Any]:
    return {
        "what": what,
        "category": category,
        "status": status,
        "when": when,
        "where": "Harbor City",
        "participants": [],
        "evidence": [quote],
    }


def _position(actor: str, topic: str, stance: str, quote: str) -> dict[str, Any]:
    return {"actor": actor, "topic": topic, "stance": stance, "evidence": [quote]}


UNION = _actor("Harbor City Transit Workers Union", "organisation", None, "Transit Workers Union")
REYES = _actor("Tomas Reyes", "person", "Union president")
MARSH = _actor("Elena Marsh", "person", "Mayor")
STRIKE_CALLED = _event(
    "Transit workers union calls a strike for Friday",
    "threaten",
    "planned",
    "on Friday",
    "its 2,400 bus and tram drivers will strike on Friday",
)
REYES_IMPATIENT = _position(
    "Tomas Reyes",
    "the contract",
    "Drivers are out of patience after eleven months without a contract.",
    "We are out of patience, and so are our members",
)
# Scripted fake answers, by a phrase only their article has (copies first: they hold the
# original's sentences too).
FAKE_HERALD: dict[str, Any] = {
    "summary": "Harbor City's transit union will strike on Friday unless wages rise by six "
    "percent; the mayor calls the demand unaffordable.",
    "key_points": [
        "Drivers will strike on Friday unless wages rise six percent.",
        "They have worked eleven months without a contract.",
        "The mayor urged the union to return to talks.",
    ],
    "actors": [UNION, REYES, MARSH],
    "events": [
        STRIKE_CALLED,
        _event(
            "Marsh urges the union to return to talks",
            "demand",
            "occurred",
            None,
            "urged the union to return to talks",
        ),
    ],
    "positions": [
        REYES_IMPATIENT,
        _position(
            "Elena Marsh",
            "the wage demand",
            "The six percent raise is unaffordable.",
            "Mayor Elena Marsh called the demand unaffordable",
        ),
    ],
    "demands": [],
}
FAKE_WIRE = {
    **FAKE_HERALD,
    "summary": "Harbor City's transit drivers will strike on Friday unless wages rise.",
    "key_points": [*FAKE_HERALD["key_points"][:2], "Reyes spoke outside the depot."],
    "actors": [UNION, REYES],
    "events": [STRIKE_CALLED],
    "positions": [REYES_IMPATIENT],
}
FAKE_TALKS: dict[str, Any] = {
    "summary": "Mayor Marsh invited the transit union to wage talks on Wednesday and offered "
    "four percent; the union says the Friday strike is still on.",
    "key_points": [
        "Talks are set for Wednesday.",
        "The city offers four percent over two years.",
        "Business groups want a deal before the weekend.",
    ],
    "actors": [
        MARSH,
        _actor("Transit Workers Union", "organisation"),
        REYES,
        _actor("Business groups", "organisation"),
    ],
    "events": [
        _event(
            "Marsh invites the union to wage talks on Wednesday",
            "consult",
            "planned",
            "on Wednesday",
            "invited the Transit Workers Union to new wage talks on Wednesday",
        ),
        _event(
            "Transit workers union to strike on Friday",
            "threaten",
            "planned",
            "Friday",
            "the Friday strike remains on",
        ),
        _event(
            "Business groups urge a deal before the weekend",
            "demand",
            "occurred",
            None,
            "Business groups asked both sides to reach a deal before the weekend",
        ),
    ],
    "positions": [
        _position(
            "Elena Marsh",
            "the wage demand",
            "The city can offer four percent over two years and no more without cutting routes.",
            "Marsh offered a four percent raise over two years",
        ),
        _position(
            "Tomas Reyes",
            "the contract",
            "Drivers are out of patience after eleven months without a contract.",
            "Union president Tomas Reyes said the offer was a step but not enough",
        ),
    ],
    "demands": [],
}
FAKE_ANSWERS = [
    ("City Wire Service", FAKE_WIRE),
    (COURIER_FOOTER, FAKE_HERALD),
    ("reduced bus service with managers", FAKE_HERALD),
    ("new wage talks on Wednesday", FAKE_TALKS),
]


class FakeModelByArticle(ScriptedBackend):
    """A scripted fake backend: the answer of `FAKE_ANSWERS` whose phrase the article has."""

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        article = request["messages"][-1]["content"]
        for phrase, answer in FAKE_ANSWERS:
            if phrase in article:
                return fake_completion(json.dumps(copy.deepcopy(answer)))
        raise AssertionError(f"no scripted answer for {article[:200]!r}")


class _Site(QuietHandler):
    feeds: dict[str, str] = FIRST_DAY

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in type(self).feeds:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            self.send_body(
                200, type(self).feeds[path].format(base=base).encode(), "application/xml"
            )
        elif path in PAGES:
            self.send_body(200, PAGES[path](), "text/html; charset=utf-8")
        else:
            self.send_error(404)


@pytest.fixture
def site() -> Iterator[type[_Site]]:
    handler = type("Site", (_Site,), {"feeds": FIRST_DAY})
    with serving(handler) as root:
        handler.root = root  # type: ignore[attr-defined]
        yield handler


def _config(tmp_path: Path, root: str, inbox_port: int) -> Path:
    sources = "".join(
        f'[[sources]]\ntype = "feed"\nname = "{name}"\nurl = "{root}{path}"\n\n'
        for name, path in [
            ("Harbor Herald", "/herald.rss"),
            ("City Wire", "/wire.rss"),
            ("Harbor Courier", "/courier.rss"),
        ]
    )
    path = tmp_path / "digest.toml"
    path.write_text(
        f'state = "archive.sqlite"\nallow_private_addresses = true\n\n{sources}'
        '[email]\nfrom = "digest@example.org"\nto = ["team@example.org"]\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {inbox_port}\nsecurity = "none"\n\n'
        "[limits]\nmax_age_days = 0\n",
        encoding="utf-8",
    )
    return path


def test_a_story_from_three_feeds_two_of_them_copies_is_one_item_with_three_sources(
    tmp_path,
    site,
    smtp,  # noqa: F811
):
    report = digest_once(tmp_path, site, smtp)

    assert report.collected == 3 and report.summarised == 3
    [message] = smtp.inbox.messages
    text, html = parts(message)
    assert message["Subject"].endswith(": 1 story")
    assert text.count(STRIKE) == 1 and "3 sources" in text and "3 sources" in html
    assert text.count("(copy)") == 2 and html.count("(copy)") == 2
    for link in ["http://news.example/harbor/transit-strike", "/wire/strike", "/courier/strike"]:
        assert link in text and re.search(f'href="[^"]*{re.escape(link)}"', html)
    # One item: the original's summary, once; the copies' are not shown.
    assert text.count("the mayor calls the demand unaffordable") == 1
    assert FAKE_WIRE["summary"] not in text + html
    archive = _archive(tmp_path)
    rows = archive.rows("SELECT article_id, story_id, copy_of FROM story_articles ORDER BY 1")
    [herald] = [row["article_id"] for row in rows if row["copy_of"] is None]
    assert len({row["story_id"] for row in rows}) == 1
    assert sorted(row["copy_of"] for row in rows if row["copy_of"]) == [herald, herald]


def test_a_story_continued_the_next_day_shows_only_what_is_new(tmp_path, site, smtp):  # noqa: F811
    digest_once(tmp_path, site, smtp)
    site.feeds = NEXT_DAY
    report = digest_once(tmp_path, site, smtp)

    assert report.collected == 1 and report.summarised == 1
    _, second = smtp.inbox.messages
    text, html = parts(second)
    # The HTML's item, without the appendix (the article with every quote highlighted).
    item = html[: html.index('<div class="appendix">')]
    for part in (text, item):
        assert "Continues" in part and STRIKE in part and "first shown on" in part
        assert "http://news.example/harbor/transit-strike" in part
        # New events, the changed position (with the one shown before), the new actor.
        assert "Marsh invites the union to wage talks on Wednesday" in part
        assert "Business groups urge a deal before the weekend" in part
        assert "no more without cutting routes" in part
        assert "was: The six percent raise is unaffordable." in part
        assert "Business groups" in part
        # Nothing shown the day before: its events, its summary, Reyes' unchanged stance,
        # the actors already named; the strike restated in other words is no new event.
        assert "Transit workers union calls a strike for Friday" not in part
        assert "Transit workers union to strike on Friday" not in part
        assert FAKE_HERALD["summary"] not in part and FAKE_TALKS["summary"] not in part
        assert "out of patience" not in part
        assert "Tomas Reyes" not in part
    assert f'<a href="http://news.example/harbor/transit-strike">{STRIKE}</a>' in item
    new_actors = next(line for line in text.splitlines() if "New actors:" in line)
    assert new_actors.strip() == "New actors: Business groups"
    archive = _archive(tmp_path)
    assert archive.value("SELECT count(DISTINCT story_id) FROM story_articles") == 1
    assert archive.value("SELECT count(*) FROM digest_stories") == 2


def digest_once(tmp_path: Path, site: type[_Site], smtp: Smtp):  # noqa: F811
    """One digest run over the site's feeds as they are now, the model a scripted fake."""
    config = load_config(_config(tmp_path, site.root, smtp.port))  # type: ignore[attr-defined]
    summarizer = Summarizer(Settings(cache="off"), backend=FakeModelByArticle())
    return run_digest(config, summarizer=summarizer)


def _archive(tmp_path: Path):
    from summarizer.archive import Archive

    return Archive.open(tmp_path / "archive.sqlite")


def test_archive_stories_and_story_list_the_story_and_its_sources(tmp_path, site, smtp):  # noqa: F811
    from click.testing import CliRunner

    from summarizer.cli import cli

    digest_once(tmp_path, site, smtp)
    archive = str(tmp_path / "archive.sqlite")
    runner = CliRunner()

    listed = runner.invoke(
        cli, ["archive", "stories", "--archive", archive], catch_exceptions=False
    )
    on_day = runner.invoke(cli, ["archive", "stories", "--day", "2026-11-23", "--archive", archive])
    other_day = runner.invoke(
        cli, ["archive", "stories", "--day", "2026-11-20", "--archive", archive]
    )

    assert listed.exit_code == 0, listed.output
    [line] = listed.stdout.splitlines()
    story_id, days, count, title = line.split("\t")
    assert (days, count, title) == ("2026-11-23", "3 articles (2 copies)", STRIKE)
    assert on_day.stdout == listed.stdout and other_day.stdout == ""

    shown = runner.invoke(cli, ["archive", "story", story_id, "--archive", archive, "--json"])
    detail = json.loads(shown.stdout)
    members = {member["url"].rsplit("/", 2)[-2]: member for member in detail["members"]}
    assert sorted(members) == ["courier", "harbor", "wire"]
    original = members["harbor"]["article_id"]
    assert members["harbor"]["copy_of"] is None
    assert members["wire"]["copy_of"] == members["courier"]["copy_of"] == original
    assert {name for _, name, _ in detail["actors"]} >= {"Tomas Reyes", "Elena Marsh"}
    # By day: the call to talks on Monday, the strike it announced on Friday.
    assert [tuple(event) for event in detail["events"]] == [
        ("2026-11-23", "Marsh urges the union to return to talks"),
        ("2026-11-27", STRIKE_CALLED["what"]),
    ]
    assert len(detail["digests"]) == 1

    missing = runner.invoke(cli, ["archive", "story", "999", "--archive", archive])
    assert missing.exit_code == 1 and "no story 999" in missing.stderr


def test_summaries_from_the_api_are_placed_into_stories_when_listed(tmp_path):
    from click.testing import CliRunner

    from summarizer import Article
    from summarizer.cli import cli
    from summarizer.extract import article_from_html

    archive = tmp_path / "api.sqlite"
    summarizer = Summarizer(Settings(cache="off", archive=archive), backend=FakeModelByArticle())
    for page, title, day in [(STRIKE_PAGE, STRIKE, 23), (TALKS_PAGE, TALKS, 24)]:
        text = article_from_html(page.read_text(encoding="utf-8"), origin=page.name).text
        summarizer.summarize(Article(text=text, title=title, published=dt.date(2026, 11, day)))

    listed = CliRunner().invoke(cli, ["archive", "stories", "--archive", str(archive)])

    assert listed.exit_code == 0, listed.output
    assert listed.stdout.split("\t")[1:] == ["2026-11-23..2026-11-24", "2 articles", f"{STRIKE}\n"]
