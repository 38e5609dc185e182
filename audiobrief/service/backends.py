"""The seams of the service: what it needs of a job table, a blob store, a sentence store, a queue
and a channel for a running job's live MP3 frames, as Protocols, and the records they trade.

`Service` (jobs.py) holds one of each (`Backends`) and knows no engine. The embedded default,
`Backends.embedded`, is SQLite (sqlite.py) with files and threads (local.py) in one data
directory; another engine implements the same Protocols.

A running job belongs to the attempt that claimed it (its `owner`): only that attempt may record
its progress, finish or fail it, so a job taken over by another attempt cannot be ended twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol

import msgspec

from audiobrief.errors import QueueFullError, SettingsError
from audiobrief.model import Rendition, Script

if TYPE_CHECKING:
    from audiobrief.settings import Settings

Status = Literal["queued", "running", "done", "failed"]
STATUSES: tuple[Status, ...] = ("queued", "running", "done", "failed")


@dataclass(frozen=True, slots=True)
class Record:
    """One article as the job table knows it."""

    id: str
    status: Status
    source_url: str | None
    script: Script
    voice: str
    speed: float
    done: int
    """Sentences synthesised so far."""
    total: int
    error: str | None
    attempts: int
    """Times a worker started it since it was queued (a retry starts the count again); a job
    that keeps ending its process is failed after `Settings.max_attempts`."""
    rendition: Rendition | None
    """The finished audio's timings (no PCM)."""
    size_bytes: int | None
    created_at: float
    updated_at: float
    finished_at: float | None
    owner: str | None = None
    """The attempt running it (see `JobTable.claim`); None when it is not running."""
    bound: bool = True
    """Whether `source_url` is vouched for: audiobrief fetched it itself, or a caller with a key
    gave it. Only bound articles answer a lookup by URL or appear in the feed."""
    article: str = ""
    """The article this audio is a version of (`article_key`): every version posted for one
    canonical URL or CMS `external_id` shares it; an article without either is its own."""
    external_id: str | None = None
    """The CMS's own name for the article, when it gave one."""
    posted_at: float = 0.0
    """When this version was last posted as its article's content (the newest one answers)."""

    @property
    def age_s(self) -> float:
        """Seconds since it finished (or was queued)."""
        return time.time() - (self.finished_at or self.created_at)

    @property
    def duration_ms(self) -> int | None:
        return self.rendition.duration_ms if self.rendition else None


Publish = Callable[[Rendition, int], None]
"""Marks a job done with its timings and the stored MP3's size (see `JobTable.publishing`)."""


@dataclass(frozen=True, slots=True)
class Finished:
    """What choosing finished audio to evict needs of a row."""

    id: str
    size_bytes: int
    finished_at: float
    bound: bool
    superseded: bool = False
    """A newer version of its article is finished: only old links to this one still play it."""


def to_evict(finished: list[Finished], max_bytes: int, last_served: Mapping[str, float],
             keep: str | None = None) -> list[str]:
    """Which finished articles go so their audio is under 90 % of `max_bytes` (none while it is
    within `max_bytes`): unbound and superseded ones first, then the least recently finished or
    served."""
    total = sum(row.size_bytes for row in finished)
    if total <= max_bytes:
        return []
    order = sorted(finished, key=lambda row: (
        row.bound and not row.superseded, max(row.finished_at, last_served.get(row.id, 0.0))))
    chosen = []
    for row in order:
        if total <= max_bytes * 0.9:
            break
        if row.id != keep:
            chosen.append(row.id)
            total -= row.size_bytes
    return chosen


_script_decoder = msgspec.json.Decoder(Script)
_rendition_decoder = msgspec.json.Decoder(Rendition)


def record(row: Mapping[str, Any]) -> Record:
    """A Record from a table's row as stored: the script and timings as JSON bytes."""
    values = dict(row)
    values["script"] = _script_decoder.decode(bytes(values["script"]))
    timings = values.pop("timings")
    values["rendition"] = _rendition_decoder.decode(bytes(timings)) if timings else None
    values["bound"] = bool(values.get("bound", True))
    values["article"] = values.get("article") or values["id"]
    values["posted_at"] = values.get("posted_at") or values["created_at"]
    return Record(**values)


