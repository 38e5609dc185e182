"""The /desk page in a real browser: Chromium driven by Playwright against the real app under
uvicorn, with an API key set, at a phone's 320 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.browser import browser_fixture  # noqa: F401  (the `browser` fixture)
from tests.web.conftest import serving

pytest.importorskip("playwright.sync_api")

KEY = "desk-page-key"
TEXT = ("Talks in Kharkiv\n\nDmytro Kuleba met Oleh Zhdanivskyi and John Smithers in Kharkiv on"
        " Monday.")


@pytest.fixture(scope="module")
def desk_server(voice, tmp_path_factory) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1 with an API key, its site lexicon holding
    Kuleba."""
    from audiobrief.settings import Settings

    settings = Settings(data=tmp_path_factory.mktemp("desk") / "data", workers=1,
                        api_keys=(KEY,))
    with serving(settings, voice) as base:
        put = httpx.put(f"{base}/v1/lexicon/Kuleba", json={"respelling": "koo-LEH-bah"},
                        headers={"X-API-Key": KEY}, timeout=30)
        assert put.status_code == 201
        yield base


@pytest.fixture
def desk(browser, desk_server) -> Iterator[Any]:
    """The desk page at 320 px with the key typed in, as an editor would."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{desk_server}/desk")
    page.fill("#key", KEY)
    page.press("#key", "Enter")
    page.wait_for_selector("#entries li")
    yield page
    context.close()


def _check(page: Any) -> None:
    page.fill("#source", TEXT)
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#script button.name")


def test_the_desk_fits_320_px_and_asks_for_the_key(browser, desk_server) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(f"{desk_server}/desk")
        assert page.evaluate("document.activeElement.id") == "key"
        assert "key" in page.inner_text("#status").lower()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.fill("#key", KEY)
        page.press("#key", "Enter")
        page.wait_for_selector("#entries li")
        assert page.evaluate("sessionStorage.getItem('audiobrief-key')") == KEY
        assert not page.context.cookies()
    finally:
        context.close()


def test_names_are_coloured_by_who_decided_them(desk) -> None:
    _check(desk)
    sources = desk.eval_on_selector_all(
        "#script button.name", "names => names.map(n => [n.textContent, n.dataset.source])")
    named = dict(sources)
    assert named["Kuleba"] == "site"
    assert named["Kharkiv"] == "lexicon"
    assert named["Zhdanivskyi"] == "rule"
    assert named["Smithers"] == "espeak"
    colour = "(selector) => getComputedStyle(document.querySelector(selector)).color"
    colours = {source: desk.evaluate(colour, f"#script .src-{source}")
               for source in ("site", "lexicon", "rule", "espeak")}
    assert len(set(colours.values())) == 4
    assert desk.evaluate("document.documentElement.scrollWidth") <= 320


def test_a_name_is_heard_alone_and_in_its_sentence(desk) -> None:
    _check(desk)
    desk.click("#script button.name:text-is('Kuleba')")
    with desk.expect_response("**/v1/audio/speech") as alone:
        desk.click("#hear-word")
    assert alone.value.status == 200
    assert alone.value.headers["content-type"] == "audio/mpeg"
    heard = desk.evaluate("document.getElementById('desk').dataset.heard")
    assert "Kuleba</phoneme>" in heard and "kuːlˈɛbɑː" in heard
    desk.wait_for_function("document.getElementById('status').textContent === 'Playing.'")
    with desk.expect_response("**/v1/audio/speech") as sentence:
        desk.click("#hear-sentence")
    assert sentence.value.status == 200
    heard = desk.evaluate("document.getElementById('desk').dataset.heard")
    assert "Smithers" in heard and "Zhdanivskyi</phoneme>" in heard


def test_saving_a_fix_with_the_keyboard_updates_the_list_and_the_script(desk) -> None:
    _check(desk)
    desk.focus("#script button.name:text-is('Smithers')")
    desk.keyboard.press("Enter")
    assert desk.evaluate("document.activeElement.id") == "fix-said"
    desk.keyboard.type("SMITH-erz")
    with desk.expect_response(lambda r: r.request.method == "PUT") as saved:
        desk.keyboard.press("Enter")
    assert saved.value.status == 201
    desk.wait_for_selector("#entries li:has-text('Smithers')")
    assert "SMITH-erz" in desk.inner_text("#entries")
    desk.wait_for_selector("#script button.name.src-site:text-is('Smithers')")
    desk.fill("#search", "smith")
    desk.press("#search", "Enter")
    desk.wait_for_function("document.querySelectorAll('#entries li').length === 1")
    assert "1 word found" in desk.inner_text("#list-count")
