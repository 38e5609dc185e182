"""Loading sources: files, URLs served by a local 127.0.0.1 server, and everything refused."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from werkzeug import Request, Response

from audiobrief.errors import (
    RefusedAddressError,
    RequestError,
    SourceError,
    SourceTooLargeError,
)
from audiobrief.load import Limits, from_content, load

PAGE = "<html><head><title>T</title></head><body><p>Hello from Kharkiv.</p></body></html>"


def test_file_html_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    page = load(path)
    assert page.kind == "html"
    assert "Hello from Kharkiv" in page.content
    assert page.origin == str(path)


def test_text_file_is_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Morning notes\n\nThe first paragraph.", encoding="utf-8")
    assert load(path).kind == "text"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "is empty", id="empty"),
        pytest.param(b"   \n\n  ", "is empty", id="whitespace"),
        pytest.param(bytes(range(256)) * 40, "binary", id="binary-with-nul"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\xff\xfe\x01\x02" * 500, "binary", id="png"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.html"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        load(tmp_path / "nope.html")


def test_file_over_limit_says_sizes(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_bytes(b"<p>" + b"a" * 2_000_000 + b"</p>")
    with pytest.raises(SourceTooLargeError, match=r"is 2 MB; the limit is 1 MB"):
        load(path, Limits(max_bytes=1_000_000))


def test_legacy_charset_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.html"
    html = '<html><head><meta charset="windows-1251"></head><body><p>Київ</p></body></html>'
    path.write_bytes(html.encode("cp1251"))
    assert "Київ" in load(path).content


def test_url_is_fetched(httpserver) -> None:
    httpserver.expect_request("/article").respond_with_data(PAGE, content_type="text/html")
    page = load(httpserver.url_for("/article"))
    assert page.kind == "html"
    assert page.url == httpserver.url_for("/article")
    assert "Kharkiv" in page.content


def test_redirect_is_followed(httpserver) -> None:
    httpserver.expect_request("/old").respond_with_response(
        Response(status=301, headers={"Location": "/new"}))
    httpserver.expect_request("/new").respond_with_data(PAGE, content_type="text/html")
    assert load(httpserver.url_for("/old")).url == httpserver.url_for("/new")


def test_redirect_loop_is_bounded(httpserver) -> None:
    httpserver.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": "/loop"}))
    with pytest.raises(SourceError, match="more than 5 redirects"):
        load(httpserver.url_for("/loop"))


def test_http_error_status(httpserver) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    with pytest.raises(SourceError, match="HTTP 404"):
        load(httpserver.url_for("/gone"))


def test_non_text_content_type(httpserver) -> None:
    httpserver.expect_request("/img").respond_with_data(b"\x89PNG", content_type="image/png")
    with pytest.raises(SourceError, match="image/png, not an HTML page or text"):
        load(httpserver.url_for("/img"))


def test_large_download_is_cut_off(httpserver) -> None:
    def stream(_: Request) -> Response:
        # No Content-Length: the limit must hold while reading.
        return Response((b"<p>" + b"x" * 10_000 for _ in range(200)), content_type="text/html")

    httpserver.expect_request("/big").respond_with_handler(stream)
    with pytest.raises(SourceTooLargeError, match="over the limit of 1 MB"):
        load(httpserver.url_for("/big"), Limits(max_bytes=1_000_000))


def test_timeout_says_how_long(httpserver) -> None:
    def slow(_: Request) -> Response:
        time.sleep(1.5)
        return Response(PAGE, content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(SourceError, match=r"timed out after 0.5 s"):
        load(httpserver.url_for("/slow"), Limits(timeout_s=0.5))


def test_unreachable_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceError, match=f"could not fetch http://127.0.0.1:{port}/"):
        load(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize("url", ["ftp://example.org/a", "file:///etc/passwd", "gopher://x/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(RefusedAddressError, match="only http and https"):
        load(url)


def test_private_address_refused_when_asked(httpserver) -> None:
    httpserver.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    url = f"http://127.0.0.1:{httpserver.port}/a"
    with pytest.raises(RefusedAddressError, match=r"private or local address \(127.0.0.1\)"):
        load(url, Limits(refuse_private=True))


def test_allow_list_reaches_named_host(httpserver) -> None:
    httpserver.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    page = load(httpserver.url_for("/a"), Limits(refuse_private=True, allow_hosts=("localhost",)))
    assert "Kharkiv" in page.content


def test_redirect_to_private_host_is_checked_again(httpserver) -> None:
    target = f"http://127.0.0.1:{httpserver.port}/inner"
    httpserver.expect_request("/a").respond_with_response(
        Response(status=302, headers={"Location": target}))
    httpserver.expect_request("/inner").respond_with_data(PAGE, content_type="text/html")
    with pytest.raises(RefusedAddressError, match=r"refused http://127\.0\.0\.1"):
        load(httpserver.url_for("/a"), Limits(refuse_private=True, allow_hosts=("localhost",)))


@pytest.mark.parametrize("kind", ["text", "html"])
def test_posted_content_with_nul_is_refused(kind) -> None:
    with pytest.raises(RequestError, match="the posted body contains NUL characters"):
        from_content("Minister resigns.\x00 More text.", kind, "the posted body")


def test_a_service_reads_urls_only(tmp_path: Path) -> None:
    # The CLI reads files and stdin; the service (refuse_private) must never read its own disk.
    path = tmp_path / "secret.txt"
    path.write_text("The server's own file.", encoding="utf-8")
    assert "own file" in load(str(path)).content
    for source in (str(path), "-", "javascript:alert(1)"):
        with pytest.raises(RefusedAddressError, match="only http and https"):
            load(source, Limits(refuse_private=True))


def test_the_deadline_covers_the_whole_fetch_not_each_read(httpserver) -> None:
    def dribble(_: Request) -> Response:
        def body():
            yield b"<p>"
            for _ in range(8):
                time.sleep(0.4)
                yield b"Hello from Kharkiv. "
            yield b"</p>"
        return Response(body(), content_type="text/html")

    httpserver.expect_request("/dribble").respond_with_handler(dribble)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"timed out after 1 s"):
        load(httpserver.url_for("/dribble"), Limits(timeout_s=1))
    assert time.monotonic() - started < 2