def article_key(source_url: str | None = None, external_id: str | None = None) -> str | None:
    """The id of the article a version belongs to: named by the CMS's `external_id`, else by its
    canonical URL; None with neither (such a version is an article of its own). The PostgreSQL
    migration computes the same for URLs (postgres.py)."""
    if external_id:
        material = "external_id\n" + external_id
    elif source_url:
        material = "url\n" + source_url
    else:
        return None
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def withdrawal_keys(article: str, versions: list[tuple[str, str | None, bool]]) -> set[str]:
    """What a withdrawn article leaves answering 410: its id, each version's (id, source URL,
    bound) id, and the key of each URL a version answered for."""
    keys = {article, *(version for version, _, _ in versions)}
    keys.update(key for _, url, bound in versions if bound and (key := article_key(url)))
    return keys


Cursor = tuple[float, str]
"""Where a page of articles ends: the last one's (posted_at, id); the next page starts after."""


def finish(jobs: JobTable, article_id: str, owner: str, rendition: Rendition,
           size_bytes: int) -> bool:
    """Mark a job done with its timings and MP3 size, as `publishing` does once its audio is
    stored; False when `owner` no longer runs it."""
    with jobs.publishing(article_id, owner) as publish:
        if publish is None:
            return False
        publish(rendition, size_bytes)
        return True


def exhausted(attempts: int, done: int, total: int, runner: str) -> str:
    """Why a job started `attempts` times without finishing ends failed (`runner`: what kept
    ending under it, "process" or "worker")."""
    return (f"stopped {attempts} times without finishing (the {runner} running it ended each"
            f" time); the last attempt got to sentence {done} of {total}")


def queue_full(queue_limit: int) -> QueueFullError:
    return QueueFullError(f"{queue_limit} articles are waiting already; try again later")


class JobTable(Protocol):
    """Articles and the state of their jobs, one row each, keyed by article id."""

    def add(self, article_id: str, script: Script, voice: str, speed: float,
            source_url: str | None, *, bound: bool = True,
            queue_limit: int | None = None, article: str | None = None,
            external_id: str | None = None) -> bool:
        """Queue a new version, of `article` (else an article of its own); False when one with
        this id exists already. With `queue_limit`, QueueFullError when that many wait (checked
        and inserted atomically). A bound one lifts the withdrawal of its ids (`withdraw`)."""
        ...

    def repost(self, article_id: str, source_url: str | None, article: str | None,
               external_id: str | None) -> bool:
        """An existing version posted again by a fetch or a keyed caller: bound to its URL, of
        `article`, and its article's newest (posted now); its ids no longer withdrawn."""
        ...

    def get(self, article_id: str) -> Record | None: ...

    def latest_for_url(self, source_url: str) -> Record | None:
        """The version bound to this URL that answers for it: the newest finished, else the
        newest that has not failed."""
        ...

    def answering(self, article: str) -> Record | None:
        """The version an article answers with: its newest finished, else its newest not failed,
        else its newest."""
        ...

    def articles(self, limit: int, *, status: Status | None = None,
                 url_prefix: str | None = None, after: Cursor | None = None) -> list[Record]:
        """The newest version of each article, most recently posted first, at most `limit`;
        only those whose newest version has `status`, whose URL starts with `url_prefix`, and
        that come after `after`."""
        ...

    def finished(self, limit: int, offset: int = 0) -> list[Record]:
        """The newest finished bound version of each article (the feed's), most recently
        finished first."""
        ...

    def finished_count(self) -> int:
        """How many articles `finished` lists in all."""
        ...

    def withdraw(self, article_id: str) -> list[str] | None:
        """Delete every version of the article that `article_id` names (an article or one of its
        versions) and keep its ids withdrawn (`withdrawal_keys`); the version ids deleted (their
        blobs are the caller's to delete): empty when it was withdrawn already, None when no
        article had that id."""
        ...

    def withdrawn(self, key: str) -> bool:
        """Whether an article, version or URL key (`article_key`) was withdrawn."""
        ...

    def finished_sizes(self) -> list[tuple[str, int | None]]:
        """(id, recorded MP3 size) of every finished article."""
        ...

    def counts(self) -> dict[Status, int]:
        """Articles by status."""
        ...

    def next_queued(self) -> str | None:
        """The oldest queued article's id."""
        ...

    def claim(self, article_id: str, owner: str, max_attempts: int) -> Record | None:
        """Start a queued article for the attempt `owner`, atomically; None when it is not
        queued (another attempt took it). One started `max_attempts` times already without
        finishing is failed instead, saying how far it got."""
        ...

    def owns(self, article_id: str, owner: str) -> bool:
        """Whether `owner` is the attempt running the article."""
        ...

    def renew(self, article_id: str, owner: str) -> bool:
        """Keep holding the job (an attempt's lease, where the table has leases); False when
        `owner` no longer runs it."""
        ...

    def publishing(self, article_id: str, owner: str
                   ) -> AbstractContextManager[Publish | None]:
        """Hold the job for `owner` while its audio is stored: yields how to mark it done (call
        it once the blob is stored), or None when `owner` no longer runs it. No other attempt
        can take the job over until the block ends; an error in it changes nothing."""
        ...

    def progress(self, article_id: str, owner: str, done: int) -> bool:
        """Record sentences done; False when `owner` no longer runs it."""
        ...

    def release(self, article_id: str, owner: str) -> bool:
        """Back to the queue (the service is stopping); the attempt does not count."""
        ...

    def fail(self, article_id: str, owner: str, error: str) -> bool: ...

    def retry(self, article_id: str, queue_limit: int | None = None) -> bool:
        """Queue a failed article again, its attempts from zero; False when it had not failed.
        With `queue_limit`, QueueFullError as `add`."""
        ...

    def requeue_damaged(self, article_id: str) -> bool:
        """A finished article whose MP3 is missing or damaged goes back to the queue."""
        ...

    def requeue_unfinished(self) -> int:
        """Queue again the jobs whose attempt is gone; returns how many."""
        ...

    def evict(self, max_bytes: int, last_served: Mapping[str, float],
              keep: str | None = None) -> list[str]:
        """Delete finished articles, least recently finished or served first (unbound ones
        first), until their audio is under 90 % of `max_bytes`; returns their ids (their blobs
        are the caller's to delete)."""
        ...

    def problems(self) -> list[str]:
        """What keeps the table from being used, one sentence each; empty when all is well."""
        ...


