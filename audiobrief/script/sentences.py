"""A paragraph → its sentences, surviving abbreviations ("Jan. 5", "U.S.", "Lt. Gen."), decimals
and quotes."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

import pysbd

from audiobrief.script._abbreviations import ABBREVIATIONS
from audiobrief.script._quantities import MONTHS
from audiobrief.script.normalize import TOP_LEVEL_DOMAINS

# The voice slurs and drifts on very long inputs; run-on sentences are cut below this.
MAX_SENTENCE_CHARS = 400

# pysbd's time grows with the square of its input: a longer paragraph is given to it in chunks.
_CHUNK_CHARS = 3000
# Where a chunk may end: a sentence's last mark and its closing quotes, before a capital or digit.
_LIKELY_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"'“‘«(\[]*[A-Z0-9])")
# The last word of a sentence is found in its last characters (abbreviations are short).
_TAIL_CHARS = 100
_BOUNDARIES = (re.compile(r"(?<=;)\s+"), re.compile(r"(?<=,)\s+"), re.compile(r"\s+"))

# pysbd keeps "in the U.S. Then he left." whole; after these initialisms a capitalised word that
# can only start a sentence means the dot ended one.
_SENTENCE_FINAL_INITIALISMS = ("U.S.", "U.K.", "U.N.", "E.U.", "D.C.")
_SENTENCE_STARTERS = frozenset({
    "The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "This", "That", "These",
    "Those", "But", "And", "Then", "In", "On", "At", "As", "According", "Meanwhile", "However",
})  # fmt: skip

# Where pysbd ends a sentence at an abbreviation's dot and what follows shows it did not: the
# abbreviations table says what may follow each; "St." is a saint before a name, so never final.
_NEVER_FINAL = frozenset({"St."})
_OPENING = "\"'“‘«(["

# A sentence's end typed without its space ("on Wednesday.The stabbing"): a small letter, the
# mark, a capitalised word. Initialisms ("U.S.The"), decimals and domains ("example.com") have
# no small letter before the dot or none after the capital; a capitalised top-level domain is no
# sentence ("Example.Com"), nor is a dot inside an address ("site.org/News.Today").
_MISSING_SPACE = re.compile(
    r"(?<=[A-Za-z][a-z][.!?])(?=[A-Z](?:[a-z]|\s))"
    rf"(?!(?i:{'|'.join(sorted(TOP_LEVEL_DOMAINS))})\b)"
    r"|(?<=[a-z][.!?][”’\"])(?=[A-Z])"
)
# How far back an address may begin before its dot.
_ADDRESS_CHARS = 60
_CLOSING_ONLY = re.compile(r"[\"'”’»)\]\s]+")


def _space(match: re.Match[str]) -> str:
    """A space where a sentence's end lost it, unless the word it ends is part of an address."""
    before = match.string[max(0, match.start() - _ADDRESS_CHARS) : match.start()].split()
    word = before[-1].rstrip(".!?”’\"") if before else ""
    return "" if any(sign in word for sign in "./@:") else " "


@functools.cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _continues(previous: str, segment: str) -> bool:
    """Whether `segment` is the rest of `previous`, cut after an abbreviation."""
    last_word = previous.rsplit(maxsplit=1)[-1].lstrip(_OPENING)
    if last_word in _NEVER_FINAL:
        return True
    if last_word not in ABBREVIATIONS:
        return False
    kind = ABBREVIATIONS[last_word][1]
    first = segment.lstrip(_OPENING)[:1]
    # pysbd may cut before the comma after one ("Fri., March 7").
    if kind in ("title", "joins") or first in ",;:":
        return True
    if kind == "number":
        return first.isdigit()
    if kind == "weekday":
        return first.isdigit() or segment.split(maxsplit=1)[0].rstrip(".,") in MONTHS
    return first.isdigit() or first.islower()


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
    """`sentence` cut at semicolons, then commas, then spaces, and as a last resort anywhere,
    into pieces of at most MAX_SENTENCE_CHARS."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    for boundary in _BOUNDARIES:
        parts = boundary.split(sentence)
        if len(parts) > 1:
            break
    else:
        # One word longer than a sentence may be: cut it where it must be, losing nothing.
        return slices(sentence, MAX_SENTENCE_CHARS)
    # A piece may still be too long after semicolons: cut that one at its commas, and so on.
    return [short for piece in pack(parts, MAX_SENTENCE_CHARS) for short in _shorten(piece)]


def pack(parts: Iterable[str], max_chars: int) -> list[str]:
    """`parts` in order, joined by spaces into pieces of at most `max_chars` where they fit (a
    part longer than that is a piece of its own)."""
    pieces: list[str] = []
    current: list[str] = []
    length = 0
    for part in parts:
        if current and length + 1 + len(part) > max_chars:
            pieces.append(" ".join(current))
            current, length = [], 0
        length += len(part) + (1 if current else 0)
        current.append(part)
    if current:
        pieces.append(" ".join(current))
    return pieces


def slices(text: str, length: int) -> list[str]:
    """`text` cut every `length` characters, wherever that falls."""
    return [text[i : i + length] for i in range(0, len(text), length)]


def _chunks(paragraph: str) -> Iterator[str]:
    """`paragraph` in pieces of at most _CHUNK_CHARS, cut after what looks like a sentence's end
    (else at a space, else anywhere): pysbd takes time quadratic in what it is given."""
    start = 0
    while len(paragraph) - start > _CHUNK_CHARS:
        window = paragraph[start : start + _CHUNK_CHARS]
        ends = [match.end() for match in _LIKELY_END.finditer(window)]
        end = ends[-1] if ends else window.rfind(" ") + 1 or _CHUNK_CHARS
        yield window[:end]
        start += end
    yield paragraph[start:]


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of `paragraph`, in order, stripped; never an empty string.

    Abbreviations, initials, decimals and ellipses do not end a sentence; closing quotes stay
    with the sentence they close. A sentence longer than MAX_SENTENCE_CHARS is cut at its
    semicolons or commas, else at spaces, else anywhere: no piece is longer, whatever the input.
    Time and memory are linear in the paragraph's length.
    """
    paragraph = _MISSING_SPACE.sub(_space, paragraph)
    # Each sentence as its parts and the joints before them, joined once at the end: a run of
    # abbreviations merged segment by segment would otherwise be copied again at each one.
    sentences: list[list[str]] = []
    tail = ""  # the end of the last sentence, where its last word is
    for chunk in _chunks(paragraph):
        for segment in _segmenter().segment(chunk):
            segment = segment.strip()
            if not segment:
                continue
            if sentences and _CLOSING_ONLY.fullmatch(segment):
                # pysbd leaves a closing quote that does not match its opening one on its own.
                sentences[-1].append(segment)
                tail = (tail + segment)[-_TAIL_CHARS:]
                continue
            pieces = _split_after_initialisms(segment)
            if sentences and _continues(tail, segment):
                first = pieces.pop(0)
                joint = "" if first[:1] in ",;:" else " "
                sentences[-1] += (joint, first)
                tail = (tail + joint + first)[-_TAIL_CHARS:]
            for piece in pieces:
                sentences.append([piece])
                tail = piece[-_TAIL_CHARS:]
    return [
        piece.strip()
        for parts in sentences
        for piece in _shorten("".join(parts))
        if piece.strip()
    ]
