"""Each provider on first contact, against its conformance server (tests/conformance.py).

The servers enforce what OpenAI, Ollama, vLLM and llama.cpp's server document, and fail as
they do; what they answer otherwise is a scripted fake (FAKE_VALID_ANSWER), not model
output. These tests use only the public API, so they also run against older code: each
one below failed on the code before provider profiles (commit 86f2e60).
"""

from __future__ import annotations

import pytest

from summarizer import Article, BackendUnavailable, SummarizationFailed, Summarizer

from .conformance import (
    llama_cpp_server,
    ollama_server,
    openai_refusal,
    openai_server,
    prompt_tokens,
    strict_schema_problem,
    vllm_server,
)
from .fakes import FAKE_VALID_ANSWER

KEY = "sk-fake-conformance"  # a fake key: no real provider is reached
QUOTE = FAKE_VALID_ANSWER["events"][0]["evidence"][0]


def long_article(characters: int) -> Article:
    """An article of about this many characters holding the scripted answer's quote."""
    sentence = f"Trump said {QUOTE} to discuss a ceasefire, and talks went on in Kursk. "
    return Article(text=sentence * (characters // len(sentence)))


def summarizer(server_url: str, model: str, **settings: object) -> Summarizer:
    return Summarizer(model=model, base_url=server_url, api_key=KEY, cache="off", **settings)


@pytest.mark.parametrize("model", ["gpt-5.6-luna", "gpt-6-luna", "o4-mini"])
def test_a_reasoning_model_summarises_the_seed_against_openai(model, seed_article):
    with openai_server() as server:
        result = summarizer(server.base_url, model).summarize(seed_article)
    assert [actor.name for actor in result.summary.actors] == ["Donald Trump", "Vladimir Putin"]
    (sent,) = server.requests  # one request, accepted: no 400, no re-ask
    assert "max_tokens" not in sent and "temperature" not in sent
    assert sent["max_completion_tokens"] >= 2048
    described = sent["response_format"]["json_schema"]
    assert described["strict"] is True
    assert strict_schema_problem(described["schema"]) is None


def test_a_gpt_4_1_model_gets_strict_structured_outputs_too(seed_article):
    with openai_server() as server:
        summarizer(server.base_url, "gpt-4.1-mini").summarize(seed_article)
    (sent,) = server.requests
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert strict_schema_problem(sent["response_format"]["json_schema"]["schema"]) is None
    assert sent["temperature"] == 0.0 and "max_tokens" not in sent


def test_openai_usage_reports_reasoning_and_cached_tokens(seed_article):
    with openai_server() as server:
        usage = summarizer(server.base_url, "gpt-5.6-luna").summarize(seed_article)
    reported = usage.provenance.usage.model_dump()
    assert reported["reasoning_tokens"] == 64 and reported["cached_tokens"] == 40


def test_ollama_with_a_small_context_gets_parts_it_reads_whole():
    article = long_article(18_000)  # fits the 8,192 tokens once assumed, not Ollama's 4,096
    with ollama_server("llama3.2", context=4096) as server:
        result = summarizer(server.base_url, "llama3.2", provider="ollama").summarize(article)
    assert server.truncated == []  # no prompt was cut
    assert result.provenance.parts == len(server.requests) >= 2
    assert all(prompt_tokens(body) <= 4096 for body in server.requests)
    assert "POST /api/show" in server.paths


def test_ollama_context_of_a_loaded_model_is_read_from_ps():
    article = long_article(18_000)
    with ollama_server("llama3.2", context=4096, num_ctx_parameter=False, loaded=True) as server:
        summarizer(server.base_url, "llama3.2", provider="ollama").summarize(article)
    assert server.truncated == [] and "GET /api/ps" in server.paths


def test_ollama_loads_a_model_that_is_not_loaded_to_read_its_context():
    article = long_article(18_000)
    with ollama_server("llama3.2", context=4096, num_ctx_parameter=False) as server:
        summarizer(server.base_url, "llama3.2", provider="ollama").summarize(article)
    assert server.truncated == [] and "POST /api/generate" in server.paths


def test_ollama_that_cannot_say_its_context_is_an_error_not_a_silent_cut():
    unsaid = {"num_ctx_parameter": False, "ps_context": False}
    with ollama_server("llama3.2", **unsaid) as server:
        with pytest.raises(BackendUnavailable) as caught:
            summarizer(server.base_url, "llama3.2", provider="ollama").summarize(
                long_article(18_000)
            )
        assert server.requests == [] and server.truncated == []
    message = str(caught.value)
    assert "--context-window" in message and "\n" not in message


def test_vllm_max_model_len_is_respected_instead_of_a_400():
    article = long_article(10_000)  # with 2,048 output tokens, over vLLM's 4,096
    with vllm_server("Qwen/Qwen2.5-7B-Instruct", max_model_len=4096) as server:
        result = summarizer(server.base_url, "Qwen/Qwen2.5-7B-Instruct", provider="vllm").summarize(
            article
        )
    assert result.provenance.parts == len(server.requests) >= 2
    assert all(body["response_format"]["type"] == "json_schema" for body in server.requests)
    assert "GET /v1/models" in server.paths


def test_llama_cpp_server_n_ctx_is_respected_instead_of_a_400():
    with llama_cpp_server(n_ctx=4096) as server:
        result = summarizer(server.base_url, "qwen", provider="llama.cpp").summarize(
            long_article(18_000)
        )
    assert result.provenance.parts >= 2 and "GET /props" in server.paths
    assert all(prompt_tokens(body) <= 4096 for body in server.requests)


def test_the_servers_refuse_as_their_providers_do():
    # What a client that ignores the rules gets: one clear line naming the provider's reason.
    ignoring = {"provider": "openai-compatible"}
    with openai_server() as server, pytest.raises(SummarizationFailed) as caught:
        summarizer(server.base_url, "gpt-5.6-luna", **ignoring).summarize(long_article(2_000))
    assert "HTTP 400" in str(caught.value) and "max_completion_tokens" in str(caught.value)
    small = vllm_server("m", max_model_len=4096)
    with small as server, pytest.raises(SummarizationFailed) as caught:
        summarizer(server.base_url, "m", context_window=8192).summarize(long_article(10_000))
    assert "maximum context length is 4096 tokens" in str(caught.value)


def test_openai_refuses_a_temperature_for_reasoning_models():
    body = {"model": "gpt-6-luna", "messages": [], "max_completion_tokens": 10, "temperature": 0.0}
    refused = openai_refusal(body)
    assert refused is not None
    status, error = refused
    assert status == 400 and error["error"]["code"] == "unsupported_value"
    assert openai_refusal({**body, "temperature": 1}) is None
