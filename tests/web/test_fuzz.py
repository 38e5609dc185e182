"""The HTTP API fuzzed from its own OpenAPI schema by schemathesis: whatever a stranger sends, the
answer is never a server error, every refusal is application/problem+json saying the status it
has, and every answer is one the schema declares (status, media type, body).

    pytest tests/web/test_fuzz.py

One `audiobrief serve` process for the module, over a copy of the finished example article,
with small limits (a queue of 2, one worker, one minute of audio, one speech at once, 200 kB
bodies) so accepted requests only queue, capped in address space so a request that eats memory
fails in the server, not the machine. Each operation first gets the requests the issue saw
answered with a 500 (HOSTILE), then requests that must get each answer the schema declares beside
the refusals (DECLARED: 206, 304, 416, every speech format...), then MAX_EXAMPLES generated ones,
valid and invalid, derandomized so a failure shows again on the next run; the module takes
about 20 s on 2 cores. A failure lists each distinct (status, check) once, with a curl command
that repeats it.
"""

from __future__ import annotations

import resource
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from audiobrief.web.problems import NOT_PROBLEMS, ROUTE_STATUSES
from tests.web.conftest import ServerProcess

MAX_EXAMPLES = 30
"""Generated requests per operation (valid and invalid, half each on average)."""
REQUEST_TIMEOUT_S = 20
SERVER_ADDRESS_SPACE_BYTES = 3_000_000_000
"""The server's RLIMIT_AS: several times a working service's address space (voice, threads,
arenas), far below what the machine's other users need."""
BUSY = frozenset({503, 507})
"""Server statuses that are answers, not failures: a bound on work at once, a full disk."""
FUZZ_MEMORY_MB = 500
"""What the whole fuzz may add to the server's peak resident size: every request is bounded,
so hundreds of them cost what the largest one does."""
SERVER_LIMITS = {
    "queue_limit": "2",
    "max_audio_minutes": "1",
    "speech_streams": "1",
    "fetch_limit": "2",
    "fetch_timeout_s": "3",
    "max_request_bytes": "200000",
}


@dataclass(frozen=True)
class Fuzzed:
    server: ServerProcess
    article_id: str
    """The finished example article, so some cases meet an article that exists."""
    idle_peak_rss_mb: float
    """The server's peak resident size before the fuzz, voice loaded."""


@pytest.fixture(scope="module")
def fuzzed(finished_data, tmp_path_factory) -> Iterator[Fuzzed]:
    source, article_id = finished_data
    data = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(source, data)
    server = ServerProcess(data, **SERVER_LIMITS)
    resource.prlimit(server.process.pid, resource.RLIMIT_AS,
                     (SERVER_ADDRESS_SPACE_BYTES, SERVER_ADDRESS_SPACE_BYTES))
    yield Fuzzed(server, article_id, server.peak_rss_mb())
    server.stop()


@pytest.fixture(scope="module")
def api_schema(fuzzed) -> Any:
    """The schema the server publishes, as schemathesis reads it."""
    base = fuzzed.server.base
    config = schemathesis.Config.from_dict({"base-url": base,
                                            "request-timeout": REQUEST_TIMEOUT_S})
    return schemathesis.openapi.from_url(f"{base}/schema/openapi.json", config=config,
                                         timeout=REQUEST_TIMEOUT_S)


def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """A 5xx is a bug, except "busy" or "disk full", which must say when to come back."""
    status = response.status_code
    if status >= 500 and status not in BUSY:
        raise AssertionError(f"{case.method} {case.formatted_path} answered {status}:"
                             f" {response.text[:300]!r}")
    if status in BUSY:
        assert "retry-after" in {name.lower() for name in response.headers}, (
            f"{status} without Retry-After")


def errors_are_problems(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx/5xx is application/problem+json whose `status` is the response's."""
    status = response.status_code
    route = (case.method.upper(), case.operation.path)
    if status < 400 or status in NOT_PROBLEMS.get(route, frozenset()):
        return
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    assert media_type == "application/problem+json", (
        f"{status} answered as {media_type or 'no media type'}: {response.text[:300]!r}")
    body = response.json()
    assert isinstance(body, dict), f"{status}: the problem is not an object: {body!r}"
    assert body.get("status") == status, f"{status}: the problem says status {body.get('status')}"
    assert isinstance(body.get("detail"), str) and body["detail"], (
        f"{status}: the problem has no detail a person can act on: {body!r}")


CHECKS = [no_server_error, errors_are_problems, status_code_conformance,
          content_type_conformance, response_schema_conformance]
OPERATIONS = sorted(ROUTE_STATUSES, key=lambda operation: (operation[0] == "DELETE", operation))
"""Every route the schema should list: the statuses table and the schema must agree. A withdrawal
comes last: the others meet the finished article as it is."""


def test_schema_lists_every_route(api_schema) -> None:
    listed = {(method.upper(), path) for path, methods in api_schema.raw_schema["paths"].items()
              for method in methods}
    assert listed == set(OPERATIONS)


HOSTILE: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("POST", "/v1/articles"): [
        {"body": {"url": "http://[::1/"}}, {"body": {"url": "http://localhost:99999/"}},
        {"body": {"url": "javascript:alert(1)"}},
        {"body": {"text": "Numbers\n\nIt costs " + "9" * 5000 + " dollars."}},
        {"body": {"text": "Title\n\nA NUL \x00 in it."}},
        {"body": {"text": "A short body.", "title": "T" * 100_000}}],
    ("GET", "/v1/audio.mp3"): [{"query": {"url": "http://[::1/"}},
                               {"query": {"url": "http://localhost:99999/"}}],
    ("GET", "/v1/articles/{article_id}/audio.mp3"): [
        {"path_parameters": {"article_id": "{id}"},
         "headers": {"Range": "bytes=" + "9" * 5000 + "-"}},
        {"path_parameters": {"article_id": "{id}"},
         "headers": {"Range": "bytes=0-" + "9" * 5000}}],
    ("GET", "/feed.xml"): [{"query": {"page": "9" * 20}}, {"query": {"per_page": "9" * 20}}],
    ("GET", "/embed.js"): [{"headers": {"Host": "x:99999"}}],
    ("POST", "/v1/audio/speech"): [{"body": {"input": "Hello \x00 there."}},
                                   {"body": {"input": "Long sentence. " + "word " * 800 + "."}},
                                   {"body": {"input": "a" * 5000}}],
}
"""Requests the issue saw answered with a 500 or accepted and failed later; sent before the
generated ones. "{id}" is the finished article."""


