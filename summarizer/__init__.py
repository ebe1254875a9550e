"""summarizer: structured, source-grounded summaries of news articles.

>>> from summarizer import summarize
>>> result = summarize(open("seeds/kursk-ceasefire-talks.txt").read())
>>> [actor.name for actor in result.summary.actors]
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .errors import (
    BackendUnavailable,
    CacheMiss,
    ConfigError,
    InputError,
    SummarizationFailed,
    SummarizerError,
    TransportError,
)
from .lazy import exports

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


__getattr__, __dir__ = exports(__name__, _LAZY)


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
