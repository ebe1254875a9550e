"""The nightly digest end to end: loopback HTTP feeds and pages, a loopback SMTP server.

Article summaries replay fixtures recorded from the embedded model (the four short
articles in tests/articles/digest/). Faults (SMTP down, a crash before sending, a
summary that fails) are injected; model answers never are.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from .conftest import ROOT
from .loopback import QuietHandler, serving

ARTICLES = ROOT / "tests" / "articles" / "digest"
TITLES = [
    "Harbor City transit workers call strike for Friday",
    "Mayor Marsh invites transit union to new talks",
    "Northfield library reopens after flood repairs",
]

# Two feeds: the strike story is in both (once syndicated with tracking parameters).
HERALD_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Harbor Herald</title><link>{base}/</link><description>Local news</description>
<item><title>Harbor City transit workers call strike for Friday</title>
<link>{base}/harbor/transit-strike</link><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Northfield library reopens after flood repairs</title>
<link>{base}/northfield/library</link><pubDate>Mon, 23 Nov 2026 09:30:00 GMT</pubDate></item>
</channel></rss>
"""
WIRE_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>City Wire</title><id>urn:city-wire</id><updated>2026-11-24T10:00:00Z</updated>
<entry><title>Mayor Marsh invites transit union to new talks</title><id>urn:wire:1</id>
<link href="{base}/wire/transit-talks"/><updated>2026-11-24T10:00:00Z</updated></entry>
<entry><title>Harbor City transit workers call strike for Friday</title><id>urn:wire:2</id>
<link href="{base}/wire/strike-copy?utm_source=wire"/>
<updated>2026-11-23T12:00:00Z</updated></entry>
</feed>
"""
PAGES = {
    "/harbor/transit-strike": "transit-strike.html",
    "/wire/strike-copy": "transit-strike.html",  # syndicated: same page, other URL
    "/northfield/library": "library-reopens.html",
    "/wire/transit-talks": "transit-talks.html",
}


FEEDS = {"/herald.rss": HERALD_RSS, "/wire.atom": WIRE_ATOM}


class _Site(QuietHandler):
    """The two feeds, their links made absolute on this server, and the article pages."""

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in FEEDS:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            self.send_body(200, FEEDS[path].format(base=base).encode(), "application/xml")
        elif path in PAGES:
            page = (ARTICLES / PAGES[path]).read_bytes()
            self.send_body(200, page, "text/html; charset=utf-8")
        else:
            self.send_error(404)


def the_four_articles() -> list:
    """The test articles exactly as a digest run over the test feeds builds them."""
    import datetime as dt

    from summarizer import Article
    from summarizer.extract import article_from_html

    def page(name: str) -> str:
        html = (ARTICLES / name).read_text(encoding="utf-8")
        return article_from_html(html, origin=name, url="http://x/").text

    bike = (ARTICLES / "bike-lanes-markup.md").read_text(encoding="utf-8")
    return [
        Article(text=page("transit-strike.html"), title=TITLES[0], source="Harbor Herald",
                published=dt.date(2026, 11, 23)),
        Article(text=page("library-reopens.html"), title=TITLES[2], source="Harbor Herald",
                published=dt.date(2026, 11, 23)),
        Article(text=page("transit-talks.html"), title=TITLES[1], source="City Wire",
                published=dt.date(2026, 11, 24)),
        Article(text=bike, title=bike.splitlines()[0][2:], source="Riverton notes"),
    ]  # fmt: skip


@pytest.fixture
def site() -> Iterator[str]:
    """A loopback web server with the two feeds and the article pages."""
    with serving(_Site) as root:
        yield root


@dataclass
class _Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[attr-defined]
        self.messages.append(message)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Smtp:
    port: int
    inbox: _Inbox
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    """A real SMTP server (aiosmtpd) on a loopback port; stop() and start() it at will."""
    server = Smtp(port=_free_port(), inbox=_Inbox())
    server.start()
    yield server
    server.stop()


def write_config(
    path: Path,
    site: str,
    smtp_port: int,
    *,
    extra_sources: str = "",
    limits: str = "",
    allow_private: bool = True,
) -> Path:
    riverton = path.parent / "riverton"
    riverton.mkdir(exist_ok=True)
    (riverton / "bike-lanes.md").write_text(
        (ARTICLES / "bike-lanes-markup.md").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path.write_text(
        f"""
state = "state.sqlite"
# The test feeds and pages are on loopback: allowed, unless a test checks the default.
allow_private_addresses = {str(allow_private).lower()}

[[sources]]
type = "feed"
name = "Harbor Herald"
url = "{site}/herald.rss"

[[sources]]
type = "feed"
name = "City Wire"
url = "{site}/wire.atom"

[[sources]]
type = "folder"
name = "Riverton notes"
path = "riverton"
{extra_sources}

