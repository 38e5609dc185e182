"""Rendition + Script → MP3 bytes: mono CBR frames from LAME, a Xing/LAME "Info" frame for exact
duration and seeking, and an ID3v2.4 tag with metadata, AI disclosure and CHAP/CTOC chapters.

The audio frames are produced incrementally (`Mp3Stream`) and the final file is made afterwards of
the tag, the Info frame and the same frames (`pipeline.narrate` writes the frames to a file and
returns the tag and Info frame to go before them), so a streamed copy and the stored file never
differ in audio.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import lameenc
import numpy as np
from mutagen import id3

from audiobrief import __version__
from audiobrief.errors import SettingsError
from audiobrief.model import Rendition, Script
from audiobrief.settings import DEFAULT_DISCLOSURE, Settings

log = logging.getLogger(__name__)

# BCP 47 primary language subtag → ISO 639-2 (bibliographic) code, as ID3 TLAN and COMM want.
LANGUAGE_CODES: dict[str, str] = {
    "ar": "ara",
    "be": "bel",
    "bg": "bul",
    "cs": "cze",
    "da": "dan",
    "de": "ger",
    "el": "gre",
    "en": "eng",
    "es": "spa",
    "et": "est",
    "fi": "fin",
    "fr": "fre",
    "he": "heb",
    "hu": "hun",
    "it": "ita",
    "ja": "jpn",
    "ka": "geo",
    "kk": "kaz",
    "ko": "kor",
    "lt": "lit",
    "lv": "lav",
    "nb": "nob",
    "nl": "dut",
    "no": "nor",
    "pl": "pol",
    "pt": "por",
    "ro": "rum",
    "ru": "rus",
    "sk": "slo",
    "sv": "swe",
    "tr": "tur",
    "uk": "ukr",
    "zh": "chi",
}
UNDETERMINED_LANGUAGE = "und"

DISCLOSURE_DESCRIPTION = "AI_DISCLOSURE"
"""Description of the TXXX (and WXXX) frames that carry the AI disclosure."""

# MPEG audio Layer III tables, indexed by the header's version bits (0: 2.5, 2: 2, 3: 1).
_SAMPLE_RATES_HZ: dict[int, tuple[int, int, int]] = {
    3: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    0: (11025, 12000, 8000),
}
_MPEG1_BITRATES_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_BITRATES_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_BITRATES_KBPS: dict[int, tuple[int, ...]] = {
    3: _MPEG1_BITRATES_KBPS,
    2: _MPEG2_BITRATES_KBPS,
    0: _MPEG2_BITRATES_KBPS,
}
"""Each version's rates by the header's bitrate index (0 is "free format", never written)."""
_MPEG25_MAX_KBPS = 64
"""LAME writes MPEG 2.5 (8 to 12 kHz) at no more than this, whatever rate it is asked for."""
_MONO = 3
"""Channel-mode bits of a mono frame."""

_ENCODER_DELAY_SAMPLES = 576
"""LAME's encoder delay (ENCDELAY); decoders add their own 529 and trim both with the LAME tag."""
_LAME_VERSION = b"LAME4.0"
"""How the LAME bundled with lameenc names itself in its frames; written into the LAME tag so
readers (mutagen, ffmpeg) trust its delay and padding fields."""
_XING_FLAGS = 0x0F
"""Frames, bytes, TOC and quality fields present."""


def bitrates_kbps(sample_rate_hz: int | None = None) -> tuple[int, ...]:
    """The constant bit rates an MP3 of `sample_rate_hz` can have, lowest first; with no sample
    rate, those of any MP3. Raises ValueError for a sample rate MP3 cannot hold."""
    if sample_rate_hz is None:
        return tuple(sorted({kbps for rates in _BITRATES_KBPS.values() for kbps in rates[1:]}))
    version = _version(sample_rate_hz)
    rates = _BITRATES_KBPS[version][1:]
    if version == 0:  # MPEG 2.5
        rates = tuple(kbps for kbps in rates if kbps <= _MPEG25_MAX_KBPS)
    return rates


