"""The site lexicon's table in PostgreSQL, for many web nodes: created when missing (a table of its
own, outside the job table's versioned schema), read and written through a small pool."""

from __future__ import annotations

import dataclasses
from typing import LiteralString

import psycopg
from psycopg_pool import ConnectionPool

from audiobrief.errors import SettingsError
from audiobrief.service.site_lexicon import SiteEntry, entry_of, full, like_pattern

_SCHEMA: LiteralString = """
CREATE TABLE IF NOT EXISTS site_lexicon (
    key text PRIMARY KEY,
    word text NOT NULL,
    phonemes text NOT NULL,
    respelling text,
    note text NOT NULL DEFAULT '',
    updated_at double precision NOT NULL
)
"""
_COLUMNS: LiteralString = "word, phonemes, respelling, note, updated_at"


class PostgresSiteTable:
    """The SiteTable in PostgreSQL."""

    def __init__(self, url: str, max_connections: int = 2) -> None:
        try:
            # Two nodes starting at once may both try to create it; one lock orders them.
            with psycopg.connect(url, autocommit=True) as db, db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(7246524152)")
                db.execute(_SCHEMA)
        except psycopg.Error as error:
            raise SettingsError(f"cannot reach AUDIOBRIEF_DATABASE_URL for the site lexicon:"
                                f" {str(error).splitlines()[0] if str(error) else error}"
                                ) from None
        # No connection held while idle: a worker opens the table but never reads it.
        self.pool = ConnectionPool(url, min_size=0, max_size=max_connections, open=True,
                                   kwargs={"autocommit": True}, name="audiobrief-lexicon")

    def close(self) -> None:
        self.pool.close()

    def get(self, key: str) -> SiteEntry | None:
        with self.pool.connection() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM site_lexicon WHERE key = %s",
                             (key,)).fetchone()
        return entry_of(row) if row else None

    def put(self, entry: SiteEntry, max_entries: int) -> bool:
        with self.pool.connection() as db, db.transaction():
            # Counted and stored under one lock, so nodes at once cannot all pass the limit.
            db.execute("LOCK TABLE site_lexicon IN SHARE ROW EXCLUSIVE MODE")
            exists = db.execute("SELECT 1 FROM site_lexicon WHERE key = %s",
                                (entry.key,)).fetchone() is not None
            if not exists:
                row = db.execute("SELECT COUNT(*) FROM site_lexicon").fetchone()
                if row and row[0] >= max_entries:
                    raise full(max_entries)
            db.execute(
                "INSERT INTO site_lexicon (key, word, phonemes, respelling, note, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET word ="
                " excluded.word, phonemes = excluded.phonemes, respelling = excluded.respelling,"
                " note = excluded.note, updated_at = excluded.updated_at",
                (entry.key, *dataclasses.astuple(entry)))
        return not exists

    def delete(self, key: str) -> bool:
        with self.pool.connection() as db:
            return db.execute("DELETE FROM site_lexicon WHERE key = %s", (key,)).rowcount > 0

    def search(self, query: str, limit: int, offset: int = 0) -> tuple[list[SiteEntry], int]:
        with self.pool.connection() as db:
            if query:
                pattern = like_pattern(query)
                where: LiteralString = " WHERE key LIKE %s OR lower(note) LIKE %s"
                params: tuple[object, ...] = (pattern, pattern.lower())
            else:
                where, params = "", ()
            rows = db.execute(f"SELECT {_COLUMNS} FROM site_lexicon{where} ORDER BY key"
                              " LIMIT %s OFFSET %s", (*params, limit, offset)).fetchall()
            total = db.execute(f"SELECT COUNT(*) FROM site_lexicon{where}", params).fetchone()
        return [entry_of(row) for row in rows], int(total[0]) if total else 0

    def revision(self) -> tuple[int, float]:
        with self.pool.connection() as db:
            row = db.execute(
                "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM site_lexicon").fetchone()
        return (int(row[0]), float(row[1])) if row else (0, 0.0)

    def all(self) -> list[SiteEntry]:
        with self.pool.connection() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM site_lexicon ORDER BY key").fetchall()
        return [entry_of(row) for row in rows]
