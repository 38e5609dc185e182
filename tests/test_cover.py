"""cover: an article's picture found in its page, fetched as pages are, and made into a JPEG cover
of at most 512 kB; a hostile or broken image is no cover, never a failure."""

from __future__ import annotations

import io
import logging
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from pytest_httpserver import HTTPServer

from audiobrief.cover import (
    MAX_COVER_BYTES,
    MAX_SIDE_PX,
    cover_of,
    feed_image_problem,
    fetch_cover,
    read_cover,
)
from audiobrief.fetch import Limits
from audiobrief.load import from_content, page_image

LOCAL = Limits(timeout_s=10, allow_hosts=("127.0.0.1", "localhost"), refuse_private=True)
"""The service's rules, with the test server's host allowed as AUDIOBRIEF_ALLOW_HOSTS would."""


def png(width: int, height: int, mode: str = "RGB", noise: bool = False) -> bytes:
    if noise:
        pixels = np.random.default_rng(7).integers(0, 256, (height, width, len(mode)), np.uint8)
        image = Image.fromarray(pixels, mode)
    else:
        image = Image.new(mode, (width, height), (200, 40, 40, 255)[:len(mode)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def claiming(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims `width` × `height` pixels (a decompression
    bomb's first step), its checksum right so only the size gives it away."""
    raw = bytearray(png(8, 8))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    raw[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    raw[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(raw[12:ihdr + 13])))
    return bytes(raw)


def opened(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return image


# --- making the cover ---------------------------------------------------------------------------


def test_a_picture_becomes_a_jpeg_of_the_same_size() -> None:
    made = cover_of(png(1200, 630), "test")
    assert made is not None
    assert (made.width_px, made.height_px) == (1200, 630)
    assert opened(made.jpeg).size == (1200, 630)
    assert opened(made.jpeg).getpixel((600, 300)) == pytest.approx((200, 40, 40), abs=8)


def test_a_detailed_picture_is_cut_to_the_size_cap() -> None:
    pixels = np.random.default_rng(7).integers(0, 256, (1500, 1500, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=95)
    assert buffer.tell() > 2 * MAX_COVER_BYTES
    made = cover_of(buffer.getvalue(), "test")
    assert made is not None
    assert len(made.jpeg) <= MAX_COVER_BYTES
    assert (made.width_px, made.height_px) == (1500, 1500)


def test_a_larger_picture_is_scaled_to_the_largest_artwork() -> None:
    made = cover_of(png(4000, 3000), "test")
    assert made is not None
    assert opened(made.jpeg).size == (MAX_SIDE_PX, 2250)


def test_transparency_is_shown_on_white() -> None:
    made = cover_of(_transparent(), "test")
    assert made is not None
    assert opened(made.jpeg).getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)


def _transparent() -> bytes:
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("raw", [
    claiming(100_000, 100_000),  # past Pillow's own bomb limit: it refuses to open it
    claiming(6_000, 6_000),  # under Pillow's limit, over audiobrief's
    b"<html><body>not found</body></html>",
    b"\x89PNG\r\n\x1a\n" + bytes(200),  # a PNG's signature, then nothing
    png(1, 1),  # a tracking pixel
    b"",
], ids=["bomb", "huge", "html", "truncated", "pixel", "empty"])
def test_what_is_no_usable_image_is_no_cover(raw: bytes, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="audiobrief.cover"):
        assert cover_of(raw, "https://news.example/cover") is None
    assert "no cover from https://news.example/cover" in caplog.text


def test_feed_image_problems() -> None:
    square = cover_of(png(1400, 1400), "test")
    wide = cover_of(png(1600, 900), "test")
    small = cover_of(png(600, 600), "test")
    assert feed_image_problem(square) is None
    assert feed_image_problem(wide) == "it is 1600 × 900 px, not square"
    assert feed_image_problem(small) == "it is 600 px square, not 1400 to 3000"
    assert feed_image_problem(None) == "it is no image that can be read"


def test_a_missing_file_is_no_cover(tmp_path) -> None:
    assert read_cover(tmp_path / "nothing.png") is None


# --- fetching it under the rules pages are fetched by -------------------------------------------


def test_the_picture_is_fetched(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/cover.png").respond_with_data(png(800, 800),
                                                              content_type="image/png")
    made = fetch_cover(httpserver.url_for("/cover.png"), LOCAL)
    assert made is not None and opened(made.jpeg).size == (800, 800)
    (request, _), = httpserver.log
    assert request.headers["Accept"].startswith("image/")


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/html", png(800, 800)),  # the server says it is a page
    ("image/png", png(400, 400, noise=True)),  # over the size cap of 200 kB below
    ("image/png", b"GIF89a" + bytes(100)),
], ids=["page", "too-large", "garbage"])
def test_a_hostile_answer_is_no_cover(httpserver: HTTPServer, content_type: str,
                                      body: bytes) -> None:
    httpserver.expect_request("/cover.png").respond_with_data(body, content_type=content_type)
    limits = Limits(max_bytes=200_000, timeout_s=10, allow_hosts=("127.0.0.1",),
                    refuse_private=True)
    assert fetch_cover(httpserver.url_for("/cover.png"), limits) is None


def test_a_private_address_is_refused_as_for_pages(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/cover.png").respond_with_data(png(800, 800),
                                                              content_type="image/png")
    assert fetch_cover(httpserver.url_for("/cover.png"), Limits(refuse_private=True)) is None
    assert httpserver.log == []  # refused before any connection


# --- finding it in the page ---------------------------------------------------------------------


@pytest.mark.parametrize(("head", "expected"), [
    ('<meta property="og:image" content="https://cdn.example/a.jpg">', "https://cdn.example/a.jpg"),
    ("<meta content='/img/a.jpg?w=1200&amp;h=630' property='og:image'>",
     "https://news.example/img/a.jpg?w=1200&h=630"),
    ('<meta name="twitter:image" content="https://cdn.example/t.jpg">'
     '<meta property="og:image" content="https://cdn.example/o.jpg">', "https://cdn.example/o.jpg"),
    ('<link rel="image_src" href="https://cdn.example/l.jpg">', "https://cdn.example/l.jpg"),
    ('<meta property="og:image" content="javascript:alert(1)">', None),
    ('<meta property="og:title" content="A title">', None),
], ids=["absolute", "relative", "og-first", "link", "script", "none"])
def test_the_pages_own_picture_is_found(head: str, expected: str | None) -> None:
    page = from_content(f"<html><head>{head}</head><body><p>Text.</p></body></html>", "html",
                        "test", url="https://news.example/2025/story")
    assert page_image(page) == expected


# --- the command line ---------------------------------------------------------------------------


def test_synth_puts_the_pages_picture_in_the_mp3(tmp_path, httpserver: HTTPServer) -> None:
    """The CLI reads what its user points it at: the picture on a local server is fetched too."""
    from mutagen.id3 import ID3

    from tests.test_cli import run

    httpserver.expect_request("/cover.png").respond_with_data(png(640, 640),
                                                              content_type="image/png")
    page = tmp_path / "story.html"
    page.write_text(
        f'<html><head><meta property="og:image" content="{httpserver.url_for("/cover.png")}">'
        "<title>Bridge reopens</title></head><body><article><h1>Bridge reopens</h1><p>The"
        " city's main bridge reopened on Monday after three months of repairs, the mayor"
        " said.</p></article></body></html>", encoding="utf-8")
    out = tmp_path / "story.mp3"
    result = run("synth", str(page), "-o", str(out))
    assert result.returncode == 0, result.stderr
    (cover,) = ID3(out).getall("APIC")
    assert opened(cover.data).size == (640, 640)