_LAME_SCALE = 0.95
"""The LAME lameenc builds writes its input at 0.95 of its level (headroom for decoders): given
the PCM at 1/0.95, the MP3 decodes at the loudness the PCM was made at."""


def _check_bitrate(bitrate_kbps: int, sample_rate_hz: int | None = None) -> None:
    """Raises SettingsError, naming the possible rates, if `bitrate_kbps` is not one of
    `bitrates_kbps(sample_rate_hz)`."""
    possible = bitrates_kbps(sample_rate_hz)
    if bitrate_kbps not in possible:
        problem = ("not an MP3 bit rate" if sample_rate_hz is None
                   else f"not possible for {sample_rate_hz} Hz audio")
        raise SettingsError(f"{bitrate_kbps} kbps is {problem};"
                            f" choose one of {', '.join(map(str, possible))} kbps")


def _version(sample_rate_hz: int) -> int:
    """The header's version bits for MP3 audio at `sample_rate_hz`."""
    for version, rates in _SAMPLE_RATES_HZ.items():
        if sample_rate_hz in rates:
            return version
    raise ValueError(f"MP3 cannot hold audio at {sample_rate_hz} Hz")


def _crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC16_TABLE = _crc16_table()


def _crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC, the checksum of LAME's tag (music CRC and tag CRC)."""
    table = _CRC16_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@dataclass(frozen=True, slots=True)
class EncodeOptions:
    """How the MP3 is made and labelled."""

    bitrate_kbps: int = 64
    """Constant bit rate of the mono MP3."""
    quality: int = 3
    """LAME's algorithm quality, 0 (best, slowest) to 9 (worst, fastest). 3 is the lame
    command's own default; better ones cost much more CPU for no audible gain on mono speech at
    64 kbps, and encoding shares the cores with synthesis."""
    disclosure: str = DEFAULT_DISCLOSURE
    """AI-disclosure text written to TXXX:AI_DISCLOSURE and COMM."""
    disclosure_url: str | None = None
    """Link for the disclosure (the site's AI policy), written to WXXX:AI_DISCLOSURE."""

    @classmethod
    def from_settings(cls, settings: Settings) -> EncodeOptions:
        """The options the service or CLI settings ask for."""
        return cls(
            bitrate_kbps=settings.bitrate_kbps,
            disclosure=settings.disclosure,
            disclosure_url=settings.disclosure_url,
        )

    def __post_init__(self) -> None:
        _check_bitrate(self.bitrate_kbps)
        if not 0 <= self.quality <= 9:
            raise SettingsError(f"MP3 quality {self.quality} is not between 0 and 9")


class _FrameHeader(NamedTuple):
    """The fields of a 4-byte MPEG audio Layer III frame header that audiobrief needs."""

    version: int
    sample_rate_hz: int
    bitrate_kbps: int
    padding: bool
    mode: int

    @property
    def samples(self) -> int:
        return 1152 if self.version == 3 else 576

    @property
    def length(self) -> int:
        """Bytes in the frame, header included."""
        return self.samples // 8 * self.bitrate_kbps * 1000 // self.sample_rate_hz + self.padding

    @property
    def side_info_length(self) -> int:
        if self.version == 3:
            return 17 if self.mode == _MONO else 32
        return 9 if self.mode == _MONO else 17


def _parse_header(raw: bytes | bytearray) -> _FrameHeader:
    word = int.from_bytes(raw[:4], "big")
    version, layer = (word >> 19) & 3, (word >> 17) & 3
    bitrate_index, rate_index = (word >> 12) & 15, (word >> 10) & 3
    if word >> 21 != 0x7FF or version == 1 or layer != 1 or bitrate_index in (0, 15):
        raise ValueError(f"not an MPEG Layer III frame header: {raw[:4].hex()}")
    if rate_index == 3:
        raise ValueError(f"reserved sample rate in frame header: {raw[:4].hex()}")
    return _FrameHeader(
        version=version,
        sample_rate_hz=_SAMPLE_RATES_HZ[version][rate_index],
        bitrate_kbps=_BITRATES_KBPS[version][bitrate_index],
        padding=bool((word >> 9) & 1),
        mode=(word >> 6) & 3,
    )


