"""A run of the voice's phoneme durations → when each spoken unit of a piece of speech is said.

The voice says how many samples each phoneme id lasts (`runtime.aligned_model`); espeak joins
some words into one (`ʌvðə` for "of the"), so each unit is found among the phonemes said by
aligning its own phonemes (espeak's for a word, the block's for `[[ … ]]`) with them.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from audiobrief.voices import espeak_phonemes

Said = list[tuple[str, int, int]]
"""The phonemes a piece's audio says, each with its (first sample, end sample)."""

# Not a sound of a word: where words and clauses part (Piper keeps the punctuation).
_SILENT = frozenset(" ,.;:!?¡¿—…\"'()-")
_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


@dataclass(frozen=True, slots=True)
class IdMap:
    """The voice's phoneme id map read backwards: which phoneme each id stands for."""

    phonemes: Mapping[int, str]
    pad: int | None
    ends: frozenset[int]
    """The ids of the start and end marks, which say nothing."""

    @classmethod
    def of(cls, id_map: Mapping[str, Sequence[int]]) -> IdMap:
        from piper.const import BOS, EOS, PAD

        phonemes = {ids[0]: phoneme for phoneme, ids in id_map.items() if len(ids) == 1}
        pad = id_map.get(PAD, [None])[0]
        ends = frozenset(i for mark in (BOS, EOS) for i in id_map.get(mark, ()))
        return cls(phonemes, pad, ends)


def said(ids: Sequence[int], samples: Sequence[int], id_map: IdMap, offset: int) -> Said:
    """The phonemes of one run (its ids and each id's samples), placed `offset` samples into
    the piece: the pad after a phoneme belongs to it, as in Piper's own alignments."""
    result: Said = []
    position = offset
    for phoneme_id, count in zip(ids, samples, strict=True):
        count = int(count)
        if phoneme_id == id_map.pad or phoneme_id in id_map.ends:
            if result and phoneme_id == id_map.pad:
                phoneme, start, _ = result[-1]
                result[-1] = (phoneme, start, position + count)
        else:
            result.append((id_map.phonemes.get(phoneme_id, "?"), position, position + count))
        position += count
    return result


def unit_spans(units: Sequence[str], phonemes: Said, espeak_voice: str,
               length: int) -> list[tuple[int, int]]:
    """(first sample, end sample) of each of `units` (a piece's spoken units, in order) in its
    audio of `length` samples, from the phonemes said; a unit none of whose sounds is found
    starts and ends where the one before ends."""
    sounds = [(phoneme, start, end) for phoneme, start, end in phonemes
              if phoneme not in _SILENT]
    expected: list[str] = []
    owner: list[int] = []
    for index, unit in enumerate(units):
        for char in _phonemes(unit, espeak_voice):
            if char not in _SILENT:
                expected.append(char)
                owner.append(index)
    first: list[int | None] = [None] * len(units)
    last: list[int | None] = [None] * len(units)
    matcher = difflib.SequenceMatcher(None, expected, [p for p, _, _ in sounds], autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            which = owner[a + k]
            if first[which] is None:
                first[which] = b + k
            last[which] = b + k
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for index in range(len(units)):
        start_at, end_at = first[index], last[index]
        if start_at is None or end_at is None:
            spans.append(None)
            continue
        # A unit whose first sound was not found starts after the sounds of the one before.
        previous_last = last[index - 1] if index else None
        if previous_last is not None and start_at > previous_last + 1:
            start_at = previous_last + 1
        start = max(cursor, sounds[start_at][1])
        end = max(start, sounds[end_at][2])
        spans.append((start, end))
        cursor = end
    return _filled(spans, length)


def _filled(spans: list[tuple[int, int] | None], length: int) -> list[tuple[int, int]]:
    """The spans with each run of units none of whose sounds was found ("a" said `ɐ`, which
    espeak alone says `ˈeɪ`) sharing the time between its neighbours."""
    result: list[tuple[int, int]] = []
    index = 0
    while index < len(spans):
        span = spans[index]
        if span is not None:
            result.append((min(span[0], length), min(span[1], length)))
            index += 1
            continue
        end_run = index
        while end_run < len(spans) and spans[end_run] is None:
            end_run += 1
        start = result[-1][1] if result else 0
        after = spans[end_run] if end_run < len(spans) else None
        stop = min(after[0] if after is not None else length, length)
        count = end_run - index
        step = max(0, stop - start) / count
        result.extend((round(start + k * step), round(start + (k + 1) * step))
                      for k in range(count))
        index = end_run
    return result


QUIET = 0.03
"""A 5 ms frame whose RMS is under this share of the piece's peak (about -30 dB) is silence."""
MAX_SHIFT_S = 0.3
"""How far into its span a unit's start may move to where its sound begins."""


def to_sound(spans: list[tuple[int, int]], audio: np.ndarray,
             rate_hz: int) -> list[tuple[int, int]]:
    """`spans` with each start that falls in silence moved to where the unit's sound begins:
    the voice's durations give the pause after a comma partly to the phoneme after it, and a
    stop's closure is silent too, so a word measured from its phonemes may start that early."""
    frame = max(1, rate_hz // 200)
    if audio.size < frame:
        return spans
    usable = audio.size // frame * frame
    energy = np.sqrt(np.mean(audio[:usable].reshape(-1, frame) ** 2, axis=1))
    quiet = energy < QUIET * float(np.max(np.abs(audio)))
    shift = int(MAX_SHIFT_S * rate_hz) // frame
    result: list[tuple[int, int]] = []
    for start, end in spans:
        first = start // frame
        last = min(end // frame, first + shift, quiet.size)
        if first < last and quiet[first]:
            loud = np.flatnonzero(~quiet[first:last])
            if loud.size:
                start = min(end, (first + int(loud[0])) * frame)
        result.append((start, end))
    return result


def estimated_spans(units: Sequence[str], length: int) -> list[tuple[int, int]]:
    """Spans of `units` in audio of `length` samples by their share of its letters: for a voice
    that cannot say how long its phonemes last."""
    weights = [max(1, len(unit)) for unit in units]
    total = sum(weights)
    spans: list[tuple[int, int]] = []
    position = 0.0
    for weight in weights:
        end = position + length * weight / total
        spans.append((round(position), round(end)))
        position = end
    return spans


def _phonemes(unit: str, espeak_voice: str) -> str:
    """What the voice is given for one unit: a block's phonemes as written, espeak's for a
    word (decomposed, as Piper sends them)."""
    blocks = _BLOCK.findall(unit)
    if blocks:
        return " ".join(block.strip() for block in blocks)
    return _espeak(espeak_voice, unit)


@functools.lru_cache(maxsize=32_768)
def _espeak(espeak_voice: str, word: str) -> str:
    return unicodedata.normalize("NFD", espeak_phonemes(espeak_voice, word))
