"""Retry and failure paths of the model client, driven by scripted fake backends."""

import asyncio
import json
import logging

import pytest

from summarizer import Article, Settings, SummarizationFailed, Summarizer
from summarizer.errors import TransportError

from .fakes import FAKE_VALID_COMPLETION, ScriptedBackend, fake_completion, rate_limited

ARTICLE = Article(
    text="Trump said he plans to meet with Russian President Vladimir Putin "
    "on Tuesday to discuss a ceasefire."
)


def summarizer_with(backend: ScriptedBackend, tmp_path, **settings) -> Summarizer:
    options = {
        "cache": "auto",
        "cache_dir": tmp_path,
        "retry_initial_wait": 0.01,
        "retry_max_wait": 0.02,
        **settings,
    }
    return Summarizer(Settings(**options), backend=backend)


def test_rate_limit_then_success_retries_with_tenacity(tmp_path):
    backend = ScriptedBackend(rate_limited(), rate_limited(), FAKE_VALID_COMPLETION)
    result = summarizer_with(backend, tmp_path).summarize(ARTICLE)
    assert len(backend.requests) == 3
    assert result.provenance.attempts == 1  # one model answer; transport retries are below it
    assert [a.id for a in result.summary.actors] == ["donald_trump", "vladimir_putin"]


def test_retry_after_is_honoured(tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    backend = ScriptedBackend(rate_limited(retry_after=0.25), FAKE_VALID_COMPLETION)
    summarizer_with(backend, tmp_path).summarize(ARTICLE)
    assert waits == [0.25]


def test_invalid_json_is_reasked_with_the_error_then_valid(tmp_path):
    backend = ScriptedBackend(fake_completion('{"summary": "cut off'), FAKE_VALID_COMPLETION)
    result = summarizer_with(backend, tmp_path).summarize(ARTICLE)
    assert result.provenance.attempts == 2
    reask = backend.requests[1]["messages"]
    assert reask[-2]["role"] == "assistant" and reask[-2]["content"] == '{"summary": "cut off'
    assert "JSON" in reask[-1]["content"]
    assert result.provenance.usage.total_tokens == 300  # both attempts are counted


def test_schema_invalid_answer_is_reasked_naming_the_field_at_a_higher_temperature(tmp_path):
    wrong = json.loads(FAKE_VALID_COMPLETION["choices"][0]["message"]["content"])
    wrong["events"][0]["category"] = "meeting"
    backend = ScriptedBackend(fake_completion(json.dumps(wrong)), FAKE_VALID_COMPLETION)
    summarizer_with(backend, tmp_path).summarize(ARTICLE)
    assert "category" in backend.requests[1]["messages"][-1]["content"]
    assert backend.requests[0]["temperature"] == 0.0
    assert backend.requests[1]["temperature"] > 0.0


def test_exhausted_reasks_raise_one_clear_error_with_attempts_and_usage(tmp_path):
    backend = ScriptedBackend(*[fake_completion("not json")] * 3)
    with pytest.raises(SummarizationFailed) as caught:
        summarizer_with(backend, tmp_path, max_reasks=2).summarize(ARTICLE)
    error = caught.value
    assert error.attempts == 3 and len(backend.requests) == 3
    assert error.usage["total_tokens"] == 450
    assert "\n" not in str(error) and "3 attempts" in str(error)
    assert not list(tmp_path.glob("*.json"))  # a failed exchange is never cached


def test_exhausted_transport_retries_raise_with_the_last_error(tmp_path):
    backend = ScriptedBackend(*[rate_limited()] * 4)
    with pytest.raises(SummarizationFailed) as caught:
        summarizer_with(backend, tmp_path, transport_attempts=4).summarize(ARTICLE)
    assert len(backend.requests) == 4
    assert caught.value.attempts == 4
    assert isinstance(caught.value.last_error, TransportError)
    assert "429" in str(caught.value)


def test_permanent_errors_are_not_retried(tmp_path):
    backend = ScriptedBackend(TransportError("HTTP 401: bad key", transient=False))
    with pytest.raises(SummarizationFailed, match="401"):
        summarizer_with(backend, tmp_path).summarize(ARTICLE)
    assert len(backend.requests) == 1


def test_output_limit_is_reported_not_reasked(tmp_path):
    backend = ScriptedBackend(fake_completion('{"summary": "', finish_reason="length"))
    with pytest.raises(SummarizationFailed, match="output limit"):
        summarizer_with(backend, tmp_path).summarize(ARTICLE)


def test_successful_exchange_is_cached_and_replayed_without_the_backend(tmp_path):
    backend = ScriptedBackend(fake_completion("nope"), FAKE_VALID_COMPLETION)
    first = summarizer_with(backend, tmp_path).summarize(ARTICLE)
    assert len(list(tmp_path.glob("*.json"))) == 2  # the re-ask chain is kept whole
    replay = summarizer_with(ScriptedBackend(), tmp_path, cache="replay").summarize(ARTICLE)
    assert replay.provenance.cache_hit and not first.provenance.cache_hit
    assert replay.summary.model_dump() == first.summary.model_dump()


def test_retries_are_logged(tmp_path, caplog):
    backend = ScriptedBackend(rate_limited(), FAKE_VALID_COMPLETION)
    with caplog.at_level(logging.WARNING, logger="summarizer.retry"):
        summarizer_with(backend, tmp_path).summarize(ARTICLE)
    assert "retrying" in caplog.text


def test_async_variant_retries_too(tmp_path):
    backend = ScriptedBackend(rate_limited(), FAKE_VALID_COMPLETION)
    result = asyncio.run(summarizer_with(backend, tmp_path).asummarize(ARTICLE))
    assert len(backend.requests) == 2 and result.summary.actors


def test_quote_not_in_the_article_is_reasked_then_kept_flagged_on_the_last_attempt(tmp_path):
    invented = json.loads(FAKE_VALID_COMPLETION["choices"][0]["message"]["content"])
    invented["events"][0]["evidence"] = ["Putin agreed to everything at once"]
    backend = ScriptedBackend(*[fake_completion(json.dumps(invented))] * 2)
    result = summarizer_with(backend, tmp_path, max_reasks=1).summarize(ARTICLE)
    assert "Putin agreed to everything at once" in backend.requests[1]["messages"][-1]["content"]
    assert result.summary.events[0].evidence[0].match == "none"
    assert result.provenance.attempts == 2
