"""The embeddable player page in a real browser: Chromium driven by Playwright against the real app
(`live_server`, with the example article finished as `finished_article_id`): playback, chapters,
the word- or sentence-timed transcript, keyboard and names, size, colours and contrast."""

from __future__ import annotations

import json
from typing import Any

import pytest

from audiobrief.settings import DEFAULT_DISCLOSURE
from audiobrief.web.player import embed_page, embed_script, missing_page
from tests.web.browser import (  # noqa: F401 (the *_fixture are fixtures)
    browser_fixture,
    clock_s,
    contrast,
    get_json,
    new_page_fixture,
    open_more,
    page_fixture,
    paused,
    png_size,
    rgb,
    screenshot,
    seek_to,
)

pytest.importorskip("playwright.sync_api")

TOLERANCE_S = 0.3


@pytest.fixture(scope="module")
def article(live_server, finished_article_id) -> dict[str, Any]:
    """The JSON the player reads for the finished example article."""
    return get_json(f"{live_server}/v1/articles/{finished_article_id}")


def word_transcript(article: dict[str, Any]) -> dict[str, Any]:
    """A Podcasting 2.0 JSON transcript, one segment a word, each sentence's time shared among its
    words by their length: what the word-timing sidecar serves as transcript.json."""
    segments = []
    for sentence in article["sentences"]:
        words = sentence["text"].split()
        at = sentence["start"]
        share = (sentence["end"] - sentence["start"]) / sum(len(word) for word in words)
        for word in words:
            segments.append({"startTime": round(at, 3), "endTime": round(at + share * len(word), 3),
                             "body": word})
            at += share * len(word)
    return {"version": "1.0.0", "segments": segments}


def serve_transcript(page: Any, transcript: dict[str, Any] | None) -> list[str]:
    """Answer the page's requests for transcript.json with `transcript`, or 404 for None; the
    URLs asked for."""
    asked: list[str] = []

    def answer(route: Any) -> None:
        asked.append(route.request.url)
        if transcript is None:
            route.fulfill(status=404, content_type="application/problem+json",
                          body='{"status": 404, "title": "Not found", "detail": "no"}')
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(transcript))

    page.route("**/transcript.json", answer)
    return asked


def open_player(page: Any, live_server: str, article_id: str, query: str = "") -> Any:
    page.goto(f"{live_server}/embed/{article_id}{query}")
    page.wait_for_selector("#play:enabled")
    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    return page


@pytest.fixture
def player(page, live_server, finished_article_id) -> Any:
    """The player page of the finished example article, its audio ready to play."""
    return open_player(page, live_server, finished_article_id)


@pytest.fixture
def sentence_player(page, live_server, finished_article_id) -> Any:
    """The player page with no transcript.json (404, as for audio made before word timings), so
    the transcript is timed by sentence."""
    serve_transcript(page, None)
    return open_player(page, live_server, finished_article_id)


@pytest.fixture
def word_player(page, live_server, finished_article_id, article) -> Any:
    """The player page with a word-timed transcript.json beside the audio, More opened."""
    serve_transcript(page, word_transcript(article))
    open_player(page, live_server, finished_article_id)
    open_more(page)
    page.wait_for_selector('#player[data-timing="words"]')
    return page


def sentence_at(article: dict[str, Any], seconds: float) -> str | None:
    for sentence in article["sentences"]:
        if sentence["start"] <= seconds < sentence["end"]:
            return sentence["text"]
    return None


def test_play_button_starts_the_audio_and_turns_into_pause(player) -> None:
    from playwright.sync_api import expect

    assert paused(player)
    player.click("#play")
    player.wait_for_function("document.getElementById('audio').currentTime > 0.5")
    expect(player.locator("#play")).to_have_attribute("aria-label", "Pause")
    player.click("#play")
    assert paused(player)
    expect(player.locator("#play")).to_have_attribute("aria-label", "Play")


def test_the_row_says_listen_and_the_length_then_the_time(player, article) -> None:
    minutes = max(1, round(article["duration"] / 60))
    assert player.locator("#clock").inner_text() == f"Listen · {minutes} min"
    seek_to(player, 65)
    total = int(article["duration"])
    assert player.locator("#clock").inner_text() == f"1:05 / {total // 60}:{total % 60:02d}"


