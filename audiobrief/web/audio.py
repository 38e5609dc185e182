"""Serving MP3 bytes: whole files with ETag and Range, and the frames of a job still running."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from litestar import Response
from litestar.response import Stream

from audiobrief.errors import AudioRemadeError
from audiobrief.service.backends import BlobStore, Record

if TYPE_CHECKING:
    from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, HTTPScope, Send

    from audiobrief.service.jobs import Service

MP3 = "audio/mpeg"
CACHE_FOREVER = "public, max-age=31536000, immutable"
"""An article id names one audio for good (it is derived from what determines the audio)."""
IN_MEMORY_MAX = 4_000_000
"""Files up to this size are answered from one read; larger ones stream in chunks."""
_CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")
"""One byte range; positions of more than 18 digits (past any file, and past what Python parses
cheaply) make the header malformed, so it is ignored."""
_POLL_S = 0.05


def etag(record: Record) -> str:
    return f'"{record.id}-{record.size_bytes}"'


@dataclass(frozen=True, slots=True)
class Answer:
    """How to answer a request for a finished MP3: status, headers and which bytes."""

    status: int
    headers: dict[str, str]
    start: int = 0
    end: int = 0
    """The bytes [start, end) of the file; none for 304 and 416."""


def answer(record: Record, size: int, range_header: str | None, if_none_match: str | None,
           if_range: str | None) -> Answer:
    """200 whole, 206 for one byte range, 304 when the client has it, 416 past the end."""
    tag = etag(record)
    headers = {"ETag": tag, "Cache-Control": CACHE_FOREVER, "Accept-Ranges": "bytes"}
    if if_none_match and (if_none_match.strip() == "*" or tag in _tags(if_none_match)):
        return Answer(304, headers)
    wanted = _range(range_header, size) if range_header and if_range in (None, tag) else None
    if wanted == "unsatisfiable":
        return Answer(416, {**headers, "Content-Range": f"bytes */{size}",
                            "Content-Length": "0"})
    if isinstance(wanted, tuple):
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        headers["Content-Length"] = str(end - start)
        return Answer(206, headers, start, end)
    headers["Content-Length"] = str(size)
    return Answer(200, headers, 0, size)


def serve_file(record: Record, blobs: BlobStore, range_header: str | None,
               if_none_match: str | None, if_range: str | None) -> Response[bytes] | Stream:
    """The finished MP3 as a Litestar response (see `answer`): files too large for the fast
    path's memory cache, read from the blob store. One that is missing or not its recorded size
    is never sent (`answer_cached` has queued it again by then): 503 until it is made again."""
    size = blobs.size(record.id)
    if size is None or (record.size_bytes is not None and size != record.size_bytes):
        raise AudioRemadeError(f"the audio of article {record.id} was missing or damaged on"
                               " disk and is being made again; try again shortly")
    plan = answer(record, size, range_header, if_none_match, if_range)
    if plan.end <= plan.start:
        return Response(b"", status_code=plan.status, media_type=MP3, headers=plan.headers)
    if plan.end - plan.start <= IN_MEMORY_MAX:
        return Response(blobs.read(record.id, plan.start, plan.end), status_code=plan.status,
                        media_type=MP3, headers=plan.headers)
    return Stream(_chunks(blobs, record.id, plan.start, plan.end), status_code=plan.status,
                  media_type=MP3, headers=plan.headers)


_AUDIO_PATH = re.compile(r"^/v1/articles/([0-9a-f]{32})/audio\.mp3$")
_CORS = [(b"access-control-allow-origin", b"*"),
         (b"access-control-expose-headers",
          b"Content-Length, Content-Range, Accept-Ranges, ETag")]


async def answer_cached(service: Service, scope: HTTPScope, send: Send) -> bool:
    """Answer a GET or HEAD of a finished MP3 of up to IN_MEMORY_MAX bytes, from memory; False
    (nothing sent) for any other request, which the app then routes as usual.

    A cache hit is the service's hottest request (every listener's every seek): the app calls
    this before any of the framework's machinery (see `AudiobriefApp`). A file is checked
    against its recorded size when it is first read (or, past IN_MEMORY_MAX, on each request,
    as the route then reads it from disk anyway); one missing or damaged is queued to be made
    again and left to the route, which then finds the article queued.
    """
    if scope["method"] not in ("GET", "HEAD") or not (match := _AUDIO_PATH.match(scope["path"])):
        return False
    record = service.finished_record(match[1])
    size = record.size_bytes if record is not None else None
    if record is None or size is None:
        return False
    if size > IN_MEMORY_MAX:
        if service.audio.size(record.id) != size:
            service.audio_damaged(record.id)
        return False
    request_headers = dict(scope["headers"])
    plan = answer(record, size, header(request_headers, b"range"),
                  header(request_headers, b"if-none-match"), header(request_headers, b"if-range"))
    body = b""
    if ((scope["method"] == "GET" and plan.end > plan.start)
            or not service.audio_cache.holds(record.id)):
        try:
            content = service.audio_cache.read(record.id, size)
        except OSError:  # unreadable: left to the route, which reports the error
            return False
        if content is None:
            service.audio_damaged(record.id)
            return False
        if scope["method"] == "GET":
            body = content[plan.start:plan.end]
    service.last_served[record.id] = time.time()
    headers = [(k.lower().encode(), v.encode()) for k, v in plan.headers.items()]
    headers.append((b"content-type", MP3.encode()))
    if b"origin" in request_headers:
        headers += _CORS
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": plan.status,
                                     "headers": headers}
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body,
                                  "more_body": False}
    await send(start)
    await send(end)
    return True


def header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    """A request header's value from the ASGI scope's (lower-case) headers, or None."""
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None


def _tags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def _range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, end) of one satisfiable byte range; None to ignore the header (a multi-range or
    malformed one: the whole file is then answered, as RFC 9110 allows)."""
    match = _RANGE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:  # the last N bytes
        suffix = int(match[2])
        return (max(0, size - suffix), size) if suffix and size else "unsatisfiable"
    start = int(match[1])
    end = min(size, int(match[2]) + 1) if match[2] else size
    if start >= size or end <= start:
        return "unsatisfiable"
    return start, end