[email]
from = "Digest <digest@example.org>"
to = ["team@example.org", "Ana <ana@example.org>"]
subject = "Morning digest {{{{ date }}}}: {{{{ count }}}} stories"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"

[limits]
max_age_days = 0
{limits}
""",
        encoding="utf-8",
    )
    return path


def load(path: Path):
    from summarizer.digest import load_config

    return load_config(path)


@pytest.fixture
def config_path(tmp_path: Path, site: str, smtp: Smtp) -> Path:
    return write_config(tmp_path / "digest.toml", site, smtp.port)


def run_cli(*args: str):
    from click.testing import CliRunner

    from summarizer.cli import cli

    return CliRunner().invoke(cli, ["digest", *args], catch_exceptions=False)


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, html) of a received digest."""
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text, html


def test_full_run_delivers_one_email_with_the_expected_summaries(config_path, smtp):
    result = run_cli("--config", str(config_path))

    assert result.exit_code == 0, result.output
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    sender, recipients = smtp.inbox.envelopes[0]
    assert sender == "digest@example.org"
    assert recipients == ["team@example.org", "ana@example.org"]
    # Four articles, three stories: the strike and the talks are one (tests below).
    assert message["Subject"].startswith("Morning digest ") and message["Subject"].endswith(
        ": 3 stories"
    )
    assert message["Message-ID"] and message["To"].addresses[1].display_name == "Ana"
    text, _ = parts(message)
    for title in TITLES:
        assert title in text
    assert "Riverton" in text and "bike lanes" in text
    # Each story carries its model-written summary, naming who acted.
    assert "Reyes" in text and "Okafor" in text
    assert f"sent {message['Message-ID']}" in result.stdout


def test_articles_about_the_same_actors_are_one_story_with_their_sources(config_path, smtp):
    run_cli("--config", str(config_path))

    text, html = parts(smtp.inbox.messages[0])
    # The strike leads its story; the talks, a day later with the same people, are its
    # second source, not an item of their own.
    strike = text.index(TITLES[0])
    assert text.index("2 sources", strike) < text.index(TITLES[2])
    assert TITLES[1] not in text.splitlines()
    listed = text[text.index("Sources:", strike) : text.index(TITLES[2])].splitlines()
    sources = [line.strip() for line in listed if line.strip().startswith("- ")]
    assert sources == ["- Harbor Herald", f"- City Wire: {TITLES[1]}"]
    assert html.count('class="story related"') == 1 and "/wire/transit-talks" in html


def test_second_run_sends_nothing(config_path, smtp):
    first = run_cli("--config", str(config_path))
    second = run_cli("--config", str(config_path))

    assert first.exit_code == second.exit_code == 0
    assert len(smtp.inbox.messages) == 1
    assert "0 new articles" in second.stderr and "nothing new to send" in second.stderr
    assert "sent" not in second.stdout


def test_same_article_in_two_feeds_is_summarised_once(config_path, smtp):
    from summarizer.digest.state import State

    report = run_digest_once(config_path)

    assert report.collected == 4 and report.summarised == 4
    text, _ = parts(smtp.inbox.messages[0])
    # One story heading, not two: the model's summary may repeat the headline's words.
    assert text.splitlines().count(TITLES[0]) == 1
    assert "/wire/strike-copy" not in text
    state = State.open(load(config_path).state)
    assert state.article_count() == 4
    assert state.knows_url(f"{load(config_path).sources[1].url.rsplit('/', 1)[0]}/wire/strike-copy")


def run_digest_once(config_path: Path, **options):
    from summarizer.digest import run_digest

    return run_digest(load(config_path), **options)


def test_html_in_title_and_body_arrives_escaped(config_path, smtp):
    run_digest_once(config_path)

    message = smtp.inbox.messages[0]
    text, html = parts(message)
    assert "Council votes &lt;b&gt;yes&lt;/b&gt; on bike lanes &lt;script&gt;" in html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert 'href="javascript' not in html
    # The plain-text part keeps the title as written.
    assert 'Council votes <b>yes</b> on bike lanes <script>alert("title")</script>' in text


def test_smtp_down_keeps_the_digest_pending_and_delivers_it_once(config_path, smtp):
    from summarizer.digest.state import State

    smtp.stop()
    down = run_cli("--config", str(config_path))
    still_down = run_cli("--config", str(config_path))

    assert down.exit_code == still_down.exit_code == 1
    assert "could not be sent; the next run retries" in down.stderr
    [digest] = State.open(load(config_path).state).digests()
    assert digest.status == "pending" and digest.send_attempts == 2

    smtp.start()
    back = run_cli("--config", str(config_path))
    again = run_cli("--config", str(config_path))

    assert back.exit_code == again.exit_code == 0
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.messages[0]["Message-ID"] == digest.message_id
    [digest] = State.open(load(config_path).state).digests()
    assert digest.status == "sent" and digest.sent_at


