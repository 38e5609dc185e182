"""`POST /v1/audio/speech`, OpenAI's text-to-speech call: text in, audio streamed out sentence by
sentence as the local voice speaks it, so a reply starts after the first sentence, not the last.

Voices: an installed audiobrief voice name (`en_US-joe-medium`) is used as is; OpenAI's names
(alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse, marin, cedar) and any
other unknown name mean the service's default voice. `model` and `instructions` are accepted and
ignored (`X-Audiobrief-Ignored: instructions` says so). Formats: mp3 (the voice's 22.05 kHz), wav
(the same PCM behind a RIFF header whose sizes say "unknown", 0xFFFFFFFF, as OpenAI writes it) and
pcm (raw 16-bit little-endian mono at 24 kHz, OpenAI's rate, resampled by linear interpolation).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal, cast

import anyio
import anyio.from_thread
import anyio.lowlevel
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from litestar import Request, post
from litestar.params import JSONBody
from litestar.response import Stream

from audiobrief import pipeline
from audiobrief.encode import EncodeOptions
from audiobrief.encoders import Encoder, encoder_for
from audiobrief.encoders import Format as AudioFormat
from audiobrief.errors import QueueFullError, RequestError, SsmlError, VoiceNotFoundError
from audiobrief.extract import verbatim
from audiobrief.load import from_content, is_ssml
from audiobrief.model import Article, Page, PageKind, Script
from audiobrief.service.backends import SpeechSource
from audiobrief.service.jobs import Service
from audiobrief.settings import Settings
from audiobrief.synthesize import Cancellation, Cancelled, SynthesisOptions, Timeline
from audiobrief.voices import Voice, find_voice
from audiobrief.web.problems import MAPPED, also_in, answer, openai_problem, route_responses
from audiobrief.web.routes import KEYED, require_key
from audiobrief.web.schemas import Speed

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 100_000
OPENAI_VOICES = frozenset({"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova",
                           "sage", "shimmer", "verse", "marin", "cedar"})
"""OpenAI's voice names; like any name no voice is installed under, they mean the default."""
MEDIA_TYPES: dict[str, str] = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm"}
"""The formats made here; OpenAI's opus, aac and flac are refused with 400."""
_BUFFERED_CHUNKS = 4
"""Sentences encoded ahead of a slow client; past this, synthesis waits (memory stays flat)."""
FIRST_BYTE_S = 30.0
"""How long a web node waits for a worker to start a speech before it answers 503."""
READER_STALL_S = 15.0
"""A client that takes no audio for this long has stopped reading: its synthesis ends, so
clients that never read cannot hold threads or speech slots."""

VOICE_RULE = (
    "`voice`: an installed audiobrief voice name is used as is, and must speak the input's"
    " language; OpenAI's voice names (alloy, ash, ballad, coral, echo, fable, onyx, nova, sage,"
    " shimmer, verse, marin, cedar) and any other unknown name use the installed voice of the"
    " language detected from the input (the default voice for an input too short to tell), and"
    " an input in a language no installed voice speaks is refused (422). `model` and"
    " `instructions` are accepted and ignored (an answer that ignored `instructions` has the"
    " header `X-Audiobrief-Ignored: instructions`).")

Format = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
IGNORED_HEADER = "X-Audiobrief-Ignored"
"""Names the request fields the answer did not follow, so a client can tell."""


class VoiceId(msgspec.Struct):
    """OpenAI's custom-voice reference; its id is read like a voice name."""

    id: str


class SpeechRequest(msgspec.Struct):
    """OpenAI's `audio.speech.create` body."""

    input: Annotated[str, msgspec.Meta(
        min_length=1, max_length=MAX_INPUT_CHARS,
        description="The text to speak; every word is said once, in order, nothing added. An"
                    " input whose root element is <speak> is SSML (the subset of"
                    " POST /v1/articles' `ssml`).")]
    model: Annotated[str, msgspec.Meta(
        description="tts-1, tts-1-hd, gpt-4o-mini-tts or a voice name: accepted, ignored.")] = (
        "tts-1")
    voice: Annotated[str | VoiceId, msgspec.Meta(description=VOICE_RULE)] = "alloy"
    response_format: Annotated[Format, msgspec.Meta(
        description="mp3 (22.05 kHz), wav (22.05 kHz, sizes unknown: 0xFFFFFFFF) or pcm"
                    " (16-bit little-endian mono, 24 kHz). opus, aac and flac are refused.")] = (
        "mp3")
    speed: Speed = 1.0
    instructions: Annotated[str | None, msgspec.Meta(
        description="Accepted and ignored: a Piper voice has no speaking style to steer. An"
                    f" answer that ignored it says so in `{IGNORED_HEADER}: instructions`.")] = None
    stream_format: Annotated[Literal["audio", "sse"], msgspec.Meta(
        description="Only `audio` (the audio bytes, streamed) is made.")] = "audio"

    @property
    def ignored_headers(self) -> dict[str, str]:
        """The answer's headers naming what of the request it ignored (`instructions`)."""
        return {IGNORED_HEADER: "instructions"} if (self.instructions or "").strip() else {}

    @property
    def voice_name(self) -> str:
        return self.voice if isinstance(self.voice, str) else self.voice.id

    def validate(self) -> None:
        """What the schema's types cannot say: the formats and stream formats made here."""
        if self.response_format not in MEDIA_TYPES:
            raise RequestError(f"response_format {self.response_format!r} is not supported;"
                               f" use one of {', '.join(MEDIA_TYPES)}").for_field("response_format")
        if self.stream_format != "audio":
            raise RequestError("stream_format 'sse' is not supported; use 'audio'").for_field(
                "stream_format")


