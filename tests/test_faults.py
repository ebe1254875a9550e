"""Endpoint faults from a real HTTP server on loopback: retries counted, bounded, never cached.

The server is tests/fault_server.py, a scripted fake: its successes are the hand-written
FAKE_VALID_COMPLETION, so these tests cover the error paths, not the model's answers.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer import Article, SummarizationFailed, Summarizer, SummaryResult, TransportError
from summarizer.cli import cli

from .fakes import FAKE_VALID_COMPLETION
from .fault_server import (
    API_KEY,
    HANG,
    INVALID_JSON,
    NOT_A_COMPLETION,
    RESET,
    SERVER_ERROR,
    TRUNCATED,
    UNAVAILABLE,
    answer,
    fault_summarizer,
    ok,
    rate_limited,
    scripted_fault_server,
    status,
)

ARTICLE = Article(
    text="Trump said he plans to meet with Russian President Vladimir Putin "
    "on Tuesday to discuss a ceasefire."
)

# Each transient fault, and what the one-line error says once the attempts run out.
TRANSIENT_FAULTS = {
    "429 Retry-After": (rate_limited("0"), "HTTP 429: fake rate limit"),
    "500": (SERVER_ERROR, "HTTP 500"),
    "503": (UNAVAILABLE, "HTTP 503"),
    "hang past timeout": (HANG, "timed out"),
    "connection reset": (RESET, "cannot reach the model endpoint: ReadError"),
    "truncated body": (TRUNCATED, "peer closed connection without sending complete message"),
    "invalid JSON body": (INVALID_JSON, "not JSON"),
    "schema-invalid body": (NOT_A_COMPLETION, "malformed completion"),
}


def cache_files(cache_dir: Path) -> list[str]:
    """Every file in the cache folder, temporary ones included."""
    return sorted(p.name for p in cache_dir.iterdir()) if cache_dir.exists() else []


def assert_one_clear_line(error: BaseException) -> None:
    message = str(error)
    assert message and "\n" not in message and len(message) < 400, message
    assert API_KEY not in message
    assert "Traceback" not in message


@pytest.mark.parametrize("fault", list(TRANSIENT_FAULTS))
def test_transient_fault_is_retried_then_succeeds(fault, tmp_path):
    step, _ = TRANSIENT_FAULTS[fault]
    with scripted_fault_server(step, step, ok()) as server:
        result = fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
        assert server.count == 3  # two faults, one success: exactly three requests
    assert result.provenance.attempts == 1  # one answer; the retries are below it
    assert [a.name for a in result.summary.actors] == ["Donald Trump", "Vladimir Putin"]
    entries = [name for name in cache_files(tmp_path / "cache") if not name.startswith(".")]
    assert len(entries) == 1 and len(cache_files(tmp_path / "cache")) == 1
    stored = json.loads((tmp_path / "cache" / entries[0]).read_text())["response"]
    assert stored["choices"] == FAKE_VALID_COMPLETION["choices"]  # only the good answer


@pytest.mark.parametrize("fault", list(TRANSIENT_FAULTS))
def test_transient_fault_gives_up_after_the_attempts_with_one_clear_error(fault, tmp_path):
    step, expected = TRANSIENT_FAULTS[fault]
    with scripted_fault_server(step, step, step, ok()) as server:
        with pytest.raises(SummarizationFailed) as caught:
            fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
        assert server.count == 3  # transport_attempts=3; the success after is never asked
    error = caught.value
    assert error.attempts == 3
    assert isinstance(error.last_error, TransportError) and error.last_error.transient
    assert_one_clear_line(error)
    assert expected in str(error) and "after 3 attempts" in str(error)
    assert cache_files(tmp_path / "cache") == []  # nothing cached, not even a temporary file


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_permanent_http_errors_are_not_retried(code, tmp_path):
    with scripted_fault_server(status(code), ok()) as server:
        with pytest.raises(SummarizationFailed) as caught:
            fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
        assert server.count == 1
    assert f"refused the request after 1 attempt: the model endpoint answered HTTP {code}" in str(
        caught.value
    )
    assert_one_clear_line(caught.value)
    assert cache_files(tmp_path / "cache") == []


def test_default_policy_makes_five_attempts(tmp_path):
    with scripted_fault_server(*[UNAVAILABLE] * 6) as server:
        summarizer = Summarizer(
            model="fault-test",
            base_url=server.base_url,
            api_key=API_KEY,
            cache="auto",
            cache_dir=tmp_path / "cache",
            retry_initial_wait=0.0,
            retry_max_wait=0.0,
        )
        assert summarizer.settings.transport_attempts == 5
        with pytest.raises(SummarizationFailed, match="after 5 attempts"):
            summarizer.summarize(ARTICLE)
        assert server.count == 5


def test_retry_after_seconds_is_honoured(tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    with scripted_fault_server(rate_limited("7"), rate_limited("2"), ok()) as server:
        fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
        assert server.count == 3
    assert waits == [7.0, 2.0]


def test_retry_after_http_date_is_honoured(tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    later = email.utils.formatdate(time.time() + 60, usegmt=True)
    with scripted_fault_server(rate_limited(later), ok()) as server:
        fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
        assert server.count == 2
    assert len(waits) == 1 and 55 <= waits[0] <= 61


def test_backoff_without_retry_after_stays_within_the_configured_bounds(tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    with scripted_fault_server(*[SERVER_ERROR] * 5, ok()) as server:
        fault_summarizer(
            server.base_url,
            tmp_path / "cache",
            transport_attempts=6,
            retry_initial_wait=1,
            retry_max_wait=4,
        ).summarize(ARTICLE)
        assert server.count == 6
    assert len(waits) == 5
    assert all(0 < wait <= 4 for wait in waits), waits
    assert waits[-1] >= 4 - 1e-9  # the exponential growth reached the ceiling


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    with scripted_fault_server(rate_limited("3600"), ok()) as server:
        with pytest.raises(SummarizationFailed) as caught:
            fault_summarizer(
                server.base_url, tmp_path / "cache", transport_max_seconds=30
            ).summarize(ARTICLE)
        assert server.count == 1
    assert waits == []  # never slept past the budget
    assert "HTTP 429 (Retry-After 3600s)" in str(caught.value)
    assert_one_clear_line(caught.value)


class FakeClock:
    """Tenacity's clock and sleep: sleeping moves the clock on without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_waits_add_up_to_less_than_the_time_budget(tmp_path, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("tenacity.time", clock)  # tenacity's own reference to the module
    monkeypatch.setattr("tenacity.nap.time.sleep", clock.sleep)
    with scripted_fault_server(*[rate_limited("4")] * 20) as server:
        with pytest.raises(SummarizationFailed, match="after 3 attempts"):
            fault_summarizer(
                server.base_url, tmp_path / "cache", transport_attempts=20, transport_max_seconds=10
            ).summarize(ARTICLE)
        # 4 s + 4 s fit in the 10 s budget; a third 4 s wait would end past it.
        assert server.count == 3
    assert clock.waits == [4.0, 4.0]


