"""The service's figures: first byte, cached audio under load, sentence reuse, throughput.

    python bench/service.py [first-byte|cache|reuse|throughput|all] [--runs 3]
                            [--duration 10] [--client wrk|python] [--compare-workers]

Each part starts its own `audiobrief serve` on a free loopback port with a fresh temporary data
directory (AUDIOBRIEF_DATA), waits for /healthz, and stops it at the end; the server's output goes
to /dev/null (its access log would otherwise be part of what is measured) unless --server-log.
Every part prints how it measured before its figures. Targets from the "Fast" issue: first byte
<= 1 s, cached audio p99 <= 20 ms at 50 connections, edited/new <= 0.25, peak RSS <= 600 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import html as html_lib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "tests/fixtures/kyiv-independent-kharkiv-missiles.html"
POLL_S = 0.05
JOB_TIMEOUT_S = 300.0


class Server:
    """`audiobrief serve` in a child process with its own data directory, for one `with`."""

    def __init__(self, workers: int | None = None, log: IO[bytes] | None = None) -> None:
        self.workers = workers
        self.log = log
        self.data = Path()
        self.url = ""

    def __enter__(self) -> Server:
        self._tmp = tempfile.TemporaryDirectory(prefix="audiobrief-bench-")
        self.data = Path(self._tmp.name)
        port = free_port()
        command = [sys.executable, "-m", "audiobrief.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(port)]
        if self.workers:
            command += ["--workers", str(self.workers)]
        output = self.log or subprocess.DEVNULL
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=output,
                                        env={**os.environ, "AUDIOBRIEF_DATA": str(self.data)})
        self.url = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=self.url, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                self.__exit__()
                sys.exit(f"the server exited with {self.process.returncode} (see --server-log)")
            try:
                if self.client.get("/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                sys.exit("the server did not answer /healthz within 60 s")
            time.sleep(0.1)

    def __exit__(self, *_: object) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._tmp.cleanup()

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/v1/articles", json=body)
        if response.status_code not in (200, 202):
            raise RuntimeError(f"POST answered {response.status_code}: {response.text[:300]}")
        return response.json()  # type: ignore[no-any-return]

    def wait_done(self, article_id: str, poll_s: float = POLL_S) -> dict[str, Any]:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            status = self.client.get(f"/v1/articles/{article_id}").json()
            if status["status"] == "done":
                return status  # type: ignore[no-any-return]
            if status["status"] == "failed":
                raise RuntimeError(f"article {article_id} failed: {status['error']}")
            time.sleep(poll_s)
        raise RuntimeError(f"article {article_id} not done after {JOB_TIMEOUT_S:.0f} s")

    def narrate(self, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """Seconds from just before the POST to the job seen done, and the final status."""
        start = time.perf_counter()
        status = self.wait_done(self.post(body)["id"])
        return time.perf_counter() - start, status

    def warm_up(self) -> None:
        """One short job, so the voice is loaded and its first inference is behind us."""
        self.narrate({"text": "The voice is ready for the benchmark.", "title": "Warm-up"})

    def sentence_files(self) -> int:
        return sum(1 for _ in (self.data / "sentences").rglob("*.pcm"))

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process (all its threads) so far."""
        return cpu_s(self.process.pid)

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        return int(match[1]) / 1024 if match else float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


BARE_APP = """
import sys, uvicorn
body = open(sys.argv[1], "rb").read()
head = [(b"content-type", b"audio/mpeg"), (b"content-length", str(len(body)).encode())]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": head})
    await send({"type": "http.response.body", "body": body})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), access_log=False,
            log_level="warning", lifespan="off")
"""


