"""One digest run, exactly once: collect, summarise, build and store, then send.

The order is what makes it safe to run at any frequency and to crash anywhere:
- a lock file stops two runs overlapping (the second one does nothing);
- every summary is stored as soon as it is made, so a crash loses no model work;
- a digest is stored, whole message included, before the first attempt to send it, and
  its articles are attached to it in the same transaction: they never go in another one;
- a pending digest is sent by whichever run comes next, and marked sent once the server
  has accepted it; a sent digest is never sent again.
The remaining window is a crash after the server accepted the message and before it was
marked sent: the next run sends it again, with the same Message-ID, so mail clients and
servers that deduplicate by Message-ID show it once.

Time is bounded too: each fetch by `fetch_seconds`, each article by `article_seconds`
(fetch and summary), and collecting and summarising together by `run_seconds`; what the
run had no time for is reported as skipped and waits, untouched, for the next run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..archive.stories import place
from ..articles import content_hash
from ..deadline import Deadline
from ..errors import ConfigError, DeadlineExceeded, SummarizerError
from ..fetch import FetchPolicy
from .build import Failure, Story, continued_digest, story_from_result
from .config import DigestConfig
from .email import build_email
from .send import SendError, send_message
from .sources import canonical_url, list_items, load_text
from .state import State, StateError, StoredArticle

if TYPE_CHECKING:
    from ..pipeline import Summarizer

log = logging.getLogger("summarizer.digest")


@dataclass(frozen=True)
class Skipped:
    """Something a run left out, and why."""

    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.what}: {self.why}"


@dataclass
class RunReport:
    """What one run did; `skipped` holds what it left out and why."""

    locked: bool = False
    collected: int = 0
    summarised: int = 0
    failed: int = 0
    digest_id: int | None = None
    sent: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def skip(self, what: str, why: str) -> None:
        """Note (and log) something left out of this run."""
        why = why.removeprefix(f"{what}: ")  # a fetch error names its URL already
        log.warning("skipped %s: %s", what, why)
        self.skipped.append(Skipped(what, why))


class DigestLocked(SummarizerError):
    """Another run holds the lock."""


class RunOutOfTime(DeadlineExceeded):
    """The run's time budget ran out before this article's summary was done."""


@dataclass
class _Budget:
    """The run's deadline, and the seconds each article collected in this run has spent."""

    run: Deadline
    run_seconds: float
    spent: dict[int, float] = field(default_factory=dict)

    @property
    def out_of_time(self) -> str:
        return f"the run's time budget (run_seconds = {self.run_seconds:g}) ran out"


