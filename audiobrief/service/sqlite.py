"""The embedded job table: one SQLite file of articles (jobs), `DATA/audiobrief.sqlite3`.

Every call opens its own short-lived connection (WAL mode), so worker threads and request
handlers never share one.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import msgspec

from audiobrief.errors import StorageFullError
from audiobrief.model import Rendition, Script
from audiobrief.service.backends import (
    STATUSES,
    Cursor,
    Finished,
    Publish,
    Record,
    Status,
    article_key,
    exhausted,
    queue_full,
    record,
    to_evict,
    withdrawal_keys,
)

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    source_url TEXT,
    script BLOB NOT NULL,
    voice TEXT NOT NULL,
    speed REAL NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    timings BLOB,
    size_bytes INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS articles_status ON articles (status, created_at);
CREATE INDEX IF NOT EXISTS articles_source_url ON articles (source_url, created_at);
CREATE INDEX IF NOT EXISTS articles_finished ON articles (finished_at);
"""
_ADDED_COLUMNS = {
    "owner": "TEXT",
    # Rows made before this column existed were answered by URL already; they stay so.
    "bound": "INTEGER NOT NULL DEFAULT 1",
    # Rows made before articles had versions are given theirs on opening (_AFTER_COLUMNS).
    "article": "TEXT",
    "external_id": "TEXT",
    "posted_at": "REAL",
}
"""Columns added since the first schema, added to an existing table when missing."""
_AFTER_COLUMNS = """
UPDATE articles SET posted_at = created_at WHERE posted_at IS NULL;
UPDATE articles SET article = coalesce(CASE WHEN bound THEN url_article(source_url) END, id)
    WHERE article IS NULL;
CREATE INDEX IF NOT EXISTS articles_article ON articles (article, posted_at);
CREATE INDEX IF NOT EXISTS articles_posted ON articles (posted_at);
CREATE INDEX IF NOT EXISTS articles_feed ON articles (article)
    WHERE status = 'done' AND bound = 1;
CREATE TABLE IF NOT EXISTS withdrawn (id TEXT PRIMARY KEY, withdrawn_at REAL NOT NULL);
"""
"""What needs the added columns: their values for older rows, their indexes, withdrawals."""
_NEWEST = ("NOT EXISTS (SELECT 1 FROM articles AS newer WHERE newer.article = a.article"
           " AND (newer.posted_at, newer.id) > (a.posted_at, a.id)")
"""The start of a condition: no version of its article was posted after this one (close it
with the further conditions on the newer one and a parenthesis)."""

_SQLITE_FULL = getattr(sqlite3, "SQLITE_FULL", 13)
_NEARLY_FULL_BYTES = 1_000_000




