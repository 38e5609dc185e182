"""The service's state on disk: an SQLite table of articles (jobs) and content-addressed files.

    DATA/audiobrief.sqlite3     one row per article: request, status, progress, script, timings
    DATA/audio/ID.mp3           finished audio, renamed into place only when whole
    DATA/audio/ID.frames        MP3 frames of a job still running, appended sentence by sentence
    DATA/sentences/AB/KEY.pcm   audio of each sentence ever made (key: voice and
                                phonemizer, speed, spoken text; see `sentence_key`)

Every call opens its own short-lived connection (WAL mode), so worker threads and request
handlers never share one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from audiobrief.files import write_atomic, write_atomic_after
from audiobrief.model import Rendition, Script

logger = logging.getLogger(__name__)

Status = Literal["queued", "running", "done", "failed"]
STATUSES: tuple[Status, ...] = ("queued", "running", "done", "failed")

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


class Timings(msgspec.Struct, frozen=True):
    """What the finished audio's timings are, enough to rebuild a Rendition without its PCM."""

    sample_rate_hz: int
    sentence_samples: tuple[tuple[int, int], ...]
    length_samples: int

    def rendition(self) -> Rendition:
        return Rendition(self.sample_rate_hz, b"", self.sentence_samples, self.length_samples)


@dataclass(frozen=True, slots=True)
class Record:
    """One article as the store knows it."""

    id: str
    status: Status
    source_url: str | None
    script: Script
    voice: str
    speed: float
    done: int
    """Sentences synthesised so far."""
    total: int
    error: str | None
    attempts: int
    timings: Timings | None
    size_bytes: int | None
    created_at: float
    updated_at: float
    finished_at: float | None

    @property
    def rendition(self) -> Rendition | None:
        return self.timings.rendition() if self.timings else None

    @property
    def age_s(self) -> float:
        """Seconds since it finished (or was queued)."""
        return time.time() - (self.finished_at or self.created_at)

    @property
    def duration_ms(self) -> int | None:
        rendition = self.rendition
        return rendition.duration_ms if rendition else None


_script_decoder = msgspec.json.Decoder(Script)
_timings_decoder = msgspec.json.Decoder(Timings)


