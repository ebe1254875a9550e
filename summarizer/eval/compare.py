"""Whether one evaluation run differs from another by more than the choice of articles.

Two JSON records of `summarizer eval` are compared on the articles both scored; an article
whose summary failed counts as all of its gold items missed, as in the records' totals. Each
figure's change comes with a 95% interval from a paired bootstrap over those articles: the
articles are drawn with replacement, both runs are scored on the same draw, and the
interval holds the middle 95% of the changes. With a handful of gold articles one item
moves F1 by 0.1; an interval that holds 0 says the change is within what these articles
can tell apart.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .report import format_score
from .score import CATEGORIES, Counts

RESAMPLES = 10_000

Row = Mapping[str, Any]
# A figure sums a tuple of counts over the articles, then computes its value from the sum.
Figure = tuple[Callable[[Row], tuple[int, ...]], Callable[[tuple[int, ...]], float | None]]


def _counts(category: str) -> Figure:
    return (
        lambda row: (row[category]["tp"], row[category]["fp"], row[category]["fn"]),
        lambda summed: Counts(*summed).f1,
    )


def _share(part: tuple[str, ...], whole: str) -> Figure:
    return (
        lambda row: (sum(row["grounding"][key] for key in part), row["grounding"][whole]),
        lambda summed: summed[0] / summed[1] if summed[1] else None,
    )


FIGURES: dict[str, Figure] = {
    **{category: _counts(category) for category in CATEGORIES},
    "grounded quotes": _share(("exact", "normalized", "fuzzy"), "total"),
    "grounded items": _share(("grounded_items",), "items"),
    "who said what": (
        # Records written before the measure existed have no attribution: they count as none.
        lambda row: (
            row.get("attribution", {}).get("own", 0),
            row.get("attribution", {}).get("positions", 0),
        ),
        lambda summed: summed[0] / summed[1] if summed[1] else None,
    ),
}


def _value(figure: Figure, rows: Sequence[tuple[int, ...]]) -> float | None:
    return figure[1](tuple(map(sum, zip(*rows, strict=True))))


@dataclass(frozen=True)
class Change:
    """One figure of both runs (F1 for a category, a share for grounding) and its change."""

    figure: str
    before: float | None
    after: float | None
    low: float | None
    high: float | None

    @property
    def change(self) -> float | None:
        """After minus before; None when either run has no value."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def clear(self) -> bool:
        """Whether the 95% interval leaves out 0: a change these articles can tell apart."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class Comparison:
    """A run compared with a baseline run on the articles both scored."""

    baseline_prompt: str | None
    prompt: str | None
    articles: list[str]
    failed_before: int
    failed_after: int
    changes: list[Change]
    settings_changed: list[str] = field(default_factory=list)


def _articles(record: Mapping[str, Any], name: str) -> dict[str, Row]:
    try:
        return {row["id"]: row for row in record["articles"]}
    except (KeyError, TypeError):
        raise InputError(f"{name} is not a JSON record of `summarizer eval --json`") from None


def compare(
    baseline: Mapping[str, Any],
    record: Mapping[str, Any],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Comparison:
    """Compare `record` with `baseline`, two records written by `summarizer eval --json`."""
    before, after = _articles(baseline, "the baseline"), _articles(record, "the record")
    ids = [article for article in after if article in before]
    if not ids:
        raise InputError("no article was scored in both runs, so there is nothing to compare")
    draws = random.Random(seed)
    samples = [draws.choices(range(len(ids)), k=len(ids)) for _ in range(resamples)]
    changes = []
    for name, figure in FIGURES.items():
        old = [figure[0](before[article]) for article in ids]
        new = [figure[0](after[article]) for article in ids]
        deltas = []
        for sample in samples:
            old_value = _value(figure, [old[index] for index in sample])
            new_value = _value(figure, [new[index] for index in sample])
            if old_value is not None and new_value is not None:
                deltas.append(new_value - old_value)
        low = high = None
        if len(deltas) >= 2:
            cuts = statistics.quantiles(deltas, n=40, method="inclusive")
            low, high = cuts[0], cuts[-1]
        changes.append(Change(name, _value(figure, old), _value(figure, new), low, high))
    return Comparison(
        baseline.get("prompt_hash"),
        record.get("prompt_hash"),
        ids,
        sum(before[article].get("error") is not None for article in ids),
        sum(after[article].get("error") is not None for article in ids),
        changes,
        _settings_changed(baseline, record),
    )


def _settings_changed(baseline: Mapping[str, Any], record: Mapping[str, Any]) -> list[str]:
    """`name old -> new` for each setting both records hold with different values."""
    old, new = baseline.get("settings") or {}, record.get("settings") or {}
    return [
        f"{name} {old[name]} -> {new[name]}"
        for name in new
        if name in old and old[name] != new[name]
    ]


def comparison_table(comparison: Comparison) -> str:
    """The comparison as an aligned text table, for people."""
    lines = [
        f"baseline prompt {comparison.baseline_prompt or '?'} -> {comparison.prompt or '?'}, "
        f"{len(comparison.articles)} article{'s' if len(comparison.articles) > 1 else ''} in "
        f"both runs (failed: {comparison.failed_before} before, {comparison.failed_after} after)",
    ]
    if comparison.settings_changed:
        lines.append(f"settings changed: {', '.join(comparison.settings_changed)}")
    lines.append(f"{'':16} {'before':>6} {'after':>6} {'change':>7}  {'95% interval':>15}")
    for change in comparison.changes:
        interval = f"{format_score(change.low, '+')} .. {format_score(change.high, '+')}"
        verdict = ""
        if change.clear and change.change is not None:
            verdict = "  better" if change.change > 0 else "  worse"
        lines.append(
            f"{change.figure:16} {format_score(change.before):>6} {format_score(change.after):>6} "
            f"{format_score(change.change, '+'):>7}  {interval:>15}{verdict}"
        )
    lines += [
        "(F1 per category, shares for grounding; the interval is a paired bootstrap over the",
        " articles: one that holds 0 is within what these articles can tell apart)",
    ]
    return "\n".join(lines) + "\n"
