"""What a stranger can send a default install (no keys) and what a newsroom's readers cause: URLs
that cannot be hijacked, reads that do not fetch, bounded fetches and speeches, every bad request
refused with problem+json at once. The app is the real one (TestClient or `audiobrief serve`);
the news site is a server on 127.0.0.1."""

from __future__ import annotations

import collections
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLE_HTML

KEY = "newsroom-cms"
AUTH = {"Authorization": f"Bearer {KEY}"}
FAKE = {"text": "Minister resigns\n\nThe minister resigned this morning, aides said."}
SLOW_S = 3.0
"""How long the news site takes to answer /slow pages."""


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem+json body of `response`, after checking its status and type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


class NewsSite:
    """The news site: /article* is the example article, /slow* answers after SLOW_S, anything
    else is 404; it counts the requests for each path."""

    def __init__(self) -> None:
        self.hits: collections.Counter[str] = collections.Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.hits[self.path] += 1
                if self.path.startswith("/slow"):
                    time.sleep(SLOW_S)
                if self.path.startswith(("/article", "/slow")):
                    body = EXAMPLE_HTML.read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                else:
                    body = b"not here"
                    self.send_response(404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[NewsSite]:
    news = NewsSite()
    yield news
    news.close()


# Item 8: a URL answers only with audio audiobrief fetched itself or a key holder posted. -------

def test_anonymous_text_for_a_real_url_never_answers_for_it(make_client, site) -> None:
    client = make_client(allow_hosts=("127.0.0.1",))
    url = f"{site.base}/article-1"
    fake = client.post("/v1/articles", json={**FAKE, "url": url})
    assert fake.status_code == 202, fake.text
    missing = problem(client.get("/v1/articles", params={"url": url}), 404)
    assert missing["create"] is True  # no keys: the reader's browser may have it made

    # The URL's own audio is made from the page itself, not from the posted text.
    made = client.get("/v1/audio.mp3", params={"url": url}, follow_redirects=False)
    assert made.status_code == 202, made.text
    assert made.json()["id"] != fake.json()["id"]
    assert client.get("/v1/articles", params={"url": url}).json()["id"] == made.json()["id"]
    assert site.hits["/article-1"] == 1


def test_a_key_holder_binds_posted_text_to_its_url(make_client) -> None:
    client = make_client(api_keys=(KEY,))
    url = "https://news.example.org/minister-resigns/"
    posted = client.post("/v1/articles", json={**FAKE, "url": url}, headers=AUTH)
    assert posted.status_code == 202, posted.text
    found = client.get("/v1/articles", params={"url": url})
    assert found.status_code == 200 and found.json()["id"] == posted.json()["id"]
    # With keys set a reader's browser may not create: embed.js stops at the lookup.
    assert problem(client.get("/v1/articles", params={"url": url + "other"}), 404)[
        "create"] is False


def test_a_wrong_key_is_told_how_to_authenticate(make_client) -> None:
    client = make_client(api_keys=(KEY,))
    refused = client.post("/v1/articles", json=FAKE, headers={"Authorization": "Bearer nope"})
    problem(refused, 401)
    assert refused.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "data:text/html,hi",
                                 "ftp://example.org/a", "https://", "http://" + "a" * 3000])
def test_only_http_urls_are_taken(make_client, url) -> None:
    client = make_client()
    problem(client.post("/v1/articles", json={**FAKE, "url": url}), 400)
    problem(client.post("/v1/articles", json={"url": url}), 400)


# Item 9 and 5: reads never fetch twice; fetches are bounded. -----------------------------------

