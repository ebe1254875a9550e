"""Provider profiles: which one a model gets, what its request looks like, its context window.

The request bodies sent for the seed article are checked in under tests/golden/, one per
profile, so any change to what is sent shows as a diff. The embedded model's and
llama-cpp-python's server's bodies must never change: the recorded fixtures are keyed by
them. After an intended change, rewrite them with `SUMMARIZER_GOLDEN=record pytest
tests/test_providers.py` and read the diff.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from summarizer import BackendUnavailable, Settings, Summarizer
from summarizer.errors import TransportError
from summarizer.llm import OpenAICompatibleBackend, build_backend
from summarizer.llm.profiles import OPENAI, OPENAI_REASONING, is_reasoning_model
from summarizer.llm.providers import DEFAULT_OPENAI_MODEL, context_window, infer_profile
from summarizer.llm.strict import strict_schema
from summarizer.local import LocalBackend
from summarizer.schema import ArticleSummary

from .conformance import strict_schema_problem
from .fakes import FAKE_VALID_ANSWER

GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("SUMMARIZER_GOLDEN") == "record"

# One case per profile: the settings, and the file holding the request they send.
CASES: dict[str, dict[str, Any]] = {
    "local": {"model": "local"},
    "llama-cpp-python": {
        "model": "qwen-embedded",
        "base_url": "http://127.0.0.1:9/v1",
        "response_format": "json_object",
    },
    "openai-compatible": {"model": "some-model", "base_url": "http://127.0.0.1:9/v1"},
    "ollama": {
        "model": "llama3.2",
        "base_url": "http://localhost:11434/v1",
        "context_window": 8192,
    },
    "vllm": {
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "base_url": "http://localhost:8000/v1",
        "context_window": 8192,
    },
    "llama.cpp": {"model": "qwen", "base_url": "http://localhost:8080/v1", "context_window": 8192},
    "openai-default": {"api_key": "sk-fake"},
    "openai-gpt-4.1-mini": {"model": "gpt-4.1-mini", "api_key": "sk-fake"},
}


class Sent(Exception):
    """Raised by the capturing backends once the first request is in hand."""


def first_request(seed_article, monkeypatch, **options: Any) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []

    def capture(self: object, request: dict[str, Any]) -> dict[str, Any]:
        seen.append(json.loads(json.dumps(request)))
        raise TransportError("captured", transient=False)

    monkeypatch.setattr(OpenAICompatibleBackend, "complete", capture)
    monkeypatch.setattr(LocalBackend, "complete", capture)
    monkeypatch.delenv("SUMMARIZER_MODEL")
    with pytest.raises(Exception, match="captured"):
        Summarizer(cache="off", **options).summarize(seed_article)
    return seen[0]


@pytest.mark.parametrize("case", list(CASES))
def test_the_request_sent_matches_its_golden_body(case, seed_article, monkeypatch):
    sent = json.dumps(
        first_request(seed_article, monkeypatch, **CASES[case]), indent=2, ensure_ascii=False
    )
    path = GOLDEN / f"{case}.json"
    if RECORD:
        path.write_text(sent + "\n", encoding="utf-8")
    assert sent + "\n" == path.read_text(encoding="utf-8"), f"{case}: the request changed"


def test_golden_bodies_show_each_profile_s_rules():
    body = {case: json.loads((GOLDEN / f"{case}.json").read_text()) for case in CASES}
    for case in ("local", "llama-cpp-python", "openai-compatible", "ollama", "vllm", "llama.cpp"):
        assert {"max_tokens", "temperature", "seed"} <= body[case].keys(), case
    assert body["llama-cpp-python"]["response_format"]["type"] == "json_object"
    assert body["local"]["response_format"]["type"] == "json_schema"
    default = body["openai-default"]
    assert default["model"] == DEFAULT_OPENAI_MODEL
    assert "temperature" not in default and "max_tokens" not in default
    for case in ("openai-default", "openai-gpt-4.1-mini"):
        described = body[case]["response_format"]["json_schema"]
        assert described["strict"] is True and strict_schema_problem(described["schema"]) is None


LCP = "llama-cpp-python"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"api_key": "k"}, "openai"),
        ({"base_url": "https://api.openai.com/v1"}, "openai"),
        ({"base_url": "https://acme.openai.azure.com/openai/v1"}, "openai"),
        ({"base_url": "http://localhost:11434/v1"}, "ollama"),
        ({"base_url": "http://ollama.internal:80/v1"}, "ollama"),
        ({"base_url": "http://gpu-box:8000/v1"}, "vllm"),
        ({"base_url": "http://localhost:8080/v1"}, "llama.cpp"),
        ({"base_url": "http://localhost:8000/v1", "response_format": "json_object"}, LCP),
        ({"base_url": "http://localhost:1234/v1"}, "openai-compatible"),
        ({"base_url": "http://localhost:1234/v1", "provider": "vllm"}, "vllm"),
    ],
)
def test_the_profile_is_inferred_from_the_url_or_configured(options, expected):
    assert infer_profile(Settings(**options), "llama3.2").name == expected


@pytest.mark.parametrize(
    "url", ["http://localhost:11434/v1", "http://litellm:4000/v1", "https://x.openai.azure.com/v1"]
)
def test_openai_model_names_get_openai_rules_whatever_the_url(url):
    settings = Settings(base_url=url)
    assert infer_profile(settings, "gpt-5.6-luna") is OPENAI_REASONING
    assert infer_profile(settings, "openai/o3-mini") is OPENAI_REASONING
    assert infer_profile(settings, "gpt-4.1-mini") is OPENAI


def test_open_weight_models_keep_their_server_s_profile():
    assert infer_profile(Settings(base_url="http://localhost:11434/v1"), "gpt-oss:20b").name == (
        "ollama"
    )


def test_reasoning_model_names():
    reasoning = ["gpt-5", "gpt-5-mini", "gpt-5.6-luna", "gpt-6-luna", "o1", "o3-mini", "o4-mini"]
    assert all(is_reasoning_model(name) for name in reasoning)
    assert not any(is_reasoning_model(n) for n in ["gpt-4.1-mini", "gpt-4o", "gpt-oss-20b", "olmo"])


def test_a_reasoning_model_s_limit_leaves_room_for_its_reasoning():
    settings = Settings(max_output_tokens=2048, reasoning_tokens=10_000)
    assert OPENAI_REASONING.output_limit(settings) == 12_048
    assert OPENAI.output_limit(settings) == 2048
    shaped = OPENAI_REASONING.shape(
        {"messages": []}, "gpt-6-luna", Settings(reasoning_effort="low"), first=False
    )
    assert shaped["reasoning_effort"] == "low" and "temperature" not in shaped


def test_the_strict_schema_keeps_what_the_model_must_know_and_our_validation_keeps_the_rest():
    schema = strict_schema(ArticleSummary.model_json_schema())
    assert strict_schema_problem(schema) is None
    name = schema["$defs"]["Actor"]["properties"]["name"]
    assert "maxLength" not in name and "at most 80 characters" in name["description"]
    answer = copy.deepcopy(FAKE_VALID_ANSWER)
    ArticleSummary.model_validate(answer)
    answer["actors"][0]["type"] = "robot"
    with pytest.raises(ValueError, match=r"actors\.0\.type"):
        ArticleSummary.model_validate(answer)


def test_a_configured_context_window_wins_and_openai_models_have_theirs():
    assert context_window(OPENAI, Settings(context_window=4096), "gpt-4.1") == 4096
    assert context_window(OPENAI_REASONING, Settings(), "gpt-6-luna") == 1_050_000
    assert context_window(OPENAI, Settings(), "gpt-4o-mini") == 128_000


def test_a_server_that_cannot_say_gets_the_default_with_a_warning(caplog):
    settings = Settings(base_url="http://127.0.0.1:9/v1", provider="vllm")
    with caplog.at_level(logging.WARNING, logger="summarizer.llm"):
        backend = build_backend(Settings(model="m", base_url="http://127.0.0.1:9/v1"))
        assert backend.context_window == 8192
        assert context_window(infer_profile(settings, "m"), settings, "m") == 8192
    assert "set --context-window" in caplog.text


def test_an_unreachable_ollama_is_an_error_naming_the_setting():
    with pytest.raises(BackendUnavailable, match="--context-window"):
        build_backend(
            Settings(model="llama3.2", base_url="http://127.0.0.1:9/v1", provider="ollama")
        )


def test_the_cli_offers_every_provider_the_settings_know():
    from typing import get_args

    from summarizer.cli import summarize
    from summarizer.config import Provider

    (option,) = [o for o in summarize.params if o.name == "provider"]
    assert tuple(option.type.choices) == get_args(Provider)  # type: ignore[attr-defined]