async def _chunks(blobs: BlobStore, article_id: str, start: int,
                  end: int) -> AsyncIterator[bytes]:
    while start < end:
        chunk = await anyio.to_thread.run_sync(blobs.read, article_id, start,
                                               min(end, start + _CHUNK))
        if not chunk:
            break
        start += len(chunk)
        yield chunk


def serve_growing(service: Service, article_id: str) -> Stream:
    """The MP3 frames of a queued or running job, sent as each sentence is encoded.

    The stream ends when the job does. Its frames are byte for byte those of the finished file
    (which adds the ID3 tag and an Info frame in front).
    """
    return Stream(_follow(service, article_id), media_type=MP3,
                  headers={"Cache-Control": "no-store", "X-Audiobrief-Status": "running"})


async def _follow(service: Service, article_id: str) -> AsyncIterator[bytes]:
    reader = None
    try:
        while True:
            if reader is None:
                reader = service.live.reader(article_id)
                if reader is None:
                    record = await anyio.to_thread.run_sync(service.jobs.get, article_id)
                    if record is None or record.status == "failed":
                        return
                    if record.status == "done":
                        # Finished before we started reading: send the whole file instead.
                        with contextlib.suppress(FileNotFoundError):  # evicted meanwhile
                            async for chunk in _chunks(service.audio, article_id, 0,
                                                       record.size_bytes or 0):
                                yield chunk
                        return
                    await anyio.sleep(_POLL_S)
                    continue
            chunk = reader.read(_CHUNK)
            if chunk:
                yield chunk
                continue
            record = await anyio.to_thread.run_sync(service.jobs.get, article_id)
            if record is None or record.status in ("done", "failed"):
                # The writer closed the spool before marking the job: what is left is the end.
                while chunk := reader.read(_CHUNK):
                    yield chunk
                return
            if record.status == "queued":  # requeued (the service stopped); start again
                return
            await anyio.sleep(_POLL_S)
    finally:
        if reader is not None:
            reader.close()
