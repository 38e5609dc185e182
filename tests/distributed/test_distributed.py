"""The distributed promises: web nodes and workers as real processes over real PostgreSQL, Redis
and S3 servers; workers killed, Redis flushed and restarted, articles followed across nodes."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import obstore
import pytest
import redis
from mutagen.mp3 import MP3

from audiobrief.service.backends import finish
from audiobrief.service.postgres import SCHEMA_VERSION
from tests.distributed.cluster import cluster, wait_progress, wait_status
from tests.distributed.servers import RedisServer, S3Server

LONG = "Relay notes\n\n" + "\n\n".join(
    f"Paragraph {n} tells what happened in Kharkiv and Zaporizhzhia on day {n} of the month."
    for n in range(24))


def _bucket(env: dict[str, str]) -> obstore.store.S3Store:
    from audiobrief.service import s3

    return s3.store(env["AUDIOBRIEF_S3_ENDPOINT"], env["AUDIOBRIEF_S3_BUCKET"],
                    access_key=env["AWS_ACCESS_KEY_ID"],
                    secret_key=env["AWS_SECRET_ACCESS_KEY"], region=env["AWS_REGION"])


def _row(env: dict[str, str], article_id: str) -> dict[str, object]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(env["AUDIOBRIEF_DATABASE_URL"], row_factory=dict_row) as db:
        row = db.execute("SELECT status, owner, size_bytes, attempts, error FROM articles"
                         " WHERE id = %s", (article_id,)).fetchone()
    assert row is not None
    return row


class Listener:
    """Reads a running job's audio from a web node as it is made, on a thread of its own."""

    def __init__(self, url: str) -> None:
        self.body = bytearray()
        self.first_byte_s: float | None = None
        self.status = 0
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()

    def _read(self, url: str) -> None:
        started = time.monotonic()
        with httpx.stream("GET", url, timeout=180) as response:
            self.status = response.status_code
            for chunk in response.iter_bytes():
                if self.first_byte_s is None:
                    self.first_byte_s = time.monotonic() - started
                self.body += chunk

    def join(self, timeout_s: float = 180) -> bytes:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the stream did not end"
        return bytes(self.body)


def test_settings_name_what_is_missing_and_the_schema_is_upgraded_once(
        distributed_env: dict[str, str], tmp_path: Path) -> None:
    partial = {key: value for key, value in distributed_env.items()
               if key != "AUDIOBRIEF_S3_BUCKET"}
    refused = subprocess.run([sys.executable, "-m", "audiobrief.cli", "serve", "--role", "web"],
                             env=partial, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "audiobrief: distributed mode needs AUDIOBRIEF_S3_BUCKET too (set:"
        " AUDIOBRIEF_DATABASE_URL, AUDIOBRIEF_QUEUE_URL, AUDIOBRIEF_S3_ENDPOINT)"]
    again = subprocess.run([sys.executable, "-m", "audiobrief.cli", "db", "upgrade"],
                           env=distributed_env, capture_output=True, text=True, timeout=60)
    assert (again.returncode, again.stdout.strip()) == (
        0, f"schema version {SCHEMA_VERSION}: nothing to do")


