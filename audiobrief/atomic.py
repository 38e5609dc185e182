"""Writing output files so a reader never sees one half-written: temp file, fsync, rename."""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from audiobrief.errors import StorageFullError

log = logging.getLogger(__name__)

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""The errno values of a write the disk (or the quota, or the file size limit) has no room for."""


def write_atomic(path: Path, data: bytes | str | Iterable[bytes]) -> None:
    """Put `data` (str as UTF-8, or bytes chunks) at `path` whole, or leave `path` untouched.

    The bytes go to a temporary file beside `path`, are flushed to disk and then renamed over it;
    on any error the temporary file is removed and the error propagates, a full disk as
    StorageFullError (an OSError too).
    """
    path = Path(path)
    chunks: Iterable[bytes] = (
        (data.encode(),) if isinstance(data, str) else (data,) if isinstance(data, bytes) else data
    )
    temporary = temp_path(path)
    # os.open with 0o666 lets the umask decide the mode, as for any new file (mkstemp gives 0600).
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        if isinstance(error, OSError) and not isinstance(error, StorageFullError) \
                and error.errno in DISK_FULL:
            raise StorageFullError(f"no room on disk to write {path}: {error.strerror}; free"
                                   " some space and try again") from error
        raise
    _fsync_directory(path.parent)
    log.debug("wrote %s", path)


def write_atomic_after(path: Path, head: bytes, rest: BinaryIO) -> int:
    """Put `head` and then the rest of the open file `rest` at `path`, as `write_atomic` does
    (an MP3: its tag and Info frame, then the frames written to a file as they were encoded).
    Returns the size of the file written."""
    size = len(head) + os.fstat(rest.fileno()).st_size - rest.tell()
    write_atomic(path, itertools.chain((head,), _read_chunks(rest)))
    return size


def _read_chunks(file: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """The rest of an open file, `size` bytes at a time."""
    while chunk := file.read(size):
        yield chunk


def file_size(path: Path) -> int | None:
    """The size of the file at `path`; None when there is none."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def temp_path(path: Path) -> Path:
    """A fresh hidden name beside `path` to write to before renaming over it."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
