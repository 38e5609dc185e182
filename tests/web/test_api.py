"""The /v1 API end to end: the real app, the real voice, real SQLite, mutagen reading the MP3."""

from __future__ import annotations

import io
import shutil
import time

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from tests.conftest import EXAMPLE_HTML, GERMAN_HTML, relabelled_voice
from tests.web.conftest import EXAMPLE_URL, wait_done

SHORT = "Morning notes\n\nKharkiv was quiet on Friday. The governor said so at 9 a.m."


def test_posted_page_becomes_a_chaptered_mp3(finished_client, finished_article_id) -> None:
    status = finished_client.get(f"/v1/articles/{finished_article_id}").json()
    assert status["status"] == "done"
    assert status["progress"] == {"done": 10, "total": 10}
    assert status["title"].startswith("Governor: Russia attacked Kharkiv Oblast")
    assert status["byline"] == "Dinara Khalilova"
    assert status["url"] == EXAMPLE_URL
    audio = finished_client.get(status["links"]["audio"])
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    assert int(audio.headers["content-length"]) == len(audio.content)
    mp3 = MP3(io.BytesIO(audio.content))
    assert abs(mp3.info.length - status["duration"]) < 0.05
    chapters = sorted(ID3(io.BytesIO(audio.content)).getall("CHAP"), key=lambda c: c.start_time)
    assert [c.start_time for c in chapters] == [round(c["start"] * 1000)
                                                for c in status["chapters"]]
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == [c["title"]
                                                             for c in status["chapters"]]
    # Sentences tile the audio in order, each inside the file.
    sentences = status["sentences"]
    assert len(sentences) == 10
    assert all(a["end"] <= b["start"] for a, b in zip(sentences, sentences[1:], strict=False))
    assert sentences[-1]["end"] <= status["duration"]


def test_the_same_article_again_is_the_same_audio(finished_client, finished_article_id) -> None:
    again = finished_client.post("/v1/articles", json={
        "html": EXAMPLE_HTML.read_text(encoding="utf-8"), "url": EXAMPLE_URL})
    assert again.status_code == 200
    assert again.json()["id"] == finished_article_id
    assert again.json()["status"] == "done"
    other_speed = finished_client.post("/v1/articles", json={
        "html": EXAMPLE_HTML.read_text(encoding="utf-8"), "url": EXAMPLE_URL, "speed": 1.25})
    assert other_speed.status_code == 202
    assert other_speed.json()["id"] != finished_article_id


