"""The HTTP API under /v1, plus /healthz and /metrics. Handlers parse, call the service (a new
article through intake.Fetches), and present; errors are raised, and app.py maps them to
problem+json once."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any, cast
from urllib.parse import urlencode, urlsplit

import anyio
import msgspec
from litestar import Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, HeaderParameter, JSONBody, Parameter
from litestar.response import Redirect, Stream
from prometheus_client import CONTENT_TYPE_LATEST

from audiobrief import sidecars
from audiobrief.errors import (
    ConflictError,
    GoneError,
    KeyRequiredError,
    NotFoundError,
    RequestError,
)
from audiobrief.fetch import article_url
from audiobrief.model import Rendition, Script
from audiobrief.service.backends import Record, Status, article_key
from audiobrief.service.jobs import Service
from audiobrief.settings import Settings
from audiobrief.web import audio, player
from audiobrief.web.intake import Fetches, StatusCache
from audiobrief.web.problems import Declared, Health, also_in, answer, route_responses
from audiobrief.web.schemas import (
    MAX_LIST_LIMIT,
    MAX_URL_CHARS,
    Accepted,
    ArticleList,
    ArticleRequest,
    ArticleStatus,
    ExternalId,
    accepted,
    article_status,
    cursor_after,
    listed,
    read_cursor,
)

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 2
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])"
                   r"(?::(?P<port>[0-9]{1,5}))?$")


def holds_key(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the caller gave one of AUDIOBRIEF_API_KEYS (Bearer or X-API-Key), compared in
    constant time against every key so the answer's timing tells nothing about them."""
    keys = _service(connection).settings.api_keys
    bearer = connection.headers.get("authorization", "")
    given = bearer.removeprefix("Bearer ").strip() if bearer.startswith("Bearer ") else None
    given = given or connection.headers.get("x-api-key")
    if not keys or not given:
        return False
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given.encode(), key.encode())
    return matched


def require_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """With AUDIOBRIEF_API_KEYS set, writing needs a key (Bearer or X-API-Key)."""
    if _service(connection).settings.api_keys and not holds_key(connection):
        raise KeyRequiredError("an API key is needed: Authorization: Bearer KEY")


def writes_allowed_from(origin: str | None, settings: Settings) -> bool:
    """Whether a browser page on `origin` may write (CORS): AUDIOBRIEF_CORS_WRITE_ORIGINS, or
    "*" there for any; a request without an Origin is not a cross-site page's."""
    return origin is None or bool({origin, "*"} & set(settings.cors_write_origins))


def may_create(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether this caller may have an article made: no keys set or it holds one, and a page's
    browser only from an origin allowed to write."""
    settings = _service(connection).settings
    return ((not settings.api_keys or holds_key(connection))
            and writes_allowed_from(connection.headers.get("origin"), settings))


def _service(connection: ASGIConnection[Any, Any, Any, Any]) -> Service:
    return cast(Service, connection.app.state.service)


def public_base(request: Request[Any, Any, Any]) -> str:
    """The service's root as clients reach it, no trailing slash: AUDIOBRIEF_PUBLIC_URL (behind a
    proxy), else the request's own, once its Host header is a valid host[:port]."""
    public_url = _service(request).settings.public_url
    if public_url:
        return public_url.rstrip("/")
    host = request.headers.get("host", "")
    match = _HOST.match(host)
    if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
        raise RequestError(f"the Host header {host[:100]!r} is not a host name[:port]; set"
                           " AUDIOBRIEF_PUBLIC_URL to the address clients use")
    return f"{request.url.scheme}://{host}{request.scope.get('root_path', '')}".rstrip("/")


def public_cache(request: Request[Any, Any, Any], max_age_s: int) -> dict[str, str]:
    """Cache headers for an answer that names the service's root: shared caches may keep it only
    when the root is AUDIOBRIEF_PUBLIC_URL, not one taken from the request's Host."""
    if _service(request).settings.public_url:
        return {"Cache-Control": f"public, max-age={max_age_s}"}
    return {"Cache-Control": f"private, max-age={max_age_s}", "Vary": "Host"}


