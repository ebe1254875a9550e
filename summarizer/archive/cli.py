"""`summarizer archive`: look back through every recorded summary; edit actors' aliases.

Thin commands over `summarizer.archive.queries` and `.actors`: text to stdout, one item a
line (tab-separated where it helps `cut`), or JSON with `--json`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .db import Archive

ARCHIVE_OPTION = click.option(
    "--archive",
    "archive_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The archive to use (default: the one summaries are recorded in).",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
_LIMIT = click.option("--limit", type=int, default=50, show_default=True, help="At most this many.")


@click.group("archive")
def archive() -> None:
    """Look back through the archive: actors, timelines, text search, summaries, costs.

    Every summary made by `summarizer summarize`, the Python API and the digest is recorded
    (see docs/archive.md; --no-archive or archive = "off" turns it off).
    """


def _open(path: Path | None) -> Archive:
    from .hook import open_existing

    return open_existing(path)


def _print_json(items: BaseModel | Sequence[BaseModel]) -> None:
    data: Any = (
        [item.model_dump(mode="json") for item in items]
        if isinstance(items, Sequence)
        else items.model_dump(mode="json")
    )
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@archive.command("actors")
@click.option("--name", help="Only actors with a name containing this.")
@_LIMIT
@ARCHIVE_OPTION
@JSON_OPTION
def actors_command(name: str | None, limit: int, archive_path: Path | None, as_json: bool) -> None:
    """List the actors most often named: id, summaries naming it, days, name."""
    from .queries import top_actors

    found = top_actors(_open(archive_path), limit=limit, name=name)
    if as_json:
        return _print_json(found)
    for row in found:
        days = (
            row.first_day if row.first_day == row.last_day else f"{row.first_day}..{row.last_day}"
        )
        click.echo(f"{row.id}\t{row.summaries}\t{days}\t{row.name} ({row.type or 'unknown'})")


@archive.command("actor")
@click.argument("actor")
@ARCHIVE_OPTION
@JSON_OPTION
def actor_command(actor: str, archive_path: Path | None, as_json: bool) -> None:
    """Show an actor's timeline: its positions, events and demands by day.

    ACTOR is an id (from `archive actors`) or a name or alias ("Putin").
    """
    from .queries import actor_timeline

    timeline = actor_timeline(_open(archive_path), actor)
    if as_json:
        return _print_json(timeline)
    head = timeline.actor
    click.echo(
        f"actor {head.id}: {head.name} ({head.type or 'unknown'}), in {head.summaries} summaries"
    )
    click.echo(f"names: {', '.join(timeline.aliases)}")
    day = None
    for item in timeline.items:
        if item.day != day:
            day = item.day
            click.echo(day)
        click.echo(f"  {item.kind}\t{item.text}\t(summary {item.summary_id}: {item.title or ''})")


@archive.command("search")
@click.argument("words", nargs=-1, required=True)
@_LIMIT
@ARCHIVE_OPTION
@JSON_OPTION
def search_command(
    words: tuple[str, ...], limit: int, archive_path: Path | None, as_json: bool
) -> None:
    """Find summaries whose text, stances, events, demands or quotes hold all the WORDS."""
    from .queries import search

    hits = search(_open(archive_path), " ".join(words), limit=limit)
    if as_json:
        return _print_json(hits)
    for hit in hits:
        click.echo(f"{hit.summary_id}\t{hit.day}\t{hit.kind}\t{hit.title or ''}\t{hit.snippet}")


@archive.command("summaries")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Only articles of this day.")
@_LIMIT
@ARCHIVE_OPTION
@JSON_OPTION
def summaries_command(
    day: dt.datetime | None, limit: int, archive_path: Path | None, as_json: bool
) -> None:
    """List the latest summaries: id, day, origin, model, title."""
    from .queries import summaries

    found = summaries(_open(archive_path), day=day.date() if day else None, limit=limit)
    if as_json:
        return _print_json(found)
    for row in found:
        click.echo(
            f"{row.id}\t{row.day}\t{row.origin}\t{row.model}\t{row.title or row.source or ''}"
        )


@archive.command("costs")
@click.option(
    "--by",
    type=click.Choice(["article", "day", "digest"]),
    default="day",
    show_default=True,
    help="One line per article, per day a summary was made, or per digest.",
)
@_LIMIT
@ARCHIVE_OPTION
@JSON_OPTION
def costs_command(by: str, limit: int, archive_path: Path | None, as_json: bool) -> None:
    """The cost ledger: tokens, model calls, re-asks, dollars, and what the cache saved."""
    from .queries import costs

    rows = costs(_open(archive_path), by, limit=limit)  # type: ignore[arg-type]
    if as_json:
        return _print_json(rows)
    click.echo(f"{by}\tsummaries\tprompt\toutput\tcalls\treasks\tcache hits\tcost\tsaved\tlabel")
    for row in rows:
        unpriced = f" (+{row.unpriced} unpriced)" if row.unpriced else ""
        click.echo(
            f"{row.key}\t{row.summaries}\t{row.prompt_tokens}\t{row.completion_tokens}\t"
            f"{row.calls}\t{row.reasks}\t{row.cache_hits}\t${row.cost_usd:.4f}{unpriced}\t"
            f"${row.saved_usd:.4f}\t{row.label or ''}"
        )


@archive.command("merge")
@click.argument("actor")
@click.argument("other")
@ARCHIVE_OPTION
def merge_command(actor: str, other: str, archive_path: Path | None) -> None:
    """Make OTHER the same actor as ACTOR, in past and future summaries.

    Each is an id or a name. OTHER's names become ACTOR's (as your edit, which automatic
    matching never undoes); its id stays, pointing to ACTOR.
    """
    from .actors import merge

    kept = merge(_open(archive_path), actor, other)
    click.echo(f"merged {other!r} into actor {kept}", err=True)


@archive.command("split")
@click.argument("actor")
@click.argument("name")
@ARCHIVE_OPTION
def split_command(actor: str, name: str, archive_path: Path | None) -> None:
    """Make NAME an actor of its own, apart from ACTOR, in past and future summaries.

    ACTOR is an id or a name; NAME one of its names (see `archive actor ACTOR`). Automatic
    matching never joins NAME to ACTOR again.
    """
    from .actors import split

    new_id = split(_open(archive_path), actor, name)
    click.echo(f"{name!r} is now actor {new_id}", err=True)


# Stories (summarizer/archive/stories_cli.py) add `archive stories` and `archive story ID`.
