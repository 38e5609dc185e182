"""A paragraph → its sentences, surviving abbreviations ("Jan. 5", "U.S.", "Lt. Gen."), decimals
and quotes."""

from __future__ import annotations

import functools
import re

import pysbd

# The voice slurs and drifts on very long inputs; run-on sentences are cut below this.
MAX_SENTENCE_CHARS = 400

# pysbd keeps "in the U.S. Then he left." whole; after these initialisms a capitalised word that
# can only start a sentence means the dot ended one.
_SENTENCE_FINAL_INITIALISMS = ("U.S.", "U.K.", "U.N.", "E.U.", "D.C.")
_SENTENCE_STARTERS = frozenset({
    "The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "This", "That", "These",
    "Those", "But", "And", "Then", "In", "On", "At", "As", "According", "Meanwhile", "However",
})  # fmt: skip

# Abbreviations that never end a sentence: a break after one is pysbd's mistake. Months only
# before a day ("Jan. 5").
_NEVER_FINAL = frozenset({
    "Gov.", "Lt.", "Gen.", "Maj.", "Brig.", "Col.", "Capt.", "Cmdr.", "Sgt.", "Cpl.", "Pvt.",
    "Adm.", "Dr.", "Mr.", "Mrs.", "Ms.", "Prof.", "Sen.", "Rep.", "Pres.", "Rev.", "St.", "Mt.",
    "No.", "vs.",
})  # fmt: skip
_MONTH_ABBREVIATIONS = frozenset({
    "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.",
    "Dec.",
})  # fmt: skip

_CLOSING_ONLY = re.compile(r"[\"'”’»)\]\s]+")


@functools.cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _continues(previous: str, segment: str) -> bool:
    """Whether `segment` is the rest of `previous`, cut after an abbreviation."""
    last_word = previous.rsplit(maxsplit=1)[-1]
    if last_word in _NEVER_FINAL:
        return True
    return last_word in _MONTH_ABBREVIATIONS and segment[:1].isdigit()


def _split_after_initialisms(sentence: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in re.finditer(r"(?<![\w.])((?:[A-Z]\.){2,}) +([A-Z][a-z]*)\b", sentence):
        if match[1] in _SENTENCE_FINAL_INITIALISMS and match[2] in _SENTENCE_STARTERS:
            pieces.append(sentence[start : match.end(1)])
            start = match.start(2)
    pieces.append(sentence[start:])
    return pieces


def _shorten(sentence: str) -> list[str]:
    """`sentence` cut at semicolons, then commas, into pieces of at most MAX_SENTENCE_CHARS."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    for boundary in (r"(?<=;)\s+", r"(?<=,)\s+"):
        parts = re.split(boundary, sentence)
        if len(parts) > 1:
            break
    else:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for part in parts:
        if current and len(current) + 1 + len(part) > MAX_SENTENCE_CHARS:
            pieces.append(current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    pieces.append(current)
    # A piece may still be too long after semicolons: cut that one at its commas.
    return [short for piece in pieces for short in _shorten(piece)] if len(pieces) > 1 else pieces


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of `paragraph`, in order, stripped; never an empty string.

    Abbreviations, initials, decimals and ellipses do not end a sentence; closing quotes stay
    with the sentence they close. A sentence longer than MAX_SENTENCE_CHARS is cut at its
    semicolons or commas.
    """
    sentences: list[str] = []
    for segment in _segmenter().segment(paragraph):
        segment = segment.strip()
        if not segment:
            continue
        if sentences and _CLOSING_ONLY.fullmatch(segment):
            # pysbd leaves a closing quote that does not match its opening one on its own.
            sentences[-1] += segment
            continue
        if sentences and _continues(sentences[-1], segment):
            sentences[-1] += " " + segment
            continue
        sentences.extend(_split_after_initialisms(segment))
    return [
        piece.strip() for sentence in sentences for piece in _shorten(sentence) if piece.strip()
    ]