KEYED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
"""The OpenAPI security of a route that needs a key when AUDIOBRIEF_API_KEYS is set."""
KEYED_TO_CREATE: list[dict[str, list[str]]] = [{}, *KEYED]
"""A route that reads without a key and needs one (when keys are set) for more."""


def _record(service: Service, some_id: str) -> Record:
    """The version `some_id` names (by its id, or its article's: `Service.answering`); 410
    when it was withdrawn, 404 when there never was one."""
    record = service.answering(some_id)
    if record is None:
        _refuse_missing(service, some_id, f"no article {some_id}")
    assert record is not None
    return record


def _refuse_missing(service: Service, key: str, missing: str) -> None:
    if service.jobs.withdrawn(key):
        raise GoneError(f"the audio of {key} was withdrawn")
    raise NotFoundError(missing)


def _fetches(connection: ASGIConnection[Any, Any, Any, Any]) -> Fetches:
    return cast(Fetches, connection.app.state.fetches)


def _fresh_for_url(service: Service, url: str) -> Record | None:
    """The article bound to `url`, unless it is finished and older than url_ttl_s."""
    record = service.for_url(url)
    if record is None or (record.status == "done"
                          and record.age_s >= service.settings.url_ttl_s):
        return None
    return record


def _only_url(request: ArticleRequest) -> bool:
    return request == ArticleRequest(url=request.url)


@post("/v1/articles", guards=[require_key], status_code=202, operation_class=Declared,
      summary="Narrate an article",
      security=KEYED,
      responses=route_responses("POST", "/v1/articles", {
          200: answer("The article exists already (made or being made from this URL).",
                      "application/json", Accepted)}))
async def create_article(request: Request[Any, Any, Any],
                         data: JSONBody[ArticleRequest]) -> Response[Accepted]:
    """Narrate an article: 202 with its id and links, or 200 when it exists already."""
    service = _service(request)
    if data.external_id is not None and not holds_key(request):
        raise KeyRequiredError("external_id names an article for good: giving one needs an API"
                               " key (AUDIOBRIEF_API_KEYS; Authorization: Bearer KEY)")
    existing = _fresh_for_url(service, data.url) if data.url and _only_url(data) else None
    if existing is not None:  # made or being made from this URL: no fetch per page view
        record, new = existing, False
    else:
        record, new = await _fetches(request).submit(service, data, holds_key(request))
    return Response(accepted(record), status_code=202 if new else 200,
                    headers={"Location": f"/v1/articles/{record.id}"})


@get("/v1/articles", sync_to_thread=False, operation_class=Declared, security=KEYED_TO_CREATE,
     summary="Look up an article by URL or external_id, or list articles",
     responses=route_responses("GET", "/v1/articles"))
def find_articles(
    request: Request[Any, Any, Any],
    url: Annotated[str | None, Parameter(
        max_length=MAX_URL_CHARS, description="Look up the article of this canonical URL.")
    ] = None,
    external_id: Annotated[ExternalId | None, Parameter(
        description="Look up the article of this CMS id.")] = None,
    status: Annotated[Status | None, Parameter(
        description="List only articles whose newest version has this status.")] = None,
    url_prefix: Annotated[str | None, Parameter(
        max_length=MAX_URL_CHARS, description="List only articles whose URL starts so.")
    ] = None,
    limit: Annotated[int, Parameter(ge=1, le=MAX_LIST_LIMIT,
                                    description="Articles a page.")] = 20,
    cursor: Annotated[str | None, Parameter(
        max_length=200, description="Where a page starts: from the `next` link of the page"
                                    " before.")] = None,
) -> Accepted | ArticleList:
    """With `url` or `external_id`, a lookup that needs no API key: the article's newest
    finished version, else the one being made (its 404 says in `create` whether this caller may
    have it made, POST /v1/articles; 410 when it was withdrawn). Without either, the list of
    articles, the most recently posted first, each as its newest version has it (with API
    keys set, listing needs one)."""
    service = _service(request)
    if url is not None or external_id is not None:
        record = (service.for_url(url) if url is not None
                  else service.jobs.answering(article_key(None, external_id) or ""))
        if record is None:
            key = article_key(url and article_url(url),
                              None if url is not None else external_id) or ""
            if service.jobs.withdrawn(key):
                raise GoneError(f"the audio of {url or external_id} was withdrawn")
            raise NotFoundError(f"no audio for {url or external_id} yet").with_extra(
                create=may_create(request))
        return accepted(record)
    require_key(request, None)  # type: ignore[arg-type]
    after = read_cursor(cursor) if cursor is not None else None
    records = service.jobs.articles(limit + 1, status=status, url_prefix=url_prefix,
                                    after=after)
    page, more = records[:limit], len(records) > limit
    next_page = None
    if more:
        query = {"limit": str(limit), "cursor": cursor_after(page[-1]),
                 **({"status": status} if status else {}),
                 **({"url_prefix": url_prefix} if url_prefix else {})}
        next_page = f"/v1/articles?{urlencode(query)}"
    items = []
    for record in page:
        answering = record if record.status == "done" else service.jobs.answering(record.article)
        items.append(listed(record, answering.id if answering and answering.status == "done"
                                    else None))
    return ArticleList(articles=items, next=next_page)


