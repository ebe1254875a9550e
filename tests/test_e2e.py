"""End-to-end: the embedded model for real, in-process and behind llama-cpp-python's server.

Slow (about a minute or two each on 2 cores); deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from summarizer import Article, Summarizer, SummaryResult
from summarizer.local import embedded_model_path

pytestmark = pytest.mark.e2e
SHORT = Path(__file__).parent / "articles" / "e2e-short.txt"


def short_article() -> Article:
    import datetime as dt

    return Article(
        text=SHORT.read_text(),
        title="Carney and Sheinbaum meet on tariffs",
        published=dt.date(2025, 3, 17),
    )


def assert_real_summary(result: SummaryResult) -> None:
    summary = result.summary
    everything = " ".join(" ".join([a.name, *a.aliases]) for a in summary.actors)
    assert "Carney" in everything and "Sheinbaum" in everything, everything
    assert summary.events and summary.key_points
    text = result.article.text
    for _, _, evidence in summary.evidence():
        assert evidence.match is not None
        if evidence.match == "exact":
            assert text[evidence.start : evidence.end] == evidence.quote
    assert result.provenance.usage.completion_tokens > 0
    assert not result.provenance.cache_hit


def test_local_backend_summarises_in_process():
    result = Summarizer(model="local", cache="off").summarize(short_article())
    assert result.provenance.backend == "local"
    assert_real_summary(result)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def llama_server(tmp_path):
    """llama-cpp-python's OpenAI-compatible server on loopback, serving the embedded model."""
    port = _free_port()
    # A file, not a pipe: llama.cpp logs enough at load to fill a pipe nobody reads and stall.
    log = (tmp_path / "server.log").open("w+b")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(embedded_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "8192",
            "--n_threads",
            str(os.cpu_count() or 1),
            "--model_alias",
            "qwen-embedded",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("llama-cpp-python server did not start within 120 s")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_openai_compatible_backend_through_a_real_llama_server(llama_server):
    result = Summarizer(
        model="qwen-embedded",
        base_url=llama_server,
        response_format="json_object",
        cache="off",
        timeout=900,
    ).summarize(short_article())
    assert result.provenance.backend == "openai-compatible"
    assert result.provenance.model == "qwen-embedded"
    assert_real_summary(result)
