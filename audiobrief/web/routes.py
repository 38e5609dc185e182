"""The HTTP API under /v1, plus /healthz and /metrics. Handlers parse, call the pipeline or the
service, and present; errors are raised, and app.py maps them to problem+json once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

import anyio
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.response import Redirect, Stream

from audiobrief import pipeline, sidecars
from audiobrief.load import from_content
from audiobrief.model import Page, Rendition, Script
from audiobrief.web import audio, player
from audiobrief.web.jobs import Service
from audiobrief.web.schemas import Accepted, ArticleRequest, ArticleStatus, accepted, article_status
from audiobrief.web.store import Record

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 2


class ConflictError(ClientException):
    status_code = 409


def require_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """With AUDIOBRIEF_API_KEYS set, writing needs a key (Bearer or X-API-Key)."""
    keys = _service(connection).settings.api_keys
    if not keys:
        return
    bearer = connection.headers.get("authorization", "")
    given = bearer.removeprefix("Bearer ").strip() if bearer.startswith("Bearer ") else None
    given = given or connection.headers.get("x-api-key")
    if given not in keys:
        raise NotAuthorizedException("an API key is needed: Authorization: Bearer KEY")


def _service(connection: ASGIConnection[Any, Any, Any, Any]) -> Service:
    return connection.app.state.service  # type: ignore[no-any-return]


def public_base(request: Request[Any, Any, Any]) -> str:
    """The service's root as clients reach it, no trailing slash: AUDIOBRIEF_PUBLIC_URL (behind a
    proxy), else the request's own."""
    return (_service(request).settings.public_url or str(request.base_url)).rstrip("/")


def _record(service: Service, article_id: str) -> Record:
    record = service.record(article_id)
    if record is None:
        raise NotFoundException(f"no article {article_id}")
    return record


def _submit(service: Service, request: ArticleRequest) -> tuple[Record, bool]:
    """Read the source (fetching a URL with private addresses refused), script it, queue it."""
    sources = [name for name in ("html", "text") if getattr(request, name) is not None]
    if len(sources) > 1 or not (sources or request.url):
        raise ClientException("give exactly one of url, html or text")
    settings = service.settings
    limits = pipeline.limits(settings, refuse_private=True)
    source: str | Page
    if request.html is not None:
        source = from_content(request.html, "html", "the posted html", request.url, limits)
    elif request.text is not None:
        source = from_content(request.text, "text", "the posted text", request.url, limits)
    else:
        assert request.url is not None
        source = request.url
    options = request.options()
    article = pipeline.read(source, settings, options.title, refuse_private=True)
    script = pipeline.prepare(article, settings, options)
    # Recorded so the URL finds its audio (embed.js, /v1/audio.mp3?url=): as asked, else canonical.
    return service.submit(script, options, request.url or script.url)


@post("/v1/articles", guards=[require_key], status_code=202)
async def create_article(request: Request[Any, Any, Any],
                         data: JSONBody[ArticleRequest]) -> Response[Accepted]:
    """Narrate an article: 202 with its id and links, or 200 when it exists already."""
    # Fetching and scripting block: off the event loop.
    record, new = await anyio.to_thread.run_sync(_submit, _service(request), data)
    return Response(accepted(record), status_code=202 if new else 200,
                    headers={"Location": f"/v1/articles/{record.id}"})


@get("/v1/articles", sync_to_thread=False)
def find_article(request: Request[Any, Any, Any], url: FromQuery[str]) -> Accepted:
    """The newest article made from this URL (not failed): a lookup that needs no API key."""
    record = _service(request).store.latest_for_url(url)
    if record is None:
        raise NotFoundException(f"no audio for {url} yet")
    return accepted(record)


@get("/v1/articles/{article_id:str}", sync_to_thread=False)
def article(request: Request[Any, Any, Any], article_id: FromPath[str]) -> ArticleStatus:
    """Status, progress, metadata and (once done) chapter and sentence times in seconds."""
    return article_status(_record(_service(request), article_id))


@post("/v1/articles/{article_id:str}/retry", guards=[require_key], sync_to_thread=False,
      status_code=202)
def retry(request: Request[Any, Any, Any], article_id: FromPath[str]) -> Accepted:
    """Queue a failed article again."""
    service = _service(request)
    record = _record(service, article_id)
    if record.status != "failed" or not service.store.retry(article_id):
        raise ConflictError(f"article {article_id} has not failed (it is {record.status})")
    return accepted(_record(service, article_id))


@get("/v1/articles/{article_id:str}/audio.mp3", sync_to_thread=False)
def audio_mp3(
    request: Request[Any, Any, Any], article_id: FromPath[str],
    range_header: Annotated[str | None, HeaderParameter(name="range")] = None,
    if_none_match: Annotated[str | None, HeaderParameter(name="if-none-match")] = None,
    if_range: Annotated[str | None, HeaderParameter(name="if-range")] = None,
) -> Response[bytes] | Stream:
    """The MP3: whole, by byte range (206), or streamed while the job is still running."""
    service = _service(request)
    record = _record(service, article_id)
    if record.status == "done":
        # Finished files up to IN_MEMORY_MAX get here only if gone from disk: the app
        # answers the others before routing (audio.answer_cached).
        return audio.serve_file(record, service.store.audio_path(article_id), range_header,
                                if_none_match, if_range)
    if record.status == "failed":
        raise ConflictError(f"article {article_id} failed: {record.error}")
    return audio.serve_growing(service.store, article_id)


