"""Webhooks with the real app and a CMS's receiver on 127.0.0.1 (pytest-receiver_server): a finished
article is told signed, a failing or slow receiver is tried again, a delivery outlives a
restart, and a receiver on a private address is refused unless allowed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.web.conftest import wait_done

SECRET = "cms-shared-secret"
KEY = "newsroom-cms"
AUTH = {"X-API-Key": KEY}
TEXT = {"text": "Bridge reopens\n\nThe bridge reopened on Monday after repairs."}


@pytest.fixture
def receiver_server() -> Iterator[HTTPServer]:
    """pytest-httpserver answering on threads, so a slow answer does not hold the next."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


class Receiver:
    """The CMS's webhook endpoint: answers each POST with the next of `answers` (the last one
    again once they run out; a number is a delay in seconds, then 200) and keeps what came."""

    def __init__(self, receiver_server: Any, answers: list[int | float] | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers = list(answers or [200])
        self._lock = threading.Lock()
        receiver_server.expect_request("/hook", method="POST").respond_with_handler(self._answer)
        self.url = receiver_server.url_for("/hook")

    def _answer(self, request: Request) -> Response:
        with self._lock:
            self.received.append((dict(request.headers), request.get_data()))
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, float):
            time.sleep(answer)
            answer = 200
        return Response("thanks" * 2000, status=answer)

    def wait_for(self, count: int, timeout_s: float = 30) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} webhooks came"
            time.sleep(0.05)
        return self.received


