"""Ukrainian proper nouns, Cyrillic or romanised, → their stressed vowel from the lang-uk stress
dictionary (lexicons/uk-stress.tsv.gz, built by tools/build_stress.py; MIT, uk-stress.LICENSE).

A romanised name is read back into the Cyrillic spellings the 2010 national system (and common
press spellings) could have come from, keeping only those the dictionary holds.
"""

from __future__ import annotations

import gzip
import heapq
import logging
import re
from bisect import bisect_left
from functools import cache, lru_cache
from importlib import resources

from audiobrief.script.ukrainian import pronounce_cyrillic, pronounce_name

logger = logging.getLogger(__name__)

DICTIONARY_FILE = "uk-stress.tsv.gz"
"""The built-in stress dictionary in the package's `lexicons/` folder."""

VOWELS = "аеєиіїоуюя"
_ACUTE = "\u0301"
_CONSONANTS = "бвгґджзклмнпрстфхцчшщ"
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})
_PARTS = re.compile(r"[-‐–\s]+")

# Romanised letters read back: (Latin, Cyrillic, cost). Cost 0 is the 2010 national system
# (Cabinet resolution No. 55); a press spelling costs 1, so a name the system spells exactly is
# read the system's way first. The soft sign and the apostrophe, which the system leaves out, may
# stand after any consonant (cost 0.1 each, so that a spelling without them wins a tie).
_ANYWHERE: tuple[tuple[str, str, float], ...] = (
    ("shch", "щ", 0),
    ("zgh", "зг", 0),
    ("kh", "х", 0),
    ("zh", "ж", 0),
    ("ts", "ц", 0),
    ("ch", "ч", 0),
    ("sh", "ш", 0),
    ("a", "а", 0),
    ("b", "б", 0),
    ("v", "в", 0),
    ("h", "г", 0),
    ("g", "ґ", 0),
    ("d", "д", 0),
    ("e", "е", 0),
    ("z", "з", 0),
    ("k", "к", 0),
    ("l", "л", 0),
    ("m", "м", 0),
    ("n", "н", 0),
    ("o", "о", 0),
    ("p", "п", 0),
    ("r", "р", 0),
    ("s", "с", 0),
    ("t", "т", 0),
    ("u", "у", 0),
    ("f", "ф", 0),
    # press spellings: Russian-style g for г (Bogdan), English w and x, Polish or German j for й
    ("g", "г", 1),
    ("w", "в", 1),
    ("x", "кс", 1),
    ("j", "й", 1),
)
_AT_START: tuple[tuple[str, str, float], ...] = (
    ("ye", "є", 0),
    ("yi", "ї", 0),
    ("yu", "ю", 0),
    ("ya", "я", 0),
    ("y", "й", 0),
    ("i", "і", 0),
)
_INSIDE: tuple[tuple[str, str, float], ...] = (
    ("ie", "є", 0),
    ("iu", "ю", 0),
    ("ia", "я", 0),
    ("y", "и", 0),
    ("i", "і", 0),
    ("i", "ї", 0),
    ("i", "й", 0),
    # BGN/PCGN and older press spellings: Zaporizhzhya, Mykolayiv, Kostyantynivka, Andriy
    ("ya", "я", 1),
    ("yu", "ю", 1),
    ("ye", "є", 1),
    ("yi", "ї", 1),
    ("y", "й", 1),
    # Russian-style endings of -ський, -ий: Zelensky, Zelenskiy, Kryvoy
    ("iy", "ий", 1),
    ("ij", "ий", 1),
)
_AT_END: tuple[tuple[str, str, float], ...] = (("y", "ий", 1),)
_SOFT_COST = 0.1
_MAX_STEPS = 4000
"""States a reading may visit: a long name with many ambiguous letters stops here."""


