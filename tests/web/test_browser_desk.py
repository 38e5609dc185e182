"""In Chromium against the real app under uvicorn: the player of an article follows its edits and
says when its audio was withdrawn; Swagger UI and ReDoc render with nothing fetched from
anywhere but audiobrief."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.browser import browser_fixture  # noqa: F401  (the `browser` fixture)
from tests.web.conftest import serving

pytest.importorskip("playwright.sync_api")

KEY = "newsroom-cms"
AUTH = {"Authorization": f"Bearer {KEY}"}
URL = "https://news.example/2026/12/bridge/"


@pytest.fixture(scope="module")
def server(voice, tmp_path_factory) -> Iterator[str]:
    """Base URL of the app with API keys set, under uvicorn on 127.0.0.1."""
    from audiobrief.settings import Settings

    with serving(Settings(data=tmp_path_factory.mktemp("desk") / "data", workers=1,
                          api_keys=(KEY,)), voice) as base:
        yield base


@pytest.fixture
def offline_page(browser, server) -> Iterator[tuple[Any, list[str]]]:
    """A page that can reach only the app; (page, the addresses it tried elsewhere)."""
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.set_default_timeout(20_000)
    elsewhere: list[str] = []

    def only_the_app(route: Any) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_app)
    yield context.new_page(), elsewhere
    context.close()


def _post(server: str, article: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server}/v1/articles", json=article, headers=AUTH, timeout=30)
    assert response.status_code in (200, 202), response.text
    body: dict[str, Any] = response.json()
    deadline = time.monotonic() + 120
    while httpx.get(f"{server}/v1/articles/{body['id']}").json()["status"] != "done":
        assert time.monotonic() < deadline, "not narrated in 120 s"
        time.sleep(0.2)
    return body


def test_the_articles_player_plays_its_edit_then_says_it_was_withdrawn(
        offline_page, server) -> None:
    page, _ = offline_page
    _post(server, {"url": URL, "title": "Bridge closed", "text": "The bridge closed today."})
    edited = _post(server, {"url": URL, "title": "Bridge reopened",
                            "text": "The bridge reopened today."})

    page.goto(f"{server}/embed/{edited['article_id']}")
    page.wait_for_selector("#play:enabled")
    # The player shows no headline (the news page has it): the download is named by the title.
    assert page.get_attribute("#download", "download") == "Bridge reopened.mp3"
    assert page.get_attribute("#download", "href").endswith(f"/{edited['id']}/audio.mp3")

    withdrawn = httpx.delete(f"{server}/v1/articles/{edited['article_id']}", headers=AUTH)
    assert withdrawn.status_code == 204
    page.reload()
    page.wait_for_function("document.getElementById('clock').textContent.includes('withd')")
    assert page.inner_text("#clock") == "This audio was withdrawn."
    assert page.text_content("#status") == "This audio was withdrawn."
    assert page.is_disabled("#play") and page.get_attribute("#player", "aria-busy") is None


def test_swagger_ui_shows_every_operation_offline(offline_page, server) -> None:
    page, elsewhere = offline_page
    page.goto(f"{server}/schema/swagger")
    page.wait_for_selector(".opblock-summary-path")
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {"/v1/articles", "/v1/articles/{article_id}", "/v1/audio/speech"} <= {
        path.replace("\u200b", "") for path in paths}
    schema = httpx.get(f"{server}/schema/openapi.json").json()
    deletes = sum("delete" in operations for operations in schema["paths"].values())
    assert deletes >= 2  # an article's withdrawal and a site lexicon entry's
    assert page.locator(".opblock-delete").count() == deletes
    assert page.locator(".authorize").count() == 1  # the security scheme, to try with a key
    assert elsewhere == []


def test_redoc_shows_every_operation_offline(offline_page, server) -> None:
    page, elsewhere = offline_page
    page.goto(f"{server}/schema/redoc")
    page.wait_for_selector("text=Withdraw an article")
    assert page.locator("text=Look up an article by URL or external_id").count() >= 1
    assert elsewhere == []