class BlobStore(Protocol):
    """Finished MP3s by article id, each written once and whole, never seen partial."""

    def put(self, article_id: str, head: bytes, rest: BinaryIO) -> int:
        """Store `head` and then the rest of the open file `rest`; returns the size."""
        ...

    def size(self, article_id: str) -> int | None:
        """The stored size, or None when there is none."""
        ...

    def read(self, article_id: str, start: int, end: int) -> bytes:
        """Bytes [start, end); FileNotFoundError when there is none."""
        ...

    def delete(self, article_id: str) -> None: ...

    def sweep(self) -> int:
        """Remove what writes of a killed process left behind; returns how many."""
        ...

    def problems(self) -> list[str]: ...


class SentenceStore(Protocol):
    """Audio of every sentence made, keyed by what determines it (`synthesize.sentence_key`)."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, pcm: bytes) -> None:
        """Keep it if there is room; a store that cannot keep it drops it, saying so in the log."""
        ...

    def prune(self) -> int:
        """Keep within the store's bound, least recently used out first; returns how many went."""
        ...

    def sweep(self) -> int: ...

    def problems(self) -> list[str]: ...


Handle = Callable[[str], bool]
"""Runs the job of an article id; False when another attempt holds it now (try it later)."""


class Queue(Protocol):
    """Which articles are to be narrated, and the workers that take them."""

    def put(self, article_id: str) -> None:
        """An article was queued (or queued again); putting one already waiting changes nothing."""
        ...

    def start(self, handle: Handle, workers: int) -> None:
        """Start taking articles: `handle` is called with each, `workers` at once."""
        ...

    def stop(self, timeout_s: float) -> None:
        """Stop taking articles and wait up to `timeout_s` for the handles under way."""
        ...

    def working(self) -> bool:
        """Whether the workers started are alive (False before `start`)."""
        ...

    def problems(self) -> list[str]:
        """What keeps the queue from being used, one sentence each; empty when all is well."""
        ...


class FramesReader(Protocol):
    def read(self, size: int, /) -> bytes:
        """Up to `size` more bytes; empty when nothing more is written yet."""
        ...

    def close(self) -> None: ...


