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
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, SummarizerError
from .build import Failure, Story, build_digest, story_from_result
from .config import DigestConfig
from .email import build_email
from .send import SendError, send_message
from .sources import SourceError, canonical_url, content_hash, list_items, load_text
from .state import State, StoredArticle

if TYPE_CHECKING:
    from ..pipeline import Summarizer

log = logging.getLogger("summarizer.digest")


@dataclass
class RunReport:
    """What one run did."""

    locked: bool = False
    collected: int = 0
    summarised: int = 0
    failed: int = 0
    digest_id: int | None = None
    sent: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


class DigestLocked(SummarizerError):
    """Another run holds the lock."""


@contextmanager
def run_lock(state_path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the state file; DigestLocked if another run holds it."""
    path = state_path.with_name(state_path.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
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
    if dry_run:
        real = State.open(config.state)
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
            state = State.open(config.state)
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
    report.collected = collect(state, config)
    report.summarised, report.failed = summarise(state, config, summarizer)
    report.digest_id = store_digest(state, config)
    if output is not None:
        report.written = write_pending(state, output)
    else:
        report.sent, report.pending = send_pending(state, config)
    return report


def collect(state: State, config: DigestConfig) -> int:
    """Record the articles the sources list that the state does not know yet."""
    today = dt.datetime.now(dt.UTC).date()
    max_age = config.limits.max_age_days
    added = 0
    for source in config.sources:
        try:
            items = list_items(source)
        except SummarizerError as error:
            log.warning("skipping a source: %s", error)
            continue
        for item in items:
            if added >= config.limits.max_articles:
                log.warning("limit of %d new articles reached", config.limits.max_articles)
                return added
            if max_age and item.dated and (today - item.dated).days > max_age:
                continue
            listed = canonical_url(item.url)
            if state.knows_url(listed):
                continue
            try:
                load_text(item)
            except SourceError as error:
                log.warning("skipping an article: %s", error)
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
                added += 1
    return added


def summarise(
    state: State, config: DigestConfig, summarizer: Summarizer | None = None
) -> tuple[int, int]:
    """Summarise new and retryable articles concurrently; each outcome is stored at once."""
    from ..articles import Article
    from ..pipeline import Summarizer

    todo = state.to_summarise(config.limits.max_attempts)
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

    def done(index: int, outcome: object) -> None:
        row = todo[index]
        if isinstance(outcome, SummarizerError):
            counts["failed"] += 1
            log.warning("could not summarise %s: %s", row.title or row.url, outcome)
            state.record_failure(row.id, _one_line(str(outcome)), config.limits.max_attempts)
        else:
            counts["ok"] += 1
            state.record_summary(row.id, outcome)  # type: ignore[arg-type]

    asyncio.run(summarizer.asummarize_many(articles, on_done=done))
    return counts["ok"], counts["failed"]


def store_digest(state: State, config: DigestConfig) -> int | None:
    """Build the digest of every unreported summary and store it as pending; None if none."""
    rows = state.undigested()
    stories = [_story(row) for row in rows if row.result is not None]
    if not stories:
        return None
    failures = [_failure(row, config.limits.max_attempts) for row in rows if row.result is None]
    digest = build_digest(stories, failures=failures, title=config.email.title)
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
    )


def send_pending(state: State, config: DigestConfig) -> tuple[list[str], list[str]]:
    """Send every pending digest, oldest first; returns (sent, still pending) Message-IDs."""
    assert config.smtp is not None
    sent: list[str] = []
    pending: list[str] = []
    for digest in state.pending_digests():
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
