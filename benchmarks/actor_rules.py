"""Each actor fix-up of summarizer/actors.py scored with and without it, on recorded answers.

The fix-ups run on the model's answer after it is validated, so recorded answers (a
`--cache-dir` of `summarizer eval` or `benchmarks/strategies.py`) can be scored again with one
fix-up left out, without asking the model anything. For each fix-up this prints the F1 of
actors, events and demands without it, the change from the run with all of them, and a 95%
interval from the paired bootstrap of `summarizer eval-compare`. Run it on the held-out part
of the gold set, which no fix-up was shaped on (gold/README.md), and on WikiEvents:

    .venv/bin/python benchmarks/actor_rules.py gold/gold.jsonl --split held-out \\
        --cache-dir /tmp/eval-cache
    .venv/bin/python benchmarks/actor_rules.py ../shared/eval/wikievents-dev --shortest 10 \\
        --cache-dir /tmp/side-by-side/one-shot --max-reasks 0

An answer missing from the folder fails that article (replay never calls the model).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

from summarizer import ArticleSummary, Summarizer, pipeline
from summarizer.eval.compare import Change, Comparison, compare
from summarizer.eval.gold import GoldArticle, load_gold
from summarizer.eval.report import as_json, format_score
from summarizer.eval.run import evaluate, select

# The names pipeline.py calls them by: patching them there leaves one fix-up out.
FIX_UPS = ("describe_unlisted_people", "split_titled_names", "drop_places")
CATEGORIES = ("actors", "events", "demands")


def _counting(fix_up: Callable[..., None], changed: set[str]) -> Callable[..., None]:
    """The fix-up, noting each summary whose actors it changed (by its summary line)."""

    def counted(summary: ArticleSummary, *args: Any) -> None:
        before = [actor.model_dump() for actor in summary.actors]
        fix_up(summary, *args)
        if [actor.model_dump() for actor in summary.actors] != before:
            changed.add(summary.summary)

    return counted


def _score(
    golds: Sequence[GoldArticle],
    options: argparse.Namespace,
    without: str | None = None,
    changed: dict[str, set[str]] | None = None,
) -> dict[str, Any]:
    """The eval record of the recorded answers, `without` one fix-up, noting into `changed`."""
    summarizer = Summarizer(
        model="local",
        cache="replay",
        cache_dir=options.cache_dir,
        **({} if options.max_reasks is None else {"max_reasks": options.max_reasks}),
        archive="off",
    )
    replaced: dict[str, Callable[..., None]] = {}
    if changed is not None:
        replaced = {name: _counting(getattr(pipeline, name), changed[name]) for name in FIX_UPS}
    if without is not None:
        replaced[without] = lambda *args: None
    with mock.patch.multiple(pipeline, **replaced):
        scores = evaluate(golds, summarizer)
    failed = [score.id for score in scores if score.error]
    if failed:
        print(f"without {without or 'nothing'}: failed {', '.join(failed)}")
    return as_json(scores, gold=str(options.gold), model="replay", prompt_hash="", settings={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("--split", choices=["tuning", "held-out"])
    parser.add_argument("--shortest", type=int)
    parser.add_argument("--cache-dir", type=Path, required=True, help="the recorded answers")
    parser.add_argument("--max-reasks", type=int, help="as the answers were recorded with")
    options = parser.parse_args()
    golds = select(load_gold(options.gold), split=options.split, shortest=options.shortest)
    changed: dict[str, set[str]] = {name: set() for name in FIX_UPS}
    baseline = _score(golds, options, changed=changed)
    comparisons = {name: compare(baseline, _score(golds, options, name)) for name in FIX_UPS}
    print(f"{options.gold} ({options.split or 'all'}), {len(golds)} articles")
    header = "".join(f"{category:>30}" for category in CATEGORIES)
    print(f"{'left out':<26}{header}")
    first = next(iter(comparisons.values()))
    row = "".join(f"{format_score(_change(first, c).before):>30}" for c in CATEGORIES)
    print(f"{'(nothing)':<26}{row}")
    for fix_up, comparison in comparisons.items():
        row = "".join(f"{_without(_change(comparison, c)):>30}" for c in CATEGORIES)
        print(f"{fix_up:<26}{row}   changed {len(changed[fix_up])} of {len(golds)} answers")


def _change(comparison: Comparison, category: str) -> Change:
    return next(change for change in comparison.changes if change.figure == category)


def _without(change: Change) -> str:
    """The F1 without the fix-up, its change and the change's interval."""
    if change.change is None or change.low is None or change.high is None:
        return format_score(change.after)
    interval = f"{change.low:+.2f}..{change.high:+.2f}"
    return f"{format_score(change.after)} ({change.change:+.2f}, {interval})"


if __name__ == "__main__":
    main()
