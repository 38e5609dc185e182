"""Input the service must refuse: 4xx application/problem+json a person can act on; nothing queued.

The remote sites are played by a local server on 127.0.0.1 (pytest-httpserver).
"""

from __future__ import annotations

import gzip
import time

import pytest
from werkzeug import Response

from tests.conftest import FIXTURES, GERMAN_HTML, RUSSIAN_HTML
from tests.test_load_hostile import RawServer, canned, drip

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
        pytest.param("http://100.100.100.200/latest/meta-data", "private or local address",
                     id="cgnat-cloud-metadata"),
        pytest.param("http://[::ffff:100.100.100.200]/", "private or local address",
                     id="ipv4-mapped-cgnat"),
        pytest.param("http://192.0.0.8/", "private or local address", id="ietf-192-0-0"),
        pytest.param("http://192.88.99.1/", "private or local address", id="6to4-relay"),
        pytest.param("http://[fec0::1]/", "private or local address", id="site-local"),
        pytest.param("http://[2002:7f00:1::]/", "private or local address",
                     id="6to4-loopback"),
        pytest.param("http://[2002:a9fe:a9fe::]/latest/meta-data", "private or local address",
                     id="6to4-link-local-metadata"),
        pytest.param("http://[64:ff9b::7f00:1]/", "private or local address",
                     id="nat64-loopback"),
        pytest.param("http://[::1/", "not a valid URL", id="broken-ipv6"),
        pytest.param("http://localhost:99999/", "port 99999", id="port-out-of-range"),
        pytest.param("http://a\u200bb.example/", "not a valid URL", id="bad-idna"),
        pytest.param("http://" + "a" * 64 + ".example/", "not a valid host name",
                     id="label-over-63"),
        pytest.param("https://news.example/" + "a" * 9000, "over 8192 characters",
                     id="too-long"),
        pytest.param("javascript:alert(1)", "only http and https", id="javascript"),
        pytest.param("/etc/passwd", "only http and https", id="server-file"),
        pytest.param("-", "only http and https", id="server-stdin"),
    ],
)
def test_urls_that_must_not_be_fetched(make_client, url: str, words: str) -> None:
    client = make_client()
    response = client.post("/v1/articles", json={"url": url})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    # The request schema may refuse the URL before anything is fetched; it names the field.
    named = any(error.get("key") == "url" for error in body.get("extra") or ())
    assert words in body["detail"] or named, body
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
        pytest.param({}, 400, "exactly one of url, html, text or ssml", id="nothing"),
        pytest.param({"text": "a", "html": "<p>b</p>"}, 400, "exactly one", id="two-sources"),
        pytest.param({"text": "   "}, 422, "no article text", id="empty-text"),
        pytest.param({"text": "\x01\x02\x03\x04" * 100}, 422, "binary", id="binary-text"),
        pytest.param({"text": "Minister resigns.\x00\n\nThe minister resigned."}, 400,
                     "contains NUL characters", id="nul-in-text"),
        pytest.param({"html": "<p>Minister resigns.\x00</p>"}, 400, "contains NUL characters",
                     id="nul-in-html"),
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


BOMB = gzip.compress(b"<html><body><p>" + b" " * 100_000_000, 9)
"""100 MB of a page in about 100 kB of gzip."""


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        pytest.param(gzip.compress(gzip.compress(PAGE.read_bytes())),
                     {"Content-Encoding": "gzip, gzip"}, 422, "compressed more than once",
                     id="stacked-gzip"),
        pytest.param(gzip.compress(BOMB), {"Content-Encoding": "gzip, gzip"}, 422,
                     "compressed more than once", id="stacked-gzip-bomb"),
        pytest.param(BOMB, {"Content-Encoding": "gzip"}, 413, "over the limit of 2 MB",
                     id="gzip-bomb"),
        pytest.param(PAGE.read_bytes(), {"Content-Encoding": "br"}, 422, "does not read",
                     id="unknown-encoding"),
    ],
)
def test_compressed_pages_that_cannot_be_narrated(make_client, httpserver, body, headers,
                                                  status, words) -> None:
    httpserver.expect_request("/article").respond_with_data(body, content_type="text/html",
                                                            headers=headers)
    client = make_client(allow_hosts=("localhost",), max_source_bytes=2_000_000)
    problem(client.post("/v1/articles", json={"url": httpserver.url_for("/article")}), status,
            words)
    assert client.get("/healthz").json()["queued"] == 0


