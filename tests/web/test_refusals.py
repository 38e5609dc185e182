"""Input the service must refuse: 4xx application/problem+json a person can act on; nothing queued.

The remote sites are played by a local server on 127.0.0.1 (pytest-httpserver).
"""

from __future__ import annotations

import pytest
from werkzeug import Response

from tests.conftest import FIXTURES

PAGE = FIXTURES / "kyiv-independent-kharkiv-missiles.html"


def problem(response, status: int, words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert words in body["detail"], body["detail"]
    return body


@pytest.mark.parametrize(
    ("url", "words"),
    [
        pytest.param("ftp://example.com/a", "only http and https", id="ftp"),
        pytest.param("file:///etc/passwd", "only http and https", id="file"),
        pytest.param("http://127.0.0.1:9/a", "private or local address", id="loopback"),
        pytest.param("http://localhost:9/a", "private or local address", id="localhost"),
        pytest.param("http://10.1.2.3/a", "private or local address", id="private-10"),
        pytest.param("http://192.168.0.1/a", "private or local address", id="private-192"),
        pytest.param("http://169.254.169.254/latest/meta-data", "private or local address",
                     id="link-local-metadata"),
        pytest.param("http://[::1]:9/a", "private or local address", id="ipv6-loopback"),
        pytest.param("http://0.0.0.0:9/a", "private or local address", id="unspecified"),
        pytest.param("http://224.0.0.1/a", "private or local address", id="multicast"),
        pytest.param("http://[::ffff:127.0.0.1]:9/a", "private or local address",
                     id="ipv4-mapped-loopback"),
    ],
)
def test_urls_that_must_not_be_fetched(make_client, url: str, words: str) -> None:
    client = make_client()
    problem(client.post("/v1/articles", json={"url": url}), 400, words)
    assert client.get("/healthz").json()["queued"] == 0


def test_redirect_to_a_private_address_is_refused(make_client, httpserver) -> None:
    # localhost is allowed on purpose; it redirects to 127.0.0.1, which is not.
    target = httpserver.url_for("/article").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/moved").respond_with_response(
        Response(status=302, headers={"Location": target}))
    httpserver.expect_request("/article").respond_with_data(PAGE.read_text(),
                                                            content_type="text/html")
    client = make_client(allow_hosts=("localhost",))
    moved = httpserver.url_for("/moved")
    assert moved.startswith("http://localhost:")
    problem(client.post("/v1/articles", json={"url": moved}), 400, "127.0.0.1")


def test_allowed_local_host_is_fetched(make_client, httpserver) -> None:
    httpserver.expect_request("/article").respond_with_data(PAGE.read_text(),
                                                            content_type="text/html")
    client = make_client(allow_hosts=("localhost",))
    created = client.post("/v1/articles", json={"url": httpserver.url_for("/article")})
    assert created.status_code == 202, created.text


@pytest.mark.parametrize(
    ("respond", "status", "words"),
    [
        pytest.param(lambda: Response("<html><body><nav>Menu</nav></body></html>",
                                      content_type="text/html"),
                     422, "no article text", id="no-article"),
        pytest.param(lambda: Response(b"\x89PNG\r\n" + bytes(5000), content_type="image/png"),
                     422, "not an HTML page or text", id="image"),
        pytest.param(lambda: Response("<p>" + "a" * 3_000_000 + "</p>", content_type="text/html"),
                     413, "the limit is 2 MB", id="too-large"),
        pytest.param(lambda: Response("gone", status=404), 422, "HTTP 404", id="not-found"),
        pytest.param(lambda: Response(status=302, headers={"Location": "/loop"}), 422,
                     "redirects", id="redirect-loop"),
    ],
)
def test_remote_pages_that_cannot_be_narrated(make_client, httpserver, respond, status,
                                              words) -> None:
    httpserver.expect_request("/loop").respond_with_response(respond())
    client = make_client(allow_hosts=("localhost",), max_source_bytes=2_000_000)
    problem(client.post("/v1/articles", json={"url": httpserver.url_for("/loop")}), status,
            words)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        pytest.param({}, 400, "exactly one of url, html or text", id="nothing"),
        pytest.param({"text": "a", "html": "<p>b</p>"}, 400, "exactly one", id="two-sources"),
        pytest.param({"text": "   "}, 422, "no article text", id="empty-text"),
        pytest.param({"text": "\x00\x01\x02\x03" * 100}, 422, "binary", id="binary-text"),
        pytest.param({"html": "<html><body><div></div></body></html>"}, 422, "no article",
                     id="html-without-article"),
        pytest.param({"text": "Hello there.", "voice": "en_GB-nobody"}, 400, "unknown voice",
                     id="unknown-voice"),
        pytest.param({"text": "Hello there.", "speed": 9}, 400, "speed", id="speed"),
        pytest.param({"text": "Hello there.", "lexicon": {"Kyiv": "k☃v"}}, 400,
                     "request's lexicon", id="bad-phonemes"),
        pytest.param({"text": "Hello there.", "colour": "red"}, 400, "colour",
                     id="unknown-field"),
    ],
)
def test_bad_requests(make_client, body: dict, status: int, words: str) -> None:
    response = make_client().post("/v1/articles", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.text


def test_malformed_json(make_client) -> None:
    response = make_client().post("/v1/articles", content=b'{"url": ',
                                  headers={"Content-Type": "application/json"})
    problem(response, 400, "")


def test_body_over_the_request_limit(make_client) -> None:
    response = make_client(max_request_bytes=10_000).post(
        "/v1/articles", json={"text": "word " * 5000})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_article(make_client) -> None:
    client = make_client()
    problem(client.get("/v1/articles/0123456789abcdef"), 404, "no article")
    problem(client.get("/v1/articles/0123456789abcdef/audio.mp3"), 404, "no article")