class StressDictionary:
    """Lower-case Cyrillic word forms → the index of the stressed vowel (0 = the first vowel), or
    two where the dictionary allows either."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        """`form<TAB>index[,index]` lines sorted by code point: a prefix is found by bisection."""

    @classmethod
    def parse(cls, text: str) -> StressDictionary:
        """A dictionary from the text of a `form<TAB>index` file: sorted, `#` comments first."""
        lines = text.split("\n")
        start = 0
        while start < len(lines) and lines[start].startswith("#"):
            start += 1
        end = len(lines)
        while end > start and not lines[end - 1]:
            end -= 1
        return cls(lines[start:end])

    @classmethod
    def builtin(cls) -> StressDictionary:
        """The dictionary shipped with the package, read once on first use."""
        return _builtin()

    def __len__(self) -> int:
        return len(self._lines)

    def stressed_vowel(self, form: str) -> int | None:
        """The index of the stressed vowel of a Cyrillic word form, or None if it is not here; of
        the first, where the dictionary allows either of two."""
        found = self.stressed_vowels(form)
        return found[0] if found else None

    def stressed_vowels(self, form: str) -> tuple[int, ...]:
        """Every stress the dictionary allows a Cyrillic word form (most have one), or none."""
        key = _normalise(form) + "\t"
        index = bisect_left(self._lines, key)
        if index < len(self._lines) and self._lines[index].startswith(key):
            return tuple(int(vowel) for vowel in self._lines[index][len(key) :].split(","))
        return ()

    def has_prefix(self, prefix: str) -> bool:
        """Whether some form of the dictionary starts with `prefix` (lower-case Cyrillic)."""
        index = bisect_left(self._lines, prefix)
        return index < len(self._lines) and self._lines[index].startswith(prefix)

    def reading(self, romanised: str) -> str | None:
        """The likeliest Cyrillic form of the dictionary a romanised word stands for, or None.

        Likeliest: the fewest press spellings and left-out soft signs; among equals, the first
        in alphabetical order.
        """
        return _reading(self, romanised.lower().translate(_APOSTROPHES))

    def accented(self, word: str) -> str | None:
        """The dictionary's form of `word` (Cyrillic or romanised, one word) with a combining acute
        after its stressed vowel, or None when the dictionary does not have it."""
        cyrillic = _is_cyrillic(word)
        form = _normalise(word) if cyrillic else self.reading(word)
        if form is None:
            return None
        vowel = self.stressed_vowel(form)
        if vowel is None:
            return None
        positions = [index for index, char in enumerate(form) if char in VOWELS]
        if vowel >= len(positions):
            return None
        at = positions[vowel] + 1
        return form[:at] + _ACUTE + form[at:]

    def pronounce(self, name: str) -> tuple[str, bool]:
        """Phonemes of a Ukrainian name, and whether the dictionary knew each of its words.

        A word the dictionary has is said as the rules say its dictionary spelling, with the
        dictionary's stress; any other word as the rules alone say it. A stress written into the
        name (Новоселі́вка) is kept as written.
        """
        if _ACUTE in name:
            return pronounce_cyrillic(name), False
        said: list[str] = []
        known = True
        for part in (part for part in _PARTS.split(name) if part):
            accented = self.accented(part)
            if accented is None:
                known = False
                said.append(pronounce_name(part))  # Cyrillic or romanised
            else:
                said.append(pronounce_cyrillic(accented))
        return " ".join(said), known and bool(said)


@cache
def _builtin() -> StressDictionary:
    resource = resources.files("audiobrief") / "lexicons" / DICTIONARY_FILE
    text = gzip.decompress(resource.read_bytes()).decode("utf-8")
    dictionary = StressDictionary.parse(text)
    logger.debug("stress dictionary: %d forms", len(dictionary))
    return dictionary


def _normalise(form: str) -> str:
    return form.lower().translate(_APOSTROPHES).replace(_ACUTE, "")


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in word)


@lru_cache(maxsize=8192)
def _reading(dictionary: StressDictionary, latin: str) -> str | None:
    """Best-first search over the readings of `latin`, pruned to prefixes of dictionary forms."""
    latin = "".join(char for char in latin if char.isalpha() or char == "'")
    if not latin:
        return None
    queue: list[tuple[float, str, int]] = [(0.0, "", 0)]
    seen: set[tuple[str, int]] = set()
    steps = 0
    while queue and steps < _MAX_STEPS:
        cost, cyrillic, at = heapq.heappop(queue)
        if (cyrillic, at) in seen:
            continue
        seen.add((cyrillic, at))
        steps += 1
        if at == len(latin) and dictionary.stressed_vowels(cyrillic):
            return cyrillic
        for cyr, step_cost, length in _steps(latin, at, cyrillic):
            extended = cyrillic + cyr
            if dictionary.has_prefix(extended):
                heapq.heappush(queue, (cost + step_cost, extended, at + length))
    return None


def _steps(latin: str, at: int, cyrillic: str) -> list[tuple[str, float, int]]:
    """What the Latin letters at `at` may be read as, after `cyrillic`: (letters, cost, length)."""
    steps: list[tuple[str, float, int]] = []
    if at == len(latin):  # only a soft sign may follow the last letter
        if cyrillic[-1:] in _CONSONANTS:
            steps.append(("ь", _SOFT_COST, 0))
        return steps
    tables = [_ANYWHERE, _AT_START if at == 0 else _INSIDE]
    for table in tables:
        for roman, cyr, cost in table:
            if not latin.startswith(roman, at):
                continue
            # the system writes зг as zgh so that zh is always ж
            if roman == "h" and cyrillic.endswith("з"):
                continue
            steps.append((cyr, cost, len(roman)))
    for roman, cyr, cost in _AT_END:
        if at > 0 and latin.endswith(roman) and at == len(latin) - len(roman):
            steps.append((cyr, cost, len(roman)))
    if latin[at] == "'":
        steps.extend([("'", 0.0, 1), ("ь", 0.0, 1), ("", 0.0, 1)])
    elif cyrillic and cyrillic[-1] in _CONSONANTS:
        steps.extend([("ь", _SOFT_COST, 0), ("'", _SOFT_COST, 0)])
    return steps