@contextmanager
def bare_server(content: bytes) -> Iterator[tuple[str, int]]:
    """The same bytes from an ASGI app that does nothing else, on the same uvicorn (with uvloop
    and httptools): what any Python ASGI service could do on this machine. (url, pid)."""
    with tempfile.NamedTemporaryFile(prefix="audiobrief-bench-", suffix=".mp3") as file:
        file.write(content)
        file.flush()
        port = free_port()
        process = subprocess.Popen([sys.executable, "-c", BARE_APP, file.name, str(port)])
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url, timeout=5).content == content:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the bare ASGI server did not start")
                time.sleep(0.1)
            yield url, process.pid
        finally:
            process.terminate()
            process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Articles -------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])|(?<=[.!?][”\"])\s+(?=[A-Z“\"])")


def example_paragraphs() -> list[str]:
    from audiobrief import pipeline
    from audiobrief.settings import Settings

    article = pipeline.read(PAGE, Settings())
    return [p for section in article.sections for p in section.paragraphs]


def unique_text(tag: str, paragraphs: list[str]) -> dict[str, Any]:
    """A text request from the example's paragraphs in which every sentence carries `tag`, so
    none of its sentences is in the sentence cache (appending one sentence per paragraph would
    leave the others cached)."""
    spoken = [" ".join(f"In dispatch {tag}, {sentence}" for sentence in
                       _SENTENCE_END.split(paragraph)) for paragraph in paragraphs]
    return {"text": "\n\n".join(spoken), "title": f"Dispatch {tag}: missiles over Kharkiv"}


def body_paragraph_spans(page: str, paragraphs: list[str]) -> list[tuple[int, int]]:
    """Where the inner HTML of each `<p>` of the article body is (those whose text the extractor
    keeps, not the related links or the newsletter box)."""
    def plain(text: str) -> str:
        return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", text)).split())[:60]

    kept = {plain(p) for p in paragraphs}
    return [match.span(1) for match in re.finditer(r"<p\b[^>]*>(.*?)</p>", page, re.S)
            if plain(match[1]) in kept]


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


# 1. First byte --------------------------------------------------------------------------------

def first_byte(args: argparse.Namespace) -> None:
    print("== first byte: new article -> first MP3 byte streamed while the job runs ==")
    print("Server started, /healthz answered, one warm-up job done (voice loaded). Each run")
    print("POSTs a new text (the example's first 6 paragraphs, every sentence tagged with the")
    print("run, so no sentence is cached) to /v1/articles and at once GETs links.audio with a")
    print("streaming httpx client; times from just before the POST. Then the finished file is")
    print("fetched and its tail compared with the streamed bytes.")
    paragraphs = example_paragraphs()[:6]
    firsts, lasts = [], []
    with Server(log=args.server_log) as server:
        server.warm_up()
        print(f"{'run':>3} {'POST s':>7} {'1st byte s':>10} {'last byte s':>11} {'done s':>7} "
              f"{'audio s':>7} {'streamed kB':>11} {'streamed':>8} {'tail ok':>7}")
        for run in range(args.runs):
            body = unique_text(f"{run + 1}", paragraphs)
            start = time.perf_counter()
            accepted = server.post(body)
            posted = time.perf_counter() - start
            streamed, first = bytearray(), float("nan")
            deadline = time.monotonic() + JOB_TIMEOUT_S
            with server.client.stream("GET", accepted["links"]["audio"]) as response:
                live = response.headers.get("x-audiobrief-status") == "running"
                for chunk in response.iter_raw():
                    if chunk and not streamed:
                        first = time.perf_counter() - start
                    streamed += chunk
                    if time.monotonic() > deadline:
                        break
            last = time.perf_counter() - start
            status = server.wait_done(accepted["id"])
            done = time.perf_counter() - start
            final = server.client.get(accepted["links"]["audio"]).content
            firsts.append(first)
            lasts.append(last)
            print(f"{run + 1:>3} {posted:>7.2f} {first:>10.2f} {last:>11.2f} {done:>7.2f} "
                  f"{status['duration']:>7.1f} {len(streamed) / 1000:>11.1f} "
                  f"{'live' if live else 'whole':>8} {str(final.endswith(streamed)):>7}")
    print(f"median first byte {statistics.median(firsts):.2f} s (target <= 1 s), median last byte "
          f"{statistics.median(lasts):.2f} s ({args.runs} runs)\n")


# 2. Cached audio under load -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Load:
    """One load test's result."""

    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests_per_s: float
    requests: int
    errors: int
    """Non-2xx/3xx answers, socket errors and timeouts."""


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(url: str, headers: dict[str, str], connections: int, duration_s: int) -> Load:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration_s}s",
               "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(command + [url], capture_output=True, text=True,
                            timeout=duration_s + 30)
    out = result.stdout
    if result.returncode:
        sys.exit(f"wrk failed: {result.stderr or out}")

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(match[1]) * _UNIT_MS[match[2]] if match else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    errors = (int(bad[1]) if bad else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return Load(latency("50"), latency("90"), latency("99"), float(rate[1]) if rate else 0.0,
                int(count[1]) if count else 0, errors)


def python_load(url: str, headers: dict[str, str], connections: int, duration_s: int,
                max_requests: int) -> Load:
    """asyncio + httpx: `connections` clients each sending one request after another, until
    `max_requests` or `duration_s`. The client shares the 2 cores with the server, and is itself
    the bottleneck long before the server at 50 connections (see the server CPU column)."""
    latencies: list[float] = []
    errors = 0

    async def one_client(deadline: float) -> None:
        nonlocal errors
        # A client (one connection) each: one pool shared by 50 tasks is far slower.
        async with httpx.AsyncClient(timeout=10) as client:
            while time.perf_counter() < deadline and len(latencies) + errors < max_requests:
                start = time.perf_counter()
                try:
                    response = await client.get(url, headers=headers)
                    ok = response.status_code in (200, 206)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - start) * 1000)
                else:
                    errors += 1

    async def run() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(one_client(start + duration_s) for _ in range(connections)))
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    latencies.sort()
    return Load(percentile(latencies, 0.5), percentile(latencies, 0.9),
                percentile(latencies, 0.99), len(latencies) / elapsed, len(latencies), errors)


