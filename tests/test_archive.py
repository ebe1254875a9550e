"""The archive on real SQLite files: recording, opting out, old digest databases, actor ids.

Recording goes through the real pipeline on the seed article, replayed from the fixture
recorded with the embedded model. Tests of actor identity and of the ledger use small
synthetic summaries written here (named `synthetic_*`): they are not model output.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer import Summarizer, SummaryResult
from summarizer.archive import (
    MIGRATIONS,
    actor_timeline,
    costs,
    default_path,
    merge,
    open_archive,
    record_summary,
    search,
    split,
    top_actors,
)
from summarizer.archive.record import costs as summary_costs
from summarizer.articles import content_hash
from summarizer.cli import cli
from summarizer.digest.state import State
from summarizer.pricing import price_of
from summarizer.schema import ArticleInfo, ArticleSummary, Provenance, Usage

from .conftest import SEED

_seed: list[SummaryResult] = []


@pytest.fixture
def seed_result(seed_article) -> SummaryResult:
    """The seed article's summary, made once without recording it."""
    if not _seed:
        _seed.append(Summarizer().summarize(seed_article, archive=False))
    return _seed[0].model_copy(deep=True)


def synthetic_summary(
    *actors: tuple[str, str],
    day: dt.date = dt.date(2026, 11, 2),
    model: str = "gpt-4.1-mini",
    usage: Usage | None = None,
    cache_hit: bool = False,
    text: str | None = None,
) -> SummaryResult:
    """A hand-written summary naming these (name, type) actors, each with one position."""
    text = text or f"Synthetic article of {day} about " + ", ".join(n for n, _ in actors) + "."
    answer = {
        "summary": f"Synthetic summary: {', '.join(n for n, _ in actors)} met on {day}.",
        "key_points": ["A synthetic meeting took place.", "Talks were held.", "No deal yet."],
        "actors": [{"name": name, "type": kind, "aliases": []} for name, kind in actors],
        "events": [
            {
                "what": "Synthetic meeting",
                "category": "consult",
                "status": "occurred",
                "when": None,
                "where": None,
                "participants": [name for name, _ in actors],
                "evidence": [text[:40]],
            }
        ],
        "positions": [
            {"actor": name, "topic": "ceasefire", "stance": "wants talks", "evidence": [text[:30]]}
            for name, _ in actors
        ],
        "demands": [],
    }
    usage = usage or Usage(prompt_tokens=1000, completion_tokens=200, total_tokens=1200)
    return SummaryResult(
        article=ArticleInfo(title=f"Synthetic {day}", published=day, text=text),
        summary=ArticleSummary.model_validate(answer),
        provenance=Provenance(
            model=model,
            backend="synthetic",
            prompt_hash="0" * 16,
            input_hash=content_hash(text)[:16],
            usage=usage,
            attempts=2,
            reasks=1,
            cache_hit=cache_hit,
            seconds=1.0,
            created=dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC),
        ),
    )


def _ids(archive, name: str) -> set[int]:
    """The archive ids the summaries' actors called `name` were given."""
    rows = archive.rows("SELECT actor_id FROM summary_actors WHERE name = ?", (name,))
    return {row["actor_id"] for row in rows}


# --- recording -----------------------------------------------------------------------------


def test_the_api_records_a_summary_with_its_article_provenance_and_cost(seed_article):
    result = Summarizer().summarize(seed_article)

    archive = open_archive()
    [row] = archive.rows("SELECT * FROM summaries")
    p = result.provenance
    assert archive.name == str(default_path()) and "data" in archive.name  # conftest's tmp
    assert (row["origin"], row["model"], row["prompt_hash"]) == ("api", p.model, p.prompt_hash)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        p.usage.prompt_tokens,
        p.usage.completion_tokens,
    )
    assert (row["calls"], row["reasks"], row["cache_hit"]) == (p.attempts, p.reasks, 1)
    assert row["cost_usd"] == 0.0  # the local model costs nothing
    article = archive.row("SELECT * FROM articles WHERE id = ?", (row["article_id"],))
    assert article["text"] == seed_article.text and article["summary_id"] == row["id"]
    assert json.loads(row["result"])["article"]["text"] is None  # stored once, in `articles`
    names = {r["name"] for r in archive.rows("SELECT name FROM actors")}
    assert {"Vladimir Putin", "Donald Trump"} <= names
    assert search(archive, "ceasefire"), "the summary's text is searchable"


