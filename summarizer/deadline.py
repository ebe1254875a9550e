"""Time budgets: per article (fetch, extraction and summary together) and per digest run.

A budget is counted while work runs, not while an article waits for a free slot: with a
local model, the last article of a batch waits for every one before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import SummarizerError


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock, or none (no limit)."""

    at: float | None = None

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """The deadline `seconds` from now; no deadline for None."""
        return cls(None if seconds is None else time.monotonic() + seconds)

    def left(self) -> float | None:
        """Seconds left (negative once passed); None without a deadline."""
        return None if self.at is None else self.at - time.monotonic()

    def passed(self) -> bool:
        """Whether the deadline has passed."""
        left = self.left()
        return left is not None and left <= 0


# Given an article's index as its summary starts: the seconds it may take, and the error
# it ends with if they run out (each budget names itself). `Summarizer.asummarize_many`
# takes one.
Budget = Callable[[int], tuple[float | None, SummarizerError]]
