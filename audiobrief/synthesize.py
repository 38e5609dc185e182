"""Script → Rendition: each sentence through the Piper voice, brought to the loudness target,
exactly timed."""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from audiobrief import alignment, loudness
from audiobrief.model import Rendition, Script, Sentence, SentenceAudio
from audiobrief.script.sentences import pack, slices
from audiobrief.script.words import spoken_units
from audiobrief.voices import Voice

logger = logging.getLogger(__name__)

MAX_PIECE_CHARS = 140
"""A longer sentence is spoken in pieces cut at its clause punctuation (, ; : —). One inference's
memory grows with its length and ONNX Runtime's arena keeps it: pieces this short keep the peak
well below whole sentences', at the same speed. A piece ending in a comma keeps the voice's
continuing intonation."""
MAX_CLAUSE_CHARS = 240
"""A clause (no , ; : — inside) up to this long is spoken whole, for its intonation; a longer one
is cut at spaces into pieces of MAX_PIECE_CHARS, as the voice's memory grows steeply with the
length of what it is given at once: an unbroken clause of any length would take any memory."""
MAX_RUN_IDS = 400
"""Phoneme ids given to one run of the model at most (at the voice's own speed). A run's memory
grows with the audio it makes, which follows the phonemes it is given, not the characters of
the text: a word espeak spells letter by letter or a number read digit by digit says many
phonemes in few characters. Pieces of ordinary sentences stay within this and are spoken as
one run each; a longer run is cut between words."""
MIN_RUN_IDS = 64
"""The floor of the limit at the slowest speeds, so a run still holds a few words."""
MIN_SPEED, MAX_SPEED = 0.25, 4.0
"""The speeds a sentence is said at, whatever the narration's speed and the sentence's rate."""
SPEAK_VERSION = "speak-3"
"""Part of every sentence's cache key: bump when the same spoken text would sound different."""

# A space after clause punctuation, not inside a [[ phonemes ]] block.
_CLAUSE_BREAK = re.compile(r"(?<=[,;:—–])\s+(?![^\[]*\]\])")
# One `[[ phonemes ]]` unit: the block, and any characters glued to it on either side.
_BLOCK = re.compile(r"(?P<before>[^\[]*)\[\[(?P<phonemes>.*)\]\](?P<after>.*)", re.DOTALL)

Spans = list[tuple[int, int]]
"""(first sample, end sample) of each spoken unit (`script.words.spoken_units`) of a piece or a
sentence, in its own audio."""
Progress = Callable[[int, int], None]
"""Called with (sentences done, sentences in all) as synthesis advances."""


class Cancelled(Exception):
    """Raised by synthesis once its Cancellation is cancelled; the message says why."""


class Cancellation:
    """How any narration is stopped from outside, whoever runs it (a job the service stops or
    another attempt took over, a speech whose client left): `cancel` from any thread, and the
    synthesis raises Cancelled before its next sentence."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise Cancelled if cancelled."""
        if self._event.is_set():
            raise Cancelled(self.reason)


@dataclass(frozen=True, slots=True)
class SynthesisOptions:
    speed: float = 1.0
    """Speaking rate: 1.0 is the voice's own, 1.25 a quarter faster."""
    workers: int = 1
    """Pieces of speech synthesised at once, each on its own thread (see `Voice.concurrency`)."""
    loudness_lufs: float = loudness.DEFAULT_LUFS
    """Integrated loudness each sentence is brought to (`loudness.plan`)."""

    def __post_init__(self) -> None:
        loudness.check_target(self.loudness_lufs)


