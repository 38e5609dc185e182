"""A distributed audiobrief on 127.0.0.1: web nodes and workers as real processes over one
PostgreSQL database, one Redis database and one bucket."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.web.conftest import free_port

START_TIMEOUT_S = 60.0


@dataclass
class Node:
    """One `audiobrief serve --role web` or `audiobrief worker` process."""

    kind: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str | None = None

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing of it runs after this."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM, then wait; returns the exit code (SIGKILL past the timeout)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                return self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Cluster:
    env: dict[str, str]
    root: Path
    nodes: list[Node] = field(default_factory=list)

    def run(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "audiobrief.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout_s)

    def _spawn(self, kind: str, args: list[str], url: str | None = None,
               prefix: tuple[str, ...] = ()) -> Node:
        number = len(self.nodes)
        log = self.root / f"{kind}-{number}.log"
        env = {**self.env, "AUDIOBRIEF_DATA": str(self.root / f"node-{number}")}
        with open(log, "wb") as out:
            process = subprocess.Popen([*prefix, sys.executable, "-m", "audiobrief.cli", *args],
                                       env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        node = Node(kind, process, log, url)
        self.nodes.append(node)
        return node

    def web(self, role: str = "web") -> Node:
        """`audiobrief serve --role ROLE`, once it answers /healthz."""
        port = free_port()
        node = self._spawn("web", ["serve", "--role", role, "--port", str(port)],
                           f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if node.process.poll() is not None:
                raise RuntimeError(f"the web node exited:\n{node.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{node.url}/healthz", timeout=2).status_code == 200:
                    return node
            if time.monotonic() > deadline:
                raise RuntimeError(f"the web node did not start:\n{node.output()}")
            time.sleep(0.1)

    def worker(self, concurrency: int = 1, core: int | None = None) -> Node:
        """A worker; with `core`, pinned to that core from its start (`taskset`), so it sizes
        its synthesis to the one core."""
        prefix = ("taskset", "-c", str(core)) if core is not None else ()
        node = self._spawn("worker", ["worker", "--concurrency", str(concurrency)],
                           prefix=prefix)
        deadline = time.monotonic() + START_TIMEOUT_S
        while "worker ready" not in node.output():
            if node.process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{node.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{node.output()}")
            time.sleep(0.1)
        return node

    def close(self) -> None:
        for node in self.nodes:
            node.stop(10)


def wait_status(url: str, article_id: str, wanted: tuple[str, ...] = ("done", "failed"),
                timeout_s: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = httpx.get(f"{url}/v1/articles/{article_id}", timeout=10).json()
        if status["status"] in wanted:
            return status
        assert time.monotonic() < deadline, f"still {status['status']} after {timeout_s} s"
        time.sleep(0.2)


def wait_progress(url: str, article_id: str, sentences: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"{url}/v1/articles/{article_id}", timeout=10).json()[
            "progress"]["done"] < sentences:
        assert time.monotonic() < deadline, "the job made no progress"
        time.sleep(0.1)


@contextlib.contextmanager
def cluster(env: dict[str, str], root: Path) -> Iterator[Cluster]:
    running = Cluster(env, root)
    try:
        yield running
    finally:
        running.close()
