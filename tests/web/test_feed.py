"""GET /feed.xml as a podcast app reads it: feedparser over the real app's feed, and every link in
it followed back into the app."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest
from mutagen.mp3 import MP3

from tests.conftest import EXAMPLE_HTML, relabelled_voice
from tests.test_cover import claiming, png
from tests.web.conftest import EXAMPLE_URL, wait_done

PODCAST = "{https://podcastindex.org/namespace/1.0}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
DISCLOSURE = "This audio is created with AI assistance"
KEY = "newsroom-cms"
"""The feed holds only what audiobrief fetched itself or a key holder posted."""
AUTH = {"Authorization": f"Bearer {KEY}"}
PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""Podcasting 2.0's namespace for podcast:guid (UUIDv5 of the feed URL less its scheme)."""

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
    assert feed.feed.language == "en"  # the articles', not the voice's en-US
    assert feed.feed.podcast_locked == "no"
    assert [tag["term"] for tag in feed.feed.tags] == ["News"]
    (entry,) = feed.entries
    assert entry.title == status["title"]
    assert entry.id == status["article_id"]  # one episode however often the article is edited
    assert entry.guidislink is False
    assert enclosure(entry)["type"] == "audio/mpeg"
    assert int(enclosure(entry)["length"]) == len(mp3)
    assert abs(int(entry.itunes_duration) - MP3(io.BytesIO(mp3)).info.length) <= 1
    # article:published_time 2024-01-05T18:46:00+02:00, its time of day kept
    assert entry.published == "Fri, 05 Jan 2024 16:46:00 +0000"
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
        **{href: "application/rss+xml" for href in links(feed).values()},
    }
    # entry.link and the channel's link are the newsroom's pages, outside the app: not followed.
    assert feed.feed.link == "https://kyivindependent.com/"
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
    assert feed.feed.link == "https://kyivindependent.com/"  # the site, not the service
    guid = body.find(f"channel/{PODCAST}guid")
    assert guid is not None and guid.text == str(
        uuid.uuid5(PODCAST_NAMESPACE, "audio.example.org/news/feed.xml"))
    image = body.find(f"channel/{ITUNES}image")
    assert image is not None and image.get("href") == "https://example.org/cover.jpg"
    assert feed.feed.image["href"] == "https://example.org/cover.jpg"
    assert 'href="https://example.org/ai-policy"' in entry.summary
    assert body.find(f"channel/item/{PODCAST}chapters") is not None


