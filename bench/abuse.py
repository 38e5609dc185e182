"""What a stranger's requests do to a default install: each attack of the "safe on the public
internet" issue against a live `audiobrief serve`, with its answer, time and the server's memory.

    python bench/abuse.py [--only NAME[,NAME...]] [--json] [--cap-s 300] [--kill-mb 4000]
    python bench/abuse.py --list

Each attack gets a fresh `audiobrief serve` on a free loopback port with its own temporary data
directory (no API keys, default limits unless the attack says otherwise), warmed by one short
speech so the voice is loaded before the idle figures are read. Hostile pages (stacked gzip, a
slow drip, redirects to refused addresses, a plain article) come from a server on 127.0.0.1 in a
thread; AUDIOBRIEF_ALLOW_HOSTS=127.0.0.1 is set only for the attacks that fetch from it.

Bounded so it can run against code that has none of the fixes: the server's address space is
capped (RLIMIT_AS, 8 GB) and a watchdog kills it once its resident size passes --kill-mb
("killed" in the table); every request has a timeout, every attack a deadline, the run a cap.
Columns: the answer(s), wall time of the attack, the server's peak RSS (VmHWM) idle → after, its
threads idle → after, and what was seen.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "tests/fixtures/kyiv-independent-kharkiv-missiles.html"
ADDRESS_SPACE_BYTES = 8_000_000_000
WATCH_S = 0.1
REQUEST_TIMEOUT_S = 30.0
MIN_ATTACK_S = 15.0
"""An attack that would have less than this before the run's cap is skipped."""


# The server under attack ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


class Server:
    """`audiobrief serve` in a child process, watched: killed past `kill_mb` resident."""

    def __init__(self, env: dict[str, str], kill_mb: float) -> None:
        self.env = env
        self.kill_mb = kill_mb
        self.killed = False
        self.last_hwm_mb = 0.0
        self.last_threads = 0

    def __enter__(self) -> Server:
        self._tmp = tempfile.TemporaryDirectory(prefix="audiobrief-abuse-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "AUDIOBRIEF_DATA": self._tmp.name, "AUDIOBRIEF_WORKERS": "1",
                   **{f"AUDIOBRIEF_{key.upper()}": value for key, value in self.env.items()}}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "audiobrief.cli", "serve", "--host", "127.0.0.1", "--port",
             str(self.port)], cwd=ROOT, env=environ, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=_cap_address_space)
        self._stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, daemon=True)
        self._watchdog.start()
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"audiobrief serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("audiobrief serve did not answer /healthz within 60 s")
            time.sleep(0.1)
        # The voice loaded and its first inference done, so "idle" is the working service.
        httpx.post(f"{self.base}/v1/audio/speech", json={"input": "Ready."}, timeout=60)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._watchdog.join(5)
        self._tmp.cleanup()

    def _status(self) -> dict[str, int]:
        fields: dict[str, int] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM", "Threads"):
                fields[name] = int(value.split()[0])
        return fields

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_S) and self.process.poll() is None:
            try:
                status = self._status()
            except (OSError, ValueError, IndexError):
                return
            self.last_hwm_mb = status["VmHWM"] / 1024
            self.last_threads = status["Threads"]
            if status["VmRSS"] / 1024 > self.kill_mb:
                self.killed = True
                self.process.send_signal(signal.SIGKILL)
                return

    def peak_rss_mb(self) -> float:
        if self.process.poll() is None:
            with suppress(OSError):
                self.last_hwm_mb = self._status()["VmHWM"] / 1024
        return self.last_hwm_mb

    def threads(self) -> int:
        if self.process.poll() is None:
            with suppress(OSError):
                self.last_threads = self._status()["Threads"]
        return self.last_threads

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


# The hostile internet ---------------------------------------------------------------------------

