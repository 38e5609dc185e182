"""Listening figures: the player's anonymous events → counts per article, day and kind, tallied
in memory and added to a table every few seconds; read back as plays, completion rate and the
average share listened, by day.

Nothing of the listener is kept: no address, no identifier, not even one event's time, only how
many of each kind an article had on a day (UTC).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import sqlite3
import threading
from collections import Counter as Tally
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from prometheus_client import CollectorRegistry, Counter

from audiobrief.service.sqlite import connect as sqlite_connect
from audiobrief.service.sqlite import create as create_sqlite
from audiobrief.settings import Settings

logger = logging.getLogger(__name__)

Kind = Literal["play", "25", "50", "75", "complete", "chapter"]
KINDS: tuple[Kind, ...] = ("play", "25", "50", "75", "complete", "chapter")
"""A play started; a quarter, half or three quarters of the audio reached; the end reached; a
jump to a chapter."""
FLUSH_S = 5.0
"""How often the tally in memory is added to the table (what a crash may lose)."""

Key = tuple[str, str, str]
"""(article id, day as YYYY-MM-DD, kind)"""


def today() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class Figures:
    """An article's (or a day's) counts, and what they tell."""

    plays: int = 0
    quarter: int = 0
    """Plays that reached a quarter of the audio."""
    half: int = 0
    three_quarters: int = 0
    completes: int = 0
    chapter_jumps: int = 0

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Figures:
        return cls(plays=counts.get("play", 0), quarter=counts.get("25", 0),
                   half=counts.get("50", 0), three_quarters=counts.get("75", 0),
                   completes=counts.get("complete", 0), chapter_jumps=counts.get("chapter", 0))

    @property
    def completion_rate(self) -> float:
        """Share of plays that reached the end."""
        return min(self.completes / self.plays, 1.0) if self.plays else 0.0

    @property
    def average_share(self) -> float:
        """Share of the audio a play heard on average, counted in quarters: each play counts
        the last mark it reached (a play that stopped at 60 % counts as a half), so this is a
        floor, at most a quarter below the truth."""
        if not self.plays:
            return 0.0
        reached = self.quarter + self.half + self.three_quarters + self.completes
        return min(0.25 * reached / self.plays, 1.0)


class ListenTable(Protocol):
    """Counts of listening events per article, day and kind."""

    def add(self, counts: Mapping[Key, int]) -> None: ...

    def counts(self, article_id: str, since: str) -> dict[tuple[str, str], int]:
        """(day, kind) → count for an article, from day `since` on."""
        ...

    def totals(self, since: str, limit: int) -> dict[str, dict[str, int]]:
        """article id → kind → count from day `since` on, for the `limit` most played."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS listens (
    article_id TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (article_id, day, kind)
);
CREATE INDEX IF NOT EXISTS listens_day ON listens (day);
"""


class SqliteListens:
    """The ListenTable in an SQLite file of its own (DATA/listens.sqlite3)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        create_sqlite(self.path, _SCHEMA)

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return sqlite_connect(self.path)

    def add(self, counts: Mapping[Key, int]) -> None:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO listens (article_id, day, kind, count) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (article_id, day, kind) DO UPDATE SET count = count + excluded.count",
                [(*key, count) for key, count in counts.items()])
            db.execute("COMMIT")

    def counts(self, article_id: str, since: str) -> dict[tuple[str, str], int]:
        with self._connect() as db:
            rows = db.execute("SELECT day, kind, count FROM listens"
                              " WHERE article_id = ? AND day >= ?", (article_id, since))
            return {(day, kind): count for day, kind, count in rows}

    def totals(self, since: str, limit: int) -> dict[str, dict[str, int]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT article_id, kind, sum(count) FROM listens WHERE day >= ? AND article_id"
                " IN (SELECT article_id FROM listens WHERE day >= ? AND kind = 'play'"
                "     GROUP BY article_id ORDER BY sum(count) DESC LIMIT ?)"
                " GROUP BY article_id, kind", (since, since, limit)).fetchall()
        totals: dict[str, dict[str, int]] = {}
        for article_id, kind, count in rows:
            totals.setdefault(article_id, {})[kind] = count
        return totals


def table_for(settings: Settings) -> ListenTable:
    """PostgreSQL in the distributed mode (every node counts into the same figures), else an
    SQLite file in the data directory."""
    if settings.distributed and settings.database_url:
        from audiobrief.service.postgres_desk import PostgresListens

        return PostgresListens(settings.database_url)
    return SqliteListens(settings.data / "listens.sqlite3")


class Listens:
    """The service's listening figures: `count` tallies in memory (a request never waits on a
    write), a thread adds the tally to the table every FLUSH_S and at `stop`; reads add what
    is not written yet."""

    def __init__(self, table: ListenTable, registry: CollectorRegistry) -> None:
        self.table = table
        self._tally: Tally[Key] = Tally()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.events = Counter("audiobrief_listen_events", "Listening events counted, by kind.",
                              ["kind"], registry=registry)
        for kind in KINDS:
            self.events.labels(kind)

    def count(self, article_id: str, kind: Kind) -> None:
        with self._lock:
            self._tally[(article_id, today(), kind)] += 1
        self.events.labels(kind).inc()

    def flush(self) -> None:
        """Add the tally to the table; kept for the next flush if the table cannot take it."""
        with self._lock:
            tally, self._tally = self._tally, Tally()
        if not tally:
            return
        try:
            self.table.add(tally)
        except Exception:
            logger.exception("listening figures: could not store %d count(s)", len(tally))
            with self._lock:
                self._tally.update(tally)

    def by_day(self, article_id: str, days: int) -> tuple[Figures, list[tuple[str, Figures]]]:
        """An article's figures over the last `days` days (today included) and per day, newest
        first."""
        since = _days_ago(days - 1)
        counts = Tally(self.table.counts(article_id, since))
        with self._lock:
            counts.update({(day, kind): count for (article, day, kind), count
                           in self._tally.items() if article == article_id and day >= since})
        days_seen: dict[str, dict[str, int]] = {}
        total: Tally[str] = Tally()
        for (day, kind), count in counts.items():
            days_seen.setdefault(day, {})[kind] = count
            total[kind] += count
        return Figures.of(total), [(day, Figures.of(days_seen[day]))
                                   for day in sorted(days_seen, reverse=True)]

    def most_played(self, days: int, limit: int) -> list[tuple[str, Figures]]:
        """The `limit` articles played most over the last `days` days, with their figures."""
        self.flush()  # a desk page is read rarely; its figures include the last seconds
        totals = self.table.totals(_days_ago(days - 1), limit)
        ranked = sorted(totals.items(), key=lambda item: (-item[1].get("play", 0), item[0]))
        return [(article_id, Figures.of(counts)) for article_id, counts in ranked]

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._flush_often, daemon=True,
                                        name="audiobrief-listens")
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self.flush()

    def _flush_often(self) -> None:
        while not self._stopping.wait(FLUSH_S):
            self.flush()


def _days_ago(days: int) -> str:
    return (datetime.datetime.now(datetime.UTC).date()
            - datetime.timedelta(days=max(days, 0))).isoformat()