@contextlib.contextmanager
def connect(path: Path, *, rows: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to one of the data directory's SQLite files, in autocommit, waiting up to
    30 s for another writer; a full disk is StorageFullError (507), whichever table it hit."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    if rows:
        db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA busy_timeout=30000")
        yield db
    except sqlite3.OperationalError as error:
        if _is_full(error, path.parent):
            raise StorageFullError(
                f"the disk holding {path.parent} is full; free some space (or lower"
                " AUDIOBRIEF_AUDIO_CACHE_MB) and try again") from error
        raise
    finally:
        db.close()


def create(path: Path, schema: str) -> None:
    """Make the SQLite file at `path` (and its directory) hold `schema`, written ahead to a log so
    that readers never wait for a writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)


class SqliteJobs:
    """The JobTable in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")  # two processes opening an old table add columns once
            present = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in present:
                    db.execute(f"ALTER TABLE articles ADD COLUMN {name} {kind}")
            db.create_function("url_article", 1, lambda url: article_key(url), deterministic=True)
            for statement in _AFTER_COLUMNS.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("COMMIT")

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return connect(self.path, rows=True)

    # Articles -------------------------------------------------------------------------------

    def add(self, article_id: str, script: Script, voice: str, speed: float,
            source_url: str | None, *, bound: bool = True,
            queue_limit: int | None = None, article: str | None = None,
            external_id: str | None = None) -> bool:
        """Queue a new version; False when one with this id exists already. With `queue_limit`,
        raises QueueFullError when that many are waiting: counted and inserted in one
        transaction, so simultaneous requests cannot all pass the check."""
        now = time.time()
        total = script.sentence_count
        encoded = msgspec.json.encode(script)
        article = article or article_id
        with self._connect() as db, _immediate(db):
            _check_room(db, queue_limit)
            cursor = db.execute(
                "INSERT OR IGNORE INTO articles (id, status, source_url, script, voice, speed,"
                " total, created_at, updated_at, bound, article, external_id, posted_at)"
                " VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (article_id, source_url, encoded, voice, speed, total, now, now, int(bound),
                 article, external_id, now))
            if cursor.rowcount == 1 and bound:
                _lift_withdrawal(db, article_id, article, source_url)
            return cursor.rowcount == 1

    def repost(self, article_id: str, source_url: str | None, article: str | None,
               external_id: str | None) -> bool:
        with self._connect() as db, _immediate(db):
            row = db.execute(
                "UPDATE articles SET bound = 1, source_url = coalesce(?, source_url),"
                " article = coalesce(?, article), external_id = coalesce(?, external_id),"
                " posted_at = ? WHERE id = ? RETURNING article, source_url",
                (source_url, article, external_id, time.time(), article_id)).fetchone()
            if row is not None:
                _lift_withdrawal(db, article_id, row[0], row[1])
        return row is not None

    def get(self, article_id: str) -> Record | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return record(row) if row else None

    def latest_for_url(self, source_url: str) -> Record | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM articles WHERE source_url = ? AND bound = 1"
                " AND status != 'failed' ORDER BY status = 'done' DESC, posted_at DESC LIMIT 1",
                (source_url,)).fetchone()
        return record(row) if row else None

    def answering(self, article: str) -> Record | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM articles WHERE article = ? ORDER BY status = 'done' DESC,"
                " status != 'failed' DESC, posted_at DESC LIMIT 1", (article,)).fetchone()
        return record(row) if row else None

    def articles(self, limit: int, *, status: Status | None = None,
                 url_prefix: str | None = None, after: Cursor | None = None) -> list[Record]:
        conditions: list[str] = [_NEWEST + ")"]
        params: list[object] = []
        if status is not None:
            conditions.append("a.status = ?")
            params.append(status)
        if url_prefix:
            conditions.append("substr(a.source_url, 1, ?) = ?")
            params += [len(url_prefix), url_prefix]
        if after is not None:
            conditions.append("(a.posted_at, a.id) < (?, ?)")
            params += list(after)
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM articles AS a WHERE " + " AND ".join(conditions)
                + " ORDER BY a.posted_at DESC, a.id DESC LIMIT ?", (*params, limit)).fetchall()
        return [record(row) for row in rows]

    def finished(self, limit: int, offset: int = 0) -> list[Record]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM articles AS a WHERE " + _FINISHED_NEWEST
                + " ORDER BY finished_at DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [record(row) for row in rows]

    def finished_count(self) -> int:
        with self._connect() as db:
            # Each article with a finished bound version has one newest: count the articles.
            return int(db.execute("SELECT COUNT(DISTINCT article) FROM articles"
                                  " INDEXED BY articles_feed WHERE status = 'done' AND bound = 1"
                                  ).fetchone()[0])

    def withdraw(self, article_id: str) -> list[str] | None:
        now = time.time()
        with self._connect() as db, _immediate(db):
            row = db.execute("SELECT article FROM articles WHERE id = ? UNION ALL"
                             " SELECT article FROM articles WHERE article = ? LIMIT 1",
                             (article_id, article_id)).fetchone()
            if row is None:
                return [] if _is_withdrawn(db, article_id) else None
            versions = [(version, url, bool(bound)) for version, url, bound in db.execute(
                "DELETE FROM articles WHERE article = ? RETURNING id, source_url, bound",
                (row[0],)).fetchall()]
            db.executemany("INSERT OR REPLACE INTO withdrawn (id, withdrawn_at) VALUES (?, ?)",
                           [(key, now) for key in withdrawal_keys(row[0], versions)])
        logger.info("article %s withdrawn: %d version(s)", row[0], len(versions))
        return [version for version, _, _ in versions]

    def withdrawn(self, key: str) -> bool:
        with self._connect() as db:
            return _is_withdrawn(db, key)

    def counts(self) -> dict[Status, int]:
        """Articles by status."""
        with self._connect() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM articles GROUP BY status").fetchall()
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        counts.update({row[0]: row[1] for row in rows})
        return counts

    # Jobs -----------------------------------------------------------------------------------

    def requeue_unfinished(self) -> int:
        """Put back in the queue what was running when the process stopped; returns how many.

        Only the holder of the data directory's lock may call this: the jobs it requeues have no
        living owner. Their attempts and progress stay, so `claim` can end a job that keeps
        stopping the process and say how far it got.
        """
        with self._connect() as db:
            cursor = db.execute("UPDATE articles SET status = 'queued', owner = NULL,"
                                " updated_at = ? WHERE status = 'running'", (time.time(),))
        return cursor.rowcount

    def all(self) -> list[Record]:
        """Every article, oldest first (for a migration)."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM articles ORDER BY created_at").fetchall()
        return [record(row) for row in rows]

    def finished_sizes(self) -> list[tuple[str, int | None]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, size_bytes FROM articles WHERE status = 'done'").fetchall()
        return [(row[0], row[1]) for row in rows]

    def requeue_damaged(self, article_id: str) -> bool:
        """A finished article whose file is missing or damaged goes back to the queue."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE articles SET status = 'queued', done = 0, attempts = 0, timings = NULL,"
                " size_bytes = NULL, finished_at = NULL, owner = NULL, updated_at = ?"
                " WHERE id = ? AND status = 'done'", (time.time(), article_id))
        if cursor.rowcount:
            logger.warning("article %s: its MP3 is missing or damaged on disk; queued again",
                           article_id)
        return cursor.rowcount == 1

    def next_queued(self) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT id FROM articles WHERE status = 'queued'"
                             " ORDER BY created_at LIMIT 1").fetchone()
        return row[0] if row else None

    def claim(self, article_id: str, owner: str, max_attempts: int = 3) -> Record | None:
        """Start the queued article for the attempt `owner` (atomically), or None when it is not
        queued.

        A job already started `max_attempts` times without finishing (each time the process
        running it ended) is not started again: it ends failed, saying so.
        """
        now = time.time()
        with self._connect() as db, _immediate(db):
            row = db.execute("SELECT attempts, done, total FROM articles"
                             " WHERE id = ? AND status = 'queued'", (article_id,)).fetchone()
            if row is None:
                return None
            if row["attempts"] >= max_attempts:
                reason = exhausted(row["attempts"], row["done"], row["total"], "process")
                db.execute("UPDATE articles SET status = 'failed', error = ?, owner = NULL,"
                           " updated_at = ? WHERE id = ?", (reason, now, article_id))
                logger.warning("article %s failed: %s", article_id, reason)
                return None
            claimed = db.execute(
                "UPDATE articles SET status = 'running', done = 0, attempts = attempts + 1,"
                " owner = ?, updated_at = ? WHERE id = ? RETURNING *",
                (owner, now, article_id)).fetchone()
        return record(claimed)

    def progress(self, article_id: str, owner: str, done: int) -> bool:
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE articles SET done = ?, updated_at = ?"
                " WHERE id = ? AND status = 'running' AND owner = ?",
                (done, time.time(), article_id, owner))
        return cursor.rowcount == 1

    def release(self, article_id: str, owner: str) -> bool:
        """A running article goes back to the queue (the service is stopping); the attempt
        does not count against it."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE articles SET status = 'queued', done = 0, owner = NULL,"
                " attempts = max(0, attempts - 1), updated_at = ?"
                " WHERE id = ? AND status = 'running' AND owner = ?",
                (time.time(), article_id, owner))
        return cursor.rowcount == 1

    def renew(self, article_id: str, owner: str) -> bool:
        return self.owns(article_id, owner)  # one process: its attempts need no lease

    @contextlib.contextmanager
    def publishing(self, article_id: str, owner: str) -> Iterator[Publish | None]:
        # One write transaction from the check to the mark: no attempt can take the job over
        # while its audio is stored.
        with self._connect() as db, _immediate(db):
            if db.execute("SELECT 1 FROM articles WHERE id = ? AND status = 'running'"
                          " AND owner = ?", (article_id, owner)).fetchone() is None:
                yield None
                return

            def publish(rendition: Rendition, size_bytes: int) -> None:
                now = time.time()
                db.execute(
                    "UPDATE articles SET status = 'done', done = total, timings = ?,"
                    " size_bytes = ?, error = NULL, owner = NULL, updated_at = ?,"
                    " finished_at = ? WHERE id = ?",
                    (msgspec.json.encode(rendition.without_pcm()), size_bytes, now, now,
                     article_id))

            yield publish

    def fail(self, article_id: str, owner: str, error: str) -> bool:
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE articles SET status = 'failed', error = ?, owner = NULL, updated_at = ?"
                " WHERE id = ? AND status = 'running' AND owner = ?",
                (error, time.time(), article_id, owner))
        return cursor.rowcount == 1

    def retry(self, article_id: str, queue_limit: int | None = None) -> bool:
        """Queue a failed article again, its attempts counted from zero; False when it had not
        failed. With `queue_limit`, raises QueueFullError as `add` does."""
        with self._connect() as db, _immediate(db):
            if db.execute("SELECT 1 FROM articles WHERE id = ? AND status = 'failed'",
                          (article_id,)).fetchone() is None:
                return False
            _check_room(db, queue_limit)
            cursor = db.execute(
                "UPDATE articles SET status = 'queued', error = NULL, done = 0, attempts = 0,"
                " owner = NULL, updated_at = ? WHERE id = ? AND status = 'failed'",
                (time.time(), article_id))
            return cursor.rowcount == 1

    # Finished audio ---------------------------------------------------------------------------

    def evict(self, max_bytes: int, last_served: Mapping[str, float] | None = None,
              keep: str | None = None) -> list[str]:
        """Delete finished articles, least recently finished or served first (unbound ones
        before bound ones), until their audio is under 90 % of `max_bytes`; returns their ids,
        whose files the caller deletes.

        The row goes with its file: the id is derived from the script, so the same request
        makes the same id again, and a lookup by URL finds nothing until then.
        """
        with self._connect() as db:
            rows = db.execute("SELECT id, size_bytes, finished_at, bound, NOT " + _NEWEST
                              + " AND newer.status = 'done') AS superseded FROM articles AS a"
                              " WHERE status = 'done'").fetchall()
        chosen = to_evict([Finished(row["id"], row["size_bytes"] or 0, row["finished_at"] or 0.0,
                                    bool(row["bound"]), bool(row["superseded"])) for row in rows],
                          max_bytes, last_served or {}, keep)
        evicted = []
        for article_id in chosen:
            with self._connect() as db:
                cursor = db.execute("DELETE FROM articles WHERE id = ? AND status = 'done'",
                                    (article_id,))
            if cursor.rowcount:
                evicted.append(article_id)
        logger.info("finished audio: removed %d least recently used article(s)", len(evicted))
        return evicted

    def owns(self, article_id: str, owner: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM articles WHERE id = ? AND status = 'running'"
                              " AND owner = ?", (article_id, owner)).fetchone() is not None

    def problems(self) -> list[str]:
        try:
            self.counts()
        except Exception as error:  # whatever it is, it is the answer a health check reports
            return [f"the job table {self.path} cannot be used: {error}"]
        return []


@contextlib.contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at its start (BEGIN IMMEDIATE): what it reads cannot change
    before it writes."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


_FINISHED_NEWEST = (
    "a.status = 'done' AND a.bound = 1 AND " + _NEWEST
    + " AND newer.status = 'done' AND newer.bound = 1)")
"""A finished bound version that is its article's newest finished one: the feed's."""


def _is_withdrawn(db: sqlite3.Connection, key: str) -> bool:
    return db.execute("SELECT 1 FROM withdrawn WHERE id = ?", (key,)).fetchone() is not None


def _lift_withdrawal(db: sqlite3.Connection, version: str, article: str,
                     source_url: str | None) -> None:
    """A version posted again by whoever may vouch for it: its ids answer again."""
    keys = [version, article, *filter(None, [article_key(source_url)])]
    db.executemany("DELETE FROM withdrawn WHERE id = ?", [(key,) for key in keys])


def _waiting(db: sqlite3.Connection) -> int:
    return int(db.execute(
        "SELECT COUNT(*) FROM articles WHERE status IN ('queued', 'running')").fetchone()[0])


def _check_room(db: sqlite3.Connection, queue_limit: int | None) -> None:
    if queue_limit is not None and _waiting(db) >= queue_limit:
        raise queue_full(queue_limit)


def _is_full(error: sqlite3.OperationalError, root: Path) -> bool:
    """SQLite's "database or disk is full", or its "disk I/O error" on a disk with no room
    left (what a failed write of the WAL index reports)."""
    if getattr(error, "sqlite_errorcode", None) == _SQLITE_FULL or "is full" in str(error):
        return True
    if "disk I/O error" not in str(error):
        return False
    try:
        return shutil.disk_usage(root).free < _NEARLY_FULL_BYTES
    except OSError:
        return False
