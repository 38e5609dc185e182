"""POST /v1/audio/speech: OpenAI's own client against the real app, audio read back, streaming
timed, a client that leaves stops the voice."""

from __future__ import annotations

import io
import logging
import shutil
import struct
import subprocess
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from mutagen.mp3 import MP3
from openai import OpenAI

from audiobrief.encoders import WAV_BLOCK_BYTES, Resampler
from audiobrief.model import Article, Section
from audiobrief.script import ScriptOptions, make_script
from audiobrief.settings import Settings
from audiobrief.web import speech

KHARKIV = "Russian missiles hit Kharkiv on Jan. 5, 2024."
VOICE_RATE_HZ = 22_050

EIGHT_SENTENCES = " ".join([
    "Russian forces launched missiles at Kharkiv early on Friday morning.",
    "The regional governor said at least two people were injured.",
    "Emergency crews worked through the night to clear the rubble.",
    "Several residential buildings and a school were damaged in the attack.",
    "Air defense units reported shooting down most of the drones.",
    "Power was restored to the affected districts by the afternoon.",
    "Officials urged residents to stay close to shelters.",
    "The investigation into the strike is continuing.",
])


@pytest.fixture(scope="module")
def client(live_server: str) -> OpenAI:
    return OpenAI(base_url=live_server + "/v1", api_key="unused", max_retries=0)


def _speak(client: OpenAI, **fields: object) -> bytes:
    fields = {"model": "tts-1", "voice": "alloy", "input": KHARKIV, **fields}
    return client.audio.speech.create(**fields).content  # type: ignore[arg-type]


# The OpenAI client, format by format. -----------------------------------------------------------

def test_openai_client_gets_an_mp3(client: OpenAI) -> None:
    response = client.audio.speech.with_raw_response.create(model="tts-1", voice="alloy",
                                                            input=KHARKIV)
    assert response.headers["content-type"] == "audio/mpeg"
    mp3 = MP3(io.BytesIO(response.content))
    assert mp3.info.sample_rate == VOICE_RATE_HZ
    assert mp3.info.channels == 1
    assert 1.5 < mp3.info.length < 10  # "Russian missiles hit Kharkiv on January fifth, …"


def test_wav_is_riff_pcm_of_unknown_length(client: OpenAI) -> None:
    wav = _speak(client, response_format="wav")
    riff, riff_size, wave, fmt, fmt_size = struct.unpack("<4sI4s4sI", wav[:20])
    audio_format, channels, rate, byte_rate, block_align, bits = struct.unpack("<HHIIHH",
                                                                               wav[20:36])
    data, data_size = struct.unpack("<4sI", wav[36:44])
    assert (riff, riff_size, wave, fmt, fmt_size) == (b"RIFF", 0xFFFFFFFF, b"WAVE", b"fmt ", 16)
    assert (audio_format, channels, rate, byte_rate, block_align, bits) == (
        1, 1, VOICE_RATE_HZ, 2 * VOICE_RATE_HZ, 2, 16)
    assert (data, data_size) == (b"data", 0xFFFFFFFF)
    pcm = wav[44:]
    assert len(pcm) % 2 == 0
    mp3_s = MP3(io.BytesIO(_speak(client))).info.length
    # The same sentence again (Piper's noise varies it a little); the MP3 adds its codec delay.
    assert len(pcm) / 2 / VOICE_RATE_HZ == pytest.approx(mp3_s, rel=0.1)


def test_wav_ends_on_whole_blocks_of_silence(client: OpenAI) -> None:
    pcm = _speak(client, response_format="wav")[44:]
    assert len(pcm) % WAV_BLOCK_BYTES == 0
    samples = np.frombuffer(pcm, dtype="<i2")
    assert np.abs(samples).max() > 1000  # speech, padded at its end only
    assert not samples[-100:].any()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_ffmpeg_reads_the_streamed_wav_whole_and_calls_nothing_corrupt(live_server: str) -> None:
    """ffmpeg reading the stream from a pipe, as a client piping the answer would: every sample
    decoded, and no message but the fixed notice ffmpeg gives every stream of unknown size (its
    wav reader prints it for the 0xFFFFFFFF that OpenAI's answers carry too)."""
    response = httpx.post(f"{live_server}/v1/audio/speech", timeout=60, json={
        "input": KHARKIV, "response_format": "wav"})
    decoded = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "warning", "-f", "wav", "-i", "pipe:",
         "-f", "s16le", "pipe:"], input=response.content, capture_output=True, timeout=60)
    assert decoded.returncode == 0
    messages = [line for line in decoded.stderr.decode().splitlines()
                if "Ignoring maximum wav data size" not in line
                and "Guessed Channel Layout" not in line]
    assert messages == []
    assert decoded.stdout == response.content[44:]


@pytest.mark.parametrize(("instructions", "header"), [
    ("Speak in a cheerful and positive tone.", "instructions"),
    ("", None),
    (None, None),
], ids=["given", "empty", "absent"])
def test_ignored_instructions_are_named_in_the_answer(
        live_server: str, instructions: str | None, header: str | None) -> None:
    body = {"input": "Kharkiv.", "response_format": "pcm"}
    if instructions is not None:
        body["instructions"] = instructions
    response = httpx.post(f"{live_server}/v1/audio/speech", json=body, timeout=60)
    assert response.status_code == 200 and response.content
    assert response.headers.get("x-audiobrief-ignored") == header


