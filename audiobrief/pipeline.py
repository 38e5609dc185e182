"""The one function chain the shells call: source → Page → Article → Script → Rendition → MP3."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from audiobrief import cover as covers
from audiobrief import encode as encoding
from audiobrief import loudness, sidecars
from audiobrief.atomic import write_atomic, write_atomic_after
from audiobrief.encoders import Encoder, Mp3Frames
from audiobrief.errors import AudiobriefError, OutputError, RequestError, TooLongError
from audiobrief.extract import extract
from audiobrief.load import Limits, load, web_url
from audiobrief.model import Article, ChapterMode, Page, Rendition, Script, Span
from audiobrief.script import CHARS_PER_SECOND, PAUSE_MS, ScriptOptions, make_script
from audiobrief.script.lexicon import Lexicon
from audiobrief.script.pronounce import Pronouncer
from audiobrief.script.ssml import ssml_script
from audiobrief.settings import Settings
from audiobrief.synthesize import (
    Cancellation,
    Progress,
    SentenceCache,
    SynthesisOptions,
    Timeline,
    synthesize_sentences,
)
from audiobrief.voices import Voice, VoiceSpec, check_languages, choose, start_loading

logger = logging.getLogger(__name__)

LENGTH_MARGIN = 1.25
"""Input is refused as too long only when its estimated audio exceeds the limit by this factor:
the estimate from characters is rough, and an article under the limit must not be refused."""
# A mark that ends a sentence, counted for the pauses an estimate adds; possessive and only at
# the first mark of a run, so a long run of dots or quotes costs linear time.
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’»)\]]*+(?=\s|$)")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class Options:
    """What a user chooses per narration (CLI flags, API request fields)."""

    voice: str | None = None
    """Voice name; it must speak the article's language. None: the voice of that language
    (`voices.choose`)."""
    language: str | None = None
    """The language to read the article in (BCP 47, "en"), whatever its text looks like; None:
    the language detected from its text."""
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
    site_lexicon: Lexicon | None = None
    """The service's own lexicon (its editors', see service.site_lexicon); it beats the built-in
    lexicon and is beaten by the user's."""
    headline: bool = True
    """Speak the title first; off when the text is to be read exactly as given."""


@dataclass(frozen=True, slots=True)
class Narration:
    """A finished narration: the script, its audio timings, the MP3's head and chapter times."""

    script: Script
    rendition: Rendition
    head: bytes
    """The MP3's ID3 tag and Info frame: the file is these bytes, then the audio frames exactly
    as `narrate` wrote them."""
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
         refuse_private: bool = False, speed: float = 1.0) -> Article:
    """Load and extract: the article a source holds.

    A text is refused as too long (TooLongError) from its length before it is parsed: every
    character of a text may be spoken, and parsing a text of any length as Markdown would take
    any time.
    """
    page = source if isinstance(source, Page) else load(
        source, limits(settings, refuse_private=refuse_private))
    if page.kind == "text":
        _check_length(len(page.content) / (CHARS_PER_SECOND * speed), settings)
    return _bounded(extract(page, title=title), settings)


def check_settings(settings: Settings) -> None:
    """Refuse settings no narration could use (SettingsError), before any work is taken on."""
    encoding.EncodeOptions.from_settings(settings)
    loudness.check_target(settings.loudness_lufs)
    check_languages(settings)


def voice_spec(settings: Settings, options: Options, language: str | None = None) -> VoiceSpec:
    """The voice that reads a text in `language` (None: not known) with these options: the one
    asked for, which must speak it, else the voice of that language (`voices.choose`). A
    script's voice is `voice_spec(settings, options, script.language)`."""
    return choose(settings, language, options.voice)


