"""The `summarizer` command: thin commands that call the library and render what it returns."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import SummarizerError

_FORMATS = ["terminal", "markdown", "json", "jsonl", "html"]


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
    # One-time setup a user waits through (assembling the embedded model, checking that
    # llama.cpp runs on this CPU) is shown even without --verbose.
    logging.getLogger("summarizer.progress").setLevel(logging.INFO)
    if not verbose:
        logging.getLogger("instructor").setLevel(logging.CRITICAL)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    help="Output format: terminal (the default when stdout is a terminal), markdown (the "
    "default otherwise), json (one object; an array for several articles), jsonl (one line "
    "per article, for pipes) or html (a self-contained page).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to this file (one article) or into this folder, one file per article "
    "named after its input.",
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
    "--provider",
    # The config's Provider values, spelt out: importing the config here would slow --help.
    type=click.Choice(
        ["auto", "openai", "ollama", "vllm", "llama.cpp", "llama-cpp-python", "openai-compatible"]
    ),
    help="The kind of server at --base-url (default auto: from the model name and the URL; "
    "env SUMMARIZER_PROVIDER).",
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
@click.option(
    "--concurrency",
    type=int,
    help="Articles fetched and summarised at once (default 4; env SUMMARIZER_CONCURRENCY).",
)
@click.option(
    "--drop-ungrounded",
    is_flag=True,
    default=None,
    help="Drop events, positions and demands none of whose quotes is found in the article "
    "(default: keep them, flagged; env SUMMARIZER_DROP_UNGROUNDED).",
)
@click.option(
    "--demands-follow-up",
    is_flag=True,
    default=None,
    help="When an answer lists no demand but the article uses a word of demand (called on, "
    "urged, demanded, ...), ask the model once more for demands only: more demands found, "
    "and more wrong ones (env SUMMARIZER_DEMANDS_FOLLOW_UP).",
)
@click.option(
    "--no-archive",
    "archive",
    flag_value="off",
    default=None,
    help="Do not record these summaries in the archive (docs/archive.md; env "
    "SUMMARIZER_ARCHIVE=off turns it off everywhere).",
)
@click.option("--title", help="Article title, when it cannot be read from the input.")
@click.option(
    "--published",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Publication date (YYYY-MM-DD): resolves `on Tuesday` to a date.",
)
def summarize(
    inputs: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    title: str | None,
    published: Any,
    **options: Any,
) -> None:
    """Summarise articles from files, folders, URLs or standard input.

    Each INPUT is a .txt, .md or .html file; - for standard input; an http(s) URL (the
    page's text, title, date and site are extracted); a folder (every .txt, .md and .html
    file in it); or a file listing URLs, one per line (a .urls file, or a text file that
    holds nothing but URLs).

    Inputs run concurrently with a progress bar on stderr. An input that fails is reported
    at the end without stopping the others, and the exit code is 1. Tokens, and the
    estimated cost where the model's price is known, are shown per article and for the batch.
    """
    from .inputs import expand, summarize_sources
    from .pipeline import Summarizer

    fmt = fmt or ("terminal" if sys.stdout.isatty() else "markdown")
    summarizer = Summarizer(origin="cli", **options)
    sources = expand(inputs, summarizer.settings)

    def prepare(article: Any) -> None:
        if title:
            article.title = title
        if published:
            article.published = published.date()

    with _progress(len(sources)) as report:
        outcomes = summarize_sources(summarizer, sources, prepare=prepare, on_done=report)
    results = [
        (source, outcome)
        for source, outcome in zip(sources, outcomes, strict=True)
        if not isinstance(outcome, SummarizerError)
    ]
    one_file = output is not None and len(sources) == 1 and not output.is_dir()
    _emit([result for _, result in results], [s.stem for s, _ in results], fmt, output, one_file)
    _usage_line([result for _, result in results])
    failed = [
        (source.name, outcome)
        for source, outcome in zip(sources, outcomes, strict=True)
        if isinstance(outcome, SummarizerError)
    ]
    if failed:
        click.echo(f"{len(failed)} of {len(sources)} inputs failed:", err=True)
        for name, error in failed:
            click.echo(f"  error: {_failure(name, error)}", err=True)
        raise click.exceptions.Exit(1)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[Any, Any], None]]:
    """A progress bar on stderr, and the callback that advances it and logs each article."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    from .console import stderr

    progress = Progress(
        SpinnerColumn(),
        TextColumn("summarising"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
    )
    task = progress.add_task("summarising", total=total)

    def report(source: Any, outcome: Any) -> None:
        # Text, not markup: names and messages may hold square brackets.
        if isinstance(outcome, SummarizerError):
            line = Text.assemble(("✗ ", "red"), _failure(source.name, outcome))
        else:
            line = Text.assemble(("✓ ", "green"), f"{source.name}: {_article_usage(outcome)}")
        progress.console.print(line, highlight=False, soft_wrap=True)
        progress.advance(task)

    with progress:
        yield report


def _failure(name: str, error: SummarizerError) -> str:
    """`name: message`, without repeating the name when the message starts with it."""
    message = str(error)
    return message if message.startswith(f"{name}: ") else f"{name}: {message}"


def _article_usage(result: Any) -> str:
    from .pricing import describe_cost, describe_tokens, estimate_cost

    p = result.provenance
    source = "from cache" if p.cache_hit else f"{p.seconds:.1f}s"
    cost = describe_cost(estimate_cost(p.model, p.usage), p.model)
    return f"{p.model} ({p.backend}), {describe_tokens(p.usage)} tokens, {cost}, {source}"


def _usage_line(results: list[Any]) -> None:
    """The batch's tokens and estimated cost, on stderr."""
    from .pricing import describe_cost, describe_tokens, estimate_cost, total_usage

    if not results:
        return
    usage = total_usage(r.provenance.usage for r in results)
    models = sorted({r.provenance.model for r in results})
    costs = [estimate_cost(r.provenance.model, r.provenance.usage) for r in results]
    cost = None if None in costs else sum(c for c in costs if c is not None)
    count = f"{len(results)} article{'s' if len(results) != 1 else ''}"
    click.echo(
        f"usage: {count}, {describe_tokens(usage)} = {usage.total_tokens:,} tokens; "
        f"{describe_cost(cost, ', '.join(models))}",
        err=True,
    )


def _emit(
    results: list[Any], stems: list[str], fmt: str, output: Path | None, one_file: bool
) -> None:
    """Print the results to stdout, or write them to one file or one file per article."""
    from .render import SUFFIXES, render
    from .render.terminal import render_terminal

    def text_of(result: Any) -> str:
        if fmt == "terminal":
            return render_terminal(result)
        return render(result, fmt)  # type: ignore[arg-type]

    if output is not None and one_file:
        for result in results:
            _write(output, text_of(result))
    elif output is not None:
        suffix = SUFFIXES.get(fmt, ".txt")
        for stem, result in zip(stems, results, strict=True):
            _write(output / f"{stem}{suffix}", text_of(result))
    elif fmt == "terminal":
        from rich.console import Console

        from .render.terminal import terminal_view

        console = Console() if sys.stdout.isatty() else Console(width=100)
        for result in results:
            console.print(terminal_view(result))
    elif fmt == "json" and len(results) > 1:
        click.echo(json.dumps([r.model_dump(mode="json") for r in results], indent=2))
    else:
        for result in results:
            click.echo(text_of(result), nl=False)


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


@cli.command()
@click.option(
    "--archive",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The archive to open (default: the one summaries are recorded in).",
)
@click.option("--port", type=int, default=8001, show_default=True, help="Port on 127.0.0.1.")
@click.option("--no-open", is_flag=True, help="Do not open a web browser.")
def browse(archive: Path | None, port: int, no_open: bool) -> None:
    """Open the archive in Datasette: actors and their timelines, stories, events, costs.

    Serves on 127.0.0.1 only, until Ctrl-C. Needs the optional extra:
    pip install 'summarizer[browse]'.
    """
    try:
        from .browse import serve
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("datasette", "uvicorn"):
            raise
        raise SummarizerError(
            "summarizer browse needs Datasette: pip install 'summarizer[browse]'"
        ) from None
    serve(archive, port=port, open_browser=not no_open)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="summarizer")


from .archive.cli import archive as _archive  # noqa: E402
from .archive.stories_cli import stories_command as _stories  # noqa: E402
from .archive.stories_cli import story_command as _story  # noqa: E402
from .digest.cli import digest as _digest  # noqa: E402

_archive.add_command(_stories)
_archive.add_command(_story)
cli.add_command(_archive)
cli.add_command(_digest)

from .eval.cli import eval_command as _eval  # noqa: E402
from .eval.cli import eval_compare_command as _eval_compare  # noqa: E402

cli.add_command(_eval, name="eval")
cli.add_command(_eval_compare, name="eval-compare")