def test_range_etag_and_cache_headers(finished_client, finished_article_id) -> None:
    url = f"/v1/articles/{finished_article_id}/audio.mp3"
    whole = finished_client.get(url)
    body, etag = whole.content, whole.headers["etag"]
    assert whole.headers["accept-ranges"] == "bytes"
    assert "max-age=31536000" in whole.headers["cache-control"]

    part = finished_client.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == body[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(body)}"
    assert part.headers["content-length"] == "1000"

    tail = finished_client.get(url, headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == body[-500:]
    open_ended = finished_client.get(url, headers={"Range": f"bytes={len(body) - 10}-"})
    assert open_ended.status_code == 206 and open_ended.content == body[-10:]

    beyond = finished_client.get(url, headers={"Range": f"bytes={len(body)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(body)}"

    cached = finished_client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    stale_if_range = finished_client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    assert stale_if_range.status_code == 200 and stale_if_range.content == body


def test_sidecars_carry_the_same_times(finished_client, finished_article_id) -> None:
    base = f"/v1/articles/{finished_article_id}"
    status = finished_client.get(base).json()
    chapters = finished_client.get(f"{base}/chapters.json")
    assert chapters.status_code == 200
    assert [c["startTime"] for c in chapters.json()["chapters"]] == [
        c["start"] for c in status["chapters"]]
    transcript = finished_client.get(f"{base}/transcript.vtt")
    assert transcript.headers["content-type"].startswith("text/vtt")
    assert transcript.text.startswith("WEBVTT")
    # Cues of about 80 characters: more than one for a long sentence, each word timed.
    assert transcript.text.count(" --> ") > len(status["sentences"])
    assert "<00:00:0" in transcript.text
    words = finished_client.get(f"{base}/transcript.json")
    assert words.headers["content-type"].startswith("application/json")
    segments = words.json()["segments"]
    said = " ".join(segment["body"] for segment in segments)
    assert " ".join(s["text"] for s in status["sentences"]).startswith(said[:200])
    assert all(a["startTime"] <= b["startTime"]
               for a, b in zip(segments, segments[1:], strict=False))
    assert segments[-1]["endTime"] <= status["duration"]
    chapter_cues = finished_client.get(f"{base}/chapters.vtt").text
    assert status["chapters"][0]["title"] in chapter_cues


def test_text_with_user_lexicon_is_narrated(make_client) -> None:
    client = make_client()
    created = client.post("/v1/articles", json={
        "text": SHORT, "chapters": "none", "lexicon": {"Kharkiv": "hˈɑːɹkɪf"}})
    assert created.status_code == 202, created.text
    assert created.headers["location"] == created.json()["links"]["self"]
    status = wait_done(client, created.json()["id"])
    assert status["status"] == "done"
    assert status["title"] == "Morning notes"
    assert status["chapters"] == []
    assert [s["text"] for s in status["sentences"]][-2:] == [
        "Kharkiv was quiet on Friday.", "The governor said so at 9 a.m."]
    mp3 = client.get(status["links"]["audio"]).content
    assert ID3(io.BytesIO(mp3)).getall("CHAP") == []
    assert MP3(io.BytesIO(mp3)).info.length == pytest.approx(status["duration"], abs=0.05)
    # The lexicon took effect: the id hashes what is said, and without it the same text is
    # another article.
    plain = client.post("/v1/articles", json={"text": SHORT, "chapters": "none"})
    assert plain.status_code == 202 and plain.json()["id"] != created.json()["id"]


def test_text_without_a_title_is_read_once(make_client) -> None:
    client = make_client()
    created = client.post("/v1/articles", json={"text": "Kharkiv was quiet on Friday."})
    assert created.status_code == 202, created.text
    status = wait_done(client, created.json()["id"])
    assert [s["text"] for s in status["sentences"]] == ["Kharkiv was quiet on Friday."]
    assert status["title"] == "Kharkiv was quiet on Friday."


def test_progress_is_reported_while_running(make_client) -> None:
    client = make_client()  # one worker: the article waits behind another, so none is missed
    ahead = " ".join(f"Item {n} of the first article." for n in range(30))
    assert client.post("/v1/articles", json={"text": "First\n\n" + ahead}).status_code == 202
    text = "Long notes\n\n" + " ".join(f"Sentence number {n} is read aloud." for n in range(12))
    article_id = client.post("/v1/articles", json={"text": text}).json()["id"]
    seen = set()
    deadline = time.monotonic() + 120
    while (status := client.get(f"/v1/articles/{article_id}").json())["status"] != "done":
        assert time.monotonic() < deadline, f"not done after 120 s: {status}"
        seen.add((status["status"], status["progress"]["done"]))
    # The title, then the twelve sentences.
    assert status["progress"] == {"done": 13, "total": 13}
    assert any(state == "running" and 0 < done < 13 for state, done in seen), seen


def test_audio_of_a_running_job_streams_the_same_frames(make_client) -> None:
    client = make_client()  # one worker: the article waits behind another, so it is not done
    ahead = " ".join(f"Item {n} of the first article." for n in range(30))
    assert client.post("/v1/articles", json={"text": "First\n\n" + ahead}).status_code == 202
    text = "Streamed\n\n" + " ".join(f"Part {n} of the story is here." for n in range(6))
    article_id = client.post("/v1/articles", json={"text": text}).json()["id"]
    assert client.get(f"/v1/articles/{article_id}").json()["status"] == "queued"
    streamed = client.get(f"/v1/articles/{article_id}/audio.mp3")
    assert streamed.status_code == 200
    assert streamed.headers["cache-control"] == "no-store"
    assert wait_done(client, article_id)["status"] == "done"
    final = client.get(f"/v1/articles/{article_id}/audio.mp3").content
    # The final file is the tag and an Info frame, then exactly the streamed frames.
    assert len(streamed.content) > 10_000
    assert final.endswith(streamed.content)


def test_an_article_is_read_by_a_voice_of_its_language(voice, tmp_path) -> None:
    from litestar.testing import TestClient

    from audiobrief.settings import Settings
    from audiobrief.web.app import create_app

    german = relabelled_voice(tmp_path / "voices", "de_DE-anna-medium", "de_DE", "de")
    settings = Settings(data=tmp_path / "data", workers=1, voices=(german,))
    # The session's model plays the German voice too, so that no other model is loaded.
    app = create_app(settings, voices={voice.spec.name: voice, "de_DE-anna-medium": voice})
    page = GERMAN_HTML.read_text(encoding="utf-8")
    with TestClient(app) as client:
        for body, language, chosen in [
                ({"html": page}, "de", "de_DE-anna-medium"),
                ({"html": page, "voice": voice.spec.name, "language": "en"}, "en",
                 voice.spec.name)]:
            created = client.post("/v1/articles", json=body)
            assert created.status_code == 202, created.text
            status = client.get(f"/v1/articles/{created.json()['id']}").json()
            assert (status["language"], status["voice"]) == (language, chosen)


def test_openapi_schema_is_served(make_client) -> None:
    schema = make_client().get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/v1/articles" in schema.json()["paths"]


def test_health_and_metrics(finished_client) -> None:
    health = finished_client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    metrics = finished_client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    from prometheus_client.parser import text_string_to_metric_families

    samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
               for family in text_string_to_metric_families(metrics.text)
               for sample in family.samples}
    assert samples[("audiobrief_jobs", (("status", "done"),))] == 1
    assert samples[("audiobrief_jobs", (("status", "queued"),))] == 0
    for counter in ("synthesis_seconds", "audio_seconds", "jobs_finished", "jobs_failed"):
        assert samples[(f"audiobrief_{counter}_total", ())] >= 0


def test_cors_lets_other_sites_read_audio(finished_client, finished_article_id) -> None:
    response = finished_client.get(f"/v1/articles/{finished_article_id}/audio.mp3",
                                   headers={"Origin": "https://kyivindependent.com"})
    assert response.headers["access-control-allow-origin"] in ("*", "https://kyivindependent.com")
    assert "content-range" in response.headers["access-control-expose-headers"].lower()


def test_api_keys_guard_writing_not_reading(finished_data, make_client, tmp_path) -> None:
    data = tmp_path / "keys-copy"
    shutil.copytree(finished_data[0], data)
    client = make_client(data=data, api_keys=("s3cret",))
    body = {"text": SHORT}
    refused = client.post("/v1/articles", json=body)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.post("/v1/articles", json=body,
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/v1/articles", json=body,
                       headers={"Authorization": "Bearer s3cret"}).status_code == 202
    again = client.post("/v1/articles", json=body, headers={"X-API-Key": "s3cret"})
    assert again.status_code == 200
    article_id = finished_data[1]
    assert client.get(f"/v1/articles/{article_id}/audio.mp3").status_code == 200
    assert client.get(f"/v1/articles/{article_id}").status_code == 200


def test_lookup_by_url_needs_no_key(finished_data, make_client, tmp_path) -> None:
    data = tmp_path / "lookup-copy"
    shutil.copytree(finished_data[0], data)
    client = make_client(data=data, api_keys=("s3cret",))
    # Posted anonymously, the page does not answer for its URL until a key holder vouches for it.
    assert client.get("/v1/articles", params={"url": EXAMPLE_URL}).status_code == 404
    vouched = client.post("/v1/articles", headers={"Authorization": "Bearer s3cret"}, json={
        "html": EXAMPLE_HTML.read_text(encoding="utf-8"), "url": EXAMPLE_URL})
    assert vouched.status_code == 200
    found = client.get("/v1/articles", params={"url": EXAMPLE_URL})
    assert found.status_code == 200
    assert found.json()["id"] == finished_data[1]
    missing = client.get("/v1/articles", params={"url": "https://example.org/nothing"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_embed_page_and_script_are_served(finished_client, finished_article_id) -> None:
    page = finished_client.get(f"/embed/{finished_article_id}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "This audio is created with AI assistance" in page.text
    assert finished_client.get("/embed/0123456789abcdef").status_code == 404
    script = finished_client.get("/embed.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "http://testserver.local" in script.text


def test_sidecars_wait_for_the_audio_and_unknown_ones_are_404(make_client,
                                                               finished_client,
                                                               finished_article_id) -> None:
    missing = finished_client.get(f"/v1/articles/{finished_article_id}/chapters.srt")
    assert missing.status_code == 404
    assert "transcript.vtt" in missing.json()["detail"]
    client = make_client()
    text = "Pending\n\n" + " ".join(f"Line {n} of a longer note is here." for n in range(8))
    article_id = client.post("/v1/articles", json={"text": text}).json()["id"]
    early = client.get(f"/v1/articles/{article_id}/transcript.vtt")
    assert early.status_code == 409
    assert int(early.headers["retry-after"]) > 0
    assert wait_done(client, article_id)["status"] == "done"
    assert client.get(f"/v1/articles/{article_id}/transcript.vtt").status_code == 200


def test_files_past_the_memory_cache_stream_from_disk(finished_client, finished_article_id,
                                                       monkeypatch) -> None:
    from audiobrief.web import audio

    url = f"/v1/articles/{finished_article_id}/audio.mp3"
    whole = finished_client.get(url).content
    # Long-form audio (hours) is not held in memory (audio.answer_cached): it streams from disk.
    monkeypatch.setattr(audio, "IN_MEMORY_MAX", 10_000)
    streamed = finished_client.get(url)
    assert streamed.status_code == 200 and streamed.content == whole
    part = finished_client.get(url, headers={"Range": "bytes=20000-"})
    assert part.status_code == 206 and part.content == whole[20000:]
    small = finished_client.get(url, headers={"Range": "bytes=0-99"})
    assert small.status_code == 206 and small.content == whole[:100]