class SentenceCache(Protocol):
    """Audio of sentences already made, keyed by what determines it."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, pcm: bytes) -> None: ...


class Timeline:
    """Lays sentence audio end to end, pauses included, keeping each sentence's sample span."""

    def __init__(self, sample_rate_hz: int, keep_pcm: bool = True) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.keep_pcm = keep_pcm
        """False: only timings are kept, the caller consumes the PCM `add` returns."""
        self._pieces: list[bytes] = []
        self._spans: list[tuple[int, int]] = []
        self._words: list[tuple[tuple[int, int], ...]] = []
        self._position = 0

    def add(self, audio: SentenceAudio) -> bytes:
        """Append a sentence and its pause; returns the PCM just appended."""
        pcm = audio.pcm + bytes(2 * audio.pause_samples)
        self._spans.append((self._position, self._position + audio.speech_samples))
        self._words.append(tuple((self._position + start, self._position + end)
                                 for start, end in audio.word_samples))
        if self.keep_pcm:
            self._pieces.append(pcm)
        self._position += audio.speech_samples + audio.pause_samples
        return pcm

    @property
    def sentences(self) -> int:
        """Sentences laid so far."""
        return len(self._spans)

    def rendition(self) -> Rendition:
        words = tuple(self._words)
        if self.keep_pcm:
            return Rendition(self.sample_rate_hz, tuple(self._spans), b"".join(self._pieces),
                             word_samples=words)
        return Rendition(self.sample_rate_hz, tuple(self._spans), length_samples=self._position,
                         word_samples=words)


def synthesize_sentences(script: Script, voice: Voice, options: SynthesisOptions | None = None,
                         progress: Progress | None = None,
                         cache: SentenceCache | None = None,
                         cancel: Cancellation | None = None) -> Iterator[SentenceAudio]:
    """Each sentence's audio, in script order, as soon as it (and all before it) is ready;
    Cancelled before the next sentence once `cancel` is cancelled.

    The pieces of speech (see `pieces`) are synthesised on `options.workers` threads, so a long
    sentence keeps every worker busy too, and even with one worker the caller encodes (or sends)
    a sentence while the next is synthesised.
    """
    options = options or SynthesisOptions()
    sentences = list(script.sentences)
    total = len(sentences)
    rate = voice.spec.sample_rate_hz
    workers = max(1, options.workers)
    # Pieces (and sentences, cached ones too) planned ahead at most, so memory stays flat on long
    # articles: an article made before is all cache hits, which cost no piece.
    window = 2 * workers
    cuts = [pieces(sentence.spoken, MAX_PIECE_CHARS) for sentence in sentences]
    pieces_left = [*itertools.accumulate(len(cut) for cut in reversed(cuts))][::-1] + [0]
    if progress:
        progress(0, total)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audiobrief-synth") as pool:
        planned: deque[tuple[str, tuple[bytes, Spans] | list[Future[Piece]]]] = deque()
        in_flight = 0
        next_index = 0

        def plan(start: int, end: int) -> int:
            """Plan sentences start…end-1: cached PCM, or their pieces submitted; the pieces
            of a group go longest first, so the last ones of all end together instead of one
            worker waiting for another's long piece. Returns the pieces submitted."""
            keys = [sentence_key(sentences[i], voice, options) for i in range(start, end)]
            cached = [_cached(cache, key, voice) for key in keys]
            todo = [(i, n) for i, pcm in zip(range(start, end), cached, strict=True)
                    if pcm is None for n in range(len(cuts[i]))]
            todo.sort(key=lambda item: -len(cuts[item[0]][item[1]]))
            futures = {(i, n): pool.submit(_speak_piece, cuts[i][n], voice,
                                           sentence_speed(sentences[i], options))
                       for i, n in todo}
            for i, key, pcm in zip(range(start, end), keys, cached, strict=True):
                planned.append((key, pcm if pcm is not None else
                                [futures[i, n] for n in range(len(cuts[i]))]))
            return len(futures)

        try:
            for index, sentence in enumerate(sentences):
                if cancel is not None:
                    cancel.check()
                while next_index < total and (next_index <= index or (
                        in_flight < window and len(planned) < window)):
                    end = total if pieces_left[next_index] <= window else next_index + 1
                    in_flight += plan(next_index, end)
                    next_index = end
                key, work = planned.popleft()
                if isinstance(work, tuple):
                    pcm, words = work
                else:
                    in_flight -= len(work)
                    done = [future.result() for future in work]
                    pcm = _finish([piece.audio for piece in done], rate, options.loudness_lufs)
                    words = _sentence_words(sentence.spoken, done)
                    if cache is not None:
                        cache.put(key, pcm)
                        cache.put(words_key(key), _pack_spans(words))
                yield SentenceAudio(index=index, pcm=pcm,
                                    pause_samples=round(sentence.pause_after_ms * rate / 1000),
                                    word_samples=tuple(words))
                if progress:
                    progress(index + 1, total)
        finally:
            for _, work in planned:  # a caller that stops early does not wait for the rest
                for future in work if isinstance(work, list) else ():
                    future.cancel()


