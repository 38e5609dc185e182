"""A sentence's words as written, each tied to the words of its spoken text that say it.

The normaliser rewrites and the pronouncer replaces words; rather than track every rewrite, the
written and the spoken words are aligned afterwards, by what is left of them in lower-case
letters and digits: what is equal pairs one to one, and a rewritten run is one word both ways
("$1.5 billion" is said by "one point five billion dollars", "Kharkiv Oblast" by one block).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

# What a reader sees as a word: letters or digits, or a sign the normaliser says as a word.
_WRITTEN = re.compile(r"\S+")
_SAYABLE = re.compile(r"[^\W_]|[&+=@×№#%°~≈½¼¾$€£¥₴]")
_FOLD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a sentence as written, and the spoken units that say it."""

    start_char: int
    """Where it starts in the sentence's text."""
    end_char: int
    first_unit: int
    """The first of the spoken units (`spoken_units`) that say it."""
    end_unit: int
    """One past the last; equal to `first_unit` when the word is not said (a citation mark)."""


def spoken_units(spoken: str) -> list[str]:
    """The units of a spoken text that are timed: its space-separated words, a `[[ phonemes ]]`
    block with what touches it counting as one."""
    units: list[str] = []
    block: list[str] = []
    for word in spoken.split():
        opened, closed = word.rfind("[["), word.rfind("]]")
        if block or opened > closed:
            block.append(word)
            if closed > opened:
                units.append(" ".join(block))
                block = []
        else:
            units.append(word)
    if block:
        units.append(" ".join(block))
    return units


def words(text: str, spoken: str) -> tuple[Word, ...]:
    """The words of `text` (a sentence as written), each with the units of `spoken` (what the
    voice was given for it) that say it; every unit belongs to exactly one word."""
    written = [match for match in _WRITTEN.finditer(text) if _SAYABLE.search(match[0])]
    units = spoken_units(spoken)
    if not written:
        return ()
    keys_written = [_fold(match[0]) for match in written]
    keys_spoken = [None if "[[" in unit else _fold(unit) for unit in units]
    groups = list(_groups(keys_written, keys_spoken))
    result: list[Word] = []
    for (w0, w1), (u0, u1) in groups:
        if w1 - w0 == u1 - u0 and w1 - w0 > 1:  # "Jan. 5" said as "January fifth": word by word
            for offset in range(w1 - w0):
                match = written[w0 + offset]
                result.append(Word(match.start(), match.end(), u0 + offset, u0 + offset + 1))
        else:
            result.append(Word(written[w0].start(), written[w1 - 1].end(), u0, u1))
    return tuple(result)


def _fold(word: str) -> str:
    return "".join(_FOLD.findall(word.casefold()))


def _groups(written: list[str], spoken: list[str | None]
            ) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    """Runs of written words with the runs of spoken units that say them, in order, covering
    both lists: equal words one to one, a rewritten run as one group; spoken units no written
    word has (the "dollars" of "$5") join the group before, and a word written but not said
    (nothing spoken for it) is a group without units."""
    matcher = difflib.SequenceMatcher(None, written, spoken, autojunk=False)
    runs: list[list[int]] = []  # [w0, w1, u0, u1]
    kinds: list[str] = []
    for tag, w0, w1, u0, u1 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(w1 - w0):
                runs.append([w0 + offset, w0 + offset + 1, u0 + offset, u0 + offset + 1])
                kinds.append(tag)
        elif tag == "insert":
            if runs:
                runs[-1][3] = u1
                # "$1.5 billion" → "one point five" + "billion" + "dollars": the amount's unit
                # said after the scale word belongs to the amount, so the three are one word.
                if len(runs) >= 2 and kinds[-1] == "equal" and kinds[-2] == "replace":
                    last = runs.pop()
                    kinds.pop()
                    runs[-1][1], runs[-1][3] = last[1], last[3]
            else:
                runs.append([0, 0, u0, u1])
                kinds.append(tag)
        else:
            runs.append([w0, w1, u0, u1])
            kinds.append(tag)
    # Units said before any written word belong to the first word.
    if runs and runs[0][1] == 0 and len(runs) > 1:
        first = runs.pop(0)
        runs[0][2] = first[2]
    for w0, w1, u0, u1 in runs:
        yield (w0, w1), (u0, u1)
