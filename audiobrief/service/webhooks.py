"""Webhooks: an article's end (done, failed, deleted) → a signed JSON POST to each of
AUDIOBRIEF_WEBHOOK_URLS, kept in a table until delivered or given up, and sent, retried with
exponential backoff, by a thread of the service's own.

The signature is `X-Audiobrief-Signature: sha256=HEX`, HEX the HMAC-SHA256 under
AUDIOBRIEF_WEBHOOK_SECRET of `X-Audiobrief-Timestamp` (Unix seconds), a dot and the body
(`sign`); each attempt is signed anew, so a receiver may refuse any timestamp a few minutes old.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

import msgspec
from prometheus_client import CollectorRegistry, Counter

from audiobrief import fetch
from audiobrief.errors import (
    RefusedAddressError,
    SettingsError,
    SourceError,
)
from audiobrief.service.backends import Record
from audiobrief.service.sqlite import connect as sqlite_connect
from audiobrief.service.sqlite import create as create_sqlite
from audiobrief.settings import Settings

logger = logging.getLogger(__name__)

Event = Literal["article.done", "article.failed", "article.deleted"]
EVENTS: tuple[Event, ...] = ("article.done", "article.failed", "article.deleted")
DeliveryStatus = Literal["pending", "delivered", "failed"]

MAX_BACKOFF_S = 3600.0
"""The longest wait between two attempts at one delivery."""
MAX_RESPONSE_BYTES = 4096
"""What is read of a receiver's answer: its status is what counts."""
KEPT_DELIVERIES = 1000
"""Delivered and given-up deliveries kept for GET /v1/webhooks/deliveries; older ones go."""
BATCH = 8
"""Deliveries taken at once by the sending thread."""
IDLE_WAIT_S = 5.0
"""The longest the sending thread sleeps: another process may have added deliveries."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Audiobrief-Signature of `body` sent at `timestamp` (Unix seconds, as a string)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def shown_target(url: str) -> str:
    """A receiver's address without its query or user info, which may hold a token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        netloc = host if parts.port is None else f"{host}:{parts.port}"
    except ValueError:  # a port that is not a number
        netloc = host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def payload(event: Event, record: Record, settings: Settings) -> bytes:
    """The JSON body told of `record`: links absolute under AUDIOBRIEF_PUBLIC_URL when set."""
    base = (settings.public_url or "").rstrip("/")
    duration = record.duration_ms
    return msgspec.json.encode({
        "event": event, "id": record.id,
        "url": record.source_url or record.script.url,
        # Set by a CMS that gives its own id; a record without the field has none.
        "external_id": getattr(record, "external_id", None),
        "title": record.script.title,
        "status": "deleted" if event == "article.deleted" else record.status,
        "duration": duration / 1000 if duration is not None else None,
        "error": record.error,
        "links": {"self": f"{base}/v1/articles/{record.id}",
                  "audio": f"{base}/v1/articles/{record.id}/audio.mp3",
                  "embed": f"{base}/embed/{record.id}"},
        "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    })


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event told to one receiver, and how its attempts went."""

    id: str
    event: str
    article_id: str
    target: str
    body: bytes
    status: DeliveryStatus
    attempts: int
    next_at: float
    """When it is tried next (Unix time), while pending."""
    created_at: float
    updated_at: float
    response_status: int | None = None
    """The receiver's HTTP status at the last attempt, if it answered."""
    error: str | None = None
    """Why the last attempt failed."""


class DeliveryTable(Protocol):
    """Deliveries to be made and made, kept across restarts."""

    def add(self, deliveries: list[Delivery]) -> None: ...

    def take(self, now: float, limit: int, hold_s: float) -> list[Delivery]:
        """Pending deliveries due by `now`, oldest first, each held for `hold_s` (its next try
        pushed back, atomically) so no other sender takes it meanwhile."""
        ...

    def record(self, delivery: Delivery) -> None:
        """Store a delivery's outcome (status, attempts, next try, answer, error)."""
        ...

    def next_due(self) -> float | None:
        """When the next pending delivery is due, or None."""
        ...

    def recent(self, limit: int) -> list[Delivery]:
        """The last deliveries attempted or added, newest first."""
        ...

    def prune(self, keep: int) -> int:
        """Remove all but the newest `keep` deliveries that are no longer pending."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    article_id TEXT NOT NULL,
    target TEXT NOT NULL,
    body BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    response_status INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_updated ON webhook_deliveries (updated_at);
"""
FIELDS = ("id", "event", "article_id", "target", "body", "status", "attempts", "next_at",
           "created_at", "updated_at", "response_status", "error")


def delivery(row: Any) -> Delivery:
    values = dict(zip(FIELDS, row, strict=True))
    values["body"] = bytes(values["body"])
    return Delivery(**values)


class SqliteDeliveries:
    """The DeliveryTable in an SQLite file of its own (DATA/webhooks.sqlite3)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        create_sqlite(self.path, _SCHEMA)

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return sqlite_connect(self.path)

    def add(self, deliveries: list[Delivery]) -> None:
        with self._connect() as db:
            db.executemany(
                f"INSERT INTO webhook_deliveries ({', '.join(FIELDS)})"
                f" VALUES ({', '.join('?' * len(FIELDS))})",
                [tuple(getattr(item, name) for name in FIELDS) for item in deliveries])

    def take(self, now: float, limit: int, hold_s: float) -> list[Delivery]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    f"SELECT {', '.join(FIELDS)} FROM webhook_deliveries"
                    " WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
                    (now, limit)).fetchall()
                db.executemany("UPDATE webhook_deliveries SET next_at = ? WHERE id = ?",
                               [(now + hold_s, row[0]) for row in rows])
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return [delivery(row) for row in rows]

    def record(self, delivery: Delivery) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?,"
                " updated_at = ?, response_status = ?, error = ? WHERE id = ?",
                (delivery.status, delivery.attempts, delivery.next_at, delivery.updated_at,
                 delivery.response_status, delivery.error, delivery.id))

    def next_due(self) -> float | None:
        with self._connect() as db:
            row = db.execute("SELECT min(next_at) FROM webhook_deliveries"
                             " WHERE status = 'pending'").fetchone()
        return row[0]

    def recent(self, limit: int) -> list[Delivery]:
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(FIELDS)} FROM webhook_deliveries"
                              " ORDER BY updated_at DESC, created_at DESC LIMIT ?",
                              (limit,)).fetchall()
        return [delivery(row) for row in rows]

    def prune(self, keep: int) -> int:
        with self._connect() as db:
            cursor = db.execute(
                "DELETE FROM webhook_deliveries WHERE status != 'pending' AND id NOT IN"
                " (SELECT id FROM webhook_deliveries WHERE status != 'pending'"
                "  ORDER BY updated_at DESC LIMIT ?)", (keep,))
        return cursor.rowcount


def table_for(settings: Settings) -> DeliveryTable:
    """PostgreSQL in the distributed mode (every node sends and lists the same deliveries),
    else an SQLite file in the data directory."""
    if settings.distributed and settings.database_url:
        from audiobrief.service.postgres_desk import PostgresDeliveries

        return PostgresDeliveries(settings.database_url)
    return SqliteDeliveries(settings.data / "webhooks.sqlite3")


class Webhooks:
    """Tells the receivers of AUDIOBRIEF_WEBHOOK_URLS; `notify` stores a delivery for each, a
    thread sends them (from `start` to `stop`), retrying each with doubling waits."""

    def __init__(self, settings: Settings, table: DeliveryTable | None,
                 registry: CollectorRegistry) -> None:
        for url in settings.webhook_urls:
            if fetch.web_url(url) is None:
                raise SettingsError(f"AUDIOBRIEF_WEBHOOK_URLS: {shown_target(url) or url[:100]!r}"
                                    " is not an http(s) URL")
        self.settings = settings
        self.table = table
        self.limits = fetch.Limits(timeout_s=settings.webhook_timeout_s, refuse_private=True,
                                   allow_hosts=settings.allow_hosts)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = Counter("audiobrief_webhooks_delivered",
                                 "Webhooks a receiver accepted (2xx).", registry=registry)
        self.failed_attempts = Counter("audiobrief_webhook_attempts_failed",
                                       "Webhook attempts that failed (to be retried or not).",
                                       registry=registry)
        self.given_up = Counter("audiobrief_webhooks_given_up",
                                "Webhooks given up after their last attempt.", registry=registry)

    def notify(self, event: Event, record: Record) -> int:
        """Store `event` of `record` for each receiver and wake the sender; how many."""
        if self.table is None or not self.settings.webhook_urls:
            return 0
        body = payload(event, record, self.settings)
        now = time.time()
        self.table.add([Delivery(id=uuid.uuid4().hex, event=event, article_id=record.id,
                                 target=target, body=body, status="pending", attempts=0,
                                 next_at=now, created_at=now, updated_at=now)
                        for target in self.settings.webhook_urls])
        self._wake.set()
        return len(self.settings.webhook_urls)

    def start(self) -> None:
        if self.table is None or self._thread is not None:
            return
        if self.settings.webhook_urls and not self.settings.webhook_secret:
            logger.warning("AUDIOBRIEF_WEBHOOK_URLS is set without AUDIOBRIEF_WEBHOOK_SECRET:"
                           " webhooks are sent unsigned")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._send_all, daemon=True,
                                        name="audiobrief-webhooks")
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop sending; an attempt under way ends within its timeout (a delivery cut short is
        sent again by the next start)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _send_all(self) -> None:
        assert self.table is not None
        last_pruned = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                # Held long enough for the whole batch to time out one by one, so no other
                # node takes a delivery this one has yet to try.
                due = self.table.take(time.time(), BATCH,
                                      BATCH * self.settings.webhook_timeout_s + 60)
                for item in due:
                    if self._stopping.is_set():
                        break
                    self.table.record(self._attempt(item))
                if time.monotonic() - last_pruned > 600:
                    self.table.prune(KEPT_DELIVERIES)
                    last_pruned = time.monotonic()
                next_due = None if due else self.table.next_due()
            except Exception:  # the table cannot be used now: its deliveries wait there
                logger.exception("webhooks: could not read or record deliveries")
                self._stopping.wait(IDLE_WAIT_S)
                continue
            if due:
                continue
            wait = IDLE_WAIT_S if next_due is None else next_due - time.time()
            self._wake.wait(min(max(wait, 0.0), IDLE_WAIT_S))

    def _attempt(self, item: Delivery) -> Delivery:
        """One POST of a delivery; the delivery as it stands after it."""
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Audiobrief-Event": item.event,
                   "X-Audiobrief-Delivery": item.id, "X-Audiobrief-Timestamp": timestamp}
        if self.settings.webhook_secret:
            headers["X-Audiobrief-Signature"] = sign(self.settings.webhook_secret, timestamp,
                                                     item.body)
        attempts = item.attempts + 1
        answer: int | None = None
        final = attempts >= self.settings.webhook_attempts
        try:
            answer = fetch.post(item.target, item.body, headers, self.limits,
                                MAX_RESPONSE_BYTES).status
            error = None if 200 <= answer < 300 else f"the receiver answered HTTP {answer}"
        except RefusedAddressError as refused:
            error, final = str(refused), True  # the address will not become allowed by waiting
        except SourceError as failed:
            error = str(failed)
        except Exception as bug:  # never let one delivery stop the thread
            logger.exception("webhook %s to %s failed", item.id, shown_target(item.target))
            error = f"internal error: {type(bug).__name__}"
        now = time.time()
        if error is not None:
            # The full address may carry a token in its query: it is not kept in the log.
            error = error.replace(item.target, shown_target(item.target))
        if error is None:
            self.delivered.inc()
            status: DeliveryStatus = "delivered"
            next_at = now
        else:
            self.failed_attempts.inc()
            status = "failed" if final else "pending"
            next_at = now + min(self.settings.webhook_backoff_s * 2 ** (attempts - 1),
                                MAX_BACKOFF_S)
            if final:
                self.given_up.inc()
                logger.warning("webhook %s %s to %s given up after %d attempt(s): %s",
                               item.event, item.article_id, shown_target(item.target),
                               attempts, error)
            else:
                logger.info("webhook %s to %s failed (%s); attempt %d in %.0f s", item.event,
                            shown_target(item.target), error, attempts + 1, next_at - now)
        return Delivery(id=item.id, event=item.event, article_id=item.article_id,
                        target=item.target, body=item.body, status=status, attempts=attempts,
                        next_at=next_at, created_at=item.created_at, updated_at=now,
                        response_status=answer, error=error)
