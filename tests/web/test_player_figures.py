"""The player's listening events in a real Chromium against the real app: a play to the end
sends play, the three quarter marks and complete, a chapter jump says so, and a browser asking
for no tracking (Do Not Track, Global Privacy Control) sends nothing."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from tests.web.browser import (  # noqa: F401 (fixtures)
    browser_fixture,
    new_page_fixture,
    open_more,
    page_fixture,
)
from tests.web.test_player import article, player  # noqa: F401 (fixtures)

pytest.importorskip("playwright.sync_api")


def beacons(tab: Any) -> list[str]:
    """The kinds of event the tab sends to /v1/events, as they go."""
    sent: list[str] = []

    def seen(request: Any) -> None:
        if request.url.endswith("/v1/events") and request.method == "POST":
            sent.append(json.loads(request.post_data)["kind"])

    tab.on("request", seen)
    return sent


def plays(live_server: str, article_id: str) -> int:
    with urllib.request.urlopen(f"{live_server}/v1/articles/{article_id}/stats") as response:
        return int(json.load(response)["plays"])


def wait_for(sent: list[str], count: int, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while len(sent) < count:
        assert time.monotonic() < deadline, f"only {sent} sent"
        time.sleep(0.05)


def test_a_play_to_the_end_sends_its_marks_once(player, live_server,  # noqa: F811
                                                finished_article_id) -> None:
    before = plays(live_server, finished_article_id)
    sent = beacons(player)
    player.click("#play")
    player.wait_for_function("document.getElementById('audio').currentTime > 0.3")
    player.evaluate("const a = document.getElementById('audio'); a.currentTime = a.duration - 0.5")
    player.wait_for_function("document.getElementById('audio').ended", timeout=20_000)
    wait_for(sent, 5)
    assert sent == ["play", "25", "50", "75", "complete"]
    assert plays(live_server, finished_article_id) == before + 1


def test_a_chapter_jump_is_sent(player) -> None:  # noqa: F811
    sent = beacons(player)
    open_more(player)
    player.locator(".chapter").nth(1).click()
    wait_for(sent, 2)
    assert sent[:2] == ["chapter", "play"]


@pytest.mark.parametrize("refusal", ["doNotTrack", "globalPrivacyControl"])
def test_a_browser_asking_not_to_be_tracked_sends_nothing(page, live_server,  # noqa: F811
                                                          finished_article_id,
                                                          refusal: str) -> None:
    value = "'1'" if refusal == "doNotTrack" else "true"
    page.context.add_init_script(
        f"Object.defineProperty(Navigator.prototype, '{refusal}', {{get: () => {value}}})")
    sent = beacons(page)
    page.goto(f"{live_server}/embed/{finished_article_id}")
    page.wait_for_selector("#play:enabled")
    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    page.click("#play")
    page.wait_for_function("document.getElementById('audio').currentTime > 0.3")
    page.evaluate("const a = document.getElementById('audio'); a.currentTime = a.duration - 0.5")
    page.wait_for_function("document.getElementById('audio').ended", timeout=20_000)
    page.wait_for_timeout(500)
    assert sent == []


def test_the_desk_page_shows_the_figures_by_keyboard_at_320_px(browser, live_server,  # noqa: F811
                                                               finished_article_id,
                                                               article) -> None:  # noqa: F811
    request = urllib.request.Request(
        f"{live_server}/v1/events", method="POST", headers={"Content-Type": "text/plain"},
        data=json.dumps({"article": finished_article_id, "kind": "play"}).encode())
    with urllib.request.urlopen(request) as response:
        assert response.status == 204
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        tab = context.new_page()
        tab.goto(f"{live_server}/desk/stats")
        tab.locator("#key").focus()
        tab.keyboard.press("Tab")  # the period
        tab.keyboard.press("Tab")  # Show
        tab.keyboard.press("Enter")
        title = tab.locator("#articles tbody button", has_text=article["title"])
        title.wait_for()
        row = tab.locator("#articles tbody tr").filter(has_text=article["title"])
        assert int(row.locator("td").nth(1).inner_text()) >= 1
        title.focus()
        tab.keyboard.press("Enter")
        tab.locator("#detail").wait_for()
        assert tab.evaluate("document.activeElement.id") == "detail-heading"
        assert tab.locator("#days-table tbody tr").count() == 1
        assert tab.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()
