"""The servers of tests/distributed, driven by the client libraries of the `distributed` extra."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable

import obstore
import psycopg
import pytest
import redis
from obstore.exceptions import PermissionDeniedError
from obstore.store import S3Store
from psycopg_pool import ConnectionPool
from saq import Queue, Worker
from saq.job import Status

from audiobrief.service import postgres
from audiobrief.service.backends import JobTable, article_key
from tests.distributed.servers import RedisServer, S3Server
from tests.service.versions import CHECKS, URL, _script

# --- Redis ---------------------------------------------------------------------------------------


async def double(ctx: dict[str, object], *, n: int) -> int:
    return n * 2


def test_a_saq_worker_runs_a_job_enqueued_on_redis(redis_server: RedisServer) -> None:
    async def round_trip() -> tuple[Status, object]:
        queue = Queue.from_url(redis_server.url, name=f"test-{uuid.uuid4().hex[:8]}")
        await queue.connect()
        worker = Worker(queue, functions=[double])
        working = asyncio.create_task(worker.start())
        try:
            job = await queue.enqueue("double", n=21)
            assert job is not None
            await job.refresh(until_complete=10)
            return job.status, job.result
        finally:
            await worker.stop()
            await working
            await queue.disconnect()

    assert asyncio.run(round_trip()) == (Status.COMPLETE, 42)


def test_a_key_written_before_sigkill_is_read_back_after_restart(
    redis_server: RedisServer,
) -> None:
    key = f"test:aof:{uuid.uuid4().hex}"
    with redis.Redis.from_url(redis_server.url) as client:
        client.set(key, "kept")

    redis_server.kill()
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", redis_server.port), timeout=1)
    finally:
        redis_server.start()

    with redis.Redis.from_url(redis_server.url) as client:
        assert client.get(key) == b"kept"


# --- PostgreSQL ----------------------------------------------------------------------------------


def test_a_pool_connects_creates_a_table_and_reads_its_rows(postgres_url: str) -> None:
    with ConnectionPool(postgres_url, min_size=1, max_size=2, open=True) as pool:
        with pool.connection() as conn:
            conn.execute("CREATE TABLE jobs (id text PRIMARY KEY, state text NOT NULL)")
            conn.execute("INSERT INTO jobs VALUES ('a', 'queued'), ('b', 'done')")
        with pool.connection() as conn:
            rows = conn.execute("SELECT id, state FROM jobs ORDER BY id").fetchall()
    assert rows == [("a", "queued"), ("b", "done")]


@pytest.mark.parametrize("run", ["first", "second"])
def test_each_test_gets_a_database_of_its_own(postgres_url: str, run: str) -> None:
    # Whichever runs second would find the other's table if the databases were shared.
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE runs (name text NOT NULL)")
        conn.execute("INSERT INTO runs VALUES (%s)", (run,))
        assert conn.execute("SELECT name FROM runs").fetchall() == [(run,)]
        assert conn.execute("SELECT current_database()").fetchone()[0].startswith("test_")


# --- S3 ------------------------------------------------------------------------------------------


def _store(s3_server: S3Server, bucket: str, *, secret_key: str | None = None) -> S3Store:
    return S3Store(
        bucket,
        endpoint=s3_server.endpoint,
        access_key_id=s3_server.access_key,
        secret_access_key=secret_key or s3_server.secret_key,
        region=s3_server.region,
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )


def test_an_object_is_put_read_by_range_headed_listed_and_deleted(
    s3_server: S3Server, s3_bucket: str
) -> None:
    store = _store(s3_server, s3_bucket)
    audio = bytes(range(256)) * 40
    obstore.put(store, "audio/abc.mp3", audio)
    obstore.put(store, "audio/abd.mp3", b"other")
    obstore.put(store, "timings/abc.json", b"{}")

    ten_bytes = obstore.get_range(store, "audio/abc.mp3", start=1000, end=1010)
    assert bytes(ten_bytes) == audio[1000:1010]
    assert obstore.head(store, "audio/abc.mp3")["size"] == len(audio)
    listed = [meta["path"] for batch in obstore.list(store, prefix="audio/") for meta in batch]
    assert sorted(listed) == ["audio/abc.mp3", "audio/abd.mp3"]

    obstore.delete(store, "audio/abc.mp3")
    with pytest.raises(FileNotFoundError):
        obstore.head(store, "audio/abc.mp3")


def test_a_request_signed_with_the_wrong_secret_is_refused(
    s3_server: S3Server, s3_bucket: str
) -> None:
    with pytest.raises(PermissionDeniedError):
        obstore.put(_store(s3_server, s3_bucket, secret_key="not-the-secret"), "a", b"x")


def test_a_bucket_never_created_takes_no_objects(s3_server: S3Server) -> None:
    with pytest.raises(FileNotFoundError, match="NoSuchBucket"):
        obstore.put(_store(s3_server, f"missing-{uuid.uuid4().hex[:8]}"), "a", b"x")


# --- audiobrief's PostgreSQL job table ----------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_postgres_jobs_versions(check: Callable[[JobTable], None], postgres_url: str) -> None:
    postgres.upgrade(postgres_url)
    jobs = postgres.PostgresJobs(postgres_url)
    try:
        check(jobs)
    finally:
        jobs.close()


def test_upgrading_makes_each_url_one_article_as_the_service_names_it(postgres_url: str) -> None:
    import msgspec

    with psycopg.connect(postgres_url) as db:  # a database at schema version 1, with rows
        db.execute(postgres._MIGRATIONS[0])
        db.execute("CREATE TABLE audiobrief_schema (version integer NOT NULL)")
        db.execute("INSERT INTO audiobrief_schema VALUES (1)")
        for version, created, bound in (("old", 1, True), ("edit", 2, True),
                                        ("stranger", 3, False)):
            db.execute("INSERT INTO articles (id, status, source_url, script, voice, speed,"
                       " total, created_at, updated_at, bound) VALUES (%s, 'queued', %s, %s,"
                       " 'v', 1.0, 0, %s, %s, %s)",
                       (version, URL, msgspec.json.encode(_script(version)), created, created,
                        bound))
    assert postgres.upgrade(postgres_url) == (1, postgres.SCHEMA_VERSION)
    jobs = postgres.PostgresJobs(postgres_url)
    try:
        assert [(record.id, record.article, record.posted_at) for record in jobs.articles(10)] == [
            ("stranger", "stranger", 3), ("edit", article_key(URL), 2)]
    finally:
        jobs.close()
