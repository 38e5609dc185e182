"""One process per data directory, one owner per running job, and bounds that hold under races:
the queue limit with many requests at once, retries, and a job that keeps killing the process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from audiobrief import pipeline
from audiobrief.errors import DataLockedError, QueueFullError
from audiobrief.load import from_content
from audiobrief.service.backends import Backends, finish
from audiobrief.settings import Settings
from tests.web.conftest import free_port, wait_done

LONG = "Restart notes\n\n" + " ".join(
    f"Paragraph {n} tells what happened in Kharkiv on day {n}." for n in range(16))


def _script(text: str, settings: Settings):
    page = from_content(text, "text", "the posted text")
    return pipeline.prepare(page, settings, pipeline.Options())


def test_a_second_server_on_the_same_data_says_so_and_exits_2(server_process) -> None:
    first = server_process()
    env = {**os.environ, "AUDIOBRIEF_DATA": str(first.data), "AUDIOBRIEF_WORKERS": "1"}
    second = subprocess.run(
        [sys.executable, "-m", "audiobrief.cli", "serve", "--port", str(free_port())],
        env=env, capture_output=True, timeout=120, check=False)
    assert second.returncode == 2
    lines = second.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "another audiobrief process" in lines[0]
    assert str(first.data) in lines[0]
    # The first one is untouched and still serving.
    assert httpx.get(f"{first.base}/healthz", timeout=10).status_code == 200


def test_the_lock_is_let_go_when_the_service_stops(voice, tmp_path: Path) -> None:
    from audiobrief.service.jobs import Service

    settings = Settings(data=tmp_path / "data", workers=1)
    first = Service(settings, voices={voice.spec.name: voice})
    with pytest.raises(DataLockedError, match="another audiobrief process"):
        Service(settings, voices={voice.spec.name: voice})
    first.stop()
    second = Service(settings, voices={voice.spec.name: voice})
    second.stop()


def test_only_the_attempt_that_runs_a_job_may_finish_it(tmp_path: Path) -> None:
    """A job requeued under its first runner (the issue's second process) cannot be published
    truncated by that runner: its finish, progress and failure change nothing."""
    settings = Settings(data=tmp_path / "data")
    store = Backends.embedded(settings).jobs
    store.add("a" * 32, _script(LONG, settings), settings.voice, 1.0, None)
    first = store.claim("a" * 32, "first")
    assert first is not None and first.owner == "first"
    assert store.claim("a" * 32, "other") is None  # running: not to be claimed twice

    assert store.requeue_unfinished() == 1  # what a restart does
    second = store.claim("a" * 32, "second")
    assert second is not None and second.id == first.id
    assert not store.owns(first.id, "first")  # the Service stores no audio without this
    assert not store.progress(first.id, "first", 5)
    assert not finish(store, first.id, "first", _timings(), 9)
    assert not store.fail(first.id, "first", "it went wrong")
    assert not store.release(first.id, "first")
    record = store.get(first.id)
    assert (record.status, record.owner, record.done) == ("running", "second", 0)


def _timings():
    from audiobrief.model import Rendition

    return Rendition(22050, ((0, 10),), length_samples=10)


def test_sixty_submits_at_once_accept_at_most_the_queue_limit(voice, tmp_path: Path) -> None:
    from audiobrief.service.jobs import Service

    settings = Settings(data=tmp_path / "data", workers=1, queue_limit=5)
    service = Service(settings, voices={voice.spec.name: voice})  # not started: nothing runs
    scripts = [_script(f"Note {n}\n\nSomething happened in Odesa, part {n}.", settings)
               for n in range(60)]
    start = threading.Barrier(60, timeout=60)
    outcomes: list[str] = []

    def submit(script) -> None:
        start.wait()
        try:
            service.submit(script, pipeline.Options(), None)
            outcomes.append("accepted")
        except QueueFullError:
            outcomes.append("busy")

    threads = [threading.Thread(target=submit, args=(script,)) for script in scripts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    service.stop()
    assert len(outcomes) == 60
    assert outcomes.count("accepted") == 5
    assert service.jobs.counts()["queued"] == 5


def test_retry_obeys_the_queue_limit(make_client, tmp_path: Path) -> None:
    data = tmp_path / "data"
    client = make_client(data=data, queue_limit=1, workers=1)
    service = client.app.state.service
    settings = service.settings
    store = Backends.embedded(settings).jobs
    store.add("f" * 32, _script("Note\n\nA short one.", settings), "en_XX-uninstalled", 1.0,
              None)
    assert wait_done(client, "f" * 32)["status"] == "failed"
    service.stop()  # nothing is taken from the queue now
    store.add("e" * 32, _script(LONG, settings), settings.voice, 1.0, None)
    with pytest.raises(QueueFullError, match="try again later"):
        service.retry("f" * 32)
    assert store.get("f" * 32).status == "failed"


def test_a_job_that_keeps_killing_the_process_ends_failed(make_client, tmp_path: Path) -> None:
    """Left running by dead processes as often as attempts allow, it is not started again."""
    data = tmp_path / "data"
    settings = Settings(data=data)
    store = Backends.embedded(settings).jobs
    store.add("d" * 32, _script(LONG, settings), settings.voice, 1.0, None)
    with sqlite3.connect(store.path) as db:  # as three killed processes left it
        db.execute("UPDATE articles SET status = 'running', attempts = 3, done = 7"
                   " WHERE id = ?", ("d" * 32,))
    client = make_client(data=data, max_attempts=3)
    status = wait_done(client, "d" * 32, timeout_s=30)
    assert status["status"] == "failed"
    assert "stopped 3 times without finishing" in status["error"]
    assert "sentence 7 of 17" in status["error"]
    # A retry starts the count again, and the article is made.
    assert client.post(f"/v1/articles/{'d' * 32}/retry").status_code == 202
    assert wait_done(client, "d" * 32)["status"] == "done"


def test_stopping_the_service_does_not_count_as_an_attempt(make_client, tmp_path: Path) -> None:
    data = tmp_path / "data"
    longer = "Stop notes\n\n" + " ".join(
        f"Paragraph {n} tells what happened in Odesa on day {n}." for n in range(80))
    for _ in range(3):  # more stops than attempts allowed
        client = make_client(data=data, max_attempts=2)
        article_id = client.post("/v1/articles", json={"text": longer}).json()["id"]
        deadline = time.monotonic() + 60
        while client.get(f"/v1/articles/{article_id}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        client.__exit__(None, None, None)
    assert Backends.embedded(Settings(data=data)).jobs.get(article_id).attempts == 0
    assert wait_done(make_client(data=data, max_attempts=2), article_id)["status"] == "done"
