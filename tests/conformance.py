"""Conformance servers: loopback fakes of OpenAI, Ollama, vLLM and llama.cpp's server.

Each enforces the rules its provider documents for a chat completion request and, when a
rule is broken, answers as that provider does (status and error body), so a test fails
the way the real provider would. What they answer when no rule is broken is a scripted
fake: the hand-written FAKE_VALID_ANSWER of tests/fakes.py, never model output. Tokens are
counted as characters / 4, coarser than any real tokenizer but the same for every test.

What each rule and body was checked against (the `search` tool's stored copies, read on
2026-12-02):

- OpenAI, reasoning models (GPT-5 and later, o-series): a request with `max_tokens` gets
  400 `unsupported_parameter` "Unsupported parameter: 'max_tokens' is not supported with
  this model. Use 'max_completion_tokens' instead." and one with a temperature other than
  1 gets 400 `unsupported_value` "Unsupported value: 'temperature' does not support 0 with
  this model. Only the default (1) value is supported." (error bodies quoted in
  griptape-ai/ComfyUI-Griptape#312, gabrii/Cursor-Azure-GPT-5#33, OpenHands#4131; the rule
  in openai-python's `max_tokens` docstring).
- OpenAI, strict structured outputs: every object needs `additionalProperties: false` and a
  `required` listing every property, else 400 "Invalid schema for response_format '<name>':
  In context=(...), 'additionalProperties' is required to be supplied and to be false." /
  "... 'required' is required to be supplied and to be an array including every key in
  properties. Missing '<key>'." (moeru-ai/xsai#202 and #145, dottxt-ai/outlines#844,
  agentscope-ai/agentscope-java#2548); keywords are limited to those the Structured
  Outputs guide lists as supported (its "Supported schemas" section, copies in
  robobenjie/battlebuddy and others). The wording of the error for a keyword outside that
  list ("'<keyword>' is not permitted.") is modelled on the two above, not quoted.
- Ollama: its OpenAI endpoint reads `max_tokens` (as `num_predict`) and not
  `max_completion_tokens`, turns `response_format.json_schema.schema` into its schema
  `format`, and has no way to set `num_ctx` (ollama/ollama openai/openai.go); a prompt
  longer than the context is cut without an error, logged as "truncating input prompt"
  (ollama/ollama#10368, #5902, #6286, RooCodeInc/Roo-Code#1372); the context is 4k by
  default on small machines (docs/context-length.mdx); `POST /api/show` gives the
  model's parameters as text (`num_ctx` when set) and `model_info` with the trained
  `<arch>.context_length`, which is not the context it runs with.
- vLLM: `GET /v1/models` lists `max_model_len` per model (vllm/entrypoints/openai
  protocol.py ModelCard); a prompt plus the requested completion longer than that gets
  400 "This model's maximum context length is N tokens. However, you requested T tokens
  (P in the messages, C in the completion). Please reduce the length of the messages or
  completion." with `"object": "error"`, `"type": "BadRequestError"`, `"code": 400`
  (vllm-project/vllm#20409, ogx-ai/ogx#4534).
- llama.cpp's server: `GET /props` gives `default_generation_settings.n_ctx` (llama.cpp
  tools/server README, "a tour of llama-server's endpoints"); a prompt longer than the
  context gets 400 `exceed_context_size_error` "request (P tokens) exceeds the available
  context size (N tokens), try increasing it" with `n_prompt_tokens` and `n_ctx`
  (llama.cpp server-context.cpp, as quoted by clients that handle it).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .fakes import FAKE_VALID_ANSWER, fake_completion
from .loopback import QuietHandler, serving

Refusal = tuple[int, dict[str, Any]]

# OpenAI's reasoning models, by name (written here from OpenAI's docs, not imported from
# the code under test).
_REASONING = re.compile(r"^(?:gpt-[5-9]|o[1-9])(?:[-.]|$)")
_STRICT_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "$defs",
    "$ref",
    "title",
    "description",
    "pattern",
    "format",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "minItems",
    "maxItems",
}
_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def prompt_tokens(body: dict[str, Any]) -> int:
    """The fake tokenizer: a token per four characters of message content."""
    return sum(len(str(message.get("content", ""))) for message in body["messages"]) // 4


def scripted_completion(*, reasoning: int = 0, cached: int = 0) -> dict[str, Any]:
    """The scripted fake answer, with usage details as OpenAI reports them."""
    completion = fake_completion(json.dumps(FAKE_VALID_ANSWER), completion_tokens=50 + reasoning)
    if cached:
        completion["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
    if reasoning:
        completion["usage"]["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return completion


@dataclass
class Conformance:
    """What a conformance server received and did: requests, paths, cut prompts."""

    root: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    truncated: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def record(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        with self._lock:
            self.paths.append(f"{method} {path}")
            if body is not None and path.endswith("/chat/completions"):
                self.requests.append(body)


Route = Callable[[dict[str, Any] | None], tuple[int, Any]]


@contextmanager
def _serve(state: Conformance, routes: dict[str, Route]) -> Iterator[Conformance]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            self._route("GET", None)

        def do_POST(self) -> None:
            self._route("POST", json.loads(self.read_body() or b"{}"))

        def _route(self, method: str, body: dict[str, Any] | None) -> None:
            path = self.path.split("?")[0]
            state.record(method, path, body)
            route = routes.get(f"{method} {path}")
            if route is None:
                self.send_json(404, {"error": f"no route for {method} {path}"})
                return
            status, answer = route(body)
            self.send_json(status, answer)

    with serving(Handler) as root:
        state.root = root
        yield state


def _openai_error(message: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }
    }


def openai_refusal(body: dict[str, Any]) -> Refusal | None:
    """OpenAI's 400 for a request its rules refuse, or None if it is accepted."""
    if _REASONING.match(body.get("model", "")):
        if "max_tokens" in body:
            return 400, _openai_error(
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "max_tokens",
                "unsupported_parameter",
            )
        if "temperature" in body and body["temperature"] != 1:
            return 400, _openai_error(
                f"Unsupported value: 'temperature' does not support {body['temperature']} "
                "with this model. Only the default (1) value is supported.",
                "temperature",
                "unsupported_value",
            )
    response_format = body.get("response_format") or {}
    described = response_format.get("json_schema") or {}
    if response_format.get("type") == "json_schema" and described.get("strict") is True:
        name = described.get("name", "")
        problem = strict_schema_problem(described.get("schema"))
        if problem is not None or not _SCHEMA_NAME.match(name):
            detail = problem or "the name must be a-z, A-Z, 0-9, underscores or dashes"
            return 400, _openai_error(
                f"Invalid schema for response_format '{name}': {detail}", "response_format", None
            )
    return None


