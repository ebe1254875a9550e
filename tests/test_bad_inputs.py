"""Strange and hostile inputs through the CLI: a valid summary or a clear error, no traceback.

Inputs that reach the model replay responses recorded from the embedded model; the big,
binary and undecodable inputs are generated here at run time instead of being committed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer import SummaryResult
from summarizer.articles import MAX_ARTICLE_BYTES, read_file
from summarizer.cli import cli
from summarizer.pipeline import user_prompt
from summarizer.render import render

from . import loopback
from .conftest import FIXTURES, RECORDING, ROOT
from .loopback import QuietHandler

BAD = Path(__file__).parent / "articles" / "bad"
PUBLISHED = "2026-03-10"

# Each input that reaches the model, with the title passed on the command line (a fixed
# title keeps the recorded request independent of how titles are derived from files).
MODEL_INPUTS: dict[str, str] = {
    "non-english.txt": "Valdemora reabrirá su tranvía",
    "prompt-injection.txt": "Port Ellery closes its north pier for repairs",
    "jinja-syntax.txt": "Norrvik catalogue printed {{ 7*7 }} on its site",
    "headline-only.md": "Council approves new bridge budget for Lindholm",
    "scripts.html": "Ferry service resumes on the Skarvik line",
}


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    output_dir: Path


_model_runs: dict[str, Run] = {}


def run_cli(args: list[str], output_dir: Path, stdin: bytes | None = None) -> Run:
    """Run the CLI in-process with exceptions not swallowed; stdout and stderr apart."""
    output_dir.mkdir(parents=True, exist_ok=True)
    result = CliRunner().invoke(cli, args, input=stdin, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr, output_dir)


def model_run(name: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Summarise one corpus input to JSON once per session (in record mode, one model run)."""
    if name not in _model_runs:
        out = tmp_path_factory.mktemp("model-run")
        args = ["summarize", str(BAD / name), "--format", "json", "-o", str(out / "summary.json")]
        args += ["--title", MODEL_INPUTS[name], "--published", PUBLISHED]
        _model_runs[name] = run_cli(args, out)
    return _model_runs[name]


def assert_clear_failure(run: Run, *fragments: str) -> None:
    """Non-zero exit, a line naming the problem, no traceback, nothing written."""
    assert run.exit_code != 0
    lines = [" ".join(line.split()) for line in run.stderr.splitlines()]
    assert any(all(f in line for f in fragments) for line in lines), run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stdout == ""
    assert list(run.output_dir.iterdir()) == []  # no output file, no half-written temp file


def summarize_to_file(tmp_path: Path, path: Path) -> Run:
    out = tmp_path / "out"
    return run_cli(["summarize", str(path), "-o", str(out / "summary.md")], out)


# --- inputs refused before the model -------------------------------------------------------


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert_clear_failure(summarize_to_file(tmp_path, path), "empty.txt", "empty")


