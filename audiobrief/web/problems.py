"""Refusals: every error mapped once to its application/problem+json answer (RFC 9457), OpenAI's
`error` member beside it on the speech route; and what each route really answers, for the
OpenAPI schema (`answer`: audio, 206, 304…, and the operation classes `Declared`, `also_in`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Schema
from litestar.plugins.problem_details import ProblemDetailsException

from audiobrief import errors

MEDIA_TYPE = "application/problem+json"

# Each error class answers with one status, here; the first class an error is an instance of
# decides, so subclasses come before their bases.
STATUS_BY_ERROR: dict[type[errors.AudiobriefError], int] = {
    errors.SourceTooLargeError: 413,
    errors.RefusedAddressError: 400,
    errors.SourceError: 422,
    errors.NoArticleError: 422,
    errors.VoiceNotFoundError: 400,
    errors.LanguageError: 422,
    errors.LexiconError: 400,
    errors.TooLongError: 413,
    errors.RequestError: 400,
    errors.SettingsError: 400,
    errors.KeyRequiredError: 401,
    errors.GoneError: 410,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.AudioRemadeError: 503,
    errors.StorageFullError: 507,
    errors.QueueFullError: 503,
    errors.TooManyRequestsError: 429,
}
TITLE_BY_STATUS = {400: "Bad request", 401: "Key needed", 404: "Not found", 409: "Not now",
                   410: "Withdrawn", 413: "Too large", 422: "Cannot narrate this", 429: "Too many",
                   503: "Busy", 507: "Out of storage"}
RETRY_AFTER_BUSY_S = 30
MAPPED: tuple[type[Exception], ...] = (*STATUS_BY_ERROR, HTTPException)
"""Every exception with an answer of its own; anything else is a bug (500)."""


def problem(error: Exception) -> ProblemDetailsException:
    """The one mapping: an AudiobriefError by its class (STATUS_BY_ERROR), with its extra
    members, Retry-After and WWW-Authenticate where they apply; Litestar's own errors (unknown
    path, malformed JSON, validation, a body too large) with their message as the detail."""
    if isinstance(error, HTTPException):
        return ProblemDetailsException(detail=error.detail, status_code=error.status_code,
                                       title=HTTPStatus(error.status_code).phrase,
                                       headers=error.headers, extra=error.extra)
    assert isinstance(error, errors.AudiobriefError)
    status = next(code for cls, code in STATUS_BY_ERROR.items() if isinstance(error, cls))
    headers: dict[str, str] = {}
    retry_after = error.retry_after_s or (RETRY_AFTER_BUSY_S if status in (503, 507) else None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="audiobrief"'
    return ProblemDetailsException(
        detail=str(error), status_code=status, title=TITLE_BY_STATUS[status],
        type_=f"https://audiobrief.invalid/problems/{type(error).__name__}",
        headers=headers or None, extra=error.extra)


def openai_problem(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """The problem with OpenAI's `error` member beside it, for every refusal of the speech route:
    OpenAI's clients show `error.message` (naming the field at fault), not `detail`."""
    answer = problem(error)
    fields = answer.extra if isinstance(answer.extra, list) else []
    field = getattr(error, "field", None) or next(
        (item.get("key") for item in fields if isinstance(item, dict)), None)
    message = str(answer.detail)
    if fields and isinstance(fields[0], dict):
        message = f"{message}: {field + ' ' if field else ''}{fields[0].get('message', '')}"
    status = answer.status_code
    kind = ("authentication_error" if status == 401 else "server_error" if status >= 500
            else "invalid_request_error")
    members = answer.extra if isinstance(answer.extra, dict) else (
        {"extra": answer.extra} if answer.extra else {})
    answer.extra = {**members, "error": {"message": message, "type": kind, "param": field,
                                         "code": None}}
    return answer.to_response(request)


class FieldError(msgspec.Struct):
    """One field a request could not use, as Litestar's validation names it."""

    message: str
    key: str | None = None
    """The field's name: a query or header parameter, or a member of the JSON body."""
    source: str | None = None
    """Where it was: query, header, path, cookie or body."""


class OpenAIError(msgspec.Struct):
    """OpenAI's error object, sent beside the problem by /v1/audio/speech: OpenAI's clients read
    `error.message`, not `detail`."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class Problem(msgspec.Struct, omit_defaults=True):
    """An error answer (RFC 9457). `status` repeats the HTTP status; `detail` is the sentence a
    person can act on."""

    status: int
    title: str
    """The status in a few words: "Bad request", "Too large", "Busy"…"""
    detail: str
    type: str | None = None
    """https://audiobrief.invalid/problems/<ErrorClass> for audiobrief's own errors; absent for
    the framework's (unknown path, malformed JSON, a body over the size limit)."""
    extra: list[FieldError] | None = None
    """The fields that failed validation, when the framework's validation refused them."""
    error: OpenAIError | None = None
    """/v1/audio/speech only."""
    field: str | None = None
    """The request field at fault, where one is named (the site lexicon's `phonemes`…)."""
    create: bool | None = None
    """The 404 of GET /v1/articles?url=: whether this caller may have the article made (POST
    /v1/articles), so embed.js knows whether to ask."""


