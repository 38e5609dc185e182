"""Objects in S3 (obstore): finished MP3s, and the shared tier of the sentence cache.

    PREFIX/audio/ID.mp3            written once, whole: one PUT, or a multipart upload completed
                                   only at its end, so no reader ever sees part of one
    PREFIX/sentences/AB/KEY.pcm    each sentence's audio, behind every worker's local cache
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import BinaryIO

import obstore
from obstore.store import S3Store

from audiobrief.service.local import SentenceFiles

logger = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024


def store(endpoint: str, bucket: str, *, access_key: str | None, secret_key: str | None,
          region: str | None) -> S3Store:
    """A client for `bucket` at `endpoint` (path-style requests, http allowed for a private
    network's object store)."""
    return S3Store(bucket, endpoint=endpoint, region=region or "us-east-1",
                   access_key_id=access_key, secret_access_key=secret_key,
                   virtual_hosted_style_request=False, client_options={"allow_http": True})


class S3Audio:
    """The BlobStore of finished MP3s in a bucket."""

    def __init__(self, bucket: S3Store, prefix: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def key(self, article_id: str) -> str:
        return f"{self.prefix}audio/{article_id}.mp3"

    def put(self, article_id: str, head: bytes, rest: BinaryIO) -> int:
        size = len(head)

        def chunks() -> Iterator[bytes]:
            nonlocal size
            yield head
            while chunk := rest.read(_CHUNK):
                size += len(chunk)
                yield chunk

        obstore.put(self.bucket, self.key(article_id), chunks(), chunk_size=_CHUNK)
        return size

    def size(self, article_id: str) -> int | None:
        try:
            return int(obstore.head(self.bucket, self.key(article_id))["size"])
        except FileNotFoundError:
            return None

    def read(self, article_id: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        return bytes(obstore.get_range(self.bucket, self.key(article_id), start=start, end=end))

    def delete(self, article_id: str) -> None:
        obstore.delete(self.bucket, self.key(article_id))

    def sweep(self) -> int:
        return 0  # an upload never completed leaves nothing a reader sees

    def problems(self) -> list[str]:
        try:
            obstore.head(self.bucket, f"{self.prefix}audio/.probe")
        except FileNotFoundError:
            return []
        except Exception as error:  # whatever it is, it is the answer a health check reports
            return [f"the object store cannot be used: {str(error).splitlines()[0]}"]
        return []


class SharedSentences:
    """The sentence cache in two tiers: this node's files first, then the bucket, which every
    worker shares (a job retried on another worker finds the sentences made already)."""

    def __init__(self, local: SentenceFiles, bucket: S3Store, prefix: str = "") -> None:
        self.local = local
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return f"{self.prefix}sentences/{key[:2]}/{key}.pcm"

    def get(self, key: str) -> bytes | None:
        if (pcm := self.local.get(key)) is not None:
            return pcm
        try:
            pcm = bytes(obstore.get(self.bucket, self._key(key)).bytes())
        except FileNotFoundError:
            return None
        except Exception:  # the shared tier is a cache: without it, the sentence is made again
            logger.warning("sentence cache: the object store did not answer", exc_info=True)
            return None
        self.local.put(key, pcm)
        return pcm

    def put(self, key: str, pcm: bytes) -> None:
        self.local.put(key, pcm)
        try:
            obstore.put(self.bucket, self._key(key), pcm)
        except Exception:
            logger.warning("sentence cache: %s not shared (object store)", key, exc_info=True)

    def prune(self) -> int:
        """This node's tier only; the bucket's lifetime is the operator's (a lifecycle rule)."""
        return self.local.prune()

    def sweep(self) -> int:
        return self.local.sweep()

    def problems(self) -> list[str]:
        return self.local.problems()
