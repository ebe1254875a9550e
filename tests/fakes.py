"""Scripted fakes for the paths a real model cannot be made to take on demand.

Nothing here is model output: the answers are written by hand, to drive retry and error
handling, and are named as fakes wherever they are used.
"""

from __future__ import annotations

import json
from typing import Any

from summarizer.errors import TransportError

FAKE_VALID_ANSWER: dict[str, Any] = {
    "summary": "Trump plans a call with Putin about a ceasefire.",
    "key_points": ["A call is planned.", "Fighting goes on in Kursk.", "Europe offers troops."],
    "actors": [
        {
            "id": "donald_trump",
            "name": "Donald Trump",
            "aliases": ["Trump"],
            "type": "person",
            "role": "President",
            "affiliation": "United States",
        },
        {
            "id": "vladimir_putin",
            "name": "Vladimir Putin",
            "aliases": ["Putin"],
            "type": "person",
            "role": "President",
            "affiliation": "Russia",
        },
    ],
    "events": [
        {
            "what": "Trump–Putin call",
            "category": "consult",
            "status": "planned",
            "when": "on Tuesday",
            "where": None,
            "participants": ["Donald Trump", "Vladimir Putin"],
            "evidence": ["he plans to meet with Russian President Vladimir Putin on Tuesday"],
        }
    ],
    "positions": [],
    "demands": [],
}


def fake_completion(
    content: str,
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
) -> dict[str, Any]:
    """A raw chat completion carrying hand-written content."""
    return {
        "id": "fake-completion",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


FAKE_VALID_COMPLETION = fake_completion(json.dumps(FAKE_VALID_ANSWER))


class ScriptedBackend:
    """A Backend that plays a script: each step is a completion dict or an exception."""

    name = "scripted-fake"
    model = "fake-model"
    context_window = 100_000
    response_format = "json_schema"

    def __init__(self, *script: dict[str, Any] | Exception) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    async def acomplete(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.complete(request)

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1


def rate_limited(retry_after: float = 0.01) -> TransportError:
    return TransportError("HTTP 429: slow down", transient=True, retry_after=retry_after)
