"""The real app over a real SQLite store and the real voice; the internet played by 127.0.0.1.

- `make_client(**settings)`: a fresh app (own data directory unless `data=` is given) in
  Litestar's TestClient, with the session's voice handed in so it is not loaded again.
- `finished_data`: a data directory where the example article is narrated already (made once).
- `live_server`: the real app under uvicorn on 127.0.0.1 in a thread, over `finished_data`,
  allowed to fetch 127.0.0.1; `finished_article_id` is the example article in it.
- `server_process(...)`: `audiobrief serve` in a process of its own (peak RSS, kill -9, two
  processes on one data directory).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_HTML

EXAMPLE_URL = (
    "https://kyivindependent.com/governor-russia-attacked-kharkiv-oblast-with-foreign-made-missiles/")


def wait_done(client: Any, article_id: str, timeout_s: float = 120) -> dict[str, Any]:
    """Poll an article until it is done or failed; its last status."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/v1/articles/{article_id}").json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"article {article_id} not finished after {timeout_s} s")


def wait_progress(client: Any, article_id: str, sentences: int, timeout_s: float = 120) -> None:
    """Poll an article until at least `sentences` of it are made (the job is mid-way)."""
    deadline = time.monotonic() + timeout_s
    while client.get(f"/v1/articles/{article_id}").json()["progress"]["done"] < sentences:
        assert time.monotonic() < deadline, f"fewer than {sentences} sentences in {timeout_s} s"
        time.sleep(0.02)


@pytest.fixture
def make_client(voice, tmp_path) -> Iterator[Callable[..., Any]]:
    from litestar.testing import TestClient

    from audiobrief.settings import Settings
    from audiobrief.web.app import create_app

    clients: list[Any] = []

    def make(**changes: Any) -> Any:
        changes.setdefault("data", tmp_path / f"data{len(clients)}")
        changes.setdefault("workers", 1)
        settings = Settings(**changes)
        client = TestClient(create_app(settings, voices={voice.spec.name: voice}))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def finished_data(voice, tmp_path_factory) -> tuple[Path, str]:
    """(data directory, article id) with the example article narrated, made once per run."""
    from litestar.testing import TestClient

    from audiobrief.settings import Settings
    from audiobrief.web.app import create_app

    data = tmp_path_factory.mktemp("finished") / "data"
    app = create_app(Settings(data=data, workers=1), voices={voice.spec.name: voice})
    with TestClient(app) as client:
        response = client.post("/v1/articles", json={
            "html": EXAMPLE_HTML.read_text(encoding="utf-8"), "url": EXAMPLE_URL})
        assert response.status_code == 202, response.text
        article_id = response.json()["id"]
        assert wait_done(client, article_id)["status"] == "done"
    return data, article_id


@pytest.fixture
def finished_client(finished_data, make_client, tmp_path) -> Any:
    """A fresh app over a private copy of `finished_data`."""
    data = tmp_path / "finished-copy"
    shutil.copytree(finished_data[0], data)
    return make_client(data=data)


@pytest.fixture(scope="session")
def finished_article_id(finished_data) -> str:
    return finished_data[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(voice, finished_data, tmp_path_factory) -> Iterator[str]:
    """Base URL of the real app under uvicorn on 127.0.0.1, over a copy of `finished_data`."""
    from audiobrief.settings import Settings

    data = tmp_path_factory.mktemp("live") / "data"
    shutil.copytree(finished_data[0], data)
    with serving(Settings(data=data, workers=1, allow_hosts=("127.0.0.1", "localhost"),
                          cors_write_origins=("*",)), voice) as base:
        yield base


@contextlib.contextmanager
def serving(settings: Any, voice: Any) -> Iterator[str]:
    """The real app for `settings` under uvicorn on a free port of 127.0.0.1, in a thread;
    its base URL."""
    import uvicorn

    from audiobrief.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(settings, voices={voice.spec.name: voice}),
                            host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


class ServerProcess:
    """`audiobrief serve` in a process of its own, for what a thread cannot show: peak memory
    (VmHWM), a kill -9, two processes on one data directory."""

    def __init__(self, data: Path, port: int | None = None, **env: str) -> None:
        import httpx

        self.data = data
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "AUDIOBRIEF_DATA": str(data), "AUDIOBRIEF_WORKERS": "1",
                   **{f"AUDIOBRIEF_{key.upper()}": value for key, value in env.items()}}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "audiobrief.cli", "serve", "--port", str(self.port)],
            env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("audiobrief serve did not start: "
                             + (self.process.stderr.read().decode()[-2000:]
                                if self.process.stderr else ""))

    def _status_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/{self.process.pid}/status")

    def peak_rss_mb(self) -> float:
        """The process's peak resident size so far (VmHWM)."""
        return self._status_kb("VmHWM") / 1024

    def rss_mb(self) -> float:
        return self._status_kb("VmRSS") / 1024

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def server_process(tmp_path) -> Iterator[Callable[..., ServerProcess]]:
    """`server_process(data=None, port=None, **AUDIOBRIEF_settings)` starts `audiobrief serve`
    (voice loaded, /healthz answering); every one started is stopped after the test."""
    started: list[ServerProcess] = []

    def start(data: Path | None = None, port: int | None = None, **env: str) -> ServerProcess:
        server = ServerProcess(data or tmp_path / f"served{len(started)}", port, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
