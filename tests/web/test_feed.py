"""GET /feed.xml as a podcast app reads it: feedparser over the real app's feed, and every link in
it followed back into the app."""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from typing import Any

import feedparser
import pytest
from mutagen.mp3 import MP3

from tests.conftest import EXAMPLE_HTML
from tests.web.conftest import EXAMPLE_URL, wait_done

PODCAST = "{https://podcastindex.org/namespace/1.0}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
DISCLOSURE = "This audio is created with AI assistance"
KEY = "newsroom-cms"
"""The feed holds only what audiobrief fetched itself or a key holder posted."""
AUTH = {"Authorization": f"Bearer {KEY}"}

SHORT_ARTICLES = [
    {"title": "Council meets", "text": "The council met on Tuesday. It approved the budget."},
    # The title carries markup, an ampersand and a control character: the feed must stay XML.
    {"title": 'Q&A: <b>"Bridges"</b> \x07reopen',
     "text": "The bridges reopened on Monday. Traffic was light."},
]


def read_feed(client: Any, url: str = "/feed.xml") -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert "max-age=60" in response.headers["cache-control"]
    ET.fromstring(response.content)  # well-formed XML, whatever feedparser forgives
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def links(feed: Any) -> dict[str, str]:
    """The feed's atom:link hrefs by rel (self, first, last, previous, next)."""
    return {link["rel"]: link["href"] for link in feed.feed.links if link["rel"] != "alternate"}


def enclosure(entry: Any) -> dict[str, str]:
    (found,) = [link for link in entry.links if link["rel"] == "enclosure"]
    return found


def vouched_client(make_client: Any, data: Any, **settings: Any) -> Any:
    """A client over `data` where the CMS (a key holder) posted the example article: it is in
    the feed, as an anonymous post of it is not."""
    client = make_client(data=data, api_keys=(KEY,), **settings)
    response = client.post("/v1/articles", headers=AUTH, json={
        "html": EXAMPLE_HTML.read_text(encoding="utf-8"), "url": EXAMPLE_URL})
    assert response.status_code == 200, response.text
    return client


@pytest.fixture
def finished_client(finished_data, make_client, tmp_path) -> Any:
    data = tmp_path / "finished-copy"
    shutil.copytree(finished_data[0], data)
    return vouched_client(make_client, data)


@pytest.fixture
def posted_articles(make_client) -> tuple[Any, list[str]]:
    """An app where SHORT_ARTICLES were posted by the CMS and narrated, in that order;
    (client, ids)."""
    client = make_client(api_keys=(KEY,))
    ids = []
    for article in SHORT_ARTICLES:
        response = client.post("/v1/articles", json=article, headers=AUTH)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
        assert wait_done(client, ids[-1])["status"] == "done"
    return client, ids


def test_feed_describes_the_finished_article(finished_client, finished_article_id) -> None:
    status = finished_client.get(f"/v1/articles/{finished_article_id}").json()
    mp3 = finished_client.get(status["links"]["audio"]).content
    feed = read_feed(finished_client)

    assert feed.version == "rss20"
    assert feed.feed.title == "audiobrief"
    assert feed.feed.author == "audiobrief"
    assert feed.feed.language == "en-US"
    assert feed.feed.podcast_locked == "no"
    assert [tag["term"] for tag in feed.feed.tags] == ["News"]
    (entry,) = feed.entries
    assert entry.title == status["title"]
    assert entry.id == finished_article_id
    assert entry.guidislink is False
    assert enclosure(entry)["type"] == "audio/mpeg"
    assert int(enclosure(entry)["length"]) == len(mp3)
    assert abs(int(entry.itunes_duration) - MP3(io.BytesIO(mp3)).info.length) <= 1
    assert tuple(entry.published_parsed[:3]) == (2024, 1, 5)
    assert entry.author == status["byline"] == "Dinara Khalilova"
    assert entry.link == status["url"]
    assert "Dinara Khalilova · The Kyiv Independent" in entry.summary
    assert DISCLOSURE in entry.summary
    article = f"http://testserver.local/v1/articles/{finished_article_id}"
    assert entry.podcast_chapters == {"url": f"{article}/chapters.json",
                                      "type": "application/json+chapters"}
    podcast = "https://podcastindex.org/namespace/1.0"
    transcripts = [element.attrib for element in ET.fromstring(
        finished_client.get("/feed.xml").content).iter(f"{{{podcast}}}transcript")]
    assert transcripts == [
        {"url": f"{article}/transcript.json", "type": "application/json", "language": "en"},
        {"url": f"{article}/transcript.vtt", "type": "text/vtt", "language": "en"}]


