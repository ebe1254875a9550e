"""The archive's SQLite database: the only module that imports sqlite3.

WAL journal, a busy timeout, and numbered migrations recorded in `PRAGMA user_version`.
Migration 1 is the digest's first schema, unchanged, so a digest database of any version
opens and upgrades in place. Other modules run their SQL through an `Archive`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import platformdirs

from ..errors import SummarizerError

BUSY_TIMEOUT_SECONDS = 30.0
ARCHIVE_FILE = "archive.sqlite"
# The digest's own file before the archive existed: adopted when there is no archive yet.
LEGACY_DIGEST_FILE = "digest.sqlite"

Row = sqlite3.Row
log = logging.getLogger("summarizer.archive")

# Append only: a released migration is never edited; the next change is a new entry.
# Each runs in one transaction with foreign keys off (SQLite cannot rebuild a table that
# others reference otherwise); a foreign-key check runs before it is committed.
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
    # 2: the archive. Summaries get their own table (the digest's `articles.result` moves
    # there, its article text left out: the article row holds it); actors get stable ids;
    # positions, events and demands are indexed for timelines; a full-text index; the ledger.
    """
    CREATE TABLE summaries (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        created TEXT NOT NULL,
        day TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('cli', 'api', 'digest')),
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        strategy TEXT,
        prompt_hash TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        reasks INTEGER,
        parts INTEGER NOT NULL DEFAULT 1,
        cache_hit INTEGER NOT NULL DEFAULT 0 CHECK (cache_hit IN (0, 1)),
        cost_usd REAL,
        saved_usd REAL,
        seconds REAL NOT NULL DEFAULT 0,
        result TEXT NOT NULL
    );
    INSERT INTO summaries (
        article_id, created, day, origin, backend, model, prompt_hash, prompt_tokens,
        completion_tokens, cached_tokens, reasoning_tokens, calls, parts, cache_hit,
        seconds, result
    )
    SELECT
        id,
        coalesce(summarised_at, first_seen),
        coalesce(published, substr(coalesce(summarised_at, first_seen), 1, 10)),
        'digest',
        json_extract(result, '$.provenance.backend'),
        json_extract(result, '$.provenance.model'),
        json_extract(result, '$.provenance.prompt_hash'),
        coalesce(json_extract(result, '$.provenance.usage.prompt_tokens'), 0),
        coalesce(json_extract(result, '$.provenance.usage.completion_tokens'), 0),
        coalesce(json_extract(result, '$.provenance.usage.cached_tokens'), 0),
        coalesce(json_extract(result, '$.provenance.usage.reasoning_tokens'), 0),
        coalesce(json_extract(result, '$.provenance.attempts'), 0),
        coalesce(json_extract(result, '$.provenance.parts'), 1),
        coalesce(json_extract(result, '$.provenance.cache_hit'), 0),
        coalesce(json_extract(result, '$.provenance.seconds'), 0),
        json_remove(result, '$.article.text')
    FROM articles WHERE result IS NOT NULL ORDER BY id;
    CREATE TABLE articles_2 (
        id INTEGER PRIMARY KEY,
        url TEXT,
        content_hash TEXT NOT NULL UNIQUE,
        title TEXT,
        source TEXT,
        published TEXT,
        text TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        origin TEXT NOT NULL DEFAULT 'digest' CHECK (origin IN ('cli', 'api', 'digest')),
        input TEXT,
        status TEXT NOT NULL DEFAULT 'new'
            CHECK (status IN ('new', 'summarised', 'failed', 'abandoned')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        summary_id INTEGER REFERENCES summaries(id),
        summarised_at TEXT,
        digest_id INTEGER REFERENCES digests(id)
    );
    INSERT INTO articles_2 (
        id, url, content_hash, title, source, published, text, first_seen, status, attempts,
        last_error, summary_id, summarised_at, digest_id
    )
    SELECT
        id, url, content_hash, title, source, published, text, first_seen, status, attempts,
        last_error, (SELECT max(s.id) FROM summaries s WHERE s.article_id = articles.id),
        summarised_at, digest_id
    FROM articles;
    DROP TABLE articles;
    ALTER TABLE articles_2 RENAME TO articles;
    CREATE INDEX articles_undigested ON articles(status) WHERE digest_id IS NULL;
    CREATE INDEX articles_digest ON articles(digest_id);
    CREATE INDEX article_urls_article ON article_urls(article_id);
    CREATE INDEX summaries_article ON summaries(article_id);
    CREATE INDEX summaries_created ON summaries(created);
    CREATE INDEX summaries_day ON summaries(day);
    CREATE TABLE actors (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT,
        wikidata_id TEXT UNIQUE,
        merged_into INTEGER REFERENCES actors(id),
        created TEXT NOT NULL
    );
    CREATE TABLE actor_aliases (
        alias TEXT PRIMARY KEY,
        actor_id INTEGER NOT NULL REFERENCES actors(id),
        name TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'seen' CHECK (source IN ('seen', 'user')),
        created TEXT NOT NULL
    );
    CREATE INDEX actor_aliases_actor ON actor_aliases(actor_id);
    CREATE TABLE actor_splits (
        alias TEXT NOT NULL,
        actor_id INTEGER NOT NULL REFERENCES actors(id),
        created TEXT NOT NULL,
        PRIMARY KEY (alias, actor_id)
    );
    CREATE TABLE summary_actors (
        summary_id INTEGER NOT NULL REFERENCES summaries(id),
        local_id TEXT NOT NULL,
        actor_id INTEGER NOT NULL REFERENCES actors(id),
        name TEXT NOT NULL,
        type TEXT,
        role TEXT,
        PRIMARY KEY (summary_id, local_id)
    );
    CREATE INDEX summary_actors_actor ON summary_actors(actor_id);
    CREATE TABLE positions (
        id INTEGER PRIMARY KEY,
        summary_id INTEGER NOT NULL REFERENCES summaries(id),
        actor_id INTEGER REFERENCES actors(id),
        actor TEXT NOT NULL,
        topic TEXT NOT NULL,
        stance TEXT NOT NULL,
        quote TEXT,
        grounded INTEGER,
        day TEXT NOT NULL
    );
    CREATE INDEX positions_summary ON positions(summary_id);
    CREATE INDEX positions_actor ON positions(actor_id, day);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        summary_id INTEGER NOT NULL REFERENCES summaries(id),
        what TEXT NOT NULL,
        category TEXT,
        status TEXT,
        day TEXT NOT NULL,
        dated INTEGER NOT NULL DEFAULT 0,
        place TEXT,
        quote TEXT,
        grounded INTEGER
    );
    CREATE INDEX events_summary ON events(summary_id);
    CREATE INDEX events_day ON events(day);
    CREATE TABLE event_actors (
        event_id INTEGER NOT NULL REFERENCES events(id),
        actor_id INTEGER NOT NULL REFERENCES actors(id),
        PRIMARY KEY (event_id, actor_id)
    );
    CREATE INDEX event_actors_actor ON event_actors(actor_id);
    CREATE TABLE demands (
        id INTEGER PRIMARY KEY,
        summary_id INTEGER NOT NULL REFERENCES summaries(id),
        by_actor_id INTEGER REFERENCES actors(id),
        of_actor_id INTEGER REFERENCES actors(id),
        by_actor TEXT NOT NULL,
        of_actor TEXT,
        what TEXT NOT NULL,
        conditions TEXT,
        quote TEXT,
        grounded INTEGER,
        day TEXT NOT NULL
    );
    CREATE INDEX demands_summary ON demands(summary_id);
    CREATE INDEX demands_by ON demands(by_actor_id, day);
    CREATE INDEX demands_of ON demands(of_actor_id, day);
    CREATE VIRTUAL TABLE summary_search USING fts5(
        text, kind UNINDEXED, summary_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE VIEW ledger AS
        SELECT
            s.id AS summary_id, s.article_id, a.digest_id, substr(s.created, 1, 10) AS day,
            s.origin, s.backend, s.model, s.prompt_tokens, s.completion_tokens,
            s.cached_tokens, s.reasoning_tokens, s.calls, s.reasks, s.cache_hit, s.cost_usd,
            s.saved_usd, s.seconds
        FROM summaries s JOIN articles a ON a.id = s.article_id;
    CREATE VIEW ledger_by_article AS
        SELECT
            l.article_id, a.title, coalesce(a.url, a.input) AS source, count(*) AS summaries,
            sum(l.prompt_tokens) AS prompt_tokens, sum(l.completion_tokens) AS completion_tokens,
            sum(l.cached_tokens) AS cached_tokens, sum(l.reasoning_tokens) AS reasoning_tokens,
            sum(l.calls) AS calls, sum(l.reasks) AS reasks, sum(l.cache_hit) AS cache_hits,
            sum(l.cost_usd) AS cost_usd, sum(l.cost_usd IS NULL) AS unpriced,
            sum(l.saved_usd) AS saved_usd, sum(l.seconds) AS seconds
        FROM ledger l JOIN articles a ON a.id = l.article_id
        GROUP BY l.article_id;
    CREATE VIEW ledger_by_day AS
        SELECT
            day, count(*) AS summaries, count(DISTINCT article_id) AS articles,
            sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
            sum(cached_tokens) AS cached_tokens, sum(reasoning_tokens) AS reasoning_tokens,
            sum(calls) AS calls, sum(reasks) AS reasks, sum(cache_hit) AS cache_hits,
            sum(cost_usd) AS cost_usd, sum(cost_usd IS NULL) AS unpriced,
            sum(saved_usd) AS saved_usd, sum(seconds) AS seconds
        FROM ledger GROUP BY day;
    CREATE VIEW ledger_by_digest AS
        SELECT
            l.digest_id, d.created, d.subject, count(*) AS summaries,
            count(DISTINCT l.article_id) AS articles,
            sum(l.prompt_tokens) AS prompt_tokens, sum(l.completion_tokens) AS completion_tokens,
            sum(l.cached_tokens) AS cached_tokens, sum(l.reasoning_tokens) AS reasoning_tokens,
            sum(l.calls) AS calls, sum(l.reasks) AS reasks, sum(l.cache_hit) AS cache_hits,
            sum(l.cost_usd) AS cost_usd, sum(l.cost_usd IS NULL) AS unpriced,
            sum(l.saved_usd) AS saved_usd, sum(l.seconds) AS seconds
        FROM ledger l JOIN digests d ON d.id = l.digest_id
        WHERE l.origin = 'digest'
        GROUP BY l.digest_id;
    """,
    # 3: stories (summarizer/stories.py decides them). An article is in one story, as itself
    # or as a copy of another article; its MinHash finds later copies; each digest records
    # what it showed of a story, so that the next one shows only what is new.
    """
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX stories_last_day ON stories(last_day);
    CREATE TABLE story_articles (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id),
        story_id INTEGER NOT NULL REFERENCES stories(id),
        copy_of INTEGER REFERENCES articles(id),
        day TEXT NOT NULL
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    CREATE INDEX story_articles_day ON story_articles(day);
    CREATE TABLE article_minhash (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id),
        signature BLOB NOT NULL
    );
    CREATE TABLE digest_stories (
        digest_id INTEGER NOT NULL REFERENCES digests(id),
        story_id INTEGER NOT NULL REFERENCES stories(id),
        shown TEXT NOT NULL,
        PRIMARY KEY (digest_id, story_id)
    );
    CREATE INDEX digest_stories_story ON digest_stories(story_id);
    """,
)


class ArchiveError(SummarizerError):
    """The archive cannot be opened, read or written, or is from a newer version."""


def default_path() -> Path:
    """The archive in the user data directory (SUMMARIZER_ARCHIVE or settings name another)."""
    return Path(platformdirs.user_data_dir("summarizer")) / ARCHIVE_FILE


class Archive:
    """A connection to the archive, migrated to the current schema.

    One connection may be used from several threads (a summary recorded from a worker
    thread): every statement and transaction holds the archive's lock.
    """

    def __init__(self, connection: sqlite3.Connection, name: str = ":memory:", wait: float = 0.0):
        self._db = connection
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self.name = name
        self.wait = wait
        # What modules above keep per connection (the actor index), dropped by `migrate`.
        self.memo: dict[str, object] = {}
        self.migrated_from = 0  # the schema version `migrate` found

    @classmethod
    def open(cls, path: Path | None = None, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> Archive:
        """Open (creating it if needed) and migrate the archive at `path` (default: the user's).

        Another process writing to it is waited for up to `busy_timeout` seconds.
        """
        path = path or default_path()
        _adopt_legacy_digest(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                path, isolation_level=None, timeout=busy_timeout, check_same_thread=False
            )
            connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.OperationalError as error:
            raise _archive_error(str(path), error, busy_timeout) from None
        except (OSError, sqlite3.Error) as error:
            raise ArchiveError(f"{path}: cannot open the archive: {error}") from None
        archive = cls(connection, str(path), busy_timeout)
        try:
            archive.migrate()
        except BaseException:
            archive.close()
            raise
        return archive

    def snapshot(self) -> Archive:
        """An in-memory copy: a dry run works on it and leaves the real archive untouched."""
        copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        with self._lock:
            self._db.backup(copy)
        copy.execute("PRAGMA foreign_keys = ON")
        return Archive(copy)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @property
    def version(self) -> int:
        """The schema version (number of migrations applied)."""
        return int(self.value("PRAGMA user_version") or 0)

    def migrate(self) -> None:
        """Apply every migration not applied yet, each in its own transaction."""
        self.memo.clear()
        self.migrated_from = self.version
        with self._lock:
            self._db.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
            try:
                while self._migrate_one():
                    pass
            finally:
                self._db.execute("PRAGMA foreign_keys = ON")

    def _migrate_one(self) -> bool:
        with self.transaction():
            current = self.version
            if current > len(MIGRATIONS):
                raise ArchiveError(
                    f"{self.name}: the archive is at schema {current}, newer than this "
                    f"summarizer ({len(MIGRATIONS)}); upgrade summarizer"
                )
            if current == len(MIGRATIONS):
                return False
            for statement in _statements(MIGRATIONS[current]):
                self._db.execute(statement)
            broken = self._db.execute("PRAGMA foreign_key_check").fetchone()
            if broken is not None:
                raise ArchiveError(
                    f"{self.name}: migration {current + 1} would break a reference "
                    f"({tuple(broken)}); nothing was changed"
                )
            self._db.execute(f"PRAGMA user_version = {current + 1}")
            log.info("%s: migrated the archive to schema %d", self.name, current + 1)
            return True

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """An immediate (write-locking) transaction, committed on success; nestable.

        A database another process keeps locked, or a disk that is full, is an ArchiveError;
        the transaction is rolled back, so the archive is as it was before it.
        """
        with self._lock:
            if self._db.in_transaction:  # the outer transaction commits or rolls back
                yield
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise _archive_error(self.name, error, self.wait) from None
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException as error:
                with suppress(sqlite3.Error):  # a failed COMMIT may have rolled back already
                    self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise _archive_error(self.name, error, self.wait) from None
                raise

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; returns the new row's id for an INSERT, else the rows changed."""
        with self._lock:
            try:
                cursor = self._db.execute(sql, parameters)
            except sqlite3.Error as error:
                raise _archive_error(self.name, error, self.wait) from None
            if sql.lstrip()[:6].upper() == "INSERT" and cursor.rowcount == 1:
                return int(cursor.lastrowid or 0)
            return cursor.rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""
        with self._lock:
            try:
                self._db.executemany(sql, rows)
            except sqlite3.Error as error:
                raise _archive_error(self.name, error, self.wait) from None

    def rows(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        """Every row a query returns (columns by name: `row["title"]`)."""
        with self._lock:
            try:
                return self._db.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise _archive_error(self.name, error, self.wait) from None

    def row(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        """The first row a query returns, or None."""
        found = self.rows(sql, parameters)
        return found[0] if found else None

    def value(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """The first column of the first row, or None."""
        found = self.row(sql, parameters)
        return None if found is None else found[0]

    def checkpoint(self) -> None:
        """Copy the journal (WAL) into the database, so the next small writes reuse its space."""
        self.rows("PRAGMA wal_checkpoint(RESTART)")


def _adopt_legacy_digest(path: Path) -> None:
    """Rename the digest's old default database to the archive, when there is no archive yet.

    Only at the default location, and with its journal files, so nothing is left behind.
    """
    legacy = path.with_name(LEGACY_DIGEST_FILE)
    if path != default_path() or path.exists() or not legacy.is_file():
        return
    try:
        for suffix in ("-wal", "-shm", ""):
            old = legacy.with_name(legacy.name + suffix)
            if old.exists():
                os.replace(old, path.with_name(path.name + suffix))
    except OSError as error:
        raise ArchiveError(f"{legacy}: cannot adopt it as the archive {path}: {error}") from None
    log.warning("adopted the digest database %s as the archive %s", legacy, path)


def _archive_error(name: str, error: sqlite3.Error, wait: float) -> ArchiveError:
    """One line for a failed database operation, naming the likely cause."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return ArchiveError(
            f"{name}: the archive is locked by another process (waited {wait:g}s); "
            "nothing was lost, the next run carries on"
        )
    return ArchiveError(f"{name}: cannot write the archive: {text}")


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
