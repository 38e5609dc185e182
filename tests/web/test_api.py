"""The /v1 API end to end: the real app, the real voice, real SQLite, mutagen reading the MP3."""

from __future__ import annotations

import io

from mutagen.id3 import ID3
from mutagen.mp3 import MP3


def test_posted_page_becomes_a_chaptered_mp3(finished_client, finished_article_id) -> None:
    status = finished_client.get(f"/v1/articles/{finished_article_id}").json()
    assert status["status"] == "done"
    assert status["progress"] == {"done": 10, "total": 10}
    audio = finished_client.get(status["links"]["audio"])
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    assert int(audio.headers["content-length"]) == len(audio.content)
    mp3 = MP3(io.BytesIO(audio.content))
    assert abs(mp3.info.length - status["duration"]) < 0.05
    chapters = ID3(io.BytesIO(audio.content)).getall("CHAP")
    starts = sorted(chap.start_time for chap in chapters)
    assert starts == [round(c["start"] * 1000) for c in status["chapters"]]