@pytest.mark.parametrize(("width", "most_px"), [(320, 96), (480, 96), (1024, 84)])
def test_compact_row_fits_without_the_headline(new_page, live_server, finished_article_id,
                                               article, width, most_px) -> None:
    page = new_page(width)
    open_player(page, live_server, finished_article_id)
    height = page.evaluate("document.documentElement.getBoundingClientRect().height")
    assert height <= most_px
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for control in ("#play", "#clock", "#seek", "#speed", "#more", "#label"):
        assert page.locator(control).is_visible(), control
    assert page.locator("#panel").is_hidden()
    assert article["title"] not in page.locator("body").inner_text()


def test_more_opens_chapters_and_transcript_and_closes_them(player, article) -> None:
    more = player.locator("#more")
    assert more.get_attribute("aria-expanded") == "false"
    open_more(player)
    assert more.get_attribute("aria-expanded") == "true"
    assert player.locator(".chapter").count() == len(article["chapters"])
    assert player.locator(".sentence").count() == len(article["sentences"])
    # The host page shows the headline; the chapter list says where it is read instead.
    assert player.locator(".chapter .name").first.inner_text() == "Headline"
    more.click()
    assert player.locator("#panel").is_hidden()
    assert more.get_attribute("aria-expanded") == "false"


def test_second_chapter_jumps_to_its_start_and_is_marked_current(player, article) -> None:
    second = article["chapters"][1]
    open_more(player)
    player.locator(".chapter").nth(1).click()
    assert abs(clock_s(player) - second["start"]) <= TOLERANCE_S
    current = player.locator('.chapter[aria-current="true"]')
    assert current.count() == 1
    assert current.locator(".name").inner_text() == second["title"]


@pytest.mark.parametrize("index", [0, 2, 5, -1], ids=["headline", "third", "sixth", "last"])
def test_without_word_timings_the_sentence_being_read_is_highlighted(sentence_player, article,
                                                                     index) -> None:
    player = sentence_player
    sentence = article["sentences"][index]
    open_more(player)
    player.wait_for_selector('#player[data-timing="sentences"]')
    seek_to(player, (sentence["start"] + sentence["end"]) / 2)
    expected = sentence_at(article, clock_s(player))
    assert player.locator(".sentence.current").inner_text() == expected == sentence["text"]
    assert player.locator(".word").count() == 0


def test_clicking_a_sentence_seeks_to_its_start(sentence_player, article) -> None:
    player = sentence_player
    fourth = article["sentences"][3]
    open_more(player)
    player.locator(".sentence").nth(3).click()
    assert abs(clock_s(player) - fourth["start"]) <= TOLERANCE_S
    assert player.locator(".sentence.current").inner_text() == fourth["text"]


def test_transcript_json_is_asked_for_beside_transcript_vtt(page, live_server,
                                                            finished_article_id, article) -> None:
    asked = serve_transcript(page, word_transcript(article))
    open_player(page, live_server, finished_article_id)
    assert asked == []  # only once the transcript is opened
    open_more(page)
    page.wait_for_selector('#player[data-timing="words"]')
    vtt = article["links"]["transcript_vtt"]
    assert asked == [live_server + vtt.removesuffix(".vtt") + ".json"]


@pytest.mark.parametrize(("sentence", "word"), [(0, 0), (2, 4), (5, -1), (-1, -2)],
                         ids=["first", "third-fifth", "sixth-last", "last-but-one"])
def test_the_word_being_read_is_highlighted(word_player, article, sentence, word) -> None:
    sentence_words = [s for s in word_transcript(article)["segments"]
                      if article["sentences"][sentence]["start"] <= s["startTime"]
                      < article["sentences"][sentence]["end"]]
    segment = sentence_words[word]
    seek_to(word_player, (segment["startTime"] + segment["endTime"]) / 2)
    assert word_player.locator(".word.current").inner_text() == segment["body"]
    assert word_player.locator(".word.current").count() == 1
    # The sentence keeps its text as written, punctuation and all, around the words.
    assert (word_player.locator(".sentence.current").inner_text()
            == article["sentences"][sentence]["text"])


