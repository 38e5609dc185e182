"""The optimised-model cache: saved once, loaded after, rebuilt when damaged, optional."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from audiobrief.settings import Settings
from audiobrief.voices import Voice
from tests.stages import synthesize
from tests.test_synthesize import _script


def _speaks(voice: Voice) -> bool:
    script = _script("Kharkiv is in the east.")
    samples = np.frombuffer(synthesize(script, voice).pcm, dtype="<i2")
    return len(samples) > voice.spec.sample_rate_hz // 2 and int(np.abs(samples).max()) > 3000


def _cached(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.onnx"))


def test_first_load_saves_the_optimised_model_and_later_loads_use_it(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    assert _speaks(Voice.load(cache_dir=cache))
    [saved] = _cached(cache)
    assert saved.name.startswith("en_US-joe-medium-")
    assert saved.stat().st_size > 1_000_000
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]
    stamp = saved.stat().st_mtime_ns

    os.utime(saved, ns=(stamp - 10**9, stamp - 10**9))
    assert _speaks(Voice.load(cache_dir=cache, concurrency=2))
    assert _cached(cache) == [saved]
    assert saved.stat().st_mtime_ns == stamp - 10**9, "a cached model was written again"


def test_older_optimised_models_of_the_voice_are_dropped(tmp_path: Path) -> None:
    """Every install or runtime upgrade saves another 63 MB graph: the cache keeps the newest."""
    cache = tmp_path / "models"
    cache.mkdir()
    older = [cache / f"en_US-joe-medium-{n:016x}.ort.onnx" for n in range(4)]
    other_voice = cache / "en_GB-alan-medium-0123456789abcdef.ort.onnx"
    for age, path in enumerate([*older, other_voice]):
        path.write_bytes(b"an older optimised graph")
        stamp = 1_700_000_000 + 60 * (10 - age)  # older[0] is the newest of them
        os.utime(path, (stamp, stamp))

    assert _speaks(Voice.load(cache_dir=cache))
    [saved] = [p for p in _cached(cache) if p not in older and p != other_voice]
    assert sorted(_cached(cache)) == sorted([saved, older[0], older[1], other_voice])


def test_a_damaged_cache_entry_is_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    Voice.load(cache_dir=cache)
    [saved] = _cached(cache)
    saved.write_bytes(b"not a model")
    assert _speaks(Voice.load(cache_dir=cache))
    assert saved.stat().st_size > 1_000_000


def test_a_cache_under_a_file_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _speaks(Voice.load(cache_dir=blocker / "models"))


def test_the_cache_is_a_setting_and_can_be_turned_off(tmp_path: Path) -> None:
    home = Settings.from_env({"HOME": str(tmp_path)}).model_cache
    assert home == tmp_path / ".cache/audiobrief/models"
    xdg = Settings.from_env({"HOME": "/nowhere", "XDG_CACHE_HOME": str(tmp_path)}).model_cache
    assert xdg == tmp_path / "audiobrief/models"
    chosen = Settings.from_env({"AUDIOBRIEF_MODEL_CACHE": str(tmp_path)})
    assert chosen.model_cache == tmp_path
    assert Settings.from_env({"AUDIOBRIEF_MODEL_CACHE": ""}).model_cache is None
