"""Views of a summary: JSON, JSON Lines, Markdown."""

from __future__ import annotations

from typing import Literal

from ..schema import SummaryResult
from .markdown import render_markdown

Format = Literal["json", "jsonl", "markdown"]
SUFFIXES: dict[str, str] = {"json": ".json", "jsonl": ".jsonl", "markdown": ".md"}


def render(result: SummaryResult, fmt: Format) -> str:
    """The result in the given format, ending with a newline."""
    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    if fmt == "jsonl":
        return result.model_dump_json() + "\n"
    return render_markdown(result)


__all__ = ["SUFFIXES", "Format", "render", "render_markdown"]