def sentence_key(sentence: Sentence, voice: Voice, options: SynthesisOptions) -> str:
    """What determines a sentence's audio: the voice (its model and phonemizer, see
    `Voice.identity`), the speed it is said at and the exact spoken text, whose names are written
    as the phonemes they get, and the loudness it is brought to."""
    # The speed said at, not the narration's and the sentence's apart: at rate 1 the key is what
    # it always was, and a sentence sounds the same however its speed was come by.
    speed = sentence_speed(sentence, options)
    material = (f"{SPEAK_VERSION}\x00{voice.identity}\x00{speed:.3f}\x00"
                f"{options.loudness_lufs:.1f}\x00{sentence.spoken}")
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def sentence_speed(sentence: Sentence, options: SynthesisOptions) -> float:
    """The speed `sentence` is said at: the narration's times the sentence's own rate, within
    MIN_SPEED…MAX_SPEED."""
    if sentence.rate == 1.0:
        return options.speed
    return min(MAX_SPEED, max(MIN_SPEED, options.speed * sentence.rate))


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece of a sentence as the voice said it."""

    text: str
    audio: np.ndarray
    """Raw float samples, before the sentence's gain."""
    words: Spans
    """When each of its spoken units is said, in `audio`."""


def _speak_piece(piece: str, voice: Voice, speed: float) -> Piece:
    """The raw float audio of one piece of a sentence: what Piper's `synthesize` makes of it,
    but no run of the model given more than `run_limit(speed)` phoneme ids; with when each of
    its units is said."""
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=1.0 / speed, normalize_audio=False)
    limit = run_limit(speed)
    piper_voice = voice.piper
    id_map = piper_voice.config.phoneme_id_map
    chunks = []
    said: alignment.Said = []
    length = 0
    for phonemes in piper_voice.phonemize(piece):
        for ids in _runs(phonemes, id_map, limit) if phonemes else ():
            # Weighed by the audio the ids make: at half speed, each lasts twice as long.
            with voice.borrow(math.ceil(len(ids) / speed)):
                result = piper_voice.phoneme_ids_to_audio(ids, config,
                                                          include_alignments=voice.aligned)
            audio, samples = result if isinstance(result, tuple) else (result, None)
            if samples is not None and len(samples) == len(ids):
                said += alignment.said(ids, samples.tolist(), _id_map(voice), length)
            chunks.append(np.clip(audio, -1.0, 1.0).astype(np.float32))
            length += chunks[-1].size
    units = spoken_units(piece)
    words = (alignment.unit_spans(units, said, voice.spec.espeak_voice, length) if said
             else alignment.estimated_spans(units, length))
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return Piece(piece, audio, alignment.to_sound(words, audio, voice.spec.sample_rate_hz))


_ID_MAPS: dict[str, alignment.IdMap] = {}


def _id_map(voice: Voice) -> alignment.IdMap:
    """The voice's id map read backwards, made once per voice."""
    if (found := _ID_MAPS.get(voice.identity)) is None:
        found = _ID_MAPS[voice.identity] = alignment.IdMap.of(voice.piper.config.phoneme_id_map)
    return found


def words_key(key: str) -> str:
    """Where the cache keeps when the words of the sentence under `key` are said."""
    return f"{key}-words"