def test_feed_has_what_podcast_directories_and_apps_read(finished_data, make_client,
                                                         tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(finished_data[0], data)
    client = vouched_client(make_client, data, feed_email="podcast@example.org",
                            feed_author="The Kyiv Independent")
    body = ET.fromstring(client.get("/feed.xml").content)
    feed = read_feed(client)

    assert feed.feed.publisher_detail == {"name": "The Kyiv Independent",
                                          "email": "podcast@example.org"}  # itunes:owner
    owner = body.find(f"channel/{ITUNES}owner")
    assert owner is not None and owner.findtext(f"{ITUNES}email") == "podcast@example.org"
    guid = body.findtext(f"channel/{PODCAST}guid")
    assert guid == str(uuid.uuid5(PODCAST_NAMESPACE, "testserver.local/feed.xml"))
    assert uuid.UUID(guid).version == 5
    (txt,) = body.findall(f"channel/{PODCAST}txt")
    assert (txt.get("purpose"), txt.text) == ("ai-content", "true")
    (person,) = body.findall(f"channel/item/{PODCAST}person")
    assert (person.text, person.get("group"), person.get("role")) == (
        "Dinara Khalilova", "writing", "author")


def test_description_lists_the_chapters_as_apps_read_them(finished_client,
                                                          finished_article_id) -> None:
    entry = read_feed(finished_client).entries[0]
    chapters = finished_client.get(entry.podcast_chapters["url"]).json()["chapters"]
    lines = re.findall(r"(?:<br\s*/?>|<p>)(\d\d:\d\d) ([^<]+)", entry.summary)
    assert len(chapters) == 2
    assert lines == [(f"{int(c['startTime']) // 60:02d}:{int(c['startTime']) % 60:02d}",
                      c["title"]) for c in chapters]
    assert lines[0][0] == "00:00"


@pytest.mark.parametrize(("byline", "people"), [
    ("Dinara Khalilova", ["Dinara Khalilova"]),
    ("By Anna Myroniuk and Alexander Khrebet", ["Anna Myroniuk", "Alexander Khrebet"]),
    ("Olena Goncharova; Kateryna Hodunova", ["Olena Goncharova", "Kateryna Hodunova"]),
    ("Kate Tsurkan, staff writer", ["Kate Tsurkan"]),
    ("", []),
])
def test_each_person_of_a_byline(byline: str, people: list[str]) -> None:
    from audiobrief.web.feed import bylined

    assert bylined(byline) == people


def test_podcast_guid_is_the_specs() -> None:
    from audiobrief.web.feed import podcast_guid

    # The Podcasting 2.0 namespace's own example.
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_channel_language_is_the_articles(make_client, tmp_path) -> None:
    voices = relabelled_voice(tmp_path / "voices", "de_DE-test-medium", "de_DE", "de")
    client = make_client(api_keys=(KEY,), voices=(voices,))
    text = ("Der Stadtrat hat am Dienstag den Haushalt für das kommende Jahr beschlossen. Die"
            " Opposition stimmte dagegen und kritisierte die hohen Ausgaben für neue Straßen.")
    response = client.post("/v1/articles", headers=AUTH, json={
        "title": "Haushalt beschlossen", "text": text})
    assert response.status_code == 202, response.text
    assert wait_done(client, response.json()["id"])["status"] == "done"
    assert read_feed(client).feed.language == "de"


def test_site_link_can_be_set(finished_data, make_client, tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(finished_data[0], data)
    client = vouched_client(make_client, data, feed_link="https://newsroom.example.org/audio")
    assert read_feed(client).feed.link == "https://newsroom.example.org/audio"


# --- cover art ----------------------------------------------------------------------------------

STORY = ("<html><head><title>Bridge reopens</title>{head}</head><body><article>"
         "<h1>Bridge reopens after repairs</h1><p>The city's main bridge reopened on Monday"
         " after three months of repairs, the mayor said.</p><p>Traffic was light in the"
         " morning, and buses returned to their usual routes by noon.</p></article></body></html>")


def picture(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def cover_in(client: Any, article_id: str) -> Any:
    """The front cover (APIC) of an article's MP3, or None."""
    from mutagen.id3 import ID3

    mp3 = client.get(f"/v1/articles/{article_id}/audio.mp3").content
    pictures = ID3(io.BytesIO(mp3)).getall("APIC")
    assert len(pictures) <= 1
    return pictures[0] if pictures else None


def narrated_story(client: Any, httpserver: Any, image: tuple[str, bytes] | None) -> str:
    """The story served on the local server (with an og:image of `image`'s content type and
    bytes, when given), narrated by the app from its URL; its id."""
    head = ""
    if image:
        httpserver.expect_request("/img/cover").respond_with_data(image[1],
                                                                  content_type=image[0])
        head = '<meta property="og:image" content="/img/cover">'
    httpserver.expect_request("/story").respond_with_data(STORY.format(head=head),
                                                          content_type="text/html")
    response = client.post("/v1/articles", json={"url": httpserver.url_for("/story")})
    assert response.status_code == 202, response.text
    assert wait_done(client, response.json()["id"])["status"] == "done"
    return response.json()["id"]


def test_the_articles_picture_is_the_episodes_cover(make_client, httpserver) -> None:
    from PIL import Image

    client = make_client(allow_hosts=("127.0.0.1", "localhost"))
    article_id = narrated_story(client, httpserver, ("image/png", picture(1200, 630)))

    cover = cover_in(client, article_id)
    assert cover is not None and (cover.mime, cover.type) == ("image/jpeg", 3)
    assert len(cover.data) <= 512_000
    assert Image.open(io.BytesIO(cover.data)).size == (1200, 630)
    (image,) = ET.fromstring(client.get("/feed.xml").content).findall(f"channel/item/{ITUNES}image")
    assert image.get("href") == httpserver.url_for("/img/cover")


@pytest.mark.parametrize(("image", "reason"), [
    # a few bytes that claim 10 gigapixels
    (("image/png", claiming(100_000, 100_000)), "could be decompression bomb"),
    (("image/png", claiming(6_000, 6_000)), "6000 × 6000 px is over 25000000 pixels"),
    (("image/jpeg", b"<html>Not found</html>"), "not an image that can be read"),
    (("text/html", picture(800, 800)), "it is text/html, not an image"),
    # 300 kB, over the size cap set below
    (("image/png", png(320, 320, noise=True)), "the limit is 0.2 MB"),
], ids=["bomb", "huge", "not-an-image", "a-page", "over-the-cap"])
def test_a_hostile_picture_gives_no_cover_and_no_failure(make_client, httpserver,
                                                         image: tuple[str, bytes],
                                                         reason: str) -> None:
    client = make_client(allow_hosts=("127.0.0.1", "localhost"), max_source_bytes=200_000)
    with logged("audiobrief.cover") as messages:
        article_id = narrated_story(client, httpserver, image)
    assert cover_in(client, article_id) is None  # the audio is there, without a cover
    assert any(reason in message for message in messages), messages


@contextlib.contextmanager
def logged(name: str) -> Iterator[list[str]]:
    """The messages `name` logs meanwhile, from any thread (the app's start configures logging
    anew, which takes caplog's handler away)."""
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_the_feeds_own_image_file_is_served_and_stands_in_for_a_missing_picture(
        make_client, httpserver, tmp_path, caplog) -> None:
    from PIL import Image

    path = tmp_path / "podcast.png"
    path.write_bytes(picture(1400, 1400))
    with caplog.at_level(logging.WARNING, logger="audiobrief.web.feed"):
        client = make_client(allow_hosts=("127.0.0.1", "localhost"), feed_image=str(path))
    assert "AUDIOBRIEF_FEED_IMAGE" not in caplog.text and "no image" not in caplog.text

    feed = read_feed(client)
    assert feed.feed.image["href"] == "http://testserver.local/feed/cover.jpg"
    served = client.get("/feed/cover.jpg")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == (1400, 1400)

    article_id = narrated_story(client, httpserver, None)
    cover = cover_in(client, article_id)
    assert cover is not None and cover.data == served.content


@pytest.mark.parametrize(("feed_image", "warning"), [
    (None, "the podcast feed has no image: set AUDIOBRIEF_FEED_IMAGE"),
    ("wide.png", "wide.png: it is 1600 × 900 px, not square"),
    ("missing.png", "missing.png: it is no image that can be read; the feed has no image"),
], ids=["none", "not-square", "missing"])
def test_a_feed_without_a_usable_image_says_so_at_start(make_client, tmp_path, caplog,
                                                        feed_image: str | None,
                                                        warning: str) -> None:
    (tmp_path / "wide.png").write_bytes(picture(1600, 900))
    with caplog.at_level(logging.WARNING, logger="audiobrief.web.feed"):
        client = make_client(feed_image=str(tmp_path / feed_image) if feed_image else None)
    assert warning in caplog.text
    if feed_image == "missing.png":
        assert client.get("/feed/cover.jpg").status_code == 404
        assert "image" not in read_feed(client).feed
