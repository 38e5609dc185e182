"""The job table in PostgreSQL (psycopg 3 and its pool), shared by many web nodes and workers.

The same articles table as the embedded one, plus a lease: an attempt holds its job until
`lease_until` and renews it while it runs, so a job whose worker died is taken by another attempt
once its lease has run out, and only the attempt holding the lease may record progress or
finish. The schema is versioned (`audiobrief_schema`); `audiobrief db upgrade` brings a database
to this version, and a service refuses to start on a database of another one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, LiteralString

import msgspec
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from audiobrief.errors import SettingsError
from audiobrief.model import Rendition, Script
from audiobrief.service.backends import (
    STATUSES,
    Cursor,
    Finished,
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

LEASE_S = 15.0
"""How long an attempt holds its job without renewing it (it renews every 5 s): past it, the job
is another's to take, so a killed worker's job is taken over within about this long."""

_MIGRATIONS: tuple[LiteralString, ...] = (
    """
    CREATE TABLE articles (
        id text PRIMARY KEY,
        status text NOT NULL,
        source_url text,
        script bytea NOT NULL,
        voice text NOT NULL,
        speed double precision NOT NULL,
        done integer NOT NULL DEFAULT 0,
        total integer NOT NULL,
        error text,
        attempts integer NOT NULL DEFAULT 0,
        timings bytea,
        size_bytes bigint,
        created_at double precision NOT NULL,
        updated_at double precision NOT NULL,
        finished_at double precision,
        owner text,
        bound boolean NOT NULL DEFAULT true,
        lease_until double precision
    );
    CREATE INDEX articles_status ON articles (status, created_at);
    CREATE INDEX articles_source_url ON articles (source_url, created_at);
    CREATE INDEX articles_finished ON articles (finished_at);
    """,
    # Articles have versions: the article a row is a version of (for rows made before, their
    # URL's, as backends.article_key computes it), the CMS's id, when it was posted; and the
    # ids of withdrawn articles.
    """
    ALTER TABLE articles ADD COLUMN article text, ADD COLUMN external_id text,
        ADD COLUMN posted_at double precision;
    UPDATE articles SET posted_at = created_at, article = CASE
        WHEN bound AND source_url IS NOT NULL THEN left(encode(sha256(convert_to(
            'url' || chr(10) || source_url, 'UTF8')), 'hex'), 32)
        ELSE id END;
    ALTER TABLE articles ALTER COLUMN article SET NOT NULL,
        ALTER COLUMN posted_at SET NOT NULL;
    CREATE INDEX articles_article ON articles (article, posted_at);
    CREATE INDEX articles_posted ON articles (posted_at);
    CREATE INDEX articles_feed ON articles (article) WHERE status = 'done' AND bound;
    CREATE TABLE withdrawn (id text PRIMARY KEY, withdrawn_at double precision NOT NULL);
    """,
)
"""Each schema version's statements, in order: version N is the first N applied."""
SCHEMA_VERSION = len(_MIGRATIONS)

_COLUMNS: LiteralString = (
    "id, status, source_url, script, voice, speed, done, total, error, attempts, timings,"
    " size_bytes, created_at, updated_at, finished_at, owner, bound, article, external_id,"
    " posted_at")
_A_COLUMNS: LiteralString = ", ".join(f"a.{name.strip()}" for name in _COLUMNS.split(","))
_NEWEST: LiteralString = (
    "NOT EXISTS (SELECT 1 FROM articles AS newer WHERE newer.article = a.article"
    " AND (newer.posted_at, newer.id) > (a.posted_at, a.id)")
"""The start of a condition: no version of its article was posted after this one (close it
with the further conditions on the newer one and a parenthesis)."""
_FINISHED_NEWEST: LiteralString = (
    "a.status = 'done' AND a.bound AND " + _NEWEST
    + " AND newer.status = 'done' AND newer.bound)")
"""A finished bound version that is its article's newest finished one: the feed's."""