def _cached(cache: SentenceCache | None, key: str, voice: Voice) -> tuple[bytes, Spans] | None:
    """A sentence's audio and word times from the cache; None when either is missing (audio
    cached before word times were kept is made again once)."""
    if cache is None or (pcm := cache.get(key)) is None:
        return None
    packed = cache.get(words_key(key))
    if packed is None or len(packed) % 8:
        return None
    spans = np.frombuffer(packed, dtype="<i4").reshape(-1, 2).tolist()
    return pcm, [(start, end) for start, end in spans]


def _pack_spans(spans: Spans) -> bytes:
    return np.asarray(spans, dtype="<i4").reshape(-1, 2).tobytes()


def _sentence_words(spoken: str, done: list[Piece]) -> Spans:
    """When each spoken unit of a sentence is said, from its pieces (said end to end). A unit
    cut into several pieces' units (a word or block too long for one) spans all of theirs."""
    spans: Spans = []
    texts: list[str] = []
    offset = 0
    for piece in done:
        units = spoken_units(piece.text)
        if len(units) != len(piece.words):
            units = [piece.text]
            piece_spans = [(piece.words[0][0], piece.words[-1][1])] if piece.words else [(0, 0)]
        else:
            piece_spans = piece.words
        texts.extend(units)
        spans.extend((offset + start, offset + end) for start, end in piece_spans)
        offset += piece.audio.size
    wanted = spoken_units(spoken)
    if len(wanted) == len(spans):
        return spans
    # Merge pieces' units into the sentence's by the letters they hold.
    merged: Spans = []
    position = 0
    for unit in wanted:
        need = len(_letters(unit))
        start = spans[position][0] if position < len(spans) else offset
        end = start
        held = 0
        while position < len(spans) and (held < need or not held):
            held += len(_letters(texts[position]))
            end = spans[position][1]
            position += 1
        merged.append((start, end))
    return merged


def _letters(unit: str) -> str:
    return re.sub(r"[\s\[\]]", "", unit)


def run_limit(speed: float) -> int:
    """Phoneme ids one run of the model is given at most at `speed`: slower speech lasts longer
    per id, so fewer; faster speech no more than at the voice's own rate."""
    return max(MIN_RUN_IDS, int(MAX_RUN_IDS * min(1.0, speed)))


def _runs(phonemes: list[str], id_map: Mapping[str, Sequence[int]],
          limit: int) -> Iterator[list[int]]:
    """The phoneme ids of one of Piper's sentences, cut between words (within a word as a last
    resort) into runs of at most `limit` ids; a sentence within the limit is one run, exactly
    the ids Piper itself would give the model."""
    from piper.const import PAD
    from piper.phoneme_ids import phonemes_to_ids

    ids = phonemes_to_ids(phonemes, id_map)
    if len(ids) <= limit:
        yield ids
        return
    pad = len(id_map.get(PAD, ()))

    def cost(phoneme: str) -> int:
        return len(id_map[phoneme]) + pad if phoneme in id_map else 0

    room = limit - len(phonemes_to_ids([], id_map))  # what BOS and EOS leave
    current: list[str] = []
    used = 0
    for word in _words(phonemes):
        for part in _cut_word(word, cost, room):
            size = sum(map(cost, part))
            if current and used + cost(" ") + size > room:
                yield phonemes_to_ids(current, id_map)
                current, used = [], 0
            if current:
                current.append(" ")
                used += cost(" ")
            current.extend(part)
            used += size
    if current:
        yield phonemes_to_ids(current, id_map)


def _words(phonemes: list[str]) -> Iterator[list[str]]:
    """The words of a phoneme sequence, without the spaces between them."""
    word: list[str] = []
    for phoneme in phonemes:
        if phoneme != " ":
            word.append(phoneme)
        elif word:
            yield word
            word = []
    if word:
        yield word