def test_readers_arriving_at_once_fetch_a_page_once(server_process, site) -> None:
    server = server_process(allow_hosts="127.0.0.1")
    url = f"{site.base}/slow-popular"

    def view(_: int) -> tuple[int, str]:
        response = httpx.post(f"{server.base}/v1/articles", json={"url": url}, timeout=60)
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(view, range(12)))
    assert {status for status, _ in answers} <= {200, 202}
    assert len({article_id for _, article_id in answers}) == 1
    # Later readers find the article without the site being fetched again.
    assert httpx.post(f"{server.base}/v1/articles", json={"url": url},
                      timeout=30).status_code == 200
    assert site.hits["/slow-popular"] == 1

    # A page that failed is not fetched again on every view.
    for _ in range(5):
        problem(httpx.post(f"{server.base}/v1/articles", json={"url": f"{site.base}/gone"},
                           timeout=30), 422)
    assert site.hits["/gone"] == 1


def test_slow_sources_get_503_past_the_fetch_limit_and_others_stay_fast(server_process,
                                                                         site) -> None:
    server = server_process(allow_hosts="127.0.0.1", fetch_limit="2")

    def slow(index: int) -> httpx.Response:
        return httpx.post(f"{server.base}/v1/articles", json={"url": f"{site.base}/slow{index}"},
                          timeout=60)

    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(slow, index) for index in range(2)]
        deadline = time.monotonic() + 10
        while sum(site.hits.values()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        busy = slow(3)
        assert time.monotonic() - started < 1.0  # refused at once, not after a wait
        problem(busy, 503)
        assert int(busy.headers["retry-after"]) > 0
        started = time.monotonic()
        assert httpx.get(f"{server.base}/feed.xml", timeout=10).status_code == 200
        assert time.monotonic() - started < 1.0
        # Posted text needs no fetch: slow sources holding every fetch do not turn it away.
        posted = httpx.post(f"{server.base}/v1/articles", timeout=30, json={
            "text": "Posted while the sources drip\n\nKharkiv was shelled on Monday."})
        assert posted.status_code == 202, posted.text
        # Both slow pages hold the example article: each is queued (202) or found queued (200).
        answers = [future.result() for future in running]
        assert all(answer.status_code in (200, 202) for answer in answers), answers


# Item 1: one small request cannot take the server's memory. ---------------------------------

MEMORY_BOUND_MB = 300
"""Peak resident memory one request may add to the idle, voice-loaded server."""


def _warm_peak_mb(server: Any) -> float:
    """The server's peak RSS once the voice is loaded and has spoken a text long enough for
    its language to be detected (the detector loaded, as after any ordinary article)."""
    answer = httpx.post(f"{server.base}/v1/audio/speech", timeout=60, json={
        "input": "Kharkiv, Lviv. The trams run again on the avenue, and the lights came back on"
                 " in the evening after the repair crews worked through the night."})
    assert answer.status_code == 200, answer.text
    return float(server.peak_rss_mb())


@pytest.mark.parametrize("body", [
    pytest.param({"text": "Long sentence test\n\n" + "word " * 800 + "."}, id="4000-char-sentence"),
    pytest.param({"text": "Spelled out\n\n" + "XKCD QWRTZ " * 300}, id="letters-spelled-out"),
    pytest.param({"text": "Digits\n\n" + "7" * 5000 + "."}, id="5000-digit-number"),
    pytest.param({"text": "One word\n\n" + "x" * 100_000 + "."}, id="100k-char-word"),
])
def test_one_request_keeps_the_peak_memory_bounded(server_process, body) -> None:
    server = server_process()
    idle = _warm_peak_mb(server)
    accepted = httpx.post(f"{server.base}/v1/articles", json=body, timeout=60)
    assert accepted.status_code == 202, accepted.text
    status: dict[str, Any] = {}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.base}{accepted.json()['links']['self']}", timeout=30).json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert status["status"] == "done", status
    assert status["duration"] > 60  # all of it was said, not cut short
    grew = server.peak_rss_mb() - idle
    assert grew <= MEMORY_BOUND_MB, f"peak RSS grew {grew:.0f} MB over the idle {idle:.0f} MB"


# Item 10: speeches are bounded and end for clients that stop reading. --------------------------