def upgrade(url: str) -> tuple[int, int]:
    """Bring the database at `url` to SCHEMA_VERSION; (the version it had, the version now).
    Safe to run from several nodes at once (one transaction under an advisory lock)."""
    with psycopg.connect(url, autocommit=False) as db:
        db.execute("SELECT pg_advisory_xact_lock(7246524151)")
        db.execute("CREATE TABLE IF NOT EXISTS audiobrief_schema (version integer NOT NULL)")
        row = db.execute("SELECT version FROM audiobrief_schema").fetchone()
        before = row[0] if row else 0
        if before > SCHEMA_VERSION:
            raise SettingsError(f"the database is at schema version {before}, newer than this"
                                f" audiobrief's {SCHEMA_VERSION}; upgrade audiobrief")
        for statements in _MIGRATIONS[before:]:
            db.execute(statements)
        if row:
            db.execute("UPDATE audiobrief_schema SET version = %s", (SCHEMA_VERSION,))
        else:
            db.execute("INSERT INTO audiobrief_schema VALUES (%s)", (SCHEMA_VERSION,))
        db.commit()
    return before, SCHEMA_VERSION


def schema_version(url: str) -> int:
    """The database's schema version, 0 when it has none."""
    with psycopg.connect(url) as db:
        exists = db.execute("SELECT to_regclass('audiobrief_schema')").fetchone()
        if not exists or exists[0] is None:
            return 0
        row = db.execute("SELECT version FROM audiobrief_schema").fetchone()
        return row[0] if row else 0