def _cut_word(word: list[str], cost: Callable[[str], int], room: int) -> Iterator[list[str]]:
    """`word` in parts of at most `room` ids each (one part when it fits)."""
    part: list[str] = []
    used = 0
    for phoneme in word:
        if part and used + cost(phoneme) > room:
            yield part
            part, used = [], 0
        part.append(phoneme)
        used += cost(phoneme)
    if part:
        yield part


def _finish(parts: list[np.ndarray], rate_hz: int, loudness_lufs: float) -> bytes:
    """A sentence's pieces as one PCM buffer at `loudness_lufs` (`loudness.plan`).

    A sentence of many pieces (a long number read out) lasts minutes: its float audio is read a
    block at a time, never joined into one array, so what is held besides the pieces is the
    16-bit result."""
    total = sum(part.size for part in parts)
    if total == 0:
        return b""
    levelling = loudness.plan(_blocks(parts, _BLOCK_SAMPLES), rate_hz, loudness_lufs)
    pcm = np.empty(total, dtype="<i2")
    position = 0
    for block in _blocks(parts, _BLOCK_SAMPLES):
        block = levelling.apply(block, position)
        np.clip(block, -1.0, 1.0, out=block)
        block *= np.float32(32767.0)
        pcm[position : position + block.size] = block
        position += block.size
    return pcm.tobytes()


def pieces(spoken: str, max_chars: int, clause_limit: int = MAX_CLAUSE_CHARS) -> list[str]:
    """`spoken` cut at clause punctuation into pieces of at most `max_chars` where it can be.

    A clause longer than `clause_limit` is cut at its spaces into pieces of at most `max_chars`
    (a `[[ phonemes ]]` block at the spaces between its words, each part a block of its own),
    and a word longer than that anywhere: no piece is ever longer than the larger of the two
    bounds, and the pieces joined by spaces say every word of `spoken` in order.
    """
    if len(spoken) <= max_chars:
        return [spoken]
    merged: list[str] = []
    for clause in _CLAUSE_BREAK.split(spoken):
        if len(clause) > clause_limit:
            merged.extend(_cut_at_words(clause, max_chars))
        elif merged and len(merged[-1]) + 1 + len(clause) <= max_chars:
            merged[-1] += " " + clause
        else:
            merged.append(clause)
    return merged


def _cut_at_words(clause: str, max_chars: int) -> list[str]:
    """A clause too long to be said at once as pieces of at most `max_chars`, cut between
    words."""
    return pack(_short_units(clause, max_chars), max_chars)


def _short_units(clause: str, max_chars: int) -> Iterator[str]:
    """The words and `[[ phonemes ]]` blocks of `clause`, each at most `max_chars` long."""
    for unit in spoken_units(clause):
        if len(unit) <= max_chars:
            yield unit
            continue
        block = _BLOCK.fullmatch(unit)
        if block is None:
            yield from slices(unit, max_chars)
            continue
        # A block too long (many names in a row, or one long word pronounced by rule) becomes
        # several blocks; words outside the brackets go on as words.
        yield from slices(block["before"], max_chars)
        room = max_chars - len("[[  ]]")
        phonemes = [part for word in block["phonemes"].split() for part in slices(word, room)]
        yield from (f"[[ {words} ]]" for words in _cut_at_words(" ".join(phonemes), room))
        yield from slices(block["after"], max_chars)


_BLOCK_SAMPLES = 1 << 16  # about 3 s of audio converted at a time


def _blocks(parts: list[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """The pieces end to end in blocks of `size` samples (the last one shorter), each a view
    of a piece where it lies within one."""
    carry: list[np.ndarray] = []
    held = 0
    for part in parts:
        start = 0
        if carry:
            start = min(size - held, part.size)
            carry.append(part[:start])
            held += start
            if held < size:
                continue
            yield np.concatenate(carry)
            carry, held = [], 0
        while part.size - start >= size:
            yield part[start : start + size]
            start += size
        if start < part.size:
            carry, held = [part[start:]], part.size - start
    if carry:
        yield np.concatenate(carry)