def test_instructions_are_documented_as_ignored(make_client) -> None:
    schema = make_client().get("/schema/openapi.json").json()
    request = schema["components"]["schemas"]["SpeechRequest"]["properties"]["instructions"]
    assert "ignored" in request["description"] and "X-Audiobrief-Ignored" in request["description"]


def test_pcm_is_24_khz(client: OpenAI) -> None:
    pcm = _speak(client, response_format="pcm")
    wav_pcm = _speak(client, response_format="wav")[44:]
    assert len(pcm) % 2 == 0
    assert len(pcm) / 2 / 24_000 == pytest.approx(len(wav_pcm) / 2 / VOICE_RATE_HZ, rel=0.1)
    assert np.abs(np.frombuffer(pcm, "<i2")).max() > 1000  # speech, not silence


@pytest.mark.parametrize("response_format", ["opus", "aac", "flac"])
def test_formats_not_made_here_are_refused(client: OpenAI, response_format: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        _speak(client, response_format=response_format)
    assert "use one of mp3, wav, pcm" in str(raised.value)


@pytest.mark.parametrize("text", ["", "x" * (speech.MAX_INPUT_CHARS + 1), " \n\n \t"],
                         ids=["empty", "too long", "white space"])
def test_no_input_or_too_much_is_refused(client: OpenAI, text: str) -> None:
    with pytest.raises(openai.BadRequestError):
        _speak(client, input=text)


# Errors as problem+json, voices, the script. -----------------------------------------------------

@pytest.mark.parametrize(("body", "detail", "param"), [
    ({"input": ""}, "Validation failed", "input"),
    ({"input": "Hello.", "response_format": "flac"}, "'flac' is not supported", "response_format"),
    ({"input": "Hello.", "response_format": "ogg"}, "Validation failed", "response_format"),
    ({"input": "Hello.", "speed": 4.5}, "Validation failed", "speed"),
    ({"input": "Hello.", "stream_format": "sse"}, "'sse' is not supported", "stream_format"),
    ({"input": " \n "}, "only white space", "input"),
], ids=["empty input", "flac", "unknown format", "too fast", "sse", "white space"])
def test_bad_requests_are_problems(make_client, body: dict[str, object], detail: str,
                                   param: str) -> None:
    """Every refusal is a problem, with OpenAI's error member beside it naming the field, as
    OpenAI's clients show `error.message`."""
    response = make_client().post("/v1/audio/speech", json={"model": "tts-1", **body})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert detail in problem["detail"]
    assert problem["error"]["type"] == "invalid_request_error"
    assert problem["error"]["param"] == param
    assert problem["error"]["message"].startswith(problem["detail"])
    assert param in problem["error"]["message"]


def test_every_refusal_of_speech_carries_openai_s_error(make_client) -> None:
    """Not only the field checks: a missing key, a body too large, a busy voice, malformed JSON."""
    client = make_client(api_keys=("secret",), max_request_bytes=2_000)
    refusals = [
        client.post("/v1/audio/speech", json={"input": "Hello."}),
        client.post("/v1/audio/speech", content=b'{"input": ', headers={
            "Authorization": "Bearer secret", "Content-Type": "application/json"}),
        client.post("/v1/audio/speech", json={"input": "x" * 5_000},
                    headers={"Authorization": "Bearer secret"}),
    ]
    assert [refusal.status_code for refusal in refusals] == [401, 400, 413]
    kinds = [refusal.json()["error"]["type"] for refusal in refusals]
    assert kinds == ["authentication_error", "invalid_request_error", "invalid_request_error"]
    assert all(refusal.json()["error"]["message"] for refusal in refusals)


def test_speech_in_a_language_no_installed_voice_speaks_is_refused(make_client) -> None:
    """Read by the English voice it would be gibberish; so is any voice asked for by name."""
    text = ("Утром в субботу коммунальные службы Харькова завершили ремонт контактной сети, и"
            " трамваи снова вышли на маршруты после ночной работы ремонтных бригад.")
    client = make_client()
    for voice in ("alloy", "en_US-joe-medium"):
        response = client.post("/v1/audio/speech", json={"input": text, "voice": voice})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["detail"].startswith("the article is in Russian; ")
        assert problem["error"]["message"].startswith(problem["detail"])


def test_api_key_is_needed_when_configured(make_client) -> None:
    client = make_client(api_keys=("secret",))
    body = {"model": "tts-1", "voice": "alloy", "input": "Hello.", "response_format": "pcm"}
    assert client.post("/v1/audio/speech", json=body).status_code == 401
    answer = client.post("/v1/audio/speech", json=body,
                         headers={"Authorization": "Bearer secret"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/pcm"


def test_voice_rule(voice, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    voices.mkdir()
    for suffix in (".onnx", ".onnx.json"):
        source = voice.spec.model_path if suffix == ".onnx" else voice.spec.config_path
        (voices / f"en_US-copy-medium{suffix}").symlink_to(source)
    settings = Settings(data=tmp_path / "data", voices=(voices,))
    assert speech._voice_name("en_US-copy-medium", settings) == "en_US-copy-medium"
    assert speech._voice_name(settings.voice, settings) == settings.voice
    for name in ("alloy", "nova", "shimmer", "no-such-voice", ""):  # the language's voice
        assert speech._voice_name(name, settings) is None


def test_every_word_is_said_once_and_nothing_else(voice, tmp_path: Path) -> None:
    """A short first line is not taken for a title and said twice; "Read more" is not dropped."""
    from audiobrief.service.jobs import Service

    service = Service(Settings(data=tmp_path / "data", workers=1),
                      voices={voice.spec.name: voice})
    text = "Breaking news\n\nMissiles hit Kharkiv on Jan. 5.  Two were hurt.\nRead more"
    script, used = speech._prepare(service, speech.SpeechRequest(input=text))
    assert used is voice
    assert [s.text for s in script.sentences] == [
        "Breaking news", "Missiles hit Kharkiv on Jan. 5.", "Two were hurt.", "Read more"]
    # The article stages still apply: dates for speech, Ukrainian names by the lexicon.
    assert list(script.sentences)[1].spoken == "Missiles hit [[ kˈɑːɹkiv ]] on January fifth."
    assert not script.chaptered


def test_script_without_headline_is_only_the_body() -> None:
    from audiobrief import pipeline
    from audiobrief.voices import find_voice

    article = Article(title="A headline", byline="Jane Doe", date=None, site=None, url=None,
                      language="en", sections=(Section(None, ("First. Second.",)),))
    pronouncer = pipeline.pronouncer(find_voice())
    spoken = make_script(article, pronouncer, ScriptOptions(chapters="none", headline=False))
    assert [s.text for s in spoken.sentences] == ["First.", "Second."]
    with_headline = make_script(article, pronouncer, ScriptOptions(chapters="none"))
    assert [s.text for s in with_headline.sentences] == [
        "A headline.", "By Jane Doe.", "First.", "Second."]


# Streaming. --------------------------------------------------------------------------------------

def test_audio_streams_sentence_by_sentence(live_server: str) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": EIGHT_SENTENCES}
    chunks: list[bytes] = []
    started = time.perf_counter()
    first_s = None
    with httpx.stream("POST", live_server + "/v1/audio/speech", json=body, timeout=120) as answer:
        assert answer.status_code == 200
        for chunk in answer.iter_raw():
            if first_s is None:
                first_s = time.perf_counter() - started
            chunks.append(chunk)
    total_s = time.perf_counter() - started
    logging.getLogger(__name__).info("first chunk after %.2f s of %.2f s", first_s, total_s)
    assert first_s is not None
    assert first_s < 0.6 * total_s
    mp3 = MP3(io.BytesIO(b"".join(chunks)))
    assert mp3.info.length > 8 * 0.5


def test_a_client_that_leaves_stops_the_voice(live_server: str, caplog) -> None:
    text = " ".join([EIGHT_SENTENCES] * 4)
    caplog.set_level(logging.INFO, logger="audiobrief.web.speech")
    body = {"model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm"}
    with httpx.stream("POST", live_server + "/v1/audio/speech", json=body, timeout=60) as answer:
        assert answer.status_code == 200
        next(answer.iter_raw())
    deadline = time.monotonic() + 20  # 32 sentences would take far longer than this to say
    while any(t.name == "audiobrief-speech" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "synthesis went on after the client left"
        time.sleep(0.1)
    assert "speech stopped" in caplog.text
    assert "spoke 32 sentences" not in caplog.text


# The resampler behind `pcm`. ---------------------------------------------------------------------

def _tone(seconds: float, hz: float = 440.0, rate: int = VOICE_RATE_HZ) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * hz * t) * 16000).astype("<i2").tobytes()


def test_resampling_in_chunks_equals_resampling_at_once() -> None:
    tone = _tone(1.0)
    whole = Resampler(VOICE_RATE_HZ, 24_000).feed(tone)
    resampler = Resampler(VOICE_RATE_HZ, 24_000)
    samples = len(tone) // 2
    cuts = [0, 1, 1001, 1002, 7777, samples]  # in samples: a one-sample chunk, odd seams
    pieces = b"".join(resampler.feed(tone[2 * a : 2 * b])
                      for a, b in zip(cuts, cuts[1:], strict=False))
    assert pieces == whole
    assert len(whole) // 2 == (samples - 1) * 24_000 // VOICE_RATE_HZ + 1


def test_resampling_keeps_the_pitch() -> None:
    out = np.frombuffer(Resampler(VOICE_RATE_HZ, 24_000).feed(_tone(1.0)), "<i2")
    crossings = np.count_nonzero(np.diff(np.signbit(out.astype(np.int32))))
    seconds = len(out) / 24_000
    assert crossings / 2 / seconds == pytest.approx(440, abs=2)
