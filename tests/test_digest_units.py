"""The digest's parts on their own: state, config, email rendering, SMTP, the Python API.

Summaries come from fixtures recorded with the embedded model (the same requests the
end-to-end tests in test_digest.py make).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import sqlite3
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from summarizer import ConfigError, Summarizer, SummaryResult
from summarizer.archive.db import MIGRATIONS
from summarizer.articles import content_hash
from summarizer.digest import (
    SendError,
    SmtpSettings,
    build_digest,
    build_email,
    parse_config,
    send_email,
)
from summarizer.digest.email import one_line, safe_href
from summarizer.digest.sources import FolderSource, canonical_url, list_items
from summarizer.digest.state import State, StateError

from .test_digest import (
    TITLES,
    Smtp,
    _free_port,
    _Inbox,
    the_four_articles,
)

_results: list[SummaryResult] = []


@pytest.fixture
def results() -> list[SummaryResult]:
    if not _results:
        outcomes = Summarizer().summarize_many(the_four_articles())
        assert all(isinstance(outcome, SummaryResult) for outcome in outcomes), outcomes
        _results.extend(outcomes)  # type: ignore[arg-type]
    return [result.model_copy(deep=True) for result in _results]


# --- the Python API ----------------------------------------------------------------------


def test_python_api_builds_groups_and_sends_a_digest(results):
    digest = build_digest(results, date=dt.date(2026, 11, 25), title="Team news")
    mail = build_email(
        digest,
        sender="Digest <digest@example.org>",
        recipients=["team@example.org"],
        subject_template="{{ title }} {{ date }}: {{ count }} stories, top: {{ top }}",
    )
    inbox = _Inbox()
    server = Smtp(port=_free_port(), inbox=inbox)
    server.start()
    try:
        send_email(mail, SmtpSettings(host="127.0.0.1", port=server.port, security="none"))
    finally:
        server.stop()

    # One item per story: the strike and the talks (a day apart, the same people) are one.
    assert digest.count == len(digest.groups) == 3 and digest.articles == 4
    strike_and_talks = {story.title for story in digest.groups[0].stories}
    assert strike_and_talks == {TITLES[0], TITLES[1]}
    assert digest.groups[0].shared_actors
    [received] = inbox.messages
    assert received["Subject"] == f"Team news 2026-11-25: 3 stories, top: {TITLES[0]}"
    assert received["Message-ID"] == mail.message_id


def test_a_title_cannot_inject_mail_headers(results):
    results[0].article.title = "Strike\r\nBcc: victim@example.net\r\n\r\n<b>body</b>"
    digest = build_digest(results)

    mail = build_email(
        digest, sender="d@example.org", recipients=["t@example.org"], subject_template="{{ top }}"
    )
    parsed = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)

    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Strike Bcc: victim@example.net <b>body</b>"
    assert "&lt;b&gt;body&lt;/b&gt;" in mail.html


def test_links_are_kept_only_for_http_urls(results):
    results[0].article.url = 'javascript:alert("x")'
    results[1].article.url = "https://news.example/a?b=1&c=2"
    html = build_email(
        build_digest(results), sender="d@example.org", recipients=["t@example.org"]
    ).html

    # The bike-lanes article's own text mentions a javascript: link; it may appear, escaped,
    # as text in the highlighted article, but never as a link.
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and not any("javascript" in href for href in hrefs)
    assert 'href="https://news.example/a?b=1&amp;c=2"' in html


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.org/x", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("file:///etc/passwd", False),
        ("//example.org/x", False),
        (None, False),
    ],
)
def test_safe_href(url, kept):
    assert (safe_href(url) is not None) is kept


def test_one_line_flattens_and_caps():
    assert one_line("a\r\nb\tc") == "a b c"
    assert len(one_line("x" * 500)) == 200


def test_a_bad_address_is_a_config_error(results):
    with pytest.raises(ConfigError, match="not one email address"):
        build_email(build_digest(results), sender="nobody", recipients=["t@example.org"])


# --- SMTP ----------------------------------------------------------------------------------


class _Authenticator:
    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.seen.append((auth_data.login, auth_data.password))
        # handled=False: aiosmtpd itself answers 535 to a failed login (the default,
        # handled=True, means the authenticator already replied, and nothing is sent).
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_password_comes_from_the_named_environment_variable(results, monkeypatch):
    authenticator = _Authenticator()
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
        auth_require_tls=False, auth_required=True,
    )  # fmt: skip
    smtp = SmtpSettings(
        host="127.0.0.1", port=port, security="none", username="digest",
        password_env="DIGEST_TEST_PASSWORD",
    )  # fmt: skip
    mail = build_email(build_digest(results), sender="d@example.org", recipients=["t@example.org"])
    controller.start()
    try:
        with pytest.raises(ConfigError, match=r"\$DIGEST_TEST_PASSWORD is empty"):
            send_email(mail, smtp)
        monkeypatch.setenv("DIGEST_TEST_PASSWORD", "wrong")
        with pytest.raises(SendError, match="login refused") as refused:
            send_email(mail, smtp)
        monkeypatch.setenv("DIGEST_TEST_PASSWORD", "s3cret")
        send_email(mail, smtp)
    finally:
        controller.stop()

    assert refused.value.permanent
    # smtplib tries each offered mechanism (PLAIN, then LOGIN) before giving up.
    assert set(authenticator.seen) == {(b"digest", b"wrong"), (b"digest", b"s3cret")}
    assert authenticator.seen[-1] == (b"digest", b"s3cret")
    assert len(inbox.messages) == 1


def test_starttls_is_never_downgraded_to_plain_text(results):
    server = Smtp(port=_free_port(), inbox=_Inbox())  # offers no STARTTLS
    mail = build_email(build_digest(results), sender="d@example.org", recipients=["t@example.org"])
    server.start()
    try:
        with pytest.raises(SendError, match=r"SMTP 127\.0\.0\.1") as error:
            send_email(mail, SmtpSettings(host="127.0.0.1", port=server.port))
    finally:
        server.stop()

    assert not error.value.permanent
    assert server.inbox.messages == []


def test_an_unreachable_server_is_a_retryable_send_error(results):
    mail = build_email(build_digest(results), sender="d@example.org", recipients=["t@example.org"])
    with pytest.raises(SendError) as error:
        send_email(mail, SmtpSettings(host="127.0.0.1", port=_free_port(), security="none"))
    assert not error.value.permanent and "\n" not in str(error.value)


# --- state ---------------------------------------------------------------------------------


def test_state_is_migrated_in_wal_mode_with_a_busy_timeout(tmp_path):
    path = tmp_path / "deep" / "state.sqlite"
    state = State.open(path)

    assert state.version == len(MIGRATIONS)
    assert state.archive.value("PRAGMA journal_mode") == "wal"
    assert state.archive.value("PRAGMA busy_timeout") == 30_000
    state.close()
    assert State.open(path).version == len(MIGRATIONS)  # reopening migrates nothing twice


def test_a_newer_state_is_refused(tmp_path):
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StateError, match="newer than this summarizer"):
        State.open(path)


def test_the_same_text_under_another_url_is_one_article(tmp_path):
    state = State.open(tmp_path / "state.sqlite")
    common = {"title": "t", "source": "s", "published": None}
    first = state.add_article(
        urls=["https://a.example/x"], content_hash=content_hash("Some  Text"), text="Some  Text",
        **common,
    )  # fmt: skip
    again = state.add_article(
        urls=["https://b.example/y"], content_hash=content_hash("some text"), text="some text",
        **common,
    )  # fmt: skip

    assert first is not None and again is None
    assert state.article_count() == 1 and state.knows_url("https://b.example/y")


def test_a_snapshot_leaves_the_real_state_alone(tmp_path):
    state = State.open(tmp_path / "state.sqlite")
    copy = state.snapshot()
    copy.add_article(
        urls=["https://a.example/x"], content_hash="h", title=None, source=None,
        published=None, text="x",
    )  # fmt: skip
    assert copy.article_count() == 1 and state.article_count() == 0


def test_canonical_url_drops_tracking_and_fragments():
    assert (
        canonical_url("HTTPS://News.Example/a?utm_source=x&b=2&a=1#top")
        == "https://news.example/a?a=1&b=2"
    )


# --- config --------------------------------------------------------------------------------


def _config(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "sources": [{"type": "folder", "path": "articles"}],
        "email": {"from": "d@example.org", "to": ["t@example.org"]},
        "smtp": {"host": "smtp.example.org", "username": "d"},
    }
    data.update(changes)
    return data


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = parse_config(_config(state="s.sqlite"), base=tmp_path)
    assert config.state == tmp_path / "s.sqlite"
    assert config.sources[0].path == tmp_path / "articles"  # type: ignore[union-attr]
    assert config.smtp is not None and config.smtp.effective_port == 587


def test_a_password_in_the_file_is_refused(tmp_path):
    data = _config(smtp={"host": "smtp.example.org", "password": "hunter2"})
    with pytest.raises(ConfigError, match=r"smtp\.password: Extra inputs are not permitted"):
        parse_config(data, base=tmp_path)


def test_an_unknown_model_setting_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="unknown summarizer setting"):
        parse_config(_config(model={"modle": "local"}), base=tmp_path)


def test_a_header_value_spanning_lines_is_refused(tmp_path):
    data = _config(email={"from": "d@example.org", "to": ["t@example.org"], "title": "a\nb"})
    with pytest.raises(ConfigError, match="must be one line"):
        parse_config(data, base=tmp_path)


def test_the_example_config_is_valid():
    from summarizer.digest import load_config

    config = load_config(Path(__file__).parent.parent / "examples" / "digest.toml")
    assert {source.type for source in config.sources} == {"feed", "folder", "urls"}
    assert config.smtp is not None and config.smtp.password_env


def test_cli_reports_a_missing_config_in_one_line(tmp_path):
    from click.testing import CliRunner

    from summarizer.cli import cli

    result = CliRunner().invoke(cli, ["digest", "--config", str(tmp_path / "none.toml")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'none.toml'}: no such config file (see examples/digest.toml)"
    ]


def test_cli_has_help():
    from click.testing import CliRunner

    from summarizer.cli import cli

    result = CliRunner().invoke(cli, ["digest", "--help"])
    assert result.exit_code == 0 and "--dry-run" in result.output


class _Rejecting:
    async def handle_DATA(self, server, session, envelope) -> str:
        return "554 5.7.1 message rejected as spam"


def test_a_rejected_message_is_a_permanent_send_error(results):
    port = _free_port()
    controller = Controller(_Rejecting(), hostname="127.0.0.1", port=port)
    mail = build_email(build_digest(results), sender="d@example.org", recipients=["t@example.org"])
    controller.start()
    try:
        with pytest.raises(SendError, match=r"554 5\.7\.1 message rejected as spam") as error:
            send_email(mail, SmtpSettings(host="127.0.0.1", port=port, security="none"))
    finally:
        controller.stop()
    assert error.value.permanent


def test_the_email_shows_each_article_with_its_quotes_highlighted(results):
    html = build_email(
        build_digest(results), sender="d@example.org", recipients=["t@example.org"]
    ).html
    assert "The articles, with the quoted words highlighted" in html
    texts = {result.article.text for result in results}
    spans = re.findall(r'<mark[^>]*data-start="(\d+)" data-end="(\d+)"', html)
    assert spans
    quotes = {
        evidence.quote
        for result in results
        for _, _, evidence in result.summary.evidence()
        if evidence.match == "exact"
    }
    sliced = {text[int(start) : int(end)] for text in texts for start, end in spans}
    assert quotes & sliced  # exact quotes are highlighted at their offsets
    for number in range(len(results)):
        assert f'id="s{number}-article"' in html and f'href="#s{number}-article"' in html
    assert "<script>" not in html  # the bike-lanes article's markup stays text


def test_a_folder_article_with_front_matter_keeps_its_link_site_and_date(tmp_path):
    (tmp_path / "clipped.md").write_text(
        "---\ntitle: Pier closed\nsource: https://example.org/pier?utm_source=x\n"
        "site: Port Ellery Gazette\npublished: 2026-03-09\n---\nThe pier closed on Monday.\n"
    )
    (tmp_path / "plain.txt").write_text("The ferry runs again.\n")
    clipped, plain = list_items(FolderSource(type="folder", name="Notes", path=tmp_path))
    assert clipped.canonical_url == "https://example.org/pier"  # one article, wherever it is seen
    assert (clipped.title, clipped.source) == ("Pier closed", "Port Ellery Gazette")
    assert clipped.published == clipped.dated == dt.date(2026, 3, 9)
    assert plain.url == (tmp_path / "plain.txt").as_uri() and plain.source == "Notes"
    assert plain.published is None and plain.dated == dt.datetime.now(dt.UTC).date()  # mtime


def test_one_unreadable_file_does_not_hide_the_rest_of_its_folder(tmp_path, caplog):
    (tmp_path / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "gone.md")
    (tmp_path / "impossible.md").write_text("---\npublished: 2025-13-45\n---\nText.\n")
    (tmp_path / "fine.txt").write_text("The ferry runs again.\n")
    items = list_items(FolderSource(type="folder", path=tmp_path))
    assert [item.text for item in items] == ["The ferry runs again.\n"]
    assert "broken.md: the front matter is not valid YAML" in caplog.text
    assert "dangling.md: No such file or directory" in caplog.text
    assert "impossible.md: front matter 'published': 2025-13-45 is not a date" in caplog.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("missing.txt", None, "No such file or directory"),
        ("latin1.txt", "Caf\xe9\n".encode("latin-1"), r"not valid UTF-8 text \(byte 3\)"),
        ("huge.txt", b"https://a.example/x\n" * 60_000, "a URL list larger than 1 MB"),
        ("/dev/zero", None, "not a regular file"),
    ],
)
def test_an_unreadable_url_list_file_is_one_source_error(tmp_path, name, data, message):
    from summarizer.digest.sources import SourceError, UrlListSource

    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(SourceError, match=message) as caught:
        list_items(UrlListSource(type="urls", file=path))
    assert "\n" not in str(caught.value)
