"""The digest's state in SQLite: the only module that touches the database.

WAL journal, a busy timeout, and numbered migrations recorded in `PRAGMA user_version`.
Articles are known by every URL they were listed under and by a hash of their text, so a
re-published or syndicated story is summarised once. A digest is stored, with its whole
message, before it is sent.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from ..errors import SummarizerError
from ..schema import SummaryResult

BUSY_TIMEOUT_SECONDS = 30.0

# Append only: a released migration is never edited; the next change is a new entry.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        created TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        sender TEXT NOT NULL,
        recipients TEXT NOT NULL,
        message BLOB NOT NULL,
        html TEXT NOT NULL,
        send_attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at TEXT
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        title TEXT,
        source TEXT,
        published TEXT,
        text TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new'
            CHECK (status IN ('new', 'summarised', 'failed', 'abandoned')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        result TEXT,
        summarised_at TEXT,
        digest_id INTEGER REFERENCES digests(id)
    );
    CREATE TABLE article_urls (
        url TEXT PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id)
    );
    CREATE INDEX articles_undigested ON articles(status) WHERE digest_id IS NULL;
    CREATE INDEX digests_pending ON digests(status) WHERE status = 'pending';
    """,
)


class StateError(SummarizerError):
    """The state database cannot be opened, read or written, or is from a newer version."""


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
    """A connection to the digest database, migrated to the current schema."""

    def __init__(
        self, connection: sqlite3.Connection, name: str = ":memory:", wait: float = 0.0
    ) -> None:
        self.db = connection
        self.db.row_factory = sqlite3.Row
        self.name = name
        self.wait = wait

    @classmethod
    def open(cls, path: Path, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> State:
        """Open (creating it if needed) and migrate the database at `path`.

        Another process writing to it is waited for up to `busy_timeout` seconds.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
            connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.OperationalError as error:
            raise _state_error(str(path), error, busy_timeout) from None
        except (OSError, sqlite3.Error) as error:
            raise StateError(f"{path}: cannot open the digest state: {error}") from None
        state = cls(connection, str(path), busy_timeout)
        state.migrate()
        return state

    def snapshot(self) -> State:
        """An in-memory copy: a dry run works on it and leaves the real state untouched."""
        copy = sqlite3.connect(":memory:", isolation_level=None)
        self.db.backup(copy)
        copy.execute("PRAGMA foreign_keys = ON")
        return State(copy)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @property
    def version(self) -> int:
        """The schema version (number of migrations applied)."""
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Apply every migration not applied yet, each in its own transaction."""
        with self.transaction():
            current = self.version
            if current > len(MIGRATIONS):
                raise StateError(
                    f"the digest state is at schema {current}, newer than this summarizer "
                    f"({len(MIGRATIONS)}); upgrade summarizer"
                )
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _statements(script):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """An immediate (write-locking) transaction, committed on success.

        A database another process keeps locked, or a disk that is full, is a StateError;
        the transaction is rolled back, so the state is as it was before it.
        """
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _state_error(self.name, error, self.wait) from None
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as error:
            with suppress(sqlite3.Error):  # a failed COMMIT may have rolled back already
                self.db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise _state_error(self.name, error, self.wait) from None
            raise

    # --- articles ---------------------------------------------------------------------

    def knows_url(self, url: str) -> bool:
        """Whether an article was already listed under this URL."""
        found = self.db.execute("SELECT 1 FROM article_urls WHERE url = ?", (url,)).fetchone()
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
        """Record a new article; None (and its URLs noted) when its text is already known."""
        with self.transaction():
            row = self.db.execute(
                "SELECT id FROM articles WHERE content_hash = ?", (content_hash,)
            ).fetchone()
            if row is not None:
                self._note_urls(row["id"], urls)
                return None
            cursor = self.db.execute(
                "INSERT INTO articles (url, content_hash, title, source, published, text, "
                "first_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    urls[0],
                    content_hash,
                    title,
                    source,
                    published.isoformat() if published else None,
                    text,
                    _now(),
                ),
            )
            article_id = int(cursor.lastrowid or 0)
            self._note_urls(article_id, urls)
            return article_id

    def _note_urls(self, article_id: int, urls: list[str]) -> None:
        for url in dict.fromkeys(urls):
            self.db.execute(
                "INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
                (url, article_id),
            )

    def to_summarise(self, max_attempts: int) -> list[StoredArticle]:
        """Articles not in a digest yet that still need a summary (new, or failed and retryable)."""
        rows = self.db.execute(
            "SELECT * FROM articles WHERE digest_id IS NULL AND "
            "(status = 'new' OR (status = 'failed' AND attempts < ?)) ORDER BY id",
            (max_attempts,),
        )
        return [_article(row) for row in rows]

    def record_summary(self, article_id: int, result: SummaryResult) -> None:
        """Store an article's summary."""
        with self.transaction():
            self.db.execute(
                "UPDATE articles SET status = 'summarised', result = ?, summarised_at = ?, "
                "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                (result.model_dump_json(), _now(), article_id),
            )

    def record_failure(self, article_id: int, error: str, max_attempts: int) -> None:
        """Count a failed attempt; after `max_attempts` the article is abandoned."""
        with self.transaction():
            self.db.execute(
                "UPDATE articles SET attempts = attempts + 1, last_error = ?, "
                "status = CASE WHEN attempts + 1 >= ? THEN 'abandoned' ELSE 'failed' END "
                "WHERE id = ?",
                (error, max_attempts, article_id),
            )

    def undigested(self) -> list[StoredArticle]:
        """Articles to report in the next digest: summaries, failures, abandoned ones."""
        rows = self.db.execute(
            "SELECT * FROM articles WHERE digest_id IS NULL AND status != 'new' ORDER BY id"
        )
        return [_article(row) for row in rows]

    def article_count(self) -> int:
        """How many distinct articles the state knows."""
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

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
    ) -> int:
        """Store a built digest as pending and attach its articles, in one transaction.

        Summarised and abandoned articles belong to it from now on; failed ones that are
        still retried stay free for the next digest.
        """
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO digests (created, subject, message_id, sender, recipients, message, "
                "html) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_now(), subject, message_id, sender, json.dumps(recipients), message, html),
            )
            digest_id = int(cursor.lastrowid or 0)
            self.db.executemany(
                "UPDATE articles SET digest_id = ? WHERE id = ? AND digest_id IS NULL "
                "AND status IN ('summarised', 'abandoned')",
                [(digest_id, article_id) for article_id in article_ids],
            )
            return digest_id

    def pending_digests(self) -> list[StoredDigest]:
        """Digests built but not sent yet, oldest first."""
        rows = self.db.execute("SELECT * FROM digests WHERE status = 'pending' ORDER BY id")
        return [_digest(row) for row in rows]

    def digests(self) -> list[StoredDigest]:
        """Every digest, oldest first."""
        return [_digest(row) for row in self.db.execute("SELECT * FROM digests ORDER BY id")]

    def checkpoint(self) -> None:
        """Copy the journal (WAL) into the database, so the next small writes reuse its space.

        Done before a send: on a full disk the send is then not attempted, rather than made
        and left unrecorded (which would send it again next run).
        """
        try:
            self.db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error as error:
            raise _state_error(self.name, error, self.wait) from None

    def claim_send(self, digest_id: int) -> bool:
        """Count a send attempt; False if the digest is no longer pending."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE digests SET send_attempts = send_attempts + 1 "
                "WHERE id = ? AND status = 'pending'",
                (digest_id,),
            )
            return cursor.rowcount == 1

    def mark_sent(self, digest_id: int) -> None:
        """The server accepted the message: it is never sent again."""
        with self.transaction():
            self.db.execute(
                "UPDATE digests SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
                (_now(), digest_id),
            )

    def mark_send_failed(self, digest_id: int, error: str, *, permanent: bool) -> None:
        """Record a failed send: pending (retried next run), or failed if retrying cannot help."""
        with self.transaction():
            self.db.execute(
                "UPDATE digests SET last_error = ?, status = ? WHERE id = ?",
                (error, "failed" if permanent else "pending", digest_id),
            )


def _state_error(name: str, error: sqlite3.Error, wait: float) -> StateError:
    """One line for a failed database operation, naming the likely cause."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return StateError(
            f"{name}: the digest state is locked by another process (waited {wait:g}s); "
            "nothing was lost, the next run carries on"
        )
    return StateError(f"{name}: cannot write the digest state: {text}")


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def _article(row: sqlite3.Row) -> StoredArticle:
    result = row["result"]
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
        result=SummaryResult.model_validate_json(result) if result else None,
    )


def _digest(row: sqlite3.Row) -> StoredDigest:
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