def strict_schema_problem(schema: object, context: tuple[str, ...] = ()) -> str | None:
    """What OpenAI's strict mode refuses in this schema (its wording), or None."""
    if not isinstance(schema, dict):
        return f"In context={context!r}, schema must be a JSON Schema of 'type: \"object\"'."
    if not context and (schema.get("type") != "object" or "anyOf" in schema):
        return "In context=(), schema must be a JSON Schema of 'type: \"object\"', got 'anyOf'."
    for keyword in schema:
        if keyword not in _STRICT_KEYWORDS:
            return f"In context={context!r}, '{keyword}' is not permitted."
    properties = schema.get("properties")
    if schema.get("type") == "object" or isinstance(properties, dict):
        if schema.get("additionalProperties") is not False:
            return (
                f"In context={context!r}, 'additionalProperties' is required to be supplied "
                "and to be false."
            )
        keys = list(properties or {})
        required = schema.get("required")
        missing = [key for key in keys if not isinstance(required, list) or key not in required]
        if missing:
            return (
                f"In context={context!r}, 'required' is required to be supplied and to be an "
                f"array including every key in properties. Missing '{missing[0]}'."
            )
    for name, sub in (properties or {}).items():
        found = strict_schema_problem(sub, (*context, "properties", name))
        if found:
            return found
    for name, sub in (schema.get("$defs") or {}).items():
        found = strict_schema_problem(sub, (*context, "$defs", name))
        if found:
            return found
    if isinstance(schema.get("items"), dict):
        found = strict_schema_problem(schema["items"], (*context, "items"))
        if found:
            return found
    for index, variant in enumerate(schema.get("anyOf") or []):
        found = strict_schema_problem(variant, (*context, "anyOf", str(index)))
        if found:
            return found
    return None


@contextmanager
def openai_server() -> Iterator[Conformance]:
    """OpenAI's chat completions: its parameter rules and strict structured outputs."""
    state = Conformance()

    def chat(body: dict[str, Any] | None) -> tuple[int, Any]:
        assert body is not None
        refused = openai_refusal(body)
        if refused is not None:
            return refused
        reasoning = 64 if _REASONING.match(body["model"]) else 0
        return 200, scripted_completion(reasoning=reasoning, cached=40)

    with _serve(state, {"POST /v1/chat/completions": chat}) as served:
        yield served