def test_word_highlight_follows_playback(word_player, article, tmp_path) -> None:
    segments = word_transcript(article)["segments"]
    word_player.locator(".word").nth(30).click()
    word_player.wait_for_function(
        "(start) => document.getElementById('audio').currentTime > start + 1.5",
        arg=segments[30]["startTime"])
    word_player.evaluate("document.getElementById('audio').pause()")
    word_player.evaluate("new Promise(requestAnimationFrame)")
    t = clock_s(word_player)
    expected = [s for s in segments if s["startTime"] <= t + 0.05][-1]
    assert word_player.locator(".word.current").inner_text() == expected["body"]
    word_player.mouse.move(0, 0)  # no hover underline in the picture
    screenshot(word_player, tmp_path, "player.png", full_page=True)


def test_clicking_a_word_seeks_to_it_and_plays(word_player, article) -> None:
    segment = word_transcript(article)["segments"][57]
    word_player.locator(".word").nth(57).click()
    assert abs(clock_s(word_player) - segment["startTime"]) <= TOLERANCE_S
    word_player.wait_for_function("!document.getElementById('audio').paused")


def test_the_services_own_transcript_json_highlights_each_word(page, live_server,
                                                               finished_article_id) -> None:
    base = f"{live_server}/v1/articles/{finished_article_id}"
    segments = get_json(f"{base}/transcript.json")["segments"]
    open_player(page, live_server, finished_article_id)
    open_more(page)
    page.wait_for_selector('#player[data-timing="words"]')
    # Every word as written is found in its sentence, in order.
    assert page.locator(".word").all_inner_texts() == [s["body"] for s in segments]
    starts = [s["startTime"] for s in segments]
    for index in (3, len(segments) // 2, len(segments) - 1):
        segment = segments[index]
        assert starts.count(segment["startTime"]) == 1
        seek_to(page, (segment["startTime"] + segment["endTime"]) / 2)
        assert page.locator(".word.current").inner_text() == segment["body"]


def test_a_transcript_json_without_segments_leaves_sentence_timing(page, live_server,
                                                                   finished_article_id) -> None:
    serve_transcript(page, {"version": "1.0.0"})
    open_player(page, live_server, finished_article_id)
    open_more(page)
    page.wait_for_selector('#player[data-timing="sentences"]')
    assert page.locator(".sentence").count() > 5


def test_disclosure_label_is_visible(player) -> None:
    label = player.locator(".label")
    assert label.is_visible()
    assert label.inner_text() == DEFAULT_DISCLOSURE


def test_download_link_is_the_audio(player, article) -> None:
    open_more(player)
    download = player.locator("#download")
    assert download.is_visible()
    assert download.get_attribute("href") == article["links"]["audio"]
    assert download.get_attribute("download").endswith(".mp3")


def test_controls_have_names_and_the_keyboard_reaches_them(player) -> None:
    from playwright.sync_api import expect

    names = {"#play": "Play", "#seek": "Position", "#speed": "Playback speed",
             "#more": "More: chapters and transcript"}
    for selector, name in names.items():
        expect(player.locator(selector)).to_have_accessible_name(name)
    reached = []
    for _ in names:
        player.keyboard.press("Tab")
        reached.append(player.evaluate("'#' + document.activeElement.id"))
    assert reached == list(names)
    player.keyboard.press("Enter")  # on More
    assert player.locator("#panel").is_visible()
    for button in player.locator("#panel button, #panel a").all():
        assert (button.get_attribute("aria-label") or button.inner_text()).strip()
    player.locator(".chapter").first.focus()
    player.keyboard.press("Escape")
    assert player.locator("#panel").is_hidden()
    assert player.evaluate("document.activeElement.id") == "more"


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


def test_fits_320_px_with_more_open(player, tmp_path) -> None:
    player.set_viewport_size({"width": 320, "height": 640})
    open_more(player)
    shot = tmp_path / "player-320-more.png"
    player.screenshot(path=str(shot), full_page=True)
    assert player.evaluate("document.documentElement.scrollWidth") <= 320
    assert png_size(shot)[0] == 320


def test_position_is_restored_after_reload(player) -> None:
    seek_to(player, 30)
    player.reload()
    player.wait_for_selector("#play:enabled")
    player.wait_for_function("Math.abs(document.getElementById('audio').currentTime - 30) < 1")
    assert paused(player)
    open_more(player)
    assert player.locator('.chapter[aria-current="true"]').count() == 1


THEMES = {"light": (255, 255, 255), "dark": (27, 29, 34)}


@pytest.mark.parametrize(("query", "color_scheme", "card"), [
    ("", "dark", THEMES["light"]),
    ("?theme=light", "dark", THEMES["light"]),
    ("?theme=dark", "light", THEMES["dark"]),
    ("?theme=auto", "dark", THEMES["dark"]),
    ("?theme=auto", "light", THEMES["light"]),
    ("?theme=purple", "dark", THEMES["light"]),
], ids=["default-on-dark-system", "light", "dark", "auto-dark", "auto-light", "unknown"])
def test_theme_is_light_unless_asked(new_page, live_server, finished_article_id, query,
                                     color_scheme, card) -> None:
    page = new_page(color_scheme=color_scheme)
    open_player(page, live_server, finished_article_id, query)
    background = page.evaluate(
        "getComputedStyle(document.getElementById('player')).backgroundColor")
    assert rgb(background) == card


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_control_borders_reach_3_to_1_against_what_is_around_them(
        new_page, live_server, finished_article_id, theme) -> None:
    page = new_page()
    open_player(page, live_server, finished_article_id, f"?theme={theme}")
    open_more(page)
    card = rgb(page.evaluate("getComputedStyle(document.getElementById('player')).backgroundColor"))
    bordered = ["#speed", "#more", "#back", "#forward", "#download", "#sentences"]
    for selector in bordered:
        style = page.evaluate("""(selector) => {
            const style = getComputedStyle(document.querySelector(selector));
            return {border: style.borderTopColor, width: style.borderTopWidth,
                    fill: style.backgroundColor};
        }""", selector)
        assert float(style["width"].removesuffix("px")) >= 1, selector
        border = rgb(style["border"])
        assert contrast(border, card) >= 3, f"{selector} {style['border']} on the card"
        if style["fill"] != "rgba(0, 0, 0, 0)":
            assert contrast(border, rgb(style["fill"])) >= 3, f"{selector} on its own fill"
    # A pseudo-element's computed style is out of reach: its rule's colour, resolved in place.
    track = page.evaluate("""() => {
        const rule = [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
            .find((rule) => rule.selectorText === ".seek::-webkit-slider-runnable-track");
        const probe = document.createElement("span");
        // "1px solid var(--border)": a shorthand with a var() has no longhands to read.
        probe.style.color = rule.style.getPropertyValue("border").split(" ").slice(2).join(" ");
        document.getElementById("seek").after(probe);
        return getComputedStyle(probe).color;
    }""")
    assert contrast(rgb(track), card) >= 3
    accent = page.evaluate("getComputedStyle(document.getElementById('play')).backgroundColor")
    assert contrast(rgb(accent), card) >= 3


def test_unknown_article_is_a_readable_page(page, live_server) -> None:
    response = page.goto(f"{live_server}/embed/0123456789abcdef0123456789abcdef")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page.locator("main").inner_text().startswith("This audio is not available.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 480


def test_page_escapes_its_text_and_links_only_web_urls() -> None:
    page = embed_page('a"b', disclosure="<b>AI</b> & you", disclosure_url="javascript:alert(1)")
    assert 'data-article="a&quot;b"' in page
    assert "&lt;b&gt;AI&lt;/b&gt; &amp; you" in page
    assert "javascript:" not in page
    linked = embed_page("x", disclosure="AI", disclosure_url="https://example.org/ai?a=1&b=2")
    assert '<a href="https://example.org/ai?a=1&amp;b=2"' in linked
    assert linked.count("</script>") == 2  # the theme, then the player
    assert "<script" not in missing_page().split("</script>", 1)[1]


def test_embed_script_is_bound_to_its_service() -> None:
    script = embed_script("https://audio.example.org/")
    assert '"https://audio.example.org"' in script
    assert "__AUDIOBRIEF_BASE_URL__" not in script
