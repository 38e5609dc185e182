"""Finished MP3s held in memory, within a byte budget, so the hottest answers need no storage."""

from __future__ import annotations

import threading
from collections import OrderedDict

from audiobrief.service.backends import BlobStore


class AudioCache:
    """The bytes of recently served finished MP3s, up to a budget: a cache hit reads nothing.

    Safe to share between threads; finished MP3s never change (their id is their content).
    """

    def __init__(self, blobs: BlobStore, max_bytes: int = 64_000_000) -> None:
        self.blobs = blobs
        self.max_bytes = max_bytes
        self._files: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def read(self, article_id: str, size: int) -> bytes | None:
        """The MP3's bytes; None when it is missing or not `size` bytes long (damaged)."""
        with self._lock:
            cached = self._files.get(article_id)
            if cached is not None:
                self._files.move_to_end(article_id)
                return cached
        try:
            content = self.blobs.read(article_id, 0, size + 1)
        except FileNotFoundError:
            return None
        if len(content) != size:
            return None
        if size > self.max_bytes // 4:
            return content
        with self._lock:
            if article_id not in self._files:
                self._files[article_id] = content
                self._size += size
            while self._size > self.max_bytes:
                _, dropped = self._files.popitem(last=False)
                self._size -= len(dropped)
        return content

    def holds(self, article_id: str) -> bool:
        with self._lock:
            return article_id in self._files

    def drop(self, article_id: str) -> None:
        """Forget an MP3 (evicted or found damaged)."""
        with self._lock:
            dropped = self._files.pop(article_id, None)
            if dropped is not None:
                self._size -= len(dropped)
