"""Finished MP3s held in memory, within a byte budget, so the hottest answers need no disk."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path


class AudioCache:
    """The bytes of recently served finished MP3s, up to a budget: a cache hit needs no disk.

    Safe to share between threads; finished files never change (their name is their content).
    """

    def __init__(self, max_bytes: int = 64_000_000) -> None:
        self.max_bytes = max_bytes
        self._files: OrderedDict[Path, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def read(self, path: Path, size: int) -> bytes | None:
        """The file's bytes; None when it is missing or not `size` bytes long (damaged)."""
        with self._lock:
            cached = self._files.get(path)
            if cached is not None:
                self._files.move_to_end(path)
                return cached
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return None
        if len(content) != size:
            return None
        if size > self.max_bytes // 4:
            return content
        with self._lock:
            if path not in self._files:
                self._files[path] = content
                self._size += size
            while self._size > self.max_bytes:
                _, dropped = self._files.popitem(last=False)
                self._size -= len(dropped)
        return content

    def holds(self, path: Path) -> bool:
        with self._lock:
            return path in self._files

    def drop(self, path: Path) -> None:
        """Forget a file (evicted or found damaged)."""
        with self._lock:
            dropped = self._files.pop(path, None)
            if dropped is not None:
                self._size -= len(dropped)