class Source:
    """Pages on 127.0.0.1: /article (a real page), /bomb (gzip inside gzip), /drip (a byte every
    5 s), /redirect?to=URL; counts the requests for each path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self._bomb: bytes | None = None
        self._lock = threading.Lock()
        source = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                path, _, query = self.path.partition("?")
                source.hits[path] += 1
                with suppress(BrokenPipeError, ConnectionResetError):
                    source.answer(self, path, query)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bomb(self) -> bytes:
        """A few kB that decode, twice, to 1 GB of spaces: a page in size, a disk in memory."""
        with self._lock:
            if self._bomb is None:
                inner = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
                chunk = b" " * (1 << 20)
                compressed = b"".join(inner.compress(chunk) for _ in range(1024)) + inner.flush()
                self._bomb = gzip.compress(compressed, 9)
            return self._bomb

    def answer(self, handler: BaseHTTPRequestHandler, path: str, query: str) -> None:
        if path == "/article":
            body = PAGE.read_bytes()
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        elif path == "/bomb":
            body = self.bomb()
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Encoding", "gzip, gzip")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        elif path == "/drip":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.end_headers()
            for _ in range(24):  # two minutes at most
                handler.wfile.write(b"<")
                handler.wfile.flush()
                time.sleep(5)
        elif path == "/redirect":
            handler.send_response(302)
            handler.send_header("Location", query.removeprefix("to="))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

    def close(self) -> None:
        self.server.shutdown()


# Attacks --------------------------------------------------------------------------------------

@dataclass
class Result:
    attack: str
    answer: str = ""
    time_s: float = 0.0
    rss_idle_mb: float = 0.0
    rss_peak_mb: float = 0.0
    threads_idle: int = 0
    threads_after: int = 0
    killed: bool = False
    note: str = ""


@dataclass(frozen=True)
class Attack:
    name: str
    item: int
    """The issue's numbered observation."""
    run: Callable[[Server, Source, float], tuple[str, str]]
    """(server, source, deadline) → (answer, note)."""
    timeout_s: float
    env: dict[str, str] = field(default_factory=dict)
    local_source: bool = False


def _answers(statuses: list[int | str]) -> str:
    """"202×58 503×2" from the statuses seen, most common first."""
    return " ".join(f"{status}×{count}" if count > 1 else str(status)
                    for status, count in Counter(statuses).most_common())


def _status(call: Callable[[], httpx.Response]) -> int | str:
    try:
        return call().status_code
    except httpx.TimeoutException:
        return "timeout"
    except httpx.TransportError as error:
        return type(error).__name__


def _wait_job(server: Server, article_id: str, deadline: float) -> str:
    """The job's last status once done or failed, or where it was when time ran out."""
    status = "?"
    while time.monotonic() < deadline and server.alive:
        try:
            body = httpx.get(f"{server.base}/v1/articles/{article_id}", timeout=10).json()
        except (httpx.TransportError, ValueError):
            break
        status = body.get("status", "?")
        if status in ("done", "failed"):
            return status + (f" ({body['error'][:60]})" if body.get("error") else "")
        time.sleep(0.5)
    return f"{status} at the deadline" if server.alive else f"{status} (server gone)"


def _post_then_job(server: Server, body: dict[str, Any], deadline: float) -> tuple[str, str]:
    try:
        response = httpx.post(f"{server.base}/v1/articles", json=body,
                              timeout=max(1.0, deadline - time.monotonic()))
    except httpx.TransportError as error:
        return type(error).__name__, ""
    if response.status_code not in (200, 202):
        return str(response.status_code), response.text[:80]
    return str(response.status_code), "job " + _wait_job(server, response.json()["id"], deadline)