def test_the_cli_records_what_it_summarises_and_no_archive_skips_it():
    runner = CliRunner()
    first = runner.invoke(cli, ["summarize", str(SEED), "-f", "json"], catch_exceptions=False)
    skipped = runner.invoke(
        cli, ["summarize", str(SEED), "-f", "json", "--no-archive"], catch_exceptions=False
    )

    assert first.exit_code == skipped.exit_code == 0
    archive = open_archive()
    [row] = archive.rows(
        "SELECT s.origin, a.input, a.origin AS article_origin FROM summaries s "
        "JOIN articles a ON a.id = s.article_id"
    )
    assert tuple(row) == ("cli", str(SEED), "cli")


def test_opting_out_per_call_and_in_the_settings(seed_article, monkeypatch):
    Summarizer().summarize(seed_article, archive=False)
    Summarizer(archive="off").summarize(seed_article)
    monkeypatch.setenv("SUMMARIZER_ARCHIVE", "off")
    Summarizer().summarize(seed_article)

    assert not default_path().exists()


def test_a_summary_survives_an_archive_it_cannot_write(seed_article, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")

    with caplog.at_level(logging.WARNING, logger="summarizer.archive"):
        result = Summarizer(archive=blocked / "archive.sqlite").summarize(seed_article)

    assert result.summary.actors
    assert any("not archived" in message for message in caplog.messages), caplog.messages


def test_re_recording_the_same_text_adds_a_summary_to_one_article(seed_result):
    archive = open_archive()
    first = record_summary(archive, seed_result, origin="api")
    second = record_summary(archive, seed_result, origin="api")

    assert first != second
    assert archive.value("SELECT count(*) FROM articles") == 1
    assert archive.value("SELECT summary_id FROM articles") == second


# --- an old digest database ----------------------------------------------------------------


def test_a_digest_database_of_migration_1_upgrades_in_place(tmp_path, seed_result):
    path = tmp_path / "digest.sqlite"
    with sqlite3.connect(path) as old:
        for statement in MIGRATIONS[0].split(";"):
            if statement.strip():
                old.execute(statement)
        old.execute("PRAGMA user_version = 1")
        old.execute(
            "INSERT INTO articles (url, content_hash, title, source, published, text, "
            "first_seen, status, attempts, result, summarised_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'summarised', 1, ?, ?)",
            (
                "https://news.example/kursk",
                content_hash(seed_result.article.text or ""),
                seed_result.article.title,
                "Example News",
                "2025-03-17",
                seed_result.article.text,
                "2025-03-17T08:00:00+00:00",
                seed_result.model_dump_json(),
                "2025-03-17T08:05:00+00:00",
            ),
        )
        old.execute("INSERT INTO article_urls VALUES ('https://news.example/kursk', 1)")
    old.close()

    state = State.open(path)
    archive = state.archive
    [summary] = archive.rows("SELECT * FROM summaries")
    columns = {row["name"] for row in archive.rows("PRAGMA table_info(articles)")}
    [waiting] = state.undigested()

    assert state.version == len(MIGRATIONS)
    assert "result" not in columns and summary["origin"] == "digest"
    assert archive.value("SELECT summary_id FROM articles WHERE id = 1") == summary["id"]
    assert waiting.result is not None  # the same summary, its article text put back:
    assert waiting.result.model_dump() == seed_result.model_dump()
    assert _ids(archive, "Vladimir Putin"), "moved summaries get their actors"
    assert summary["cost_usd"] == 0.0  # priced after the migration: the local model is free
    assert state.knows_url("https://news.example/kursk")
    digest_id = state.add_digest(
        subject="s",
        message_id="<m@example.org>",
        sender="d@example.org",
        recipients=["r@example.org"],
        message=b"m",
        html="h",
        article_ids=[waiting.id],
    )
    assert not state.undigested()
    [ledger] = costs(archive, "digest")
    assert (ledger.key, ledger.summaries) == (str(digest_id), 1)


def test_a_digest_article_already_summarised_by_the_cli_is_not_summarised_again(seed_article):
    Summarizer(origin="cli").summarize(seed_article)
    state = State.open(default_path())
    article_id = state.add_article(
        urls=["https://news.example/kursk"],
        content_hash=content_hash(seed_article.text),
        title=seed_article.title,
        source="Example News",
        published=seed_article.published,
        text=seed_article.text,
    )

    assert article_id is not None
    assert state.to_summarise(3) == []  # its summary is there already
    [row] = state.undigested()
    assert row.result is not None and row.url == "https://news.example/kursk"


# --- actors --------------------------------------------------------------------------------


def test_one_actor_under_three_names_across_articles_has_one_id(tmp_path):
    archive = open_archive(tmp_path / "archive.sqlite")
    for day, name in enumerate(
        ["Vladimir Putin", "Putin", "Russian President Vladimir Putin"], start=1
    ):
        summary = synthetic_summary(
            (name, "person"), ("Donald Trump", "person"), day=dt.date(2026, 11, day)
        )
        record_summary(archive, summary, origin="api")

    ids = _ids(archive, "Vladimir Putin") | _ids(archive, "Putin")
    ids |= _ids(archive, "Russian President Vladimir Putin")
    assert len(ids) == 1 and ids.isdisjoint(_ids(archive, "Donald Trump"))
    timeline = actor_timeline(archive, "Putin")
    assert [item.day for item in timeline.items if item.kind == "position"] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]
    assert timeline.actor.summaries == 3