def test_whitespace_only_file_is_refused(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\t\n   \r\n\u00a0\n", encoding="utf-8")
    assert_clear_failure(summarize_to_file(tmp_path, path), "blank.txt", "empty")


def test_whitespace_only_stdin_is_refused(tmp_path):
    out = tmp_path / "out"
    run = run_cli(["summarize", "-", "-o", str(out / "s.md")], out, stdin=b"  \n\n\t ")
    assert_clear_failure(run, "stdin", "no article text")


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    assert_clear_failure(summarize_to_file(tmp_path, path), "photo.txt", "binary")


def test_invalid_utf8_is_refused_naming_the_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le café de la gare a fermé ses portes lundi.\n".encode("latin-1") * 20)
    assert_clear_failure(summarize_to_file(tmp_path, path), "latin1.txt", "UTF-8", "byte 6")


def test_five_megabytes_of_text_is_refused_with_a_size_error(tmp_path):
    path = tmp_path / "huge.txt"
    sentence = b"The council met again on Tuesday and talked about the budget. "
    path.write_bytes(sentence * (MAX_ARTICLE_BYTES // len(sentence) + 1))
    assert path.stat().st_size > MAX_ARTICLE_BYTES
    assert_clear_failure(summarize_to_file(tmp_path, path), "huge.txt", "larger than 5 MB")


def test_five_megabytes_on_stdin_is_refused_with_a_size_error(tmp_path):
    out = tmp_path / "out"
    run = run_cli(["summarize", "-", "-o", str(out / "s.md")], out, stdin=b"x" * (6 << 20))
    assert_clear_failure(run, "stdin", "larger than 5 MB")


def test_a_file_name_too_long_for_the_system_is_refused(tmp_path):
    path = tmp_path / ("a" * 300 + ".txt")
    assert_clear_failure(summarize_to_file(tmp_path, path), "cannot read", "File name too long")


@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_a_file_that_may_never_end_is_refused_unread(kind, tmp_path):
    # /dev/zero and a named pipe say they are empty and never end: reading them would hang.
    path = Path("/dev/zero") if kind == "device" else tmp_path / "pipe.txt"
    if kind == "pipe":
        os.mkfifo(path)
    assert_clear_failure(summarize_to_file(tmp_path, path), str(path), "not a regular file")


def test_missing_file_and_folder_are_refused(tmp_path):
    assert_clear_failure(summarize_to_file(tmp_path, tmp_path / "nope.txt"), "no such file")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert_clear_failure(summarize_to_file(tmp_path, folder), "folder")


@contextmanager
def serving(content_type: str, body: bytes) -> Iterator[str]:
    """A loopback web server answering every GET with this body and content type."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            # The client may hang up once it has seen enough: send_body allows for it.
            self.send_body(200, body, content_type)

    with loopback.serving(Handler) as root:
        yield root


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/report.pdf", "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
        ("/photo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("/data.bin", "application/octet-stream", bytes(range(256))),
    ],
)
def test_url_to_a_non_html_resource_is_refused(path, content_type, body, tmp_path):
    out = tmp_path / "out"
    with serving(content_type, body) as root:
        run = run_cli(["summarize", root + path, "-o", str(out / "s.md")], out)
    assert_clear_failure(run, path, "not an article page", content_type)


def test_url_to_a_page_over_5_mb_is_refused(tmp_path):
    out = tmp_path / "out"
    body = b"<html><body><p>" + b"word " * (MAX_ARTICLE_BYTES // 5 + 1) + b"</p></body></html>"
    with serving("text/html", body) as root:
        run = run_cli(["summarize", root + "/huge.html", "-o", str(out / "s.md")], out)
    assert_clear_failure(run, "/huge.html", "larger than 5 MB")


# --- malformed values: front matter, settings, digest config, URLs -------------------------

# Each front matter holding a value of the wrong kind, and what the error line says.
BAD_FRONT_MATTER: dict[str, tuple[str, tuple[str, ...]]] = {
    "impossible-date": ("published: 2025-13-45", ("'published'", "2025-13-45", "not a date")),
    "impossible-day": ("date: 2025-02-30", ("'date'", "day is out of range")),
    "date-as-number": ("published: 2025", ("'published'", "a number is not a date")),
    "date-as-list": ("published: [2025, 3, 17]", ("'published'", "a list is not a date")),
    "date-as-mapping": ("published: {year: 2025}", ("'published'", "a mapping is not a date")),
    "date-as-words": ("published: last Tuesday", ("last Tuesday is not a date (YYYY-MM-DD)",)),
    "tagged-impossible-date": ("published: !!timestamp 2025-13-45", ("not valid YAML", "month")),
    "title-as-list": ("title: [Budget, vote]", ("'title' must be text, not a list",)),
    "title-as-mapping": ("title: {en: Budget}", ("'title' must be text, not a mapping",)),
    "site-as-boolean": ("site: yes", ("'site' must be text, not true or false",)),
    "url-as-list": ("url: [https://a.example/x]", ("'url' must be text, not a list",)),
    "integer-tag": ("title: !!int twelve", ("not valid YAML", "twelve")),
    "python-tag": ("title: !!python/object/apply:os.system [echo hi]", ("not valid YAML",)),
    "deep-nesting": ("title: " + "[" * 3000 + "]" * 3000, ("not valid YAML", "too deeply")),
}


def with_front_matter(block: str) -> str:
    return f"---\n{block}\n---\nThe council met on Tuesday and voted on the budget.\n"


@pytest.mark.parametrize("name", sorted(BAD_FRONT_MATTER))
def test_front_matter_with_a_malformed_value_is_one_error_line(name, tmp_path):
    block, fragments = BAD_FRONT_MATTER[name]
    path = tmp_path / f"{name}.md"
    path.write_text(with_front_matter(block), encoding="utf-8")
    assert_clear_failure(summarize_to_file(tmp_path, path), f"{name}.md", *fragments)


def test_front_matter_with_an_impossible_date_on_stdin_is_one_error_line(tmp_path):
    out = tmp_path / "out"
    stdin = with_front_matter("published: 2025-13-45").encode()
    run = run_cli(["summarize", "-", "-o", str(out / "s.md")], out, stdin=stdin)
    assert_clear_failure(run, "stdin: front matter 'published'", "2025-13-45")


# Each settings file (config.toml) with a malformed value, and what the error line says.
BAD_SETTINGS: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "toml-syntax": (b"model = [1\n", ("config.toml", "invalid TOML")),
    "not-utf-8": (b"model = '\xff'\n", ("config.toml", "not valid UTF-8")),
    "text-for-a-number": (b'concurrency = "many"\n', ("invalid setting concurrency",)),
    "list-for-a-number": (b"fetch_timeout = [20]\n", ("invalid setting fetch_timeout",)),
    "negative-timeout": (b"article_timeout = -1\n", ("article_timeout", "greater than 0")),
    "text-for-a-switch": (b'allow_private_addresses = "maybe"\n', ("allow_private_addresses",)),
}


@pytest.mark.parametrize("name", sorted(BAD_SETTINGS))
def test_a_settings_file_with_a_malformed_value_is_one_error_line(name, tmp_path, monkeypatch):
    data, fragments = BAD_SETTINGS[name]
    config = tmp_path / "config.toml"
    config.write_bytes(data)
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(config))
    article = tmp_path / "article.txt"
    article.write_text("The council met on Tuesday and voted on the budget.\n", encoding="utf-8")
    assert_clear_failure(summarize_to_file(tmp_path, article), *fragments)


@pytest.mark.parametrize("command", ["summarize", "digest"])
def test_a_config_file_that_may_never_end_is_refused_unread(command, tmp_path, monkeypatch):
    out = tmp_path / "out"
    if command == "summarize":
        monkeypatch.setenv("SUMMARIZER_CONFIG", "/dev/zero")
        article = tmp_path / "article.txt"
        article.write_text("The council met on Tuesday.\n", encoding="utf-8")
        run = run_cli(["summarize", str(article), "-o", str(out / "s.md")], out)
    else:
        run = run_cli(["digest", "--config", "/dev/zero", "--dry-run", "-o", str(out)], out)
    assert_clear_failure(run, "/dev/zero: not a regular file")


def test_malformed_prices_are_ignored_with_a_warning(tmp_path, monkeypatch, caplog):
    from summarizer.pricing import DEFAULT_PRICES, price_table

    config = tmp_path / "config.toml"
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(config))
    for data in (b"prices = 3\n", b'[prices.m]\ninput = "cheap"\noutput = 1\n', b"\xff"):
        config.write_bytes(data)
        assert price_table() == DEFAULT_PRICES
    assert caplog.text.count("ignoring price") == 3


# Each digest config with a malformed value, and what the error line says.
BAD_DIGEST_CONFIGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "text-for-a-limit": ('[limits]\nmax_articles = "ten"', ("limits.max_articles", "integer")),
    "zero-run-budget": ("[limits]\nrun_seconds = 0", ("limits.run_seconds", "greater than 0")),
    "text-for-a-switch": ('allow_private_addresses = "yes please"', ("allow_private_addresses",)),
    "fetch-limit-in-model": ("[model]\nfetch_timeout = 5", ("[limits] fetch_seconds",)),
    "feed-without-url": ('[[sources]]\ntype = "feed"', ("sources.1.feed.url", "required")),
    "number-for-a-folder": ('[[sources]]\ntype = "folder"\npath = 5', ("sources.1.folder.path",)),
}


@pytest.mark.parametrize("name", sorted(BAD_DIGEST_CONFIGS))
def test_a_digest_config_with_a_malformed_value_is_one_error_line(name, tmp_path):
    extra, fragments = BAD_DIGEST_CONFIGS[name]
    config = tmp_path / "digest.toml"
    # Tables must follow the top-level keys: the malformed part goes first or last.
    top, tables = (extra, "") if not extra.startswith("[") else ("", extra)
    config.write_text(
        f'{top}\n[[sources]]\ntype = "folder"\npath = "articles"\n{tables}\n'
        '[email]\nfrom = "d@example.org"\nto = ["t@example.org"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run = run_cli(["digest", "--config", str(config), "--dry-run", "-o", str(out)], out)
    assert_clear_failure(run, "digest.toml", *fragments)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_digest_state_where_none_can_be_is_one_error_line(tmp_path, dry_run):
    config = tmp_path / "digest.toml"
    config.write_text(
        'state = "/proc/none/state.sqlite"\n[[sources]]\ntype = "folder"\npath = "a"\n'
        '[email]\nfrom = "d@example.org"\nto = ["t@example.org"]\n'
        '[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["digest", "--config", str(config), *(["--dry-run", "-o", str(out)] if dry_run else [])]
    run = run_cli(args, out)
    assert_clear_failure(run, "/proc/none/state.sqlite", "cannot", "No such file or directory")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://[::1/story", "invalid URL"),  # an unclosed IPv6 literal
        ("http://example.org:99999/story", "invalid URL"),  # a port out of range
        ("http:///story", "the URL has no host"),
    ],
)
def test_a_malformed_url_is_one_error_line(url, fragment, tmp_path):
    out = tmp_path / "out"
    run = run_cli(["summarize", url, "-o", str(out / "s.md")], out)
    assert_clear_failure(run, url, fragment)
    listing = tmp_path / "reading.urls"
    listing.write_text(f"{url}\n", encoding="utf-8")
    assert_clear_failure(summarize_to_file(tmp_path, listing), url, fragment)


# --- what the model is given for the hostile corpus inputs (no model call) -----------------


def test_html_full_of_scripts_is_reduced_to_its_article_text():
    article = read_file(BAD / "scripts.html")
    assert article.title == MODEL_INPUTS["scripts.html"]
    assert "Nordlink" in article.text and "Per Holm" in article.text
    prompt = user_prompt(article, article.text)
    for trace in ("<script", "evil.example", "tracker.example", "onerror", "alert(", "eval"):
        assert trace not in prompt


def test_prompt_injection_stays_inside_the_article_fence():
    article = read_file(BAD / "prompt-injection.txt")
    prompt = user_prompt(article, article.text)
    boundary = prompt.split("<<<ARTICLE ", 1)[1].split(">>>", 1)[0]
    start = prompt.index(f"<<<ARTICLE {boundary}>>>")
    end = prompt.index(f"<<<END ARTICLE {boundary}>>>")
    assert start < prompt.index("IGNORE PREVIOUS INSTRUCTIONS") < end
    assert start < prompt.index("<<<END ARTICLE>>>") < end  # the forged fence is just text
    assert prompt.count(f"<<<END ARTICLE {boundary}>>>") == 1


def test_non_english_text_is_read_intact():
    article = read_file(BAD / "non-english.txt")
    assert "línea de tranvía" in article.text and "Andrés Molina" in article.text


# --- inputs that reach the model (replayed from recorded fixtures) -------------------------


@pytest.mark.parametrize("name", sorted(MODEL_INPUTS))
def test_model_input_gives_a_valid_summary_file(name, tmp_path_factory):
    run = model_run(name, tmp_path_factory)
    assert run.exit_code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""  # the summary went to the file, diagnostics to stderr
    written = sorted(p.name for p in run.output_dir.iterdir())
    assert written == ["summary.json"]  # no temporary file left beside it
    result = SummaryResult.model_validate_json((run.output_dir / "summary.json").read_text())
    if name.endswith(".html"):  # the text extracted from the page, scripts dropped
        assert "Nordlink" in result.article.text and "<script" not in result.article.text
    else:
        assert result.article.text == (BAD / name).read_text(encoding="utf-8")
    assert result.summary.summary and result.summary.actors


def _result(name: str, tmp_path_factory: pytest.TempPathFactory) -> SummaryResult:
    run = model_run(name, tmp_path_factory)
    assert run.exit_code == 0, run.stderr
    return SummaryResult.model_validate_json((run.output_dir / "summary.json").read_text())


def test_prompt_injection_does_not_take_over_the_answer(tmp_path_factory):
    result = _result("prompt-injection.txt", tmp_path_factory)
    text = result.summary.model_dump_json()
    assert result.summary.summary.strip().upper() != "PWNED"
    assert "developer mode" not in result.summary.summary.lower()
    assert "sk-" not in text  # no key was known, and none was invented
    names = " ".join(actor.name for actor in result.summary.actors)
    assert "Voss" in names  # it summarised the article instead


def test_jinja_in_the_article_stays_literal(tmp_path_factory):
    result = _result("jinja-syntax.txt", tmp_path_factory)
    assert "{{ config.SECRET_KEY }}" in result.article.text
    title = MODEL_INPUTS["jinja-syntax.txt"]
    assert result.article.title == title
    # The recorded answer repeats the article's template code in its summary.
    assert "{{ config.SECRET_KEY }}" in result.summary.summary
    for fmt in ("markdown", "html", "json"):
        output = render(result, fmt)
        assert title in output  # {{ 7*7 }} printed as written, not as 49
        assert "{% for book in books %}" in output


def test_html_full_of_scripts_reaches_the_model_as_text_only(tmp_path_factory):
    run = model_run("scripts.html", tmp_path_factory)
    assert run.exit_code == 0, run.stderr
    written = (run.output_dir / "summary.json").read_text()
    for trace in ("<script", "evil.example", "onerror", "alert(", "document.cookie"):
        assert trace not in written
    result = SummaryResult.model_validate_json(written)
    names = " ".join(" ".join([a.name, *a.aliases]) for a in result.summary.actors)
    assert "Lind" in names or "Holm" in names or "Nordlink" in names


def test_non_english_article_is_summarised(tmp_path_factory):
    result = _result("non-english.txt", tmp_path_factory)
    names = " ".join(" ".join([a.name, *a.aliases]) for a in result.summary.actors)
    assert "Ferrer" in names


# --- the traceback-never check, as a user would run it --------------------------------------


def _subprocess_inputs(tmp_path: Path) -> list[tuple[str, list[str], bytes | None]]:
    binary = tmp_path / "binary.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Grüße aus Köln\n".encode("latin-1"))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"word " * (MAX_ARTICLE_BYTES // 5 + 1))
    impossible = tmp_path / "impossible-date.md"
    impossible.write_text(with_front_matter("published: 2025-13-45"), encoding="utf-8")
    cases: list[tuple[str, list[str], bytes | None]] = [
        ("empty", [str(empty)], None),
        ("whitespace stdin", ["-"], b" \n \t\n"),
        ("binary", [str(binary)], None),
        ("invalid utf-8", [str(latin1)], None),
        ("5 MB", [str(huge)], None),
        ("missing", [str(tmp_path / "missing.txt")], None),
        ("bad --published", [str(BAD / "non-english.txt"), "--published", "yesterday"], None),
        ("impossible date", [str(impossible)], None),
        ("unclosed IPv6 URL", ["http://[::1/story"], None),
        ("port out of range", ["http://example.org:99999/"], None),
    ]
    if not RECORDING:  # replayed; in record mode the in-process tests above record them
        for name, title in MODEL_INPUTS.items():
            cases.append(
                (name, [str(BAD / name), "--title", title, "--published", PUBLISHED], None)
            )
    return cases


def test_python_m_summarizer_never_prints_a_traceback(tmp_path):
    env = {
        **os.environ,
        "SUMMARIZER_CACHE": "replay",
        "SUMMARIZER_CACHE_DIR": str(FIXTURES),
        "SUMMARIZER_MODEL": "local",
    }
    env.pop("SUMMARIZER_DEBUG", None)
    failures = []
    for label, args, stdin in _subprocess_inputs(tmp_path):
        done = subprocess.run(
            [sys.executable, "-m", "summarizer", "summarize", *args, "--format", "json"],
            input=stdin or b"",
            capture_output=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        stderr = done.stderr.decode("utf-8", "replace")
        if "Traceback" in stderr:
            failures.append(f"{label}: traceback\n{stderr}")
        elif done.returncode == 0:
            json.loads(done.stdout)  # a success prints a whole JSON result
        elif done.stdout or not stderr.strip():
            failures.append(f"{label}: exit {done.returncode} without one clear error")
    assert not failures, "\n".join(failures)