def pronouncer(spec: VoiceSpec, lexicons: tuple[Path, ...] = (),
               entries: str = "", site: Lexicon | None = None) -> Pronouncer:
    """The pronouncer of a voice with the given user lexicons (built once per combination of
    voice and files; entries given with a request are parsed for that request only, so a
    stranger's large lexicon is not kept in memory after it) and the site's lexicon as it is
    now."""
    if entries.strip():
        made = Pronouncer(spec.phonemes, espeak_voice=spec.espeak_voice, user_lexicons=lexicons,
                          voice_name=spec.name, user_entries=entries)
    else:
        made = _pronouncer(spec.name, spec.phonemes, spec.espeak_voice, lexicons)
    return made.with_site(site) if site else made


@functools.lru_cache(maxsize=16)
def _pronouncer(name: str, phonemes: frozenset[str], espeak_voice: str,
                lexicons: tuple[Path, ...]) -> Pronouncer:
    return Pronouncer(phonemes, espeak_voice=espeak_voice, user_lexicons=lexicons,
                      voice_name=name)


def prepare(source: str | Path | Page | Article, settings: Settings, options: Options, *,
            refuse_private: bool = False) -> Script:
    """Everything up to the spoken script (no voice model is loaded); an SSML page (its root is
    `<speak>`) is said as it says, not extracted.

    Raises TooLongError when the audio would be longer than `settings.max_audio_minutes`:
    estimated from the article's length before any scripting (so a huge text costs no work),
    and checked again on the finished script, whose numbers and symbols may say more.

    Raises LanguageError when no voice can read the article in its language (`voice_spec`). The
    script's language is the one it is read in: the options', else the article's, else (a text
    too short to tell) the voice's; its voice is `voice_spec(settings, options,
    script.language)`.
    """
    if options.language is not None and not _LANGUAGE_TAG.fullmatch(options.language):
        raise RequestError(f"language {options.language!r} is not a language tag such as 'en'"
                           " or 'de-AT'").for_field("language")
    if not isinstance(source, (Article, Page)):
        source = load(source, limits(settings, refuse_private=refuse_private))
    if isinstance(source, Page) and source.kind == "ssml":
        return _ssml_script(source, settings, options)
    article = _bounded(source, settings) if isinstance(source, Article) else read(
        source, settings, options.title, speed=options.speed)
    _check_length(_estimate_s(article, options), settings)
    language = (options.language or "").replace("_", "-") or article.language
    spec = voice_spec(settings, options, language)
    language = language or spec.language.replace("_", "-")
    if language != article.language:
        article = dataclasses.replace(article, language=language)
    script = make_script(article, pronouncer(spec, options.lexicons, options.lexicon_entries,
                                             options.site_lexicon),
                         ScriptOptions(chapters=options.chapters, normalize=options.normalize,
                                       headline=options.headline))
    _check_length(_script_s(script, options), settings)
    return script


def _ssml_script(page: Page, settings: Settings, options: Options) -> Script:
    """An SSML page's script: said as the document says, not extracted (`script.ssml`), by a
    voice of its language (`<speak xml:lang>`, or the options')."""

    def said_by(spec: VoiceSpec) -> Script:
        return ssml_script(page.content, page.origin,
                           pronouncer(spec, options.lexicons, options.lexicon_entries,
                                      options.site_lexicon),
                           voice_language=options.language or spec.language,
                           title=options.title, chapters=options.chapters,
                           normalize_text=options.normalize)

    spec = voice_spec(settings, options, options.language)
    script = said_by(spec)
    # The document may say its language (<speak xml:lang>): a voice of that one reads it.
    if (chosen := voice_spec(settings, options, script.language)).name != spec.name:
        script = said_by(chosen)
    script = dataclasses.replace(script, url=web_url(page.url))
    _check_length(_script_s(script, options), settings)
    return script