def test_an_alias_edit_merges_two_actors_and_wins_over_matching_later(tmp_path):
    archive = open_archive(tmp_path / "archive.sqlite")
    record_summary(archive, synthetic_summary(("Vladimir Putin", "person")), origin="api")
    record_summary(archive, synthetic_summary(("The Kremlin", "organisation")), origin="api")
    [putin], [kremlin] = _ids(archive, "Vladimir Putin"), _ids(archive, "The Kremlin")
    assert putin != kremlin

    kept = merge(archive, "Vladimir Putin", "Kremlin")
    later = synthetic_summary(("Kremlin", "organisation"), day=dt.date(2026, 11, 5))
    record_summary(archive, later, origin="api")

    assert kept == putin
    assert _ids(archive, "The Kremlin") == _ids(archive, "Kremlin") == {putin}
    source = archive.value("SELECT source FROM actor_aliases WHERE alias = 'kremlin'")
    assert source == "user"
    assert [a.id for a in top_actors(archive)] == [putin]


def test_a_split_name_becomes_its_own_actor_and_stays_apart(tmp_path):
    archive = open_archive(tmp_path / "archive.sqlite")
    record_summary(archive, synthetic_summary(("Vladimir Putin", "person")), origin="api")
    record_summary(archive, synthetic_summary(("Putin", "person")), origin="api")
    [putin] = _ids(archive, "Vladimir Putin")
    assert _ids(archive, "Putin") == {putin}

    other = split(archive, "Vladimir Putin", "Putin")
    record_summary(
        archive, synthetic_summary(("Putin", "person"), day=dt.date(2026, 11, 9)), origin="api"
    )

    assert other != putin and _ids(archive, "Putin") == {other}
    assert _ids(archive, "Vladimir Putin") == {putin}
    positions = archive.rows("SELECT DISTINCT actor_id FROM positions WHERE actor = 'Putin'")
    assert {row["actor_id"] for row in positions} == {other}  # past items moved too


def test_merge_and_split_from_the_command_line(tmp_path):
    path = tmp_path / "archive.sqlite"
    archive = open_archive(path)
    record_summary(archive, synthetic_summary(("Mara Lind", "person")), origin="api")
    record_summary(archive, synthetic_summary(("M. Lind", "person")), origin="api")
    assert len(_ids(archive, "Mara Lind") | _ids(archive, "M. Lind")) == 2
    archive.close()

    runner = CliRunner()
    merged = runner.invoke(
        cli, ["archive", "merge", "Mara Lind", "M. Lind", "--archive", str(path)]
    )
    listed = runner.invoke(cli, ["archive", "actors", "--json", "--archive", str(path)])
    missing = runner.invoke(cli, ["archive", "actor", "Nobody", "--archive", str(path)])

    assert merged.exit_code == 0, merged.output
    [actor] = json.loads(listed.stdout)
    assert (actor["name"], actor["summaries"]) == ("Mara Lind", 2)
    assert missing.exit_code == 1 and "Nobody" in missing.stderr