@contextmanager
def ollama_server(
    model: str,
    *,
    context: int = 4096,
    num_ctx_parameter: bool = True,
    loaded: bool = False,
    ps_context: bool = True,
) -> Iterator[Conformance]:
    """Ollama running `model` with a `context`-token window, cutting longer prompts.

    `/api/ps` lists the model once loaded (`loaded`, or after a `/api/generate` without a
    prompt, which only loads it), with its context unless `ps_context` is False.
    """
    state = Conformance()
    parameters = 'stop "<|eot_id|>"' + (f"\nnum_ctx {context}" if num_ctx_parameter else "")
    is_loaded = [loaded]

    def show(body: dict[str, Any] | None) -> tuple[int, Any]:
        if not body or body.get("model") != model:
            return 404, {"error": f"model '{(body or {}).get('model')}' not found"}
        # model_info gives the trained window, far above what the model runs with.
        info = {"general.architecture": "llama", "llama.context_length": 131072}
        return 200, {"parameters": parameters, "model_info": info, "details": {}}

    def ps(body: dict[str, Any] | None) -> tuple[int, Any]:
        entry: dict[str, Any] = {"name": model, "model": model}
        if ps_context:
            entry["context_length"] = context
        return 200, {"models": [entry] if is_loaded[0] else []}

    def generate(body: dict[str, Any] | None) -> tuple[int, Any]:
        if not body or body.get("model") != model:
            return 404, {"error": f"model '{(body or {}).get('model')}' not found"}
        is_loaded[0] = not body.get("prompt")  # no prompt: load the model, answer nothing
        return 200, {
            "model": model,
            "created_at": "2026-12-02T00:00:00Z",
            "response": "",
            "done": True,
        }

    def chat(body: dict[str, Any] | None) -> tuple[int, Any]:
        assert body is not None
        tokens = prompt_tokens(body)
        answer = scripted_completion()
        if tokens > context:  # cut without an error, as Ollama does
            state.truncated.append(tokens)
            tokens = context
        answer["usage"]["prompt_tokens"] = tokens
        answer["usage"]["total_tokens"] = tokens + answer["usage"]["completion_tokens"]
        return 200, answer

    routes = {
        "POST /api/show": show,
        "GET /api/ps": ps,
        "POST /api/generate": generate,
        "POST /v1/chat/completions": chat,
    }
    with _serve(state, routes) as served:
        yield served


@contextmanager
def vllm_server(model: str, *, max_model_len: int) -> Iterator[Conformance]:
    """vLLM serving `model` with `max_model_len`: refuses what would not fit."""
    state = Conformance()

    def models(body: dict[str, Any] | None) -> tuple[int, Any]:
        card = {
            "id": model,
            "object": "model",
            "created": 0,
            "owned_by": "vllm",
            "root": model,
            "parent": None,
            "max_model_len": max_model_len,
            "permission": [],
        }
        return 200, {"object": "list", "data": [card]}

    def chat(body: dict[str, Any] | None) -> tuple[int, Any]:
        assert body is not None
        tokens = prompt_tokens(body)
        completion = body.get("max_completion_tokens") or body.get("max_tokens") or 0
        if tokens + completion > max_model_len:
            message = (
                f"This model's maximum context length is {max_model_len} tokens. However, you "
                f"requested {tokens + completion} tokens ({tokens} in the messages, "
                f"{completion} in the completion). Please reduce the length of the messages "
                "or completion."
            )
            error = {"object": "error", "message": message, "type": "BadRequestError"}
            return 400, {**error, "param": None, "code": 400}
        return 200, scripted_completion()

    routes = {"GET /v1/models": models, "POST /v1/chat/completions": chat}
    with _serve(state, routes) as served:
        yield served


@contextmanager
def llama_cpp_server(*, n_ctx: int) -> Iterator[Conformance]:
    """llama.cpp's server with an `n_ctx`-token slot: refuses a prompt that does not fit."""
    state = Conformance()

    def props(body: dict[str, Any] | None) -> tuple[int, Any]:
        settings = {"n_ctx": n_ctx, "params": {"n_predict": -1}}
        return 200, {"default_generation_settings": settings, "total_slots": 1}

    def chat(body: dict[str, Any] | None) -> tuple[int, Any]:
        assert body is not None
        tokens = prompt_tokens(body)
        if tokens > n_ctx:
            message = (
                f"request ({tokens} tokens) exceeds the available context size ({n_ctx} "
                "tokens), try increasing it"
            )
            error = {"code": 400, "message": message, "type": "exceed_context_size_error"}
            return 400, {"error": {**error, "n_prompt_tokens": tokens, "n_ctx": n_ctx}}
        return 200, scripted_completion()

    routes = {"GET /props": props, "POST /v1/chat/completions": chat}
    with _serve(state, routes) as served:
        yield served
