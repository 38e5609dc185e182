"""files.write_atomic: the output file is the new content whole, or the old one untouched."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiobrief.atomic import write_atomic, write_atomic_after


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"ID3\x04 mp3 bytes", b"ID3\x04 mp3 bytes"),
        (
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nKyiv – Київ\n",
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nKyiv – Київ\n".encode(),
        ),
        ([b"ID3", b"Info", b"frames"], b"ID3Infoframes"),
    ],
    ids=["bytes", "text-as-utf8", "chunks"],
)
def test_writes_whole_and_leaves_no_temporary(
    tmp_path: Path, data: bytes | str | list[bytes], expected: bytes
) -> None:
    path = tmp_path / "article.mp3"
    path.write_bytes(b"old")
    write_atomic(path, data)
    assert path.read_bytes() == expected
    assert os.listdir(tmp_path) == ["article.mp3"]


def test_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "article.mp3"
    write_atomic(path, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_failure_while_producing_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "article.mp3"
    path.write_bytes(b"the previous narration")

    def frames() -> Iterator[bytes]:
        yield b"ID3 half a file"
        raise RuntimeError("synthesis failed")

    with pytest.raises(RuntimeError, match="synthesis failed"):
        write_atomic(path, frames())
    assert path.read_bytes() == b"the previous narration"
    assert os.listdir(tmp_path) == ["article.mp3"]


def test_failed_rename_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "article.mp3"
    path.write_bytes(b"the previous narration")
    # A directory in the way makes the rename fail after the bytes were written and synced.
    blocked = tmp_path / "blocked"
    (blocked / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        write_atomic(blocked, b"new")
    assert sorted(os.listdir(tmp_path)) == ["article.mp3", "blocked"]
    assert path.read_bytes() == b"the previous narration"


def test_head_then_the_rest_of_an_open_file(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.write_bytes(b"skip" + os.urandom(3 << 20))  # several chunks
    out = tmp_path / "out.mp3"
    with open(frames, "rb") as rest:
        rest.seek(4)
        size = write_atomic_after(out, b"ID3 tag + Info", rest)
    assert out.read_bytes() == b"ID3 tag + Info" + frames.read_bytes()[4:]
    assert size == out.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames", "out.mp3"]


def test_a_full_disk_is_storage_full_and_leaves_nothing(tmp_path: Path) -> None:
    import subprocess

    from audiobrief.errors import StorageFullError

    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                      capture_output=True, timeout=30, check=False).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        path = disk / "article.mp3"
        path.write_bytes(b"the previous narration")
        with pytest.raises(StorageFullError, match="no room on disk"):
            write_atomic(path, [bytes(256 * 1024)] * 8)
        assert path.read_bytes() == b"the previous narration"
        assert os.listdir(disk) == ["article.mp3"]
    finally:
        subprocess.run(["umount", "-l", str(disk)], timeout=30, check=False)