# The request → a script → audio. ---------------------------------------------------------------

def _voice_name(requested: str, settings: Settings) -> str | None:
    """The voice rule: an installed voice by name, else None: the voice of the input's
    language."""
    if not requested or requested in OPENAI_VOICES:
        return None
    try:
        return find_voice(requested, settings.voices).name
    except VoiceNotFoundError:
        return None


def _article(page: Page) -> Article:
    """The text as it is (`extract.verbatim`): speech must say every word it was given, once,
    where `extract` would read a first short line as the title and drop lines like "Read more".
    The title stays empty: the headline is not spoken and a stream carries no tag to hold it."""
    article = verbatim(page.content)
    if not article.sections:
        raise RequestError("input has nothing to say: it is only white space").for_field("input")
    return article


def _script(service: Service, request: SpeechRequest) -> tuple[Script, str]:
    """The script (same normaliser, sentences and names as articles) and the voice's name; an
    input whose root element is `<speak>` is SSML, said as it says."""
    settings = service.settings
    kind: PageKind = "ssml" if is_ssml(request.input) else "text"
    page = from_content(request.input, kind, "the request", limits=pipeline.limits(settings))
    options = pipeline.Options(voice=_voice_name(request.voice_name, settings),
                               speed=request.speed, chapters="none", headline=False,
                               site_lexicon=service.site_lexicon.lexicon())
    try:
        script = pipeline.prepare(page if kind == "ssml" else _article(page), settings, options)
    except SsmlError as error:
        raise error.for_field("input") from None
    if not script.sentence_count:  # refused now: once the 200 has started, only a cut stream
        raise RequestError("input has nothing to say: no sentence in it can be spoken"
                           ).for_field("input")
    return script, pipeline.voice_spec(settings, options, script.language).name


def _prepare(service: Service, request: SpeechRequest) -> tuple[Script, Voice]:
    """The script and the loaded voice."""
    script, name = _script(service, request)
    return script, service.voice(name)


