"""Views of a summary: JSON, JSON Lines, Markdown, HTML."""

from __future__ import annotations

from typing import Literal

from ..schema import SummaryResult
from .html import highlighted_article_html, render_html
from .markdown import render_markdown

Format = Literal["json", "jsonl", "markdown", "html"]
SUFFIXES: dict[str, str] = {"json": ".json", "jsonl": ".jsonl", "markdown": ".md", "html": ".html"}


def render(result: SummaryResult, fmt: Format) -> str:
    """The result in the given format, ending with a newline."""
    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    if fmt == "jsonl":
        return result.model_dump_json() + "\n"
    if fmt == "html":
        return render_html(result)
    return render_markdown(result)


__all__ = [
    "SUFFIXES",
    "Format",
    "highlighted_article_html",
    "render",
    "render_html",
    "render_markdown",
]