class Health(msgspec.Struct):
    """/healthz's answer, 200 or 503: its own JSON for monitors, not a problem."""

    status: str
    """"ok", or "failing" with the problems (and 503)."""
    problems: list[str]
    """What stops the service from working: the data directory, the disk, the workers."""
    workers: int
    queued: int
    running: int


DESCRIPTIONS: dict[int, str] = {
    400: "A request field cannot be used (the detail names it), or the source's address is"
         " refused (private, reserved or not http(s)).",
    401: "API keys are set and none was given: Authorization: Bearer KEY or X-API-Key.",
    404: "No such article, or no audio for this URL yet.",
    409: "The article is not in a state for this: not failed (retry), failed or not done yet"
         " (audio, timings); or the site lexicon is full.",
    410: "The article's audio was withdrawn (DELETE /v1/articles/{id}); it answers no more.",
    413: "The request body, the fetched source, or the audio it would make is over its limit.",
    416: "The byte range is past the end of the file.",
    422: "The source could be read but holds nothing to narrate, or could not be fetched.",
    429: "This client sent more listening events than it may in a minute; see Retry-After.",
    503: "Busy: a bound on work at once is reached (queue, speeches, fetches); see Retry-After.",
    507: "The data directory's disk is full; see Retry-After.",
}
"""What each error status means here, for the schema's response descriptions."""


ROUTE_STATUSES: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/v1/articles"): (200, 202, 400, 401, 410, 413, 422, 503, 507),
    ("GET", "/v1/articles"): (200, 400, 401, 404, 410),
    ("GET", "/v1/articles/{article_id}"): (200, 404, 410),
    ("DELETE", "/v1/articles/{article_id}"): (204, 401, 404, 507),
    ("POST", "/v1/articles/{article_id}/retry"): (202, 401, 404, 409, 410, 503, 507),
    ("GET", "/v1/articles/{article_id}/audio.mp3"): (200, 206, 302, 304, 404, 409, 410, 416, 503),
    ("GET", "/v1/articles/{article_id}/{name}"): (200, 302, 404, 409, 410),
    ("GET", "/v1/audio.mp3"): (202, 302, 400, 401, 410, 413, 422, 503, 507),
    ("GET", "/embed/{article_id}"): (200, 404, 410),
    ("GET", "/embed.js"): (200, 400),
    ("GET", "/healthz"): (200, 503),
    ("GET", "/metrics"): (200,),
    ("GET", "/feed.xml"): (200, 400),
    ("GET", "/feed/cover.jpg"): (200, 404),
    ("POST", "/v1/audio/speech"): (200, 400, 401, 413, 422, 503),
    ("POST", "/v1/events"): (204, 400, 404, 413, 429),
    ("GET", "/v1/articles/{article_id}/stats"): (200, 400, 401, 404),
    ("GET", "/v1/stats"): (200, 400, 401),
    ("GET", "/desk/stats"): (200,),
    ("GET", "/v1/webhooks/deliveries"): (200, 400, 401),
    ("GET", "/v1/lexicon"): (200, 400),
    ("GET", "/v1/lexicon/{word}"): (200, 404),
    ("PUT", "/v1/lexicon/{word}"): (200, 201, 400, 401, 409, 507),
    ("DELETE", "/v1/lexicon/{word}"): (204, 401, 507),
    ("POST", "/v1/lexicon/{word}/apply"): (202, 400, 401, 503, 507),
    ("POST", "/v1/desk/script"): (200, 400, 401, 413, 422, 503),
    ("GET", "/v1/desk/unsettled"): (200, 400, 401),
    ("POST", "/v1/desk/phonemes"): (200, 400, 401),
    ("GET", "/desk"): (200,),
}
"""Every status each route answers, keyed by (method, path as in the OpenAPI schema).

Read from the handlers and the errors they raise (STATUS_BY_ERROR), tried against the app:
- 400 everywhere a parameter is validated (missing `url`, `page=0`, malformed JSON); on
  embed.js a Host that is not a host. Not on the audio: a malformed Range is ignored (the whole
  file), as HTTP allows. 413 also when the body is over AUDIOBRIEF_MAX_REQUEST_BYTES (Litestar
  refuses it before the handler).
- 503: the queue (POST, retry, /v1/audio.mp3 when it has to create), concurrent speeches, a
  finished MP3 gone from disk while it is made again, /healthz when the data directory is not
  usable; always with Retry-After.
- 422 from /v1/audio/speech: input with no word to say in it (only symbols or control
  characters), as for an article with nothing to narrate; from all three, a text in a language
  no installed voice speaks (or not the asked-for voice's).
- 507: a full disk when the job is stored, or a withdrawal recorded.
- 410 wherever an article's id, a version's or its URL is read once it was withdrawn; from POST
  /v1/articles, an anonymous post of a withdrawn version's very text (a key holder's publishes
  it again). 302 from the audio and sidecars asked for by an article's id (its newest audio);
  401 from GET /v1/articles when it lists (a lookup by URL needs no key).
- /healthz's 503 is its own JSON (status "failing" and the problems), for monitors; the audio's
  416 is an empty audio/mpeg body with `Content-Range: bytes */SIZE`, as HTTP range clients
  expect; the player page's 404 and 410 are pages a reader can read in the news site's frame
  (no such article; the audio was withdrawn). None is a problem body: `route_responses` leaves
  them out (NOT_PROBLEMS) and the route declares them with `answers`.
Every route may also answer 405 (another method) and every path 404, and a CORS preflight from
an origin not allowed to write 403; those come from the router or the app, not the route, and are
not declared per route.
"""


