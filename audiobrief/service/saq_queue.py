"""The queue on Redis with SAQ: an `articles` queue, workers that take from it with heartbeats,
and a reconciler that puts back what the job table says is waiting but no queue job holds.

SAQ is asyncio; the Service is threads. The queue runs its own event loop on a thread, and a
job's narration runs on a worker thread while the loop keeps its SAQ heartbeat: a worker killed
mid-job stops beating, SAQ's sweep gives the job to another worker, which takes the article over
once the dead attempt's lease in the job table has run out.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar

import redis
from saq import Queue as SaqBackend
from saq import Worker
from saq.types import PartialTimersDict

from audiobrief.service.backends import Handle

logger = logging.getLogger(__name__)

T = TypeVar("T")

ARTICLES = "articles"
HEARTBEAT_S = 10
"""A job not heard of for this long is taken to be dead (its worker killed) and retried."""
SWEEP_S = 5
"""How often workers look for dead jobs."""
RECONCILE_S = 15.0
"""How often the job table's waiting articles are checked against the queue."""
WAIT_FOR_LEASE_S = 45.0
"""How long a job that another attempt holds is tried again before it is left to that attempt."""
RETRIES = 1_000
"""SAQ's own attempts: unbounded in effect, the job table counts attempts (`max_attempts`)."""


class Waiting(Protocol):
    """What the reconciler needs of the job table."""

    def requeue_unfinished(self) -> int: ...

    def waiting(self, limit: int = ...) -> list[str]: ...


class EventLoop:
    """An asyncio loop on a thread of its own, holding one SAQ queue, for callers on threads."""

    def __init__(self, url: str, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name=f"audiobrief-saq-{name}")
        self._thread.start()
        self.queue: SaqBackend = self.run(self._connect(url, name))

    @staticmethod
    async def _connect(url: str, name: str) -> SaqBackend:
        queue = SaqBackend.from_url(url, name=name)
        await queue.connect()
        return queue

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
        """Run `coroutine` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coroutine` on the loop without waiting for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def close(self) -> None:
        self.run(self.queue.disconnect())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


class SaqQueue:
    """The Queue Protocol on SAQ and Redis."""

    def __init__(self, url: str, jobs: Waiting, name: str = ARTICLES) -> None:
        self.jobs = jobs
        self._loop = EventLoop(url, name)
        self._health = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._worker: Worker | None = None
        self._working: concurrent.futures.Future[None] | None = None
        self._upkeep: concurrent.futures.Future[None] | None = None

    def put(self, article_id: str) -> None:
        self._loop.run(self._enqueue(article_id))

    async def _enqueue(self, article_id: str) -> None:
        # The article id is the job's key: SAQ holds one incomplete job per key.
        await self._loop.queue.enqueue("narrate", key=article_id, article_id=article_id, timeout=0,
                                  heartbeat=HEARTBEAT_S, retries=RETRIES)

    def start(self, handle: Handle, workers: int) -> None:
        async def narrate(ctx: dict[str, Any], *, article_id: str) -> None:
            job = ctx["job"]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT_FOR_LEASE_S
            while True:
                running = loop.run_in_executor(None, handle, article_id)
                while True:
                    done, _ = await asyncio.wait({running}, timeout=HEARTBEAT_S / 3)
                    if done:
                        break
                    await job.update()  # the heartbeat
                if running.result() or loop.time() > deadline:
                    return
                # Another attempt holds the article: its lease runs out if its worker died.
                await asyncio.sleep(2.0)

        timers = PartialTimersDict(schedule=1, worker_info=10, sweep=SWEEP_S, abort=1)
        self._worker = Worker(self._loop.queue, functions=[("narrate", narrate)],
                              concurrency=workers, timers=timers, shutdown_grace_period_s=30)
        self._worker.SIGNALS = []  # its loop is not the main thread's: the process handles them
        self._working = self._loop.spawn(self._worker.start())
        self._upkeep = self._loop.spawn(self._reconcile())

    async def _reconcile(self) -> None:
        """Every RECONCILE_S: jobs whose lease ran out go back to waiting, and every waiting
        article has a queue job (after Redis lost its data, say)."""
        while True:
            try:
                requeued = await asyncio.to_thread(self.jobs.requeue_unfinished)
                if requeued:
                    logger.info("queued again %d article(s) whose worker died", requeued)
                for article_id in await asyncio.to_thread(self.jobs.waiting, 1_000):
                    await self._enqueue(article_id)
            except Exception:
                logger.warning("could not reconcile the queue with the job table",
                               exc_info=True)
            await asyncio.sleep(RECONCILE_S)

    def stop(self, timeout_s: float) -> None:
        if self._upkeep is not None:
            self._upkeep.cancel()
        if self._worker is not None and self._working is not None:
            self._loop.run(self._worker.stop(), timeout_s + 5)
            self._working.cancel()
            self._worker = None

    def working(self) -> bool:
        return self._working is not None and not self._working.done()

    def problems(self) -> list[str]:
        try:
            self._health.ping()
        except Exception as error:  # whatever it is, it is the answer a health check reports
            return [f"the queue (Redis) cannot be used: {type(error).__name__}: {error}"]
        return []

    def close(self) -> None:
        self.stop(30.0)
        self._loop.close()
