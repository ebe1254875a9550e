"""Summarise every gold article with one Summarizer and score the results."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..articles import Article
from ..errors import SummarizerError
from ..pipeline import Summarizer
from .gold import GoldArticle, Split
from .score import ArticleScore, score_failure, score_summary


def select(
    golds: Sequence[GoldArticle],
    *,
    ids: Sequence[str] = (),
    split: Split | None = None,
    shortest: int | None = None,
) -> list[GoldArticle]:
    """The articles named by id (all if none) in `split` (any if None), then the shortest N."""
    chosen = [g for g in golds if (not ids or g.id in ids) and split in (None, g.split)]
    if shortest is not None:
        chosen = sorted(chosen, key=lambda g: len(g.text.split()))[:shortest]
    return chosen


def evaluate(
    golds: Sequence[GoldArticle],
    summarizer: Summarizer,
    *,
    on_done: Callable[[ArticleScore], None] | None = None,
) -> list[ArticleScore]:
    """Summarise each gold article and score it; a failed article scores as all missed."""
    articles = [Article(text=g.text, title=g.title, published=g.published) for g in golds]
    scores: list[ArticleScore | None] = [None] * len(golds)

    def done(index: int, outcome: object) -> None:
        gold = golds[index]
        if isinstance(outcome, SummarizerError):
            score = score_failure(gold, str(outcome))
        else:
            from ..schema import SummaryResult

            assert isinstance(outcome, SummaryResult)
            score = score_summary(outcome.summary, gold)
            usage = outcome.provenance.usage
            score.prompt_tokens = usage.prompt_tokens
            score.completion_tokens = usage.completion_tokens
            score.seconds = outcome.provenance.seconds
            score.cache_hit = outcome.provenance.cache_hit
        scores[index] = score
        if on_done is not None:
            on_done(score)

    summarizer.summarize_many(articles, on_done=done)
    return [score for score in scores if score is not None]