def test_invalid_answer_content_is_reasked_not_retried_and_never_cached(tmp_path):
    not_json = answer("Sure! Here is the summary you asked for.")
    wrong_schema = answer(json.dumps({"summary": 42, "actors": "nobody"}))
    with scripted_fault_server(not_json, wrong_schema, not_json) as server:
        with pytest.raises(SummarizationFailed) as caught:
            fault_summarizer(server.base_url, tmp_path / "cache", max_reasks=2).summarize(ARTICLE)
        assert server.count == 3  # the first answer and two re-asks
    assert caught.value.attempts == 3 and "no valid answer in 3 attempts" in str(caught.value)
    assert_one_clear_line(caught.value)
    assert cache_files(tmp_path / "cache") == []
    reask = server.requests[1]["messages"]
    assert reask[-2]["content"] == "Sure! Here is the summary you asked for."


def test_a_failed_run_leaves_nothing_for_the_next_run_to_replay(tmp_path):
    with scripted_fault_server(*[SERVER_ERROR] * 3) as server, pytest.raises(SummarizationFailed):
        fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
    with scripted_fault_server(ok()) as server:
        first = fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
        again = fault_summarizer(server.base_url, tmp_path / "cache").summarize(ARTICLE)
        assert server.count == 1  # the second run was served from the cache
    assert not first.provenance.cache_hit and again.provenance.cache_hit


