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


class SaqQueue:
    """The Queue Protocol on SAQ and Redis."""

    def __init__(self, url: str, jobs: Waiting, name: str = ARTICLES) -> None:
        self.url = url
        self.jobs = jobs
        self.name = name
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"audiobrief-saq-{name}")
        self._thread.start()
        self._queue: SaqBackend = self._run(self._connect())
        self._worker: Worker | None = None
        self._working: concurrent.futures.Future[None] | None = None
        self._upkeep: concurrent.futures.Future[None] | None = None

    async def _connect(self) -> SaqBackend:
        queue = SaqBackend.from_url(self.url, name=self.name)
        await queue.connect()
        return queue

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    def put(self, article_id: str) -> None:
        self._run(self._enqueue(article_id))

    async def _enqueue(self, article_id: str) -> None:
        # The article id is the job's key: SAQ holds one incomplete job per key.
        await self._queue.enqueue("narrate", key=article_id, article_id=article_id, timeout=0,
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
        self._worker = Worker(self._queue, functions=[("narrate", narrate)],
                              concurrency=workers, timers=timers, shutdown_grace_period_s=30)
        self._worker.SIGNALS = []  # its loop is not the main thread's: the process handles them
        self._working = asyncio.run_coroutine_threadsafe(self._worker.start(), self._loop)
        self._upkeep = asyncio.run_coroutine_threadsafe(self._reconcile(), self._loop)

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
            self._run(self._worker.stop(), timeout_s + 5)
            self._working.cancel()
            self._worker = None

    def working(self) -> bool:
        return self._working is not None and not self._working.done()

    def close(self) -> None:
        self.stop(30.0)
        self._run(self._queue.disconnect())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
