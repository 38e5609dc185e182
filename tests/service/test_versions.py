"""The SQLite job table keeps an article's versions, lists articles and withdraws them (the
checks in versions.py; tests/distributed runs them on PostgreSQL), and gives the rows of an
older data directory their article."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from audiobrief.service.backends import JobTable, article_key
from audiobrief.service.sqlite import SqliteJobs
from tests.service.versions import CHECKS, URL, _script


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_sqlite(check: Callable[[JobTable], None], tmp_path: Path) -> None:
    check(SqliteJobs(tmp_path / "audiobrief.sqlite3"))


def test_rows_of_an_older_table_are_versions_of_their_urls_article(tmp_path: Path) -> None:
    import sqlite3

    import msgspec

    path = tmp_path / "audiobrief.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, status TEXT NOT NULL,"
                   " source_url TEXT, script BLOB NOT NULL, voice TEXT NOT NULL, speed REAL"
                   " NOT NULL, done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL, error"
                   " TEXT, attempts INTEGER NOT NULL DEFAULT 0, timings BLOB, size_bytes INTEGER,"
                   " created_at REAL NOT NULL, updated_at REAL NOT NULL, finished_at REAL,"
                   " owner TEXT, bound INTEGER NOT NULL DEFAULT 1)")
        for version, created, bound in (("old", 1, 1), ("edit", 2, 1), ("stranger", 3, 0)):
            db.execute("INSERT INTO articles (id, status, source_url, script, voice, speed,"
                       " total, created_at, updated_at, bound)"
                       " VALUES (?, 'queued', ?, ?, 'v', 1.0, 0, ?, ?, ?)",
                       (version, URL, msgspec.json.encode(_script(version)), created, created,
                        bound))
    jobs = SqliteJobs(path)
    listed = jobs.articles(10)
    assert [(record.id, record.article) for record in listed] == [
        ("stranger", "stranger"), ("edit", article_key(URL))]
    assert listed[1].posted_at == 2
