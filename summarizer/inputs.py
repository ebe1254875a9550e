"""Command-line inputs expanded into articles: files, '-', URLs, folders, URL lists.

Expansion never raises: an input that cannot be used becomes a Source whose loader raises
its InputError, so a batch reports it at the end and the other inputs still run.

A URL typed on the command line is fetched wherever it points (it may be on this machine);
the links a URL-list file holds were written by someone else, and are fetched only from
public addresses unless `allow_private_addresses` is set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .articles import HTML_SUFFIXES, TEXT_SUFFIXES, Article, read_file, read_stdin
from .errors import DeadlineExceeded, InputError, SummarizerError
from .urls import has_scheme, shown

if TYPE_CHECKING:
    from .config import Settings
    from .fetch import FetchPolicy
    from .pipeline import Outcome, Summarizer

SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
URL_LIST_SUFFIXES = {".urls", ".txt", ".list", ""}
_URL_LIST_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One article to load: a name for messages and output files, and how to load it."""

    name: str
    load: Callable[[], Article]
    stem: str  # a stable file name stem for `-o DIR`


def expand(inputs: Iterable[str], settings: Settings | None = None) -> list[Source]:
    """Every article the inputs name, in order; folders and URL lists are opened up.

    `settings` gives the fetch limits and whether listed links may be private (defaults:
    the Settings defaults).
    """
    from .config import Settings
    from .fetch import FetchPolicy

    settings = settings or Settings()
    listed = FetchPolicy(
        timeout=_fetch_seconds(settings), allow_private=settings.allow_private_addresses
    )
    sources: list[Source] = []
    for given in inputs:
        sources.extend(_expand_one(given, listed))
    return _unique_stems(sources)


def _fetch_seconds(settings: Settings) -> float:
    """A fetch ends by its own deadline, and within the article's."""
    if settings.article_timeout is None:
        return settings.fetch_timeout
    return min(settings.fetch_timeout, settings.article_timeout)


@dataclass(frozen=True)
class Loaded:
    """What loading one source gave, and how many seconds of the article's budget it took."""

    outcome: Article | SummarizerError
    seconds: float


def load_all(sources: Sequence[Source], concurrency: int = 4) -> list[Loaded]:
    """Load every source (URLs are fetched `concurrency` at a time); errors are returned."""

    def load(source: Source) -> Loaded:
        started = time.monotonic()
        try:
            outcome: Article | SummarizerError = source.load()
        except SummarizerError as error:
            outcome = error
        return Loaded(outcome, time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(load, sources))


def _expand_one(given: str, listed: FetchPolicy) -> list[Source]:
    if given == "-":
        return [Source("stdin", read_stdin, "stdin")]
    if has_scheme(given):
        return [_url_source(given, dataclasses.replace(listed, allow_private=True))]
    path = Path(given)
    try:
        if path.is_dir():
            return _folder(path, listed)
        return _file(path, given, listed)
    except OSError as error:  # a name too long, a folder that cannot be listed
        return [_failing(given, f"{given}: cannot read: {error.strerror or error}")]


def _file(path: Path, name: str, listed: FetchPolicy) -> list[Source]:
    """An article file, or the URLs it lists."""
    urls = _url_list(path)
    if urls is not None:
        if not urls:
            return [_failing(name, f"{path}: lists no URLs")]
        return [_url_source(url, listed) for url in urls]
    return [Source(name, lambda: read_file(path), _slug(path.stem))]


def _folder(folder: Path, listed: FetchPolicy) -> list[Source]:
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    if not files:
        suffixes = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return [_failing(str(folder), f"{folder}: no article files ({suffixes}) in the folder")]
    return [source for path in files for source in _file(path, str(path), listed)]


def _url_list(path: Path) -> list[str] | None:
    """The URLs a file lists, if it is a URL list: every line a URL (blank and # lines aside)."""
    if path.suffix.lower() not in URL_LIST_SUFFIXES or not path.is_file():
        return None
    try:
        if path.stat().st_size > _URL_LIST_MAX_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # read_file reports it properly
    lines = [line.strip() for line in text.splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    if path.suffix.lower() == ".urls":
        return entries
    if entries and all(has_scheme(line) and " " not in line for line in entries):
        return entries
    return None


def _url_source(url: str, policy: FetchPolicy) -> Source:
    def load() -> Article:
        from .fetch import fetch_article

        return fetch_article(url, policy=policy)

    return Source(shown(url), load, _url_stem(url))


def _failing(name: str, message: str) -> Source:
    def load() -> Article:
        raise InputError(message)

    return Source(name, load, _slug(name))


def _url_stem(url: str) -> str:
    """`site-last-path-part-1a2b3c4d`: readable, and unique per URL."""
    body = url.split("://", 1)[-1].split("?")[0].split("#")[0].rstrip("/")
    host, _, path = body.partition("/")
    last = Path(path).stem if path else ""
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"{_slug(last or host)[:60]}-{digest}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "article"


def _unique_stems(sources: list[Source]) -> list[Source]:
    """Suffix repeated stems (`a.txt` and `a.md`) with a hash of the input's name."""
    seen: dict[str, int] = {}
    for source in sources:
        seen[source.stem] = seen.get(source.stem, 0) + 1
    unique: list[Source] = []
    for source in sources:
        if seen[source.stem] > 1:
            digest = hashlib.sha256(source.name.encode()).hexdigest()[:8]
            source = Source(source.name, source.load, f"{source.stem}-{digest}")
        unique.append(source)
    return unique


def summarize_sources(
    summarizer: Summarizer,
    sources: Sequence[Source],
    *,
    prepare: Callable[[Article], None] | None = None,
    on_done: Callable[[Source, Outcome], None] | None = None,
) -> list[Outcome]:
    """Load every source, then summarise the articles that loaded, concurrently.

    Returns one outcome per source, in order: a SummaryResult, or the SummarizerError that
    source ended with (unreadable, not an article, or the summary failed). `prepare` may
    adjust each article (a title or date given on the command line) before it is summarised;
    `on_done` hears of each source as it finishes, failures to load first. Each summary
    is recorded in the summarizer's archive with the source's name.
    """
    settings = summarizer.settings
    loaded = load_all(sources, settings.concurrency)
    outcomes: list[Outcome | None] = [None] * len(sources)
    pending: list[int] = []
    articles: list[Article] = []
    for index, item in enumerate(loaded):
        if isinstance(item.outcome, Article):
            if prepare is not None:
                prepare(item.outcome)
            pending.append(index)
            articles.append(item.outcome)
            continue
        outcomes[index] = item.outcome
        if on_done is not None:
            on_done(sources[index], item.outcome)

    def done(position: int, outcome: Outcome) -> None:
        source = sources[pending[position]]
        if not isinstance(outcome, SummarizerError):
            summarizer.recorder.record(outcome, input_name=source.name)
        if on_done is not None:
            on_done(source, outcome)

    def budget(position: int) -> tuple[float | None, SummarizerError]:
        total = settings.article_timeout
        expired = DeadlineExceeded(
            f"not done within article_timeout ({total or 0:g}s for fetch and summary)"
        )
        if total is None:
            return None, expired
        return total - loaded[pending[position]].seconds, expired

    if pending:
        results = summarizer.summarize_many(articles, on_done=done, budget=budget, archive=False)
        for index, outcome in zip(pending, results, strict=True):
            outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]
