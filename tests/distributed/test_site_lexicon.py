"""The site lexicon's table on a real PostgreSQL server, shared by two nodes: what one stores the
other reads, within its recheck interval, and the limit holds across them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from audiobrief.errors import ConflictError
from audiobrief.service.postgres_lexicon import PostgresSiteTable
from audiobrief.service.site_lexicon import RECHECK_S, SiteLexicon, SqliteSiteTable
from audiobrief.settings import Settings
from audiobrief.voices import find_voice

VOICE = find_voice()


@pytest.fixture(params=["sqlite", "postgres"])
def tables(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[object, object]:
    """Two tables over one store, as two processes (or nodes) would open it."""
    if request.param == "sqlite":
        path = tmp_path / "audiobrief.sqlite3"
        return SqliteSiteTable(path), SqliteSiteTable(path)
    url = request.getfixturevalue("postgres_url")
    first, second = PostgresSiteTable(url), PostgresSiteTable(url)
    request.addfinalizer(first.close)
    request.addfinalizer(second.close)
    return first, second


def test_what_one_node_stores_the_other_reads(tables, tmp_path: Path) -> None:
    settings = Settings(data=tmp_path)
    one, other = (SiteLexicon(table, settings, max_entries=2) for table in tables)  # type: ignore[arg-type]
    assert other.lexicon().lookup("Kuleba") is None
    entry, created = one.set("Kuleba", respelling="koo-LEH-bah", note="minister", voice=VOICE)
    assert created
    deadline = time.monotonic() + RECHECK_S * 5
    while other.lexicon().lookup("Kuleba") != entry.phonemes:
        assert time.monotonic() < deadline, "the other node never saw the entry"
        time.sleep(0.1)
    assert other.get("kuleba") == entry
    assert other.search("kule", 10) == ([entry], 1)
    assert other.search("minis", 10) == ([entry], 1)
    assert other.search("50%", 10) == ([], 0)

    other.set("Sybiha", phonemes="sɪbˈiːhɑː", voice=VOICE)
    with pytest.raises(ConflictError):
        one.set("Syrskyi", phonemes="sˈɪɹskɪj", voice=VOICE)
    assert one.set("Sybiha", phonemes="sɪbˈɪhɑː", voice=VOICE)[1] is False

    assert one.delete("Kuleba") is True
    assert one.delete("Kuleba") is False
    deadline = time.monotonic() + RECHECK_S * 5
    while other.lexicon().lookup("Kuleba") is not None:
        assert time.monotonic() < deadline, "the other node kept the deleted entry"
        time.sleep(0.1)
    assert [e.word for e in other.search("", 10)[0]] == ["Sybiha"]
