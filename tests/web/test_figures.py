"""Listening figures with the real app over a finished article: the player's events counted into
plays, completion rate and share listened by day; Do-Not-Track and GPC honoured; the events
bounded (size, rate, known articles); the figures and the desk page behind the key."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

KEY = "newsroom-cms"
AUTH = {"X-API-Key": KEY}
BEACON = {"Content-Type": "text/plain;charset=UTF-8"}
"""What navigator.sendBeacon sends a string as."""


@pytest.fixture
def client(finished_data, make_client, tmp_path) -> Any:
    import shutil

    data = tmp_path / "finished-copy"
    shutil.copytree(finished_data[0], data)
    return make_client(data=data, api_keys=(KEY,), events_per_minute=1000)


def send(client: Any, article_id: str, kind: str, times: int = 1,
         headers: dict[str, str] | None = None) -> None:
    for _ in range(times):
        response = client.post("/v1/events", content=json.dumps({"article": article_id,
                                                                  "kind": kind}),
                               headers={**BEACON, **(headers or {})})
        assert response.status_code == 204, response.text


def test_events_make_plays_completion_and_share_listened(client, finished_article_id) -> None:
    # Four plays: one stopped before a quarter, one past half, one past three quarters, one
    # to the end; two chapter jumps.
    send(client, finished_article_id, "play", 4)
    send(client, finished_article_id, "25", 3)
    send(client, finished_article_id, "50", 3)
    send(client, finished_article_id, "75", 2)
    send(client, finished_article_id, "complete", 1)
    send(client, finished_article_id, "chapter", 2)

    response = client.get(f"/v1/articles/{finished_article_id}/stats", headers=AUTH)
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["plays"] == 4 and figures["completes"] == 1
    assert figures["completion_rate"] == 0.25
    # Each play counts the last quarter it reached: (0 + 0.5 + 0.75 + 1) / 4.
    assert figures["average_share"] == pytest.approx(0.5625)
    assert figures["chapter_jumps"] == 2
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    [day] = figures["by_day"]
    assert day["day"] == today and day["plays"] == 4 and day["completion_rate"] == 0.25

    most = client.get("/v1/stats", headers=AUTH).json()
    assert [article["id"] for article in most["articles"]] == [finished_article_id]
    assert most["articles"][0]["plays"] == 4 and most["articles"][0]["title"]

    metrics = client.get("/metrics").text
    assert 'audiobrief_listen_events_total{kind="play"} 4.0' in metrics
    assert 'audiobrief_listen_events_total{kind="complete"} 1.0' in metrics


def test_figures_outlive_a_restart(finished_data, make_client, tmp_path,
                                   finished_article_id) -> None:
    import shutil

    data = tmp_path / "restarted"
    shutil.copytree(finished_data[0], data)
    first = make_client(data=data)
    send(first, finished_article_id, "play", 2)
    first.__exit__(None, None, None)  # stopping writes the tally kept in memory
    second = make_client(data=data, workers=1)
    assert second.get(f"/v1/articles/{finished_article_id}/stats").json()["plays"] == 2


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}], ids=["dnt", "gpc"])
def test_a_browser_that_asks_not_to_be_counted_is_not(client, finished_article_id,
                                                      header: dict[str, str]) -> None:
    send(client, finished_article_id, "play", 3, headers=header)
    send(client, finished_article_id, "play", 1)
    figures = client.get(f"/v1/articles/{finished_article_id}/stats", headers=AUTH).json()
    assert figures["plays"] == 1


def test_events_set_and_read_no_cookie(client, finished_article_id) -> None:
    response = client.post("/v1/events", headers={**BEACON, "Cookie": "tracking=1"},
                           content=json.dumps({"article": finished_article_id, "kind": "play"}))
    assert response.status_code == 204
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(("body", "status"), [
    ({"article": "0123abcd", "kind": "play"}, 404),
    ({"kind": "play"}, 400),
    ({"article": "ID", "kind": "listened-for-a-bit"}, 400),
    ({"article": "ID", "kind": "play", "listener": "ann@example.org"}, 400),
    ({"article": "ID", "kind": "play", "padding": "x" * 600}, 413),
], ids=["unknown-article", "no-article", "unknown-kind", "personal-data", "too-large"])
def test_a_bad_event_is_refused(client, finished_article_id, body: dict[str, str],
                                status: int) -> None:
    text = json.dumps(body).replace('"ID"', json.dumps(finished_article_id))
    response = client.post("/v1/events", content=text, headers=BEACON)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/v1/articles/{finished_article_id}/stats",
                      headers=AUTH).json()["plays"] == 0


def test_a_client_sending_too_many_events_is_refused(finished_data, make_client,
                                                     finished_article_id, tmp_path) -> None:
    import shutil

    data = tmp_path / "limited"
    shutil.copytree(finished_data[0], data)
    client = make_client(data=data, events_per_minute=5)
    send(client, finished_article_id, "play", 5)
    response = client.post("/v1/events", headers=BEACON, content=json.dumps(
        {"article": finished_article_id, "kind": "play"}))
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert client.get(f"/v1/articles/{finished_article_id}/stats").json()["plays"] == 5


def test_the_figures_need_the_key(client, finished_article_id) -> None:
    assert client.get(f"/v1/articles/{finished_article_id}/stats").status_code == 401
    assert client.get("/v1/stats").status_code == 401
    assert client.get("/v1/articles/0123abcd/stats", headers=AUTH).status_code == 404
    assert client.get(f"/v1/articles/{finished_article_id}/stats?days=0",
                      headers=AUTH).status_code == 400


def test_the_desk_page_reads_its_figures_with_the_key(client) -> None:
    response = client.get("/desk/stats")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<h1>Listening figures</h1>" in page
    assert 'type="password"' in page and '"X-API-Key"' in page
    assert "/v1/stats" in page