def long_sentence(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    return _post_then_job(server, {"text": "Long sentence test\n\n" + "word " * 800 + "."},
                          deadline)


def long_speech(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    text = " ".join(random.Random(1).choice(("alpha", "bravo", "charlie", "delta"))
                    for _ in range(3400))[:20_000]
    received = 0
    try:
        with httpx.stream("POST", f"{server.base}/v1/audio/speech", json={"input": text},
                          timeout=REQUEST_TIMEOUT_S) as response:
            for chunk in response.iter_bytes():
                received += len(chunk)
                if time.monotonic() > deadline:
                    return str(response.status_code), f"{received} bytes by the deadline"
            return str(response.status_code), f"{received} bytes"
    except httpx.TransportError as error:  # cut mid-body: the server failed after its 200
        return type(error).__name__, f"stream cut after {received} bytes"


def gzip_bomb(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    source.bomb()
    answer, note = _post_then_job(server, {"url": f"{source.base}/bomb"}, deadline)
    return answer, f"body {len(source.bomb())} bytes, Content-Encoding: gzip, gzip; {note}"


REFUSED = {
    "100.100.100.200": "http://100.100.100.200/latest/meta-data/",
    "::ffff:100.100.100.200": "http://[::ffff:100.100.100.200]/",
    "192.0.0.1": "http://192.0.0.1/",
    "192.88.99.1": "http://192.88.99.1/",
    "fec0::1": "http://[fec0::1]/",
    "6to4 127.0.0.1": "http://[2002:7f00:1::1]/",
    "6to4 169.254.169.254": "http://[2002:a9fe:a9fe::1]/",
}


def refused_addresses(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    def post(url: str) -> int | str:
        return _status(lambda: httpx.post(f"{server.base}/v1/articles", json={"url": url},
                                          timeout=REQUEST_TIMEOUT_S))

    with ThreadPoolExecutor(len(REFUSED)) as pool:
        statuses = list(pool.map(post, REFUSED.values()))
    passed = [name for name, status in zip(REFUSED, statuses, strict=True) if status != 400]
    return _answers(statuses), ("not refused: " + ", ".join(passed)) if passed else "all 400"


def bad_urls(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    urls = ["http://[::1/", "http://localhost:99999/", "javascript:alert(1)",
            f"{source.base}/redirect?to=http://[::1/",
            f"{source.base}/redirect?to=http://localhost:99999/",
            f"{source.base}/redirect?to=http://169.254.169.254/"]
    statuses = [_status(lambda url=url: httpx.post(f"{server.base}/v1/articles",
                                                   json={"url": url}, timeout=REQUEST_TIMEOUT_S))
                for url in urls]
    fives = [url for url, status in zip(urls, statuses, strict=True)
             if not isinstance(status, int) or status >= 500]
    return _answers(statuses), ("5xx/none for: " + ", ".join(fives)) if fives else "all 4xx"


def slow_drip(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    """45 dripping URLs at once, then an unrelated POST: how long each waits."""
    def drip(index: int) -> tuple[int | str, float]:
        started = time.monotonic()
        status = _status(lambda: httpx.post(f"{server.base}/v1/articles",
                                            json={"url": f"{source.base}/drip?n={index}"},
                                            timeout=max(1.0, deadline - time.monotonic())))
        return status, time.monotonic() - started

    with ThreadPoolExecutor(46) as pool:
        drips = [pool.submit(drip, index) for index in range(45)]
        time.sleep(1)
        started = time.monotonic()
        other = _status(lambda: httpx.post(
            f"{server.base}/v1/articles", json={"text": "Unrelated\n\nA short unrelated post."},
            timeout=max(1.0, deadline - time.monotonic())))
        other_s = time.monotonic() - started
        results = [future.result() for future in drips]
    longest = max(seconds for _, seconds in results)
    return (_answers([status for status, _ in results]),
            f"drips held up to {longest:.0f} s; an unrelated POST ({other}) waited {other_s:.1f} s")


def long_paragraph(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    paragraph = ("The committee met again on Tuesday and the vote was close. " * 3400)[:200_000]
    started = time.monotonic()
    status = _status(lambda: httpx.post(f"{server.base}/v1/articles",
                                        json={"text": "Long paragraph\n\n" + paragraph},
                                        timeout=max(1.0, deadline - time.monotonic())))
    return str(status), f"200k-character paragraph answered in {time.monotonic() - started:.1f} s"


def huge_title(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    started = time.monotonic()
    status = _status(lambda: httpx.post(
        f"{server.base}/v1/articles", json={"text": "A short body sentence.", "title": "T" * 10**6},
        timeout=max(1.0, deadline - time.monotonic())))
    return str(status), f"1 MB title answered in {time.monotonic() - started:.1f} s"


def bad_inputs(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    bodies = {"NUL": {"text": "Title\n\nA NUL \x00 in the text."},
              "4301-digit number": {"text": "Numbers\n\nIt costs " + "9" * 5000 + " dollars."},
              "100k-char word": {"text": "Word\n\n" + "a" * 100_000},
              "html charset=punycode": {"html": '<html><head><meta charset="punycode"></head>'
                                                "<body><p>Text.</p></body></html>"}}
    seen: list[int | str] = []
    outcomes = []
    for name, body in bodies.items():
        answer, note = _post_then_job(server, body, min(deadline, time.monotonic() + 20))
        seen.append(int(answer) if answer.isdigit() else answer)
        outcomes.append(f"{name}: {answer}" + (f" {note}" if answer in ("200", "202") else ""))
    return _answers(seen), "; ".join(outcomes)


def queue_race(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    def post(index: int) -> int | str:
        return _status(lambda: httpx.post(
            f"{server.base}/v1/articles",
            json={"text": f"Race {index}\n\nDispatch number {index} of the race."},
            timeout=REQUEST_TIMEOUT_S))

    with ThreadPoolExecutor(60) as pool:
        statuses = list(pool.map(post, range(60)))
    accepted = sum(status == 202 for status in statuses)
    return _answers(statuses), f"{accepted} accepted; the limit allows 6 (5 waiting, 1 running)"


def big_lexicons(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    statuses: list[int | str] = []
    for request in range(16):
        if time.monotonic() > deadline:
            break
        lexicon = {f"w{request}x{entry}": "tˈɛst" for entry in range(200_000)}
        statuses.append(_status(lambda lexicon=lexicon, request=request: httpx.post(
            f"{server.base}/v1/articles", timeout=REQUEST_TIMEOUT_S,
            json={"text": f"Lexicon {request}\n\nA short text.", "lexicon": lexicon})))
    return _answers(statuses), f"{len(statuses)} posts of 200k entries each"


def _finished_article(server: Server, text: str, deadline: float) -> str | None:
    response = httpx.post(f"{server.base}/v1/articles", json={"text": text}, timeout=60)
    if response.status_code not in (200, 202):
        return None
    article_id: str = response.json()["id"]
    return article_id if _wait_job(server, article_id, deadline).startswith("done") else None


def long_article_get(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    """An article of many (cached, identical) sentences, its status read by 8 clients while
    another times /healthz."""
    text = "Many sentences\n\n" + "\n\n".join(["Yes. " * 20] * 200)
    article_id = _finished_article(server, text, deadline - 15)
    if article_id is None:
        return "-", "the long article was not done in time"
    stop = threading.Event()

    def read_status() -> list[int | str]:
        seen: list[int | str] = []
        while not stop.is_set():
            seen.append(_status(lambda: httpx.get(f"{server.base}/v1/articles/{article_id}",
                                                  timeout=REQUEST_TIMEOUT_S)))
        return seen

    with ThreadPoolExecutor(8) as pool:
        readers = [pool.submit(read_status) for _ in range(8)]
        times = []
        with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT_S) as client:
            for _ in range(200):
                started = time.perf_counter()
                client.get("/healthz")
                times.append(time.perf_counter() - started)
        stop.set()
        statuses = [status for reader in readers for status in reader.result()]
    times.sort()
    size = len(httpx.get(f"{server.base}/v1/articles/{article_id}", timeout=30).content)
    return (_answers(statuses), f"status {size // 1000} kB (4000 sentences); /healthz p50 "
            f"{times[100] * 1000:.1f} ms, p99 {times[198] * 1000:.1f} ms under 8 readers")


def range_digits(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    article_id = _finished_article(server, "Range\n\nA short article for ranges.", deadline)
    if article_id is None:
        return "-", "the article was not done in time"
    url = f"{server.base}/v1/articles/{article_id}/audio.mp3"
    statuses = [_status(lambda header=header: httpx.get(url, headers={"Range": header},
                                                        timeout=REQUEST_TIMEOUT_S))
                for header in ("bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000)]
    return _answers(statuses), "Range: bytes=<5000 digits>- and bytes=0-<5000 digits>"


def feed_page(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    statuses = [_status(lambda query=query: httpx.get(f"{server.base}/feed.xml?{query}",
                                                      timeout=REQUEST_TIMEOUT_S))
                for query in ("page=" + "9" * 20, "per_page=" + "9" * 20, "page=" + "9" * 5000)]
    return _answers(statuses), "page=<20 digits>, per_page=<20 digits>, page=<5000 digits>"


def bad_host(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    """A Host header that is not a host, and one that is someone else's: is it put in the script
    and the feed, and may a shared cache keep that?"""
    answers = []
    for path in ("/embed.js", "/feed.xml"):
        try:
            response = httpx.get(f"{server.base}{path}", headers={"Host": "x:99999"},
                                 timeout=REQUEST_TIMEOUT_S)
        except httpx.TransportError as error:
            answers.append(f"{path} {type(error).__name__}")
            continue
        answers.append(f"{path} {response.status_code}")
    evil = httpx.get(f"{server.base}/embed.js", headers={"Host": "evil.example"},
                     timeout=REQUEST_TIMEOUT_S)
    used = "used in" if evil.status_code == 200 and "evil.example" in evil.text else "not in"
    return ", ".join(answers), (f"Host x:99999; Host evil.example {used} embed.js, Cache-Control"
                                f" {evil.headers.get('cache-control', '-')}")


def speech_flood(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    """10 clients that send a speech request and never read, then 20 more at once."""
    text = "This sentence is spoken again and again. " * 400
    body = json.dumps({"input": text}).encode()
    request = (f"POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
               ).encode() + body
    sockets = []
    for _ in range(10):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(request)
        sockets.append(sock)
    time.sleep(5)
    held = server.threads()

    def speak(_: int) -> int | str:
        try:
            with httpx.stream("POST", f"{server.base}/v1/audio/speech",
                              json={"input": "A short reply."}, timeout=REQUEST_TIMEOUT_S) as r:
                r.read()
                return r.status_code
        except httpx.TransportError as error:
            return type(error).__name__

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(speak, range(20)))
    for sock in sockets:
        sock.close()
    return _answers(statuses), f"{held} server threads with 10 non-reading clients"


def embed_views(server: Server, source: Source, deadline: float) -> tuple[str, str]:
    """40 page views at once as embed.js makes them (POST the page's URL), then 40 that look up
    first and create only when nothing exists: how often the source page was fetched."""
    url = f"{source.base}/article"

    def post_view(_: int) -> int | str:
        return _status(lambda: httpx.post(f"{server.base}/v1/articles", json={"url": url},
                                          timeout=REQUEST_TIMEOUT_S))

    def lookup_view(_: int) -> int | str:
        status = _status(lambda: httpx.get(f"{server.base}/v1/articles", params={"url": url},
                                           timeout=REQUEST_TIMEOUT_S))
        return post_view(0) if status == 404 else status

    source.hits.clear()
    started = time.monotonic()
    with ThreadPoolExecutor(40) as pool:
        posted = list(pool.map(post_view, range(40)))
    post_s, post_fetches = time.monotonic() - started, source.hits["/article"]
    with ThreadPoolExecutor(40) as pool:
        looked = list(pool.map(lookup_view, range(40)))
    lookup_fetches = source.hits["/article"] - post_fetches
    return (f"POST {_answers(posted)}; lookup {_answers(looked)}",
            f"source fetched {post_fetches}× for 40 POSTs ({post_s:.1f} s), "
            f"{lookup_fetches}× for 40 lookups")


ATTACKS = [
    Attack("long-sentence", 1, long_sentence, 60),
    Attack("long-speech", 1, long_speech, 40),
    Attack("gzip-bomb", 2, gzip_bomb, 40, local_source=True),
    Attack("refused-addresses", 3, refused_addresses, 40),
    Attack("bad-urls", 14, bad_urls, 40, local_source=True),
    Attack("slow-drip", 5, slow_drip, 70, local_source=True),
    Attack("long-paragraph", 6, long_paragraph, 40),
    Attack("huge-title", 6, huge_title, 40),
    Attack("bad-inputs", 14, bad_inputs, 60),
    Attack("queue-race", 11, queue_race, 40, env={"queue_limit": "5"}),
    Attack("big-lexicons", 12, big_lexicons, 60),
    Attack("long-article-get", 13, long_article_get, 90),
    Attack("range-digits", 14, range_digits, 30),
    Attack("feed-page", 14, feed_page, 20),
    Attack("bad-host", 16, bad_host, 20),
    Attack("speech-flood", 10, speech_flood, 60),
    Attack("embed-views", 9, embed_views, 60, local_source=True),
]


def run(attack: Attack, source: Source, kill_mb: float, timeout_s: float) -> Result:
    env = dict(attack.env)
    if attack.local_source:
        env["allow_hosts"] = "127.0.0.1"
    result = Result(attack.name)
    with Server(env, kill_mb) as server:
        result.rss_idle_mb, result.threads_idle = server.peak_rss_mb(), server.threads()
        started = time.monotonic()
        deadline = started + timeout_s
        # The attack runs in a thread so a request the server never answers cannot hold the run.
        outcome: list[tuple[str, str]] = []
        worker = threading.Thread(
            target=lambda: outcome.append(_guarded(attack, server, source, deadline)), daemon=True)
        worker.start()
        worker.join(timeout_s + 15)
        result.time_s = time.monotonic() - started
        result.answer, result.note = outcome[0] if outcome else ("timeout", "attack still running")
        result.rss_peak_mb, result.threads_after = server.peak_rss_mb(), server.threads()
        result.killed = server.killed
        if server.killed:
            result.note = f"killed past {kill_mb:.0f} MB resident; " + result.note
        elif not server.alive:
            result.note = f"server died ({server.process.returncode}); " + result.note
    return result


def _guarded(attack: Attack, server: Server, source: Source, deadline: float) -> tuple[str, str]:
    try:
        return attack.run(server, source, deadline)
    except Exception as error:  # an attack's own failure is a row, not the end of the run
        return "error", f"{type(error).__name__}: {error}"[:200]


def table(results: list[Result]) -> str:
    head = ("attack", "answer", "time s", "peak RSS MB idle→after", "threads", "seen")
    rows = [(r.attack, r.answer + (" (killed)" if r.killed else ""), f"{r.time_s:.1f}",
             f"{r.rss_idle_mb:.0f} → {r.rss_peak_mb:.0f}", f"{r.threads_idle} → {r.threads_after}",
             r.note) for r in results]
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head) - 1)]
    lines = ["| " + " | ".join(str(cell).ljust(width) for cell, width in
                               zip(row[:-1], widths, strict=True)) + f" | {row[-1]} |"
             for row in [head, *rows]]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|---|")
    return "\n".join(lines)


@contextmanager
def hostile_source() -> Iterator[Source]:
    source = Source()
    try:
        yield source
    finally:
        source.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="attack name(s), comma-separated or repeated; see --list")
    parser.add_argument("--list", action="store_true", help="list the attacks and exit")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--cap-s", type=float, default=300.0,
                        help="whole-run cap: attacks that would start past it are skipped")
    parser.add_argument("--kill-mb", type=float, default=4000.0,
                        help="kill the server once its resident size passes this")
    args = parser.parse_args()
    if args.list:
        for attack in ATTACKS:
            summary = " ".join((attack.run.__doc__ or "").split())
            print(f"{attack.name:20} item {attack.item:2}  {summary}".rstrip())
        return
    wanted = {name for names in args.only for name in names.split(",") if name}
    unknown = wanted - {attack.name for attack in ATTACKS}
    if unknown:
        parser.error(f"unknown attack(s): {', '.join(sorted(unknown))}; see --list")
    chosen = [attack for attack in ATTACKS if not wanted or attack.name in wanted]
    run_deadline = time.monotonic() + args.cap_s
    results: list[Result] = []
    with hostile_source() as source:
        for attack in chosen:
            left_s = run_deadline - time.monotonic()
            if left_s < MIN_ATTACK_S:
                results.append(Result(attack.name, "skipped", note="past the run's cap"))
                continue
            results.append(run(attack, source, args.kill_mb, min(attack.timeout_s, left_s)))
            if not args.json:
                print(f"{attack.name}: {results[-1].answer} in {results[-1].time_s:.1f} s",
                      file=sys.stderr)
    if args.json:
        print(json.dumps([asdict(result) for result in results], indent=1))
    else:
        print(table(results))


if __name__ == "__main__":
    main()
