"""The archive: every summary, with its article, provenance, cost and actors, in SQLite.

>>> from summarizer.archive import open_archive, actor_timeline, costs
>>> archive = open_archive()          # the user's archive (docs/archive.md)
>>> timeline = actor_timeline(archive, "Putin")
>>> [row.cost_usd for row in costs(archive, "day")]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports
from .db import MIGRATIONS, Archive, ArchiveError, default_path

if TYPE_CHECKING:
    from .actors import merge, split
    from .queries import (
        ActorCount,
        ActorTimeline,
        LedgerRow,
        SearchHit,
        SummaryRow,
        TimelineItem,
        actor_timeline,
        costs,
        search,
        summaries,
        top_actors,
    )
    from .record import load_result, open_archive
    from .record import record as record_summary

# Imported on first use (PEP 562): the digest's config needs only `default_path`, and
# `summarizer --help` should not load the schema for it.
_LAZY = {
    **dict.fromkeys(["merge", "split"], "actors"),
    **dict.fromkeys(
        [
            "ActorCount",
            "ActorTimeline",
            "LedgerRow",
            "SearchHit",
            "SummaryRow",
            "TimelineItem",
            "actor_timeline",
            "costs",
            "search",
            "summaries",
            "top_actors",
        ],
        "queries",
    ),
    **dict.fromkeys(["load_result", "open_archive", "record_summary"], "record"),
}
# Names that differ from the module's (the module `record` is a submodule's name here).
_RENAMED = {"record_summary": "record"}


__getattr__, __dir__ = exports(__name__, _LAZY, _RENAMED)


__all__ = [
    "MIGRATIONS",
    "ActorCount",
    "ActorTimeline",
    "Archive",
    "ArchiveError",
    "LedgerRow",
    "SearchHit",
    "SummaryRow",
    "TimelineItem",
    "actor_timeline",
    "costs",
    "default_path",
    "load_result",
    "merge",
    "open_archive",
    "record_summary",
    "search",
    "split",
    "summaries",
    "top_actors",
]