def cache(args: argparse.Namespace) -> None:
    use_wrk = args.client == "wrk" or (args.client is None and shutil.which("wrk") is not None)
    print("== cache: a finished article's MP3 under load ==")
    if use_wrk:
        print(f"wrk -t2 -cC -d{args.duration}s --latency [-H 'Range: bytes=1000-65535'] URL "
              "(-t1 at -c1);")
        print("latency percentiles from its --latency distribution, errors = non-2xx + socket.")
    else:
        print(f"Python client (asyncio, one httpx client each), C at once, {args.duration} s or "
              f"{args.max_requests} requests; it shares the 2 cores and limits before the server.")
    print("The example page POSTed as html and narrated first. Floors on the same server:")
    print("/embed.js (a cached string, no disk) and /healthz (one SQLite query); the ceiling of")
    print("this machine: the same MP3 bytes from a bare ASGI app on the same uvicorn ('bare').")
    print(f"Rows take turns, run by run; medians over {args.runs} runs; p99 target 20 ms.")
    print("Server CPU = utime+stime / wall of the answering process (cores).")
    page = PAGE.read_text(encoding="utf-8")
    with Server(log=args.server_log) as server:
        _, status = server.narrate({"html": page})
        audio = f"{server.url}{status['links']['audio']}"
        whole = server.client.get(audio)
        ranged = server.client.get(audio, headers={"Range": "bytes=1000-65535"})
        print(f"audio {len(whole.content) / 1000:.0f} kB ({status['duration']:.0f} s): whole "
              f"{whole.status_code}, Range {ranged.status_code} "
              f"{ranged.headers.get('content-range')} ({len(ranged.content)} bytes, "
              f"equal to the slice: {ranged.content == whole.content[1000:65536]})")
        with bare_server(whole.content) as (bare_url, bare_pid):
            pid = server.process.pid
            targets = [("audio.mp3 whole", audio, {}, pid),
                       ("bare, same MP3", bare_url, {}, bare_pid),
                       ("audio.mp3 Range", audio, {"Range": "bytes=1000-65535"}, pid),
                       ("/embed.js", f"{server.url}/embed.js", {}, pid),
                       ("/healthz", f"{server.url}/healthz", {}, pid)]
            print(f"{'what':<15} {'conns':>5} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
                  f"{'p99 each run':>18} {'req/s':>6} {'server CPU':>10} {'errors':>6}")
            for connections in (50, 1):
                loads: dict[str, list[Load]] = {name: [] for name, *_ in targets}
                cpu: dict[str, list[float]] = {name: [] for name, *_ in targets}
                for _ in range(args.runs):
                    for name, url, headers, target_pid in targets:
                        cpu_before, start = cpu_s(target_pid), time.perf_counter()
                        if use_wrk:
                            load = wrk_load(url, headers, connections, args.duration)
                        else:
                            load = python_load(url, headers, connections, args.duration,
                                               args.max_requests)
                        loads[name].append(load)
                        cpu[name].append((cpu_s(target_pid) - cpu_before)
                                         / (time.perf_counter() - start))
                for name, *_ in targets:
                    print_load(name, connections, loads[name], cpu[name])
    print()


