"""Listening figures over HTTP: the player's anonymous events in (POST /v1/events), an article's
figures by day and the most played articles out (keyed), and the /desk/stats page that shows
them. No cookie is read or set; a client's address is held, hashed, for one minute's rate limit
and never stored."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import threading
import time
from importlib import resources
from typing import Annotated, Any, cast

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, Parameter

from audiobrief.errors import NotFoundError, RequestError, TooManyRequestsError
from audiobrief.service import events
from audiobrief.service.jobs import Service
from audiobrief.web.problems import Declared, answer, route_responses
from audiobrief.web.routes import KEYED, require_key

MAX_EVENT_BYTES = 512
"""An event is a few dozen bytes; a larger body is refused (413) before it is read whole."""
MAX_CLIENTS = 100_000
"""Client addresses counted in one minute at most; past it every new one is refused."""
ArticleId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
Days = Annotated[int, Parameter(ge=1, le=366)]


class ListenEvent(msgspec.Struct, forbid_unknown_fields=True):
    """One thing a listener's player saw: no listener, session or time in it."""

    article: ArticleId
    kind: events.Kind
    """play, 25, 50, 75 (per cent of the audio reached), complete, or chapter (a jump)."""


_decode_event = msgspec.json.Decoder(ListenEvent).decode


class ClientLimit:
    """At most `per_minute` requests from one client address in each clock minute. Addresses
    are held for the minute only, as a keyed hash (the key made at start and never kept)."""

    def __init__(self, per_minute: int, max_clients: int = MAX_CLIENTS) -> None:
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._key = os.urandom(16)
        self._minute = -1
        self._counts: dict[bytes, int] = {}
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Count a request; TooManyRequestsError past the client's share of this minute."""
        now = time.time()
        minute = int(now // 60)
        client = hmac.digest(self._key, address.encode(), hashlib.sha256)[:16]
        with self._lock:
            if minute != self._minute:
                self._minute, self._counts = minute, {}
            if client not in self._counts and len(self._counts) >= self.max_clients:
                count = self.per_minute + 1
            else:
                count = self._counts[client] = self._counts.get(client, 0) + 1
        if count > self.per_minute:
            refused = TooManyRequestsError(
                f"more than {self.per_minute} listening events from this client this minute")
            refused.retry_after_s = max(1, 60 - int(now % 60))
            raise refused


@functools.cache
def _page() -> str:
    return resources.files("audiobrief").joinpath("web", "static", "stats.html").read_text(
        encoding="utf-8")


def _service(request: Request[Any, Any, Any]) -> Service:
    return cast(Service, request.app.state.service)


def declines(request: Request[Any, Any, Any]) -> bool:
    """Whether the listener's browser asks not to be counted (Do Not Track, Global Privacy
    Control)."""
    return request.headers.get("dnt") == "1" or request.headers.get("sec-gpc") == "1"


@post("/v1/events", status_code=204, operation_class=Declared,
      request_max_body_size=MAX_EVENT_BYTES,
      responses=route_responses("POST", "/v1/events", {
          204: answer("Counted, or not counted because the browser asks not to be (DNT: 1,"
                      " Sec-GPC: 1).")}))
async def listen_event(request: Request[Any, Any, Any]) -> None:
    """A listening event from the player: `{"article": ID, "kind": "play"}`, kinds play, 25,
    50, 75, complete, chapter. Sent as text/plain (navigator.sendBeacon) or JSON; no key, no
    cookie; rate-limited per client address."""
    if declines(request):
        return
    limit: ClientLimit = request.app.state.event_limit
    limit.check(request.client.host if request.client else "")
    try:
        event = _decode_event(await request.body())
    except msgspec.DecodeError as error:
        raise RequestError(f"not a listening event: {error}") from None
    service = _service(request)
    if service.finished_record(event.article) is None:
        raise NotFoundError(f"no finished article {event.article}")
    service.listens.count(event.article, event.kind)


class DayFigures(msgspec.Struct):
    day: str
    """YYYY-MM-DD (UTC)."""
    plays: int
    completes: int
    completion_rate: float
    """Share of plays that reached the end, 0 to 1."""
    average_share: float
    """Share of the audio a play heard on average, 0 to 1, counted in quarters (a floor)."""
    chapter_jumps: int


class ArticleFigures(msgspec.Struct):
    id: str
    title: str
    url: str | None
    days: int
    """The days counted, today included."""
    plays: int
    completes: int
    completion_rate: float
    average_share: float
    chapter_jumps: int
    by_day: list[DayFigures]
    """Days with any event, newest first."""


class MostPlayed(msgspec.Struct):
    days: int
    articles: list[ArticleFigures]
    """Most played first; each article's `by_day` is left empty here."""


def _day(day: str, figures: events.Figures) -> DayFigures:
    return DayFigures(day=day, plays=figures.plays, completes=figures.completes,
                      completion_rate=round(figures.completion_rate, 4),
                      average_share=round(figures.average_share, 4),
                      chapter_jumps=figures.chapter_jumps)


def _article(service: Service, article_id: str, days: int, figures: events.Figures,
             by_day: list[tuple[str, events.Figures]]) -> ArticleFigures:
    record = service.record(article_id)
    return ArticleFigures(
        id=article_id, title=record.script.title if record else "(deleted)",
        url=(record.source_url or record.script.url) if record else None, days=days,
        plays=figures.plays, completes=figures.completes,
        completion_rate=round(figures.completion_rate, 4),
        average_share=round(figures.average_share, 4), chapter_jumps=figures.chapter_jumps,
        by_day=[_day(day, counts) for day, counts in by_day])


@get("/v1/articles/{article_id:str}/stats", guards=[require_key], operation_class=Declared,
     security=KEYED,
     sync_to_thread=True,
     responses=route_responses("GET", "/v1/articles/{article_id}/stats"))
def article_stats(request: Request[Any, Any, Any], article_id: FromPath[str],
                  days: Days = 30) -> ArticleFigures:
    """An article's listening figures over the last `days` days: plays, completion rate,
    average share listened, chapter jumps, in all and by day."""
    service = _service(request)
    if service.record(article_id) is None:
        raise NotFoundError(f"no article {article_id}")
    total, by_day = service.listens.by_day(article_id, days)
    return _article(service, article_id, days, total, by_day)


@get("/v1/stats", guards=[require_key], operation_class=Declared, sync_to_thread=True,
     security=KEYED,
     responses=route_responses("GET", "/v1/stats"))
def most_played(request: Request[Any, Any, Any], days: Days = 30,
                limit: Annotated[int, Parameter(ge=1, le=200)] = 50) -> MostPlayed:
    """The most played articles over the last `days` days, with their figures."""
    service = _service(request)
    return MostPlayed(days=days, articles=[
        _article(service, article_id, days, figures, [])
        for article_id, figures in service.listens.most_played(days, limit)])


@get("/desk/stats", sync_to_thread=False, media_type="text/html", operation_class=Declared,
     responses=route_responses("GET", "/desk/stats"))
def desk_stats() -> Response[str]:
    """The listening figures page for editors; its figures are read with their API key."""
    return Response(_page(), media_type="text/html",
                    headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})


ROUTES = [listen_event, article_stats, most_played, desk_stats]
