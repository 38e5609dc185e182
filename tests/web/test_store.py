"""The sentence cache on disk: hits are exact, and it stays within its bound, oldest out first."""

from __future__ import annotations

import os
from pathlib import Path

from audiobrief.web.store import SentenceFiles


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
