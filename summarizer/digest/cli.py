"""The `summarizer digest` command. Only click and the standard library at import time."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    envvar="SUMMARIZER_DIGEST_CONFIG",
    help="The digest config file (see examples/digest.toml; env SUMMARIZER_DIGEST_CONFIG).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Build the email and write it as .eml and .html instead of sending; change nothing.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("digest-out"),
    show_default=True,
    help="Folder for the files a dry run writes.",
)
def digest(config_path: Path, dry_run: bool, output: Path) -> None:
    """Email one digest of the new articles in your sources, exactly once.

    Collects what the feeds, folders and URL lists hold that no earlier run has seen,
    summarises it, groups related stories, and sends one email. Safe to run at any
    frequency (from cron or a systemd timer): overlapping runs are refused, a digest that
    could not be sent is sent by the next run, and a sent digest is never sent again.
    """
    from .config import load_config
    from .run import run_digest

    config = load_config(config_path)
    report = run_digest(config, dry_run=dry_run, output=output)
    if report.locked:
        click.echo("another digest run is in progress; nothing done", err=True)
        return
    click.echo(
        f"{report.collected} new articles, {report.summarised} summarised, {report.failed} failed",
        err=True,
    )
    if report.skipped:
        click.echo(f"{len(report.skipped)} skipped:", err=True)
        for skipped in report.skipped:
            click.echo(f"  {skipped}", err=True)
    for path in report.written:
        click.echo(str(path))
    for message_id in report.sent:
        click.echo(f"sent {message_id}")
    if not report.written and not report.sent and not report.pending:
        click.echo("nothing new to send", err=True)
    if report.pending:
        click.echo(
            f"{len(report.pending)} digest(s) could not be sent; the next run retries", err=True
        )
        raise click.exceptions.Exit(1)
    if report.failed and not report.summarised:
        click.echo("every summary failed; the next run retries them", err=True)
        raise click.exceptions.Exit(1)
