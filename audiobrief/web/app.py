"""The Litestar app factory: `create_app(settings)` builds a fresh app (tests make one per test),
`serve()` runs it under uvicorn. Errors become application/problem+json here, in one place."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsPlugin,
)

from audiobrief import language
from audiobrief.service.jobs import Service
from audiobrief.settings import Settings, get_settings
from audiobrief.voices import Voice
from audiobrief.web import (
    audio,
    desk,
    docs,
    feed,
    figures,
    intake,
    problems,
    routes,
    speech,
    webhooks,
)

if TYPE_CHECKING:
    from litestar.types import LifeSpanReceive, LifeSpanScope, LifeSpanSend, Receive, Scope, Send

logger = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})
CORS_HEADERS = "Content-Type, Authorization, X-API-Key, Range, If-None-Match, If-Range"
CORS_MAX_AGE_S = 3600
_AUDIO_PATH = re.compile(r"^/v1/articles/[^/]+/audio\.mp3$")


class AudiobriefApp(Litestar):
    """The Litestar app with one request answered before it: GET or HEAD of a finished MP3
    (`audio.answer_cached`), every listener's every seek.

    Under many connections the framework's routing, CORS and exception layers in front of a
    middleware made the server the bottleneck; answered first, it serves as fast as a bare ASGI
    app sending the same bytes (bench/service.py cache).
    """

    async def __call__(self, scope: Scope | LifeSpanScope, receive: Receive | LifeSpanReceive,
                       send: Send | LifeSpanSend) -> None:
        if scope["type"] == "http":
            http: Any = scope
            if await audio.answer_cached(self.state.service, http, send):  # type: ignore[arg-type]
                return
            headers = dict(http["headers"]) if http["method"] == "OPTIONS" else {}
            if audio.header(headers, b"access-control-request-method"):
                await _preflight(self.state.service.settings, headers, send)
                return
            if http["method"] == "HEAD" and _AUDIO_PATH.match(http["path"]):
                # Routed as GET (a handler cannot declare both), answered without the body.
                await super().__call__({**http, "method": "GET"},  # type: ignore[arg-type]
                                       receive, _headers_only(send))
                return
        await super().__call__(scope, receive, send)


async def _preflight(settings: Settings, request_headers: dict[bytes, bytes], send: Any) -> None:
    """CORS preflights: reading from any origin, writing only from AUDIOBRIEF_CORS_WRITE_ORIGINS,
    so another site's page cannot have its readers' browsers create work."""
    origin = audio.header(request_headers, b"origin") or ""
    method = (audio.header(request_headers, b"access-control-request-method") or "").upper()
    headers: list[tuple[bytes, bytes]] = [(b"vary", b"Origin")]
    if method in READ_METHODS or (origin and routes.writes_allowed_from(origin, settings)):
        allowed = ("GET, HEAD, OPTIONS" if method in READ_METHODS
                   else "GET, HEAD, POST, DELETE, OPTIONS")
        headers += [(b"access-control-allow-origin", (origin or "*").encode("latin-1")),
                    (b"access-control-allow-methods", allowed.encode()),
                    (b"access-control-allow-headers", CORS_HEADERS.encode()),
                    (b"access-control-max-age", str(CORS_MAX_AGE_S).encode())]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = json.dumps({
        "status": 403, "title": "Forbidden",
        "detail": f"{method or 'this method'} from {origin or 'this origin'} is not allowed:"
                  " other sites may read; writing is allowed only from"
                  " AUDIOBRIEF_CORS_WRITE_ORIGINS"}).encode()
    headers += [(b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _headers_only(send: Any) -> Any:
    """A `send` that passes the response's start and ends its body at once (a HEAD answer)."""
    ended = False

    async def head_send(message: Any) -> None:
        nonlocal ended
        if message["type"] != "http.response.body":
            await send(message)
        elif not ended:
            ended = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return head_send


def create_app(settings: Settings | None = None, voices: Mapping[str, Voice] | None = None,
               role: str = "all") -> Litestar:
    """A new app with its own service (backends, voices, workers), started and stopped with it.

    `voices` are voices loaded already (by name), used instead of loading them again. With
    `role` "web" (distributed), it narrates nothing itself and loads no voice for jobs.
    """
    settings = settings or get_settings()
    service = Service(settings, voices=voices, run_jobs=role == "all")
    feed.check_image(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        service.start()
        if role == "all":
            # Load the default voice now, off the event loop, so the first job starts at once.
            threading.Thread(target=_warm, args=(service,), daemon=True).start()
        try:
            yield
        finally:
            service.stop()

    app = AudiobriefApp(
        route_handlers=[*routes.ROUTES, *feed.ROUTES, *speech.ROUTES, *figures.ROUTES,
                        *webhooks.ROUTES, *desk.ROUTES, *docs.ROUTES],
        lifespan=[lifespan],
        plugins=[ProblemDetailsPlugin(ProblemDetailsConfig(
            exception_to_problem_detail_map=dict.fromkeys(problems.MAPPED, problems.problem)))],
        cors_config=CORSConfig(
            allow_origins=["*"], allow_methods=["GET", "POST", "DELETE", "OPTIONS", "HEAD"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "Range",
                           "If-None-Match", "If-Range"],
            expose_headers=["Content-Length", "Content-Range", "Accept-Ranges", "ETag",
                            "Retry-After", "Location"]),
        openapi_config=docs.openapi_config(urlsplit(settings.public_url).path
                                           if settings.public_url else ""),
        request_max_body_size=settings.max_request_bytes,
        debug=False,
    )
    app.state.service = service
    app.state.fetches = intake.Fetches(settings)
    app.state.statuses = statuses = intake.StatusCache()
    service.on_forget.append(statuses.drop)
    app.state.speeches = speech.Streams(settings.speech_streams)
    app.state.event_limit = figures.ClientLimit(settings.events_per_minute)
    return app


def _warm(service: Service) -> None:
    """The default voice and the language detector, loaded before the first request needs them."""
    try:
        service.voice()
        language.warm()
    except Exception:  # reported again, with its reason, by the first job that needs it
        logger.exception("could not load the default voice")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          access_log: bool = False, role: str = "all") -> None:
    """Run the service until interrupted.

    Jobs, errors and start-up are logged; a line per request only with `access_log`: it costs
    about a quarter of a cached MP3's serving time, and the proxy in front usually logs them.
    """
    import uvicorn

    _fewer_malloc_arenas()

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in sorted(settings.extra):
        # A misspelt AUDIOBRIEF_API_KEYS would otherwise leave the service open without a word.
        logger.warning("AUDIOBRIEF_%s is not a setting of this version; it is ignored",
                       name.upper())
    uvicorn.run(create_app(settings, role=role), host=host, port=port, log_level="info",
                access_log=access_log)


def _fewer_malloc_arenas(count: int = 2) -> None:
    """glibc gives every thread that allocates its own malloc arena (up to 8 per core); with the
    request threads, the workers and ONNX Runtime's, their fragments add up to a larger resident
    size. A couple of arenas is plenty for a service whose hot loops run in native code."""
    import ctypes
    import ctypes.util

    m_arena_max = -8
    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).mallopt(m_arena_max, count)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        logger.debug("mallopt is not available")