def _status_json(service: Service, some_id: str) -> tuple[bytes, bool]:
    """The status JSON, and whether it is for good (a finished version asked for by its id)."""
    record = _record(service, some_id)
    return (msgspec.json.encode(article_status(record)),
            record.status == "done" and record.id == some_id)


@get("/v1/articles/{article_id:str}", operation_class=Declared,
     summary="An article's or version's status and timings",
     responses=route_responses("GET", "/v1/articles/{article_id}"))
async def article(request: Request[Any, Any, Any],
                  article_id: FromPath[str]) -> Response[ArticleStatus]:
    """A version's status, progress, metadata and (once done) chapter and sentence times in
    seconds; by an article's id, its newest finished version's (else the newest being made).
    410 once the article was withdrawn."""
    cache: StatusCache = request.app.state.statuses
    cached = cache.get(article_id)
    if cached is not None and _service(request).finished_record(article_id) is None:
        cache.drop(article_id)  # withdrawn on another node
        cached = None
    if cached is not None:
        body = cached
    else:
        # A long article's JSON is a megabyte or more: built off the loop, kept once finished.
        body, finished = await anyio.to_thread.run_sync(_status_json, _service(request),
                                                        article_id)
        if finished:
            cache.put(article_id, body)
    return cast(Response[ArticleStatus], Response(body, media_type="application/json"))


@post("/v1/articles/{article_id:str}/retry", guards=[require_key], sync_to_thread=False,
      summary="Retry a failed version",
      status_code=202, operation_class=Declared, security=KEYED,
      responses=route_responses("POST", "/v1/articles/{article_id}/retry"))
def retry(request: Request[Any, Any, Any], article_id: FromPath[str]) -> Accepted:
    """Queue a failed article again."""
    service = _service(request)
    record = _record(service, article_id)
    if record.status != "failed" or not service.retry(article_id):
        raise ConflictError(f"article {article_id} has not failed (it is {record.status})")
    return accepted(_record(service, article_id))


@get("/v1/articles/{article_id:str}/audio.mp3", sync_to_thread=False, operation_class=Declared,
     summary="The MP3",
     responses=route_responses("GET", "/v1/articles/{article_id}/audio.mp3", {
         200: answer("The MP3, whole, or streamed as it is made while the job runs.",
                     audio.MP3),
         206: answer("The byte range asked for (Content-Range).", audio.MP3),
         302: answer("Asked for by the article's id: Location is its newest finished"
                     " version's MP3."),
         304: answer("The client's copy (If-None-Match) is this one."),
         416: answer("The range is past the end of the file: no body, Content-Range: bytes"
                     " */SIZE."),
     }))
def audio_mp3(
    request: Request[Any, Any, Any], article_id: FromPath[str],
    range_header: Annotated[str | None, HeaderParameter(name="range")] = None,
    if_none_match: Annotated[str | None, HeaderParameter(name="if-none-match")] = None,
    if_range: Annotated[str | None, HeaderParameter(name="if-range")] = None,
) -> Response[bytes] | Stream:
    """A version's MP3: whole, by byte range (206), or streamed while the job is still running;
    by the article's id, a redirect to its newest finished version's (302)."""
    service = _service(request)
    record = _record(service, article_id)
    if record.id != article_id:
        return Redirect(f"/v1/articles/{record.id}/audio.mp3", status_code=302)
    if record.status == "done":
        # Finished files up to IN_MEMORY_MAX get here only if gone from disk: the app
        # answers the others before routing (audio.answer_cached).
        return audio.serve_file(record, service.audio, range_header,
                                if_none_match, if_range)
    if record.status == "failed":
        raise ConflictError(f"article {article_id} failed: {record.error}")
    return audio.serve_growing(service, article_id)