def deliveries(client: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/webhooks/deliveries", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]  # type: ignore[no-any-return]


def wait_delivery(client: Any, done: Callable[[dict[str, Any]], bool],
                  timeout_s: float = 30) -> dict[str, Any]:
    """The first delivery listed once one satisfies `done`."""
    deadline = time.monotonic() + timeout_s
    while True:
        listed = deliveries(client)
        if listed and done(listed[0]):
            return listed[0]
        assert time.monotonic() < deadline, f"no such delivery in {timeout_s} s: {listed}"
        time.sleep(0.1)


def finish_article(client: Any) -> str:
    response = client.post("/v1/articles", json=TEXT, headers=AUTH)
    assert response.status_code == 202, response.text
    article_id: str = response.json()["id"]
    assert wait_done(client, article_id)["status"] == "done"
    return article_id


def test_a_finished_article_is_posted_signed_with_its_links(make_client, receiver_server) -> None:
    receiver = Receiver(receiver_server)
    client = make_client(webhook_urls=(receiver.url,), webhook_secret=SECRET, api_keys=(KEY,),
                         allow_hosts=("localhost",), public_url="https://audio.example.org")
    article_id = finish_article(client)

    [(headers, body)] = receiver.wait_for(1)
    timestamp = headers["X-Audiobrief-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-Audiobrief-Signature"] == f"sha256={expected}"
    tampered = hmac.new(SECRET.encode(), f"{timestamp}.".encode()
                        + body.replace(b'"done"', b'"failed"', 1), hashlib.sha256).hexdigest()
    assert tampered != expected  # the signature covers the body, not only the timestamp
    assert abs(int(timestamp) - time.time()) < 60
    assert headers["X-Audiobrief-Event"] == "article.done"
    assert headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert sent["event"] == "article.done" and sent["id"] == article_id
    assert sent["status"] == "done" and sent["error"] is None
    assert sent["title"] == "Bridge reopens"
    assert sent["duration"] > 1
    assert sent["links"]["audio"] == f"https://audio.example.org/v1/articles/{article_id}/audio.mp3"
    assert sent["links"]["embed"] == f"https://audio.example.org/embed/{article_id}"

    delivered = wait_delivery(client, lambda item: item["status"] == "delivered")
    assert delivered["id"] == headers["X-Audiobrief-Delivery"]
    assert delivered["attempts"] == 1 and delivered["response_status"] == 200
    assert delivered["target"] == receiver.url


def test_a_failing_or_slow_receiver_is_tried_again_until_it_takes_it(make_client,
                                                                      receiver_server) -> None:
    receiver = Receiver(receiver_server, [500, 2.0, 200])
    client = make_client(webhook_urls=(receiver.url,), webhook_secret=SECRET, api_keys=(KEY,),
                         allow_hosts=("localhost",), webhook_backoff_s=0.2,
                         webhook_timeout_s=0.5)
    finish_article(client)
    delivered = wait_delivery(client, lambda item: item["status"] == "delivered")
    assert delivered["attempts"] == 3 and delivered["error"] is None
    received = receiver.wait_for(3)
    ids = {headers["X-Audiobrief-Delivery"] for headers, _ in received}
    assert len(ids) == 1 and len({body for _, body in received}) == 1
    for headers, body in received:  # each attempt signed for its own timestamp
        expected = hmac.new(SECRET.encode(), f"{headers['X-Audiobrief-Timestamp']}.".encode()
                            + body, hashlib.sha256).hexdigest()
        assert headers["X-Audiobrief-Signature"] == f"sha256={expected}"


def test_a_receiver_that_keeps_failing_is_given_up_saying_why(make_client, receiver_server) -> None:
    receiver = Receiver(receiver_server, [503])
    client = make_client(webhook_urls=(receiver.url,), api_keys=(KEY,),
                         allow_hosts=("localhost",), webhook_backoff_s=0.1, webhook_attempts=3)
    finish_article(client)
    failed = wait_delivery(client, lambda item: item["status"] == "failed")
    assert failed["attempts"] == 3 and failed["response_status"] == 503
    assert "HTTP 503" in failed["error"]
    time.sleep(1.0)
    assert len(receiver.received) == 3


def test_a_pending_delivery_is_sent_after_a_restart(voice, tmp_path: Path, receiver_server) -> None:
    from litestar.testing import TestClient

    from audiobrief.settings import Settings
    from audiobrief.web.app import create_app

    receiver = Receiver(receiver_server, [500])
    settings = Settings(data=tmp_path / "data", workers=1, webhook_urls=(receiver.url,),
                        webhook_secret=SECRET, api_keys=(KEY,), allow_hosts=("localhost",),
                        webhook_backoff_s=3.0)
    with TestClient(create_app(settings, voices={voice.spec.name: voice})) as client:
        article_id = finish_article(client)
        pending = wait_delivery(client, lambda item: item["attempts"] == 1)
        assert pending["status"] == "pending" and pending["response_status"] == 500
    receiver.answers = [200]
    with TestClient(create_app(settings, voices={voice.spec.name: voice})) as client:
        delivered = wait_delivery(client, lambda item: item["status"] == "delivered")
    assert delivered["id"] == pending["id"] and delivered["attempts"] == 2
    assert json.loads(receiver.received[-1][1])["id"] == article_id


@pytest.mark.parametrize("allowed", [False, True], ids=["refused", "allowed"])
def test_a_receiver_on_a_private_address_is_refused_unless_allowed(make_client, receiver_server,
                                                                   allowed: bool) -> None:
    receiver = Receiver(receiver_server)
    target = receiver.url.replace("localhost", "127.0.0.1")
    client = make_client(webhook_urls=(target,), api_keys=(KEY,), webhook_backoff_s=0.1,
                         allow_hosts=("127.0.0.1",) if allowed else ())
    finish_article(client)
    settled = wait_delivery(client, lambda item: item["status"] != "pending")
    if allowed:
        assert settled["status"] == "delivered"
        assert len(receiver.received) == 1
    else:
        # Refused at once, never tried again: waiting does not make an address public.
        assert settled["status"] == "failed" and settled["attempts"] == 1
        assert "private or local address" in settled["error"]
        assert receiver.received == []


def test_a_withdrawn_article_is_told_deleted_once(make_client, receiver_server) -> None:
    receiver = Receiver(receiver_server)
    client = make_client(webhook_urls=(receiver.url,), webhook_secret=SECRET, api_keys=(KEY,),
                         allow_hosts=("localhost",))
    article_id = finish_article(client)
    receiver.wait_for(1)
    for _ in range(2):  # a second DELETE is answered 204 too, but tells nobody
        assert client.delete(f"/v1/articles/{article_id}", headers=AUTH).status_code == 204
    received = receiver.wait_for(2)
    time.sleep(0.5)
    events = [json.loads(body)["event"] for _, body in received]
    assert events == ["article.done", "article.deleted"]
    deleted = json.loads(received[1][1])
    assert deleted["status"] == "deleted" and deleted["id"] == article_id


def test_deliveries_need_the_key_and_hide_a_token_in_the_target(make_client,
                                                                receiver_server) -> None:
    receiver = Receiver(receiver_server)
    client = make_client(webhook_urls=(receiver.url + "?token=abc123",), api_keys=(KEY,),
                         allow_hosts=("localhost",))
    assert client.get("/v1/webhooks/deliveries").status_code == 401
    finish_article(client)
    delivered = wait_delivery(client, lambda item: item["status"] == "delivered")
    assert delivered["target"] == receiver.url
    assert "abc123" not in client.get("/v1/webhooks/deliveries", headers=AUTH).text
    metrics = client.get("/metrics").text
    assert "audiobrief_webhooks_delivered_total 1.0" in metrics


def test_a_receiver_that_is_not_a_web_address_stops_the_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "audiobrief.cli", "serve", "--port", "0"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": ":".join(sys.path),
             "AUDIOBRIEF_DATA": str(tmp_path / "data"),
             "AUDIOBRIEF_WEBHOOK_URLS": "https://cms.example.org/hook,ftp://cms.example.org/x"},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith(
        "AUDIOBRIEF_WEBHOOK_URLS: 'ftp://cms.example.org/x' is not an http(s) URL")


def test_a_job_that_keeps_killing_its_process_is_told_failed(server_process, receiver_server,
                                                             tmp_path: Path) -> None:
    import httpx

    from tests.conftest import EXAMPLE_HTML

    receiver = Receiver(receiver_server)
    settings = {"webhook_urls": receiver.url, "webhook_secret": SECRET,
                "allow_hosts": "localhost", "max_attempts": "1"}
    data = tmp_path / "data"
    first = server_process(data=data, **settings)
    posted = httpx.post(f"{first.base}/v1/articles", timeout=60,
                        json={"html": EXAMPLE_HTML.read_text(encoding="utf-8")})
    assert posted.status_code == 202, posted.text
    article_id = posted.json()["id"]
    deadline = time.monotonic() + 60
    while httpx.get(f"{first.base}/v1/articles/{article_id}").json()["status"] != "running":
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.05)
    first.kill()
    server_process(data=data, **settings)  # its one attempt used: the start fails it
    [(headers, body)] = receiver.wait_for(1, timeout_s=60)
    sent = json.loads(body)
    assert headers["X-Audiobrief-Event"] == "article.failed"
    assert sent["id"] == article_id and sent["status"] == "failed"
    assert sent["error"].startswith("stopped 1 times without finishing")
