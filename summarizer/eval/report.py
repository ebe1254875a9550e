"""The evaluation table (plain text, for people) and its JSON record (for tracking)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from .score import CATEGORIES, ArticleScore, Attribution, Counts, Groundedness, totals

# The settings besides the prompt that change what the model answers; recorded with a run.
ANSWER_SETTINGS = (
    "temperature",
    "max_output_tokens",
    "max_reasks",
    "grounding_reasks",
    "demands_follow_up",
    "strategy",
    "provider",
    "reasoning_tokens",
    "reasoning_effort",
)


def format_score(value: float | None, sign: str = "") -> str:
    """A score with two decimals (`sign="+"` to show its sign), or a dash when there is none."""
    return "–" if value is None else f"{value:{sign}.2f}"


def _counts_json(counts: Counts) -> dict[str, Any]:
    return {
        **asdict(counts),
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": counts.f1,
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _summarised(scores: Sequence[ArticleScore]) -> list[ArticleScore]:
    return [score for score in scores if score.error is None]


def table(scores: Sequence[ArticleScore], *, per_article: bool = False) -> str:
    """The scores as an aligned text table, totals first, optionally one row per article."""
    summed = totals(scores)
    done = _summarised(scores)
    grounding = sum((s.grounding for s in done), Groundedness())
    attribution = sum((s.attribution for s in done), Attribution())
    lines = [f"{'':10} {'P':>5} {'R':>5} {'F1':>5} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for name in CATEGORIES:
        c = summed[name]
        lines.append(
            f"{name:10} {format_score(c.precision):>5} {format_score(c.recall):>5} "
            f"{format_score(c.f1):>5} {c.tp:>4} {c.fp:>4} {c.fn:>4}"
        )
    lines += [
        "",
        f"grounded quotes   {format_score(grounding.rate)} ({grounding.located}/{grounding.total}: "
        f"{grounding.exact} exact, {grounding.normalized} normalized, {grounding.fuzzy} fuzzy)",
        f"grounded items    {format_score(grounding.item_rate)} "
        f"({grounding.grounded_items}/{grounding.items} with a quote found)",
        f"who said what     {format_score(attribution.rate)} ({attribution.own}/"
        f"{attribution.positions} positions cite their own actor's words; "
        f"{attribution.shared} share a sentence with another actor's position)",
        f"articles          {len(done)}/{len(scores)} summarised"
        + (f", {sum(s.cache_hit for s in done)} from the cache" if done else ""),
        f"tokens/article    {_mean([s.prompt_tokens for s in done]):.0f} prompt + "
        f"{_mean([s.completion_tokens for s in done]):.0f} output",
        f"seconds/article   {_mean([s.seconds for s in done]):.1f}",
    ]
    lines += _by_split(scores)
    if per_article:
        lines += ["", f"{'article':34} {'actors':>8} {'events':>8} {'demands':>8} {'quotes':>7}"]
        for s in scores:
            if s.error is not None:
                lines.append(f"{s.id[:34]:34} error: {s.error}")
                continue
            cells = [f"{s.counts[n].tp}/{s.counts[n].tp + s.counts[n].fn}" for n in CATEGORIES]
            quotes = f"{s.grounding.located}/{s.grounding.total}"
            lines.append(f"{s.id[:34]:34} {cells[0]:>8} {cells[1]:>8} {cells[2]:>8} {quotes:>7}")
        lines.append("(found/expected per category; quotes located/total)")
    return "\n".join(lines) + "\n"


def _by_split(scores: Sequence[ArticleScore]) -> list[str]:
    """F1 per category on each part of a split gold set, when more than one part was scored."""
    splits = list(dict.fromkeys(s.split for s in scores if s.split is not None))
    if len(splits) < 2:
        return []
    lines = ["", f"{'split':10} {'actors':>7} {'events':>7} {'demands':>7}  articles"]
    for split in splits:
        part = [s for s in scores if s.split == split]
        summed = totals(part)
        cells = " ".join(f"{format_score(summed[name].f1):>7}" for name in CATEGORIES)
        lines.append(f"{split:10} {cells}  {len(part)}")
    return lines


def as_json(
    scores: Sequence[ArticleScore],
    *,
    gold: str,
    model: str | None,
    prompt_hash: str | None,
    settings: Mapping[str, Any] | None = None,
    split: str | None = None,
) -> dict[str, Any]:
    """A JSON-ready record of one evaluation run: totals and every article.

    `settings` are those that change the answers beyond the prompt (re-asks, temperature,
    the follow-up question for demands), so that two records can tell them apart; `split`
    is the part of the gold set that was selected, if one was.
    """
    summed = totals(scores)
    done = _summarised(scores)
    grounding = sum((s.grounding for s in done), Groundedness())
    attribution = sum((s.attribution for s in done), Attribution())
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "gold": gold,
        "split": split,
        "model": model,
        "prompt_hash": prompt_hash,
        "settings": dict(settings or {}),
        "totals": {
            **{name: _counts_json(summed[name]) for name in CATEGORIES},
            "grounding": {
                **asdict(grounding),
                "rate": grounding.rate,
                "item_rate": grounding.item_rate,
            },
            "attribution": {**asdict(attribution), "rate": attribution.rate},
            "articles": len(scores),
            "failed": len(scores) - len(done),
            "prompt_tokens_per_article": _mean([s.prompt_tokens for s in done]),
            "completion_tokens_per_article": _mean([s.completion_tokens for s in done]),
            "seconds_per_article": _mean([s.seconds for s in done]),
        },
        "articles": [
            {
                "id": s.id,
                "split": s.split,
                "error": s.error,
                **{name: _counts_json(s.counts[name]) for name in CATEGORIES},
                "grounding": asdict(s.grounding),
                "attribution": asdict(s.attribution),
                "prompt_tokens": s.prompt_tokens,
                "completion_tokens": s.completion_tokens,
                "seconds": s.seconds,
                "cache_hit": s.cache_hit,
            }
            for s in scores
        ],
    }
