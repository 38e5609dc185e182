"""Whole-buffer forms of the streaming stages, for tests that look at one stage's output."""

from __future__ import annotations

from audiobrief.encode import EncodeOptions, Mp3Stream, tag
from audiobrief.model import Rendition, Script
from audiobrief.synthesize import (
    Progress,
    SentenceCache,
    SynthesisOptions,
    Timeline,
    synthesize_sentences,
)
from audiobrief.voices import Voice


def synthesize(script: Script, voice: Voice, options: SynthesisOptions | None = None,
               progress: Progress | None = None, cache: SentenceCache | None = None) -> Rendition:
    """The whole script as one PCM buffer with each sentence's first and end sample."""
    timeline = Timeline(voice.spec.sample_rate_hz)
    for audio in synthesize_sentences(script, voice, options, progress, cache):
        timeline.add(audio)
    return timeline.rendition()


def assemble(head: bytes, info_frame: bytes, frames: list[bytes]) -> bytes:
    """The whole MP3 file: ID3 tag, Info frame, then the audio frames exactly as streamed."""
    return b"".join((head, info_frame, *frames))


def encode(rendition: Rendition, script: Script, options: EncodeOptions | None = None) -> bytes:
    """The finished MP3 of a rendition with its PCM: tag, Info frame and CBR frames."""
    options = options or EncodeOptions()
    stream = Mp3Stream(rendition.sample_rate_hz, options)
    frames = [stream.feed(rendition.pcm), stream.finish()]
    return assemble(tag(script, rendition, options), stream.info_frame(), frames)