SIDECARS: dict[str, tuple[Callable[[Script, Rendition], str], str]] = {
    "chapters.json": (sidecars.chapters_json, "application/json+chapters"),
    "chapters.vtt": (sidecars.chapters_vtt, "text/vtt"),
    "transcript.vtt": (sidecars.transcript_vtt, "text/vtt"),
    "transcript.json": (sidecars.transcript_json, "application/json"),
}
"""The text files beside an MP3: Podcasting 2.0 JSON chapters, chapter cues, and the text as
written with each word's time, as short WebVTT cues and as a Podcasting 2.0 JSON transcript,
all on the MP3's sample-exact times."""


@get("/v1/articles/{article_id:str}/{name:str}", sync_to_thread=False,
     summary="Chapters or transcript",
     operation_class=also_in(200, "text/vtt", schema=Schema(type=OpenAPIType.STRING)),
     responses=route_responses("GET", "/v1/articles/{article_id}/{name}", {
         200: answer("chapters.json (Podcasting 2.0 JSON chapters), transcript.json"
                     " (Podcasting 2.0 JSON transcript, a segment per word), or chapters.vtt"
                     " and transcript.vtt (WebVTT).", "application/json+chapters",
                     dict[str, Any]),
         302: answer("Asked for by the article's id: Location is its newest finished"
                     " version's."),
     }))
def sidecar(request: Request[Any, Any, Any], article_id: FromPath[str],
            name: FromPath[str]) -> Response[str]:
    """chapters.json, chapters.vtt, transcript.vtt or transcript.json of a finished version;
    by the article's id, a redirect to its newest finished version's (302)."""
    if name not in SIDECARS:
        raise NotFoundError(f"no {name} here; there are {', '.join(SIDECARS)}")
    record = _record(_service(request), article_id)
    if record.id != article_id:
        return Redirect(f"/v1/articles/{record.id}/{name}", status_code=302)
    if record.rendition is None:
        busy = ConflictError(f"article {article_id} is {record.status}; its timings come when done")
        busy.retry_after_s = RETRY_AFTER_S
        raise busy
    render, media_type = SIDECARS[name]
    return Response(render(record.script, record.rendition), media_type=media_type,
                    headers={"Cache-Control": audio.CACHE_FOREVER})


@get("/v1/audio.mp3", status_code=202, operation_class=Declared, security=KEYED_TO_CREATE,
     summary="The MP3 of a URL (redirect), made on first request",
     responses=route_responses("GET", "/v1/audio.mp3", {
         202: answer("The audio is being made (Retry-After, Location of its status).",
                     "application/json", Accepted),
         302: answer("The audio exists: Location is its MP3."),
     }))
async def audio_by_url(request: Request[Any, Any, Any],
                       url: Annotated[str, Parameter(max_length=MAX_URL_CHARS)]) -> Response[Any]:
    """For simple integrations: a redirect to the article's newest finished audio once it
    exists; until then the job is started (or found; with API keys set, starting needs one)
    and the answer is 202 with Retry-After. 410 when the URL's article was withdrawn."""
    service = _service(request)
    record = _fresh_for_url(service, url)
    if record is None:
        if service.for_url(url) is None and service.jobs.withdrawn(
                article_key(article_url(url)) or ""):
            raise GoneError(f"the audio of {url} was withdrawn")
        require_key(request, None)  # type: ignore[arg-type]
        try:
            wanted = msgspec.convert({"url": url}, ArticleRequest)
        except msgspec.ValidationError as error:
            raise RequestError(f"url: {error}") from None
        record, _ = await _fetches(request).submit(service, wanted, holds_key(request))
    if record.status == "done":
        return Redirect(f"/v1/articles/{record.id}/audio.mp3", status_code=302)
    return Response(accepted(record), status_code=202,
                    headers={"Retry-After": str(RETRY_AFTER_S),
                             "Location": f"/v1/articles/{record.id}"})


