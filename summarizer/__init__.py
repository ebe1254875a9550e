"""summarizer: structured, source-grounded summaries of news articles.

>>> from summarizer import summarize
>>> result = summarize(open("seeds/kursk-ceasefire-talks.txt").read())
>>> [actor.name for actor in result.summary.actors]
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from .errors import (
    BackendUnavailable,
    CacheMiss,
    ConfigError,
    InputError,
    SummarizationFailed,
    SummarizerError,
    TransportError,
)

# A library prints nothing unless the program asks: without a handler of its own, Python's
# last-resort handler would print our warnings (re-asks, retries) to stderr. The CLI sets up
# logging and shows them.
logging.getLogger("summarizer").addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from .archive import Archive, open_archive
    from .articles import Article
    from .config import Settings
    from .pipeline import Summarizer, asummarize, summarize, summarize_many
    from .schema import (
        Actor,
        ArticleInfo,
        ArticleSummary,
        Demand,
        Event,
        Evidence,
        Grounding,
        Position,
        Provenance,
        SummaryResult,
        Usage,
    )

# Imported on first use (PEP 562), so `summarizer --help` does not load pydantic, Jinja
# and the pipeline: see benchmarks/startup.py.
_LAZY = {
    **dict.fromkeys(["Archive", "open_archive"], "archive"),
    "Article": "articles",
    "Settings": "config",
    **dict.fromkeys(["Summarizer", "asummarize", "summarize", "summarize_many"], "pipeline"),
    **dict.fromkeys(
        [
            "Actor",
            "ArticleInfo",
            "ArticleSummary",
            "Demand",
            "Event",
            "Evidence",
            "Grounding",
            "Position",
            "Provenance",
            "SummaryResult",
            "Usage",
        ],
        "schema",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'summarizer' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__version__ = "0.1.0"

__all__ = [
    "Actor",
    "Archive",
    "Article",
    "ArticleInfo",
    "ArticleSummary",
    "BackendUnavailable",
    "CacheMiss",
    "ConfigError",
    "Demand",
    "Event",
    "Evidence",
    "Grounding",
    "InputError",
    "Position",
    "Provenance",
    "Settings",
    "SummarizationFailed",
    "Summarizer",
    "SummarizerError",
    "SummaryResult",
    "TransportError",
    "Usage",
    "__version__",
    "asummarize",
    "open_archive",
    "summarize",
    "summarize_many",
]
