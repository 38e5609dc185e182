"""Speech requests across nodes: a web node that holds no voice puts the script on SAQ's `speech`
queue, a worker speaks it onto a Redis stream, and the web node relays the stream to its client.

Its own queue, and workers that take from it beside the articles, so speech never waits behind
articles. The stream is bounded: the worker writes at most BUFFERED entries ahead of what the web
node has read, stops when the client takes nothing for READER_STALL_S, and stops when the web node
says the client left.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import msgspec
import redis
from saq import Worker
from saq.types import PartialTimersDict

from audiobrief.errors import QueueFullError
from audiobrief.model import Script
from audiobrief.service.backends import Speak
from audiobrief.service.saq_queue import HEARTBEAT_S, SWEEP_S, EventLoop

logger = logging.getLogger(__name__)

SPEECH = "speech"
BUFFERED = 8
"""Entries a worker writes ahead of the web node's reading; past it, it waits."""
READER_STALL_S = 15.0
"""A client that takes no audio for this long has stopped reading: its speech ends."""
KEEP_S = 300
"""How long a speech's stream and marks stay after their last write."""

def _keys(stream_id: str) -> tuple[str, str, str]:
    base = f"audiobrief:speech:{stream_id}"
    return base, f"{base}:read", f"{base}:cancel"


class RemoteSpeechError(Exception):
    """The worker speaking it failed; the message says why."""


class SpeechStream:
    """The web node's side of one speech: the audio as the worker writes it."""

    def __init__(self, client: redis.Redis, stream_id: str) -> None:
        self.client = client
        self.stream_id = stream_id
        self.key, self.read_key, self.cancel_key = _keys(stream_id)
        self.last_id = "0-0"
        self.ended = False

    def read(self, timeout_s: float) -> bytes | None:
        """The next bytes; empty after `timeout_s` with nothing new; None at the end."""
        if self.ended:
            return None
        answer: Any = self.client.xread({self.key: self.last_id}, count=1,
                                        block=max(1, int(timeout_s * 1000)))
        if not answer:
            return b""
        entry_id, fields = answer[0][1][0]
        self.last_id = entry_id
        self.client.incr(self.read_key)
        self.client.expire(self.read_key, KEEP_S)
        if b"error" in fields:
            self.ended = True
            raise RemoteSpeechError(fields[b"error"].decode())
        if b"end" in fields:
            self.ended = True
            return None
        return bytes(fields[b"d"])

    def cancel(self) -> None:
        """The client left: the worker stops before its next sentence."""
        if not self.ended:
            self.client.set(self.cancel_key, 1, ex=KEEP_S)


class SpeechSink:
    """The worker's side of one speech: where its audio goes."""

    def __init__(self, client: redis.Redis, stream_id: str) -> None:
        self.client = client
        self.key, self.read_key, self.cancel_key = _keys(stream_id)
        self.written = 0

    def cancelled(self) -> str | None:
        """Why the speech is to stop now, or None."""
        if self.client.exists(self.cancel_key):
            return "the client left"
        return None

    def write(self, chunk: bytes) -> str | None:
        """Add the bytes once the reader is at most BUFFERED entries behind; why the speech is
        to stop instead, or None."""
        deadline = time.monotonic() + READER_STALL_S
        while self.written - self._read() >= BUFFERED:
            if (why := self.cancelled()) is not None:
                return why
            if time.monotonic() > deadline:
                return f"the client took no audio for {READER_STALL_S:.0f} s"
            time.sleep(0.05)
        self._add({"d": chunk})
        return self.cancelled()

    def _read(self) -> int:
        read: Any = self.client.get(self.read_key)
        return int(read or 0)

    def end(self) -> None:
        self._add({"end": 1})

    def fail(self, message: str) -> None:
        self._add({"error": message})

    def _add(self, fields: dict[Any, Any]) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.xadd(self.key, fields, maxlen=BUFFERED * 4, approximate=True)
            pipe.expire(self.key, KEEP_S)
            pipe.execute()
        self.written += 1


class SpeechQueue:
    """Speech requests on SAQ's `speech` queue, their audio on Redis streams."""

    def __init__(self, url: str, client: redis.Redis, limit: int) -> None:
        self.client = client
        self.limit = limit
        """Speeches waiting for a worker at most; past it, QueueFullError."""
        self._loop = EventLoop(url, SPEECH)
        self._worker: Worker | None = None

    def request(self, script: Script, voice: str, speed: float, response_format: str
                ) -> SpeechStream:
        """Queue a speech; its stream, for the caller to read."""
        if self._loop.run(self._loop.queue.count("queued")) >= self.limit:
            raise QueueFullError(f"{self.limit} speeches are waiting for a worker already; try"
                                 " again in a moment")
        stream_id = uuid.uuid4().hex
        self._loop.run(self._loop.queue.enqueue(
            "speak", key=stream_id, stream_id=stream_id,
            script=msgspec.json.encode(script).decode(), voice=voice, speed=speed,
            response_format=response_format, timeout=0, heartbeat=HEARTBEAT_S, retries=0))
        return SpeechStream(self.client, stream_id)

    def start(self, speak: Speak, workers: int) -> None:
        decoder = msgspec.json.Decoder(Script)

        async def run(ctx: dict[str, Any], *, stream_id: str, script: str, voice: str,
                      speed: float, response_format: str) -> None:
            job = ctx["job"]
            sink = SpeechSink(self.client, stream_id)
            loop = asyncio.get_running_loop()
            speaking = loop.run_in_executor(None, speak, sink, decoder.decode(script), voice,
                                            speed, response_format)
            while not (await asyncio.wait({speaking}, timeout=HEARTBEAT_S / 3))[0]:
                await job.update()  # the heartbeat
            speaking.result()

        timers = PartialTimersDict(schedule=1, worker_info=10, sweep=SWEEP_S, abort=1)
        self._worker = Worker(self._loop.queue, functions=[("speak", run)], concurrency=workers,
                              timers=timers, shutdown_grace_period_s=30)
        self._worker.SIGNALS = []  # its loop is not the main thread's: the process handles them
        self._loop.spawn(self._worker.start())

    def stop(self, timeout_s: float) -> None:
        if self._worker is not None:
            self._loop.run(self._worker.stop(), timeout_s + 5)
            self._worker = None

    def close(self) -> None:
        self.stop(30.0)
        self._loop.close()
