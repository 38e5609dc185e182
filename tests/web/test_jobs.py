"""Jobs survive restarts and crashes, the queue is bounded, failures are recorded and retried,
and the one-URL integration answers 202 until the audio exists, then redirects to it."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from mutagen.mp3 import MP3

from audiobrief.service.backends import Backends
from audiobrief.settings import Settings
from tests.conftest import EXAMPLE_HTML
from tests.web.conftest import free_port, wait_done, wait_progress

LONG = "Restart notes\n\n" + " ".join(
    f"Paragraph {n} tells what happened in Kharkiv on day {n}." for n in range(16))


def test_a_stopped_service_resumes_its_job(make_client, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = make_client(data=data)
    article_id = first.post("/v1/articles", json={"text": LONG}).json()["id"]
    wait_progress(first, article_id, 2)
    first.__exit__(None, None, None)  # the app stops mid-job

    backends = Backends.embedded(Settings(data=data))
    assert backends.jobs.get(article_id).status == "queued"
    assert backends.audio.size(article_id) is None
    assert backends.live.reader(article_id) is None

    second = make_client(data=data)
    status = wait_done(second, article_id)
    assert status["status"] == "done"
    mp3 = second.get(status["links"]["audio"]).content
    assert abs(MP3(io.BytesIO(mp3)).info.length - status["duration"]) < 0.05
    assert len(status["sentences"]) == 17


def _serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AUDIOBRIEF_DATA": str(data), "AUDIOBRIEF_WORKERS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "audiobrief.cli", "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("audiobrief serve did not start")


def test_a_killed_process_loses_nothing(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    process = _serve(data, port)
    try:
        article_id = httpx.post(f"{base}/v1/articles", json={"text": LONG}).json()["id"]
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/v1/articles/{article_id}").json()["progress"]["done"] < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    backends = Backends.embedded(Settings(data=data))
    assert backends.jobs.get(article_id).status == "running"  # as the crash left it
    assert backends.audio.size(article_id) is None

    process = _serve(data, port)
    try:
        with httpx.Client(base_url=base) as client:
            status = wait_done(client, article_id)
            assert status["status"] == "done"
            mp3 = client.get(status["links"]["audio"]).content
    finally:
        process.terminate()
        process.wait(30)
    assert abs(MP3(io.BytesIO(mp3)).info.length - status["duration"]) < 0.05
    assert not list((data / "audio").glob("*.frames"))
    assert not list((data / "audio").glob(".*.tmp"))


def test_the_queue_is_bounded(make_client) -> None:
    client = make_client(queue_limit=2)
    texts = [f"Note {n}\n\nSomething happened in Odesa, part {n}." for n in range(3)]
    assert [client.post("/v1/articles", json={"text": t}).status_code for t in texts[:2]] == [
        202, 202]
    busy = client.post("/v1/articles", json={"text": texts[2]})
    assert busy.status_code == 503
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert int(busy.headers["retry-after"]) > 0
    assert "try again later" in busy.json()["detail"]


def test_a_failed_job_says_why_and_can_be_retried(make_client, tmp_path: Path) -> None:
    data = tmp_path / "data"
    client = make_client(data=data)
    created = client.post("/v1/articles", json={"text": "Note\n\nA short one."}).json()
    # The voice that made the script is gone by the time the job runs.
    store = Backends.embedded(Settings(data=data)).jobs
    script = store.get(created["id"]).script
    store.add("f" * 32, script, "en_XX-uninstalled", 1.0, None)
    status = wait_done(client, "f" * 32)
    assert status["status"] == "failed"
    assert "unknown voice 'en_XX-uninstalled'" in status["error"]
    audio = client.get(f"/v1/articles/{'f' * 32}/audio.mp3")
    assert audio.status_code == 409
    assert "unknown voice" in audio.json()["detail"]
    retried = client.post(f"/v1/articles/{'f' * 32}/retry")
    assert retried.status_code == 202
    assert wait_done(client, "f" * 32)["status"] == "failed"
    assert client.post(f"/v1/articles/{created['id']}/retry").status_code == 409


def test_audio_by_url_starts_the_job_then_redirects(make_client, httpserver) -> None:
    httpserver.expect_request("/news/article").respond_with_data(
        EXAMPLE_HTML.read_text(encoding="utf-8"), content_type="text/html")
    client = make_client(allow_hosts=("localhost",))
    url = httpserver.url_for("/news/article")
    first = client.get("/v1/audio.mp3", params={"url": url}, follow_redirects=False)
    assert first.status_code == 202
    assert int(first.headers["retry-after"]) > 0
    article_id = first.json()["id"]
    assert wait_done(client, article_id)["status"] == "done"
    fetched = len(httpserver.log)
    ready = client.get("/v1/audio.mp3", params={"url": url}, follow_redirects=False)
    assert ready.status_code == 302
    assert ready.headers["location"] == f"/v1/articles/{article_id}/audio.mp3"
    assert len(httpserver.log) == fetched  # answered from the store, the page not fetched again
    assert client.get(ready.headers["location"]).status_code == 200


def test_audio_by_url_refuses_private_addresses(make_client) -> None:
    refused = make_client().get("/v1/audio.mp3", params={"url": "http://127.0.0.1:9/"})
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
