"""The one function chain the shells call: source → Page → Article → Script → Rendition → MP3."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from audiobrief import encode as encoding
from audiobrief import sidecars
from audiobrief.extract import extract
from audiobrief.files import write_atomic
from audiobrief.load import Limits, load
from audiobrief.model import Article, ChapterMode, Page, Rendition, Script, Span
from audiobrief.script import ScriptOptions, make_script
from audiobrief.script.pronounce import Pronouncer
from audiobrief.settings import Settings
from audiobrief.synthesize import (
    Progress,
    SentenceCache,
    SynthesisOptions,
    Timeline,
    synthesize_sentences,
)
from audiobrief.voices import Voice, VoiceSpec, find_voice, start_loading

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Options:
    """What a user chooses per narration (CLI flags, API request fields)."""

    voice: str | None = None
    """Voice name; None is the settings' default voice."""
    speed: float = 1.0
    chapters: ChapterMode = "auto"
    title: str | None = None
    """Overrides the title found in the source."""
    normalize: bool = True
    lexicons: tuple[Path, ...] = ()
    """User lexicon files; they beat the built-in lexicon."""
    lexicon_entries: str = ""
    """User lexicon entries in the file format (word<TAB>phonemes), e.g. from an API request;
    they beat the files."""
    headline: bool = True
    """Speak the title first; off when the text is to be read exactly as given."""


@dataclass(frozen=True, slots=True)
class Narration:
    """A finished narration: the script, its audio, the MP3 and chapter times."""

    script: Script
    rendition: Rendition
    mp3: bytes
    chapters: tuple[Span, ...]

    @property
    def duration_ms(self) -> int:
        return self.rendition.duration_ms


def limits(settings: Settings, *, refuse_private: bool = False) -> Limits:
    """Load limits from settings; the service refuses private addresses, the CLI need not."""
    return Limits(max_bytes=settings.max_source_bytes, timeout_s=settings.fetch_timeout_s,
                  max_redirects=settings.max_redirects, refuse_private=refuse_private,
                  allow_hosts=settings.allow_hosts)


def read(source: str | Path | Page, settings: Settings, title: str | None = None, *,
         refuse_private: bool = False) -> Article:
    """Load and extract: the article a source holds."""
    page = source if isinstance(source, Page) else load(
        source, limits(settings, refuse_private=refuse_private))
    return extract(page, title=title)


def voice_spec(settings: Settings, options: Options) -> VoiceSpec:
    return find_voice(options.voice or settings.voice, settings.voices)


def pronouncer(spec: VoiceSpec, lexicons: tuple[Path, ...] = (),
               entries: str = "") -> Pronouncer:
    """The pronouncer of a voice with the given user lexicons (built once per combination)."""
    return _pronouncer(spec.name, spec.phonemes, spec.espeak_voice, lexicons, entries)


@functools.lru_cache(maxsize=16)
def _pronouncer(name: str, phonemes: frozenset[str], espeak_voice: str,
                lexicons: tuple[Path, ...], entries: str) -> Pronouncer:
    return Pronouncer(phonemes, espeak_voice=espeak_voice, user_lexicons=lexicons,
                      voice_name=name, user_entries=entries)


def prepare(source: str | Path | Page | Article, settings: Settings, options: Options, *,
            refuse_private: bool = False) -> Script:
    """Everything up to the spoken script (no voice model is loaded)."""
    article = source if isinstance(source, Article) else read(
        source, settings, options.title, refuse_private=refuse_private)
    spec = voice_spec(settings, options)
    return make_script(article, pronouncer(spec, options.lexicons, options.lexicon_entries),
                       ScriptOptions(chapters=options.chapters, normalize=options.normalize,
                                     headline=options.headline))


def narrate(script: Script, voice: Voice, settings: Settings, options: Options,
            progress: Progress | None = None, cache: SentenceCache | None = None,
            workers: int = 1, keep_pcm: bool = False,
            on_frames: Callable[[bytes], None] | None = None) -> Narration:
    """Synthesise and encode a script; each sentence is encoded while the next is synthesised.

    The PCM is dropped once encoded (memory stays flat on long articles) unless `keep_pcm`.
    `on_frames` receives the MP3 frames of each sentence as soon as they are encoded (a listener
    can start before the end); the finished MP3 holds exactly these frames after its tag.
    """
    encode_options = encoding.EncodeOptions.from_settings(settings)
    timeline = Timeline(voice.spec.sample_rate_hz, keep_pcm=keep_pcm)
    stream = encoding.Mp3Stream(voice.spec.sample_rate_hz, encode_options)
    frames: list[bytes] = []
    for audio in synthesize_sentences(script, voice, SynthesisOptions(options.speed, workers),
                                      progress, cache):
        frames.append(stream.feed(timeline.add(audio)))
        if on_frames and frames[-1]:
            on_frames(frames[-1])
    frames.append(stream.finish())
    if on_frames and frames[-1]:
        on_frames(frames[-1])
    rendition = timeline.rendition()
    mp3 = encoding.assemble(encoding.tag(script, rendition, encode_options), stream.info_frame(),
                            frames)
    return Narration(script=script, rendition=rendition, mp3=mp3,
                     chapters=encoding.chapter_spans(script, rendition))


def synth_file(source: str | Path, out: Path, settings: Settings, options: Options, *,
               progress: Progress | None = None, chapters_json: Path | None = None,
               vtt: Path | None = None, workers: int = 1,
               loading: Future[Voice] | None = None) -> Narration:
    """The whole offline job: source → MP3 at `out` (and sidecars), each written atomically.

    `loading` is the voice already being loaded (`start_loading`); else it starts here. Either
    way the model loads on another thread while the page is fetched, extracted and scripted.
    """
    loading = loading or start_loading(settings, options.voice, workers)
    script = prepare(source, settings, options)
    voice = loading.result()
    narration = narrate(script, voice, settings, options, progress, workers=workers)
    write_atomic(out, narration.mp3)
    if chapters_json:
        write_atomic(chapters_json, sidecars.chapters_json(narration.script, narration.rendition))
    if vtt:
        write_atomic(vtt, sidecars.transcript_vtt(narration.script, narration.rendition))
    logger.info("wrote %s (%d ms, %d chapters)", out, narration.duration_ms,
                len(narration.chapters))
    return narration
