"""The embedded backends besides the job table: files in the data directory, and threads.

    DATA/lock                   held (flock) by the one process that serves from DATA
    DATA/audio/ID.mp3           finished audio, renamed into place only when whole
    DATA/audio/ID.frames        MP3 frames of a job still running, appended sentence by sentence
    DATA/sentences/AB/KEY.pcm   audio of each sentence ever made (`synthesize.sentence_key`)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import IO, BinaryIO

from audiobrief.atomic import file_size, write_atomic, write_atomic_after
from audiobrief.errors import DataLockedError, StorageFullError
from audiobrief.service.backends import Handle, JobTable

logger = logging.getLogger(__name__)

LOW_DISK_BYTES = 16_000_000
"""Free space under which a directory's disk is reported as a problem: less than one long
article."""


def directory_problems(directory: Path) -> list[str]:
    """Why files cannot be written under `directory` (made again if it was removed), one sentence
    each: not writable, or its disk nearly full."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            return [f"the data directory {directory} is not writable"]
        free = shutil.disk_usage(directory).free
    except OSError as error:
        return [f"the data directory {directory} cannot be used: {error}"]
    if free < LOW_DISK_BYTES:
        return [f"the disk holding {directory} is nearly full ({free // 1_000_000} MB free)"]
    return []


def _sweep(pattern: str, root: Path) -> int:
    removed = 0
    for path in root.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


class DataLock:
    """The data directory's lock file, held by one process at a time (flock: the kernel lets
    go of it when the process ends, however it ends)."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / "lock"
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        """Take the lock, or raise DataLockedError naming the process that has it."""
        if self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = open(self.path, "a+")  # noqa: SIM115 (held for the life of the service)
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read(32).strip()
            file.close()
            raise DataLockedError(
                f"another audiobrief process{f' (pid {holder})' if holder else ''} is serving"
                f" from {self.path.parent}; stop it, or give this one its own AUDIOBRIEF_DATA"
            ) from None
        except BaseException:
            file.close()
            raise
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None


class AudioFiles:
    """Finished MP3s as DIR/ID.mp3, each written to a temporary file and renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, article_id: str) -> Path:
        return self.root / f"{article_id}.mp3"

    def put(self, article_id: str, head: bytes, rest: BinaryIO) -> int:
        self.root.mkdir(parents=True, exist_ok=True)  # someone may have removed it
        return write_atomic_after(self.path(article_id), head, rest)

    def size(self, article_id: str) -> int | None:
        return file_size(self.path(article_id))

    def read(self, article_id: str, start: int, end: int) -> bytes:
        with open(self.path(article_id), "rb") as file:
            return os.pread(file.fileno(), end - start, start)

    def delete(self, article_id: str) -> None:
        self.path(article_id).unlink(missing_ok=True)

    def sweep(self) -> int:
        return _sweep(".*.tmp", self.root)

    def problems(self) -> list[str]:
        return directory_problems(self.root)


class FramesFiles:
    """A running job's frames as DIR/ID.frames, appended as they are encoded; a listener reads
    them by name while the attempt writes through its own descriptor."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, article_id: str) -> Path:
        return self.root / f"{article_id}.frames"

    def open(self, article_id: str) -> BinaryIO:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(article_id)
        # A fresh file, never one an earlier attempt of the same job may still hold open.
        path.unlink(missing_ok=True)
        return open(path, "w+b")  # noqa: SIM115 (the attempt's to close)

    def reader(self, article_id: str) -> BinaryIO | None:
        try:
            # Held open: it reads on after the attempt ends and removes the name.
            return open(self.path(article_id), "rb")  # noqa: SIM115 (the reader's to close)
        except FileNotFoundError:
            return None

    def end(self, article_id: str) -> None:
        self.path(article_id).unlink(missing_ok=True)

    def sweep(self) -> int:
        """Remove every frames file: only the lock holder calls this, at start, when no attempt
        of its own runs."""
        return _sweep("*.frames", self.root)


class SentenceFiles:
    """Sentence audio cached as files, so an unchanged sentence is never synthesised twice.

    Bounded: `prune()` removes the least recently used files once they pass `max_bytes` (a hit
    marks a file used by touching it).
    """

    def __init__(self, root: Path, max_bytes: int = 2_000_000_000) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.root.mkdir(parents=True, exist_ok=True)

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
        """Keep a sentence's audio; on a full disk it is not kept (the job goes on without)."""
        path = self._path(key)
        # parents: the whole cache directory may have been removed while the service runs.
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_atomic(path, pcm)
        except StorageFullError:
            logger.warning("sentence cache: the disk is full; %s not kept", path.name)

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

    def sweep(self) -> int:
        return _sweep("*/.*.tmp", self.root)

    def problems(self) -> list[str]:
        return directory_problems(self.root)


class ThreadQueue:
    """The job table's oldest queued article, for worker threads of this process, which wait on
    a condition until something is queued."""

    def __init__(self, jobs: JobTable) -> None:
        self.jobs = jobs
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def put(self, article_id: str) -> None:
        with self._wake:
            self._wake.notify()

    def start(self, handle: Handle, workers: int) -> None:
        self._stopping.clear()
        for number in range(workers):
            thread = threading.Thread(target=self._work, args=(handle,), daemon=True,
                                      name=f"audiobrief-job-{number}")
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def working(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def problems(self) -> list[str]:
        return []  # the job table's problems are its own

    def _work(self, handle: Handle) -> None:
        while not self._stopping.is_set():
            try:
                article_id = self._take(timeout_s=1.0)
            except Exception:  # the table cannot be read now (disk, lock): try again shortly
                logger.exception("could not take a job from the queue")
                self._stopping.wait(5.0)
                continue
            if article_id is not None and not self._stopping.is_set():
                handle(article_id)

    def _take(self, timeout_s: float) -> str | None:
        # Looked up under the condition's lock, so a `put` in between cannot be missed.
        with self._wake:
            if (article_id := self.jobs.next_queued()) is not None:
                return article_id
            self._wake.wait(timeout=timeout_s)
        return self.jobs.next_queued()
