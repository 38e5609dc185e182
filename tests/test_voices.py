"""How much runs at once by default: the cores this process may use, within a container's quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiobrief.runtime import cpu_quota, default_workers


def _cgroup(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(("files", "cpus"), [
    ({"cpu.max": "150000 100000\n"}, 1.5),  # cgroup v2, docker --cpus=1.5
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu.max": "garbage"}, None),
    ({}, None),
])
def test_cpu_quota_of_a_container(tmp_path: Path, files: dict[str, str],
                                  cpus: float | None) -> None:
    assert cpu_quota(_cgroup(tmp_path, files)) == cpus


def test_a_quota_of_one_cpu_means_one_worker_however_many_cores(tmp_path: Path) -> None:
    one_cpu = _cgroup(tmp_path / "one", {"cpu.max": "100000 100000\n"})
    half = _cgroup(tmp_path / "half", {"cpu.max": "50000 100000\n"})
    assert default_workers(one_cpu) == 1
    assert default_workers(half) == 1


def test_without_a_quota_every_core_the_process_may_use(tmp_path: Path) -> None:
    assert default_workers(tmp_path) == len(os.sched_getaffinity(0))
    roomy = _cgroup(tmp_path / "roomy", {"cpu.max": "6400000 100000\n"})
    assert default_workers(roomy) == len(os.sched_getaffinity(0))


def _enters_while_held(voice, held_ids: int, asking_ids: int) -> tuple[bool, bool]:
    """Whether a run of `asking_ids` starts while one of `held_ids` is under way, and whether
    it starts once that one is over."""
    import threading

    holding, release, entered = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with voice.borrow(held_ids):
            holding.set()
            release.wait(10)

    def ask() -> None:
        with voice.borrow(asking_ids):
            entered.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    asker = threading.Thread(target=ask)
    asker.start()
    during = entered.wait(0.5)
    release.set()
    after = entered.wait(10)
    holder.join(10)
    asker.join(10)
    return during, after


def test_two_ordinary_runs_share_the_voice_and_two_long_ones_take_turns(voice) -> None:
    from audiobrief.voices import Voice

    shared = Voice(voice.spec, voice.piper, concurrency=2, ids_at_once=600)
    assert _enters_while_held(shared, 290, 300) == (True, True)
    assert _enters_while_held(shared, 400, 400) == (False, True)
    one_at_a_time = Voice(voice.spec, voice.piper, concurrency=1)
    assert _enters_while_held(one_at_a_time, 10, 10) == (False, True)
