"""`summarizer browse`: the archive in Datasette, its views and timeline pictures, over loopback.

The archive holds two recorded summaries: the seed article's, replayed from the embedded
model's recorded answer (fixtures/), and a synthetic one built from a hand-written fake
answer (tests/test_html.py) whose article and actor carry markup. The story grouping them
is written by the test (synthetic), as the digest would store one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from summarizer import Summarizer
from summarizer.archive.record import open_archive, record
from summarizer.cli import cli

from .test_html import CHROMIUM, Page, chromium, fake_result

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def archive_file(tmp_path, seed_article) -> Path:
    path = tmp_path / "archive.sqlite"
    archive = open_archive(path)
    seed = Summarizer().summarize(seed_article, archive=False)  # replays a recorded answer
    synthetic = fake_result()
    synthetic.article.published = dt.date(2025, 3, 17)
    synthetic.summary.events[0].date = dt.date(2025, 3, 18)
    synthetic.summary.events[1].date = dt.date(2025, 3, 16)
    try:
        record(archive, seed, origin="cli")
        record(archive, synthetic, origin="api")
        today = dt.datetime.now(dt.UTC).date().isoformat()
        story = archive.execute(
            "INSERT INTO stories (title, first_day, last_day, created) VALUES (?, ?, ?, ?)",
            ("Kursk <b>talks</b>", "2025-03-17", today, today),
        )
        archive.execute(
            "INSERT INTO story_articles (article_id, story_id, copy_of, day) "
            "SELECT id, ?, NULL, ? FROM articles",
            (story, today),
        )
    finally:
        archive.close()
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def site(archive_file, tmp_path) -> Iterator[httpx.Client]:
    port, log = free_port(), tmp_path / "browse.log"
    command = ["browse", "--archive", str(archive_file), "--port", str(port), "--no-open"]
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "summarizer", *command], stdout=output, stderr=output
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/-/versions.json")
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"browse did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def rows(client: httpx.Client, path: str, **params: str) -> list[dict]:
    response = client.get(f"/archive/{path}.json", params={"_shape": "array", **params})
    assert response.status_code == 200, response.text
    return response.json()


def actor_id(client: httpx.Client, name: str) -> int:
    found = [row for row in rows(client, "actors") if row["name"] == name]
    assert found, name
    return found[0]["id"]


def picture(html: str) -> ET.Element:
    return ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])


def test_the_archive_page_lists_the_views_and_actors_link_to_their_pictures(site):
    page = site.get("/archive").text
    for title in ("Actors", "An actor&#39;s timeline", "Events by date", "Costs by day"):
        assert title in page
    assert "Today&#39;s stories" in page  # the archive has stories
    page = site.get("/archive/actors").text
    putin = actor_id(site, "Vladimir Putin")
    assert f'<a href="/-/summarizer/actors/{putin}">timeline</a>' in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert site.get("/-/summarizer/actors/999999").status_code == 404


def test_an_actors_timeline_page_draws_its_events_and_positions(site):
    putin = actor_id(site, "Vladimir Putin")
    response = site.get(f"/-/summarizer/actors/{putin}")
    assert response.status_code == 200
    root = picture(response.text)
    items = [g for g in root.iter(f"{SVG}g") if "item" in g.get("class", "").split()]
    table = rows(site, "actor_timeline", actor=str(putin))
    assert len(items) == len(table) >= 3
    labels = [" ".join("".join(g.find(f"{SVG}text").itertext()).split()) for g in items]
    assert any(label.startswith("Trump–Putin call") for label in labels)  # the synthetic one
    assert any("status-planned" in g.get("class") for g in items)
    days = [" ".join("".join(g.itertext()).split()) for g in root.iter(f"{SVG}g")]
    assert "Tue 18 Mar" in " ".join(days)
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert links and all(link.startswith("/archive/articles/") for link in links)
    assert "<script" not in response.text.split("</svg>")[0].split("<svg", 1)[1]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_headless_chromium_draws_an_actors_timeline(site, tmp_path):
    putin = actor_id(site, "Vladimir Putin")
    url = f"{site.base_url}/-/summarizer/actors/{putin}"
    page = Page(chromium(tmp_path, "--dump-dom", url).stdout)
    assert {"svg", "circle", "text"} <= set(page.tags)
    assert any(href.startswith("/archive/articles/") for href in page.hrefs)
    screenshot = tmp_path / "actor.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,600", url)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_days_stories_link_to_a_story_picture(site):
    stories = rows(site, "today")
    assert len(stories) == 1 and stories[0]["sources"] == 2
    assert stories[0]["title"] == "Kursk <b>talks</b>"
    page = site.get(f"/-/summarizer/stories/{stories[0]['id']}")
    assert page.status_code == 200
    assert "<b>talks" not in page.text and "Kursk &lt;b&gt;talks&lt;/b&gt;" in page.text
    root = picture(page.text)
    assert len([g for g in root.iter(f"{SVG}g") if "item" in g.get("class", "").split()]) >= 3
    assert rows(site, "today", day="2001-01-01") == []


def test_events_by_date_and_costs_by_day(site):
    events = rows(site, "events_by_date", **{"from": "2025-03-17", "to": "2025-03-18"})
    assert events and all("2025-03-17" <= event["day"] <= "2025-03-18" for event in events)
    everything = rows(site, "events_by_date")
    assert len(everything) > len(events)  # the synthetic event of the 16th
    days = rows(site, "costs")
    assert sum(day["summaries"] for day in days) == 2
    assert sum(day["calls"] for day in days) >= 2


def test_browse_without_the_extra_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasette", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "summarizer.browse", raising=False)
    result = CliRunner().invoke(cli, ["browse", "--no-open"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: summarizer browse needs Datasette: pip install 'summarizer[browse]'\n"
    )


def test_browse_without_an_archive_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["browse", "--archive", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "no archive there yet" in result.output
    assert result.output.count("\n") == 1 and not (tmp_path / "none.sqlite").exists()


def test_before_any_story_the_days_view_lists_the_days_articles(tmp_path):
    from summarizer import browse

    path = tmp_path / "archive.sqlite"
    archive = open_archive(path)
    synthetic = fake_result()
    synthetic.provenance.created = dt.datetime.now(dt.UTC)
    record(archive, synthetic, origin="api")
    archive.close()

    async def fetch() -> tuple[str, list[dict]]:
        datasette = browse.datasette(path)
        await datasette.invoke_startup()
        page = (await datasette.client.get("/archive")).text
        rows = (await datasette.client.get("/archive/today.json?_shape=array")).json()
        return page, rows

    page, today = asyncio.run(fetch())
    assert "Today&#39;s articles" in page and "Today&#39;s stories" not in page
    assert [row["title"] for row in today] == [synthetic.article.title]
