"""`summarizer archive stories` and `summarizer archive story ID`: the archive's stories.

Thin commands: they place what was recorded since the last placement (summaries from the
CLI and the API; the digest places its own), query `archive.stories`, and print data to
stdout, one story or article a line, or JSON with `--json`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import InputError
from .cli import ARCHIVE_OPTION, JSON_OPTION

if TYPE_CHECKING:
    from .db import Archive


@click.command("stories")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only stories with an article of this day (YYYY-MM-DD).",
)
@ARCHIVE_OPTION
@JSON_OPTION
def stories_command(day: dt.datetime | None, archive_path: Path | None, as_json: bool) -> None:
    """List the stories, latest first: id, first and last day, articles (copies), title."""
    from .stories import stories

    found = stories(_placed(archive_path), day.date() if day else None)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(row) for row in found], indent=2))
        return
    for row in found:
        days = (
            row.first_day if row.first_day == row.last_day else f"{row.first_day}..{row.last_day}"
        )
        copies = f" ({row.copies} copies)" if row.copies else ""
        click.echo(f"{row.id}\t{days}\t{row.articles} articles{copies}\t{row.title}")


@click.command("story")
@click.argument("story_id", type=int)
@ARCHIVE_OPTION
@JSON_OPTION
def story_command(story_id: int, archive_path: Path | None, as_json: bool) -> None:
    """Show one story: its articles (copies marked), actors, events, digests that showed it."""
    from .stories import story

    archive = _placed(archive_path)
    found = story(archive, story_id)
    if found is None:
        raise InputError(
            f"no story {story_id} in {archive.name}; `summarizer archive stories` lists them"
        )
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(found), indent=2))
        return
    click.echo(f"story {found.id}: {found.title}")
    click.echo(f"days\t{found.first_day} .. {found.last_day}")
    for member in found.members:
        copy = f"\tcopy of article {member.copy_of}" if member.copy_of else ""
        where = member.url or member.source or ""
        click.echo(
            f"article {member.article_id}\t{member.day}\t{member.title or ''}\t{where}{copy}"
        )
    for actor_id, name, articles in found.actors:
        click.echo(f"actor {actor_id}\t{name}\tin {articles} articles")
    for day, what in found.events:
        click.echo(f"event\t{day}\t{what}")
    for digest_id, created in found.digests:
        click.echo(f"digest {digest_id}\t{created}")


def _placed(path: Path | None) -> Archive:
    """The archive, with what was recorded since the last placement placed into stories."""
    from .hook import open_existing
    from .stories import place

    archive = open_existing(path)
    place(archive)
    return archive
