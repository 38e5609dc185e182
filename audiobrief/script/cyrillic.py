"""Cyrillic words → Latin letters with Ukraine's 2010 national system (Cabinet resolution No. 55).

Used so that a Cyrillic name inside English text ("the village of Новоселівка") is looked up in the
lexicon under its official romanisation before it is pronounced.
"""

from __future__ import annotations

import re

# Resolution No. 55 (27 January 2010): the second value is used at the start of a word.
_LETTERS: dict[str, tuple[str, str]] = {
    "а": ("a", "a"),
    "б": ("b", "b"),
    "в": ("v", "v"),
    "г": ("h", "h"),
    "ґ": ("g", "g"),
    "д": ("d", "d"),
    "е": ("e", "e"),
    "є": ("ie", "ye"),
    "ж": ("zh", "zh"),
    "з": ("z", "z"),
    "и": ("y", "y"),
    "і": ("i", "i"),
    "ї": ("i", "yi"),
    "й": ("i", "y"),
    "к": ("k", "k"),
    "л": ("l", "l"),
    "м": ("m", "m"),
    "н": ("n", "n"),
    "о": ("o", "o"),
    "п": ("p", "p"),
    "р": ("r", "r"),
    "с": ("s", "s"),
    "т": ("t", "t"),
    "у": ("u", "u"),
    "ф": ("f", "f"),
    "х": ("kh", "kh"),
    "ц": ("ts", "ts"),
    "ч": ("ch", "ch"),
    "ш": ("sh", "sh"),
    "щ": ("shch", "shch"),
    "ь": ("", ""),
    "ю": ("iu", "yu"),
    "я": ("ia", "ya"),
    # Not Ukrainian letters, mapped the way Ukrainian spelling would render the sound.
    "ы": ("y", "y"),
    "э": ("e", "e"),
    "ё": ("io", "yo"),
    "ъ": ("", ""),
}
_APOSTROPHES = "'’ʼ`"
_STRESS = "\u0301"

CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff\u0301'’ʼ]*[\u0400-\u04ff][\u0400-\u04ff\u0301'’ʼ]*")
"""One Cyrillic word, with apostrophes and combining stress accents inside it."""


def has_cyrillic(text: str) -> bool:
    """Whether `text` holds any Cyrillic letter."""
    return any("\u0400" <= char <= "\u04ff" for char in text)


def transliterate(text: str) -> str:
    """`text` with every Cyrillic word romanised (2010 system); other characters unchanged.

    Capitalisation follows the source: "Київ" → "Kyiv", "КИЇВ" → "KYIV". The combining acute
    that dictionaries use to mark stress is dropped.
    """
    return CYRILLIC_WORD.sub(lambda match: _word(match.group()), text)


def _word(word: str) -> str:
    letters = [char for char in word if char != _STRESS and char not in _APOSTROPHES]
    out: list[str] = []
    for index, char in enumerate(letters):
        lower = char.lower()
        if lower not in _LETTERS:
            out.append(char)
            continue
        inside, initial = _LETTERS[lower]
        latin = initial if index == 0 else inside
        # зг is written zgh so that it is not read as ж (zh).
        if lower == "г" and index > 0 and letters[index - 1].lower() == "з":
            latin = "gh"
        if char != lower and latin:
            upper_word = len(letters) > 1 and all(not c.isalpha() or c.isupper() for c in letters)
            latin = latin.upper() if upper_word else latin[0].upper() + latin[1:]
        out.append(latin)
    return "".join(out)
