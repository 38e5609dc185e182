"""A real Chromium (Playwright) for the player's tests, and what they read off its pages: the audio
clock, a pixel of a screenshot, contrast of colours, and screenshots kept in docs/."""

from __future__ import annotations

import functools
import json
import os
import re
import struct
import threading
import time
import urllib.request
import zlib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # The player must never start by itself: the browser would let it, so a test can see it not.
    "--autoplay-policy=no-user-gesture-required",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
KEEP_SCREENSHOTS = os.environ.get("AUDIOBRIEF_DOCS_SCREENSHOTS") == "1"
"""With AUDIOBRIEF_DOCS_SCREENSHOTS=1 the tests that take screenshots write them to docs/."""


# Named so that a test module imports the function and its tests take the fixture's name.
@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(name="new_page")
def new_page_fixture(browser) -> Iterator[Any]:
    """`new_page(width=480, color_scheme="light")`: a page in a fresh context (own localStorage)."""
    contexts: list[Any] = []

    def make(width: int = 480, color_scheme: str = "light") -> Any:
        context = browser.new_context(viewport={"width": width, "height": 800},
                                      color_scheme=color_scheme)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(name="page")
def page_fixture(new_page) -> Any:
    """A fresh 480 px wide page."""
    return new_page()


def clock_s(page: Any) -> float:
    return float(page.evaluate("document.getElementById('audio').currentTime"))


def paused(page: Any) -> bool:
    return bool(page.evaluate("document.getElementById('audio').paused"))


def seek_to(page: Any, seconds: float) -> None:
    """Set the audio clock as a script would and wait until the player has seen the seek."""
    page.evaluate("""(seconds) => new Promise((done) => {
        const audio = document.getElementById('audio');
        audio.addEventListener('seeked', () => requestAnimationFrame(done), {once: true});
        audio.currentTime = seconds;
    })""", seconds)


def open_more(page: Any) -> None:
    page.click("#more")
    page.wait_for_selector("#panel:not([hidden])")


def pixel(page: Any, x: float, y: float) -> tuple[int, int, int]:
    """The colour the page shows at (x, y), read from a one-pixel screenshot."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}, animations="disabled")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        if kind == b"IDAT":
            idat += png[position + 8:position + 8 + length]
        position += 12 + length
    row = zlib.decompress(idat)
    # One pixel, one row: every PNG filter leaves it as it is (its left and upper neighbours are 0).
    return row[1], row[2], row[3]


_RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)")


def rgb(css: str) -> tuple[int, int, int]:
    match = _RGB.fullmatch(css.strip())
    assert match, f"not an rgb() colour: {css}"
    assert match[4] is None or float(match[4]) == 1, f"translucent: {css}"
    return int(match[1]), int(match[2]), int(match[3])


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""

    def luminance(colour: tuple[int, int, int]) -> float:
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                  for c in (v / 255 for v in colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def screenshot(page: Any, tmp_path: Path, name: str, **options: Any) -> Path:
    """A screenshot in tmp_path, and in docs/ with AUDIOBRIEF_DOCS_SCREENSHOTS=1."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), animations="disabled", **options)
    if KEEP_SCREENSHOTS:
        (DOCS / name).write_bytes(shot.read_bytes())
    return shot


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def wait_status(base: str, article_id: str, wanted: str, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = get_json(f"{base}/v1/articles/{article_id}")
        if status["status"] == wanted:
            return status
        assert status["status"] != "failed", status["error"]
        assert time.monotonic() < deadline, f"{article_id} not {wanted} after {timeout_s} s"
        time.sleep(0.1)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(name="site")
def site_fixture(tmp_path) -> Iterator[tuple[str, Path]]:
    """A news site on its own origin: (its base URL, the folder it serves)."""
    folder = tmp_path / "site"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()
