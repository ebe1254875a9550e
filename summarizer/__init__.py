"""summarizer: structured, source-grounded summaries of news articles.

>>> from summarizer import summarize
>>> result = summarize(open("seeds/kursk-ceasefire-talks.txt").read())
>>> [actor.name for actor in result.summary.actors]
"""

from .articles import Article
from .config import Settings
from .errors import (
    BackendUnavailable,
    CacheMiss,
    ConfigError,
    InputError,
    SummarizationFailed,
    SummarizerError,
    TransportError,
)
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

__version__ = "0.1.0"

__all__ = [
    "Actor",
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
    "summarize",
    "summarize_many",
]