@pytest.mark.parametrize(
    ("location", "status", "words"),
    [
        pytest.param(b"http://[::1/", 422, "not a valid URL", id="broken-ipv6"),
        pytest.param(b"http://localhost:99999/", 400, "port 99999", id="port-out-of-range"),
        pytest.param(b"", 422, "without a Location", id="empty"),
        pytest.param(b"javascript:alert(1)", 400, "only http and https", id="javascript"),
        pytest.param(b"http://100.100.100.200/latest/meta-data", 400,
                     "private or local address", id="cgnat-metadata"),
        pytest.param(b"http://[2002:a9fe:a9fe::]/", 400, "private or local address",
                     id="6to4-metadata"),
    ],
)
def test_redirects_that_cannot_be_followed(make_client, location: bytes, status: int,
                                           words: str) -> None:
    response = (b"HTTP/1.1 302 Found\r\nLocation: " + location
                + b"\r\nContent-Length: 0\r\n\r\n")
    client = make_client(allow_hosts=("localhost",))
    with RawServer(canned(response)) as server:
        problem(client.post("/v1/articles", json={"url": server.url("/a", host="localhost")}),
                status, words)


def test_a_page_with_a_content_length_of_5000_digits(make_client) -> None:
    response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                + b"9" * 5000 + b"\r\n\r\n<p>hello</p>")
    client = make_client(allow_hosts=("localhost",))
    with RawServer(canned(response)) as server:
        answer = client.post("/v1/articles", json={"url": server.url("/a", host="localhost")})
    assert answer.status_code in (413, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_dripping_page_ends_at_the_fetch_timeout(make_client) -> None:
    client = make_client(allow_hosts=("localhost",), fetch_timeout_s=2)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<p>"
    with RawServer(drip(head, b"a")) as server:
        started = time.monotonic()
        answer = client.post("/v1/articles", json={"url": server.url("/a", host="localhost")})
        elapsed = time.monotonic() - started
    problem(answer, 422, "timed out after 2 s")
    assert elapsed < 4, f"the POST took {elapsed:.1f} s with a 2 s fetch timeout"


@pytest.mark.parametrize("charset", ["punycode", "rot13", "uu_codec"])
def test_a_page_naming_a_codec_that_is_not_text(make_client, httpserver, charset: str) -> None:
    # All ASCII (entities for the rest), so only the named codec can fail on it.
    ascii_page = PAGE.read_text(encoding="utf-8").encode("ascii", "xmlcharrefreplace")
    httpserver.expect_request("/article").respond_with_data(
        ascii_page, headers={"Content-Type": f"text/html; charset={charset}"})
    client = make_client(allow_hosts=("localhost",))
    created = client.post("/v1/articles", json={"url": httpserver.url_for("/article")})
    assert created.status_code == 202, created.text


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param({"html": RUSSIAN_HTML.read_text(encoding="utf-8")},
                     "the article is in Russian; installed voices speak English (en_US)",
                     id="russian"),
        pytest.param({"html": GERMAN_HTML.read_text(encoding="utf-8")},
                     "the article is in German; installed voices speak English (en_US)",
                     id="german-page-saying-lang-en"),
        pytest.param({"html": GERMAN_HTML.read_text(encoding="utf-8"),
                      "voice": "en_US-joe-medium"},
                     "the article is in German; voice en_US-joe-medium speaks English (en_US);"
                     " no installed voice speaks German: give language 'en' to read it in"
                     " English all the same", id="voice-of-another-language"),
    ],
)
def test_an_article_no_installed_voice_speaks(make_client, body: dict, detail: str) -> None:
    client = make_client()
    refused = problem(client.post("/v1/articles", json=body), 422, detail)
    assert refused["detail"] == detail
    assert refused["type"].endswith("/LanguageError")
    assert client.get("/healthz").json()["queued"] == 0
