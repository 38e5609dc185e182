"""Fetching from hostile sources: slow drips, compression bombs, bad redirects, odd charsets, TLS.

Each source is a real server on 127.0.0.1: a raw socket server in a thread where the behaviour is
below HTTP (a drip, a Content-Length of 5,000 digits), pytest-httpserver where it is not.
"""

from __future__ import annotations

import gzip
import json
import resource
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response

from audiobrief.errors import RefusedAddressError, SourceError, SourceTooLargeError
from audiobrief.load import Limits, check_url, load

PAGE = ("<html><head><meta charset='utf-8'><title>T</title></head>"
        "<body><p>Hello from Київ and Kharkiv.</p></body></html>")
LOCAL = Limits(refuse_private=True, allow_hosts=("localhost", "127.0.0.1"))
"""Limits as the service sets them, with the test's own server allowed."""


class RawServer:
    """A TCP server on 127.0.0.1 in a thread; each connection goes to `serve(conn, stop)`."""

    def __init__(self, serve: Callable[[socket.socket, threading.Event], None],
                 tls: ssl.SSLContext | None = None) -> None:
        self._serve = serve
        self._tls = tls
        self.stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self.connections = 0

    def url(self, path: str = "/", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> RawServer:
        accepting = threading.Thread(target=self._accept, daemon=True)
        accepting.start()
        self._threads.append(accepting)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            handler = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            handler.start()
            self._threads.append(handler)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            self._serve(conn, self.stop)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


def read_request(conn: socket.socket) -> bytes:
    """The request head, read up to its blank line (bounded: 64 kB)."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


def canned(response: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def serve(conn: socket.socket, _: threading.Event) -> None:
        read_request(conn)
        conn.sendall(response)
    return serve


def drip(head: bytes, byte: bytes, seconds: float = 15) -> Callable[..., None]:
    """Send `head`, then one `byte` a second for at most `seconds`."""
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(head)
        end = time.monotonic() + seconds
        while time.monotonic() < end and not stop.wait(1):
            conn.sendall(byte)
    return serve


# --- one deadline for the whole fetch ---------------------------------------------------------

@pytest.mark.parametrize(
    ("head", "byte"),
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000"
                     b"\r\n\r\n<p>", b"a", id="body-one-byte-a-second"),
        pytest.param(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", id="headers-one-byte-a-second"),
    ],
)
def test_a_drip_ends_at_the_deadline_not_per_read(head: bytes, byte: bytes) -> None:
    with RawServer(drip(head, byte)) as server:
        started = time.monotonic()
        with pytest.raises(SourceError, match=r"timed out after 2 s"):
            load(server.url("/drip"), Limits(timeout_s=2))
        elapsed = time.monotonic() - started
    assert elapsed < 3.5, f"the fetch took {elapsed:.1f} s with a 2 s deadline"


def test_redirects_share_one_deadline(httpserver) -> None:
    def slow_redirect(request: Request) -> Response:
        time.sleep(0.7)
        hop = int(request.args.get("hop", "0"))
        return Response(status=302, headers={"Location": f"/hop?hop={hop + 1}"})

    httpserver.expect_request("/hop").respond_with_handler(slow_redirect)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"timed out after 2 s"):
        load(httpserver.url_for("/hop"), Limits(timeout_s=2))
    assert time.monotonic() - started < 3.5


# --- compressed bodies ------------------------------------------------------------------------

def test_gzip_and_deflate_pages_are_decoded(httpserver) -> None:
    raw = PAGE.encode()
    httpserver.expect_request("/gzip").respond_with_data(
        gzip.compress(raw), content_type="text/html", headers={"Content-Encoding": "gzip"})
    httpserver.expect_request("/deflate").respond_with_data(
        zlib.compress(raw), content_type="text/html", headers={"Content-Encoding": "deflate"})
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    httpserver.expect_request("/raw-deflate").respond_with_data(
        raw_deflate.compress(raw) + raw_deflate.flush(), content_type="text/html",
        headers={"Content-Encoding": "deflate"})
    for path in ("/gzip", "/deflate", "/raw-deflate"):
        assert "Hello from Київ" in load(httpserver.url_for(path)).content, path


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        pytest.param([("Content-Encoding", "gzip, gzip")], "compressed more than once",
                     id="gzip-gzip"),
        pytest.param([("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")],
                     "compressed more than once", id="two-headers"),
        pytest.param([("Content-Encoding", "compress")], "does not read", id="unknown"),
    ],
)
def test_stacked_or_unknown_encodings_are_refused(httpserver, headers, words) -> None:
    httpserver.expect_request("/page").respond_with_data(
        gzip.compress(gzip.compress(PAGE.encode())), content_type="text/html", headers=headers)
    with pytest.raises(SourceError, match=words):
        load(httpserver.url_for("/page"))


def test_corrupt_gzip_is_a_source_error(httpserver) -> None:
    httpserver.expect_request("/page").respond_with_data(
        b"\x1f\x8b\x08\x00" + b"not gzip at all" * 20, content_type="text/html",
        headers={"Content-Encoding": "gzip"})
    with pytest.raises(SourceError, match="corrupt"):
        load(httpserver.url_for("/page"))


def test_compressed_bytes_count_toward_the_limit(httpserver) -> None:
    # A gzip header, then empty stored blocks: megabytes that decode to nothing at all.
    endless = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\x00\x00\x00\xff\xff" * 400_000
    # Sent in chunks with no Content-Length, so only the bytes as they come can be counted.
    httpserver.expect_request("/page").respond_with_response(Response(
        (endless[n:n + 65536] for n in range(0, len(endless), 65536)),
        content_type="text/html", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(SourceTooLargeError, match="over the limit of 1 MB compressed"):
        load(httpserver.url_for("/page"), Limits(max_bytes=1_000_000))


BOMB_DECODED_MB = 200

FETCH_AND_MEASURE = """
import json, sys
import httpcore, httpx
from audiobrief.load import Limits, load

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

before = peak_mb()
try:
    load(sys.argv[1], Limits(max_bytes=1_000_000))
    outcome = "loaded"
except Exception as error:
    outcome = f"{type(error).__name__}: {error}"
print(json.dumps({"grew_mb": peak_mb() - before, "outcome": outcome}))
"""


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """200 MB of spaces inside a page, gzipped to about 200 kB."""
    return gzip.compress(b"<html><body><p>" + b" " * (BOMB_DECODED_MB * 1_000_000), 9)


def fetch_in_a_process(url: str) -> dict:
    """Load `url` with a 1 MB cap in a fresh process; how much its peak RSS grew, and how."""
    def cap_memory() -> None:  # the old code held several GB for a stacked bomb
        resource.setrlimit(resource.RLIMIT_AS, (4_000_000_000, 4_000_000_000))

    done = subprocess.run([sys.executable, "-c", FETCH_AND_MEASURE, url], capture_output=True,
                          text=True, timeout=120, preexec_fn=cap_memory, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_gzip_bomb_is_413_without_the_memory(httpserver, bomb: bytes) -> None:
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
    measured = fetch_in_a_process(httpserver.url_for("/bomb"))
    assert measured["outcome"].startswith("SourceTooLargeError"), measured
    assert "over the limit of 1 MB" in measured["outcome"]
    # The cap is 1 MB; decoding may hold the cap and a chunk, never the 200 MB inside.
    assert measured["grew_mb"] < 30, measured


def test_a_stacked_gzip_bomb_is_refused_before_decoding(httpserver, bomb: bytes) -> None:
    stacked = gzip.compress(bomb, 9)
    assert len(stacked) < 5000
    httpserver.expect_request("/bomb").respond_with_data(
        stacked, content_type="text/html", headers={"Content-Encoding": "gzip, gzip"})
    measured = fetch_in_a_process(httpserver.url_for("/bomb"))
    assert measured["outcome"].startswith("SourceError"), measured
    assert "compressed more than once" in measured["outcome"]
    assert measured["grew_mb"] < 30, measured


# --- what a remote site can put in headers ----------------------------------------------------

@pytest.mark.parametrize(
    ("location", "error", "words"),
    [
        pytest.param("http://[::1/", SourceError, "not a valid URL", id="broken-ipv6"),
        pytest.param("http://localhost:99999/", RefusedAddressError, "port 99999",
                     id="port-out-of-range"),
        pytest.param("http://a\u200bb.example/", SourceError, "not a valid URL", id="bad-idna"),
        pytest.param("javascript:alert(1)", RefusedAddressError, "only http and https",
                     id="javascript"),
        pytest.param("", SourceError, "without a Location", id="empty"),
        pytest.param("http://" + "a" * 70 + ".example/", RefusedAddressError,
                     "not a valid host name", id="label-over-63"),
        pytest.param("http://10.0.0.1/", RefusedAddressError, "private or local address",
                     id="private"),
    ],
)
def test_bad_redirect_locations(location: str, error: type[Exception], words: str) -> None:
    response = (b"HTTP/1.1 302 Found\r\nLocation: " + location.encode("utf-8")
                + b"\r\nContent-Length: 0\r\n\r\n")
    with RawServer(canned(response)) as server, pytest.raises(error, match=words):
        load(server.url("/moved"), LOCAL)


def test_a_content_length_of_5000_digits(tmp_path: Path) -> None:
    response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                + b"9" * 5000 + b"\r\n\r\n<p>hello</p>")
    with RawServer(canned(response)) as server, pytest.raises(SourceError):
        load(server.url("/long"), LOCAL)


ASCII_PAGE = "<html><body><p>Hello from Kyiv and Kharkiv.</p></body></html>"


@pytest.mark.parametrize("body", [PAGE, ASCII_PAGE], ids=["utf-8", "ascii"])
@pytest.mark.parametrize("charset", ["punycode", "rot13", "uu_codec", "zlib", "idna", "utf-7",
                                     "no-such-charset", "x" * 5000])
def test_only_text_encodings_decode_a_page(httpserver, charset: str, body: str) -> None:
    httpserver.expect_request("/page").respond_with_data(
        body.encode(), headers={"Content-Type": f"text/html; charset={charset}"})
    page = load(httpserver.url_for("/page"))
    assert page.content == body


@pytest.mark.parametrize("charset", ["punycode", "rot13", "utf-7"])
def test_only_text_encodings_decode_a_file(tmp_path: Path, charset: str) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(PAGE.replace("utf-8", charset).encode())
    assert "Hello from Київ" in load(path).content
    path.write_bytes(f"<meta charset='{charset}'>{ASCII_PAGE}".encode())
    assert "Hello from Kyiv" in load(path).content


# --- where the connection goes ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "words"),
    [
        pytest.param("http://[::1/", "not a valid URL", id="broken-ipv6"),
        pytest.param("http://localhost:99999/", "port 99999", id="port-out-of-range"),
        pytest.param("http://localhost:0/", "port 0", id="port-zero"),
        pytest.param("http://a\u200bb.example/", "not a valid URL", id="bad-idna"),
        pytest.param("http://-a.example/", "not a valid host name", id="label-dash"),
        pytest.param("http://example.org/" + "a" * 9000, "over 8192 characters", id="too-long"),
        pytest.param("http:///path", "has no host", id="no-host"),
        pytest.param("http://100.100.100.200/", "(100.100.100.200)", id="cgnat-metadata"),
        pytest.param("http://[::ffff:100.100.100.200]/", "(::ffff:6464:64c8)",
                     id="mapped-cgnat"),
        pytest.param("http://192.0.0.8/", "(192.0.0.8)", id="ietf-192-0-0"),
        pytest.param("http://192.88.99.1/", "(192.88.99.1)", id="6to4-relay"),
        pytest.param("http://[fec0::1]/", "(fec0::1)", id="site-local"),
        pytest.param("http://[2002:7f00:1::1]/", "(2002:7f00:1::1)", id="6to4-loopback"),
        pytest.param("http://[2002:a9fe:a9fe::1]/", "(2002:a9fe:a9fe::1)", id="6to4-metadata"),
        pytest.param("http://[64:ff9b::a9fe:a9fe]/", "(64:ff9b::a9fe:a9fe)",
                     id="nat64-metadata"),
        pytest.param("http://[::7f00:1]/", "(::7f00:1)", id="ipv4-compatible-loopback"),
        pytest.param("http://[2001:0::1]/", "(2001::1)", id="teredo"),
        pytest.param("http://198.18.0.1/", "(198.18.0.1)", id="benchmarking"),
        pytest.param("http://240.0.0.1/", "(240.0.0.1)", id="reserved"),
        pytest.param("http://[ff0e::1]/", "(ff0e::1)", id="global-multicast"),
        pytest.param("http://localhost/", "private or local address", id="name-to-loopback"),
    ],
)
def test_urls_refused_before_any_connection(url: str, words: str) -> None:
    with pytest.raises(RefusedAddressError, match=f"refused .*{_escape(words)}"):
        check_url(url, Limits(refuse_private=True))


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def test_public_addresses_pass_the_check() -> None:
    for url in ("http://8.8.8.8/", "http://[2606:4700:4700::1111]/", "http://[64:ff9b::808:808]/"):
        check_url(url, Limits(refuse_private=True))


def test_the_host_header_names_the_host_while_the_socket_goes_to_the_address() -> None:
    seen: list[bytes] = []

    def serve(conn: socket.socket, _: threading.Event) -> None:
        seen.append(read_request(conn))
        body = PAGE.encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)

    with RawServer(serve) as server:
        page = load(server.url("/a", host="localhost"), LOCAL)
    assert "Київ" in page.content
    assert f"Host: localhost:{server.port}".encode() in seen[0]


@pytest.fixture(scope="module")
def localhost_cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for the name localhost (openssl, one day)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost"], check=True, capture_output=True, timeout=30)
    return cert, key


@pytest.fixture
def tls_server(localhost_cert) -> Iterator[tuple[RawServer, list[str | None], list[bytes]]]:
    cert, key = localhost_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    heads: list[bytes] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)

    def serve(conn: socket.socket, _: threading.Event) -> None:
        heads.append(read_request(conn))
        body = PAGE.encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)

    with RawServer(serve, tls=context) as server:
        yield server, names, heads


def test_https_keeps_sni_and_certificate_checks_on_the_host_name(tls_server, localhost_cert,
                                                                 monkeypatch) -> None:
    server, names, heads = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(localhost_cert[0]))  # trust the test's own CA
    page = load(server.url("/a", host="localhost", scheme="https"), LOCAL)
    assert "Київ" in page.content
    assert names == ["localhost"]
    assert f"Host: localhost:{server.port}".encode() in heads[0]


def test_https_to_an_untrusted_certificate_is_a_source_error(tls_server) -> None:
    server, names, _ = tls_server
    with pytest.raises(SourceError, match="TLS"):
        load(server.url("/a", host="localhost", scheme="https"), LOCAL)
    assert names == ["localhost"]
