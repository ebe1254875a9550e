"""The answer schema in the subset of JSON Schema that OpenAI's strict structured outputs accept.

Strict mode (`"strict": true`) makes the model's output follow the schema; it accepts only
schemas where every object sets `additionalProperties: false` and lists every property in
`required`, built from the keywords its guide lists as supported. The transform follows
openai-python's `to_strict_json_schema` (openai/lib/_pydantic.py) and goes further on
keywords: those outside the supported list (`minLength`, `maxLength`, `default`) are
dropped, and a length bound is moved into the description, so the model still reads it.
The answer is validated by the same Pydantic model as before: what it enforces (enums,
list sizes, references between items) it still enforces, and re-asks on.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

# What OpenAI's structured-outputs guide lists as supported (types, `anyOf`, definitions and
# references, and the string, number and array constraints it names), plus the annotations
# `title` and `description`.
SUPPORTED_KEYWORDS = frozenset(
    {
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
)


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` that OpenAI's strict mode accepts."""
    return json.loads(_strict_text(json.dumps(schema)))


@functools.lru_cache(maxsize=16)
def _strict_text(schema_text: str) -> str:
    # One transform per distinct schema, kept as text: each request gets its own copy.
    root = json.loads(schema_text)
    return json.dumps(_strict(root, root))


def _strict(node: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strict(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) > 1:
        # A reference with siblings (a description beside it) is refused: inline it.
        node = {**_resolve(root, node["$ref"]), **{k: v for k, v in node.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    hints: list[str] = []
    for key, value in node.items():
        if key in ("properties", "$defs"):
            out[key] = {name: _strict(sub, root) for name, sub in value.items()}
        elif key in SUPPORTED_KEYWORDS:
            out[key] = _strict(value, root)
        elif key == "maxLength":
            hints.append(f"at most {value} characters")
        elif key == "minLength" and value > 1:
            hints.append(f"at least {value} characters")
    if hints:
        described = out.get("description", "").rstrip()
        joined = "; ".join(hints)
        out["description"] = f"{described} ({joined})" if described else f"({joined})"
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return copy.deepcopy(target)
