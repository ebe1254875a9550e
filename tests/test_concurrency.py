"""Many summaries at once, and two processes sharing one cache: bounded, in order, no corruption.

The endpoint is the scripted fake server of tests/fault_server.py; its answers are the
hand-written FAKE_VALID_COMPLETION, so these tests exercise concurrency, not the model.
The two-process digest state and SMTP case is tested with the digest (tests/test_digest.py).
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

from summarizer import Article, SummaryResult

from .conftest import ROOT
from .fault_server import UNAVAILABLE, fault_summarizer, ok, scripted_fault_server

HOLD_SECONDS = 20.0
QUOTED = "Trump said he plans to meet with Russian President Vladimir Putin on Tuesday."


def articles(count: int) -> list[Article]:
    # Distinct texts (distinct cache keys), each holding the fake answer's evidence quote.
    return [Article(text=f"Report {i}. {QUOTED} Talks go on.") for i in range(count)]


def test_sixteen_at_once_against_the_endpoint_in_order_with_retries(tmp_path):
    batch = articles(48)
    faults = [UNAVAILABLE] * 4  # fewer than the attempts, so no article can run out
    # Every answer is held until the server has sixteen requests open (or HOLD_SECONDS
    # pass), then all are let go: the test sees the most the client opens, not a race.
    with scripted_fault_server(*faults, *[ok(delay=HOLD_SECONDS)] * 48) as server:
        summarizer = fault_summarizer(
            server.base_url,
            tmp_path,
            concurrency=16,
            transport_attempts=5,
            timeout=HOLD_SECONDS + 10,
        )
        done: list[int] = []
        with ThreadPoolExecutor(max_workers=1) as pool:
            running = pool.submit(
                asyncio.run, summarizer.asummarize_many(batch, on_done=lambda i, _: done.append(i))
            )
            deadline = time.monotonic() + HOLD_SECONDS
            while server.in_flight < 16 and time.monotonic() < deadline:
                time.sleep(0.01)
            held = server.in_flight
            server.released.set()
            outcomes = running.result()
        assert held == 16  # sixteen in flight at once
        assert server.max_in_flight == 16  # and never more
        assert server.count == 48 + 4  # every article once, plus one retry per fault
    assert all(isinstance(o, SummaryResult) for o in outcomes), outcomes
    texts = [o.article.text for o in outcomes if isinstance(o, SummaryResult)]
    assert texts == [a.text for a in batch]  # one outcome per article, in input order
    assert sorted(done) == list(range(48))
    entries = sorted(tmp_path.glob("*.json"))
    assert len(entries) == 48 and not list(tmp_path.glob(".tmp-*"))
    for entry in entries:
        json.loads(entry.read_text())

    with scripted_fault_server() as server:  # everything is now served from the cache
        again = fault_summarizer(server.base_url, tmp_path, concurrency=16).summarize_many(batch)
        assert server.count == 0
    assert all(isinstance(o, SummaryResult) and o.provenance.cache_hit for o in again)


def test_one_summarizer_shared_by_threads(tmp_path):
    batch = articles(24)
    with scripted_fault_server(*[ok(delay=0.05)] * 24) as server:
        summarizer = fault_summarizer(server.base_url, tmp_path)
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(summarizer.summarize, batch))
        assert server.count == 24
        assert server.max_in_flight <= 8
    assert [r.article.text for r in results] == [a.text for a in batch]
    assert all(r.provenance.attempts == 1 and not r.provenance.cache_hit for r in results)
    assert len(list(tmp_path.glob("*.json"))) == 24


def test_one_failing_article_does_not_stop_the_others(tmp_path):
    batch = articles(6)
    # A single connection at a time makes the script's order the articles' order.
    with scripted_fault_server(ok(), *[UNAVAILABLE] * 2, *[ok()] * 5) as server:
        outcomes = fault_summarizer(
            server.base_url, tmp_path, concurrency=1, transport_attempts=2
        ).summarize_many(batch)
        assert server.count == 7
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["SummaryResult", "SummarizationFailed", *["SummaryResult"] * 4]
    assert len(list(tmp_path.glob("*.json"))) == 5  # the failed article left nothing


HAMMER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from summarizer import Article, Summarizer, SummaryResult

    base_url, cache_dir, rounds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    quoted = "Trump said he plans to meet with Russian President Vladimir Putin on Tuesday."
    batch = [Article(text=f"Report {i}. {quoted} Talks go on.") for i in range(12)]
    report = {"results": 0, "hits": 0, "errors": []}
    for round in range(rounds):
        # Alternate: record rewrites every entry, auto reads them back.
        mode = "record" if round % 2 == 0 else "auto"
        summarizer = Summarizer(
            model="fault-test", base_url=base_url, api_key="sk-test-secret-123",
            cache=mode, cache_dir=cache_dir, concurrency=6, transport_attempts=1,
        )
        for outcome in summarizer.summarize_many(batch):
            if isinstance(outcome, SummaryResult):
                report["results"] += 1
                report["hits"] += mode == "auto" and outcome.provenance.cache_hit
            else:
                report["errors"].append(str(outcome))
    print(json.dumps(report))
    """
)


def test_two_processes_hammering_one_cache_leave_no_corrupt_entry(tmp_path):
    cache_dir = tmp_path / "cache"
    rounds = 6
    with scripted_fault_server(*[ok()] * 1000) as server:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", HAMMER, server.base_url, str(cache_dir), str(rounds)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        reports = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr
            reports.append(json.loads(stdout))
        # Only the record rounds reach the endpoint: 2 processes x 3 rounds x 12 articles.
        assert server.count == 2 * (rounds // 2) * 12
    for report in reports:
        assert report["errors"] == []
        assert report["results"] == rounds * 12
        assert report["hits"] == (rounds // 2) * 12  # every read found a whole entry
    entries = sorted(cache_dir.glob("*.json"))
    assert len(entries) == 12
    assert not list(cache_dir.glob(".tmp-*"))  # no temporary file left behind
    for entry in entries:
        stored = json.loads(entry.read_text())
        assert stored["response"]["choices"][0]["message"]["content"]
    replayed = fault_summarizer("http://127.0.0.1:9/v1", cache_dir, cache="replay")
    outcomes = replayed.summarize_many(articles(12))
    assert all(isinstance(o, SummaryResult) and o.provenance.cache_hit for o in outcomes)


def test_a_batch_runs_with_the_objects_alive_before_it_set_aside(tmp_path):
    # summarizer.heap: the collector's full passes skip them during the batch, and get
    # them back after it.
    frozen: list[int] = []
    with scripted_fault_server(ok(), ok()) as server:
        outcomes = fault_summarizer(server.base_url, tmp_path).summarize_many(
            articles(2), on_done=lambda *_: frozen.append(gc.get_freeze_count())
        )
    assert all(isinstance(o, SummaryResult) for o in outcomes), outcomes
    assert len(frozen) == 2 and min(frozen) > 0
    assert gc.get_freeze_count() == 0
