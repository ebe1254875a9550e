"""The command line without the model: help, version, schema, cache, inputs, errors, prices."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from summarizer.cli import cli
from summarizer.inputs import expand

from .test_fetch import SITE, site  # noqa: F401  (the loopback server fixture)


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def _walk(command: click.Command, path: str):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, f"{path} {name}")


def test_every_command_and_option_has_help_text():
    missing = []
    for path, command in _walk(cli, "summarizer"):
        if not (command.help or "").strip():
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{path} {param.opts[-1]}")
    assert not missing, f"no help text: {missing}"


def test_the_tree_walk_sees_every_command():
    paths = {path for path, _ in _walk(cli, "summarizer")}
    expected = {"summarizer summarize", "summarizer schema", "summarizer cache stats"}
    assert expected <= paths


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for name in ("summarize", "schema", "cache"):
        assert name in result.stdout


def test_version():
    from summarizer import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"summarizer, version {__version__}"


def test_schema_is_the_json_schema_of_a_result():
    result = run("schema")
    schema = json.loads(result.stdout)
    assert {"article", "summary", "provenance"} <= set(schema["properties"])


def test_cache_stats_and_clear(tmp_path):
    folder = tmp_path / "responses"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.json").write_text("{}")
    stats = run("cache", "stats", "--cache-dir", str(folder))
    assert stats.stdout.startswith("2 responses, ")
    cleared = run("cache", "clear", "--cache-dir", str(folder))
    assert "removed 2 responses" in cleared.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-file.txt"], "no-such-file.txt: no such file"),
        (["ftp://example.org/a.html"], "only http and https URLs can be fetched"),
        (["-"], "stdin: no article text was given"),
    ],
)
def test_input_errors_are_one_line_and_exit_1(args, message):
    result = run("summarize", *args, input="")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "1 of 1 inputs failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_failed_input_writes_no_output_file(tmp_path):
    out = tmp_path / "summary.md"
    result = run("summarize", str(tmp_path / "missing.txt"), "-o", str(out))
    assert result.exit_code == 1
    assert not out.exists()


def test_a_page_that_is_not_an_article_is_reported(site):  # noqa: F811
    result = run("summarize", f"{site}/login.html")
    assert result.exit_code == 1
    assert f"{site}/login.html: not an article page" in result.stderr


def test_an_empty_folder_is_reported(tmp_path):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    result = run("summarize", str(tmp_path))
    assert result.exit_code == 1
    assert "no article files" in result.stderr


def test_expand_opens_folders_and_url_lists(tmp_path):
    (tmp_path / "b.md").write_text("# B\n\ntext")
    (tmp_path / "a.txt").write_text("text")
    (tmp_path / "page.html").write_text("<p>x</p>")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "image.png").write_bytes(b"x")
    listing = tmp_path / "list.txt"
    listing.write_text("# reading\nhttps://a.example/one\n\nhttp://b.example/two.html?x=1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "list.txt").write_text("https://a.example/one\n")
    sources = expand([str(tmp_path / "sub"), str(listing), "-"])
    names = [s.name for s in sources]
    assert names == [
        "https://a.example/one",
        "https://a.example/one",
        "http://b.example/two.html?x=1",
        "stdin",
    ]
    folder = expand([str(tmp_path)])
    assert [Path(s.name).name for s in folder] == [
        "a.txt",
        "b.md",
        "one",
        "two.html?x=1",
        "page.html",
    ]


def test_a_text_file_with_prose_is_an_article_not_a_url_list(tmp_path):
    article = tmp_path / "story.txt"
    article.write_text("See https://a.example for more.\nThe council met on Monday.\n")
    (source,) = expand([str(article)])
    assert source.load().text.startswith("See https://")


def test_output_stems_are_stable_and_unique(tmp_path):
    (tmp_path / "x.txt").write_text("one")
    (tmp_path / "x.md").write_text("two")
    urls = ["https://news.example/2026/03/Big-Story.html", "https://news.example/"]
    first = [s.stem for s in expand([str(tmp_path), *urls])]
    second = [s.stem for s in expand([str(tmp_path), *urls])]
    assert first == second
    assert len(set(first)) == len(first)
    assert first[2].startswith("big-story-") and first[3].startswith("news-example-")
