"""encode: the MP3 a player reads back (tags, chapters, exact duration), and streaming."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3, BitrateMode

from audiobrief.encode import (
    EncodeOptions,
    Mp3Stream,
    _crc16,
    bitrates_kbps,
    language_code,
    tag,
)
from audiobrief.errors import SettingsError
from audiobrief.model import Chapter, Rendition, Script, Sentence
from audiobrief.settings import DEFAULT_DISCLOSURE, Settings
from tests.stages import assemble, encode

RATE_HZ = 22050
SAMPLE_RATES_HZ = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


def _sentence(text: str, pause_after_ms: int = 250) -> Sentence:
    return Sentence(text=text, spoken=text, pause_after_ms=pause_after_ms)


def make_script(*, chaptered: bool = True, language: str = "en") -> Script:
    return Script(
        title="Russia strikes Kharkiv with missiles overnight",
        byline="Olena Hrazhdan",
        date="2024-05-17",
        site="The Kyiv Independent",
        url="https://kyivindependent.com/russia-strikes-kharkiv/",
        language=language,
        chapters=(
            Chapter(
                "Russia strikes Kharkiv with missiles overnight",
                (
                    _sentence("Russia strikes Kharkiv with missiles overnight.", 700),
                    _sentence("Three people were injured, the mayor said.", 600),
                ),
            ),
            Chapter(
                "Damage in the city",
                (
                    _sentence("A residential building & a school were hit."),
                    _sentence("Firefighters worked through the night.", 800),
                ),
            ),
            Chapter(
                "Air defence",
                (
                    _sentence("Air defence shot down two of the missiles."),
                    _sentence("The attack lasted about an hour.", 0),
                ),
            ),
        ),
        chaptered=chaptered,
    )


def render(script: Script, rate_hz: int = RATE_HZ) -> Rendition:
    """A stand-in for the voice's output with the same shape: speech-like tones, then pauses."""
    pieces: list[np.ndarray] = []
    sentence_samples: list[tuple[int, int]] = []
    position = 0
    for index, sentence in enumerate(script.sentences):
        speech_samples = rate_hz * (900 + 137 * index) // 1000
        t = np.arange(speech_samples) / rate_hz
        speech = (np.sin(2 * np.pi * (180 + 40 * index) * t) * 9000).astype("<i2")
        pause = np.zeros(rate_hz * sentence.pause_after_ms // 1000, dtype="<i2")
        pieces += [speech, pause]
        sentence_samples.append((position, position + speech_samples))
        position += speech_samples + len(pause)
    return Rendition(rate_hz, tuple(sentence_samples), np.concatenate(pieces).tobytes())


@pytest.fixture(scope="module")
def script() -> Script:
    return make_script()


@pytest.fixture(scope="module")
def rendition(script: Script) -> Rendition:
    return render(script)


@pytest.fixture(scope="module")
def mp3_path(
    tmp_path_factory: pytest.TempPathFactory, script: Script, rendition: Rendition
) -> Path:
    path = tmp_path_factory.mktemp("encode") / "article.mp3"
    path.write_bytes(encode(rendition, script))
    return path


def _expected_chapter_ms(script: Script, rendition: Rendition) -> list[tuple[float, float]]:
    """Chapter times straight from the sample positions, as float milliseconds."""
    starts = [0.0]
    index = 0
    for chapter in script.chapters[:-1]:
        index += len(chapter.sentences)
        starts.append(rendition.sentence_samples[index][0] * 1000 / rendition.sample_rate_hz)
    ends = [*starts[1:], rendition.total_samples * 1000 / rendition.sample_rate_hz]
    return list(zip(starts, ends, strict=True))


# --- what a player reads back -------------------------------------------------------------------


def test_tag_is_id3v2_4(mp3_path: Path) -> None:
    assert ID3(mp3_path).version == (2, 4, 0)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("TIT2", "Russia strikes Kharkiv with missiles overnight"),
        ("TPE1", "Olena Hrazhdan"),
        ("TALB", "The Kyiv Independent"),
        ("TPUB", "The Kyiv Independent"),
        ("TDRC", "2024-05-17"),
        ("TLAN", "eng"),
        ("TXXX:AI_DISCLOSURE", DEFAULT_DISCLOSURE),
        ("COMM::eng", DEFAULT_DISCLOSURE),
        ("TSSE", "audiobrief 0.1.0"),
    ],
    ids=lambda value: value if len(value) < 20 else None,
)
def test_text_frames(mp3_path: Path, frame: str, expected: str) -> None:
    assert str(ID3(mp3_path)[frame]) == expected