def _header_bytes(header: _FrameHeader) -> bytes:
    """A header without CRC, padding or emphasis, marked original, for `header`'s format."""
    word = 0x7FF << 21 | header.version << 19 | 1 << 17 | 1 << 16  # Layer III, no CRC
    word |= _BITRATES_KBPS[header.version].index(header.bitrate_kbps) << 12
    word |= _SAMPLE_RATES_HZ[header.version].index(header.sample_rate_hz) << 10
    word |= header.padding << 9 | header.mode << 6 | 1 << 2  # original
    return word.to_bytes(4, "big")


class Mp3Stream:
    """Mono 16-bit PCM in, constant-bit-rate MP3 frames out, as they become ready.

    The output of every `feed` and of `finish`, concatenated, is the audio part of the file;
    `info_frame()` then describes it. Chunking does not change the frames: feeding the PCM at once
    or sentence by sentence gives the same bytes.
    """

    def __init__(self, sample_rate_hz: int, options: EncodeOptions | None = None) -> None:
        self.options = options or EncodeOptions()
        version = _version(sample_rate_hz)
        _check_bitrate(self.options.bitrate_kbps, sample_rate_hz)
        self.sample_rate_hz = sample_rate_hz
        self._expected = _FrameHeader(
            version, sample_rate_hz, self.options.bitrate_kbps, False, _MONO
        )
        self._encoder = lameenc.Encoder()
        self._encoder.set_channels(1)
        self._encoder.set_in_sample_rate(sample_rate_hz)
        # Resampling would shift every timing, so the MP3 keeps the voice's rate.
        self._encoder.set_out_sample_rate(sample_rate_hz)
        self._encoder.set_bit_rate(self.options.bitrate_kbps)
        self._encoder.set_quality(self.options.quality)
        self._unparsed = bytearray()
        self._finished = False
        self.sample_count = 0
        """PCM samples fed so far."""
        self.frame_count = 0
        """Complete audio frames produced so far."""
        self.audio_bytes = 0
        """Bytes of complete audio frames produced so far."""
        self._music_crc = 0

    def feed(self, pcm: bytes) -> bytes:
        """Encode mono signed 16-bit little-endian samples; return the MP3 bytes ready so far."""
        if self._finished:
            raise RuntimeError("Mp3Stream.feed() after finish()")
        if len(pcm) % 2:
            raise ValueError("PCM must hold whole 16-bit samples")
        if not pcm:
            return b""
        self.sample_count += len(pcm) // 2
        louder = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / _LAME_SCALE
        pcm = np.clip(np.rint(louder), -32768, 32767).astype("<i2").tobytes()
        return self._count(bytes(self._encoder.encode(pcm)))

    def finish(self) -> bytes:
        """Flush the encoder: the last frames. The stream takes no PCM after this."""
        if self._finished:
            raise RuntimeError("Mp3Stream.finish() called twice")
        if not self.sample_count:
            raise ValueError("nothing to encode: no PCM was fed")
        self._finished = True
        tail = self._count(bytes(self._encoder.flush()))
        if self._unparsed:
            raise RuntimeError(f"LAME left {len(self._unparsed)} bytes that are not a whole frame")
        log.debug(
            "encoded %d samples into %d frames, %d bytes",
            self.sample_count,
            self.frame_count,
            self.audio_bytes,
        )
        return tail

    def _count(self, mp3: bytes) -> bytes:
        """Count whole frames (for the Info frame) and check LAME kept the format asked for."""
        self._music_crc = _crc16(mp3, self._music_crc)
        self._unparsed += mp3
        while len(self._unparsed) >= 4:
            header = _parse_header(self._unparsed)
            if header._replace(padding=False) != self._expected:
                raise RuntimeError(f"LAME produced {header}, expected {self._expected}")
            if len(self._unparsed) < header.length:
                break
            del self._unparsed[: header.length]
            self.frame_count += 1
            self.audio_bytes += header.length
        return mp3

    @property
    def padding_samples(self) -> int:
        """Samples after the last PCM sample in the decoded frames (beyond the encoder delay)."""
        return (
            self.frame_count * self._expected.samples - _ENCODER_DELAY_SAMPLES - self.sample_count
        )

    def info_frame(self) -> bytes:
        """The Xing "Info" frame with LAME extension for the finished stream (goes before it)."""
        if not self._finished:
            raise RuntimeError("Mp3Stream.info_frame() before finish()")
        header = _info_header(self._expected)
        frame = bytearray(header.length)
        frame[:4] = _header_bytes(header)
        offset = 4 + header.side_info_length
        total_bytes = header.length + self.audio_bytes
        # CBR: time and byte position grow together, so the seek table is a straight line.
        toc = bytes(i * 256 // 100 for i in range(100))
        vbr_scale = 100 - 10 * 4 - self.options.quality  # as LAME: default VBR_q 4 and quality
        xing = b"Info" + _u32(_XING_FLAGS) + _u32(self.frame_count) + _u32(total_bytes)
        xing += toc + _u32(vbr_scale)
        frame[offset : offset + len(xing)] = xing
        offset += len(xing)
        lame = self._lame_extension(total_bytes)
        frame[offset : offset + len(lame)] = lame
        offset += len(lame)
        frame[offset : offset + 2] = _crc16(bytes(frame[:offset])).to_bytes(2, "big")
        return bytes(frame)

    def _lame_extension(self, music_length: int) -> bytes:
        """The 34 bytes of LAME's tag before its own CRC (http://gabriel.mp3-tech.org/mp3infotag.html)."""
        padding = self.padding_samples
        if not 0 <= padding < 4096 or _ENCODER_DELAY_SAMPLES >= 4096:
            raise RuntimeError(f"encoder padding {padding} does not fit the LAME tag")
        rate = self.sample_rate_hz
        source_rate = 0 if rate <= 32000 else 1 if rate == 44100 else 2 if rate == 48000 else 3
        return b"".join(
            (
                _LAME_VERSION.ljust(9, b"\x00"),
                bytes([0x01]),  # tag revision 0, VBR method 1: constant bit rate
                bytes([0]),  # lowpass unknown
                bytes(4 + 2 + 2),  # peak, track gain, album gain: not measured
                bytes([0]),  # encoding flags, ATH type
                bytes([min(self.options.bitrate_kbps, 255)]),
                (_ENCODER_DELAY_SAMPLES << 12 | padding).to_bytes(3, "big"),
                bytes([source_rate << 6]),  # not unwise, mono, no noise shaping
                bytes([0]),  # MP3 gain
                bytes(2),  # surround, preset
                _u32(music_length),
                self._music_crc.to_bytes(2, "big"),
            )
        )


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def _info_header(audio: _FrameHeader) -> _FrameHeader:
    """The Info frame's header: the audio's format, at a bit rate whose frame holds the tag."""
    needed = 4 + audio.side_info_length + 120 + 36
    bitrates = _BITRATES_KBPS[audio.version]
    for kbps in bitrates[bitrates.index(audio.bitrate_kbps) :]:
        header = audio._replace(bitrate_kbps=kbps, padding=False)
        if header.length >= needed:
            return header
    raise ValueError(f"no frame of {audio} holds the Info tag")  # unreachable for real tables


def language_code(language: str | None) -> str:
    """ISO 639-2 code for a BCP 47 tag ("en-GB" → "eng"); "und" when unknown."""
    primary = (language or "").split("-")[0].split("_")[0].lower()
    if len(primary) == 3 and primary.isalpha():
        return primary
    return LANGUAGE_CODES.get(primary, UNDETERMINED_LANGUAGE)


def id3_timestamp(date: str) -> str:
    """An ISO 8601 date as ID3v2.4 writes a time (UTC, no offset): "2025-02-03T18:46:00+02:00"
    → "2025-02-03T16:46:00"; a day alone, or a text that is no date, as it is."""
    try:
        when = datetime.fromisoformat(date)
    except ValueError:
        return date
    if len(date) <= len("2025-02-03"):
        return date
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds")


def tag(script: Script, rendition: Rendition, options: EncodeOptions | None = None,
        cover_jpeg: bytes | None = None) -> bytes:
    """The ID3v2.4 tag: article metadata, AI disclosure, (when chaptered) CTOC + CHAP frames with
    the chapters in time order, and the front cover (APIC) when `cover_jpeg` is given."""
    options = options or EncodeOptions()
    utf8 = id3.Encoding.UTF8
    language = language_code(script.language)
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=utf8, text=[script.title]))
    if script.byline:
        tags.add(id3.TPE1(encoding=utf8, text=[script.byline]))
    if script.site:
        tags.add(id3.TALB(encoding=utf8, text=[script.site]))
        tags.add(id3.TPUB(encoding=utf8, text=[script.site]))
    if script.date:
        tags.add(id3.TDRC(encoding=utf8, text=[id3_timestamp(script.date)]))
    if script.url:
        tags.add(id3.WOAS(url=script.url))
    tags.add(id3.TLAN(encoding=utf8, text=[language]))
    tags.add(id3.TLEN(encoding=utf8, text=[str(rendition.duration_ms)]))
    tags.add(id3.TXXX(encoding=utf8, desc=DISCLOSURE_DESCRIPTION, text=[options.disclosure]))
    tags.add(id3.COMM(encoding=utf8, lang=language, desc="", text=[options.disclosure]))
    if options.disclosure_url:
        tags.add(id3.WXXX(encoding=utf8, desc=DISCLOSURE_DESCRIPTION, url=options.disclosure_url))
    tags.add(id3.TSSE(encoding=utf8, text=[f"audiobrief {__version__}"]))
    # mutagen orders the frames it saves by size, which would put the chapters out of time
    # order (ffprobe and many players list CHAP frames as stored): they are appended after it.
    ordered = _chapters(script, rendition) if script.chaptered else []
    if cover_jpeg:
        ordered.append(id3.APIC(encoding=id3.Encoding.LATIN1, mime="image/jpeg",
                                type=id3.PictureType.COVER_FRONT, desc="", data=cover_jpeg))
    body = _saved(tags)[_ID3_HEADER_BYTES:] + b"".join(
        _saved(_only(frame))[_ID3_HEADER_BYTES:] for frame in ordered)
    return b"ID3\x04\x00\x00" + _synchsafe(len(body)) + body