# --- the ledger ----------------------------------------------------------------------------


def test_the_ledger_sums_tokens_reasks_cost_and_what_the_cache_saved(tmp_path):
    archive = open_archive(tmp_path / "archive.sqlite")
    made = [
        synthetic_summary(("Hanna Voss", "person"), day=dt.date(2026, 11, 2)),
        synthetic_summary(
            ("Hanna Voss", "person"),
            day=dt.date(2026, 11, 2),
            usage=Usage(prompt_tokens=3000, completion_tokens=500, cached_tokens=1000),
            text="Synthetic second article about Hanna Voss.",
        ),
        synthetic_summary(("Hanna Voss", "person"), cache_hit=True, text="Synthetic cached one."),
        synthetic_summary(("Hanna Voss", "person"), model="no-such-model", text="Unpriced one."),
    ]
    for result in made:
        record_summary(archive, result, origin="api")

    [day] = costs(archive, "day")
    price = price_of("gpt-4.1-mini")
    assert price is not None
    spent = sum(price.cost(r.provenance.usage) for r in made[:2])
    saved = price.cost(made[2].provenance.usage)
    assert (day.summaries, day.calls, day.reasks, day.cache_hits) == (4, 8, 4, 1)
    assert day.prompt_tokens == sum(r.provenance.usage.prompt_tokens for r in made)
    assert day.cost_usd == pytest.approx(spent) and day.saved_usd == pytest.approx(saved)
    assert day.unpriced == 1
    assert summary_costs(made[2]) == (0.0, pytest.approx(saved))
    by_article = costs(archive, "article")
    assert sum(row.cost_usd for row in by_article) == pytest.approx(spent)
    assert len(by_article) == 4


def test_the_costs_command_prints_the_ledger(tmp_path):
    path = tmp_path / "archive.sqlite"
    archive = open_archive(path)
    record_summary(archive, synthetic_summary(("Hanna Voss", "person")), origin="api")
    archive.close()

    shown = CliRunner().invoke(cli, ["archive", "costs", "--by", "article", "--archive", str(path)])
    as_json = CliRunner().invoke(cli, ["archive", "costs", "--json", "--archive", str(path)])

    assert shown.exit_code == 0 and "Synthetic 2026-11-02" in shown.stdout
    [row] = json.loads(as_json.stdout)
    assert (row["key"], row["summaries"], row["reasks"]) == ("2026-11-02", 1, 1)


def test_search_and_summaries_commands(tmp_path):
    path = tmp_path / "archive.sqlite"
    archive = open_archive(path)
    record_summary(archive, synthetic_summary(("Hanna Voss", "person")), origin="api")
    archive.close()

    found = CliRunner().invoke(
        cli, ["archive", "search", "synthetic", "meeting", "--archive", str(path)]
    )
    listed = CliRunner().invoke(
        cli, ["archive", "summaries", "--day", "2026-11-02", "--json", "--archive", str(path)]
    )
    nothing = CliRunner().invoke(cli, ["archive", "search", "zzzz", "--archive", str(path)])

    assert found.exit_code == 0 and "[meeting]" in found.stdout.lower()
    assert [row["title"] for row in json.loads(listed.stdout)] == ["Synthetic 2026-11-02"]
    assert nothing.exit_code == 0 and nothing.stdout == ""


def test_looking_back_without_an_archive_is_one_clear_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["archive", "actors", "--archive", str(tmp_path / "none.sqlite")]
    )
    assert result.exit_code == 1 and "no archive there yet" in result.stderr


def test_the_archive_keeps_its_files_out_of_the_real_user_data_dir(tmp_path):
    assert default_path().is_relative_to(tmp_path), default_path()
    assert isinstance(default_path(), Path)


def test_the_old_default_digest_database_is_adopted_as_the_archive():
    legacy = default_path().with_name("digest.sqlite")
    legacy.parent.mkdir(parents=True)
    with sqlite3.connect(legacy) as old:
        for statement in MIGRATIONS[0].split(";"):
            if statement.strip():
                old.execute(statement)
        old.execute("PRAGMA user_version = 1")
    old.close()

    archive = open_archive()

    assert not legacy.exists() and default_path().exists()
    assert archive.version == len(MIGRATIONS)
