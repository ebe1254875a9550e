"""The `summarizer eval` command.

Only click and the standard library are imported at module level, so `summarizer --help`
stays fast; the rest of the package loads when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .gold import Split


@click.command()
@click.argument("gold", type=click.Path(exists=True, path_type=Path))
@click.option("--id", "ids", multiple=True, help="Score only this article (repeatable).")
@click.option(
    "--split",
    type=click.Choice(["tuning", "held-out"]),
    help="Score only this part of a split gold set: held-out articles are those no rule or "
    "prompt was shaped on (gold/README.md).",
)
@click.option(
    "--shortest", type=int, help="Score only the N shortest articles (a cheap, fixed subset)."
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the scores as JSON to this file (`-` for standard output).",
)
@click.option("--per-article", is_flag=True, help="Add one row per article to the table.")
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON record of an earlier run (--json): also print what changed since, with 95% "
    "intervals.",
)
@click.option("-m", "--model", help="Model to evaluate (as for `summarize`).")
@click.option("--base-url", help="OpenAI-compatible endpoint URL.")
@click.option(
    "--cache",
    type=click.Choice(["off", "auto", "replay", "record"]),
    help="Response cache mode (as for `summarize`).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    help="Folder of cached responses; keep evaluation runs outside the repository.",
)
@click.option("--max-reasks", type=int, help="Re-asks after an invalid answer.")
@click.option("--concurrency", type=int, help="Articles summarised at once.")
def eval_command(
    gold: Path,
    ids: tuple[str, ...],
    split: Split | None,
    shortest: int | None,
    json_path: Path | None,
    per_article: bool,
    baseline: Path | None,
    **options: Any,
) -> None:
    """Score summaries against a gold set: actors, events, demands, grounding, cost.

    GOLD is our JSONL gold set (gold/gold.jsonl) or a WikiEvents folder
    (../shared/eval/wikievents-dev). Prints precision, recall and F1 per category, the share
    of evidence quotes found in the articles, and tokens and seconds per article; on a split
    gold set, F1 on its tuning and held-out parts too (report the held-out figure: no rule or
    prompt was shaped on it). With --baseline, also what changed since an earlier run (see
    `summarizer eval-compare`).
    """
    from .. import staged
    from ..errors import InputError
    from ..pipeline import Summarizer, prompt_hash
    from .gold import load_gold
    from .report import ANSWER_SETTINGS, as_json, table
    from .run import evaluate, select

    golds = select(load_gold(gold), ids=ids, split=split, shortest=shortest)
    if not golds:
        raise InputError(f"no gold article selected from {gold}")
    summarizer = Summarizer(**options)

    def progress(score: Any) -> None:
        outcome = f"error: {score.error}" if score.error else f"{score.seconds:.1f}s"
        click.echo(f"scored {score.id} ({outcome})", err=True)

    scores = evaluate(golds, summarizer, on_done=progress)
    click.echo(table(scores, per_article=per_article), nl=False)
    record = as_json(
        scores,
        gold=str(gold),
        model=summarizer.client.backend.model,
        prompt_hash=staged.prompt_hash()
        if summarizer.settings.strategy == "staged"
        else prompt_hash(),
        settings={name: getattr(summarizer.settings, name) for name in ANSWER_SETTINGS},
        split=split,
    )
    if baseline is not None:
        from .compare import compare, comparison_table

        click.echo("\n" + comparison_table(compare(_read_record(baseline), record)), nl=False)
    if json_path is not None:
        text = json.dumps(record, indent=2) + "\n"
        if str(json_path) == "-":
            click.echo(text, nl=False)
        else:
            json_path.write_text(text, encoding="utf-8")
    if all(score.error is not None for score in scores):
        raise click.ClickException(f"no article could be summarised: {scores[0].error}")


@click.command()
@click.argument("baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def eval_compare_command(baseline: Path, record: Path) -> None:
    """Compare two evaluation runs: what changed from BASELINE to RECORD, and is it real?

    Both are JSON records written by `summarizer eval --json`. Prints F1 per category and
    the shares of grounded quotes and items, before and after, on the articles both runs
    scored (a failed summary misses all its gold items), each change with a 95% interval
    from a paired bootstrap over the articles. A change whose interval holds 0 is within
    what these articles can tell apart.
    """
    from .compare import compare, comparison_table

    comparison = compare(_read_record(baseline), _read_record(record))
    click.echo(comparison_table(comparison), nl=False)


def _read_record(path: Path) -> Any:
    from ..errors import InputError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read the evaluation record {path}: {error}") from None