_ID3_HEADER_BYTES = 10


def _saved(tags: id3.ID3) -> bytes:
    buffer = io.BytesIO()
    # No padding: the file is made whole, never edited in place.
    tags.save(buffer, v2_version=4, padding=lambda _info: 0)
    return buffer.getvalue()


def _only(frame: id3.Frame) -> id3.ID3:
    tags = id3.ID3()
    tags.add(frame)
    return tags


def _synchsafe(size: int) -> bytes:
    """An ID3v2 tag size: 28 bits in four bytes of seven."""
    if size >= 1 << 28:
        raise ValueError(f"an ID3 tag cannot hold {size} bytes")
    return bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _chapters(script: Script, rendition: Rendition) -> list[id3.Frame]:
    """The CTOC frame, then a CHAP frame per chapter, first chapter first."""
    spans = rendition.chapter_spans(script)
    ids = [f"chp{number}" for number in range(len(spans))]
    frames: list[id3.Frame] = [
        id3.CTOC(
            element_id="toc",
            flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[id3.TIT2(encoding=id3.Encoding.UTF8, text=[script.title])],
        )
    ]
    for element_id, chapter, span in zip(ids, script.chapters, spans, strict=True):
        frames.append(
            id3.CHAP(
                element_id=element_id,
                start_time=span.start_ms,
                end_time=span.end_ms,
                sub_frames=[id3.TIT2(encoding=id3.Encoding.UTF8, text=[chapter.title])],
            )
        )
    return frames