async def asummarize_and_close(summarizer: Summarizer) -> SummaryResult:
    try:
        return await summarizer.asummarize(ARTICLE)
    finally:  # the async client's connections must close before asyncio.run ends its loop
        await summarizer.client.backend.aclose()  # type: ignore[attr-defined]


def test_async_path_retries_the_same_way(tmp_path):
    with scripted_fault_server(UNAVAILABLE, RESET, INVALID_JSON, ok()) as server:
        summarizer = fault_summarizer(server.base_url, tmp_path / "cache", transport_attempts=4)
        result = asyncio.run(asummarize_and_close(summarizer))
        assert server.count == 4
    assert result.summary.actors


def test_async_path_gives_up_with_one_clear_error(tmp_path):
    with scripted_fault_server(HANG, HANG) as server:
        summarizer = fault_summarizer(server.base_url, tmp_path / "cache", transport_attempts=2)
        with pytest.raises(SummarizationFailed) as caught:
            asyncio.run(asummarize_and_close(summarizer))
        assert server.count == 2
    assert "timed out" in str(caught.value) and "after 2 attempts" in str(caught.value)
    assert cache_files(tmp_path / "cache") == []


def test_cli_reports_an_exhausted_endpoint_as_one_line_and_exit_1(tmp_path, monkeypatch):
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE.text, encoding="utf-8")
    out = tmp_path / "out"
    monkeypatch.setenv("SUMMARIZER_API_KEY", API_KEY)
    with scripted_fault_server(*[UNAVAILABLE] * 3) as server:
        args = ["summarize", str(article), "-o", str(out / "summary.md")]
        args += ["--model", "fault-test", "--base-url", server.base_url, "--cache", "auto"]
        args += ["--cache-dir", str(tmp_path / "cache")]
        monkeypatch.setenv("SUMMARIZER_TRANSPORT_ATTEMPTS", "3")
        monkeypatch.setenv("SUMMARIZER_RETRY_INITIAL_WAIT", "0.01")
        monkeypatch.setenv("SUMMARIZER_RETRY_MAX_WAIT", "0.01")
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert server.count == 3
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "HTTP 503" in errors[0] and "after 3 attempts" in errors[0]
    assert "Traceback" not in result.output and API_KEY not in result.output
    assert not out.exists() or list(out.iterdir()) == []
    assert cache_files(tmp_path / "cache") == []


def test_cli_ends_an_article_at_its_time_budget_whatever_the_request_timeout(tmp_path, monkeypatch):
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE.text, encoding="utf-8")
    monkeypatch.setenv("SUMMARIZER_API_KEY", API_KEY)
    monkeypatch.setenv("SUMMARIZER_ARTICLE_TIMEOUT", "0.5")  # the request may take 600 s
    with scripted_fault_server(ok(delay=10)) as server:
        args = ["summarize", str(article), "--model", "fault-test"]
        args += ["--base-url", server.base_url, "--cache", "off"]
        started = time.monotonic()
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        elapsed = time.monotonic() - started
        assert server.count == 1
    assert result.exit_code == 1 and elapsed < 5
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "not done within article_timeout (0.5s" in errors[0]
    assert "Traceback" not in result.output


def test_the_api_prints_nothing_of_its_own_on_a_reask_or_a_failure(tmp_path):
    # In a program that set up no logging, our warnings (re-asks, retries) and Instructor's
    # per-attempt errors would reach stderr through Python's last-resort handler; the caller
    # gets a result or one exception instead.
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from summarizer import Summarizer, SummarizationFailed\n"
        "s = Summarizer(model='fault-test', base_url=sys.argv[1], api_key='k', cache='off',"
        " transport_attempts=1)\n"
        "print(s.summarize(sys.argv[2]).provenance.attempts)\n"
        "try:\n"
        "    s.summarize(sys.argv[2])\n"
        "except SummarizationFailed as error:\n"
        "    print(error)\n"
    )
    with scripted_fault_server(answer("Sure! Here it is."), ok(), UNAVAILABLE) as server:
        run = subprocess.run(
            [sys.executable, "-c", program, server.base_url, ARTICLE.text],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.stdout.splitlines()[0] == "2"  # the answer was re-asked once
    assert "could not be reached after 1 attempt" in run.stdout
    assert run.stderr == ""
