"""The digest's state: its queries on the archive (summarizer/archive/db.py owns SQLite).

Articles are known by every URL they were listed under and by a hash of their text, so a
re-published or syndicated story is summarised once. A digest is stored, with its whole
message, before it is sent. Summaries are recorded in the archive like any other, with
their actors and cost; an article keeps the id of its current summary.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..archive.db import BUSY_TIMEOUT_SECONDS, Archive, ArchiveError, Row
from ..archive.record import load_result, open_archive, record
from ..archive.stories import record_shown
from ..schema import SummaryResult

# The digest's failures to read or write its state are the archive's.
StateError = ArchiveError


@dataclass
class StoredArticle:
    """An article row."""

    id: int
    url: str
    title: str | None
    source: str | None
    published: dt.date | None
    text: str
    status: str
    attempts: int
    last_error: str | None
    result: SummaryResult | None


@dataclass
class StoredDigest:
    """A digest row: the built message and where it stands."""

    id: int
    status: str
    subject: str
    message_id: str
    sender: str
    recipients: list[str]
    message: bytes
    html: str
    send_attempts: int
    last_error: str | None
    sent_at: str | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class State:
    """The digest's view of an archive, migrated to the current schema."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    @classmethod
    def open(cls, path: Path, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> State:
        """Open (creating it if needed) and migrate the archive at `path`.

        Another process writing to it is waited for up to `busy_timeout` seconds.
        """
        return cls(open_archive(path, busy_timeout))

    def snapshot(self) -> State:
        """An in-memory copy: a dry run works on it and leaves the real state untouched."""
        return State(self.archive.snapshot())

    def close(self) -> None:
        """Close the connection."""
        self.archive.close()

    @property
    def version(self) -> int:
        """The schema version (number of migrations applied)."""
        return self.archive.version

    # --- articles ---------------------------------------------------------------------

    def knows_url(self, url: str) -> bool:
        """Whether an article was already listed under this URL by a digest source."""
        found = self.archive.row(
            "SELECT 1 FROM article_urls u JOIN articles a ON a.id = u.article_id "
            "WHERE u.url = ? AND a.origin = 'digest'",
            (url,),
        )
        return found is not None

    def add_article(
        self,
        *,
        urls: list[str],
        content_hash: str,
        title: str | None,
        source: str | None,
        published: dt.date | None,
        text: str,
    ) -> int | None:
        """Record a new article; None (and its URLs noted) when its text is already known.

        An article the archive has from the CLI or the API joins the digest, with its
        summary if it has one, and is new to it.
        """
        with self.archive.transaction():
            row = self.archive.row(
                "SELECT id, origin FROM articles WHERE content_hash = ?", (content_hash,)
            )
            if row is not None:
                self._note_urls(row["id"], urls)
                if row["origin"] == "digest":
                    return None
                self.archive.execute(
                    "UPDATE articles SET origin = 'digest', url = coalesce(url, ?), "
                    "title = coalesce(title, ?), source = coalesce(source, ?), "
                    "published = coalesce(published, ?) WHERE id = ?",
                    (urls[0], title, source, _day(published), row["id"]),
                )
                return int(row["id"])
            article_id = self.archive.execute(
                "INSERT INTO articles (url, content_hash, title, source, published, text, "
                "first_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (urls[0], content_hash, title, source, _day(published), text, _now()),
            )
            self._note_urls(article_id, urls)
            return article_id

    def _note_urls(self, article_id: int, urls: list[str]) -> None:
        self.archive.executemany(
            "INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
            [(url, article_id) for url in dict.fromkeys(urls)],
        )

    def to_summarise(self, max_attempts: int) -> list[StoredArticle]:
        """Articles not in a digest yet that still need a summary (new, or failed and retryable)."""
        rows = self.archive.rows(
            "SELECT * FROM articles WHERE digest_id IS NULL AND origin = 'digest' AND "
            "(status = 'new' OR (status = 'failed' AND attempts < ?)) ORDER BY id",
            (max_attempts,),
        )
        return [self._article(row) for row in rows]

    def record_summary(
        self, article_id: int, result: SummaryResult, strategy: str | None = None
    ) -> int:
        """Store an article's summary in the archive; returns the summary's id."""
        with self.archive.transaction():
            summary_id = record(
                self.archive, result, origin="digest", strategy=strategy, article_id=article_id
            )
            self.archive.execute(
                "UPDATE articles SET status = 'summarised', attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?",
                (article_id,),
            )
        return summary_id

    def record_failure(self, article_id: int, error: str, max_attempts: int) -> None:
        """Count a failed attempt; after `max_attempts` the article is abandoned."""
        with self.archive.transaction():
            self.archive.execute(
                "UPDATE articles SET attempts = attempts + 1, last_error = ?, "
                "status = CASE WHEN attempts + 1 >= ? THEN 'abandoned' ELSE 'failed' END "
                "WHERE id = ?",
                (error, max_attempts, article_id),
            )

    def undigested(self) -> list[StoredArticle]:
        """Articles to report in the next digest: summaries, failures, abandoned ones."""
        rows = self.archive.rows(
            "SELECT * FROM articles WHERE digest_id IS NULL AND origin = 'digest' "
            "AND status != 'new' ORDER BY id"
        )
        return [self._article(row) for row in rows]

    def article_count(self) -> int:
        """How many distinct articles the digest knows."""
        return int(self.archive.value("SELECT count(*) FROM articles WHERE origin = 'digest'"))

    def _article(self, row: Row) -> StoredArticle:
        summary_id = row["summary_id"]
        return StoredArticle(
            id=row["id"],
            url=row["url"],
            title=row["title"],
            source=row["source"],
            published=dt.date.fromisoformat(row["published"]) if row["published"] else None,
            text=row["text"],
            status=row["status"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            result=load_result(self.archive, summary_id) if summary_id is not None else None,
        )

    # --- digests -----------------------------------------------------------------------

    def add_digest(
        self,
        *,
        subject: str,
        message_id: str,
        sender: str,
        recipients: list[str],
        message: bytes,
        html: str,
        article_ids: list[int],
        shown: Mapping[int, str] | None = None,
    ) -> int:
        """Store a built digest as pending and attach its articles, in one transaction.

        Summarised and abandoned articles belong to it from now on; failed ones that are
        still retried stay free for the next digest. `shown` is what it showed of each
        story (story id -> JSON), recorded with it (`archive.stories.record_shown`).
        """
        with self.archive.transaction():
            digest_id = self.archive.execute(
                "INSERT INTO digests (created, subject, message_id, sender, recipients, message, "
                "html) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_now(), subject, message_id, sender, json.dumps(recipients), message, html),
            )
            self.archive.executemany(
                "UPDATE articles SET digest_id = ? WHERE id = ? AND digest_id IS NULL "
                "AND status IN ('summarised', 'abandoned')",
                [(digest_id, article_id) for article_id in article_ids],
            )
            record_shown(self.archive, digest_id, shown or {})
            return digest_id

    def pending_digests(self) -> list[StoredDigest]:
        """Digests built but not sent yet, oldest first."""
        rows = self.archive.rows("SELECT * FROM digests WHERE status = 'pending' ORDER BY id")
        return [_digest(row) for row in rows]

    def digests(self) -> list[StoredDigest]:
        """Every digest, oldest first."""
        return [_digest(row) for row in self.archive.rows("SELECT * FROM digests ORDER BY id")]

    def checkpoint(self) -> None:
        """Copy the journal (WAL) into the database, so the next small writes reuse its space.

        Done before a send: on a full disk the send is then not attempted, rather than made
        and left unrecorded (which would send it again next run).
        """
        self.archive.checkpoint()

    def claim_send(self, digest_id: int) -> bool:
        """Count a send attempt; False if the digest is no longer pending."""
        with self.archive.transaction():
            changed = self.archive.execute(
                "UPDATE digests SET send_attempts = send_attempts + 1 "
                "WHERE id = ? AND status = 'pending'",
                (digest_id,),
            )
            return changed == 1

    def mark_sent(self, digest_id: int) -> None:
        """The server accepted the message: it is never sent again."""
        with self.archive.transaction():
            self.archive.execute(
                "UPDATE digests SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
                (_now(), digest_id),
            )

    def mark_send_failed(self, digest_id: int, error: str, *, permanent: bool) -> None:
        """Record a failed send: pending (retried next run), or failed if retrying cannot help."""
        with self.archive.transaction():
            self.archive.execute(
                "UPDATE digests SET last_error = ?, status = ? WHERE id = ?",
                (error, "failed" if permanent else "pending", digest_id),
            )


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _digest(row: Row) -> StoredDigest:
    return StoredDigest(
        id=row["id"],
        status=row["status"],
        subject=row["subject"],
        message_id=row["message_id"],
        sender=row["sender"],
        recipients=json.loads(row["recipients"]),
        message=bytes(row["message"]),
        html=row["html"],
        send_attempts=row["send_attempts"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
    )