def print_load(name: str, connections: int, loads: list[Load], cpu: list[float]) -> None:
    def median(field: str) -> float:
        return statistics.median(getattr(load, field) for load in loads)

    each = "/".join(f"{load.p99_ms:.0f}" for load in loads)
    print(f"{name:<15} {connections:>5} {median('p50_ms'):>7.2f} {median('p90_ms'):>7.2f} "
          f"{median('p99_ms'):>7.2f} {each:>18} {median('requests_per_s'):>6.0f} "
          f"{statistics.median(cpu):>10.2f} {sum(x.errors for x in loads):>6}")


# 3. Sentence reuse ----------------------------------------------------------------------------

def reuse(args: argparse.Namespace) -> None:
    print("== reuse: an article edited in one paragraph vs the same article new ==")
    print("Per run a fresh server (empty sentence cache) and one warm-up job; 'new': the example")
    print("page POSTed as html, time from just before the POST to the job seen done (polled every")
    print(f"{POLL_S * 1000:.0f} ms); 'edited': the same page with the text of one body <p> (the "
          "middle one)")
    print("replaced by a sentence unique to the run, against the cache the new article filled.")
    page = PAGE.read_text(encoding="utf-8")
    spans = body_paragraph_spans(page, example_paragraphs())
    start, end = spans[len(spans) // 2]
    print(f"body paragraphs found: {len(spans)}; edited: "
          f"{' '.join(re.sub(r'<[^>]+>', '', page[start:end]).split())[:60]!r}…")
    new_s, edited_s, ratios = [], [], []
    print(f"{'run':>3} {'new s':>6} {'edited s':>8} {'ratio':>6} {'new sentences':>13} "
          f"{'synthesised again':>17}")
    for run in range(args.runs):
        edited = (page[:start] + f"Investigators said in update number {run + 1} that the "
                  "missiles had been made abroad." + page[end:])
        with Server(log=args.server_log) as server:
            server.warm_up()
            before = server.sentence_files()
            new, _ = server.narrate({"html": page})
            filled = server.sentence_files()
            edit, _ = server.narrate({"html": edited})
            again = server.sentence_files() - filled
        new_s.append(new)
        edited_s.append(edit)
        ratios.append(edit / new)
        print(f"{run + 1:>3} {new:>6.2f} {edit:>8.2f} {edit / new:>6.2f} {filled - before:>13} "
              f"{again:>17}")
    print(f"median new {statistics.median(new_s):.2f} s, edited {statistics.median(edited_s):.2f} "
          f"s; median ratio edited/new {statistics.median(ratios):.2f} (target <= 0.25, "
          f"{args.runs} runs)\n")


# 4. Throughput --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Throughput:
    wall_s: float
    failures: int
    audio_s: float
    cpu_cores: float
    """Server CPU seconds / wall seconds: 2.0 means both cores busy."""
    peak_rss_mb: float


def throughput_run(args: argparse.Namespace, workers: int | None, tag: str) -> Throughput:
    paragraphs = example_paragraphs()
    bodies = [unique_text(f"{tag}{number + 1}", paragraphs) for number in range(args.articles)]
    lock, results, failures = threading.Lock(), [], []
    with Server(workers=workers, log=args.server_log) as server:
        server.warm_up()
        waiting = list(reversed(bodies))

        def client() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                while True:
                    with lock:
                        if not waiting:
                            return
                        body = waiting.pop()
                    try:
                        response = http.post("/v1/articles", json=body)
                        response.raise_for_status()
                        article_id = response.json()["id"]
                        deadline = time.monotonic() + JOB_TIMEOUT_S
                        while time.monotonic() < deadline:
                            status = http.get(f"/v1/articles/{article_id}").json()
                            if status["status"] in ("done", "failed"):
                                break
                            time.sleep(0.2)
                        if status["status"] != "done":
                            raise RuntimeError(status.get("error") or "timed out")
                    except (httpx.HTTPError, RuntimeError) as error:
                        with lock:
                            failures.append(str(error))
                        continue
                    with lock:
                        results.append(status["duration"])

        cpu_before, start = server.cpu_s(), time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOB_TIMEOUT_S * args.articles)
        wall = time.perf_counter() - start
        cpu = server.cpu_s() - cpu_before
        peak = server.peak_rss_mb()
    for failure in failures[:5]:
        print(f"    failure: {failure}")
    return Throughput(wall, len(failures), sum(results), cpu / wall, peak)