def test_a_database_never_upgraded_is_refused_at_start(postgres_url: str, queue_url: str,
                                                       s3_server: S3Server, s3_bucket: str,
                                                       tmp_path: Path) -> None:
    import os

    env = {**os.environ, "AUDIOBRIEF_DATABASE_URL": postgres_url,
           "AUDIOBRIEF_QUEUE_URL": queue_url, "AUDIOBRIEF_S3_ENDPOINT": s3_server.endpoint,
           "AUDIOBRIEF_S3_BUCKET": s3_bucket, "AUDIOBRIEF_DATA": str(tmp_path / "data")}
    refused = subprocess.run([sys.executable, "-m", "audiobrief.cli", "worker"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "run `audiobrief db upgrade`" in refused.stderr


def test_posted_on_one_node_followed_and_served_by_another(distributed_env: dict[str, str],
                                                           tmp_path: Path) -> None:
    with cluster(distributed_env, tmp_path) as nodes:
        a, b = nodes.web(), nodes.web()
        nodes.worker()
        created = httpx.post(f"{a.url}/v1/articles", json={"text": LONG}, timeout=60)
        assert created.status_code == 202, created.text
        article_id = created.json()["id"]
        listener = Listener(f"{b.url}/v1/articles/{article_id}/audio.mp3")
        status = wait_status(b.url, article_id)
        assert status["status"] == "done", status
        streamed = listener.join()
        final = httpx.get(f"{b.url}/v1/articles/{article_id}/audio.mp3", timeout=60)
        assert final.status_code == 200
        assert len(streamed) > 10_000 and final.content.endswith(streamed)
        assert listener.first_byte_s is not None and listener.first_byte_s < 30
        part = httpx.get(f"{a.url}/v1/articles/{article_id}/audio.mp3",
                         headers={"Range": "bytes=1000-1999"}, timeout=60)
        assert part.status_code == 206 and part.content == final.content[1000:2000]
        assert abs(MP3(io.BytesIO(final.content)).info.length - status["duration"]) < 0.05
        head = obstore.head(_bucket(distributed_env), f"audio/{article_id}.mp3")
        assert head["size"] == len(final.content) == _row(distributed_env,
                                                          article_id)["size_bytes"]


def test_an_article_withdrawn_on_one_node_is_gone_from_every_node(
        distributed_env: dict[str, str], tmp_path: Path) -> None:
    from audiobrief.service.jobs import WITHDRAWAL_SEEN_S

    with cluster(distributed_env, tmp_path) as nodes:
        a, b = nodes.web(), nodes.web()
        nodes.worker()
        created = httpx.post(f"{a.url}/v1/articles", json={"text": "Short note\n\nA fire."},
                             timeout=60)
        assert created.status_code == 202, created.text
        article_id = created.json()["id"]
        assert wait_status(b.url, article_id)["status"] == "done"
        audio = f"{b.url}/v1/articles/{article_id}/audio.mp3"
        assert httpx.get(audio, timeout=60).status_code == 200  # b now serves it from memory

        assert httpx.delete(f"{a.url}/v1/articles/{article_id}", timeout=60).status_code == 204
        assert httpx.get(f"{a.url}/v1/articles/{article_id}", timeout=60).status_code == 410
        deadline = time.monotonic() + WITHDRAWAL_SEEN_S + 10
        while httpx.get(audio, timeout=60).status_code != 410:
            assert time.monotonic() < deadline, "node b still serves withdrawn audio"
            time.sleep(0.5)
        assert httpx.get(f"{b.url}/v1/articles/{article_id}", timeout=60).status_code == 410
        with pytest.raises(FileNotFoundError):
            obstore.head(_bucket(distributed_env), f"audio/{article_id}.mp3")


def test_a_worker_killed_mid_job_is_taken_over_and_its_listener_hears_it_whole(
        distributed_env: dict[str, str], tmp_path: Path) -> None:
    with cluster(distributed_env, tmp_path) as nodes:
        web = nodes.web()
        workers = [nodes.worker(), nodes.worker()]
        article_id = httpx.post(f"{web.url}/v1/articles", json={"text": LONG},
                                timeout=60).json()["id"]
        listener = Listener(f"{web.url}/v1/articles/{article_id}/audio.mp3")
        wait_progress(web.url, article_id, 3)
        owner = str(_row(distributed_env, article_id)["owner"])
        running = next(w for w in workers if owner.startswith(f"{w.process.pid}-"))
        running.kill()
        killed_at = time.monotonic()
        status = wait_status(web.url, article_id, timeout_s=240)
        recovered_s = time.monotonic() - killed_at
        assert status["status"] == "done", status
        final = httpx.get(f"{web.url}/v1/articles/{article_id}/audio.mp3", timeout=60).content
        streamed = listener.join()
        assert final.endswith(streamed) and len(streamed) > 10_000
        row = _row(distributed_env, article_id)
        assert row["attempts"] == 2 and row["size_bytes"] == len(final)
        assert obstore.head(_bucket(distributed_env),
                            f"audio/{article_id}.mp3")["size"] == len(final)
        assert abs(MP3(io.BytesIO(final)).info.length - status["duration"]) < 0.05
        assert recovered_s < 120


def test_sigterm_puts_the_running_job_back_for_another_worker(distributed_env: dict[str, str],
                                                              tmp_path: Path) -> None:
    with cluster(distributed_env, tmp_path) as nodes:
        web = nodes.web()
        first = nodes.worker()
        article_id = httpx.post(f"{web.url}/v1/articles", json={"text": LONG},
                                timeout=60).json()["id"]
        wait_progress(web.url, article_id, 2)
        assert first.stop() == 0
        row = _row(distributed_env, article_id)
        assert (row["status"], row["owner"], row["attempts"]) == ("queued", None, 0)
        nodes.worker()
        assert wait_status(web.url, article_id)["status"] == "done"


def test_only_the_attempt_holding_the_lease_may_finish(distributed_env: dict[str, str]) -> None:
    from audiobrief import pipeline
    from audiobrief.model import Page, Rendition
    from audiobrief.service.postgres import PostgresJobs
    from audiobrief.settings import Settings

    jobs = PostgresJobs(distributed_env["AUDIOBRIEF_DATABASE_URL"], lease_s=0.5)
    try:
        script = pipeline.prepare(Page("Lease\n\nA short note.", "text", "test"), Settings(),
                                  pipeline.Options())
        jobs.add("a" * 32, script, "en_US-joe-medium", 1.0, None)
        first = jobs.claim("a" * 32, "first")
        assert first is not None and jobs.claim("a" * 32, "second") is None  # its lease holds
        time.sleep(0.7)  # the first attempt's worker died: its lease runs out
        second = jobs.claim("a" * 32, "second")
        assert second is not None and second.attempts == 2
        timings = Rendition(22050, ((0, 10),), length_samples=10)
        assert not jobs.renew("a" * 32, "first") and not jobs.progress("a" * 32, "first", 1)
        with jobs.publishing("a" * 32, "first") as publish:
            assert publish is None
        assert not jobs.fail("a" * 32, "first", "it went wrong")
        assert finish(jobs, "a" * 32, "second", timings, 123)
        record = jobs.get("a" * 32)
        assert record is not None and (record.status, record.size_bytes) == ("done", 123)
    finally:
        jobs.close()


def test_queued_articles_survive_redis_losing_its_data(distributed_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    """A reconciler puts back in the queue what the job table says waits."""
    with cluster(distributed_env, tmp_path) as nodes:
        web = nodes.web()
        article_id = httpx.post(f"{web.url}/v1/articles", json={"text": "Flush\n\nGone once."},
                                timeout=60).json()["id"]
        with redis.Redis.from_url(distributed_env["AUDIOBRIEF_QUEUE_URL"]) as client:
            assert client.dbsize() > 0
            client.flushdb()
        nodes.worker()
        assert wait_status(web.url, article_id, timeout_s=120)["status"] == "done"


def test_queued_articles_survive_a_redis_restart(distributed_env: dict[str, str],
                                                 redis_server: RedisServer,
                                                 tmp_path: Path) -> None:
    with cluster(distributed_env, tmp_path) as nodes:
        web = nodes.web()
        article_id = httpx.post(f"{web.url}/v1/articles", json={"text": "Restart\n\nKept."},
                                timeout=60).json()["id"]
        time.sleep(1.5)  # the append-only file is written every second
        redis_server.kill()
        down = httpx.get(f"{web.url}/healthz", timeout=10)
        assert down.status_code == 503 and "the queue (Redis) cannot be used" in down.text
        redis_server.start()
        time.sleep(1.1)  # /healthz looks again after a second
        assert httpx.get(f"{web.url}/healthz", timeout=10).status_code == 200
        nodes.worker()
        assert wait_status(web.url, article_id, timeout_s=120)["status"] == "done"
        again = httpx.post(f"{web.url}/v1/articles", json={"text": "Restart\n\nAfter."},
                           timeout=60)
        assert again.status_code == 202
        assert wait_status(web.url, again.json()["id"])["status"] == "done"


def test_a_failure_reaches_every_node_and_retry_works_across_them(
        distributed_env: dict[str, str], tmp_path: Path) -> None:
    from audiobrief import pipeline
    from audiobrief.model import Page
    from audiobrief.service.postgres import PostgresJobs
    from audiobrief.service.saq_queue import SaqQueue
    from audiobrief.settings import Settings

    with cluster(distributed_env, tmp_path) as nodes:
        a, b = nodes.web(), nodes.web()
        nodes.worker()
        jobs = PostgresJobs(distributed_env["AUDIOBRIEF_DATABASE_URL"])
        queue = SaqQueue(distributed_env["AUDIOBRIEF_QUEUE_URL"], jobs)
        try:
            script = pipeline.prepare(Page("Gone\n\nThe voice is gone.", "text", "test"),
                                      Settings(), pipeline.Options())
            # The voice that made the script is gone by the time the job runs.
            jobs.add("f" * 32, script, "en_XX-uninstalled", 1.0, None)
            queue.put("f" * 32)
            failed = wait_status(b.url, "f" * 32)
            assert failed["status"] == "failed" and "en_XX-uninstalled" in failed["error"]
            retried = httpx.post(f"{a.url}/v1/articles/{'f' * 32}/retry", timeout=60)
            assert retried.status_code == 202
            assert wait_status(b.url, "f" * 32)["status"] == "failed"
            assert _row(distributed_env, "f" * 32)["attempts"] == 1
        finally:
            queue.close()
            jobs.close()


@pytest.mark.parametrize("role", ["web"])
def test_a_web_node_loads_no_voice(distributed_env: dict[str, str], tmp_path: Path,
                                   role: str) -> None:
    with cluster(distributed_env, tmp_path) as nodes:
        web = nodes.web()
        status = Path(f"/proc/{web.process.pid}/status").read_text()
        rss_mb = int(next(line.split()[1] for line in status.splitlines()
                          if line.startswith("VmRSS"))) / 1024
        assert rss_mb < 250, rss_mb
        assert "onnxruntime" not in Path(f"/proc/{web.process.pid}/maps").read_text()


def test_speech_is_made_by_a_worker_while_the_article_queue_is_full(
        distributed_env: dict[str, str], tmp_path: Path) -> None:
    """A web node holds no voice: speech goes to the workers on a queue of its own, so it does
    not wait behind the articles."""
    with cluster({**distributed_env, "AUDIOBRIEF_QUEUE_LIMIT": "1"}, tmp_path) as nodes:
        web = nodes.web()
        nodes.worker()
        article = httpx.post(f"{web.url}/v1/articles", json={"text": LONG}, timeout=60)
        assert article.status_code == 202
        full = httpx.post(f"{web.url}/v1/articles", json={"text": "Another\n\nOne more."},
                          timeout=60)
        assert full.status_code == 503
        started = time.monotonic()
        with httpx.stream("POST", f"{web.url}/v1/audio/speech", timeout=120, json={
                "model": "tts-1", "voice": "alloy", "input": "Kharkiv was quiet tonight.",
                "response_format": "wav"}) as speech:
            assert speech.status_code == 200, speech.read()
            body = speech.read()
        took_s = time.monotonic() - started
        assert body[:4] == b"RIFF" and len(body) > 44 + 22_050  # over half a second of speech
        status = httpx.get(f"{web.url}/v1/articles/{article.json()['id']}", timeout=10).json()
        assert status["status"] in ("queued", "running"), "the speech waited for the article"
        assert took_s < 60


def test_an_embedded_data_directory_migrates_and_answers_as_before(
        distributed_env: dict[str, str], finished_data: tuple[Path, str], tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "embedded"
    shutil.copytree(finished_data[0], data)
    article_id = finished_data[1]
    mp3 = (data / "audio" / f"{article_id}.mp3").read_bytes()
    with cluster(distributed_env, tmp_path) as nodes:
        moved = nodes.run("db", "migrate-from", str(data))
        assert moved.returncode == 0, moved.stderr
        assert moved.stdout.strip() == ("1 article(s) migrated (1 MP3 file(s) uploaded,"
                                        " 0 queued again), 0 skipped")
        again = nodes.run("db", "migrate-from", str(data))
        assert again.stdout.strip().endswith("1 skipped")
        web = nodes.web()
        status = httpx.get(f"{web.url}/v1/articles/{article_id}", timeout=10).json()
        assert status["status"] == "done" and status["chapters"]
        served = httpx.get(f"{web.url}/v1/articles/{article_id}/audio.mp3", timeout=60)
        assert served.content == mp3


def test_an_upload_cut_short_leaves_no_object_and_the_row_unfinished(
        distributed_env: dict[str, str]) -> None:
    """What a worker killed during the upload leaves: no MP3 anyone can see, the job still its
    (dead) attempt's until its lease runs out; the next attempt publishes it whole."""
    from audiobrief import pipeline
    from audiobrief.model import Page, Rendition
    from audiobrief.service.postgres import PostgresJobs
    from audiobrief.service.s3 import S3Audio
    from audiobrief.settings import Settings

    class Dying(io.BytesIO):
        """20 MB of frames whose reading dies half-way, as the process would."""

        def read(self, size: int | None = -1, /) -> bytes:
            if self.tell() > 10_000_000:
                raise OSError("killed")
            return super().read(size)

    audio = S3Audio(_bucket(distributed_env))
    jobs = PostgresJobs(distributed_env["AUDIOBRIEF_DATABASE_URL"], lease_s=0.5)
    try:
        script = pipeline.prepare(Page("Upload\n\nA short note.", "text", "test"), Settings(),
                                  pipeline.Options())
        jobs.add("b" * 32, script, "en_US-joe-medium", 1.0, None)
        assert jobs.claim("b" * 32, "first") is not None
        timings = Rendition(22050, ((0, 10),), length_samples=10)
        with pytest.raises(OSError, match="killed"), jobs.publishing("b" * 32, "first") as publish:
            assert publish is not None
            publish(timings, audio.put("b" * 32, b"ID3", Dying(bytes(20_000_000))))
        assert audio.size("b" * 32) is None
        record = jobs.get("b" * 32)
        assert record is not None and (record.status, record.owner) == ("running", "first")
        time.sleep(0.7)
        assert jobs.claim("b" * 32, "second") is not None
        assert finish(jobs, "b" * 32, "second", timings,
                           audio.put("b" * 32, b"ID3", io.BytesIO(b"frames")))
        assert audio.size("b" * 32) == 9 and audio.read("b" * 32, 0, 9) == b"ID3frames"
    finally:
        jobs.close()


def test_finished_audio_past_its_budget_goes_least_recently_used_first(
        distributed_env: dict[str, str]) -> None:
    from audiobrief import pipeline
    from audiobrief.model import Page, Rendition
    from audiobrief.service.postgres import PostgresJobs
    from audiobrief.settings import Settings

    jobs = PostgresJobs(distributed_env["AUDIOBRIEF_DATABASE_URL"])
    try:
        script = pipeline.prepare(Page("Budget\n\nA short note.", "text", "test"), Settings(),
                                  pipeline.Options())
        timings = Rendition(22050, ((0, 10),), length_samples=10)
        for article_id in ("1" * 32, "2" * 32, "3" * 32):
            jobs.add(article_id, script, "en_US-joe-medium", 1.0, None)
            assert jobs.claim(article_id, "w") is not None
            assert finish(jobs, article_id, "w", timings, 1000)
            time.sleep(0.01)
        served = {"1" * 32: time.time()}  # the oldest was listened to just now
        assert jobs.evict(3000, served) == []
        assert jobs.evict(2500, served, keep="3" * 32) == ["2" * 32]
        assert jobs.get("2" * 32) is None and jobs.get("1" * 32) is not None
    finally:
        jobs.close()


def test_a_node_of_role_all_serves_and_narrates_over_the_shared_engines(
        distributed_env: dict[str, str], tmp_path: Path) -> None:
    with cluster(distributed_env, tmp_path) as nodes:
        both = nodes.web(role="all")
        article_id = httpx.post(f"{both.url}/v1/articles", json={"text": "Both\n\nOne node."},
                                timeout=60).json()["id"]
        assert wait_status(both.url, article_id)["status"] == "done"
        with httpx.stream("POST", f"{both.url}/v1/audio/speech", timeout=120, json={
                "input": "Odesa was calm.", "response_format": "pcm"}) as speech:
            assert speech.status_code == 200 and len(speech.read()) > 24_000
        assert obstore.head(_bucket(distributed_env), f"audio/{article_id}.mp3")["size"] > 0