SIDECARS: dict[str, tuple[Callable[[Script, Rendition], str], str]] = {
    "chapters.json": (sidecars.chapters_json, "application/json+chapters"),
    "chapters.vtt": (sidecars.chapters_vtt, "text/vtt"),
    "transcript.vtt": (sidecars.transcript_vtt, "text/vtt"),
}
"""The text files beside an MP3: Podcasting 2.0 JSON chapters, chapter cues, and one cue per
sentence as written, all on the MP3's sample-exact times."""


@get("/v1/articles/{article_id:str}/{name:str}", sync_to_thread=False)
def sidecar(request: Request[Any, Any, Any], article_id: FromPath[str],
            name: FromPath[str]) -> Response[str]:
    """chapters.json, chapters.vtt or transcript.vtt of a finished article."""
    if name not in SIDECARS:
        raise NotFoundException(f"no {name} here; there are {', '.join(SIDECARS)}")
    record = _record(_service(request), article_id)
    if record.rendition is None:
        raise ConflictError(f"article {article_id} is {record.status}; its timings come when done",
                            headers={"Retry-After": str(RETRY_AFTER_S)})
    render, media_type = SIDECARS[name]
    return Response(render(record.script, record.rendition), media_type=media_type,
                    headers={"Cache-Control": audio.CACHE_FOREVER})


@get("/v1/audio.mp3", sync_to_thread=True)
def audio_by_url(request: Request[Any, Any, Any], url: FromQuery[str]) -> Response[Any]:
    """For simple integrations: a redirect to the article's audio once it exists; until then
    the job is started (or found) and the answer is 202 with Retry-After."""
    service = _service(request)
    record = service.store.latest_for_url(url)
    fresh = record is not None and (record.status != "done" or record.age_s
                                    < service.settings.url_ttl_s)
    if not fresh:
        require_key(request, None)  # type: ignore[arg-type]
        record, _ = _submit(service, ArticleRequest(url=url))
    assert record is not None
    if record.status == "done":
        return Redirect(f"/v1/articles/{record.id}/audio.mp3", status_code=302)
    return Response(accepted(record), status_code=202,
                    headers={"Retry-After": str(RETRY_AFTER_S),
                             "Location": f"/v1/articles/{record.id}"})


@get("/embed/{article_id:str}", sync_to_thread=False, media_type="text/html")
def embed(request: Request[Any, Any, Any], article_id: FromPath[str]) -> Response[str]:
    """The player page for an iframe on a news site."""
    service = _service(request)
    _record(service, article_id)
    page = player.embed_page(article_id, disclosure=service.settings.disclosure,
                             disclosure_url=service.settings.disclosure_url)
    return Response(page, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})


@get("/embed.js", sync_to_thread=False)
def embed_js(request: Request[Any, Any, Any]) -> Response[str]:
    """`<script src=".../embed.js" data-url="ARTICLE_URL">`: puts the article's player in place."""
    return Response(player.embed_script(public_base(request)),
                    media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@get("/healthz", sync_to_thread=False)
def healthz(request: Request[Any, Any, Any]) -> dict[str, Any]:
    service = _service(request)
    counts = service.counts()
    return {"status": "ok", "workers": service.workers, "queued": counts["queued"],
            "running": counts["running"]}


@get("/metrics", sync_to_thread=False, media_type="text/plain; version=0.0.4")
def metrics(request: Request[Any, Any, Any]) -> str:
    """Prometheus text format."""
    service = _service(request)
    counts = service.counts()
    m = service.metrics
    lines = ["# HELP audiobrief_jobs Articles by status.", "# TYPE audiobrief_jobs gauge"]
    lines += [f'audiobrief_jobs{{status="{status}"}} {count}' for status, count in counts.items()]
    with m.lock:
        lines += [
            "# HELP audiobrief_synthesis_seconds_total Wall time spent making audio.",
            "# TYPE audiobrief_synthesis_seconds_total counter",
            f"audiobrief_synthesis_seconds_total {m.synthesis_seconds:.3f}",
            "# HELP audiobrief_audio_seconds_total Seconds of audio made.",
            "# TYPE audiobrief_audio_seconds_total counter",
            f"audiobrief_audio_seconds_total {m.audio_seconds:.3f}",
            "# HELP audiobrief_jobs_finished_total Jobs finished since start.",
            "# TYPE audiobrief_jobs_finished_total counter",
            f"audiobrief_jobs_finished_total {m.jobs_finished}",
            "# HELP audiobrief_jobs_failed_total Jobs failed since start.",
            "# TYPE audiobrief_jobs_failed_total counter",
            f"audiobrief_jobs_failed_total {m.jobs_failed}",
        ]
    return "\n".join(lines) + "\n"


ROUTES = [create_article, find_article, article, retry, audio_mp3, sidecar, audio_by_url, embed,
          embed_js, healthz, metrics]