class LiveFrames(Protocol):
    """A running job's MP3 frames as they are written, for listeners who start before the end."""

    def open(self, article_id: str) -> BinaryIO:
        """A new, empty spool for an attempt's frames; what is written and flushed to it can be
        read at once, and the attempt reads it back from the start to store the MP3."""
        ...

    def reader(self, article_id: str) -> FramesReader | None:
        """The article's frames from the first, those written so far and then those to come;
        None when no frames are kept for it (not started, or ended). A reader opened before
        `end` reads to the end of what was written."""
        ...

    def end(self, article_id: str) -> None:
        """The attempt is over: its frames are no longer kept."""
        ...

    def sweep(self) -> int: ...


class SpeechSource(Protocol):
    """One speech being made elsewhere, as its audio arrives."""

    def read(self, timeout_s: float) -> bytes | None:
        """The next bytes; empty after `timeout_s` with nothing new; None at the end. Raises
        when the speech failed where it is made."""
        ...

    def cancel(self) -> None:
        """The client left: the speech stops before its next sentence."""
        ...


class SpeechSink(Protocol):
    """Where a worker writes one speech's audio."""

    def write(self, chunk: bytes) -> str | None:
        """Add audio; why the speech is to stop now (the client left or stalled), or None."""
        ...

    def end(self) -> None: ...

    def fail(self, message: str) -> None: ...


Speak = Callable[[SpeechSink, Script, str, float, str], None]
"""Makes one speech on a worker: its sink, script, voice name, speed and format."""


class Speeches(Protocol):
    """Speech requests made on workers, for web nodes that hold no voice."""

    def request(self, script: Script, voice: str, speed: float,
                response_format: str) -> SpeechSource: ...

    def start(self, speak: Speak, workers: int) -> None: ...

    def stop(self, timeout_s: float) -> None: ...


class Lock(Protocol):
    """Held from a service's start to its stop, where the backends need one process at a time."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Backends:
    """One of each seam, as one Service uses them."""

    jobs: JobTable
    audio: BlobStore
    sentences: SentenceStore
    queue: Queue
    live: LiveFrames
    lock: Lock | None = None
    speeches: Speeches | None = None
    """Where speech is made when this node holds no voice (distributed); None: here."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Backends:
        """The distributed engines when they are set (all of them), else the embedded ones."""
        settings.check_distributed()
        return cls.distributed(settings) if settings.distributed else cls.embedded(settings)

    @classmethod
    def distributed(cls, settings: Settings) -> Backends:
        """PostgreSQL, SAQ on Redis and S3, shared by many web nodes and workers; each node
        keeps its own tier of the sentence cache in `settings.data`."""
        try:
            import redis

            from audiobrief.service import postgres, s3, saq_queue, speech_queue, streams
        except ImportError as error:
            raise SettingsError(f"distributed mode needs audiobrief's distributed extra"
                                f" (pip install 'audiobrief[distributed]'): {error}") from None
        from audiobrief.service import local

        assert settings.database_url and settings.queue_url
        assert settings.s3_endpoint and settings.s3_bucket
        jobs = postgres.PostgresJobs(settings.database_url)
        bucket = s3.store(settings.s3_endpoint, settings.s3_bucket,
                          access_key=settings.s3_access_key, secret_key=settings.s3_secret_key,
                          region=settings.s3_region)
        client = redis.Redis.from_url(settings.queue_url)
        sentences = local.SentenceFiles(settings.data / "sentences",
                                        settings.sentence_cache_mb * 1_000_000)
        settings.data.mkdir(parents=True, exist_ok=True)
        return cls(jobs=jobs, audio=s3.S3Audio(bucket, settings.s3_prefix),
                   sentences=s3.SharedSentences(sentences, bucket, settings.s3_prefix),
                   queue=saq_queue.SaqQueue(settings.queue_url, jobs),
                   live=streams.RedisFrames(client, settings.data),
                   speeches=speech_queue.SpeechQueue(settings.queue_url, client,
                                                     settings.queue_limit))

    @classmethod
    def embedded(cls, settings: Settings) -> Backends:
        """SQLite, files and threads in `settings.data`, for one process (its lock)."""
        from audiobrief.service import local, sqlite

        root = settings.data
        jobs = sqlite.SqliteJobs(root / "audiobrief.sqlite3")
        return cls(jobs=jobs, audio=local.AudioFiles(root / "audio"),
                   sentences=local.SentenceFiles(root / "sentences",
                                                 settings.sentence_cache_mb * 1_000_000),
                   queue=local.ThreadQueue(jobs), live=local.FramesFiles(root / "audio"),
                   lock=local.DataLock(root))
