"""Provider profiles: what each kind of backend accepts, and the request shaped for it.

A profile decides the token-limit parameter, which sampling parameters may be sent, and
the form the answer's JSON schema takes:

| profile | token limit | temperature, seed | schema |
|---|---|---|---|
| local (embedded), ollama, vllm, llama.cpp, openai-compatible | max_tokens | yes | `json_schema` |
| llama-cpp-python (its server) | max_tokens | yes | `json_object` with `schema` |
| openai, GPT-4.1 / GPT-4o | max_completion_tokens | yes | strict `json_schema` |
| openai, reasoning (GPT-5 on, o-series) | max_completion_tokens | no | strict `json_schema` |

Ollama's OpenAI endpoint turns `response_format.json_schema.schema` into its own schema
`format`, and reads `max_tokens` but not `max_completion_tokens` (ollama openai/openai.go);
vLLM and llama.cpp's server build their grammars from `json_schema`; llama-cpp-python's
server only from `json_object` with a `schema` (NOTES.md). OpenAI's reasoning models refuse
`max_tokens` and any temperature but the default, and count their reasoning against
`max_completion_tokens`, so their limit leaves room for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..config import ResponseFormat, Settings
from .strict import strict_schema

ProfileName = Literal[
    "local", "openai", "ollama", "vllm", "llama.cpp", "llama-cpp-python", "openai-compatible"
]
SchemaForm = Literal["json_schema", "strict_json_schema", "json_object_schema"]
REASK_TEMPERATURE = 0.4

# OpenAI's own model names, wherever they are served (api.openai.com, Azure OpenAI, a proxy
# that prefixes `openai/`, a fine-tune named `ft:<base>:...`).
_OPENAI_PREFIX = r"^(?:openai/|ft:)?"
_OPENAI_MODEL = re.compile(_OPENAI_PREFIX + r"(?:gpt-4o|gpt-4\.1|gpt-[5-9]|o[1-9])(?:[-.:]|$)")
_REASONING_MODEL = re.compile(_OPENAI_PREFIX + r"(?:gpt-[5-9]|o[1-9])(?:[-.:]|$)")


def is_openai_model(model: str) -> bool:
    """Whether the name is one of OpenAI's models (GPT-4o, GPT-4.1, GPT-5 and later, o-series)."""
    return _OPENAI_MODEL.match(model) is not None


def is_reasoning_model(model: str) -> bool:
    """Whether the name is one of OpenAI's reasoning models (GPT-5 and later, o-series)."""
    return _REASONING_MODEL.match(model) is not None


@dataclass(frozen=True)
class Profile:
    """What one kind of backend accepts in a chat completion request."""

    name: ProfileName
    token_limit: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    sampling: bool = True
    schema_form: SchemaForm = "json_schema"
    reasoning: bool = False
    truncates_silently: bool = False

    @property
    def response_format(self) -> ResponseFormat:
        """The schema's form in the terms of the `response_format` setting."""
        return "json_object" if self.schema_form == "json_object_schema" else "json_schema"

    def output_limit(self, settings: Settings) -> int:
        """The token limit sent: the answer's, and a reasoning model's thinking on top."""
        extra = settings.reasoning_tokens if self.reasoning else 0
        return settings.max_output_tokens + extra

    def shape(
        self, request: dict[str, Any], model: str, settings: Settings, *, first: bool
    ) -> dict[str, Any]:
        """The request Instructor built, with the model, limits, sampling and schema form."""
        shaped = {**request, "model": model}
        if self.sampling:
            # At temperature 0 a small model answers a re-ask with the same answer again.
            shaped["temperature"] = (
                settings.temperature if first else max(settings.temperature, REASK_TEMPERATURE)
            )
        shaped[self.token_limit] = self.output_limit(settings)
        if self.sampling:
            shaped["seed"] = 0
        if self.reasoning and settings.reasoning_effort:
            shaped["reasoning_effort"] = settings.reasoning_effort
        response_format = request.get("response_format")
        if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
            shaped["response_format"] = self._schema_format(response_format)
        return shaped

    def _schema_format(self, response_format: Mapping[str, Any]) -> Mapping[str, Any]:
        described = response_format["json_schema"]
        if self.schema_form == "json_object_schema":
            return {"type": "json_object", "schema": described["schema"]}
        if self.schema_form == "strict_json_schema":
            strict = {**described, "schema": strict_schema(described["schema"]), "strict": True}
            return {"type": "json_schema", "json_schema": strict}
        return response_format


LOCAL = Profile("local")
OLLAMA = Profile("ollama", truncates_silently=True)
VLLM = Profile("vllm")
LLAMA_CPP = Profile("llama.cpp")
LLAMA_CPP_PYTHON = Profile("llama-cpp-python", schema_form="json_object_schema")
OPENAI_COMPATIBLE = Profile("openai-compatible")
OPENAI = Profile("openai", token_limit="max_completion_tokens", schema_form="strict_json_schema")
OPENAI_REASONING = Profile(
    "openai",
    token_limit="max_completion_tokens",
    sampling=False,
    schema_form="strict_json_schema",
    reasoning=True,
)


def openai_profile(model: str) -> Profile:
    """The profile OpenAI's rules give this model."""
    return OPENAI_REASONING if is_reasoning_model(model) else OPENAI


def legacy_profile(response_format: ResponseFormat) -> Profile:
    """The profile of a backend that names only its schema form (the embedded model, fakes)."""
    return LLAMA_CPP_PYTHON if response_format == "json_object" else LOCAL
