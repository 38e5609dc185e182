"""The sentence cache on disk: hits are exact, and it stays within its bound, oldest out first."""

from __future__ import annotations

import os
from pathlib import Path

from audiobrief.service.local import SentenceFiles


def test_cache_returns_what_was_put(tmp_path: Path) -> None:
    cache = SentenceFiles(tmp_path)
    assert cache.get("ab" + "0" * 62) is None
    cache.put("ab" + "0" * 62, b"\x01\x02" * 100)
    assert cache.get("ab" + "0" * 62) == b"\x01\x02" * 100


def test_cache_drops_least_recently_used_past_its_bound(tmp_path: Path) -> None:
    cache = SentenceFiles(tmp_path, max_bytes=10_000)
    keys = [f"{n:02d}" + "f" * 62 for n in range(6)]
    for age, key in enumerate(keys):
        cache.put(key, bytes(2_000))
        then = 1_700_000_000 + age
        os.utime(cache._path(key), (then, then))
    assert cache.get(keys[0]) is not None  # a hit: the oldest becomes the newest
    assert cache.prune() == 2  # 12 kB → 8 kB, under 90 % of the bound
    assert cache.get(keys[0]) is not None
    assert [cache.get(key) is None for key in keys[1:]] == [True, True, False, False, False]
    assert cache.prune() == 0


def test_a_data_directory_of_an_older_version_keeps_working(tmp_path: Path) -> None:
    """Columns added since (the running attempt, whether the URL is vouched for) are added to
    an existing table; its articles still answer for their URLs."""
    import sqlite3

    import msgspec

    from audiobrief.model import Script
    from audiobrief.service.sqlite import SqliteJobs

    old = tmp_path / "data"
    old.mkdir()
    script = Script(title="Old", byline=None, date=None, site=None,
                    url="https://news.example/old/", language="en", chapters=())
    with sqlite3.connect(old / "audiobrief.sqlite3") as db:
        db.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, status TEXT NOT NULL,"
                   " source_url TEXT, script BLOB NOT NULL, voice TEXT NOT NULL, speed REAL"
                   " NOT NULL, done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL, error"
                   " TEXT, attempts INTEGER NOT NULL DEFAULT 0, timings BLOB, size_bytes INTEGER,"
                   " created_at REAL NOT NULL, updated_at REAL NOT NULL, finished_at REAL)")
        db.execute("INSERT INTO articles (id, status, source_url, script, voice, speed, total,"
                   " created_at, updated_at) VALUES ('a', 'queued', ?, ?, 'v', 1.0, 0, 1, 1)",
                   ("https://news.example/old/", msgspec.json.encode(script)))
        # A finished one, its timings as the first versions wrote them.
        db.execute("INSERT INTO articles (id, status, source_url, script, voice, speed, total,"
                   " timings, size_bytes, created_at, updated_at, finished_at)"
                   " VALUES ('b', 'done', ?, ?, 'v', 1.0, 1, ?, 9, 1, 1, 2)",
                   ("https://news.example/done/", msgspec.json.encode(script),
                    b'{"sample_rate_hz":22050,"sentence_samples":[[0,22050]],'
                    b'"length_samples":44100}'))
    store = SqliteJobs(old / "audiobrief.sqlite3")
    SqliteJobs(old / "audiobrief.sqlite3")  # opening it again changes nothing
    record = store.latest_for_url("https://news.example/old/")
    assert record is not None and record.bound and record.owner is None
    done = store.get("b")
    assert done is not None and done.rendition is not None
    assert (done.duration_ms, done.rendition.sentence_spans()[0].end_ms) == (2000, 1000)


def test_one_holder_of_the_data_lock_at_a_time(tmp_path: Path) -> None:
    import pytest

    from audiobrief.errors import DataLockedError
    from audiobrief.service.local import DataLock

    first = DataLock(tmp_path)
    first.acquire()
    with pytest.raises(DataLockedError, match=rf"pid {os.getpid()}"):
        DataLock(tmp_path).acquire()
    first.release()
    second = DataLock(tmp_path)
    second.acquire()
    assert second.held
    second.release()