class Store:
    """Articles and their audio under one data directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.audio_dir = self.root / "audio"
        self.sentence_dir = self.root / "sentences"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self.sentence_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "audiobrief.sqlite3"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    # Articles -------------------------------------------------------------------------------

    def add(self, article_id: str, script: Script, voice: str, speed: float,
            source_url: str | None) -> bool:
        """Queue a new article; False when one with this id exists already."""
        now = time.time()
        total = script.sentence_count
        with self._connect() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO articles (id, status, source_url, script, voice, speed,"
                " total, created_at, updated_at) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (article_id, source_url, msgspec.json.encode(script), voice, speed, total, now,
                 now))
            return cursor.rowcount == 1

    def get(self, article_id: str) -> Record | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _record(row) if row else None

    def latest_for_url(self, source_url: str) -> Record | None:
        """The newest article made from this URL that has not failed."""
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM articles WHERE source_url = ? AND status != 'failed'"
                " ORDER BY created_at DESC LIMIT 1", (source_url,)).fetchone()
        return _record(row) if row else None

    def finished(self, limit: int, offset: int = 0) -> list[Record]:
        """Finished articles, newest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM articles WHERE status = 'done' ORDER BY finished_at DESC"
                " LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [_record(row) for row in rows]

    def counts(self) -> dict[Status, int]:
        """Articles by status."""
        with self._connect() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM articles GROUP BY status").fetchall()
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        counts.update({row[0]: row[1] for row in rows})
        return counts

    def waiting(self) -> int:
        """Articles queued or running."""
        with self._connect() as db:
            return int(db.execute(
                "SELECT COUNT(*) FROM articles WHERE status IN ('queued', 'running')"
            ).fetchone()[0])

    # Jobs -----------------------------------------------------------------------------------

    def requeue_unfinished(self) -> int:
        """Put back in the queue what was running when the process stopped; returns how many."""
        with self._connect() as db:
            cursor = db.execute("UPDATE articles SET status = 'queued', done = 0, updated_at = ?"
                                " WHERE status = 'running'", (time.time(),))
        for partial in self.audio_dir.glob("*.frames"):
            partial.unlink(missing_ok=True)
        return cursor.rowcount

    def claim(self) -> Record | None:
        """Take the oldest queued article for a worker (atomically), or None."""
        with self._connect() as db:
            row = db.execute(
                "UPDATE articles SET status = 'running', done = 0, attempts = attempts + 1,"
                " updated_at = ? WHERE id = (SELECT id FROM articles WHERE status = 'queued'"
                " ORDER BY created_at LIMIT 1) AND status = 'queued' RETURNING *",
                (time.time(),)).fetchone()
        return _record(row) if row else None

    def progress(self, article_id: str, done: int) -> None:
        with self._connect() as db:
            db.execute("UPDATE articles SET done = ?, updated_at = ? WHERE id = ?",
                       (done, time.time(), article_id))

    def release(self, article_id: str) -> None:
        """A running article goes back to the queue (the service is stopping)."""
        with self._connect() as db:
            db.execute("UPDATE articles SET status = 'queued', done = 0, updated_at = ?"
                       " WHERE id = ? AND status = 'running'", (time.time(), article_id))
        self.partial_path(article_id).unlink(missing_ok=True)

    def finish(self, article_id: str, head: bytes, timings: Timings) -> None:
        """Put the whole MP3 in place, `head` then the frames written to the partial file, and
        mark the article done."""
        with open(self.partial_path(article_id), "rb") as frames:
            size = write_atomic_after(self.audio_path(article_id), head, frames)
        now = time.time()
        with self._connect() as db:
            db.execute(
                "UPDATE articles SET status = 'done', done = total, timings = ?, size_bytes = ?,"
                " error = NULL, updated_at = ?, finished_at = ? WHERE id = ?",
                (msgspec.json.encode(timings), size, now, now, article_id))
        self.partial_path(article_id).unlink(missing_ok=True)

    def fail(self, article_id: str, error: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE articles SET status = 'failed', error = ?, updated_at = ?"
                       " WHERE id = ?", (error, time.time(), article_id))
        self.partial_path(article_id).unlink(missing_ok=True)

    def retry(self, article_id: str) -> bool:
        """Queue a failed article again; False when it had not failed."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE articles SET status = 'queued', error = NULL, done = 0, updated_at = ?"
                " WHERE id = ? AND status = 'failed'", (time.time(), article_id))
        return cursor.rowcount == 1

    # Files ----------------------------------------------------------------------------------

    def audio_path(self, article_id: str) -> Path:
        return self.audio_dir / f"{article_id}.mp3"

    def partial_path(self, article_id: str) -> Path:
        return self.audio_dir / f"{article_id}.frames"


class SentenceFiles:
    """Sentence audio cached as files, so an unchanged sentence is never synthesised twice.

    Bounded: `prune()` removes the least recently used files once they pass `max_bytes` (a hit
    marks a file used by touching it).
    """

    def __init__(self, root: Path, max_bytes: int = 2_000_000_000) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pcm"

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            pcm = path.read_bytes()
        except FileNotFoundError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return pcm

    def put(self, key: str, pcm: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, pcm)

    def prune(self) -> int:
        """Remove the least recently used files until the cache is under 90 % of its bound;
        returns how many were removed."""
        files = []
        for path in self.root.glob("*/*.pcm"):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        if total <= self.max_bytes:
            return 0
        removed = 0
        for _, size, path in sorted(files):
            if total <= self.max_bytes * 0.9:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        logger.info("sentence cache: removed %d least recently used files", removed)
        return removed


def _record(row: sqlite3.Row) -> Record:
    values: dict[str, Any] = dict(row)
    values["script"] = _script_decoder.decode(values["script"])
    values["timings"] = _timings_decoder.decode(values["timings"]) if values["timings"] else None
    return Record(**values)