def test_source_url_frame(mp3_path: Path) -> None:
    assert ID3(mp3_path)["WOAS"].url == "https://kyivindependent.com/russia-strikes-kharkiv/"


def test_length_frame_is_the_duration_in_ms(mp3_path: Path, rendition: Rendition) -> None:
    assert str(ID3(mp3_path)["TLEN"]) == str(rendition.duration_ms)


def test_table_of_contents_lists_chapters_in_order(mp3_path: Path, script: Script) -> None:
    tags = ID3(mp3_path)
    (toc,) = tags.getall("CTOC")
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    titles = [
        str(tags[f"CHAP:{element_id}"].sub_frames["TIT2"]) for element_id in toc.child_element_ids
    ]
    assert titles == [chapter.title for chapter in script.chapters]
    assert str(toc.sub_frames["TIT2"]) == script.title


def test_chapter_times_match_the_audio(
    mp3_path: Path, script: Script, rendition: Rendition
) -> None:
    tags = ID3(mp3_path)
    (toc,) = tags.getall("CTOC")
    chapters = [tags[f"CHAP:{element_id}"] for element_id in toc.child_element_ids]
    expected = _expected_chapter_ms(script, rendition)
    assert chapters[0].start_time == 0
    for chapter, (start_ms, end_ms) in zip(chapters, expected, strict=True):
        assert abs(chapter.start_time - start_ms) < 50
        assert abs(chapter.end_time - end_ms) < 50
    assert chapters[-1].end_time == rendition.duration_ms


def test_stream_info_is_exact(mp3_path: Path, rendition: Rendition) -> None:
    info = MP3(mp3_path).info
    # The LAME tag's delay and padding let the reader count exactly the PCM's samples.
    assert round(info.length * RATE_HZ) == rendition.total_samples
    assert abs(info.length - rendition.total_samples / RATE_HZ) < 0.050
    assert info.sample_rate == RATE_HZ
    assert info.channels == 1
    assert info.bitrate_mode == BitrateMode.CBR
    assert info.bitrate == 64000
    assert not info.sketchy
    assert info.encoder_settings == "-b 64"
    assert info.encoder_info.startswith("LAME")


def test_info_frame_precedes_the_audio(script: Script, rendition: Rendition) -> None:
    mp3 = encode(rendition, script)
    tag_bytes = tag(script, rendition)
    info = mp3[len(tag_bytes) :]
    # MPEG-2 Layer III, 64 kbps, 22050 Hz, mono; "Info" (CBR) after the 9 bytes of side info.
    assert info[:4] == bytes.fromhex("fff380c4")
    assert info[13:17] == b"Info"
    assert info[13 + 120 : 13 + 127] == b"LAME4.0"


def test_lame_version_matches_the_encoder(rendition: Rendition) -> None:
    """The version written into the Info frame is the one lameenc's LAME writes in its frames."""
    stream = Mp3Stream(RATE_HZ)
    frames = stream.feed(rendition.pcm) + stream.finish()
    assert b"LAME4.0" in frames


def test_crc16_is_lames_checksum() -> None:
    assert _crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value


