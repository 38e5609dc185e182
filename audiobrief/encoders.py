"""PCM of each sentence → bytes of one format as they are made: MP3 frames, WAV, or raw PCM at
another rate, behind one `Encoder` interface that files and streams share."""

from __future__ import annotations

import struct
from typing import Literal, Protocol

import numpy as np

from audiobrief.encode import EncodeOptions, Mp3Stream

Format = Literal["mp3", "wav", "pcm"]
PCM_RATE_HZ = 24_000
"""OpenAI's `pcm` is 24 kHz; clients play it at that rate without asking."""


class Encoder(Protocol):
    """PCM in, sentence by sentence; bytes of one format out, as soon as they are made."""

    def header(self) -> bytes:
        """What comes before the first audio (a WAV header; nothing for MP3 frames)."""
        ...

    def feed(self, pcm: bytes) -> bytes:
        """Mono 16-bit PCM of the voice's rate → the bytes it makes now (perhaps none)."""
        ...

    def finish(self) -> bytes:
        """What is left once all PCM is fed."""
        ...


class Mp3Frames:
    """MP3 frames only: a stream has no length to put in an ID3 tag or Info frame; a file puts
    them after its tag and `stream.info_frame()` once all are made."""

    def __init__(self, sample_rate_hz: int, options: EncodeOptions) -> None:
        self.stream = Mp3Stream(sample_rate_hz, options)

    def header(self) -> bytes:
        return b""

    def feed(self, pcm: bytes) -> bytes:
        return self.stream.feed(pcm)

    def finish(self) -> bytes:
        return self.stream.finish()


WAV_BLOCK_BYTES = 4096
"""The audio of a streamed WAV ends on a whole multiple of this: ffmpeg reads a WAV of unknown
length in packets of 4096 bytes and calls a short last one corrupt."""


class Wav:
    """A canonical 44-byte RIFF header, sizes unknown, then the voice's PCM as it comes, ended
    with silence to a whole `WAV_BLOCK_BYTES` (at most 93 ms at 22.05 kHz)."""

    def __init__(self, sample_rate_hz: int) -> None:
        self.sample_rate_hz = sample_rate_hz
        self._data_bytes = 0

    def header(self) -> bytes:
        return wav_header(self.sample_rate_hz)

    def feed(self, pcm: bytes) -> bytes:
        self._data_bytes += len(pcm)
        return pcm

    def finish(self) -> bytes:
        return bytes(-self._data_bytes % WAV_BLOCK_BYTES)


class Pcm:
    """Raw samples resampled to `to_hz`."""

    def __init__(self, sample_rate_hz: int, to_hz: int = PCM_RATE_HZ) -> None:
        self._resampler = Resampler(sample_rate_hz, to_hz)

    def header(self) -> bytes:
        return b""

    def feed(self, pcm: bytes) -> bytes:
        return self._resampler.feed(pcm)

    def finish(self) -> bytes:
        return b""


def wav_header(sample_rate_hz: int) -> bytes:
    """RIFF/WAVE header for mono 16-bit PCM of unknown length: the RIFF and data sizes are
    0xFFFFFFFF, as OpenAI's speech API and ffmpeg writing to a pipe mark a stream (readers take
    the audio to the end of the stream)."""
    unknown = 0xFFFFFFFF
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate_hz, sample_rate_hz * 2, 2, 16)
    return (b"RIFF" + struct.pack("<I", unknown) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt))
            + fmt + b"data" + struct.pack("<I", unknown))


class Resampler:
    """Mono 16-bit PCM from one rate to another by linear interpolation, chunk by chunk.

    Output sample k sits at input position k × from/to across all chunks (the last sample of the
    chunk before is kept to interpolate over the seam), so chunking changes nothing and the
    output length tracks the input exactly. Linear interpolation dulls the top of the band a
    little; for 22.05 → 24 kHz speech that is inaudible, and it costs next to nothing.
    """

    def __init__(self, from_hz: int, to_hz: int) -> None:
        self.from_hz, self.to_hz = from_hz, to_hz
        self._consumed = 0
        """Input samples in earlier chunks."""
        self._produced = 0
        """Output samples made so far."""
        self._last = 0.0
        """The last input sample of the chunk before."""

    def feed(self, pcm: bytes) -> bytes:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if not samples.size:
            return b""
        last_index = self._consumed + samples.size - 1
        # Every output sample whose position falls at or before the last input sample known.
        end = last_index * self.to_hz // self.from_hz + 1
        positions = np.arange(self._produced, end) * (self.from_hz / self.to_hz)
        signal = np.concatenate(([self._last], samples))  # signal[0] is input sample consumed-1
        out = np.interp(positions - (self._consumed - 1), np.arange(signal.size), signal)
        self._consumed += samples.size
        self._produced = end
        self._last = float(samples[-1])
        return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()


def encoder_for(audio_format: Format, sample_rate_hz: int, options: EncodeOptions) -> Encoder:
    """The encoder of `audio_format` for PCM of the voice's rate."""
    if audio_format == "mp3":
        return Mp3Frames(sample_rate_hz, options)
    if audio_format == "wav":
        return Wav(sample_rate_hz)
    return Pcm(sample_rate_hz)
