"""Between a request and the service: an article request read, scripted and queued on bounded
threads, once for identical requests under way, a URL's failure remembered a while; and the status
JSON of finished articles kept within a byte budget."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

import anyio
import msgspec

from audiobrief import pipeline
from audiobrief.errors import (
    AudiobriefError,
    NoArticleError,
    QueueFullError,
    SourceError,
    SsmlError,
    TooLongError,
)
from audiobrief.fetch import article_url, same_site
from audiobrief.load import from_content
from audiobrief.model import Page
from audiobrief.service.backends import Record
from audiobrief.service.jobs import Service
from audiobrief.settings import Settings
from audiobrief.web.schemas import ArticleRequest

NOT_FETCHED_AGAIN_S = 60
"""A URL whose fetch failed is answered with that failure for this long, not fetched again on
every page view."""
MAX_REMEMBERED_FAILURES = 1024
STATUS_CACHE_BYTES = 64_000_000
"""The encoded status JSON of finished articles kept in memory (they never change)."""
T = TypeVar("T")


def _submit(service: Service, request: ArticleRequest, keyed: bool) -> tuple[Record, bool]:
    """Read the source (fetching a URL with private addresses refused), script it, queue it."""
    settings = service.settings
    request.validate(settings)
    source = source_of(request, settings)
    options = dataclasses.replace(request.options(), site_lexicon=service.site_lexicon.lexicon())
    try:
        script = pipeline.prepare(source, settings, options, refuse_private=True)
    except SsmlError as error:
        raise error.for_field("ssml") from None
    # The URL finds this audio (embed.js, /v1/audio.mp3?url=, the feed) only when audiobrief
    # fetched it or a key holder vouches for it: anyone could post a fake text for a real URL.
    bound = keyed or isinstance(source, str)
    url = request.url or script.url
    # The page's own canonical link names the article when it is on the page's site: every
    # variant of its address (AMP, a section's path) then makes versions of one article.
    canonical = script.url if url and script.url and same_site(script.url, url) else url
    return service.submit(script, options, url and article_url(url), url_bound=bound,
                          external_id=request.external_id,
                          canonical_url=canonical and article_url(canonical))


def source_of(request: ArticleRequest, settings: Settings) -> str | Page:
    """What the request gives to read: its posted html, text or ssml as a page, else its URL."""
    limits = pipeline.limits(settings, refuse_private=True)
    if request.html is not None:
        return from_content(request.html, "html", "the posted html", request.url, limits)
    if request.text is not None:
        return from_content(request.text, "text", "the posted text", request.url, limits)
    if request.ssml is not None:
        return from_content(request.ssml, "ssml", "the posted ssml", request.url, limits)
    assert request.url is not None
    return request.url


@dataclass
class _Flight:
    """One fetch-and-script under way, awaited by every request that asked for the same."""

    done: anyio.Event = field(default_factory=anyio.Event)
    result: tuple[Record, bool] | None = None
    error: BaseException | None = None


class _Pool:
    """Threads of their own for one kind of request work: at most `limit` at once; past it,
    QueueFullError at once rather than a wait. Used from the event loop only."""

    def __init__(self, limit: int, busy: str) -> None:
        self.limit = limit
        self.running = 0
        self._busy = busy
        self._threads: anyio.CapacityLimiter | None = None

    async def run(self, work: Callable[[], T]) -> T:
        if self.running >= self.limit:
            raise QueueFullError(f"{self.limit} {self._busy} already; try again in a moment")
        if self._threads is None:  # made on the loop that uses it
            self._threads = anyio.CapacityLimiter(self.limit)
        self.running += 1
        try:
            return await anyio.to_thread.run_sync(work, limiter=self._threads)
        finally:
            self.running -= 1


class Fetches:
    """Fetching and scripting for requests, on threads of their own: at most
    `settings.fetch_limit` URLs fetched at once, so slow sources cannot hold the threads every
    other request needs, and as many posted pages read at once beside them, so slow sources
    cannot turn posted articles away either; past either, QueueFullError at once. The same
    request while one is under way waits for it; a URL that failed answers with that failure
    for a while. Used from the event loop only.
    """

    def __init__(self, settings: Settings) -> None:
        self.urls = _Pool(settings.fetch_limit, "articles are being fetched")
        self.posted = _Pool(settings.fetch_limit, "posted articles are being read")
        self._flights: dict[bytes, _Flight] = {}
        self._failed: OrderedDict[str, tuple[float, AudiobriefError]] = OrderedDict()

    async def submit(self, service: Service, request: ArticleRequest,
                     keyed: bool) -> tuple[Record, bool]:
        """`_submit` once for any number of identical requests at once."""
        key = msgspec.json.encode([request, keyed])
        while (flight := self._flights.get(key)) is not None:
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.result is not None:
                return flight.result[0], False
            # The request that led it was cancelled: the next one leads.
        fetches_url = request.url is not None and all(
            posted is None for posted in (request.html, request.text, request.ssml))
        if fetches_url and (failure := self._recent_failure(cast(str, request.url))):
            raise failure
        flight = self._flights[key] = _Flight()
        try:
            pool = self.urls if fetches_url else self.posted
            flight.result = await pool.run(lambda: _submit(service, request, keyed))
            return flight.result
        except AudiobriefError as error:
            flight.error = error
            # Only what the page itself caused; a full queue or disk is not the URL's fault.
            if fetches_url and isinstance(error, (SourceError, NoArticleError, TooLongError)):
                self._remember_failure(cast(str, request.url), error)
            raise
        except Exception as error:
            flight.error = error
            raise
        finally:
            del self._flights[key]
            flight.done.set()

    def _recent_failure(self, url: str) -> AudiobriefError | None:
        if (entry := self._failed.get(url)) is None:
            return None
        failed_at, error = entry
        if time.monotonic() - failed_at > NOT_FETCHED_AGAIN_S:
            del self._failed[url]
            return None
        return error

    def _remember_failure(self, url: str, error: AudiobriefError) -> None:
        self._failed[url] = (time.monotonic(), error)
        self._failed.move_to_end(url)
        while len(self._failed) > MAX_REMEMBERED_FAILURES:
            self._failed.popitem(last=False)


class StatusCache:
    """The encoded status JSON of finished articles, newest use last, within a byte budget.
    Dropped from job threads (Service.on_forget) when an article stops being finished."""

    def __init__(self, max_bytes: int = STATUS_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, article_id: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(article_id)
            if body is not None:
                self._bodies.move_to_end(article_id)
            return body

    def put(self, article_id: str, body: bytes) -> None:
        with self._lock:
            if len(body) > self.max_bytes or article_id in self._bodies:
                return
            self._bodies[article_id] = body
            self.bytes += len(body)
            while self.bytes > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self.bytes -= len(dropped)

    def drop(self, article_id: str) -> None:
        with self._lock:
            if (body := self._bodies.pop(article_id, None)) is not None:
                self.bytes -= len(body)