@pytest.mark.parametrize(
    ("bitrate_kbps", "rate_hz"),
    [(32, 22050), (64, 22050), (160, 22050), (48, 16000), (64, 44100)],
)
def test_duration_is_exact_at_other_rates(
    tmp_path: Path, script: Script, bitrate_kbps: int, rate_hz: int
) -> None:
    rendition = render(script, rate_hz)
    path = tmp_path / "article.mp3"
    path.write_bytes(encode(rendition, script, EncodeOptions(bitrate_kbps=bitrate_kbps)))
    info = MP3(path).info
    assert round(info.length * rate_hz) == rendition.total_samples
    assert info.sample_rate == rate_hz
    assert info.bitrate_mode == BitrateMode.CBR
    assert abs(info.bitrate - bitrate_kbps * 1000) <= bitrate_kbps * 10


def test_disclosure_is_configurable(tmp_path: Path, script: Script, rendition: Rendition) -> None:
    options = EncodeOptions(
        disclosure="Read by a synthetic voice", disclosure_url="https://example.org/ai-policy"
    )
    path = tmp_path / "article.mp3"
    path.write_bytes(encode(rendition, script, options))
    tags = ID3(path)
    assert str(tags["TXXX:AI_DISCLOSURE"]) == "Read by a synthetic voice"
    assert str(tags["COMM::eng"]) == "Read by a synthetic voice"
    assert tags["WXXX:AI_DISCLOSURE"].url == "https://example.org/ai-policy"


def test_unchaptered_script_has_no_chapter_frames(tmp_path: Path) -> None:
    script = make_script(chaptered=False)
    path = tmp_path / "article.mp3"
    path.write_bytes(encode(render(script), script))
    tags = ID3(path)
    assert tags.getall("CHAP") == [] and tags.getall("CTOC") == []
    assert str(tags["TIT2"]) == script.title


def test_missing_metadata_is_left_out(tmp_path: Path, rendition: Rendition) -> None:
    script = Script(
        title="Untitled",
        byline=None,
        date=None,
        site=None,
        url=None,
        language="en",
        chapters=make_script().chapters,
    )
    path = tmp_path / "article.mp3"
    path.write_bytes(encode(rendition, script))
    assert sorted(ID3(path).keys()) == sorted(
        ["TIT2", "TLAN", "TLEN", "TXXX:AI_DISCLOSURE", "COMM::eng", "TSSE", "CTOC:toc"]
        + [f"CHAP:chp{number}" for number in range(3)]
    )


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("en", "eng"),
        ("en-GB", "eng"),
        ("uk", "ukr"),
        ("de-AT", "ger"),
        ("fil", "fil"),
        ("xx", "und"),
    ],
)
def test_language_code(language: str, code: str) -> None:
    assert language_code(language) == code


# --- streaming ----------------------------------------------------------------------------------


def test_streamed_frames_are_the_files_audio(script: Script, rendition: Rendition) -> None:
    stream = Mp3Stream(rendition.sample_rate_hz)
    streamed: list[bytes] = []
    previous_end = 0
    for _first, end in rendition.sentence_samples:  # as synthesis yields them, pauses included
        streamed.append(stream.feed(rendition.pcm[previous_end * 2 : end * 2]))
        previous_end = end
    streamed.append(stream.feed(rendition.pcm[previous_end * 2 :]))
    streamed.append(stream.finish())

    whole = encode(rendition, script)
    audio = whole[len(tag(script, rendition)) + len(stream.info_frame()) :]
    assert b"".join(streamed) == audio
    assert assemble(tag(script, rendition), stream.info_frame(), streamed) == whole
    assert stream.sample_count == rendition.total_samples
    assert stream.audio_bytes == len(audio)


def test_stream_refuses_misuse() -> None:
    stream = Mp3Stream(RATE_HZ)
    with pytest.raises(ValueError, match="16-bit"):
        stream.feed(b"\x00\x01\x02")
    with pytest.raises(ValueError, match="nothing to encode"):
        stream.finish()
    with pytest.raises(RuntimeError, match="before finish"):
        stream.info_frame()


