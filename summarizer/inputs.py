"""Command-line inputs expanded into articles: files, '-', URLs, folders, URL lists.

Expansion never raises: an input that cannot be used becomes a Source whose loader raises
its InputError, so a batch reports it at the end and the other inputs still run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .articles import HTML_SUFFIXES, TEXT_SUFFIXES, Article, read_file, read_stdin
from .errors import InputError, SummarizerError

if TYPE_CHECKING:
    from .pipeline import Outcome, Summarizer

SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
URL_LIST_SUFFIXES = {".urls", ".txt", ".list", ""}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_URL_LIST_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One article to load: a name for messages and output files, and how to load it."""

    name: str
    load: Callable[[], Article]
    stem: str  # a stable file name stem for `-o DIR`


def expand(inputs: Iterable[str]) -> list[Source]:
    """Every article the inputs name, in order; folders and URL lists are opened up."""
    sources: list[Source] = []
    for given in inputs:
        sources.extend(_expand_one(given))
    return _unique_stems(sources)


def load_all(sources: Sequence[Source], concurrency: int = 4) -> list[Article | SummarizerError]:
    """Load every source (URLs are fetched `concurrency` at a time); errors are returned."""

    def load(source: Source) -> Article | SummarizerError:
        try:
            return source.load()
        except SummarizerError as error:
            return error

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(load, sources))


def is_url(text: str) -> bool:
    """True for anything with a scheme (`https://`, `ftp://`): fetching decides what it accepts."""
    return bool(_SCHEME.match(text))


def _expand_one(given: str) -> list[Source]:
    if given == "-":
        return [Source("stdin", read_stdin, "stdin")]
    if is_url(given):
        return [_url_source(given)]
    path = Path(given)
    if path.is_dir():
        return _folder(path)
    return _file(path, given)


def _file(path: Path, name: str) -> list[Source]:
    """An article file, or the URLs it lists."""
    urls = _url_list(path)
    if urls is not None:
        if not urls:
            return [_failing(name, f"{path}: lists no URLs")]
        return [_url_source(url) for url in urls]
    return [Source(name, lambda: read_file(path), _slug(path.stem))]


def _folder(folder: Path) -> list[Source]:
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    if not files:
        suffixes = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return [_failing(str(folder), f"{folder}: no article files ({suffixes}) in the folder")]
    return [source for path in files for source in _file(path, str(path))]


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
    if entries and all(is_url(line) and " " not in line for line in entries):
        return entries
    return None


def _url_source(url: str) -> Source:
    def load() -> Article:
        from .fetch import fetch_article

        return fetch_article(url)

    return Source(url, load, _url_stem(url))


def _failing(name: str, message: str) -> Source:
    def load() -> Article:
        raise InputError(message)

    return Source(name, load, _slug(name))


def _url_stem(url: str) -> str:
    """`site-last-path-part-1a2b3c4d`: readable, and unique per URL."""
    body = _SCHEME.sub("", url).split("?")[0].split("#")[0].rstrip("/")
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
    `on_done` hears of each source as it finishes, failures to load first.
    """
    loaded = load_all(sources, summarizer.settings.concurrency)
    outcomes: list[Outcome | None] = [None] * len(sources)
    pending: list[int] = []
    for index, item in enumerate(loaded):
        if isinstance(item, Article):
            if prepare is not None:
                prepare(item)
            pending.append(index)
            continue
        outcomes[index] = item
        if on_done is not None:
            on_done(sources[index], item)

    def done(position: int, outcome: Outcome) -> None:
        if on_done is not None:
            on_done(sources[pending[position]], outcome)

    if pending:
        articles = [item for item in loaded if isinstance(item, Article)]
        results = summarizer.summarize_many(articles, on_done=done)
        for index, outcome in zip(pending, results, strict=True):
            outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]
