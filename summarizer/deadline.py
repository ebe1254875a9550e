"""Time budgets: per article (fetch, extraction and summary together) and per digest run.

A budget is counted while work runs, not while an article waits for a free slot: with a
local model, the last article of a batch waits for every one before it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import SummarizerError

if TYPE_CHECKING:
    from .articles import Article
    from .pipeline import Outcome, Summarizer


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
# it ends with if they run out (each budget names itself).
Budget = Callable[[int], tuple[float | None, SummarizerError]]


async def asummarize_within(
    summarizer: Summarizer,
    articles: Sequence[Article],
    budget: Budget,
    *,
    on_done: Callable[[int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Summarise the articles as `Summarizer.asummarize_many` does, each within its budget.

    An article whose budget is spent before its summary starts, or runs out during it, ends
    with the budget's error. The model request in flight is
    abandoned; a local model's runs on in its thread until that one request ends.
    """
    limit = asyncio.Semaphore(summarizer.settings.concurrency)
    await asyncio.to_thread(lambda: summarizer.client)  # load the backend once, not per task

    async def one(index: int, article: Article) -> Outcome:
        async with limit:
            seconds, expired = budget(index)
            try:
                if seconds is not None and seconds <= 0:
                    raise expired
                async with asyncio.timeout(seconds):
                    outcome: Outcome = await summarizer.asummarize(article)
            except TimeoutError:
                outcome = expired
            except SummarizerError as error:
                outcome = error
        if on_done is not None:
            on_done(index, outcome)
        return outcome

    try:
        return list(await asyncio.gather(*(one(i, a) for i, a in enumerate(articles))))
    finally:
        close = getattr(summarizer.client.backend, "aclose", None)
        if close is not None:  # release connections before this event loop ends
            await close()