ANY_MP3_KBPS = "8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 192, 224, 256, 320"


@pytest.mark.parametrize(
    ("bitrate_kbps", "message"),
    [(65, f"65 kbps is not an MP3 bit rate; choose one of {ANY_MP3_KBPS} kbps"),
     (0, "0 kbps is not an MP3 bit rate"), (640, "640 kbps is not an MP3 bit rate")],
)
def test_a_bitrate_no_mp3_has_is_refused_with_the_options(bitrate_kbps: int, message: str) -> None:
    with pytest.raises(SettingsError, match=f"^{message}"):
        EncodeOptions(bitrate_kbps=bitrate_kbps)


@pytest.mark.parametrize(
    ("bitrate_kbps", "rate_hz", "possible"),
    [
        (320, RATE_HZ, "8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160"),
        (8, 44100, "32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320"),
        (80, 11025, "8, 16, 24, 32, 40, 48, 56, 64"),
    ],
)
def test_a_bitrate_the_voices_rate_cannot_have_is_refused_by_the_stream(
    bitrate_kbps: int, rate_hz: int, possible: str
) -> None:
    options = EncodeOptions(bitrate_kbps=bitrate_kbps)  # an MP3 bit rate, so the settings pass
    with pytest.raises(SettingsError, match=(
            f"^{bitrate_kbps} kbps is not possible for {rate_hz} Hz audio;"
            f" choose one of {possible} kbps$")):
        Mp3Stream(rate_hz, options)


def test_any_mp3s_bitrates_are_those_of_its_sample_rates() -> None:
    assert ", ".join(map(str, bitrates_kbps())) == ANY_MP3_KBPS
    every_rate = {kbps for rate_hz in SAMPLE_RATES_HZ for kbps in bitrates_kbps(rate_hz)}
    assert sorted(every_rate) == list(bitrates_kbps())


@pytest.mark.parametrize("rate_hz", SAMPLE_RATES_HZ)
def test_every_possible_bitrate_is_the_one_written(rate_hz: int) -> None:
    """Each rate `bitrates_kbps` allows is the one a player reads (LAME quietly writes another
    when asked for one it cannot make)."""
    seconds = np.arange(rate_hz) / rate_hz
    pcm = (np.sin(2 * np.pi * 220 * seconds) * 8000).astype("<i2").tobytes()
    for kbps in bitrates_kbps(rate_hz):
        stream = Mp3Stream(rate_hz, EncodeOptions(bitrate_kbps=kbps))
        info = MP3(io.BytesIO(stream.feed(pcm) + stream.finish())).info
        assert (info.sample_rate, info.bitrate) == (rate_hz, kbps * 1000)


def test_unsupported_sample_rate() -> None:
    with pytest.raises(ValueError, match="19000 Hz"):
        Mp3Stream(19000)


# --- chapter spans ------------------------------------------------------------------------------


def test_chapter_spans_cover_the_audio_back_to_back(script: Script, rendition: Rendition) -> None:
    spans = rendition.chapter_spans(script)
    assert len(spans) == 3
    assert spans[0].start_ms == 0
    assert spans[-1].end_ms == rendition.duration_ms
    assert all(a.end_ms == b.start_ms for a, b in zip(spans, spans[1:], strict=False))
    # A later chapter opens on its first sentence's first sample; the pause before is the last's.
    first_of_second = rendition.sentence_samples[2][0]
    assert spans[1].start_ms == first_of_second * 1000 // RATE_HZ


def test_chapter_spans_refuse_a_rendition_of_another_script(script: Script) -> None:
    short = Rendition(RATE_HZ, ((0, 100),), bytes(RATE_HZ * 2))
    with pytest.raises(ValueError, match="1 sentences, the script has 6"):
        short.chapter_spans(script)