class Streams:
    """The speeches being made, at most `limit` at once (each holds a thread and the voice's
    cores); a slot is held from the request until its synthesis ends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def take(self) -> None:
        if not self._slots.acquire(blocking=False):
            raise QueueFullError(f"{self.limit} speeches are being made already; try again in a"
                                 " moment")

    def give_back(self) -> None:
        self._slots.release()


async def _send_within(send: MemoryObjectSendStream[bytes | Exception], chunk: bytes) -> None:
    with anyio.fail_after(READER_STALL_S):
        await send.send(chunk)


def _synthesize(script: Script, voice: Voice, synthesis: SynthesisOptions, encoder: Encoder,
                send: MemoryObjectSendStream[bytes | Exception], cancel: Cancellation,
                token: anyio.lowlevel.EventLoopToken, streams: Streams) -> None:
    """On a thread of its own: speak each sentence, encode it, hand the bytes to the loop.

    Stops before the next sentence once `cancel` is cancelled, at the next hand-over once the
    reader is gone, or when the reader has taken nothing for READER_STALL_S.
    """
    started = time.perf_counter()
    timeline = Timeline(voice.spec.sample_rate_hz, keep_pcm=False)
    try:
        for chunk in pipeline.encoded(script, voice, encoder, timeline, synthesis, cancel=cancel):
            anyio.from_thread.run(_send_within, send, chunk, token=token)
        rendition = timeline.rendition()
        logger.info("spoke %d sentences, %.1f s of audio in %.1f s", script.sentence_count,
                    rendition.duration_ms / 1000, time.perf_counter() - started)
    except Cancelled as stopped:
        logger.info("speech stopped after %d of %d sentences: %s", timeline.sentences,
                    script.sentence_count, stopped)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        logger.info("speech stopped: the client left")
    except TimeoutError:
        logger.info("speech stopped: the client took no audio for %.0f s", READER_STALL_S)
    except Exception as error:  # a bug: the reader re-raises it so the response is cut short
        logger.exception("speech synthesis failed")
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError,
                                 RuntimeError):  # the reader or the loop is gone
            anyio.from_thread.run(send.send, error, token=token)
    finally:
        # The slot first: a client that has the whole body may ask again at once.
        streams.give_back()
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is reading
            anyio.from_thread.run_sync(send.close, token=token)


def _start(script: Script, voice: Voice, synthesis: SynthesisOptions, encoder: Encoder,
           streams: Streams) -> AsyncIterator[bytes]:
    """Start the synthesis thread (it gives the speech slot back when it ends, even if the body
    is never read) and return the response body."""
    send, receive = anyio.create_memory_object_stream[bytes | Exception](_BUFFERED_CHUNKS)
    cancel = Cancellation()
    thread = threading.Thread(
        target=_synthesize, name="audiobrief-speech", daemon=True,
        args=(script, voice, synthesis, encoder, send, cancel, anyio.lowlevel.current_token(),
              streams))
    thread.start()
    return _audio(receive, cancel)


async def _audio(receive: MemoryObjectReceiveStream[bytes | Exception],
                 cancel: Cancellation) -> AsyncIterator[bytes]:
    """The response body: bytes as each sentence is encoded. Leaving early stops the thread."""
    try:
        async for chunk in receive:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk
    finally:
        cancel.cancel("the client left")
        receive.close()  # a hand-over the thread is waiting in fails: it stops there


@post("/v1/audio/speech", guards=[require_key], status_code=200, security=KEYED,
      summary="Speak text (OpenAI-compatible), streamed",
      description="OpenAI's `audio.speech.create`: the text is read by the local voice and the "
                  "audio streamed as each sentence is ready. " + VOICE_RULE + " Formats: mp3, "
                  "wav (22.05 kHz, RIFF sizes 0xFFFFFFFF) and pcm (16-bit LE mono, 24 kHz).",
      response_description="The audio: audio/mpeg, audio/wav or audio/pcm.",
      operation_class=also_in(200, MEDIA_TYPES["wav"], MEDIA_TYPES["pcm"]),
      exception_handlers=dict.fromkeys(MAPPED, openai_problem),
      responses=route_responses("POST", "/v1/audio/speech", {
          200: answer("The audio: audio/mpeg, audio/wav or audio/pcm, as response_format asks.",
                      MEDIA_TYPES["mp3"])}))
async def create_speech(request: Request[Any, Any, Any],
                        data: JSONBody[SpeechRequest]) -> Stream:
    data.validate()
    service: Service = request.app.state.service
    streams: Streams = request.app.state.speeches
    streams.take()
    if service.speeches is not None and not service.run_jobs:
        return await _relayed(service, data, streams)
    try:
        # Normalising, phonemizing names and perhaps loading the voice: off the event loop.
        script, voice = await anyio.to_thread.run_sync(_prepare, service, data)
        encoder = encoder_for(cast(AudioFormat, data.response_format), voice.spec.sample_rate_hz,
                              EncodeOptions.from_settings(service.settings))
        logger.info("speech: %d sentences, voice %s, %s", script.sentence_count,
                    voice.spec.name, data.response_format)
        synthesis = SynthesisOptions(data.speed, loudness_lufs=service.settings.loudness_lufs)
        body = _start(script, voice, synthesis, encoder, streams)
    except BaseException:
        streams.give_back()
        raise
    return Stream(body, media_type=MEDIA_TYPES[data.response_format],
                  headers=data.ignored_headers)


async def _relayed(service: Service, data: SpeechRequest, streams: Streams) -> Stream:
    """A web node holding no voice: the speech is made by a worker (`Speeches`) and relayed.
    The answer starts once the worker has sent its first bytes, so a speech no worker takes
    is a 503, not a 200 that never says a word."""
    assert service.speeches is not None
    try:
        script, name = await anyio.to_thread.run_sync(_script, service, data)
        source = await anyio.to_thread.run_sync(service.speeches.request, script, name,
                                                data.speed, data.response_format)
        first = await _first_bytes(source)
    finally:
        # The slot bounds this node's preparing only: the workers bound the speeches made (their
        # pool, the speech queue's limit) and stop one whose reader stalls, so a body never
        # read holds nothing here.
        streams.give_back()

    async def relay() -> AsyncIterator[bytes]:
        ended = False
        try:
            yield first
            stalled_s = 0.0
            while (chunk := await anyio.to_thread.run_sync(source.read, 1.0)) is not None:
                if not chunk:
                    stalled_s += 1.0
                    if stalled_s > READER_STALL_S * 2:  # the worker is gone
                        raise RuntimeError("the worker making this speech stopped answering")
                    continue
                stalled_s = 0.0
                yield chunk
            ended = True
        finally:
            if not ended:
                await anyio.to_thread.run_sync(source.cancel)

    logger.info("speech: %d sentences, voice %s, %s, made by a worker", script.sentence_count,
                name, data.response_format)
    return Stream(relay(), media_type=MEDIA_TYPES[data.response_format],
                  headers=data.ignored_headers)


async def _first_bytes(source: SpeechSource) -> bytes:
    waited = 0.0
    while waited < FIRST_BYTE_S:
        chunk = await anyio.to_thread.run_sync(source.read, 1.0)
        if chunk is None:
            break
        if chunk:
            return chunk
        waited += 1.0
    await anyio.to_thread.run_sync(source.cancel)
    raise QueueFullError(f"no worker started this speech within {FIRST_BYTE_S:.0f} s; try again"
                         " in a moment")


ROUTES = [create_speech]
