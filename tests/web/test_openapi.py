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