def test_options_follow_the_settings() -> None:
    settings = Settings(
        bitrate_kbps=48, disclosure="AI voice", disclosure_url="https://example.org/"
    )
    assert EncodeOptions.from_settings(settings) == EncodeOptions(
        bitrate_kbps=48, disclosure="AI voice", disclosure_url="https://example.org/"
    )


# --- what podcast apps and tools read -----------------------------------------------------------


def _stored_frames(tag_bytes: bytes) -> list[tuple[str, bytes]]:
    """(frame id, body) of each frame of an ID3v2.4 tag, in the order the bytes hold them."""
    assert tag_bytes[:4] == b"ID3\x04"
    size = sum((byte & 0x7F) << (7 * (3 - i)) for i, byte in enumerate(tag_bytes[6:10]))
    end = 10 + size
    frames, offset = [], 10
    while offset < end and tag_bytes[offset] != 0:
        frame_id = tag_bytes[offset:offset + 4].decode("ascii")
        length = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(tag_bytes[offset + 4:
                                                                            offset + 8]))
        frames.append((frame_id, tag_bytes[offset + 10:offset + 10 + length]))
        offset += 10 + length
    return frames


def _long_script() -> Script:
    """Twelve chapters whose later ones are the longest, as mutagen's size order would put first."""
    chapters = tuple(
        Chapter("Headline" if n == 0 else f"Chapter {n}" + " longer" * n,
                (_sentence(f"Sentence {n}."),))
        for n in range(12))
    return dataclasses.replace(make_script(), chapters=chapters)


def test_chapter_frames_are_stored_in_time_order() -> None:
    script = _long_script()
    rendition = render(script)
    frames = _stored_frames(tag(script, rendition))
    ids = [frame_id for frame_id, _ in frames]
    assert ids.index("CTOC") < ids.index("CHAP")
    stored = [body.split(b"\x00", 1)[0].decode() for frame_id, body in frames
              if frame_id == "CHAP"]
    assert stored == [f"chp{n}" for n in range(12)]
    starts = [int.from_bytes(body[len(element) + 1:len(element) + 5], "big")
              for (frame_id, body), element in zip(
                  [f for f in frames if f[0] == "CHAP"], stored, strict=True)]
    assert starts == sorted(starts) and starts[0] == 0


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is not installed")
def test_ffprobe_lists_the_chapters_first_to_last(tmp_path: Path) -> None:
    script = _long_script()
    path = tmp_path / "chapters.mp3"
    path.write_bytes(encode(render(script), script))
    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
        capture_output=True, check=True, timeout=30, text=True)
    chapters = json.loads(shown.stdout)["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c.title for c in script.chapters]
    assert [float(c["start_time"]) for c in chapters] == sorted(
        float(c["start_time"]) for c in chapters)


def test_cover_is_the_front_cover_after_the_chapters(script: Script, rendition: Rendition) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(5000) + b"\xff\xd9"
    head = tag(script, rendition, cover_jpeg=jpeg)
    (picture,) = ID3(io.BytesIO(head)).getall("APIC")
    assert (picture.mime, picture.type, picture.data) == ("image/jpeg", 3, jpeg)
    assert [frame_id for frame_id, _ in _stored_frames(head)][-1] == "APIC"
    assert ID3(io.BytesIO(tag(script, rendition))).getall("APIC") == []


@pytest.mark.parametrize(("date", "written"), [
    ("2025-02-03T18:46:00+02:00", "2025-02-03T16:46:00"),
    ("2025-02-03T18:46:00", "2025-02-03T18:46:00"),
    ("2025-02-03", "2025-02-03"),
])
def test_recording_time_is_utc_with_its_time_of_day(rendition: Rendition, date: str,
                                                    written: str) -> None:
    script = dataclasses.replace(make_script(), date=date)
    (body,) = [body for frame_id, body in _stored_frames(tag(script, rendition))
               if frame_id == "TDRC"]
    assert body[1:].rstrip(b"\x00").decode() == written  # after the encoding byte