@contextmanager
def run_lock(state_path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the state file; DigestLocked if another run holds it."""
    path = state_path.with_name(state_path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise StateError(f"{path}: cannot create the run's lock file: {error.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DigestLocked(f"another digest run holds {path}") from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def run_digest(
    config: DigestConfig,
    *,
    dry_run: bool = False,
    output: Path | None = None,
    summarizer: Summarizer | None = None,
) -> RunReport:
    """Run the digest job once.

    Args:
        config: The digest configuration (see `load_config`).
        dry_run: Work on a copy of the state and write the messages to `output` instead of
            sending them; the real state is left as it was.
        output: Folder for the .eml and .html files of a dry run.
        summarizer: The Summarizer to use (default: one built from `config.model`).

    Returns:
        A RunReport; `locked` is True, and nothing was done, when another run was active.

    """
    if not dry_run and config.smtp is None:
        raise ConfigError("the config has no [smtp] section; add one, or use --dry-run")
    wait = config.limits.state_wait_seconds
    if dry_run:
        real = State.open(config.state, wait)
        try:
            state = real.snapshot()
        finally:
            real.close()
        try:
            return _run(state, config, summarizer, output=output or Path("digest-out"))
        finally:
            state.close()
    try:
        with run_lock(config.state):
            state = State.open(config.state, wait)
            try:
                return _run(state, config, summarizer, output=None)
            finally:
                state.close()
    except DigestLocked as locked:
        log.warning("%s; nothing done", locked)
        return RunReport(locked=True)


def _run(
    state: State, config: DigestConfig, summarizer: Summarizer | None, *, output: Path | None
) -> RunReport:
    report = RunReport()
    budget = _Budget(Deadline.after(config.limits.run_seconds), config.limits.run_seconds)
    report.collected = collect(state, config, report=report, budget=budget)
    report.summarised, report.failed = summarise(
        state, config, summarizer, report=report, budget=budget
    )
    report.digest_id = store_digest(state, config)
    if output is not None:
        report.written = write_pending(state, output)
    else:
        report.sent, report.pending = send_pending(state, config)
    return report


def collect(
    state: State,
    config: DigestConfig,
    *,
    report: RunReport | None = None,
    budget: _Budget | None = None,
) -> int:
    """Record the articles the sources list that the state does not know yet."""
    report = report or RunReport()
    limits = config.limits
    budget = budget or _Budget(Deadline.after(limits.run_seconds), limits.run_seconds)
    today = dt.datetime.now(dt.UTC).date()
    feeds = FetchPolicy(timeout=limits.fetch_seconds)
    links = FetchPolicy(
        timeout=min(limits.fetch_seconds, limits.article_seconds),
        allow_private=config.allow_private_addresses,
    )
    added = 0
    for source in config.sources:
        what = f"source {source.name or getattr(source, 'url', None) or source.type}"
        if budget.run.passed():
            report.skip(what, budget.out_of_time)
            continue
        try:
            items = list_items(source, _within(feeds, budget.run))
        except SummarizerError as error:
            report.skip(what, budget.out_of_time if budget.run.passed() else str(error))
            continue
        for item in items:
            if added >= limits.max_articles:
                why = f"this run took max_articles = {limits.max_articles}; the next run takes them"
                report.skip("further new articles", why)
                return added
            if _too_old(item.dated, today, limits.max_age_days):
                continue
            listed = canonical_url(item.url)
            if state.knows_url(listed):
                continue
            if budget.run.passed():
                report.skip(item.url, budget.out_of_time)
                continue
            started = time.monotonic()
            try:
                load_text(item, _within(links, budget.run))
            except SummarizerError as error:
                report.skip(item.url, budget.out_of_time if budget.run.passed() else str(error))
                continue
            if not item.text:
                continue
            article_id = state.add_article(
                urls=[canonical_url(item.url), listed],
                content_hash=content_hash(item.text),
                title=item.title,
                source=item.source,
                published=item.published,
                text=item.text,
            )
            if article_id is not None:
                budget.spent[article_id] = time.monotonic() - started
                added += 1
    return added


def _too_old(dated: dt.date | None, today: dt.date, max_age_days: int) -> bool:
    """Whether an item is older than the age limit (0: no limit)."""
    return bool(max_age_days and dated and (today - dated).days > max_age_days)


def _within(policy: FetchPolicy, run: Deadline) -> FetchPolicy:
    """The policy, its timeout cut to what is left of the run."""
    left = run.left()
    if left is None or left >= policy.timeout:
        return policy
    return dataclasses.replace(policy, timeout=max(left, 0.001))


def summarise(
    state: State,
    config: DigestConfig,
    summarizer: Summarizer | None = None,
    *,
    report: RunReport | None = None,
    budget: _Budget | None = None,
) -> tuple[int, int]:
    """Summarise new and retryable articles concurrently; each outcome is stored at once.

    An article over `article_seconds` counts as a failed attempt; one the run had no time
    left for is skipped, and waits for the next run without an attempt counted.
    """
    from ..articles import Article
    from ..pipeline import Summarizer

    report = report or RunReport()
    limits = config.limits
    budget = budget or _Budget(Deadline.after(limits.run_seconds), limits.run_seconds)
    todo = state.to_summarise(limits.max_attempts)
    if not todo:
        return 0, 0
    summarizer = summarizer or Summarizer(**config.model)
    articles = [
        Article(
            text=row.text,
            title=row.title,
            url=row.url,
            source=row.source,
            published=row.published,
        )
        for row in todo
    ]
    counts = {"ok": 0, "failed": 0}

    def seconds_for(index: int) -> tuple[float | None, SummarizerError]:
        article = limits.article_seconds - budget.spent.get(todo[index].id, 0.0)
        run = budget.run.left()
        if run is not None and run < article:
            return run, RunOutOfTime(budget.out_of_time)
        return article, DeadlineExceeded(
            f"not done within article_seconds ({limits.article_seconds:g}s for fetch and summary)"
        )

    def done(index: int, outcome: object) -> None:
        row = todo[index]
        if isinstance(outcome, RunOutOfTime):
            report.skip(row.title or row.url, f"not summarised: {outcome}")
        elif isinstance(outcome, SummarizerError):
            counts["failed"] += 1
            log.warning("could not summarise %s: %s", row.title or row.url, outcome)
            state.record_failure(row.id, _one_line(str(outcome)), limits.max_attempts)
        else:
            counts["ok"] += 1
            state.record_summary(row.id, outcome, summarizer.settings.strategy)  # type: ignore[arg-type]

    # The digest records each summary itself, in its own state (its archive), with its row.
    many = summarizer.asummarize_many(articles, on_done=done, budget=seconds_for, archive=False)
    asyncio.run(many)
    return counts["ok"], counts["failed"]


def store_digest(state: State, config: DigestConfig) -> int | None:
    """Build the digest of every unreported summary and store it as pending; None if none.

    Its articles are placed into the archive's stories first; a story an earlier digest
    showed shows only what is new, and what each story showed is stored with the digest.
    """
    rows = state.undigested()
    stories = [_story(row) for row in rows if row.result is not None]
    if not stories:
        return None
    failures = [_failure(row, config.limits.max_attempts) for row in rows if row.result is None]
    place(state.archive, [row.id for row in rows if row.result is not None])
    digest = continued_digest(state.archive, stories, failures=failures, title=config.email.title)
    rendered = build_email(
        digest,
        sender=config.email.sender,
        recipients=config.email.to,
        subject_template=config.email.subject,
    )
    return state.add_digest(
        subject=rendered.subject,
        message_id=rendered.message_id,
        sender=rendered.sender,
        recipients=rendered.recipients,
        message=rendered.as_bytes(),
        html=rendered.html,
        article_ids=[row.id for row in rows],
        shown={g.story_id: g.shown.model_dump_json() for g in digest.groups if g.story_id},
    )


def send_pending(state: State, config: DigestConfig) -> tuple[list[str], list[str]]:
    """Send every pending digest, oldest first; returns (sent, still pending) Message-IDs."""
    assert config.smtp is not None
    sent: list[str] = []
    pending: list[str] = []
    for digest in state.pending_digests():
        state.checkpoint()
        if not state.claim_send(digest.id):
            continue
        try:
            send_message(
                digest.message,
                sender=digest.sender,
                recipients=digest.recipients,
                smtp=config.smtp,
            )
        except SendError as error:
            state.mark_send_failed(digest.id, str(error), permanent=error.permanent)
            log.warning(
                "digest %d not sent (%s): %s",
                digest.id,
                "failed for good" if error.permanent else "will retry next run",
                error,
            )
            if not error.permanent:
                pending.append(digest.message_id)
            continue
        state.mark_sent(digest.id)
        sent.append(digest.message_id)
    return sent, pending


def write_pending(state: State, folder: Path) -> list[Path]:
    """Write each pending digest as .eml and .html into `folder` (a dry run's output)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for digest in state.pending_digests():
        stem = f"digest-{digest.id}"
        for suffix, data in ((".eml", digest.message), (".html", digest.html.encode())):
            path = folder / f"{stem}{suffix}"
            path.write_bytes(data)
            written.append(path)
    return written


def _story(row: StoredArticle) -> Story:
    assert row.result is not None
    story = story_from_result(row.result, article_id=row.id)
    story.url = row.url
    story.source = row.source
    return story


def _failure(row: StoredArticle, max_attempts: int) -> Failure:
    return Failure(
        title=row.title or row.url,
        error=row.last_error or "unknown error",
        url=row.url,
        source=row.source,
        attempts=row.attempts,
        final=row.status == "abandoned" or row.attempts >= max_attempts,
    )


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
