"""The player as a reader meets it: put in a news site's article by embed.js (its height, its
corners on a dark system, its theme), and for an article still being made (nothing plays by
itself; play starts the live stream, which the finished file takes over without a jump)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_HTML
from tests.web.browser import (  # noqa: F401 (the *_fixture are fixtures)
    browser_fixture,
    clock_s,
    new_page_fixture,
    open_more,
    page_fixture,
    paused,
    pixel,
    post_json,
    screenshot,
    site_fixture,
    wait_status,
)

pytest.importorskip("playwright.sync_api")

HEADLINE = "Governor: Russia attacked Kharkiv Oblast with foreign-made missiles"
LIGHT_SITE = (250, 236, 204)
DARK_SITE = (16, 18, 20)

SENTENCES = [
    "The council met on Tuesday to discuss the new bridge across the river.",
    "Engineers said the old crossing could no longer carry heavy trucks.",
    "Residents asked how long the road would be closed during the works.",
    "The mayor promised that buses would run on a temporary route.",
    "Shop owners near the crossing worried about losing their customers.",
    "A vote on the budget is expected before the end of the month.",
]


def article_text(topic: str, paragraphs: int) -> str:
    """A plain-text article without headings: a title line, then `paragraphs` paragraphs of three
    sentences; `topic` makes it an article of its own (its own id)."""
    body = []
    for number in range(paragraphs):
        picked = [SENTENCES[(number + i) % len(SENTENCES)] for i in range(3)]
        picked[0] = f"In the {topic} district, " + picked[0][0].lower() + picked[0][1:]
        body.append(" ".join(picked))
    return f"The {topic} bridge\n\n" + "\n\n".join(body)


def news_page(site: tuple[str, Path], live_server: str, attributes: str = "",
              background: tuple[int, int, int] = LIGHT_SITE, dark: bool = False) -> str:
    """A news article on the site's own origin, its embed code between the headline and the text;
    the URL of the page."""
    base, folder = site
    (folder / "article.html").write_text(EXAMPLE_HTML.read_text(encoding="utf-8"),
                                         encoding="utf-8")
    colour = "rgb({}, {}, {})".format(*background)
    (folder / "index.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{'<meta name="color-scheme" content="dark">' if dark else ''}
<title>News</title>
<style>
body {{ margin: 0; padding: 16px; background: {colour}; color: {'#e8e8e8' if dark else '#222'};
       font: 17px/1.55 Georgia, serif; }}
h1 {{ margin: 0 0 14px; font: 700 26px/1.2 system-ui, sans-serif; }}
</style></head>
<body><h1>{html.escape(HEADLINE)}</h1>
<script src="{live_server}/embed.js" data-url="{base}/article.html" {attributes}></script>
<p>Some of the missiles that Russia used to strike the city of Kharkiv and the region in late
December and early January were produced in a foreign country, Kharkiv Oblast Governor Oleh
Syniehubov said on Jan. 5, as cited by ArmyInform.</p>
<p>The day before, the White House reported that Russia had already used ballistic missiles
supplied by North Korea to attack Ukraine.</p>
</body></html>""", encoding="utf-8")
    return f"{base}/index.html"


def embedded(page: Any) -> tuple[Any, Any]:
    """The player's iframe on a news page and its frame, once its audio is ready and the iframe
    has taken the player's height."""
    element = page.wait_for_selector("script + iframe")
    frame = element.content_frame()
    frame.wait_for_selector("#play:enabled", timeout=120_000)
    frame.wait_for_function("document.getElementById('audio').readyState >= 1")
    height = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    page.wait_for_function(
        "(height) => Math.abs(document.querySelector('iframe').offsetHeight - height) <= 1",
        arg=height)
    return element, frame


def test_embed_script_on_another_origin_inserts_the_player(page, live_server, site) -> None:
    page.goto(news_page(site, live_server))
    element, frame = embedded(page)
    assert element.get_attribute("title") == "Audio version of this article"
    src = element.get_attribute("src")
    assert src.startswith(f"{live_server}/embed/") and src.endswith("?theme=light")
    assert frame.locator("#clock").inner_text().startswith("Listen · ")
    # More makes the frame taller by what it shows, and closing it gives the height back.
    closed = element.bounding_box()["height"]
    frame.click("#more")
    page.wait_for_function(
        "(closed) => document.querySelector('iframe').offsetHeight > closed + 150", arg=closed)
    frame.click("#more")
    page.wait_for_function(
        "(closed) => Math.abs(document.querySelector('iframe').offsetHeight - closed) <= 1",
        arg=closed)


