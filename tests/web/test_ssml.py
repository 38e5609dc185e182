"""SSML over HTTP: POST /v1/articles' `ssml` and /v1/audio/speech input starting with <speak>,
narrated by the real voice, and refused (400 naming the field and the line) when outside the
subset."""

from __future__ import annotations

import time

import pytest

from tests.test_script_ssml import BILLION_LAUGHS
from tests.web.conftest import wait_done
from tests.web.test_refusals import problem

BRIEF = """<speak version="1.1" xml:lang="en-US">
  <p><s>Kharkiv was hit on <say-as interpret-as="date" format="mdy">3/5/2024</say-as>.</s>
  <break time="1500ms"/>
  <s>The <sub alias="Security Service of Ukraine">SBU</sub> said so.</s></p>
</speak>"""


def test_posted_ssml_is_narrated_with_its_breaks(make_client) -> None:
    client = make_client()
    created = client.post("/v1/articles", json={"ssml": BRIEF, "url": "https://news.example/b"})
    assert created.status_code == 202, created.text
    status = wait_done(client, created.json()["id"])
    assert status["status"] == "done", status["error"]
    assert status["title"] == "Kharkiv was hit on 3/5/2024."
    first, second = status["sentences"]
    assert (first["text"], second["text"]) == ("Kharkiv was hit on 3/5/2024.", "The SBU said so.")
    assert second["start"] - first["end"] == pytest.approx(1.5, abs=0.002)
    assert [c["title"] for c in status["chapters"]] == ["Kharkiv was hit on 3/5/2024."]
    # The same document is the same article; one more break is another.
    again = client.post("/v1/articles", json={"ssml": BRIEF, "url": "https://news.example/b"})
    assert again.json()["id"] == created.json()["id"]
    other = client.post("/v1/articles", json={"ssml": BRIEF.replace("1500ms", "2s")})
    assert other.json()["id"] != created.json()["id"]


@pytest.mark.parametrize(("body", "words"), [
    pytest.param({"ssml": '<speak>\n<s>Hi.</s>\n<audio src="a.mp3"/></speak>'},
                 "the posted ssml, line 3: <audio> is not supported SSML here; use one of",
                 id="unknown element"),
    pytest.param({"ssml": '<speak>\n\n<prosody volume="loud">Hi.</prosody></speak>'},
                 "the posted ssml, line 3: <prosody volume> is not supported SSML here",
                 id="unknown attribute"),
    pytest.param({"ssml": '<speak>\n<phoneme ph="k☃v">Kyiv</phoneme></speak>'},
                 "line 2: '☃' (U+2603) is not a phoneme of the voice", id="bad phoneme"),
    pytest.param({"ssml": "<speak><s>Hi.</speak>"}, "is not well-formed XML: line 1",
                 id="malformed"),
    pytest.param({"ssml": "<speak>Hi.</speak>", "text": "Hi."},
                 "exactly one of url, html, text or ssml", id="two sources"),
])
def test_ssml_outside_the_subset_is_a_400_naming_its_line(make_client, body, words) -> None:
    problem(make_client().post("/v1/articles", json=body), 400, words)


@pytest.mark.timeout(10)
def test_billion_laughs_is_refused_at_once(make_client) -> None:
    client = make_client()
    started = time.monotonic()
    body = problem(client.post("/v1/articles", json={"ssml": BILLION_LAUGHS}), 400,
                   "line 2: a DTD (<!DOCTYPE …>) is not accepted")
    assert body["type"].endswith("/SsmlError")
    assert time.monotonic() - started < 2


def _pcm_seconds(client, text: str) -> float:
    answer = client.post("/v1/audio/speech", json={"input": text, "response_format": "pcm"})
    assert answer.status_code == 200, answer.text
    return len(answer.content) / 2 / 24_000


def test_speech_input_starting_with_speak_is_ssml(make_client) -> None:
    """The break is heard: the audio is longer by it (less the usual pause it replaces)."""
    client = make_client()
    plain = _pcm_seconds(client, "<speak><s>One two.</s><s>Three four.</s></speak>")
    broken = _pcm_seconds(
        client, '<speak><s>One two.</s><break time="3s"/><s>Three four.</s></speak>')
    assert broken - plain == pytest.approx(3 - 0.35, abs=0.4)


def test_speech_refuses_bad_ssml_naming_input_and_the_line(make_client) -> None:
    response = make_client().post("/v1/audio/speech", json={
        "input": '<speak>\n<s>Hi.</s>\n<s><emphasis level="loud">Hi.</emphasis></s></speak>'})
    problem(response, 400, "the request, line 3: <emphasis level='loud'> is not a level")
    assert response.json()["error"]["param"] == "input"
