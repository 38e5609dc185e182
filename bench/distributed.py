"""The distributed mode's figures: audio per second with one worker and with two, side by side in
one run; first byte through a web node; recovery after a worker is killed mid-job.

    python bench/distributed.py [--articles 6] [--runs 1]

Starts real Redis, PostgreSQL and SeaweedFS servers on 127.0.0.1 (as tests/distributed does:
Debian's redis-server and postgresql, SeaweedFS from its wheel), one `audiobrief serve --role
web` and `audiobrief worker --concurrency 1` processes, each worker pinned to a core of its own
with `taskset`. Every run narrates articles no run before it said, so the shared sentence cache
gives nothing away. Targets from the scale-out issue: two workers >= 1.8x one, first byte
<= 1.5 s, recovery <= 30 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.distributed.cluster import Cluster, wait_progress, wait_status  # noqa: E402
from tests.distributed.servers import (  # noqa: E402
    running_postgres,
    running_redis,
    running_seaweedfs,
)


def _article(tag: str, paragraphs: int = 12) -> str:
    return f"Notes {tag}\n\n" + "\n\n".join(
        f"Paragraph {n} of {tag} tells what happened in Kharkiv and Odesa on day {n}."
        for n in range(paragraphs))


def throughput(cluster: Cluster, web: str, workers: int, articles: int) -> float:
    """Seconds of audio made per second of wall time with `workers` pinned workers."""
    for core in range(workers):
        cluster.worker(core=core % (os.cpu_count() or 1) if shutil.which("taskset") else None)
    tag = uuid.uuid4().hex[:8]
    started = time.monotonic()
    ids = [httpx.post(f"{web}/v1/articles", json={"text": _article(f"{tag}-{n}")},
                      timeout=60).json()["id"] for n in range(articles)]
    durations = [wait_status(web, article_id, timeout_s=900)["duration"] for article_id in ids]
    wall = time.monotonic() - started
    for node in [n for n in cluster.nodes if n.kind == "worker"]:
        node.stop(60)
        cluster.nodes.remove(node)
    return sum(durations) / wall


def first_byte(cluster: Cluster, web: str) -> float:
    cluster.worker()
    started = time.monotonic()
    article_id = httpx.post(f"{web}/v1/articles", json={"text": _article(uuid.uuid4().hex[:8])},
                            timeout=60).json()["id"]
    with httpx.stream("GET", f"{web}/v1/articles/{article_id}/audio.mp3", timeout=120) as audio:
        next(audio.iter_bytes())
        took = time.monotonic() - started
    wait_status(web, article_id)
    return took


def recovery(cluster: Cluster, web: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds from the kill until another worker makes progress, until the job is done)."""
    import psycopg

    cluster.worker()
    article_id = httpx.post(f"{web}/v1/articles",
                            json={"text": _article(uuid.uuid4().hex[:8], 30)},
                            timeout=60).json()["id"]
    wait_progress(web, article_id, 3)
    with psycopg.connect(env["AUDIOBRIEF_DATABASE_URL"]) as db:
        row = db.execute("SELECT owner FROM articles WHERE id = %s", (article_id,)).fetchone()
    owner = str(row[0]) if row else ""
    running = next(n for n in cluster.nodes if n.kind == "worker"
                   and owner.startswith(f"{n.process.pid}-"))
    running.kill()
    cluster.nodes.remove(running)
    killed = time.monotonic()
    while True:
        with psycopg.connect(env["AUDIOBRIEF_DATABASE_URL"]) as db:
            row = db.execute("SELECT owner, done FROM articles WHERE id = %s",
                             (article_id,)).fetchone()
        if row and row[0] not in (None, owner) and row[1] > 0:
            taken = time.monotonic() - killed
            break
        time.sleep(0.2)
    wait_status(web, article_id, timeout_s=300)
    return taken, time.monotonic() - killed


def _throughput_and_first_byte(cluster: Cluster, web: str, args: argparse.Namespace) -> None:
    print(f"{args.articles} articles a run, each worker `--concurrency 1` pinned to one core"
          " (taskset); one web node; audio s / wall s")
    ones, twos = [], []
    for run in range(args.runs):
        ones.append(throughput(cluster, web, 1, args.articles))
        twos.append(throughput(cluster, web, 2, args.articles))
        print(f"run {run + 1}: 1 worker {ones[-1]:.1f}, 2 workers {twos[-1]:.1f},"
              f" ratio {twos[-1] / ones[-1]:.2f}")
    print(f"median ratio 2 workers / 1: "
          f"{statistics.median(twos) / statistics.median(ones):.2f} (target >= 1.8)")
    print(f"first MP3 byte through the web node after POST: {first_byte(cluster, web):.2f} s"
          " (target <= 1.5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=6, help="articles per throughput run")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--recovery-only", action="store_true",
                        help="only the worker kill (no throughput, no first byte)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for part in ("redis", "s3"):
            (root / part).mkdir()
        with running_redis(root / "redis") as redis_server, running_postgres() as postgres, \
                running_seaweedfs(root / "s3") as s3:
            postgres.execute('CREATE DATABASE "bench"')
            s3.create_bucket("bench")
            env = {**os.environ, "AUDIOBRIEF_DATABASE_URL": postgres.url_for("bench"),
                   "AUDIOBRIEF_QUEUE_URL": redis_server.url,
                   "AUDIOBRIEF_S3_ENDPOINT": s3.endpoint, "AUDIOBRIEF_S3_BUCKET": "bench",
                   "AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key,
                   "AWS_REGION": s3.region, "AUDIOBRIEF_QUEUE_LIMIT": "1000"}
            cluster = Cluster(env, root)
            try:
                assert cluster.run("db", "upgrade").returncode == 0
                web = cluster.web().url
                assert web is not None
                if not args.recovery_only:
                    _throughput_and_first_byte(cluster, web, args)
                for node in [n for n in cluster.nodes if n.kind == "worker"]:
                    node.stop(60)
                    cluster.nodes.remove(node)
                cluster.worker()
                taken, done = recovery(cluster, web, env)
                print(f"worker SIGKILLed mid-job: another worker at work after {taken:.1f} s"
                      f" (target <= 30 s), the job done {done:.1f} s after the kill")
            finally:
                cluster.close()


if __name__ == "__main__":
    main()
