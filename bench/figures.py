"""What listening events cost the service: POST /v1/events beside GET /healthz (its cheapest
answer), side by side on one `audiobrief serve`, and how soon a webhook follows a finished job.

    python bench/figures.py [--requests 3000] [--connections 20]

Starts `audiobrief serve` on a free loopback port over a fresh data directory with a receiver
of its webhooks on another, narrates one short text, then sends each kind of request in turn,
`--connections` at a time (httpx, asyncio), and prints requests a second and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TEXT = {"text": "Bridge reopens\n\nThe bridge reopened on Monday after repairs."}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def receiver() -> tuple[str, list[float], ThreadingHTTPServer]:
    arrived: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers["Content-Length"]))
            arrived.append(time.monotonic())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook", arrived, server


async def rate(base: str, method: str, path: str, body: bytes | None, requests: int,
               connections: int) -> float:
    """Requests a second answered 2xx."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        remaining = requests

        async def one_connection() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                answer = await client.request(method, path, content=body,
                                              headers={"Content-Type": "text/plain"})
                assert answer.status_code < 300, answer.text
        started = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(connections)))
        return requests / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=20)
    options = parser.parse_args()
    hook, arrived, hook_server = receiver()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "AUDIOBRIEF_DATA": data, "AUDIOBRIEF_WORKERS": "1",
               "AUDIOBRIEF_WEBHOOK_URLS": hook, "AUDIOBRIEF_WEBHOOK_SECRET": "bench",
               "AUDIOBRIEF_ALLOW_HOSTS": "127.0.0.1", "AUDIOBRIEF_EVENTS_PER_MINUTE": "1000000",
               "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([sys.executable, "-m", "audiobrief.cli", "serve", "--port",
                                   str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.1)
            article_id = httpx.post(f"{base}/v1/articles", json=TEXT).json()["id"]
            while (status := httpx.get(f"{base}/v1/articles/{article_id}").json())[
                    "status"] not in ("done", "failed"):
                assert time.monotonic() < deadline + 120, "the article was not made"
                time.sleep(0.01)
            seen_done = time.monotonic()
            while not arrived and time.monotonic() < seen_done + 30:
                time.sleep(0.005)
            print(f"webhook after the status said {status['status']}: "
                  f"{(arrived[0] - seen_done) * 1000:.0f} ms (polled every 10 ms)"
                  if arrived else "webhook: none within 30 s")
            event = json.dumps({"article": article_id, "kind": "play"}).encode()
            print(f"{options.requests} requests, {options.connections} connections at once:")
            health = asyncio.run(rate(base, "GET", "/healthz", None, options.requests,
                                      options.connections))
            events = asyncio.run(rate(base, "POST", "/v1/events", event, options.requests,
                                      options.connections))
            print(f"  GET /healthz     {health:8.0f} requests/s")
            print(f"  POST /v1/events  {events:8.0f} requests/s   ratio {events / health:.2f}")
        finally:
            server.terminate()
            server.wait(30)
            hook_server.shutdown()


if __name__ == "__main__":
    main()
