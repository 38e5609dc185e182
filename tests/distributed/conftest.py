"""One real Redis, PostgreSQL and S3 server per session; a fresh database and bucket per test."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.distributed.servers import (
    PostgresServer,
    RedisServer,
    S3Server,
    running_postgres,
    running_redis,
    running_seaweedfs,
)
from tests.web.conftest import finished_data  # noqa: F401 (a fixture: an embedded article)

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.distributed)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Shared by the whole session: a test that kills it starts it again before it ends."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


_databases = itertools.count()


@pytest.fixture
def queue_url(redis_server: RedisServer) -> str:
    """A Redis database of the shared server for one test, emptied first (SAQ's queues and the
    live frames live under fixed names)."""
    url = redis_server.url.rsplit("/", 1)[0] + f"/{1 + next(_databases) % 15}"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of its own for one test, dropped after it."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres_server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.url_for(name)
    finally:
        # FORCE closes what the test left connected, such as a pool it never closed.
        postgres_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[str]:
    """The name of a new, empty bucket for one test, removed with its objects after it."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(name)
    try:
        yield name
    finally:
        with contextlib.suppress(OSError):
            s3_server.remove_bucket(name)


@pytest.fixture
def distributed_env(postgres_url: str, queue_url: str, s3_server: S3Server, s3_bucket: str,
                    tmp_path: Path) -> dict[str, str]:
    """The environment of a distributed audiobrief over this test's database, Redis database
    and bucket, its schema made with `audiobrief db upgrade`."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "AUDIOBRIEF_DATABASE_URL": postgres_url,
           "AUDIOBRIEF_QUEUE_URL": queue_url, "AUDIOBRIEF_S3_ENDPOINT": s3_server.endpoint,
           "AUDIOBRIEF_S3_BUCKET": s3_bucket, "AWS_ACCESS_KEY_ID": s3_server.access_key,
           "AWS_SECRET_ACCESS_KEY": s3_server.secret_key, "AWS_REGION": s3_server.region,
           "AUDIOBRIEF_DATA": str(tmp_path / "data")}
    subprocess.run([sys.executable, "-m", "audiobrief.cli", "db", "upgrade"], env=env,
                   check=True, capture_output=True, timeout=60)
    return env