def _bounded(article: Article, settings: Settings) -> Article:
    """`article` with its title and headings cut to `settings.max_title_chars`: a page may hold a
    title of any length, and each is spoken and kept in tags and feeds."""
    limit = settings.max_title_chars
    if len(article.title) <= limit and all(
            len(section.heading or "") <= limit for section in article.sections):
        return article
    sections = tuple(
        dataclasses.replace(section, heading=_cut(section.heading, limit))
        if section.heading and len(section.heading) > limit else section
        for section in article.sections)
    return dataclasses.replace(article, title=_cut(article.title, limit), sections=sections)


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a space where there is one, marked with an
    ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    if not text[len(head)].isspace() and " " in head.strip():
        head = head.rstrip().rsplit(maxsplit=1)[0]
    return head.rstrip(" ,;:") + "…"


def _estimate_s(article: Article, options: Options) -> float:
    """Seconds of audio `article` would make, from its characters and sentence ends (linear
    time; the script is not made)."""
    texts = article.texts
    characters = sum(len(text) for text in texts)
    ends = sum(1 for text in texts for _ in _SENTENCE_END.finditer(text))
    paragraphs = sum(len(section.paragraphs) for section in article.sections)
    pauses_ms = ends * PAUSE_MS["sentence"] + paragraphs * PAUSE_MS["paragraph"]
    return characters / (CHARS_PER_SECOND * options.speed) + pauses_ms / 1000


def _script_s(script: Script, options: Options) -> float:
    """Seconds of audio `script` would make, from what is spoken and the pauses."""
    sentences = list(script.sentences)
    characters = sum(len(sentence.spoken) / sentence.rate for sentence in sentences)
    pauses_ms = sum(sentence.pause_after_ms for sentence in sentences)
    return characters / (CHARS_PER_SECOND * options.speed) + pauses_ms / 1000


def _check_length(estimate_s: float, settings: Settings) -> None:
    limit_s = settings.max_audio_minutes * 60
    if estimate_s > limit_s * LENGTH_MARGIN:
        raise TooLongError(
            f"this text would be about {estimate_s / 60:,.0f} minutes of audio; the limit is "
            f"{settings.max_audio_minutes} minutes")


class Frames(Protocol):
    """Where `narrate` writes the MP3 frames: a file, or a wrapper that bounds it."""

    def write(self, chunk: bytes, /) -> int: ...

    def flush(self) -> None: ...


def encoded(script: Script, voice: Voice, encoder: Encoder, timeline: Timeline,
            synthesis: SynthesisOptions, progress: Progress | None = None,
            cache: SentenceCache | None = None,
            cancel: Cancellation | None = None) -> Iterator[bytes]:
    """The one loop from a script to audio bytes, for files and streams in every format: each
    sentence synthesised, placed on `timeline` (its exact times), encoded; the bytes are yielded
    as soon as they are made, the encoder's header first and its tail last, never empty.

    Cancelled (raised here) once `cancel` is cancelled, before the next sentence; a consumer that
    stops reading stops the synthesis after the sentence under way.
    """
    if header := encoder.header():
        yield header
    for audio in synthesize_sentences(script, voice, synthesis, progress, cache, cancel):
        if chunk := encoder.feed(timeline.add(audio)):
            yield chunk
    if tail := encoder.finish():
        yield tail


def cover(script: Script, settings: Settings, *, refuse_private: bool = True) -> bytes | None:
    """The MP3's cover (JPEG): the article's own picture, fetched as its page would be, else the
    podcast's (AUDIOBRIEF_FEED_IMAGE); None when neither can be had."""
    if script.image and (made := covers.fetch_cover(
            script.image, limits(settings, refuse_private=refuse_private))):
        return made.jpeg
    if settings.feed_image and (made := covers.feed_cover(settings.feed_image, limits(settings))):
        return made.jpeg
    return None


