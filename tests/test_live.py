"""Opt-in live smoke tests: the seed article summarised by a real provider, one per provider.

Each is skipped unless its variable is set; they spend real tokens (OpenAI) or minutes (a
server of your own). The variables are `LIVE_*`, not `OPENAI_API_KEY`, so a key already in
your shell is never spent by a plain `pytest`; they are read at import, before the
isolation fixture clears the environment. One command per provider (README, "Choosing a
model"), e.g.:

    LIVE_OPENAI_API_KEY=sk-... .venv/bin/pytest tests/test_live.py -k openai -s
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from summarizer import Summarizer

# Real network, beyond loopback; each test is skipped unless its variable is set.
pytestmark = pytest.mark.enable_socket

ENV = {name: value for name, value in os.environ.items() if name.startswith("LIVE_")}

# provider: (the variable that enables it, the settings it runs with)
PROVIDERS: dict[str, tuple[str, dict[str, Any]]] = {
    "openai": (
        "LIVE_OPENAI_API_KEY",
        {"api_key": ENV.get("LIVE_OPENAI_API_KEY"), "model": ENV.get("LIVE_OPENAI_MODEL")},
    ),
    "ollama": (
        "LIVE_OLLAMA_URL",
        {"base_url": ENV.get("LIVE_OLLAMA_URL"), "model": ENV.get("LIVE_OLLAMA_MODEL", "llama3.2")},
    ),
    "vllm": (
        "LIVE_VLLM_URL",
        {"base_url": ENV.get("LIVE_VLLM_URL"), "model": ENV.get("LIVE_VLLM_MODEL")},
    ),
    "llama.cpp": (
        "LIVE_LLAMA_CPP_URL",
        {"base_url": ENV.get("LIVE_LLAMA_CPP_URL"), "model": ENV.get("LIVE_LLAMA_CPP_MODEL", "m")},
    ),
    "llama-cpp-python": (
        "LIVE_LLAMA_CPP_PYTHON_URL",
        {
            "base_url": ENV.get("LIVE_LLAMA_CPP_PYTHON_URL"),
            "model": ENV.get("LIVE_LLAMA_CPP_PYTHON_MODEL", "m"),
        },
    ),
    "openai-compatible": (
        "LIVE_OPENAI_COMPATIBLE_URL",
        {
            "base_url": ENV.get("LIVE_OPENAI_COMPATIBLE_URL"),
            "model": ENV.get("LIVE_OPENAI_COMPATIBLE_MODEL"),
            "api_key": ENV.get("LIVE_OPENAI_COMPATIBLE_API_KEY"),
        },
    ),
}


@pytest.mark.parametrize("provider", list(PROVIDERS))
def test_the_provider_summarises_the_seed(provider, seed_article):
    variable, settings = PROVIDERS[provider]
    if variable not in ENV:
        pytest.skip(f"set {variable} to run it")
    given = {name: value for name, value in settings.items() if value is not None}
    if provider != "openai":
        given["provider"] = provider
    result = Summarizer(cache="off", timeout=900, **given).summarize(seed_article)
    print(f"{provider}: {result.provenance.model}, {result.provenance.usage}")
    assert result.summary.actors and result.summary.events
    assert result.provenance.usage.completion_tokens > 0
    assert result.grounding.exact + result.grounding.normalized > 0  # some quote was found