@pytest.mark.parametrize(("width", "most_px"), [(320, 96), (480, 96), (1024, 84)])
def test_on_a_news_page_the_player_is_one_short_row(new_page, live_server, site, tmp_path,
                                                    width, most_px) -> None:
    page = new_page(width)
    page.goto(news_page(site, live_server))
    element, frame = embedded(page)
    assert element.bounding_box()["height"] <= most_px
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The page's H1 is the only headline the reader sees.
    assert HEADLINE not in frame.locator("body").inner_text()
    clock = frame.locator("#clock")
    assert clock.inner_text().startswith("Listen · ")
    assert clock.evaluate("(node) => node.scrollWidth <= node.clientWidth"), "cut short"
    if width in (320, 480):
        box = element.bounding_box()
        screenshot(page, tmp_path, "player-320.png" if width == 320 else "player-light.png",
                   clip={"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 70})


@pytest.mark.parametrize(("attributes", "card"), [
    ("", (255, 255, 255)),
    ('data-theme="light"', (255, 255, 255)),
    ('data-theme="dark"', (27, 29, 34)),
    ('data-theme="auto"', (27, 29, 34)),
], ids=["default", "light", "dark", "auto"])
def test_corners_show_the_page_on_a_dark_system(new_page, live_server, site, attributes,
                                                card) -> None:
    page = new_page(color_scheme="dark")
    page.goto(news_page(site, live_server, attributes))
    element, _ = embedded(page)
    box = element.bounding_box()
    # The card's rounded corner leaves the frame's corner pixel to the page behind it.
    assert pixel(page, box["x"] + 1, box["y"] + 1) == LIGHT_SITE
    assert pixel(page, box["x"] + box["width"] - 2, box["y"] + box["height"] - 2) == LIGHT_SITE
    assert pixel(page, box["x"] + box["width"] / 2, box["y"] + box["height"] - 6) == card


def test_a_dark_site_asks_for_the_dark_player(new_page, live_server, site, tmp_path) -> None:
    page = new_page(color_scheme="light")
    page.goto(news_page(site, live_server, 'data-theme="dark"', DARK_SITE, dark=True))
    element, frame = embedded(page)
    assert element.get_attribute("src").endswith("?theme=dark")
    box = element.bounding_box()
    assert pixel(page, box["x"] + 1, box["y"] + 1) == DARK_SITE
    frame.click("#more")
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 300")
    frame.locator(".chapter").nth(1).click()
    frame.wait_for_function("document.getElementById('audio').currentTime > 7.5")
    frame.evaluate("document.getElementById('audio').pause()")
    screenshot(page, tmp_path, "player-dark.png",
               clip={"x": 0, "y": 0, "width": 480, "height": min(800, box["y"] + 560)})


def test_nothing_plays_until_the_reader_presses_play(page, live_server) -> None:
    made = post_json(f"{live_server}/v1/articles", {"text": article_text("Southern", 8)})
    page.goto(f"{live_server}/embed/{made['id']}")
    page.wait_for_selector('#player[data-state="making"]')
    page.wait_for_selector('#player[data-state="ready"]', timeout=120_000)
    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    page.wait_for_timeout(1000)  # the old player started about now: the job had finished
    assert paused(page)
    assert clock_s(page) == 0
    assert page.get_attribute("#player", "data-source") == "file"


def test_play_while_being_made_streams_and_the_file_takes_over_in_place(page,
                                                                       live_server) -> None:
    made = post_json(f"{live_server}/v1/articles", {"text": article_text("Northern", 24)})
    page.goto(f"{live_server}/embed/{made['id']}")
    page.wait_for_selector('#player[data-state="making"]')
    assert paused(page)
    page.click("#play")
    page.wait_for_function("document.getElementById('audio').currentTime > 0.5")
    assert page.get_attribute("#player", "data-source") == "live"
    assert page.get_attribute("#player", "data-state") == "making"
    page.evaluate("""() => {
        const audio = document.getElementById('audio');
        const player = document.getElementById('player');
        window.samples = [];
        setInterval(() => window.samples.push({wall: performance.now() / 1000,
            clock: audio.currentTime, paused: audio.paused, source: player.dataset.source}), 100);
    }""")
    page.wait_for_selector('#player[data-state="ready"]', timeout=180_000)
    done_at = clock_s(page)
    page.wait_for_function(
        "(at) => document.getElementById('audio').currentTime > at + 1.5", arg=done_at)
    # Listening goes on in the stream (the same frames): nothing is cut when the job ends.
    assert page.get_attribute("#player", "data-source") == "live"
    # Paused where it is: the position as the reader left it, before any event has run.
    paused_at = page.evaluate("""() => {
        const audio = document.getElementById('audio');
        audio.pause();
        return audio.currentTime;
    }""")
    page.wait_for_selector('#player[data-source="file"]')
    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    page.wait_for_function(
        "(at) => Math.abs(document.getElementById('audio').currentTime - at) < 0.05",
        arg=paused_at)
    assert page.evaluate("document.getElementById('audio').src").endswith("/audio.mp3")
    page.click("#play")
    page.wait_for_function(
        "(at) => document.getElementById('audio').currentTime > at + 1", arg=paused_at)

    samples = page.evaluate("window.samples")
    playing = [s for s in samples if not s["paused"]]
    assert {s["source"] for s in playing} == {"live", "file"}
    for before, after in zip(playing, playing[1:], strict=False):
        if before["source"] != after["source"]:
            continue
        moved = after["clock"] - before["clock"]
        assert -0.01 <= moved <= after["wall"] - before["wall"] + 0.3, (before, after)
    assert min(s["clock"] for s in playing if s["source"] == "file") >= paused_at - 0.05


def test_a_transcript_without_headings_is_its_paragraphs(page, live_server) -> None:
    text = article_text("Western", 3)
    title, *paragraphs = text.split("\n\n")
    made = post_json(f"{live_server}/v1/articles", {"text": text})
    wait_status(live_server, made["id"], "done")
    page.goto(f"{live_server}/embed/{made['id']}")
    page.wait_for_selector("#play:enabled")
    open_more(page)
    shown = [p.strip() for p in page.locator("#sentences p").all_inner_texts()]
    assert shown == [title + ".", *paragraphs]
