"""Webhook deliveries and listening figures in PostgreSQL (distributed mode), in tables of their
own beside the job table's versioned schema, made when missing: every node sends the same
deliveries (each taken by one node, `FOR UPDATE SKIP LOCKED`) and counts into the same figures."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, LiteralString

import psycopg
from psycopg_pool import ConnectionPool

from audiobrief.errors import SettingsError
from audiobrief.service.events import Key
from audiobrief.service.webhooks import FIELDS, Delivery, delivery

_DELIVERIES = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id text PRIMARY KEY,
    event text NOT NULL,
    article_id text NOT NULL,
    target text NOT NULL,
    body bytea NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_at double precision NOT NULL,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    response_status integer,
    error text
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_updated ON webhook_deliveries (updated_at);
"""
_LISTENS = """
CREATE TABLE IF NOT EXISTS listens (
    article_id text NOT NULL,
    day text NOT NULL,
    kind text NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (article_id, day, kind)
);
CREATE INDEX IF NOT EXISTS listens_day ON listens (day);
"""
_COLUMNS: LiteralString = (
    "id, event, article_id, target, body, status, attempts, next_at, created_at, updated_at,"
    " response_status, error")


def _pool(url: str, schema: LiteralString, lock: int) -> ConnectionPool:
    try:
        with psycopg.connect(url, autocommit=False) as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))  # nodes starting at once
            db.execute(schema)
            db.commit()
    except psycopg.Error as error:
        raise SettingsError(f"cannot reach AUDIOBRIEF_DATABASE_URL: "
                            f"{str(error).splitlines()[0] if str(error) else error}") from None
    return ConnectionPool(url, min_size=1, max_size=2, open=True,
                          kwargs={"autocommit": True}, name="audiobrief-desk")


class PostgresDeliveries:
    """The DeliveryTable in PostgreSQL."""

    def __init__(self, url: str) -> None:
        assert tuple(_COLUMNS.split(", ")) == FIELDS
        self.pool = _pool(url, _DELIVERIES, 7246524160)

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.pool.connection() as db, db.transaction(), db.cursor() as cursor:
            yield cursor

    def add(self, deliveries: list[Delivery]) -> None:
        with self._cursor() as db:
            db.executemany(
                f"INSERT INTO webhook_deliveries ({_COLUMNS}) VALUES"
                f" ({', '.join(['%s'] * len(FIELDS))})",
                [tuple(getattr(item, name) for name in FIELDS) for item in deliveries])

    def take(self, now: float, limit: int, hold_s: float) -> list[Delivery]:
        with self._cursor() as db:
            rows = db.execute(
                f"UPDATE webhook_deliveries SET next_at = %s WHERE id IN"
                f" (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= %s"
                f"  ORDER BY next_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}",
                (now + hold_s, now, limit)).fetchall()
        return sorted((delivery(row) for row in rows), key=lambda item: item.created_at)

    def record(self, delivery: Delivery) -> None:
        with self._cursor() as db:
            db.execute(
                "UPDATE webhook_deliveries SET status = %s, attempts = %s, next_at = %s,"
                " updated_at = %s, response_status = %s, error = %s WHERE id = %s",
                (delivery.status, delivery.attempts, delivery.next_at, delivery.updated_at,
                 delivery.response_status, delivery.error, delivery.id))

    def next_due(self) -> float | None:
        with self._cursor() as db:
            row = db.execute("SELECT min(next_at) FROM webhook_deliveries"
                             " WHERE status = 'pending'").fetchone()
        return row[0] if row else None

    def recent(self, limit: int) -> list[Delivery]:
        with self._cursor() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM webhook_deliveries"
                              " ORDER BY updated_at DESC, created_at DESC LIMIT %s",
                              (limit,)).fetchall()
        return [delivery(row) for row in rows]

    def prune(self, keep: int) -> int:
        with self._cursor() as db:
            return db.execute(
                "DELETE FROM webhook_deliveries WHERE status != 'pending' AND id NOT IN"
                " (SELECT id FROM webhook_deliveries WHERE status != 'pending'"
                "  ORDER BY updated_at DESC LIMIT %s)", (keep,)).rowcount


class PostgresListens:
    """The ListenTable in PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.pool = _pool(url, _LISTENS, 7246524161)

    def add(self, counts: Mapping[Key, int]) -> None:
        with self.pool.connection() as db, db.transaction(), db.cursor() as cursor:
            # In key order, so two nodes adding the same keys cannot deadlock.
            cursor.executemany(
                "INSERT INTO listens (article_id, day, kind, count) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (article_id, day, kind)"
                " DO UPDATE SET count = listens.count + excluded.count",
                [(*key, count) for key, count in sorted(counts.items())])

    def counts(self, article_id: str, since: str) -> dict[tuple[str, str], int]:
        with self.pool.connection() as db:
            rows = db.execute("SELECT day, kind, count FROM listens"
                              " WHERE article_id = %s AND day >= %s",
                              (article_id, since)).fetchall()
        return {(day, kind): int(count) for day, kind, count in rows}

    def totals(self, since: str, limit: int) -> dict[str, dict[str, int]]:
        with self.pool.connection() as db:
            rows = db.execute(
                "SELECT article_id, kind, sum(count) FROM listens WHERE day >= %s AND article_id"
                " IN (SELECT article_id FROM listens WHERE day >= %s AND kind = 'play'"
                "     GROUP BY article_id ORDER BY sum(count) DESC LIMIT %s)"
                " GROUP BY article_id, kind", (since, since, limit)).fetchall()
        totals: dict[str, dict[str, int]] = {}
        for article_id, kind, count in rows:
            totals.setdefault(article_id, {})[kind] = int(count)
        return totals