def throughput(args: argparse.Namespace) -> None:
    print("== throughput: distinct articles through the service at once ==")
    print(f"Per run a fresh server; {args.articles} texts built from the example's paragraphs, "
          "every sentence tagged")
    print(f"with the article (nothing cached), {args.clients} client threads each POSTing one and "
          "polling (0.2 s) until")
    print("done. CPU = server utime+stime (/proc/PID/stat) / wall (2.0 = both cores); peak RSS =")
    print("VmHWM of the server process (/proc/PID/status), which includes its start-up.")
    header = (f"{'run':>4} {'workers':>7} {'wall s':>7} {'failures':>8} {'audio s':>7} "
              f"{'audio s/wall s':>14} {'CPU cores':>9} {'peak RSS MB':>11}")
    print(header)
    runs = []

    def show(label: str, workers: str, r: Throughput) -> None:
        print(f"{label:>4} {workers:>7} {r.wall_s:>7.1f} {r.failures:>8} {r.audio_s:>7.0f} "
              f"{r.audio_s / r.wall_s:>14.1f} {r.cpu_cores:>9.2f} {r.peak_rss_mb:>11.0f}")

    for run in range(args.runs):
        runs.append(throughput_run(args, None, f"{run + 1}0"))
        show(str(run + 1), "default", runs[-1])
    if args.compare_workers:
        show("w1", "1", throughput_run(args, 1, "90"))
    print(f"median wall {statistics.median(r.wall_s for r in runs):.1f} s, audio s/wall s "
          f"{statistics.median(r.audio_s / r.wall_s for r in runs):.1f}, CPU cores "
          f"{statistics.median(r.cpu_cores for r in runs):.2f}, failures "
          f"{sum(r.failures for r in runs)} (must be 0), largest peak RSS "
          f"{max(r.peak_rss_mb for r in runs):.0f} MB (target <= 600 MB)\n")


PARTS = {"first-byte": first_byte, "cache": cache, "reuse": reuse, "throughput": throughput}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="?", default="all", choices=[*PARTS, "all"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per load test (cache)")
    parser.add_argument("--client", choices=["wrk", "python"], default=None,
                        help="load generator for cache (default: wrk when installed)")
    parser.add_argument("--max-requests", type=int, default=20_000,
                        help="bound of one Python-client load test")
    parser.add_argument("--articles", type=int, default=20, help="articles per throughput run")
    parser.add_argument("--clients", type=int, default=8, help="client threads for throughput")
    parser.add_argument("--compare-workers", action="store_true",
                        help="throughput: one more run with --workers 1")
    parser.add_argument("--server-log", type=argparse.FileType("ab"), default=None,
                        help="append the servers' output here instead of /dev/null")
    args = parser.parse_args()
    for name, part in PARTS.items():
        if args.part in (name, "all"):
            part(args)


if __name__ == "__main__":
    main()
