"""The command line as a user runs it: real voice, real files, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from tests.conftest import (
    ENGLISH_WITH_RUSSIAN_QUOTE_HTML,
    EXAMPLE_HTML,
    FIXTURES,
    GERMAN_HTML,
    RUSSIAN_HTML,
    relabelled_voice,
)


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "audiobrief.cli", *args], input=stdin,
                          capture_output=True, cwd=cwd, timeout=240,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def test_import_leaves_heavy_modules_out() -> None:
    code = ("import sys, audiobrief.cli; "
            "print(sorted(m for m in ('onnxruntime', 'piper', 'litestar', 'trafilatura', "
            "'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("synth", "extract", "script", "phonemes", "voices", "serve"):
        assert command in result.stdout.decode()


def test_synth_example_with_sidecars(tmp_path: Path) -> None:
    out = tmp_path / "article.mp3"
    result = run("synth", str(EXAMPLE_HTML), "-o", str(out), "--json",
                 "--chapters-json", str(tmp_path / "chapters.json"),
                 "--vtt", str(tmp_path / "transcript.vtt"),
                 "--transcript-json", str(tmp_path / "transcript.json"))
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["title"] == "Governor: Russia attacked Kharkiv Oblast with foreign-made missiles"
    assert report["sentences"] == 10  # headline, byline and the eight body sentences
    tags = ID3(out)
    assert str(tags["TIT2"]) == report["title"]
    assert str(tags["TPE1"]) == "Dinara Khalilova"
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == [
        report["title"], "Some of the missiles that Russia…"]
    assert [c["title"] for c in report["chapters"]] == [str(c.sub_frames["TIT2"]) for c in chaps]
    for chap, reported in zip(chaps, report["chapters"], strict=True):
        assert abs(chap.start_time / 1000 - reported["start"]) < 0.05
        assert abs(chap.end_time / 1000 - reported["end"]) < 0.05
    assert abs(MP3(out).info.length - report["duration"]) < 0.05
    assert json.loads((tmp_path / "chapters.json").read_text())["chapters"]
    assert (tmp_path / "transcript.vtt").read_text().startswith("WEBVTT")
    segments = json.loads((tmp_path / "transcript.json").read_text())["segments"]
    assert segments[0]["body"] == "Governor:" and segments[-1]["endTime"] <= report["duration"]
    # nothing else left beside them: no temporary file, hidden or not
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "article.mp3", "chapters.json", "transcript.json", "transcript.vtt"]


def test_stdin_text_with_title(tmp_path: Path) -> None:
    out = tmp_path / "notes.mp3"
    result = run("synth", "-", "-o", str(out), "--title", "Morning notes",
                 stdin=b"Coffee at nine. Then the call with Lviv.")
    assert result.returncode == 0, result.stderr.decode()
    assert str(ID3(out)["TIT2"]) == "Morning notes"
    assert 2 < MP3(out).info.length < 15


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("make_source", "message"),
    [
        pytest.param(lambda d: FIXTURES / "no-article.html", "no article text found in",
                     id="no-article"),
        pytest.param(lambda d: _write(d / "junk.bin", os.urandom(20000)), "binary data",
                     id="binary"),
        pytest.param(lambda d: _write(d / "empty.txt", b""), "is empty", id="empty"),
        pytest.param(lambda d: _write(d / "huge.html", b"<p>" + b"x" * 6_000_000),
                     "the limit is 5 MB", id="too-large"),
        pytest.param(lambda d: f"http://127.0.0.1:{_unused_port()}/article",
                     "could not fetch http://127.0.0.1", id="unreachable"),
        pytest.param(lambda d: d / "missing.html", "no such file", id="missing"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, make_source, message: str) -> None:
    out = tmp_path / "out.mp3"
    out.write_bytes(b"previous audio")
    result = run("synth", str(make_source(tmp_path)), "-o", str(out))
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0]
    assert "Traceback" not in result.stderr.decode()
    assert out.read_bytes() == b"previous audio"  # never half-written, never lost
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp3") == ["out.mp3"]


@pytest.mark.parametrize("where", ["-o", "--vtt", "--chapters-json"])
def test_unwritable_output_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    paths = {"-o": tmp_path / "out.mp3", "--vtt": tmp_path / "out.vtt",
             "--chapters-json": tmp_path / "out.json"}
    paths[where] = tmp_path / "gone" / paths[where].name
    result = run("synth", str(EXAMPLE_HTML), *(arg for flag, path in paths.items()
                                               for arg in (flag, str(path))))
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        f"audiobrief: cannot write {paths[where]}: No such file or directory"]
    assert list(tmp_path.iterdir()) == []  # found before any output was written


def test_empty_stdin(tmp_path: Path) -> None:
    result = run("synth", "-", "-o", str(tmp_path / "x.mp3"), stdin=b"")
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "audiobrief: stdin is empty"
    assert not (tmp_path / "x.mp3").exists()


def test_unknown_voice(tmp_path: Path) -> None:
    result = run("synth", str(EXAMPLE_HTML), "-o", str(tmp_path / "x.mp3"), "--voice", "nope")
    assert result.returncode == 2
    assert "unknown voice 'nope'" in result.stderr.decode()


@pytest.mark.parametrize(
    ("page", "language"),
    [pytest.param(RUSSIAN_HTML, "Russian", id="russian"),
     pytest.param(GERMAN_HTML, "German", id="german-page-saying-lang-en")],
)
def test_an_article_no_installed_voice_speaks_is_one_line_and_exit_2(tmp_path: Path, page: Path,
                                                                     language: str) -> None:
    out = tmp_path / "out.mp3"
    result = run("synth", str(page), "-o", str(out))
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        f"audiobrief: the article is in {language}; installed voices speak English (en_US)"]
    assert list(tmp_path.iterdir()) == []  # refused before any synthesis


def test_script_shows_the_language_and_the_voice_that_reads_it(tmp_path: Path) -> None:
    voices = relabelled_voice(tmp_path / "voices", "de_DE-anna-medium", "de_DE", "de")
    with_german = {"AUDIOBRIEF_VOICES": str(voices)}
    cases = [((str(ENGLISH_WITH_RUSSIAN_QUOTE_HTML),), {}, "en", "en_US-joe-medium"),
             ((str(GERMAN_HTML),), with_german, "de", "de_DE-anna-medium"),
             ((str(GERMAN_HTML), "--voice", "en_US-joe-medium", "--language", "en"), {}, "en",
              "en_US-joe-medium")]
    for args, env, language, voice in cases:
        result = run("script", *args, "--json", env=env)
        assert result.returncode == 0, result.stderr.decode()
        script = json.loads(result.stdout)
        assert (script["language"], script["voice"]) == (language, voice)
    refused = run("script", str(GERMAN_HTML), "--voice", "en_US-joe-medium", env=with_german)
    assert refused.returncode == 2
    assert refused.stderr.decode().splitlines() == [
        "audiobrief: the article is in German; voice en_US-joe-medium speaks English (en_US);"
        " ask for de_DE-anna-medium, or give language 'en' to read it in English all the same"]


def test_extract_json_lines(tmp_path: Path) -> None:
    result = run("extract", str(EXAMPLE_HTML), str(FIXTURES / "sections-article.html"), "--json")
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["sitename"] for r in records] == ["The Kyiv Independent", "Harbour Gazette"]
    first = records[0]
    for key in ("title", "author", "date", "sitename", "url", "language", "sections", "text"):
        assert key in first
    assert first["author"] == "Dinara Khalilova"
    assert first["text"].count("\n\n") == 6
    assert not first["text"].startswith("Governor:")


def test_script_json_shows_spoken_text() -> None:
    result = run("script", str(EXAMPLE_HTML), "--json")
    assert result.returncode == 0, result.stderr.decode()
    script = json.loads(result.stdout)
    sentences = [s for c in script["chapters"] for s in c["sentences"]]
    first_body = next(s for s in sentences if s["text"].startswith("Some of the missiles"))
    assert "Jan. 5" in first_body["text"]
    assert "January fifth" in first_body["spoken"]


def test_script_json_without_chapter_marks_is_one_chapter(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("Morning notes\n\nKharkiv was quiet on Friday.\n\n## Later\n\nRain.\n")
    result = run("script", str(source), "--chapters", "none", "--json")
    assert result.returncode == 0, result.stderr.decode()
    [chapter] = json.loads(result.stdout)["chapters"]
    assert [s["text"] for s in chapter["sentences"]] == [
        "Morning notes.", "Kharkiv was quiet on Friday.", "Later.", "Rain."]


def test_voices_lists_the_default() -> None:
    result = run("voices", "--json")
    voices = json.loads(result.stdout)
    assert voices[0]["name"] == "en_US-joe-medium"
    assert voices[0]["sample_rate"] == 22050


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_bit_rate_no_mp3_can_have_stops_serve_at_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audiobrief.cli", "serve", "--port", "0"], capture_output=True,
        timeout=60, env={**os.environ, "AUDIOBRIEF_BITRATE_KBPS": "65",
                         "AUDIOBRIEF_DATA": str(tmp_path / "data")})
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "65 kbps" in lines[0], lines