def test_every_link_in_the_feed_answers(finished_client, finished_article_id) -> None:
    feed = read_feed(finished_client)
    (entry,) = feed.entries
    expected_type = {
        enclosure(entry)["href"]: "audio/mpeg",
        entry.podcast_chapters["url"]: "application/json+chapters",
        entry.podcast_transcript["url"]: entry.podcast_transcript["type"],
        feed.feed.link: "application/rss+xml",
        **{href: "application/rss+xml" for href in links(feed).values()},
    }
    # entry.link is the newsroom's article page, outside the app: the one link not followed.
    assert len(expected_type) == 4
    for url, media_type in expected_type.items():
        assert url.startswith("http://testserver.local/"), url
        response = finished_client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] == media_type, url
    chapters = json.loads(finished_client.get(entry.podcast_chapters["url"]).content)
    assert chapters["chapters"][0]["startTime"] == 0
    for url in (entry.podcast_transcript["url"].rsplit("/", 1)[0] + name
                for name in ("/transcript.vtt", "/transcript.json")):
        assert finished_client.get(url).status_code == 200, url
    audio = finished_client.get(enclosure(entry)["href"])
    assert len(audio.content) == int(enclosure(entry)["length"])


def test_empty_service_gives_a_feed_without_items(make_client) -> None:
    feed = read_feed(make_client(feed_title="Newsroom audio"))

    assert feed.feed.title == "Newsroom audio"
    assert feed.entries == []
    assert links(feed) == {"self": "http://testserver.local/feed.xml",
                           "first": "http://testserver.local/feed.xml",
                           "last": "http://testserver.local/feed.xml"}


def test_pages_link_to_each_other(posted_articles) -> None:
    client, (older, newer) = posted_articles
    first = read_feed(client, "/feed.xml?per_page=1")
    second = read_feed(client, links(first)["next"])

    assert [entry.id for entry in first.entries] == [newer]
    assert [entry.id for entry in second.entries] == [older]
    page = "http://testserver.local/feed.xml?{}per_page=1"
    assert links(first) == {"self": page.format(""), "first": page.format(""),
                            "last": page.format("page=2&"), "next": page.format("page=2&")}
    assert links(second) == {"self": page.format("page=2&"), "first": page.format(""),
                             "last": page.format("page=2&"), "previous": page.format("")}
    assert [entry.id for entry in read_feed(client, links(second)["previous"]).entries] == [newer]


def test_page_size_is_capped_and_checked(posted_articles) -> None:
    client, (older, newer) = posted_articles

    capped = read_feed(client, "/feed.xml?per_page=1000")
    assert [entry.id for entry in capped.entries] == [newer, older]
    assert links(capped)["self"] == "http://testserver.local/feed.xml?per_page=100"
    assert "next" not in links(capped)
    assert read_feed(client, "/feed.xml?page=9").entries == []
    assert client.get("/feed.xml?page=0").status_code == 400
    assert client.get("/feed.xml?per_page=0").status_code == 400


def test_posted_text_without_source_or_date(posted_articles) -> None:
    client, (_, newer) = posted_articles
    response = client.get("/feed.xml")
    title = ET.fromstring(response.content).find("channel/item/title")  # the newest item
    assert title is not None
    assert title.text == 'Q&A: <b>"Bridges"</b> reopen'  # as given, less the control character

    entry = read_feed(client).entries[0]
    assert entry.id == newer
    assert "link" not in entry  # no source page to point to
    assert "published_parsed" in entry  # when it was narrated stands in for the article's date
    assert DISCLOSURE in entry.summary


def test_public_url_makes_every_link(finished_data, make_client, tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(finished_data[0], data)
    client = vouched_client(make_client, data, public_url="https://audio.example.org/news/",
                            feed_image="https://example.org/cover.jpg",
                            disclosure_url="https://example.org/ai-policy")
    body = ET.fromstring(client.get("/feed.xml").content)
    feed = read_feed(client)

    base = "https://audio.example.org/news"
    entry = feed.entries[0]
    assert enclosure(entry)["href"] == f"{base}/v1/articles/{finished_data[1]}/audio.mp3"
    assert entry.podcast_chapters["url"].startswith(f"{base}/v1/articles/")
    assert entry.podcast_transcript["url"].startswith(f"{base}/v1/articles/")
    assert links(feed)["self"] == f"{base}/feed.xml"
    assert feed.feed.link == f"{base}/feed.xml"
    image = body.find(f"channel/{ITUNES}image")
    assert image is not None and image.get("href") == "https://example.org/cover.jpg"
    assert feed.feed.image["href"] == "https://example.org/cover.jpg"
    assert 'href="https://example.org/ai-policy"' in entry.summary
    assert body.find(f"channel/item/{PODCAST}chapters") is not None
