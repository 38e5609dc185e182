"""The job side of the service: voices loaded once, worker threads that take queued articles,
narrate them and store the MP3, over the backends' Protocols (backends.py).

A job's MP3 frames go to its live frames as each sentence is encoded, so a listener can start
before the end; the finished MP3 is stored whole. Jobs left running by a stopped or crashed
process are queued again when the next one starts, and only the attempt that claimed a job may
finish it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import BinaryIO, cast

import msgspec
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from audiobrief import encode as encoding
from audiobrief import pipeline
from audiobrief.atomic import DISK_FULL
from audiobrief.encoders import Format, encoder_for
from audiobrief.errors import AudiobriefError, GoneError, StorageFullError, TooLongError
from audiobrief.fetch import article_url
from audiobrief.model import Script
from audiobrief.runtime import default_workers
from audiobrief.service import events, webhooks
from audiobrief.service.audio_cache import AudioCache
from audiobrief.service.backends import (
    Backends,
    JobTable,
    Record,
    SpeechSink,
    Status,
    article_key,
)
from audiobrief.service.site_lexicon import SiteLexicon
from audiobrief.settings import Settings
from audiobrief.synthesize import Cancellation, Cancelled, SynthesisOptions, Timeline
from audiobrief.voices import Voice

logger = logging.getLogger(__name__)

IDENTITY_VERSION = "article-5"
"""Bump when a change of synthesis or encoding changes the audio made from the same material,
or when the material itself changes: every article id changes with it."""


def article_id(script: Script, voice: str, speed: float, settings: Settings) -> str:
    """The id of the audio these determine: what is said and how (each sentence's text and
    spoken form, its pause and rate, the chapters), the tags' metadata, voice, speed and encoding.

    The material is listed here field by field, so a field added to the model changes no id
    (and orphans no stored audio) unless it is added here, with IDENTITY_VERSION bumped.
    """
    material = {
        "version": IDENTITY_VERSION, "voice": voice, "speed": f"{speed:.3f}",
        "bitrate_kbps": settings.bitrate_kbps, "loudness_lufs": f"{settings.loudness_lufs:.1f}",
        "disclosure": settings.disclosure,
        "title": script.title, "byline": script.byline, "date": script.date,
        "site": script.site, "url": script.url, "language": script.language,
        "chaptered": script.chaptered,
        "chapters": [[chapter.title, [[sentence.text, sentence.spoken, sentence.pause_after_ms,
                                       f"{sentence.rate:.3f}"]
                                      for sentence in chapter.sentences]]
                     for chapter in script.chapters],
    }
    return hashlib.sha256(msgspec.json.encode(material)).hexdigest()[:32]


class Metrics:
    """The service's figures for /metrics (Prometheus), in a registry of its own per service:
    counters since the process started, and the articles by status read when scraped."""

    def __init__(self, counts: Callable[[], Mapping[Status, int]]) -> None:
        self.registry = CollectorRegistry()
        self.synthesis_seconds = Counter("audiobrief_synthesis_seconds",
                                         "Wall time spent making audio.", registry=self.registry)
        self.audio_seconds = Counter("audiobrief_audio_seconds", "Seconds of audio made.",
                                     registry=self.registry)
        self.jobs_finished = Counter("audiobrief_jobs_finished", "Jobs finished since start.",
                                     registry=self.registry)
        self.jobs_failed = Counter("audiobrief_jobs_failed", "Jobs failed since start.",
                                   registry=self.registry)
        self.registry.register(_ByStatus(counts))

    def text(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)


class _ByStatus(Collector):
    def __init__(self, counts: Callable[[], Mapping[Status, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("audiobrief_jobs", "Articles by status.", labels=["status"])
        for status, count in self.counts().items():
            family.add_metric([status], count)
        yield family


class _Renewal:
    """Renews a running attempt's hold on its job every third of a lease, on a thread of its
    own (a long sentence must not let the lease run out); cancels the attempt when the hold is
    lost."""

    INTERVAL_S = 5.0

    def __init__(self, jobs: JobTable, article_id: str, owner: str,
                 cancel: Cancellation) -> None:
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True,
                                        args=(jobs, article_id, owner, cancel),
                                        name=f"audiobrief-lease-{article_id[:8]}")
        self._thread.start()

    def _renew(self, jobs: JobTable, article_id: str, owner: str, cancel: Cancellation) -> None:
        while not self._done.wait(self.INTERVAL_S):
            try:
                held = jobs.renew(article_id, owner)
            except Exception:  # the table is unreachable for now: the lease may still hold
                logger.warning("article %s: could not renew its lease", article_id,
                               exc_info=True)
                continue
            if not held:
                cancel.cancel("another attempt has the job now")
                return

    def stop(self) -> None:
        self._done.set()


WITHDRAWAL_SEEN_S = 10.0
"""How soon a node sharing the job table stops serving audio another node withdrew."""

STOPPING = "the service is stopping"
"""Why a job is cancelled when the service stops: it goes back to the queue, not failed."""


class _BoundedFrames:
    """The job's frames file, refusing to grow past the audio a job may make (CBR: bytes are
    time), so one article cannot fill the disk whatever its script."""

    def __init__(self, file: BinaryIO, max_bytes: int, minutes: int) -> None:
        self.file = file
        self.max_bytes = max_bytes
        self.minutes = minutes
        self.written = 0

    def write(self, chunk: bytes) -> int:
        self.written += len(chunk)
        if self.written > self.max_bytes:
            raise TooLongError(
                f"the audio passed {self.minutes} minute{'s' if self.minutes != 1 else ''},"
                " the limit per article"
                " (AUDIOBRIEF_MAX_AUDIO_MINUTES); split the article or raise the limit")
        return self.file.write(chunk)

    def flush(self) -> None:
        self.file.flush()


class Service:
    """Everything the web handlers and workers share: settings, the backends, voices and the
    job workers."""

    def __init__(self, settings: Settings, workers: int | None = None,
                 voices: Mapping[str, Voice] | None = None,
                 backends: Backends | None = None, run_jobs: bool = True) -> None:
        pipeline.check_settings(settings)
        self.settings = settings
        backends = backends or Backends.from_settings(settings)
        self.lock = backends.lock
        """Held from here until `stop`, where the backends allow one process at a time (a
        second process on the same data directory would requeue this one's running jobs and
        delete their frames)."""
        if self.lock is not None:
            self.lock.acquire()
        self.jobs = backends.jobs
        self.audio = backends.audio
        self.sentences = backends.sentences
        self.queue = backends.queue
        self.live = backends.live
        self.speeches = backends.speeches
        self.metrics = Metrics(self.counts)
        self.webhooks = webhooks.Webhooks(settings, webhooks.table_for(settings),
                                          self.metrics.registry)
        """Tells AUDIOBRIEF_WEBHOOK_URLS of articles done, failed and deleted (`notify`)."""
        self.listens = events.Listens(events.table_for(settings), self.metrics.registry)
        """The player's listening figures."""
        self.runs_at_once = default_workers()
        """Pieces of speech synthesised at once, over all jobs: one per core."""
        self.workers = workers or settings.workers or self.runs_at_once
        """Jobs in progress at once."""
        self.audio_cache = AudioCache(self.audio)
        self._counts: dict[Status, int] = {}
        self._counted_at = -1e9
        self._finished: dict[str, tuple[Record, float]] = {}
        """Finished articles by id, and when they were last known not withdrawn: they never
        change again, so reads skip the table."""
        self.last_served: dict[str, float] = {}
        """When each finished MP3 was last answered from memory, so the audio kept on disk is
        the most recently used (`JobTable.evict`)."""
        self.on_forget: list[Callable[[str], None]] = []
        """Called with an article id when a finished article is no longer finished (its audio
        evicted, or found damaged and queued again): caches of its answers drop it."""
        self._health: list[str] = []
        self._checked_at = -1e9
        self._voices: dict[str, Voice] = dict(voices or {})
        """Loaded voices by name; a caller may hand in voices it has loaded already."""
        self._voices_lock = threading.Lock()
        self._stopping = threading.Event()
        self._running: dict[str, Cancellation] = {}
        """How to stop each job under way, by its attempt (see `stop`)."""
        self.run_jobs = run_jobs
        """False on a web node of a distributed setup: it queues jobs, workers run them."""
        self._started = False
        self.site_lexicon = SiteLexicon.open(settings)
        """The site's own pronunciations, which new scripts are pronounced with."""

    def counts(self) -> dict[Status, int]:
        """Articles by status, read from the job table at most once a second (health probes and
        metrics scrapes must not queue behind SQLite)."""
        now = time.monotonic()
        if now - self._counted_at > 1.0:
            self._counts = self.jobs.counts()
            self._counted_at = now
        return self._counts

    def health(self) -> list[str]:
        """What stops the service from doing its work, one sentence each (empty: all well),
        checked at most once a second: a backend that cannot be used (a data directory missing
        or not writable, its disk nearly full), the job workers gone."""
        now = time.monotonic()
        if now - self._checked_at <= 1.0:
            return self._health
        problems = [*self.jobs.problems(), *self.audio.problems(), *self.sentences.problems(),
                    *self.queue.problems()]
        if self.run_jobs and self._started and not self.queue.working():
            problems.append("the job workers have stopped")
        self._health, self._checked_at = list(dict.fromkeys(problems)), now
        return self._health

    def finished_record(self, article_id: str) -> Record | None:
        """A finished article if it is known in memory or in the job table, else None."""
        record = self.record(article_id)
        return record if record is not None and record.status == "done" else None

    def record(self, article_id: str) -> Record | None:
        """An article, from memory once it is finished. Where other nodes share the table (no
        lock), one remembered is checked every WITHDRAWAL_SEEN_S for a withdrawal made there."""
        if (remembered := self._finished.get(article_id)) is not None:
            finished, checked_at = remembered
            now = time.monotonic()
            if self.lock is not None or now - checked_at < WITHDRAWAL_SEEN_S:
                return finished
            if not self.jobs.withdrawn(article_id):
                self._finished[article_id] = (finished, now)
                return finished
            self._forget(article_id)
            return None
        record = self.jobs.get(article_id)
        if record is not None and record.status == "done":
            if len(self._finished) >= 4096:
                self._finished.clear()
            self._finished[article_id] = (record, time.monotonic())
        return record

    # Voices ---------------------------------------------------------------------------------

    def voice(self, name: str | None = None) -> Voice:
        """The named voice, loaded on first use.

        One ONNX session shared by all jobs, running one piece of speech per core at once on one
        thread each, as the offline job does: a job uses every core by itself, and two jobs take
        turns piece by piece: faster and smaller than one run at a time on all cores
        (bench/service.py throughput). A session per worker was no faster and holds its own
        arena.
        """
        name = name or self.settings.voice
        with self._voices_lock:
            if name not in self._voices:
                self._voices[name] = Voice.load(name, self.settings.voices,
                                                concurrency=self.runs_at_once,
                                                cache_dir=self.settings.model_cache)
            return self._voices[name]

    # Jobs -----------------------------------------------------------------------------------

    def submit(self, script: Script, options: pipeline.Options, source_url: str | None, *,
               url_bound: bool = True, external_id: str | None = None,
               canonical_url: str | None = None) -> tuple[Record, bool]:
        """Queue the narration of `script`, a version of the article its URL or `external_id`
        names; (the record, whether it is new).

        The same script with the same voice and settings is the same version: it is not queued
        twice. A failed one is queued again. Past the queue limit, QueueFullError.

        `url_bound` says whether `source_url` (and `external_id`) are vouched for (audiobrief
        fetched it, or the caller holds a key); an unbound version never answers a lookup by URL
        nor appears in the feed, and is an article of its own. A bound submit makes the version
        its article's newest (a revert to an earlier text answers with that text's audio again)
        and publishes a withdrawn article again; an unbound one of a withdrawn version is
        refused (GoneError). `canonical_url`, the page's own name for itself, groups the
        versions where it differs from the URL they were asked by.
        """
        voice = pipeline.voice_spec(self.settings, options, script.language).name
        identity = article_id(script, voice, options.speed, self.settings)
        article = (article_key(canonical_url or source_url, external_id) if url_bound
                   else None)
        limit = self.settings.queue_limit
        existing = self.jobs.get(identity)
        if existing is None and not url_bound and self.jobs.withdrawn(identity):
            raise GoneError("this audio was withdrawn; only a caller with an API key can"
                            " publish it again")
        if existing and existing.status != "failed":
            new = False
        elif existing:
            new = self.jobs.retry(identity, limit)
        else:
            # Two requests for the same new article at once: only the first one inserts it.
            new = self.jobs.add(identity, script, voice, options.speed, source_url,
                                bound=url_bound, queue_limit=limit, article=article,
                                external_id=external_id if url_bound else None)
        if url_bound and existing is not None:
            self.jobs.repost(identity, source_url, article, external_id)
        if new:
            self.queue.put(identity)
        record = self.jobs.get(identity)
        assert record is not None
        return record, new

    def for_url(self, url: str) -> Record | None:
        """The version a lookup by `url` answers: the newest (finished first) posted for that
        address, else the newest of the article the address names as its canonical URL; the
        address read as `fetch.article_url` reads it (no fragment, no tracking parameters)."""
        url = article_url(url)
        record = self.jobs.latest_for_url(url)
        if record is None and (key := article_key(url)):
            record = self.jobs.answering(key)
            if record is not None and (record.status == "failed" or not record.bound):
                return None
        return record

    def answering(self, some_id: str) -> Record | None:
        """The version `some_id` names: a version by its id, or the one an article answers with
        (`JobTable.answering`) by the article's id."""
        record = self.record(some_id)
        return record if record is not None else self.jobs.answering(some_id)

    def withdraw(self, some_id: str) -> bool | None:
        """Withdraw the article `some_id` names (an article or one of its versions): every
        version's audio and row go, and its ids answer 410 from then on; False when it was
        withdrawn already, None when there is no such article. A running version stops at its
        next sentence (its attempt no longer holds the job)."""
        told = self.answering(some_id) or self.jobs.get(some_id)
        versions = self.jobs.withdraw(some_id)
        if versions is None:
            return None
        for version in versions:
            self._forget(version)
            self.audio.delete(version)
        if versions and told is not None:
            self.notify("article.deleted", told)
        return bool(versions)

    def retry(self, article_id: str) -> bool:
        """Queue a failed article again (its attempts start from zero); False when it had not
        failed. Past the queue limit, QueueFullError."""
        queued = self.jobs.retry(article_id, self.settings.queue_limit)
        if queued:
            self.queue.put(article_id)
        return queued

    def audio_damaged(self, article_id: str) -> None:
        """A finished MP3 is missing or not its recorded size on disk: forget it and make it
        again (the article goes back to the queue; a listener gets the growing stream)."""
        self._forget(article_id)
        if self.jobs.requeue_damaged(article_id):
            logger.warning("article %s: its MP3 is missing or damaged; queued again", article_id)
            self.queue.put(article_id)

    def start(self) -> None:
        """Take the queue over: requeue what a stopped process left running, sweep its
        temporary files, then start the workers."""
        if self.lock is not None:
            self.lock.acquire()  # again, when started after a stop
        requeued = self.jobs.requeue_unfinished()
        if requeued:
            logger.info("queued again %d article(s) left unfinished by the last run", requeued)
        self.live.sweep()
        if swept := self.audio.sweep() + self.sentences.sweep():
            logger.info("removed %d temporary file(s) left by the last run", swept)
        # Each file checked where the one process owns the data directory (its lock); a shared
        # bucket is not read whole on every node's start.
        damaged = self.lock is not None and sum(
            self.jobs.requeue_damaged(article_id)
            for article_id, size in self.jobs.finished_sizes()
            if self.audio.size(article_id) != size)
        if damaged:
            logger.warning("queued again %d article(s) whose MP3 was missing or damaged", damaged)
        self._stopping.clear()
        if self.run_jobs:
            self.queue.start(self._handle, self.workers)
            if self.speeches is not None:
                self.speeches.start(self._speak, self.settings.speech_streams)
        self.webhooks.start()
        self.listens.start()
        self._started = True

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop taking jobs; a running job stops after its current sentence and is requeued."""
        self._stopping.set()
        for cancel in list(self._running.values()):
            cancel.cancel(STOPPING)
        self.queue.stop(timeout_s)
        if self.speeches is not None and self.run_jobs:
            self.speeches.stop(timeout_s)
        self.webhooks.stop(timeout_s)
        self.listens.stop()
        if self.lock is not None:
            self.lock.release()

    close = stop

    def notify(self, event: webhooks.Event, record: Record) -> None:
        """Tell the webhooks' receivers of an article's event: "article.done", "article.failed",
        or "article.deleted" (the delete path calls it with the record as it was). Stored before
        it returns, sent later; never raises, so telling cannot fail what it tells of."""
        try:
            self.webhooks.notify(event, record)
        except Exception:
            logger.exception("article %s: could not store its %s webhook", record.id, event)

    def _notify_by_id(self, event: webhooks.Event, article_id: str) -> None:
        if not self.settings.webhook_urls:
            return
        try:
            record = self.jobs.get(article_id)
        except Exception:
            logger.exception("article %s: could not read it for its %s webhook", article_id,
                             event)
            return
        if record is not None:
            self.notify(event, record)

    def _handle(self, article_id: str) -> bool:
        """Run an article's job if it can be claimed; False when another attempt holds it (a
        queue may offer it again later). Never raises: what goes wrong is the job's end."""
        try:
            record = self.jobs.claim(article_id, self._attempt_token(),
                                     self.settings.max_attempts)
        except Exception:  # the table cannot be read now: the job stays queued
            logger.exception("could not claim article %s", article_id)
            return True
        if record is None:
            held = self.jobs.get(article_id)
            if (held is not None and held.status == "failed"
                    and held.attempts >= self.settings.max_attempts):
                self.notify("article.failed", held)  # the claim ended it: its tries ran out
            return held is None or held.status != "running"
        assert record.owner is not None
        cancel = self._running[record.owner] = Cancellation()
        if self._stopping.is_set():  # stopped between the claim and now
            cancel.cancel(STOPPING)
        renewing = _Renewal(self.jobs, record.id, record.owner, cancel)
        try:
            self._run(record, record.owner, cancel)
        except Cancelled as stopped:
            if self._stopping.is_set():
                self._ended(self.jobs.release, record.id, record.owner)
                logger.info("article %s back in the queue: %s", record.id, stopped)
            else:
                logger.warning("article %s: %s; this attempt stops", record.id, stopped)
                with contextlib.suppress(Exception):  # the table unreachable: swept later
                    if self.jobs.get(record.id) is None:  # withdrawn: no attempt ends it
                        self.live.end(record.id)
        except AudiobriefError as error:
            self._failed(record, str(error))
        except OSError as error:
            if error.errno not in DISK_FULL:
                logger.exception("article %s failed", record.id)
                self._failed(record, f"internal error: {type(error).__name__}")
            else:
                self._failed(record, str(StorageFullError(
                    f"the disk filled up while the audio was written ({error.strerror}); free"
                    " some space, then retry the article")))
        except Exception as error:  # a bug: keep the worker alive, record it, log it
            logger.exception("article %s failed", record.id)
            self._failed(record, f"internal error: {type(error).__name__}")
        finally:
            renewing.stop()
            del self._running[record.owner]
        return True

    def _speak(self, sink: SpeechSink, script: Script, voice_name: str, speed: float,
               response_format: str) -> None:
        """Make a speech another node's client asked for, onto `sink` (on a worker thread)."""
        started = time.perf_counter()
        try:
            voice = self.voice(voice_name)
            encoder = encoder_for(cast(Format, response_format), voice.spec.sample_rate_hz,
                                  encoding.EncodeOptions.from_settings(self.settings))
            cancel = Cancellation()
            timeline = Timeline(voice.spec.sample_rate_hz, keep_pcm=False)
            synthesis = SynthesisOptions(speed, loudness_lufs=self.settings.loudness_lufs)
            for chunk in pipeline.encoded(script, voice, encoder, timeline, synthesis,
                                          cancel=cancel):
                if (why := sink.write(chunk)) is not None:
                    cancel.cancel(why)
            sink.end()
            logger.info("spoke %d sentences for another node in %.1f s", script.sentence_count,
                        time.perf_counter() - started)
        except Cancelled as stopped:
            logger.info("speech stopped: %s", stopped)
        except Exception as error:  # the web node cuts its client's stream short, saying why
            logger.exception("speech failed")
            sink.fail(str(error) if isinstance(error, AudiobriefError)
                      else f"internal error: {type(error).__name__}")

    @staticmethod
    def _attempt_token() -> str:
        """Names one attempt at one job, unique across processes and restarts."""
        return f"{os.getpid()}-{uuid.uuid4().hex[:16]}"

    def _failed(self, record: Record, message: str) -> None:
        assert record.owner is not None
        if self._ended(self.jobs.fail, record.id, record.owner, message):
            self._notify_by_id("article.failed", record.id)
        self.metrics.jobs_failed.inc()

    def _ended(self, action: Callable[..., bool], article_id: str, owner: str,
               *args: object) -> bool:
        """Record a job's end by its own attempt, then drop its live frames (only then: the
        frames of a job another attempt has taken are that attempt's); whether it was recorded.
        If even recording fails (a full disk), the job stays running and is requeued by the
        next start, and the worker lives on."""
        try:
            if action(article_id, owner, *args):
                self.live.end(article_id)
                return True
        except Exception:
            logger.exception("could not record the end of a job")
        return False

    def _run(self, record: Record, owner: str, cancel: Cancellation) -> None:
        started = time.perf_counter()
        voice = self.voice(record.voice)
        last_progress = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last_progress
            now = time.monotonic()
            if done == total or now - last_progress > 0.25:
                if not self.jobs.progress(record.id, owner, done):
                    cancel.cancel("another attempt has the job now")
                last_progress = now

        options = pipeline.Options(voice=record.voice, speed=record.speed)
        minutes = self.settings.max_audio_minutes
        with self.live.open(record.id) as frames:
            bounded = _BoundedFrames(frames, minutes * 60 * self.settings.bitrate_kbps * 125,
                                     minutes)
            try:
                narration = pipeline.narrate(record.script, voice, self.settings, options,
                                             bounded,
                                             progress=progress, cache=self.sentences,
                                             workers=voice.concurrency, cancel=cancel)
            except BaseException:
                # Give the space back now (through our own descriptor: the name may be another
                # attempt's by now), so a full disk still has room to record the failure.
                frames.truncate(0)
                raise
            rendition = narration.rendition
            frames.seek(0)
            with self.jobs.publishing(record.id, owner) as publish:
                if publish is None:
                    logger.warning("article %s: another attempt has it now; this one's audio"
                                   " is dropped", record.id)
                    return
                # Stored from the attempt's own spool, never by name: a spool of that name may
                # be another attempt's by now.
                publish(rendition, self.audio.put(record.id, narration.head, frames))
        self.live.end(record.id)
        self._notify_by_id("article.done", record.id)
        self.sentences.prune()
        if self.settings.audio_cache_mb:
            for evicted in self.jobs.evict(self.settings.audio_cache_mb * 1_000_000,
                                           self.last_served, keep=record.id):
                self.audio.delete(evicted)
                self._forget(evicted)
        elapsed = time.perf_counter() - started
        self.metrics.synthesis_seconds.inc(elapsed)
        self.metrics.audio_seconds.inc(rendition.duration_ms / 1000)
        self.metrics.jobs_finished.inc()
        logger.info("article %s done: %.1f s of audio in %.1f s", record.id,
                    rendition.duration_ms / 1000, elapsed)

    def _forget(self, article_id: str) -> None:
        self._finished.pop(article_id, None)
        self.audio_cache.drop(article_id)
        self.last_served.pop(article_id, None)
        for listener in self.on_forget:
            listener(article_id)
