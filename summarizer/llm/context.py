"""How many tokens a server's model can read, asked of the server where it can say.

- Ollama: `POST /api/show` (`num_ctx` among the model's parameters), else `GET /api/ps`
  (`context_length` of the loaded model), loading the model first if it is not (a
  `POST /api/generate` without a prompt only loads it, as Ollama's API documents);
- vLLM: `GET /v1/models` (`max_model_len` of the served model);
- llama.cpp's server: `GET /props` (`default_generation_settings.n_ctx`).

Each answer is read leniently (a missing or odd field means "did not say"); what to do
when a server does not say is the provider profile's decision, not this module's.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

# The probe is one small request before the first summary; a server that does not answer
# that quickly is reported, not waited for. Loading a model from disk takes longer.
_PROBE_SECONDS = 10.0
_LOAD_SECONDS = 300.0


class ContextUnknown(Exception):
    """The server did not say how large its context is; the message says why."""


def server_root(base_url: str) -> str:
    """The server's root URL: the base URL without its trailing `/v1`."""
    parts = urlsplit(base_url.rstrip("/"))
    path = re.sub(r"/v1$", "", parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def ollama_context(base_url: str, model: str, api_key: str | None) -> int:
    """The context Ollama runs `model` with: its `num_ctx`, else the loaded model's."""
    root = server_root(base_url)
    shown = _json("POST", f"{root}/api/show", api_key, {"model": model})
    parameters = shown.get("parameters")
    if isinstance(parameters, str):
        found = re.search(r"(?m)^\s*num_ctx\s+(\d+)\s*$", parameters)
        if found:
            return int(found[1])
    loaded = _loaded_context(root, model, api_key)
    if loaded is None:
        _json("POST", f"{root}/api/generate", api_key, {"model": model}, _LOAD_SECONDS)
        loaded = _loaded_context(root, model, api_key)
    if loaded is None:
        raise ContextUnknown(f"Ollama at {root} gives neither num_ctx nor a loaded context")
    return loaded


def _loaded_context(root: str, model: str, api_key: str | None) -> int | None:
    running = _json("GET", f"{root}/api/ps", api_key)
    for entry in running.get("models") or []:
        if isinstance(entry, dict) and model in (entry.get("name"), entry.get("model")):
            length = entry.get("context_length")
            if isinstance(length, int) and length > 0:
                return length
    return None


def vllm_context(base_url: str, model: str, api_key: str | None) -> int:
    """The served model's `max_model_len`, as vLLM lists it."""
    listed = _json("GET", f"{base_url.rstrip('/')}/models", api_key)
    for entry in listed.get("data") or []:
        if isinstance(entry, dict) and entry.get("id") == model:
            length = entry.get("max_model_len")
            if isinstance(length, int) and length > 0:
                return length
    raise ContextUnknown(f"{base_url}/models gives no max_model_len for {model}")


def llama_cpp_context(base_url: str, model: str, api_key: str | None) -> int:
    """llama.cpp's server's context per slot, from `/props`."""
    root = server_root(base_url)
    props = _json("GET", f"{root}/props", api_key)
    settings = props.get("default_generation_settings")
    length = settings.get("n_ctx") if isinstance(settings, dict) else None
    if isinstance(length, int) and length > 0:
        return length
    raise ContextUnknown(f"{root}/props gives no default_generation_settings.n_ctx")


def _json(
    method: str,
    url: str,
    api_key: str | None,
    body: object = None,
    timeout: float = _PROBE_SECONDS,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.request(method, url, json=body, headers=headers, timeout=timeout)
        response.raise_for_status()
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ContextUnknown(f"{method} {url} failed: {type(error).__name__}: {error}") from None
    if not isinstance(answer, dict):
        raise ContextUnknown(f"{method} {url} answered with something other than an object")
    return answer
