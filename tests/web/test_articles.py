"""An article across its life, as a CMS drives it with its key: edits are versions of one article
(one feed item, lookups answer the newest audio), the list of articles, and withdrawal (410 from
then on, idempotent), over the real app, voice and SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.web.conftest import wait_done

KEY = "newsroom-cms"
AUTH = {"Authorization": f"Bearer {KEY}"}
URL = "https://news.example/2026/12/council-budget/"
FIRST = {"url": URL, "title": "Council meets",
         "text": "The council met on Tuesday. It approved the budget. Members went home."}
EDITED = {**FIRST, "text": "The council met on Tuesday. It approved the budget at last."
                           " Members went home."}
PROBLEM = "application/problem+json"


@pytest.fixture
def cms(make_client) -> Any:
    """The app with API keys set, as a newsroom runs it."""
    return make_client(api_keys=(KEY,))


def post(client: Any, article: dict[str, Any], status: int = 202) -> dict[str, Any]:
    response = client.post("/v1/articles", json=article, headers=AUTH)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    if status in (200, 202):
        assert wait_done(client, body["id"])["status"] == "done"
    return body


def sentence_files(client: Any) -> int:
    data: Path = client.app.state.service.settings.data
    return sum(1 for path in (data / "sentences").rglob("*.pcm")
               if not path.stem.endswith("-words"))


def feed_items(client: Any) -> list[Any]:
    response = client.get("/feed.xml")
    assert response.status_code == 200
    return list(feedparser.parse(response.content).entries)


def test_an_edit_is_a_new_version_of_the_same_article(cms) -> None:
    first = post(cms, FIRST)
    made = sentence_files(cms)
    edited = post(cms, EDITED)

    assert edited["id"] != first["id"] and edited["article_id"] == first["article_id"]
    # Only the changed sentence was synthesised; the others came from the sentence cache.
    assert sentence_files(cms) == made + 1
    article = first["article_id"]
    assert cms.get("/v1/articles", params={"url": URL}).json()["id"] == edited["id"]
    redirect = cms.get("/v1/audio.mp3", params={"url": URL}, follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (
        302, f"/v1/articles/{edited['id']}/audio.mp3")
    status = cms.get(f"/v1/articles/{article}").json()
    assert (status["id"], status["article_id"]) == (edited["id"], article)
    assert "It approved the budget at last." in [each["text"] for each in status["sentences"]]
    audio = cms.get(f"/v1/articles/{article}/audio.mp3", follow_redirects=False)
    assert audio.headers["location"] == f"/v1/articles/{edited['id']}/audio.mp3"
    chapters = cms.get(f"/v1/articles/{article}/chapters.vtt", follow_redirects=False)
    assert chapters.headers["location"] == f"/v1/articles/{edited['id']}/chapters.vtt"
    # The first version's own links keep their audio (an old embed still plays).
    assert cms.get(f"/v1/articles/{first['id']}/audio.mp3").status_code == 200

    (item,) = feed_items(cms)
    assert item.id == article
    assert f"/v1/articles/{edited['id']}/audio.mp3" in item.enclosures[0]["href"]

    # Back to the first text: its audio answers again, and nothing is made.
    again = post(cms, FIRST, status=200)
    assert again["id"] == first["id"]
    assert cms.get("/v1/articles", params={"url": URL}).json()["id"] == first["id"]
    (item,) = feed_items(cms)
    assert (item.id, item.enclosures[0]["href"].count(first["id"])) == (article, 1)


def test_an_external_id_is_one_article_whatever_its_url(cms, make_client) -> None:
    draft = post(cms, {**FIRST, "url": "https://news.example/preview/123/",
                       "external_id": "cms-123"})
    final = post(cms, {**EDITED, "external_id": "cms-123"})
    assert draft["article_id"] == final["article_id"]
    found = cms.get("/v1/articles", params={"external_id": "cms-123"}).json()
    assert found["id"] == final["id"]
    listed = cms.get("/v1/articles", headers=AUTH).json()["articles"]
    assert [(item["id"], item["external_id"], item["url"]) for item in listed] == [
        (final["article_id"], "cms-123", URL)]

    # Naming an article for good is a key holder's: without keys set, nobody is one.
    open_service = make_client()
    response = open_service.post("/v1/articles", json={**FIRST, "external_id": "x"})
    assert (response.status_code, response.headers["content-type"]) == (401, PROBLEM)
    assert "external_id" in response.json()["detail"]


def test_articles_are_listed_newest_first_in_pages(cms) -> None:
    posted = [post(cms, {"url": f"https://news.example/{section}/{n}/", "title": f"Story {n}",
                         "text": f"Story number {n} happened today."})
              for n, section in enumerate(["world", "local", "world"])]
    post(cms, {"url": "https://news.example/world/0/", "title": "Story 0",
               "text": "Story number 0 happened today, again."})
    newest_first = [posted[0], posted[2], posted[1]]

    page = cms.get("/v1/articles", params={"limit": 2}, headers=AUTH)
    assert page.status_code == 200, page.text
    first = page.json()
    assert [item["id"] for item in first["articles"]] == [
        article["article_id"] for article in newest_first[:2]]
    assert first["articles"][0]["status"] == "done"
    assert first["articles"][0]["answering"] == first["articles"][0]["version"]
    rest = cms.get(first["next"], headers=AUTH).json()
    assert [item["id"] for item in rest["articles"]] == [newest_first[2]["article_id"]]
    assert rest["next"] is None

    world = cms.get("/v1/articles", params={"url_prefix": "https://news.example/world/"},
                    headers=AUTH).json()
    assert [item["url"] for item in world["articles"]] == [
        "https://news.example/world/0/", "https://news.example/world/2/"]
    failed = cms.get("/v1/articles", params={"status": "failed"}, headers=AUTH).json()
    assert failed == {"articles": [], "next": None}


@pytest.mark.parametrize(("query", "status"), [
    ({}, 401),
    ({"limit": 0}, 400),
    ({"limit": 101}, 400),
    ({"status": "finished"}, 400),
    ({"cursor": "not-a-cursor"}, 400),
], ids=["no key", "limit 0", "limit 101", "unknown status", "forged cursor"])
def test_a_list_that_cannot_be_given_is_refused(cms, query: dict[str, Any], status: int) -> None:
    headers = AUTH if status != 401 else {}
    response = cms.get("/v1/articles", params=query, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (status, PROBLEM)
    assert response.json()["status"] == status


def test_a_withdrawn_article_answers_410_everywhere(cms) -> None:
    first = post(cms, FIRST)
    edited = post(cms, EDITED)
    article = edited["article_id"]
    audio = cms.app.state.service.settings.data / "audio"
    assert (audio / f"{first['id']}.mp3").exists()

    assert cms.delete(f"/v1/articles/{first['id']}").status_code == 401
    response = cms.delete(f"/v1/articles/{first['id']}", headers=AUTH)
    assert (response.status_code, response.content) == (204, b"")

    for path in (f"/v1/articles/{article}", f"/v1/articles/{first['id']}",
                 f"/v1/articles/{edited['id']}", f"/v1/articles/{edited['id']}/audio.mp3",
                 f"/v1/articles/{article}/audio.mp3", f"/v1/articles/{edited['id']}/chapters.json",
                 f"/v1/articles/{edited['id']}/transcript.vtt", f"/v1/articles?url={URL}",
                 f"/v1/audio.mp3?url={URL}"):
        gone = cms.get(path)
        assert (gone.status_code, gone.headers["content-type"]) == (410, PROBLEM), path
        assert gone.json()["title"] == "Withdrawn"
    player = cms.get(f"/embed/{article}")
    assert (player.status_code, player.headers["content-type"]) == (
        410, "text/html; charset=utf-8")
    assert feed_items(cms) == []
    assert list(audio.glob("*.mp3")) == []
    assert cms.get("/v1/articles", headers=AUTH).json()["articles"] == []

    # Again, by the article's id or a version's: the same answer; an id never known is 404.
    for again in (article, edited["id"]):
        assert cms.delete(f"/v1/articles/{again}", headers=AUTH).status_code == 204
    assert cms.delete(f"/v1/articles/{'0' * 32}", headers=AUTH).status_code == 404

    # The newsroom publishes it again: a new life for the URL, the old versions stay gone.
    published = post(cms, EDITED)
    assert cms.get("/v1/articles", params={"url": URL}).json()["id"] == published["id"]
    assert cms.get(f"/v1/articles/{first['id']}").status_code == 410


def test_an_anonymous_post_cannot_bring_a_withdrawn_text_back(make_client) -> None:
    client = make_client()  # no keys: anyone may post, nobody vouches for a posted text
    response = client.post("/v1/articles", json={"title": "Rumour", "text": "A rumour spread."})
    assert response.status_code == 202
    version = response.json()["id"]
    wait_done(client, version)
    assert client.delete(f"/v1/articles/{version}").status_code == 204
    again = client.post("/v1/articles", json={"title": "Rumour", "text": "A rumour spread."})
    assert (again.status_code, again.json()["title"]) == (410, "Withdrawn")


def test_a_cms_page_may_withdraw_and_another_sites_may_not(make_client) -> None:
    client = make_client(api_keys=(KEY,), cors_write_origins=("https://cms.example.org",))

    def preflight(origin: str) -> Any:
        return client.options(f"/v1/articles/{'0' * 32}", headers={
            "Origin": origin, "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization"})

    allowed = preflight("https://cms.example.org")
    assert allowed.status_code == 204
    assert "DELETE" in allowed.headers["access-control-allow-methods"]
    assert preflight("https://blog.example").status_code == 403


def _page(canonical: str, text: str) -> str:
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in text.split(". "))
    return (f'<html><head><title>Bridge reopens</title><link rel="canonical" href="{canonical}">'
            f"</head><body><article><h1>Bridge reopens</h1>{paragraphs}</article></body></html>")


STORY = ("The bridge over the river reopened on Monday after two years of repairs. Traffic was"
         " light in the morning and heavier by the evening. The city said the work cost less"
         " than planned. Drivers welcomed the shorter way into the centre")


def test_an_article_is_known_by_its_canonical_url_whatever_link_reached_it(cms) -> None:
    canonical = "https://news.example/2026/12/bridge-reopens/"
    first = post(cms, {"url": "https://www.news.example/amp/2026/12/bridge-reopens/"
                              "?utm_source=twitter#comments",
                       "html": _page(canonical, STORY)})
    for link in (canonical, canonical + "?utm_medium=email&fbclid=abc",
                 "https://www.news.example/amp/2026/12/bridge-reopens/?utm_source=rss"):
        found = cms.get("/v1/articles", params={"url": link})
        assert found.status_code == 200, (link, found.text)
        assert found.json()["id"] == first["id"]
    edited = post(cms, {"url": canonical + "?utm_campaign=morning",
                        "html": _page(canonical, STORY + ". A second lane opens in May")})
    assert edited["article_id"] == first["article_id"] and edited["id"] != first["id"]
    assert cms.get("/v1/articles", params={"url": canonical}).json()["id"] == edited["id"]


def test_a_page_cannot_name_another_sites_address_as_its_own(cms) -> None:
    post(cms, {"url": "https://blog.example/copy/", "html": _page(
        "https://news.example/2026/12/bridge-reopens/", STORY)})
    found = cms.get("/v1/articles", params={"url": "https://news.example/2026/12/bridge-reopens/"})
    assert found.status_code == 404
    assert cms.get("/v1/articles", params={"url": "https://blog.example/copy/"}
                   ).status_code == 200
