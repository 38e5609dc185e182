"""A running job's live MP3 frames on Redis streams, so any web node can relay them.

Each write of frames is one stream entry holding its byte offset in the job's frames; a reader
keeps its own position, so entries an attempt retried on another worker writes again (the same
bytes: sentences come back from the shared cache and the encoder is deterministic) are skipped
rather than sent twice. A stream is bounded per job and expires a while after the job ends.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import redis

logger = logging.getLogger(__name__)

MAX_ENTRIES = 20_000
"""Entries kept per job: far more than the sentences of the longest article allowed."""
KEEP_AFTER_END_S = 300
"""How long a finished job's stream stays, for listeners still reading it."""
KEEP_RUNNING_S = 6 * 3600
"""A stream whose job never ends (its worker died for good) goes after this."""


def _key(article_id: str) -> str:
    return f"audiobrief:frames:{article_id}"


class _Spool(io.BufferedRandom):
    """The attempt's frames in an unnamed local file (read back to store the MP3), each write
    also appended to the job's stream."""

    def __init__(self, client: redis.Redis, key: str, directory: Path | None) -> None:
        descriptor, name = tempfile.mkstemp(prefix=".frames-", dir=directory)
        os.unlink(name)  # gone with the process, however it ends
        super().__init__(io.FileIO(descriptor, "w+b"))
        self.client = client
        self.key = key
        self.offset = 0

    def write(self, chunk: Any, /) -> int:
        written = super().write(chunk)
        data = bytes(chunk)
        if data:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.xadd(self.key, {"o": self.offset, "d": data}, maxlen=MAX_ENTRIES,
                          approximate=True)
                if not self.offset:
                    pipe.expire(self.key, KEEP_RUNNING_S)
                pipe.execute()
            self.offset += len(data)
        return written


class _Reader:
    """Frames from the first byte on: what the stream holds, then what is added."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        self.last_id = "0-0"
        self.position = 0
        self.pending = b""
        self.broken = False

    def read(self, size: int, /) -> bytes:
        while not self.pending and not self.broken:
            answer: Any = self.client.xread({self.key: self.last_id}, count=64)
            if not answer:
                break
            for entry_id, fields in answer[0][1]:
                self.last_id = entry_id
                self._take(int(fields[b"o"]), fields[b"d"])
        chunk, self.pending = self.pending[:size], self.pending[size:]
        return chunk

    def _take(self, offset: int, data: bytes) -> None:
        end = offset + len(data)
        if end <= self.position:
            return  # sent already (an attempt that started again writes the same bytes)
        if offset > self.position:
            # Entries trimmed before this reader came, or an attempt's bytes that differ: what
            # follows cannot be joined to what was sent.
            logger.warning("live frames of %s: a gap at byte %d; the stream stops here",
                           self.key, self.position)
            self.broken = True
            return
        self.pending += data[self.position - offset:]
        self.position = end

    def close(self) -> None:
        pass


class RedisFrames:
    """The LiveFrames channel on Redis streams, one per job."""

    def __init__(self, client: redis.Redis, spool_dir: Path | None = None) -> None:
        self.client = client
        self.spool_dir = spool_dir

    def open(self, article_id: str) -> io.BufferedRandom:
        return _Spool(self.client, _key(article_id), self.spool_dir)

    def reader(self, article_id: str) -> _Reader | None:
        key = _key(article_id)
        if not self.client.exists(key):
            return None
        return _Reader(self.client, key)

    def end(self, article_id: str) -> None:
        self.client.expire(_key(article_id), KEEP_AFTER_END_S)

    def sweep(self) -> int:
        return 0  # streams expire by themselves