class PostgresJobs:
    """The JobTable in PostgreSQL, with a lease per attempt."""

    def __init__(self, url: str, *, max_connections: int = 8, lease_s: float = LEASE_S) -> None:
        try:
            version = schema_version(url)
        except psycopg.Error as error:
            raise SettingsError(f"cannot reach AUDIOBRIEF_DATABASE_URL: {_first_line(error)}"
                                ) from None
        if version != SCHEMA_VERSION:
            raise SettingsError(
                f"the database is at schema version {version}, this audiobrief needs"
                f" {SCHEMA_VERSION}: run `audiobrief db upgrade`")
        self.url = url
        self.lease_s = lease_s
        self.pool = ConnectionPool(url, min_size=1, max_size=max_connections, open=True,
                                   kwargs={"autocommit": True}, name="audiobrief")

    def close(self) -> None:
        self.pool.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        """One transaction's cursor, its rows as dicts."""
        with self.pool.connection() as db, db.transaction(), \
                db.cursor(row_factory=dict_row) as cursor:
            yield cursor

    def _one(self, query: LiteralString, params: tuple[object, ...] = ()) -> dict[str, Any] | None:
        with self.pool.connection() as db, db.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(query, params).fetchone()

    def _all(self, query: LiteralString, params: tuple[object, ...] = ()) -> list[dict[str, Any]]:
        with self.pool.connection() as db, db.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(query, params).fetchall()

    def _count(self, query: LiteralString, params: tuple[object, ...] = ()) -> int:
        with self.pool.connection() as db:
            return db.execute(query, params).rowcount

    # Articles -------------------------------------------------------------------------------

    def add(self, article_id: str, script: Script, voice: str, speed: float,
            source_url: str | None, *, bound: bool = True,
            queue_limit: int | None = None, article: str | None = None,
            external_id: str | None = None) -> bool:
        now = time.time()
        article = article or article_id
        with self._transaction() as db:
            if queue_limit is not None:
                # One writer counts at a time, so simultaneous requests cannot all pass.
                db.execute("SELECT pg_advisory_xact_lock(7246524152)")
                _check_room(db, queue_limit)
            cursor = db.execute(
                "INSERT INTO articles (id, status, source_url, script, voice, speed, total,"
                " created_at, updated_at, bound, article, external_id, posted_at)"
                " VALUES (%s, 'queued', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING",
                (article_id, source_url, msgspec.json.encode(script), voice, speed,
                 script.sentence_count, now, now, bound, article, external_id, now))
            added = cursor.rowcount == 1
            if added and bound:
                _lift_withdrawal(db, article_id, article, source_url)
            return added

    def insert(self, record: Record, status: Status) -> bool:
        """Add an article as another table had it (a migration), with `status`; False when one
        with its id is here already."""
        rendition = record.rendition.without_pcm() if record.rendition else None
        return self._count(
            "INSERT INTO articles (id, status, source_url, script, voice, speed, done, total,"
            " error, attempts, timings, size_bytes, created_at, updated_at, finished_at, bound,"
            " article, external_id, posted_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (record.id, status, record.source_url, msgspec.json.encode(record.script),
             record.voice, record.speed, record.done if status == "done" else 0, record.total,
             record.error, msgspec.json.encode(rendition) if rendition else None,
             record.size_bytes, record.created_at, record.updated_at, record.finished_at,
             record.bound, record.article, record.external_id, record.posted_at)) == 1

    def repost(self, article_id: str, source_url: str | None, article: str | None,
               external_id: str | None) -> bool:
        with self._transaction() as db:
            row = db.execute(
                "UPDATE articles SET bound = true, source_url = coalesce(%s, source_url),"
                " article = coalesce(%s, article), external_id = coalesce(%s, external_id),"
                " posted_at = %s WHERE id = %s RETURNING article, source_url",
                (source_url, article, external_id, time.time(), article_id)).fetchone()
            if row is not None:
                _lift_withdrawal(db, article_id, row["article"], row["source_url"])
        return row is not None

    def get(self, article_id: str) -> Record | None:
        row = self._one("SELECT " + _COLUMNS + " FROM articles WHERE id = %s", (article_id,))
        return record(row) if row else None

    def latest_for_url(self, source_url: str) -> Record | None:
        row = self._one("SELECT " + _COLUMNS + " FROM articles WHERE source_url = %s AND bound"
                        " AND status != 'failed' ORDER BY status = 'done' DESC, posted_at DESC"
                        " LIMIT 1", (source_url,))
        return record(row) if row else None

    def answering(self, article: str) -> Record | None:
        row = self._one("SELECT " + _COLUMNS + " FROM articles WHERE article = %s"
                        " ORDER BY status = 'done' DESC, status != 'failed' DESC,"
                        " posted_at DESC LIMIT 1", (article,))
        return record(row) if row else None

    def articles(self, limit: int, *, status: Status | None = None,
                 url_prefix: str | None = None, after: Cursor | None = None) -> list[Record]:
        conditions: list[LiteralString] = [_NEWEST + ")"]
        params: list[object] = []
        if status is not None:
            conditions.append("a.status = %s")
            params.append(status)
        if url_prefix:
            conditions.append("left(a.source_url, %s) = %s")
            params += [len(url_prefix), url_prefix]
        if after is not None:
            conditions.append("(a.posted_at, a.id) < (%s, %s)")
            params += list(after)
        rows = self._all("SELECT " + _A_COLUMNS + " FROM articles AS a WHERE "
                         + " AND ".join(conditions)
                         + " ORDER BY a.posted_at DESC, a.id DESC LIMIT %s", (*params, limit))
        return [record(row) for row in rows]

    def finished(self, limit: int, offset: int = 0) -> list[Record]:
        rows = self._all("SELECT " + _A_COLUMNS + " FROM articles AS a WHERE " + _FINISHED_NEWEST
                         + " ORDER BY a.finished_at DESC LIMIT %s OFFSET %s", (limit, offset))
        return [record(row) for row in rows]

    def finished_count(self) -> int:
        # Each article with a finished bound version has one newest: count the articles.
        row = self._one("SELECT count(DISTINCT article) AS n FROM articles"
                        " WHERE status = 'done' AND bound")
        return int(row["n"]) if row else 0

    def withdraw(self, article_id: str) -> list[str] | None:
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT article FROM articles WHERE id = %s OR article = %s"
                             " LIMIT 1", (article_id, article_id)).fetchone()
            if row is None:
                gone = db.execute("SELECT 1 AS one FROM withdrawn WHERE id = %s",
                                  (article_id,)).fetchone()
                return [] if gone else None
            article = row["article"]
            deleted = db.execute("DELETE FROM articles WHERE article = %s"
                                 " RETURNING id, source_url, bound", (article,)).fetchall()
            versions = [(each["id"], each["source_url"], each["bound"]) for each in deleted]
            db.executemany("INSERT INTO withdrawn (id, withdrawn_at) VALUES (%s, %s)"
                           " ON CONFLICT (id) DO UPDATE SET withdrawn_at = excluded.withdrawn_at",
                           [(key, now) for key in withdrawal_keys(article, versions)])
        logger.info("article %s withdrawn: %d version(s)", article, len(versions))
        return [version for version, _, _ in versions]

    def withdrawn(self, key: str) -> bool:
        return self._one("SELECT 1 AS one FROM withdrawn WHERE id = %s", (key,)) is not None

    def finished_sizes(self) -> list[tuple[str, int | None]]:
        rows = self._all("SELECT id, size_bytes FROM articles WHERE status = 'done'")
        return [(row["id"], row["size_bytes"]) for row in rows]

    def counts(self) -> dict[Status, int]:
        rows = self._all("SELECT status, count(*) AS n FROM articles GROUP BY status")
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        counts.update({row["status"]: row["n"] for row in rows})
        return counts

    def waiting(self, limit: int = 10_000) -> list[str]:
        """Ids of the queued articles, oldest first (what the queue must hold)."""
        rows = self._all("SELECT id FROM articles WHERE status = 'queued'"
                         " ORDER BY created_at LIMIT %s", (limit,))
        return [row["id"] for row in rows]

    # Jobs -----------------------------------------------------------------------------------

    def next_queued(self) -> str | None:
        row = self._one("SELECT id FROM articles WHERE status = 'queued'"
                        " ORDER BY created_at LIMIT 1")
        return row["id"] if row else None

    def claim(self, article_id: str, owner: str, max_attempts: int = 3) -> Record | None:
        """Start the article for `owner` if it is queued, or running under a lease that ran out
        (its worker died); None otherwise. Past `max_attempts`, it is failed instead."""
        now = time.time()
        with self._transaction() as db:
            row = db.execute(
                "SELECT attempts, done, total FROM articles WHERE id = %s AND (status = 'queued'"
                " OR (status = 'running' AND lease_until < %s)) FOR UPDATE",
                (article_id, now)).fetchone()
            if row is None:
                return None
            if row["attempts"] >= max_attempts:
                reason = exhausted(row["attempts"], row["done"], row["total"], "worker")
                db.execute("UPDATE articles SET status = 'failed', error = %s, owner = NULL,"
                           " lease_until = NULL, updated_at = %s WHERE id = %s",
                           (reason, now, article_id))
                logger.warning("article %s failed: %s", article_id, reason)
                return None
            claimed = db.execute(
                "UPDATE articles SET status = 'running', done = 0, attempts = attempts + 1,"
                " owner = %s, lease_until = %s, updated_at = %s WHERE id = %s"
                " RETURNING " + _COLUMNS,
                (owner, now + self.lease_s, now, article_id)).fetchone()
        return record(claimed) if claimed else None

    def owns(self, article_id: str, owner: str) -> bool:
        return self._one("SELECT 1 AS one FROM articles WHERE id = %s AND status = 'running'"
                         " AND owner = %s", (article_id, owner)) is not None

    def renew(self, article_id: str, owner: str) -> bool:
        now = time.time()
        return self._count(
            "UPDATE articles SET lease_until = %s WHERE id = %s AND status = 'running'"
            " AND owner = %s", (now + self.lease_s, article_id, owner)) == 1

    def progress(self, article_id: str, owner: str, done: int) -> bool:
        now = time.time()
        return self._count(
            "UPDATE articles SET done = %s, updated_at = %s, lease_until = %s WHERE id = %s"
            " AND status = 'running' AND owner = %s",
            (done, now, now + self.lease_s, article_id, owner)) == 1

    def release(self, article_id: str, owner: str) -> bool:
        return self._count(
            "UPDATE articles SET status = 'queued', done = 0, owner = NULL, lease_until = NULL,"
            " attempts = greatest(0, attempts - 1), updated_at = %s"
            " WHERE id = %s AND status = 'running' AND owner = %s",
            (time.time(), article_id, owner)) == 1

    @contextlib.contextmanager
    def publishing(self, article_id: str, owner: str
                   ) -> Iterator[Callable[[Rendition, int], None] | None]:
        # The row stays locked while the caller stores the audio: no other attempt can take
        # the job over in between, and a caller killed meanwhile leaves the row as it was.
        with self._transaction() as db:
            held = db.execute("SELECT 1 FROM articles WHERE id = %s AND status = 'running'"
                              " AND owner = %s FOR UPDATE", (article_id, owner)).fetchone()
            if held is None:
                yield None
                return

            def publish(rendition: Rendition, size_bytes: int) -> None:
                now = time.time()
                db.execute(
                    "UPDATE articles SET status = 'done', done = total, timings = %s,"
                    " size_bytes = %s, error = NULL, owner = NULL, lease_until = NULL,"
                    " updated_at = %s, finished_at = %s WHERE id = %s",
                    (msgspec.json.encode(rendition.without_pcm()), size_bytes, now, now,
                     article_id))

            yield publish

    def fail(self, article_id: str, owner: str, error: str) -> bool:
        return self._count(
            "UPDATE articles SET status = 'failed', error = %s, owner = NULL, lease_until = NULL,"
            " updated_at = %s WHERE id = %s AND status = 'running' AND owner = %s",
            (error, time.time(), article_id, owner)) == 1

    def retry(self, article_id: str, queue_limit: int | None = None) -> bool:
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM articles WHERE id = %s AND status = 'failed'"
                          " FOR UPDATE", (article_id,)).fetchone() is None:
                return False
            if queue_limit is not None:
                db.execute("SELECT pg_advisory_xact_lock(7246524152)")
                _check_room(db, queue_limit)
            cursor = db.execute(
                "UPDATE articles SET status = 'queued', error = NULL, done = 0, attempts = 0,"
                " owner = NULL, updated_at = %s WHERE id = %s AND status = 'failed'",
                (time.time(), article_id))
            return cursor.rowcount == 1

    def requeue_damaged(self, article_id: str) -> bool:
        return self._count(
            "UPDATE articles SET status = 'queued', done = 0, attempts = 0, timings = NULL,"
            " size_bytes = NULL, finished_at = NULL, owner = NULL, updated_at = %s"
            " WHERE id = %s AND status = 'done'", (time.time(), article_id)) == 1

    def requeue_unfinished(self) -> int:
        """Queue again the jobs whose lease ran out (their worker died); attempts and progress
        stay, so `claim` can end a job that keeps killing its workers."""
        now = time.time()
        return self._count(
            "UPDATE articles SET status = 'queued', owner = NULL, lease_until = NULL,"
            " updated_at = %s WHERE status = 'running' AND lease_until < %s", (now, now))

    def evict(self, max_bytes: int, last_served: Mapping[str, float],
              keep: str | None = None) -> list[str]:
        rows = self._all("SELECT id, size_bytes, finished_at, bound, NOT " + _NEWEST
                         + " AND newer.status = 'done') AS superseded FROM articles AS a"
                         " WHERE status = 'done'")
        chosen = to_evict([Finished(row["id"], row["size_bytes"] or 0, row["finished_at"] or 0.0,
                                    row["bound"], row["superseded"]) for row in rows],
                          max_bytes, last_served, keep)
        if not chosen:
            return []
        deleted = self._all("DELETE FROM articles WHERE id = ANY(%s) AND status = 'done'"
                            " RETURNING id", (chosen,))
        return [row["id"] for row in deleted]

    def problems(self) -> list[str]:
        try:
            self._one("SELECT 1 AS one")
        except Exception as error:  # whatever it is, it is the answer a health check reports
            return [f"the database cannot be used: {_first_line(error)}"]
        return []


def _lift_withdrawal(db: psycopg.Cursor[dict[str, Any]], version: str, article: str,
                     source_url: str | None) -> None:
    """A version posted again by whoever may vouch for it: its ids answer again."""
    keys = [version, article, *filter(None, [article_key(source_url)])]
    db.execute("DELETE FROM withdrawn WHERE id = ANY(%s)", (keys,))


def _check_room(db: psycopg.Cursor[dict[str, Any]], queue_limit: int) -> None:
    row = db.execute("SELECT count(*) AS n FROM articles WHERE status IN ('queued', 'running')"
                     ).fetchone()
    if row is not None and row["n"] >= queue_limit:
        raise queue_full(queue_limit)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