def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def _never_reading(base: str, text: str) -> socket.socket:
    """A client that asks for a long speech and never reads a byte of it."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect((host, int(port)))
    body = httpx.Request("POST", f"{base}/v1/audio/speech", json={
        "input": text, "response_format": "wav"})
    content = body.read()
    head = (f"POST /v1/audio/speech HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(content)}\r\n\r\n").encode()
    sock.sendall(head + content)
    return sock


def test_speeches_are_capped_and_stop_for_clients_that_never_read(server_process) -> None:
    from audiobrief.web.speech import READER_STALL_S

    server = server_process(speech_streams="2")
    idle_threads = _threads(server.process.pid)
    text = "\n\n".join(f"This is sentence number {n} of a long reply." for n in range(1500))
    stalled = [_never_reading(server.base, text) for _ in range(2)]
    try:
        time.sleep(2)
        busy = httpx.post(f"{server.base}/v1/audio/speech", json={"input": "Hello there."},
                          timeout=30)
        problem(busy, 503)
        assert "retry-after" in busy.headers
        deadline = time.monotonic() + READER_STALL_S + 30
        while time.monotonic() < deadline:
            answer = httpx.post(f"{server.base}/v1/audio/speech",
                                json={"input": "Hello there."}, timeout=30)
            if answer.status_code == 200:
                break
            time.sleep(1)
        assert answer.status_code == 200, "the stalled speeches still hold their slots"
        assert answer.headers["content-type"] == "audio/mpeg" and len(answer.content) > 1000
        assert _threads(server.process.pid) <= idle_threads + 4
    finally:
        for sock in stalled:
            sock.close()


def test_a_speech_slot_is_free_again_once_its_body_is_read(make_client) -> None:
    client = make_client(speech_streams=1)
    for _ in range(8):  # one client asking again and again as each answer ends
        response = client.post("/v1/audio/speech", json={"input": "Kharkiv.", "voice": "alloy"},
                               timeout=60)
        assert response.status_code == 200, response.text
        assert len(response.content) > 1000


# Items 12, 14: every bad request is refused at once, with problem+json. ------------------------

@pytest.mark.parametrize(("body", "status"), [
    pytest.param({**FAKE, "title": "t" * 1_000_000}, 400, id="1 MB title"),
    pytest.param({**FAKE, "lexicon": {f"w{n}": "wˈɜːd" for n in range(201)}}, 400,
                 id="lexicon over max_lexicon_entries"),
    pytest.param({"text": "Nul\x00 in the text. It says more."}, 400, id="NUL"),
    pytest.param({"text": "Long\n\n" + "word " * 200_000}, 413, id="audio over the limit"),
])
def test_bad_articles_are_refused_at_request_time(make_client, body, status) -> None:
    client = make_client()
    problem(client.post("/v1/articles", json=body), status)
    assert client.get("/metrics").text.count('status="queued"} 0') == 1  # nothing queued


@pytest.mark.parametrize("raw", [
    b'{"text": "A short text. It says little.", "speed": 1e999999}',
    b'{"text": "A short text. It says little.", "speed": ' + b"7" * 5000 + b"}",
], ids=["1e999999", "5000 digits"])
def test_huge_numbers_are_400(make_client, raw) -> None:
    client = make_client()
    problem(client.post("/v1/articles", content=raw,
                        headers={"Content-Type": "application/json"}), 400)
    problem(client.post("/v1/audio/speech", content=raw.replace(b'"text"', b'"input"'),
                        headers={"Content-Type": "application/json"}), 400)


def test_speech_input_with_nul_is_400(make_client) -> None:
    client = make_client()
    problem(client.post("/v1/audio/speech", json={"input": "Hello\x00 there."}), 400)


@pytest.mark.parametrize("query", ["page=" + "9" * 20, "per_page=" + "9" * 20, "page=-1"])
def test_absurd_feed_pages_are_400(make_client, query) -> None:
    problem(make_client().get(f"/feed.xml?{query}"), 400)


# Item 16: Host, CORS, HEAD. ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/embed.js", "/feed.xml"])
def test_a_bad_host_is_refused_and_a_good_one_is_not_cached_publicly(make_client, path) -> None:
    client = make_client()
    problem(client.get(path, headers={"Host": "x:99999"}), 400)
    problem(client.get(path, headers={"Host": 'evil"/><script>'}), 400)
    answer = client.get(path, headers={"Host": "audio.example.org"})
    assert answer.status_code == 200
    assert "audio.example.org" in answer.text
    assert "public" not in answer.headers["cache-control"]
    assert answer.headers["vary"] == "Host"


def test_public_url_is_used_whatever_the_host(make_client) -> None:
    client = make_client(public_url="https://audio.example.org")
    answer = client.get("/embed.js", headers={"Host": "attacker.example:99999"})
    assert answer.status_code == 200
    assert '"https://audio.example.org"' in answer.text and "attacker" not in answer.text
    assert answer.headers["cache-control"].startswith("public")


def test_cors_reads_from_anywhere_writes_only_from_configured_origins(make_client) -> None:
    client = make_client(cors_write_origins=("https://cms.example.org",))

    def preflight(origin: str, method: str) -> Any:
        return client.options("/v1/articles", headers={
            "Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type"})

    read = preflight("https://blog.example", "GET")
    assert read.status_code == 204
    assert read.headers["access-control-allow-origin"] in ("*", "https://blog.example")
    problem(preflight("https://evil.example", "POST"), 403)
    write = preflight("https://cms.example.org", "POST")
    assert write.status_code == 204
    assert write.headers["access-control-allow-origin"] == "https://cms.example.org"
    assert "POST" in write.headers["access-control-allow-methods"]
    # The 404 of a lookup from another site's page says it may not create.
    lookup = client.get("/v1/articles", params={"url": "https://blog.example/a"},
                        headers={"Origin": "https://blog.example"})
    assert problem(lookup, 404)["create"] is False


def test_head_of_audio_that_is_not_cached_in_memory(make_client) -> None:
    client = make_client()
    text = "A long text\n\n" + "\n\n".join(f"Paragraph {n} says a little more." for n in
                                           range(200))
    article_id = client.post("/v1/articles", json={"text": text}).json()["id"]
    head = client.head(f"/v1/articles/{article_id}/audio.mp3")
    assert head.status_code == 200, head.text
    assert head.headers["content-type"] == "audio/mpeg"
    assert head.content == b""


# Item 13: a finished article's status is built once. -------------------------------------------

def test_finished_status_is_served_the_same_from_cache(finished_client,
                                                       finished_article_id) -> None:
    first = finished_client.get(f"/v1/articles/{finished_article_id}")
    assert first.status_code == 200 and first.json()["status"] == "done"
    assert first.json()["sentences"]
    started = time.monotonic()
    for _ in range(50):
        assert finished_client.get(f"/v1/articles/{finished_article_id}").content == \
            first.content
    assert time.monotonic() - started < 10


def test_a_misspelt_setting_is_reported_at_start(server_process) -> None:
    server = server_process(api_key="newsroom")  # AUDIOBRIEF_API_KEYS is the setting
    server.stop()
    assert server.process.stderr is not None
    log = server.process.stderr.read().decode()
    assert "AUDIOBRIEF_API_KEY is not a setting of this version; it is ignored" in log


def test_the_player_behind_a_proxy_path_asks_under_that_path(finished_data, make_client,
                                                            tmp_path) -> None:
    import shutil

    data = tmp_path / "proxied"
    shutil.copytree(finished_data[0], data)
    client = make_client(data=data, public_url="https://news.example/audio/")
    page = client.get(f"/embed/{finished_data[1]}").text
    assert 'data-base="/audio"' in page
