"""The OpenAPI schema the app publishes says what each route really answers: its statuses (and no
other), the problem+json body of its refusals, and the media type of its audio, feed and pages."""

from __future__ import annotations

from typing import Any

import pytest

from audiobrief.web.problems import MEDIA_TYPE as PROBLEM
from audiobrief.web.problems import NOT_PROBLEMS, ROUTE_STATUSES

OPERATIONS = sorted(ROUTE_STATUSES)


@pytest.fixture(scope="module")
def schema(voice, tmp_path_factory) -> dict[str, Any]:
    from litestar.testing import TestClient

    from audiobrief.settings import Settings
    from audiobrief.web.app import create_app

    app = create_app(Settings(data=tmp_path_factory.mktemp("openapi"), workers=1),
                     voices={voice.spec.name: voice})
    with TestClient(app) as client:
        response = client.get("/schema/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _responses(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return schema["paths"][path][method.lower()]["responses"]  # type: ignore[no-any-return]


def _media_types(schema: dict[str, Any], method: str, path: str, status: int) -> list[str]:
    return list(_responses(schema, method, path)[str(status)].get("content") or {})


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_route_declares_exactly_the_statuses_it_answers(schema, method: str,
                                                             path: str) -> None:
    # Litestar adds a 400 to any route with a parameter, even a path segment that cannot fail.
    declared = {int(status) for status in _responses(schema, method, path)}
    assert declared == set(ROUTE_STATUSES[(method, path)])


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_refusals_are_declared_as_the_problem_body_sent(schema, method: str, path: str) -> None:
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"status", "title", "detail"}
    for status in ROUTE_STATUSES[(method, path)]:
        if status < 400 or status in NOT_PROBLEMS.get((method, path), frozenset()):
            continue
        content = _responses(schema, method, path)[str(status)]["content"]
        assert list(content) == [PROBLEM], f"{status}"
        assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}


@pytest.mark.parametrize(("method", "path", "status", "media_types"), [
    ("GET", "/v1/articles/{article_id}/audio.mp3", 200, ["audio/mpeg"]),
    ("GET", "/v1/articles/{article_id}/audio.mp3", 206, ["audio/mpeg"]),
    ("GET", "/v1/articles/{article_id}/audio.mp3", 304, []),
    ("GET", "/v1/articles/{article_id}/audio.mp3", 416, []),
    ("GET", "/v1/articles/{article_id}/{name}", 200, ["application/json+chapters", "text/vtt"]),
    ("GET", "/v1/audio.mp3", 202, ["application/json"]),
    ("GET", "/v1/audio.mp3", 302, []),
    ("POST", "/v1/audio/speech", 200, ["audio/mpeg", "audio/wav", "audio/pcm"]),
    ("GET", "/feed.xml", 200, ["application/rss+xml"]),
    ("GET", "/embed.js", 200, ["text/javascript"]),
    ("GET", "/embed/{article_id}", 200, ["text/html"]),
    ("POST", "/v1/articles", 200, ["application/json"]),
    ("POST", "/v1/articles", 202, ["application/json"]),
    ("GET", "/healthz", 503, ["application/json"]),
], ids=lambda value: str(value).replace("/", "_") if isinstance(value, str) else None)
def test_answers_are_declared_in_the_media_type_sent(schema, method: str, path: str,
                                                     status: int, media_types: list[str]) -> None:
    assert _media_types(schema, method, path, status) == media_types


def test_healthz_503_is_its_own_report_not_a_problem(schema) -> None:
    content = _responses(schema, "GET", "/healthz")["503"]["content"]["application/json"]
    report = schema["components"]["schemas"]["Health"]
    assert content["schema"] == {"$ref": "#/components/schemas/Health"}
    assert set(report["required"]) == {"status", "problems", "workers", "queued", "running"}


def test_player_page_says_its_charset_once(finished_client, finished_article_id) -> None:
    response = finished_client.get(f"/embed/{finished_article_id}", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, item in schema["paths"].items()
            for method, operation in item.items()]


def test_every_operation_says_what_it_does(schema) -> None:
    for method, path, operation in _operations(schema):
        assert operation.get("summary") and len(operation.get("description", "")) > 20, (
            method, path)


def test_every_operation_that_may_need_a_key_names_the_security_scheme(schema) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "name": "X-API-Key",
                                 "in": "header"}
    for method, path, operation in _operations(schema):
        needs_key = "401" in operation["responses"]
        assert bool(operation.get("security")) == needs_key, (method, path)
        if needs_key:
            assert {"bearer": []} in operation["security"], (method, path)
    # A lookup by URL stays open: the key is needed only to have the audio made, or to list.
    assert {} in schema["paths"]["/v1/articles"]["get"]["security"]


def test_the_problem_body_declares_every_member_sent(schema) -> None:
    members = schema["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "extra"} <= set(members)


def test_a_withdrawal_and_the_list_are_declared(schema) -> None:
    withdraw = schema["paths"]["/v1/articles/{article_id}"]["delete"]["responses"]
    assert "content" not in withdraw["204"]
    found = schema["paths"]["/v1/articles"]["get"]["responses"]["200"]["content"]
    assert found["application/json"]["schema"] == {"oneOf": [
        {"$ref": "#/components/schemas/Accepted"}, {"$ref": "#/components/schemas/ArticleList"}]}
    parameters = {parameter["name"] for parameter in
                  schema["paths"]["/v1/articles"]["get"]["parameters"]}
    assert parameters == {"url", "external_id", "status", "url_prefix", "limit", "cursor"}


@pytest.mark.parametrize("page", ["/schema/swagger", "/schema/redoc", "/schema"])
def test_documentation_pages_load_their_files_from_audiobrief(make_client, page: str) -> None:
    import re

    client = make_client()
    html = client.get(page).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/schema/assets/") for source in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 10_000, source
