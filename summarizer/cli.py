"""The `summarizer` command: thin commands that call the library and render what it returns."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import SummarizerError

_FORMATS = ["json", "jsonl", "markdown"]


def _debug() -> bool:
    return os.environ.get("SUMMARIZER_DEBUG", "") not in ("", "0")


class _Group(click.Group):
    """Turns expected failures into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SummarizerError as error:
            if _debug():
                raise
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="summarizer")
@click.option(
    "-v", "--verbose", is_flag=True, help="Log retries, timings and which model answered to stderr."
)
def cli(verbose: bool) -> None:
    """Turn news articles into structured, source-grounded summaries.

    Each summary lists the actors, their positions, their demands and the events the
    article reports, every item backed by quotes from the article. Without configuration
    the embedded local model runs on this machine; set OPENAI_API_KEY, or pass --model
    and --base-url, to use a hosted or self-hosted OpenAI-compatible model.

    Set SUMMARIZER_DEBUG=1 to see full tracebacks.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        logging.getLogger("instructor").setLevel(logging.CRITICAL)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="FILE|-...")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="markdown",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to this file (one input) or into this folder, one file per article.",
)
@click.option(
    "-m",
    "--model",
    help="`local`, `local:/path/model.gguf`, or an endpoint's model name (env SUMMARIZER_MODEL).",
)
@click.option(
    "--base-url",
    help="OpenAI-compatible endpoint URL (env SUMMARIZER_BASE_URL or OPENAI_BASE_URL).",
)
@click.option(
    "--cache",
    type=click.Choice(["off", "auto", "replay", "record"]),
    help="Response cache: auto reads through the user cache (default); replay "
    "only reads; record always calls the model and stores; off neither.",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    help="Folder of cached responses (default: the user cache directory).",
)
@click.option("--max-reasks", type=int, help="Re-asks after an invalid answer (default 2).")
@click.option("--max-output-tokens", type=int, help="Cap on tokens per answer (default 2048).")
@click.option(
    "--context-window",
    type=int,
    help="Tokens the model reads; longer articles are split into parts.",
)
@click.option("--concurrency", type=int, help="Articles summarised at once (default 4).")
@click.option(
    "--drop-ungrounded",
    is_flag=True,
    default=None,
    help="Drop events, positions and demands none of whose quotes is found in the article "
    "(default: keep them, flagged; env SUMMARIZER_DROP_UNGROUNDED).",
)
@click.option("--title", help="Article title, when it cannot be read from the input.")
@click.option(
    "--published",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Publication date (YYYY-MM-DD): resolves `on Tuesday` to a date.",
)
def summarize(
    inputs: tuple[str, ...],
    fmt: str,
    output: Path | None,
    title: str | None,
    published: Any,
    **options: Any,
) -> None:
    """Summarise articles from files (.txt, .md, .html) or standard input (-)."""
    from .articles import read_file, read_stdin
    from .pipeline import Summarizer
    from .render import SUFFIXES, render

    summarizer = Summarizer(**options)
    articles = [read_stdin() if name == "-" else read_file(Path(name)) for name in inputs]
    for article in articles:
        if title:
            article.title = title
        if published:
            article.published = published.date()
    outcomes = summarizer.summarize_many(articles)
    failures = 0
    for name, outcome in zip(inputs, outcomes, strict=True):
        if isinstance(outcome, SummarizerError):
            failures += 1
            click.echo(f"error: {name}: {outcome}", err=True)
            continue
        _announce(outcome)
        text = render(outcome, fmt)  # type: ignore[arg-type]
        if output is None:
            click.echo(text, nl=False)
        elif len(inputs) == 1 and not output.is_dir():
            _write(output, text)
        else:
            stem = Path(name).stem if name != "-" else "stdin"
            _write(output / f"{stem}{SUFFIXES[fmt]}", text)
    if failures:
        raise click.exceptions.Exit(1)


def _announce(result: Any) -> None:
    p = result.provenance
    source = "cache" if p.cache_hit else f"{p.seconds:.1f}s"
    click.echo(
        f"summarised by {p.model} ({p.backend}; {p.usage.prompt_tokens} prompt + "
        f"{p.usage.completion_tokens} output tokens; {source})",
        err=True,
    )


def _write(path: Path, text: str) -> None:
    """Write atomically, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a summary result."""
    from .schema import SummaryResult

    click.echo(json.dumps(SummaryResult.model_json_schema(mode="serialization"), indent=2))


@cli.group()
def cache() -> None:
    """Inspect or empty the response cache."""


@cache.command()
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache folder to inspect.")
def stats(cache_dir: Path | None) -> None:
    """Show how many responses the cache holds and their size."""
    from .cache import ResponseCache
    from .config import load_settings

    settings = load_settings(cache_dir=cache_dir)
    found = ResponseCache("auto", settings.cache_dir).stats()
    click.echo(f"{found.entries} responses, {found.bytes / 1024:.1f} KiB in {found.directory}")


@cache.command()
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache folder to empty.")
def clear(cache_dir: Path | None) -> None:
    """Delete every cached response."""
    from .cache import ResponseCache
    from .config import load_settings

    settings = load_settings(cache_dir=cache_dir)
    removed = ResponseCache("auto", settings.cache_dir).clear()
    click.echo(f"removed {removed} responses from {settings.cache_dir}", err=True)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="summarizer")


from .eval.cli import eval_command as _eval  # noqa: E402

cli.add_command(_eval, name="eval")


from .digest.cli import digest as _digest  # noqa: E402

cli.add_command(_digest)