NOT_PROBLEMS: dict[tuple[str, str], frozenset[int]] = {
    ("GET", "/healthz"): frozenset({503}),
    ("GET", "/embed/{article_id}"): frozenset({404, 410}),
    ("GET", "/v1/articles/{article_id}/audio.mp3"): frozenset({416}),
}
"""Error statuses whose body is not a problem: the route declares them itself."""


def responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for these error statuses, each the problem+json body."""
    specs: dict[int, ResponseSpec] = {}
    for status in statuses:
        if status < 400:
            raise ValueError(f"{status} is not an error status; declare it on the route itself")
        specs[status] = ResponseSpec(
            data_container=Problem, generate_examples=False, media_type=MEDIA_TYPE,
            description=DESCRIPTIONS.get(status, HTTPStatus(status).phrase))
    return specs


def answer(description: str, media_type: str | None = None,
           data_container: Any = None) -> ResponseSpec:
    """An answer that is not a problem: `data_container` in `media_type` (bytes for audio), or
    no body at all without a media type (304, a redirect)."""
    if media_type is None:
        return ResponseSpec(data_container=None, description=description)
    return ResponseSpec(data_container=bytes if data_container is None else data_container,
                        generate_examples=False, media_type=media_type, description=description)


def route_responses(method: str, path: str,
                    answers: Mapping[int, ResponseSpec] | None = None) -> dict[int, ResponseSpec]:
    """`responses(...)` for the error statuses ROUTE_STATUSES lists for this route, and the
    route's other `answers` (each must be listed there too, so the table and schema agree)."""
    key = (method.upper(), path)
    listed = ROUTE_STATUSES[key]
    unlisted = set(answers or {}) - set(listed)
    if unlisted:
        raise ValueError(f"{method} {path} answers {sorted(unlisted)}: list them in ROUTE_STATUSES")
    specs = responses(*(status for status in listed
                        if status >= 400 and status not in NOT_PROBLEMS.get(key, frozenset())))
    return {**specs, **(answers or {})}


_VALIDATION_MEDIA_TYPE = "application/json"


@dataclass
class Declared(Operation):
    """An operation that declares only what the route answers: Litestar adds a 400 in its own
    JSON body to any route with a parameter, even one (a path segment) that cannot fail; where a
    400 can happen, `route_responses` has put the real problem body in its place."""

    def __post_init__(self) -> None:
        bad_request = (self.responses or {}).get("400")
        content = getattr(bad_request, "content", None) or {}
        if self.responses and _VALIDATION_MEDIA_TYPE in content and MEDIA_TYPE not in content:
            del self.responses["400"]


def also_in(status: int, *media_types: str, schema: Schema | None = None) -> type[Declared]:
    """An operation class whose `status` answer comes in these further media types too, with
    `schema`, or else the first one's (a ResponseSpec carries one media type; speech answers in
    three)."""

    @dataclass
    class DeclaredInMore(Declared):
        def __post_init__(self) -> None:
            super().__post_init__()
            response = (self.responses or {})[str(status)]
            content = getattr(response, "content", None)
            if not content:
                raise ValueError(f"the {status} answer has no media type to add others to")
            first = next(iter(content.values()))
            for media_type in media_types:
                content.setdefault(media_type, OpenAPIMediaType(schema=schema or first.schema))

    return DeclaredInMore