@pytest.mark.parametrize("step", ["build_email", "send_message"])
def test_a_crash_between_summarising_and_sending_leads_to_one_send(
    config_path, smtp, monkeypatch, step
):
    import summarizer.digest.run as run

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected crash")

    with monkeypatch.context() as patch:
        patch.setattr(run, step, crash)
        with pytest.raises(RuntimeError, match="injected crash"):
            run_digest_once(config_path)
    assert smtp.inbox.messages == []

    after = run_digest_once(config_path)
    last = run_digest_once(config_path)

    assert after.summarised == 0  # the summaries made before the crash were kept
    assert len(smtp.inbox.messages) == 1 and last.sent == []
    assert parts(smtp.inbox.messages[0])[0].count("Northfield library reopens") == 1


def test_a_failed_summary_is_listed_and_retried_a_bounded_number_of_times(
    tmp_path, site, smtp, monkeypatch
):
    from summarizer import SummarizationFailed, Summarizer
    from summarizer.digest.state import State

    config_path = write_config(tmp_path / "digest.toml", site, smtp.port, limits="max_attempts = 2")
    real = Summarizer.asummarize
    tries: list[str] = []

    # Injected: a failure for one article, the rest replay.
    async def fault(self, article, **options):
        if article.title == TITLES[2]:
            tries.append(article.title)
            raise SummarizationFailed("injected: model kept failing", attempts=3, last_error=None)
        return await real(self, article, **options)

    monkeypatch.setattr(Summarizer, "asummarize", fault)
    first = run_digest_once(config_path)
    second = run_digest_once(config_path)
    third = run_digest_once(config_path)

    assert (first.summarised, first.failed) == (3, 1)
    assert (second.summarised, second.failed) == (0, 1)
    assert (third.summarised, third.failed) == (0, 0)
    assert len(tries) == 2
    text, html = parts(smtp.inbox.messages[0])
    appendix = text[text.index("Not summarised") :]
    assert TITLES[2] in appendix and "injected: model kept failing" in appendix
    assert "will retry next run" in appendix and "Not summarised" in html
    assert len(smtp.inbox.messages) == 1
    rows = State.open(load(config_path).state).undigested()
    assert [(row.title, row.status) for row in rows] == [(TITLES[2], "abandoned")]


def test_a_retried_article_that_succeeds_goes_in_the_next_digest(tmp_path, site, smtp, monkeypatch):
    from summarizer import SummarizationFailed, Summarizer

    config_path = write_config(tmp_path / "digest.toml", site, smtp.port)
    real = Summarizer.asummarize

    async def fault(self, article, **options):
        if article.title == TITLES[2]:
            raise SummarizationFailed("injected: endpoint down", attempts=1, last_error=None)
        return await real(self, article, **options)

    with monkeypatch.context() as patch:
        patch.setattr(Summarizer, "asummarize", fault)
        run_digest_once(config_path)
    retried = run_digest_once(config_path)

    assert retried.summarised == 1 and len(smtp.inbox.messages) == 2
    text, _ = parts(smtp.inbox.messages[1])
    assert TITLES[2] in text and "Not summarised" not in text
    assert smtp.inbox.messages[1]["Subject"].endswith(": 1 stories")


def test_two_processes_at_once_send_exactly_one_email(config_path, smtp):
    environment = {
        **os.environ,
        "SUMMARIZER_CACHE": "replay",
        "SUMMARIZER_CACHE_DIR": str(ROOT / "fixtures"),
        "SUMMARIZER_MODEL": "local",
    }
    command = [sys.executable, "-m", "summarizer", "digest", "--config", str(config_path)]
    runs = [
        subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    assert len(smtp.inbox.messages) == 1
    stderr = b" ".join(err for _, err in outputs).decode()
    assert "another digest run is in progress" in stderr or "nothing new to send" in stderr


def test_dry_run_writes_the_email_and_changes_nothing(config_path, smtp, tmp_path):
    out = tmp_path / "out"
    dry = run_cli("--config", str(config_path), "--dry-run", "-o", str(out))

    assert dry.exit_code == 0, dry.output
    assert sorted(p.name for p in out.iterdir()) == ["digest-1.eml", "digest-1.html"]
    assert dry.stdout.split() == [str(out / "digest-1.eml"), str(out / "digest-1.html")]
    saved = email.message_from_bytes(
        (out / "digest-1.eml").read_bytes(), policy=email.policy.default
    )
    assert saved["Subject"].endswith(": 3 stories")
    assert smtp.inbox.messages == []

    real = run_cli("--config", str(config_path))
    assert real.exit_code == 0 and len(smtp.inbox.messages) == 1