@get("/embed/{article_id:str}", sync_to_thread=False, media_type="text/html",
     summary="The player page",
     operation_class=Declared, responses=route_responses("GET", "/embed/{article_id}", {
         404: answer("No such article: a page saying so, for the reader who sees the frame.",
                     "text/html", str),
         410: answer("The audio was withdrawn: the player page, saying so.", "text/html",
                     str)}))
def embed(request: Request[Any, Any, Any], article_id: FromPath[str]) -> Response[str]:
    """The player page for an iframe on a news site: of a version, or by the article's id of
    its newest audio across edits. A withdrawn one's page (410) says so."""
    service = _service(request)
    gone = service.answering(article_id) is None
    if gone and not service.jobs.withdrawn(article_id):
        # Shown to a reader inside a news page's frame, where problem+json would be raw JSON.
        return Response(player.missing_page(), status_code=404, media_type="text/html",
                        headers={"Cache-Control": "no-store"})
    settings = service.settings
    # Behind a proxy at a path (AUDIOBRIEF_PUBLIC_URL=https://site/audio) the page's own requests
    # go under that path too.
    page = player.embed_page(article_id, disclosure=settings.disclosure,
                             disclosure_url=settings.disclosure_url,
                             base_path=urlsplit(settings.public_url).path if settings.public_url
                             else "")
    # Litestar adds "; charset=utf-8" to a text/ media type itself.
    return Response(page, media_type="text/html", status_code=410 if gone else 200,
                    headers={"Cache-Control": "public, max-age=300"})


@delete("/v1/articles/{article_id:str}", guards=[require_key], sync_to_thread=True,
        summary="Withdraw an article",
        status_code=204, operation_class=Declared, security=KEYED,
        responses=route_responses("DELETE", "/v1/articles/{article_id}", {
            204: answer("Withdrawn (now, or before: deleting again changes nothing).")}))
def withdraw(request: Request[Any, Any, Any], article_id: FromPath[str]) -> None:
    """Withdraw an article, by its id or any of its versions': the audio of every version,
    their chapters and transcripts and its feed item go; its ids, and its URL's lookups,
    answer 410 from then on, and its player says the audio was withdrawn. Posting the article
    again with an API key (or having audiobrief fetch it) publishes it again."""
    if _service(request).withdraw(article_id) is None:
        raise NotFoundError(f"no article {article_id}")


@get("/embed.js", sync_to_thread=False, media_type="text/javascript", operation_class=Declared,
     summary="The embed script",
     responses=route_responses("GET", "/embed.js"))
def embed_js(request: Request[Any, Any, Any]) -> Response[str]:
    """`<script src=".../embed.js" data-url="ARTICLE_URL">`: puts the article's player in place."""
    # Litestar adds "; charset=utf-8" to a text/ media type itself.
    return Response(player.embed_script(public_base(request)), media_type="text/javascript",
                    headers=public_cache(request, 3600))


@get("/healthz", sync_to_thread=False, operation_class=Declared,
     summary="Health",
     responses=route_responses("GET", "/healthz", {
         200: answer("The service works.", "application/json", Health),
         503: answer("What stops the service from working; Retry-After.", "application/json",
                     Health),
     }))
def healthz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """ok, or 503 with what stops the service from working (data directory, disk, workers)."""
    service = _service(request)
    counts = service.counts()
    problems = service.health()
    body = {"status": "failing" if problems else "ok", "problems": problems,
            "workers": service.workers, "queued": counts["queued"],
            "running": counts["running"]}
    return Response(body, status_code=503 if problems else 200,
                    headers={"Retry-After": str(RETRY_AFTER_S)} if problems else None)


@get("/metrics", sync_to_thread=False, media_type=CONTENT_TYPE_LATEST,
     summary="Prometheus metrics",
     operation_class=Declared, responses=route_responses("GET", "/metrics"))
def metrics(request: Request[Any, Any, Any]) -> bytes:
    """Prometheus text format."""
    return _service(request).metrics.text()


ROUTES = [create_article, find_articles, article, retry, audio_mp3, sidecar, audio_by_url,
          embed, withdraw, embed_js, healthz, metrics]
