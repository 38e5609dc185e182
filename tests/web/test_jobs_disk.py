"""Disk: what a killed process left is swept, removed directories come back, finished audio and
each article's audio are bounded, a damaged MP3 is never served, a full disk is a clear 507,
and audio posted anonymously under a URL never answers for that URL."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mutagen.mp3 import MP3

from audiobrief import pipeline
from audiobrief.load import from_content
from audiobrief.service.backends import Backends
from audiobrief.settings import Settings
from tests.web.conftest import wait_done, wait_progress

LONG = "Disk notes\n\n" + " ".join(
    f"Paragraph {n} tells what happened in Kharkiv on day {n}." for n in range(16))


def _repeated(sentence: str, times: int) -> str:
    """Minutes of audio made in seconds: one sentence, synthesised once, said many times."""
    return "Repeated notes\n\n" + " ".join([sentence] * times)


def _script(text: str, settings: Settings, url: str | None = None):
    return pipeline.prepare(from_content(text, "text", "the posted text", url), settings,
                            pipeline.Options())


def test_temporary_files_of_a_killed_process_are_swept_at_start(make_client,
                                                                tmp_path: Path) -> None:
    data = tmp_path / "data"
    Backends.embedded(Settings(data=data))
    left = [data / "audio" / ".0123.mp3.abcd1234.tmp",
            data / "sentences" / "ab" / ".ab12.pcm.99.tmp", data / "audio" / "0123.frames"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half written")
    make_client(data=data)
    assert [path.exists() for path in left] == [False, False, False]


def test_a_sentence_directory_removed_mid_job_breaks_nothing(make_client, tmp_path: Path) -> None:
    data = tmp_path / "data"
    client = make_client(data=data)
    article_id = client.post("/v1/articles", json={"text": LONG}).json()["id"]
    wait_progress(client, article_id, 2)
    shutil.rmtree(data / "sentences")
    assert wait_done(client, article_id)["status"] == "done"
    shutil.rmtree(data / "sentences")
    later = client.post("/v1/articles", json={"text": LONG.replace("Kharkiv", "Odesa")})
    assert wait_done(client, later.json()["id"])["status"] == "done"
    assert client.app.state.service.health() == []


def test_finished_audio_is_bounded_least_recently_used_out(make_client) -> None:
    client = make_client(audio_cache_mb=1)
    first = client.post("/v1/articles", json={
        "text": _repeated("The council met in Lviv to talk about the long winter ahead.", 30)})
    first_id = first.json()["id"]
    assert wait_done(client, first_id)["status"] == "done"
    second = client.post("/v1/articles", json={
        "text": _repeated("The mayor of Odesa spoke about the port and the grain ships.", 30)})
    second_id = second.json()["id"]
    assert wait_done(client, second_id)["status"] == "done"
    service = client.app.state.service
    assert service.jobs.get(second_id).size_bytes > 1_000_000 * 0.5
    # The first is gone, file and record: asked for again, the same request makes it again.
    # The worker evicts once the second is marked done, a moment after a client can see it.
    deadline = time.monotonic() + 30
    while client.get(f"/v1/articles/{first_id}").status_code != 404:
        assert time.monotonic() < deadline, "the first article's audio was never evicted"
        time.sleep(0.05)
    assert client.get(f"/v1/articles/{first_id}/audio.mp3").status_code == 404
    assert service.audio.size(first_id) is None
    assert client.get(f"/v1/articles/{second_id}/audio.mp3").status_code == 200


def test_a_job_stops_at_the_audio_limit(make_client, tmp_path: Path) -> None:
    data = tmp_path / "data"
    client = make_client(data=data, max_audio_minutes=1)
    backends = Backends.embedded(Settings(data=data))
    store = backends.jobs
    # Past any estimate at request time, straight into the queue: the job itself must stop.
    script = _script(_repeated("The minister spoke in Kyiv about the long winter ahead.", 40),
                     Settings())
    store.add("c" * 32, script, Settings().voice, 1.0, None)
    status = wait_done(client, "c" * 32)
    assert status["status"] == "failed"
    assert "passed 1 minute, the limit per article" in status["error"]
    assert backends.audio.size("c" * 32) is None
    assert backends.live.reader("c" * 32) is None


def _truncate(path: Path) -> int:
    size = path.stat().st_size
    with open(path, "r+b") as file:
        file.truncate(size // 2)
    return size


def test_a_truncated_mp3_is_never_served_and_is_made_again(finished_client,
                                                           finished_article_id) -> None:
    service = finished_client.app.state.service
    path = service.audio.path(finished_article_id)
    whole = _truncate(path)  # after start, before any read
    response = finished_client.get(f"/v1/articles/{finished_article_id}/audio.mp3")
    assert response.status_code in (200, 503)
    if response.status_code == 200:  # the growing stream of the job made again
        assert response.headers["x-audiobrief-status"] == "running"
    else:
        assert response.headers["content-type"].startswith("application/problem+json")
    status = wait_done(finished_client, finished_article_id)
    assert status["status"] == "done"
    again = finished_client.get(f"/v1/articles/{finished_article_id}/audio.mp3")
    assert again.status_code == 200
    assert len(again.content) == int(again.headers["content-length"]) == whole
    assert abs(MP3(io.BytesIO(again.content)).info.length - status["duration"]) < 0.05


def test_a_missing_mp3_found_at_start_is_made_again(finished_data, make_client,
                                                   tmp_path: Path) -> None:
    data = tmp_path / "copy"
    shutil.copytree(finished_data[0], data)
    article_id = finished_data[1]
    (data / "audio" / f"{article_id}.mp3").unlink()
    client = make_client(data=data)
    assert client.get(f"/v1/articles/{article_id}").json()["status"] in ("queued", "running")
    assert wait_done(client, article_id)["status"] == "done"
    assert client.get(f"/v1/articles/{article_id}/audio.mp3").status_code == 200


@pytest.mark.parametrize("header", ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "1" * 5000,
                                    "bytes=-" + "7" * 5000], ids=["start", "end", "suffix"])
def test_absurd_range_positions_are_ignored(finished_client, finished_article_id,
                                            header: str) -> None:
    response = finished_client.get(f"/v1/articles/{finished_article_id}/audio.mp3",
                                   headers={"Range": header})
    assert response.status_code == 200
    assert len(response.content) == int(response.headers["content-length"])


@contextlib.contextmanager
def _tiny_disk(directory: Path, size: str) -> Iterator[Path]:
    directory.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(directory)], capture_output=True, timeout=30, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], timeout=30, check=False)


def _fill(directory: Path, leave_bytes: int = 0) -> Path:
    filler = directory / "filler"
    with open(filler, "wb") as file, contextlib.suppress(OSError):
        while True:
            file.write(bytes(64 * 1024))
            file.flush()
    with open(filler, "r+b") as file:
        file.truncate(max(0, filler.stat().st_size - leave_bytes))
    return filler


def test_a_full_disk_is_507_and_a_job_it_stops_says_why(make_client, tmp_path: Path) -> None:
    with _tiny_disk(tmp_path / "disk", "24m") as disk:
        client = make_client(data=disk / "data")
        service = client.app.state.service
        filler = _fill(disk)
        full = client.post("/v1/articles", json={"text": LONG})
        assert full.status_code == 507
        assert full.headers["content-type"].startswith("application/problem+json")
        assert "full" in full.json()["detail"]
        time.sleep(1.1)
        assert any("nearly full" in problem for problem in service.health())

        # Room for the request, not for its audio.
        filler.unlink()
        filler = _fill(disk, leave_bytes=400_000)
        accepted = client.post("/v1/articles", json={
            "text": _repeated("The council met in Lviv to talk about the long winter.", 60)})
        assert accepted.status_code == 202
        status = wait_done(client, accepted.json()["id"])
        assert status["status"] == "failed"
        assert "disk" in status["error"] and "free some space" in status["error"]
        assert not list((disk / "data").rglob("*.tmp"))
        assert not list((disk / "data").rglob("*.frames"))

        filler.unlink()
        time.sleep(1.1)
        assert service.health() == []
        assert client.post(f"/v1/articles/{accepted.json()['id']}/retry").status_code == 202
        assert wait_done(client, accepted.json()["id"])["status"] == "done"


def test_anonymous_audio_under_a_url_never_answers_for_it(voice, tmp_path: Path) -> None:
    from audiobrief.service.jobs import Service

    settings = Settings(data=tmp_path / "data", workers=1)
    service = Service(settings, voices={voice.spec.name: voice})
    url = "https://news.example/real-article/"
    fake = _script("Minister resigns\n\nThe minister resigned tonight.", settings, url)
    record, new = service.submit(fake, pipeline.Options(), url, url_bound=False)
    assert new and not record.bound
    assert service.jobs.latest_for_url(url) is None
    real = _script("Budget passes\n\nThe budget passed tonight.", settings, url)
    bound, _ = service.submit(real, pipeline.Options(), url)
    assert service.jobs.latest_for_url(url).id == bound.id
    # The same script from a fetch (or a keyed caller) binds the anonymous one.
    service.submit(fake, pipeline.Options(), url, url_bound=True)
    assert service.jobs.get(record.id).bound
    service.stop()