_FINISHED = {"path_parameters": {"article_id": "{id}"}}
DECLARED: dict[tuple[str, str], list[tuple[dict[str, Any], int]]] = {
    ("GET", "/v1/articles/{article_id}"): [(_FINISHED, 200)],
    ("GET", "/v1/articles/{article_id}/audio.mp3"): [
        (_FINISHED, 200), ({**_FINISHED, "headers": {"Range": "bytes=0-99"}}, 206),
        ({**_FINISHED, "headers": {"Range": "bytes=999999999-"}}, 416),
        ({**_FINISHED, "headers": {"If-None-Match": "*"}}, 304)],
    ("GET", "/v1/articles/{article_id}/{name}"): [
        ({"path_parameters": {"article_id": "{id}", "name": name}}, 200)
        for name in ("chapters.json", "chapters.vtt", "transcript.vtt")],
    ("POST", "/v1/articles/{article_id}/retry"): [(_FINISHED, 409)],
    ("DELETE", "/v1/articles/{article_id}"): [(_FINISHED, 204), (_FINISHED, 204)],
    ("GET", "/embed/{article_id}"): [(_FINISHED, 200)],
    ("GET", "/feed.xml"): [({}, 200)],
    ("POST", "/v1/audio/speech"): [
        ({"body": {"input": "Hello there.", "response_format": audio_format}}, 200)
        for audio_format in ("mp3", "wav", "pcm")],
}
"""Requests each answered with a status the schema declares beside the refusals (the finished
article, its byte ranges and timings, each speech format), with the status they must get; the
checks hold them to the schema's media type and body as any other."""
BUSY_RETRIES = 10
"""A declared request answered 503 (the one speech slot still held by the last speech) is sent
again this many times at most, RETRY_WAIT_S apart."""
RETRY_WAIT_S = 0.3


def _case(api_schema: Any, method: str, path: str, parts: dict[str, Any],
          article_id: str) -> Any:
    parts = dict(parts)
    if "path_parameters" in parts:
        parts["path_parameters"] = {name: article_id if value == "{id}" else value
                                    for name, value in parts["path_parameters"].items()}
    if "body" in parts:
        parts["media_type"] = "application/json"
    return api_schema[path][method].Case(**parts)


def _cases(api_schema: Any, method: str, path: str, article_id: str) -> st.SearchStrategy[Any]:
    operation = api_schema[path][method]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                  operation.as_strategy(GenerationMode.NEGATIVE)]
    if "{article_id}" in path:
        # Random ids only ever meet 404: a third of the cases ask about the article that exists.
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE,
                                                path_parameters={"article_id": article_id}))
    return st.one_of(strategies)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_request_gets_a_declared_answer(api_schema, fuzzed, method: str,
                                              path: str) -> None:
    failures: dict[str, str] = {}
    """One line per distinct failure (status and check), with the request that showed it."""

    def send(case: Any) -> int | None:
        """The answer's status, once the checks have run on it; None if there was none."""
        try:
            response = case.call(timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as error:  # a server that hangs or died
            failures.setdefault(type(error).__name__, f"{type(error).__name__}: {error}\n    "
                                                      f"{case.as_curl_command()[:600]}")
            return None
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{response.status_code} {failure.title}"
                if failure.title == "Custom check failed":
                    key += f": {failure.message.splitlines()[0][:100]}"
                failures.setdefault(key, f"{key}\n    {failure.message[:400]}\n    "
                                         f"{case.as_curl_command()[:600]}")
        return int(response.status_code)

    for parts in HOSTILE.get((method, path), []):
        send(_case(api_schema, method, path, parts, fuzzed.article_id))
    for parts, expected in DECLARED.get((method, path), []):
        case = _case(api_schema, method, path, parts, fuzzed.article_id)
        for _ in range(BUSY_RETRIES):
            if (status := send(case)) != 503:
                break
            time.sleep(RETRY_WAIT_S)
        if status != expected:
            failures.setdefault(f"{status} not {expected}", f"{status}, not {expected}:\n    "
                                                          f"{case.as_curl_command()[:600]}")

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=_cases(api_schema, method, path, fuzzed.article_id))
    def fuzz(case: Any) -> None:
        send(case)

    fuzz()
    assert not failures, f"{method} {path}:\n" + "\n".join(failures.values())


def test_the_server_survives_the_fuzz_within_its_memory(fuzzed) -> None:
    """Runs after the fuzz (pytest keeps file order): still answering, peak RSS bounded."""
    server = fuzzed.server
    assert server.process.poll() is None, "the server died during the fuzz"
    assert requests.get(f"{server.base}/healthz", timeout=REQUEST_TIMEOUT_S).status_code == 200
    added_mb = server.peak_rss_mb() - fuzzed.idle_peak_rss_mb
    assert added_mb <= FUZZ_MEMORY_MB, f"the fuzz took the server's peak RSS up {added_mb:.0f} MB"
