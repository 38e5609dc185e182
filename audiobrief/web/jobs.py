"""The job side of the service: voices loaded once, a pool of worker threads that take queued
articles from the store, narrate them and put the MP3 in place.

A job's MP3 frames are appended to a partial file as each sentence is encoded, so a listener can
start before the end; the finished file is renamed into place whole. Jobs left running by a
stopped or crashed process are queued again when the next one starts.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from audiobrief import pipeline
from audiobrief.errors import AudiobriefError, QueueFullError
from audiobrief.model import Script
from audiobrief.settings import Settings
from audiobrief.voices import Voice, default_workers
from audiobrief.web.audio import AudioCache
from audiobrief.web.store import Record, SentenceFiles, Status, Store, Timings

logger = logging.getLogger(__name__)

AUDIO_VERSION = "audio-2"
"""Bump when a change of synthesis or encoding changes the audio made from the same script."""


def article_id(script: Script, voice: str, speed: float, settings: Settings) -> str:
    """What determines the audio: the spoken script (and its tags), voice, speed, encoding."""
    material = b"\0".join((
        AUDIO_VERSION.encode(), msgspec.json.encode(script), voice.encode(),
        f"{speed:.3f}".encode(), str(settings.bitrate_kbps).encode(),
        settings.disclosure.encode()))
    return hashlib.sha256(material).hexdigest()[:32]


@dataclass
class Metrics:
    """Counters for /metrics since the process started."""

    synthesis_seconds: float = 0.0
    audio_seconds: float = 0.0
    jobs_finished: int = 0
    jobs_failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Stopping(Exception):
    """Raised inside a job when the service shuts down; the job goes back to the queue."""


class Service:
    """Everything the web handlers share: settings, the store, voices and the job workers."""

    def __init__(self, settings: Settings, workers: int | None = None,
                 voices: Mapping[str, Voice] | None = None) -> None:
        self.settings = settings
        self.store = Store(settings.data)
        self.sentences = SentenceFiles(self.store.sentence_dir,
                                       settings.sentence_cache_mb * 1_000_000)
        self.metrics = Metrics()
        self.runs_at_once = default_workers()
        """Pieces of speech synthesised at once, over all jobs: one per core."""
        self.workers = workers or settings.workers or self.runs_at_once
        """Jobs in progress at once."""
        self.audio_cache = AudioCache()
        self._counts: dict[Status, int] = {}
        self._counted_at = -1e9
        self._finished: dict[str, Record] = {}
        """Finished articles by id: they never change again, so reads skip SQLite."""
        self._voices: dict[str, Voice] = dict(voices or {})
        """Loaded voices by name; a caller may hand in voices it has loaded already."""
        self._voices_lock = threading.Lock()
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def counts(self) -> dict[Status, int]:
        """Articles by status, read from the store at most once a second (health probes and
        metrics scrapes must not queue behind SQLite)."""
        now = time.monotonic()
        if now - self._counted_at > 1.0:
            self._counts = self.store.counts()
            self._counted_at = now
        return self._counts

    def finished_record(self, article_id: str) -> Record | None:
        """A finished article if it is known in memory or in the store, else None."""
        record = self.record(article_id)
        return record if record is not None and record.status == "done" else None

    def record(self, article_id: str) -> Record | None:
        """An article, from memory once it is finished."""
        if (record := self._finished.get(article_id)) is not None:
            return record
        record = self.store.get(article_id)
        if record is not None and record.status == "done":
            if len(self._finished) >= 4096:
                self._finished.clear()
            self._finished[article_id] = record
        return record

    # Voices ---------------------------------------------------------------------------------

    def voice(self, name: str | None = None) -> Voice:
        """The named voice, loaded on first use.

        One ONNX session shared by all jobs, running one piece of speech per core at once on one
        thread each, as the offline job does: a job uses every core by itself, and two jobs take
        turns piece by piece. Against one run at a time on two intra-op threads (which wait for
        each other at every operator), 20 articles went through 40 % faster (14.5 against 10.3 s
        of audio per second) at a peak of 522–540 MB against 617 MB (bench/service.py); it used
        to cost 883 MB, until runs stopped using a memory pattern (see `audiobrief.sessions`).
        A session per worker was no faster and holds its own arena.
        """
        name = name or self.settings.voice
        with self._voices_lock:
            if name not in self._voices:
                self._voices[name] = Voice.load(name, self.settings.voices,
                                                concurrency=self.runs_at_once,
                                                cache_dir=self.settings.model_cache)
            return self._voices[name]

    # Jobs -----------------------------------------------------------------------------------

    def submit(self, script: Script, options: pipeline.Options,
               source_url: str | None) -> tuple[Record, bool]:
        """Queue the narration of `script`; (the record, whether it is new).

        The same script with the same voice and settings is the same article: it is not queued
        twice. A failed one is queued again.
        """
        voice = pipeline.voice_spec(self.settings, options).name
        identity = article_id(script, voice, options.speed, self.settings)
        existing = self.store.get(identity)
        if existing and existing.status != "failed":
            return existing, False
        if self.store.waiting() >= self.settings.queue_limit:
            raise QueueFullError(
                f"{self.settings.queue_limit} articles are waiting already; try again later")
        # Two requests for the same new article at once: only the first one inserts it.
        new = (self.store.retry(identity) if existing
               else self.store.add(identity, script, voice, options.speed, source_url))
        with self._wake:
            self._wake.notify()
        record = self.store.get(identity)
        assert record is not None
        return record, new

    def start(self) -> None:
        requeued = self.store.requeue_unfinished()
        if requeued:
            logger.info("queued again %d article(s) left unfinished by the last run", requeued)
        self._stopping.clear()
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"audiobrief-job-{number}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop taking jobs; a running job stops after its current sentence and is requeued."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def _work(self) -> None:
        while not self._stopping.is_set():
            record = self.store.claim()
            if record is None:
                with self._wake:
                    self._wake.wait(timeout=1.0)
                continue
            try:
                self._run(record)
            except _Stopping:
                self.store.release(record.id)
                logger.info("article %s back in the queue: the service is stopping", record.id)
            except AudiobriefError as error:
                self._failed(record, str(error))
            except Exception as error:  # a bug: keep the worker alive, record it, log it
                logger.exception("article %s failed", record.id)
                self._failed(record, f"internal error: {type(error).__name__}")

    def _failed(self, record: Record, message: str) -> None:
        self.store.fail(record.id, message)
        with self.metrics.lock:
            self.metrics.jobs_failed += 1

    def _run(self, record: Record) -> None:
        started = time.perf_counter()
        voice = self.voice(record.voice)
        partial = self.store.partial_path(record.id)
        last_progress = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last_progress
            if self._stopping.is_set():
                raise _Stopping
            now = time.monotonic()
            if done == total or now - last_progress > 0.25:
                self.store.progress(record.id, done)
                last_progress = now

        options = pipeline.Options(voice=record.voice, speed=record.speed)
        with open(partial, "wb") as frames:
            narration = pipeline.narrate(record.script, voice, self.settings, options, frames,
                                         progress=progress, cache=self.sentences,
                                         workers=voice.concurrency)
        rendition = narration.rendition
        timings = Timings(rendition.sample_rate_hz, rendition.sentence_samples,
                          rendition.total_samples)
        self.store.finish(record.id, narration.head, timings)
        self.sentences.prune()
        elapsed = time.perf_counter() - started
        with self.metrics.lock:
            self.metrics.synthesis_seconds += elapsed
            self.metrics.audio_seconds += rendition.duration_ms / 1000
            self.metrics.jobs_finished += 1
        logger.info("article %s done: %.1f s of audio in %.1f s", record.id,
                    rendition.duration_ms / 1000, elapsed)