def narrate(script: Script, voice: Voice, settings: Settings, options: Options,
            frames: Frames, progress: Progress | None = None,
            cache: SentenceCache | None = None, workers: int = 1,
            keep_pcm: bool = False, cancel: Cancellation | None = None,
            refuse_private: bool = True) -> Narration:
    """Synthesise and encode a script; each sentence is encoded while the next is synthesised.

    Each sentence's MP3 frames are written to `frames` (and flushed) as soon as they are
    encoded, so a listener can start before the end and nothing of the audio stays in memory:
    the finished MP3 is `Narration.head` followed by exactly these bytes. The PCM is dropped
    once encoded unless `keep_pcm`. Cancelled once `cancel` is cancelled (see `encoded`). The
    cover is fetched meanwhile (`cover`; private addresses refused unless `refuse_private` is
    off, as for the CLI).
    """
    encode_options = encoding.EncodeOptions.from_settings(settings)
    timeline = Timeline(voice.spec.sample_rate_hz, keep_pcm=keep_pcm)
    mp3 = Mp3Frames(voice.spec.sample_rate_hz, encode_options)
    fetching = ThreadPoolExecutor(1, thread_name_prefix="cover")
    try:
        # Fetched while the voice speaks, so the first audio never waits for a picture.
        covering = fetching.submit(cover, script, settings, refuse_private=refuse_private)
        for chunk in encoded(script, voice, mp3, timeline,
                             SynthesisOptions(options.speed, workers, settings.loudness_lufs),
                             progress, cache, cancel):
            frames.write(chunk)
            frames.flush()
        cover_jpeg = covering.result()
    finally:
        fetching.shutdown(wait=False)
    rendition = timeline.rendition()
    head = (encoding.tag(script, rendition, encode_options, cover_jpeg)
            + mp3.stream.info_frame())
    return Narration(script=script, rendition=rendition, head=head,
                     chapters=rendition.chapter_spans(script))


def synth_file(source: str | Path, out: Path, settings: Settings, options: Options, *,
               progress: Progress | None = None, chapters_json: Path | None = None,
               vtt: Path | None = None, workers: int = 1,
               loading: Future[Voice] | None = None,
               transcript_json: Path | None = None) -> Narration:
    """The whole offline job: source → MP3 at `out` (and sidecars), each written atomically.

    `loading` is the voice already being loaded (`start_loading`); else it starts here. Either
    way the model loads on another thread while the page is fetched, extracted and scripted.
    """
    loudness.check_target(settings.loudness_lufs)
    loading = loading or start_loading(settings, options.voice, workers)
    # The frames wait in an unnamed file beside `out` (gone with the process, however it ends).
    # It and the sidecars' directories are tried first: an output that cannot be written is
    # found before any work is done.
    with contextlib.ExitStack() as cleanup:
        with _output_error(out):
            frames = cleanup.enter_context(tempfile.TemporaryFile(dir=out.parent))
        for sidecar in (chapters_json, vtt, transcript_json):
            if sidecar:
                with _output_error(sidecar), tempfile.TemporaryFile(dir=sidecar.parent):
                    pass
        script = prepare(source, settings, options)
        voice = loading.result()
        spec = voice_spec(settings, options, script.language)
        if voice.spec.name != spec.name:  # the article's language chose another voice
            voice = Voice.load(spec.name, settings.voices, workers, settings.model_cache)
        with _output_error(out):
            narration = narrate(script, voice, settings, options, frames, progress,
                                workers=workers, refuse_private=False)
            frames.seek(0)
            write_atomic_after(out, narration.head, frames)
    if chapters_json:
        with _output_error(chapters_json):
            write_atomic(chapters_json,
                         sidecars.chapters_json(narration.script, narration.rendition))
    if vtt:
        with _output_error(vtt):
            write_atomic(vtt, sidecars.transcript_vtt(narration.script, narration.rendition))
    if transcript_json:
        with _output_error(transcript_json):
            write_atomic(transcript_json,
                         sidecars.transcript_json(narration.script, narration.rendition))
    logger.info("wrote %s (%d ms, %d chapters)", out, narration.duration_ms,
                len(narration.chapters))
    return narration


@contextlib.contextmanager
def _output_error(path: Path) -> Iterator[None]:
    """An OSError while writing `path` as the one-line OutputError a user can act on."""
    try:
        yield
    except AudiobriefError:
        raise
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from error
