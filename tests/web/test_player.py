"""The embeddable player in a real browser: Chromium driven by Playwright against the real app
(`live_server`, with the example article finished as `finished_article_id`)."""

from __future__ import annotations

import functools
import json
import struct
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from audiobrief.settings import DEFAULT_DISCLOSURE
from audiobrief.web.player import embed_page, embed_script
from tests.conftest import EXAMPLE_HTML

pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
TOLERANCE_S = 0.3


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A fresh browser context (own localStorage) with one 480 px wide page."""
    context = browser.new_context(viewport={"width": 480, "height": 800})
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def article(live_server, finished_article_id) -> dict[str, Any]:
    """The JSON the player reads for the finished example article."""
    with urllib.request.urlopen(f"{live_server}/v1/articles/{finished_article_id}") as response:
        return json.load(response)


@pytest.fixture
def player(page, live_server, finished_article_id) -> Any:
    """The player page of the finished example article, its audio ready to play."""
    page.goto(f"{live_server}/embed/{finished_article_id}")
    page.wait_for_selector("#play:enabled")
    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    return page


def clock_s(page: Any) -> float:
    return page.evaluate("document.getElementById('audio').currentTime")


def paused(page: Any) -> bool:
    return page.evaluate("document.getElementById('audio').paused")


def seek_to(page: Any, seconds: float) -> None:
    """Set the audio clock as a script would and wait until the player has seen the seek."""
    page.evaluate("""(seconds) => new Promise((done) => {
        const audio = document.getElementById('audio');
        audio.addEventListener('seeked', () => requestAnimationFrame(done), {once: true});
        audio.currentTime = seconds;
    })""", seconds)


def sentence_at(article: dict[str, Any], seconds: float) -> str | None:
    for sentence in article["sentences"]:
        if sentence["start"] <= seconds < sentence["end"]:
            return sentence["text"]
    return None


def png_width(path: Path) -> int:
    return struct.unpack(">I", path.read_bytes()[16:20])[0]


def test_play_button_starts_the_audio_and_turns_into_pause(player) -> None:
    from playwright.sync_api import expect

    assert paused(player)
    player.click("#play")
    player.wait_for_function("document.getElementById('audio').currentTime > 0.5")
    expect(player.locator("#play")).to_have_attribute("aria-label", "Pause")
    player.click("#play")
    assert paused(player)
    expect(player.locator("#play")).to_have_attribute("aria-label", "Play")


def test_second_chapter_jumps_to_its_start_and_is_marked_current(player, article) -> None:
    second = article["chapters"][1]
    player.locator(".chapter").nth(1).click()
    assert abs(clock_s(player) - second["start"]) <= TOLERANCE_S
    current = player.locator('.chapter[aria-current="true"]')
    assert current.count() == 1
    assert current.locator(".name").inner_text() == second["title"]


@pytest.mark.parametrize("index", [0, 2, 5, -1], ids=["headline", "third", "sixth", "last"])
def test_highlighted_sentence_is_the_one_being_read(player, article, index) -> None:
    sentence = article["sentences"][index]
    player.click("#transcript summary")
    seek_to(player, (sentence["start"] + sentence["end"]) / 2)
    expected = sentence_at(article, clock_s(player))
    assert player.locator(".sentence.current").inner_text() == expected == sentence["text"]


def test_highlight_follows_playback_after_a_chapter_jump(player, article) -> None:
    player.click("#transcript summary")
    player.locator(".chapter").nth(1).click()
    player.wait_for_function(
        "(start) => document.getElementById('audio').currentTime > start + 1",
        arg=article["chapters"][1]["start"])
    player.evaluate("document.getElementById('audio').pause()")
    player.evaluate("new Promise(requestAnimationFrame)")
    assert player.locator(".sentence.current").inner_text() == sentence_at(
        article, clock_s(player))


def test_clicking_a_sentence_seeks_to_its_start(player, article) -> None:
    fourth = article["sentences"][3]
    player.click("#transcript summary")
    player.locator(".sentence").nth(3).click()
    assert abs(clock_s(player) - fourth["start"]) <= TOLERANCE_S
    assert player.locator(".sentence.current").inner_text() == fourth["text"]


def test_disclosure_label_is_visible(player) -> None:
    label = player.locator(".label")
    assert label.is_visible()
    assert label.inner_text() == DEFAULT_DISCLOSURE


def test_download_link_is_the_audio(player, article) -> None:
    download = player.locator("#download")
    assert download.get_attribute("href") == article["links"]["audio"]
    assert download.get_attribute("download").endswith(".mp3")


def test_keyboard_space_on_play_toggles_and_arrows_seek(player) -> None:
    player.focus("#play")
    player.keyboard.press("Space")
    player.wait_for_function("!document.getElementById('audio').paused")
    player.keyboard.press("Space")
    player.wait_for_function("document.getElementById('audio').paused")

    seek_to(player, 20)
    player.focus("#seek")
    player.keyboard.press("ArrowRight")
    assert abs(clock_s(player) - 25) <= TOLERANCE_S
    player.keyboard.press("ArrowLeft")
    player.keyboard.press("ArrowLeft")
    assert abs(clock_s(player) - 15) <= TOLERANCE_S
    assert player.get_attribute("#seek", "aria-valuetext").startswith("0:15 of 1:")


def test_speed_changes_the_playback_rate(player) -> None:
    player.select_option("#speed", "1.5")
    assert player.evaluate("document.getElementById('audio').playbackRate") == 1.5


def test_fits_320_px_without_horizontal_overflow(player, tmp_path) -> None:
    player.set_viewport_size({"width": 320, "height": 640})
    player.click("#transcript summary")
    shot = tmp_path / "player-320.png"
    player.screenshot(path=str(shot), full_page=True)
    assert player.evaluate("document.documentElement.scrollWidth") <= 320
    assert png_width(shot) == 320


def test_position_is_restored_after_reload(player) -> None:
    seek_to(player, 30)
    player.reload()
    player.wait_for_selector("#play:enabled")
    player.wait_for_function("Math.abs(document.getElementById('audio').currentTime - 30) < 1")
    assert player.locator('.chapter[aria-current="true"]').count() == 1


@pytest.fixture
def host_site(tmp_path) -> Iterator[str]:
    """A news site on its own origin: the example article and a page whose embed code names it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "article.html").write_text(EXAMPLE_HTML.read_text(encoding="utf-8"), encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_embed_script_on_another_origin_inserts_the_player(
    page, live_server, host_site, tmp_path
) -> None:
    (tmp_path / "site" / "index.html").write_text(
        "<!doctype html><title>News</title><h1>News</h1>"
        f'<script src="{live_server}/embed.js" data-url="{host_site}/article.html"></script>'
        "<p>After the player.</p>", encoding="utf-8")
    page.goto(f"{host_site}/index.html")
    frame_element = page.wait_for_selector("script + iframe")
    assert frame_element.get_attribute("title") == "Audio version of this article"
    assert frame_element.get_attribute("src").startswith(f"{live_server}/embed/")
    frame = frame_element.content_frame()
    # A new article: the player shows its progress, then the audio once it is narrated.
    frame.wait_for_selector("#play:enabled", timeout=120_000)
    assert "Kharkiv" in frame.locator("#title").inner_text()
    content_height = frame.evaluate(
        "Math.ceil(document.documentElement.getBoundingClientRect().height)")
    page.wait_for_function(
        "(height) => Math.abs(document.querySelector('iframe').offsetHeight - height) <= 1",
        arg=content_height)


def test_page_escapes_its_text_and_links_only_web_urls() -> None:
    page = embed_page('a"b', disclosure="<b>AI</b> & you", disclosure_url="javascript:alert(1)")
    assert 'data-article="a&quot;b"' in page
    assert "&lt;b&gt;AI&lt;/b&gt; &amp; you" in page
    assert "javascript:" not in page
    linked = embed_page("x", disclosure="AI", disclosure_url="https://example.org/ai?a=1&b=2")
    assert '<a href="https://example.org/ai?a=1&amp;b=2"' in linked
    assert linked.count("</script>") == 1


def test_embed_script_is_bound_to_its_service() -> None:
    script = embed_script("https://audio.example.org/")
    assert '"https://audio.example.org"' in script
    assert "__AUDIOBRIEF_BASE_URL__" not in script
