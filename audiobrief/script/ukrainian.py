"""Ukrainian names (romanised or Cyrillic) → English-approximated phonemes in espeak's en-us IPA.

Conventions, shared by the built-in lexicon and the held-out references (tests/data):
- vowels: а ɑː, е ɛ, и ɪ, о ɔ; і iː stressed / i unstressed; у uː stressed / u unstressed;
  я є ю ї are j + that vowel (no j after ж ш ч щ); no English vowel reduction;
- consonants: г h (the English voice has no ɦ), ґ ɡ, х k (as English-language media say
  "Kharkiv"), р ɹ, ж ʒ, ш ʃ, ч tʃ, щ ʃtʃ, ц ts, дж dʒ, й j; ь and the apostrophe are silent;
  doubled consonants stay doubled (Ukrainian geminates: Zaporizhzhia ʒʒ);
- final ий → ɪj, ій → ij; a word-initial л/м/н/р before a consonant gets ə (Lviv ləvˈiːv);
- one primary stress ˈ, written just before the stressed vowel as espeak does (kˈɑːɹkiv);
  parts of hyphenated names are separate words.
Romanised input is first read back into Cyrillic (2010 national system, BGN/PCGN, ALA-LC and
Russian-style endings), stress comes from the dictionary acute when given, else from suffixes.
"""

from __future__ import annotations

import re
from functools import lru_cache

_STRESS = "\u0301"
_VOWELS = "аеєиіїоуюяыэё"
_SILENT = "ьъ'’ʼ"
_HUSHING = ("ʒ", "ʃ", "tʃ", "ʃtʃ")

# vowel letter → (glide, unstressed, stressed)
_VOWEL_PHONEMES: dict[str, tuple[str, str, str]] = {
    "а": ("", "ɑː", "ɑː"),
    "е": ("", "ɛ", "ɛ"),
    "и": ("", "ɪ", "ɪ"),
    "і": ("", "i", "iː"),
    "о": ("", "ɔ", "ɔ"),
    "у": ("", "u", "uː"),
    "я": ("j", "ɑː", "ɑː"),
    "є": ("j", "ɛ", "ɛ"),
    "ю": ("j", "u", "uː"),
    "ї": ("j", "i", "iː"),
    "ы": ("", "ɪ", "ɪ"),
    "э": ("", "ɛ", "ɛ"),
    "ё": ("j", "ɔ", "ɔ"),
}
_CONSONANT_PHONEMES: dict[str, str] = {
    "б": "b",
    "в": "v",
    "г": "h",
    "ґ": "ɡ",
    "д": "d",
    "ж": "ʒ",
    "з": "z",
    "й": "j",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "п": "p",
    "р": "ɹ",
    "с": "s",
    "т": "t",
    "ф": "f",
    "х": "k",
    "ц": "ts",
    "ч": "tʃ",
    "ш": "ʃ",
    "щ": "ʃtʃ",
}

# Stress from morphology, tried in order on the unaccented lower-case Cyrillic word without soft
# signs or apostrophes (romanisations drop them). Each rule
# names the vowel to stress: "before" = the last vowel before the match, "first" = the first
# vowel inside the match, "last" = the word's last vowel, or an index from the end.
_STRESS_RULES: tuple[tuple[re.Pattern[str], str | int], ...] = tuple(
    (re.compile(pattern), where)
    for pattern, where in (
        (r"енко$", "first"),  # Shevchenko, Klymenko
        (r"(чук|щук|юк|ук|як|чак)$", "last"),  # Kravchuk, Stefanchuk, Podoliak
        (r"(с|ц|з)к(ий|а|е|ого|ої|ому|і)?$", "before"),  # Zelenskyi, Pokrovsk, Toretsk, -ske
        (r"(?<=[аеиіоуяюєї])ївк[аиі]$", "before"),  # Avdiivka, Makiivka: stress before ї
        (r"івк[аиі]$", "first"),  # Novoselivka, Mykhailivka
        (r"(піл|пол)$", "before"),  # Ternopil, Melitopol, Mariupol, Boryspil
        (r"град$", "first"),  # Myrnohrad, Pavlohrad
        (r"город$", "before"),  # Vyshhorod, Uzhhorod, Myrhorod
        (r"(ович|евич|івна|ївна)$", -2),  # patronymic-shaped surnames: Yanukovych
        (r"(ове|еве|єве|ине|іне|їне)$", -3),  # Kurakhove, Robotyne, Ocheretyne
        (r"ец$", "last"),  # Kamianets, Horodets
    )
)


@lru_cache(maxsize=8192)
def pronounce_name(word: str) -> str:
    """Phonemes of a romanised (or Cyrillic) Ukrainian name not found in any lexicon."""
    if any("\u0400" <= char <= "\u04ff" for char in word):
        return pronounce_cyrillic(word)
    parts = [part for part in re.split(r"[-‐–\s]+", word) if part]
    return " ".join(_pronounce_part(to_cyrillic(part)) for part in parts)


def pronounce_cyrillic(word: str) -> str:
    """Phonemes of a Cyrillic word; a combining acute (а́) marks the stressed vowel if known."""
    parts = [part for part in re.split(r"[-‐–\s]+", word) if part]
    return " ".join(_pronounce_part(part) for part in parts)


def _pronounce_part(word: str) -> str:
    lower = word.lower()
    stress: int | None = None
    letters: list[str] = []
    vowels = 0
    for char in lower:
        if char == _STRESS:
            if vowels:
                stress = vowels - 1
            continue
        if char in _SILENT:
            continue
        if char in _VOWELS:
            vowels += 1
        letters.append(char)
    if stress is None:
        stress = guess_stress("".join(letters))
    out: list[str] = []
    vowel_index = 0
    i = 0
    while i < len(letters):
        char = letters[i]
        nxt = letters[i + 1] if i + 1 < len(letters) else ""
        if char in _VOWEL_PHONEMES:
            glide, plain, stressed = _VOWEL_PHONEMES[char]
            if glide and out and out[-1] in _HUSHING:
                glide = ""
            out.append(glide + ("ˈ" + stressed if vowel_index == stress else plain))
            vowel_index += 1
            i += 1
            continue
        if char == "д" and nxt in ("ж", "з"):
            out.append("dʒ" if nxt == "ж" else "dz")
            i += 2
            continue
        phoneme = _CONSONANT_PHONEMES.get(char)
        if phoneme is None:  # not a letter we know: leave it out rather than guess
            i += 1
            continue
        out.append(phoneme)
        if i == 0 and char in "лмнр" and nxt and nxt not in _VOWELS and nxt != "й":
            out.append("ə")
        i += 1
    return "".join(out)


def guess_stress(word: str) -> int:
    """Index of the stressed vowel of an unaccented lower-case Cyrillic word."""
    positions = [index for index, char in enumerate(word) if char in _VOWELS]
    count = len(positions)
    if count <= 1:
        return 0
    for pattern, where in _STRESS_RULES:
        match = pattern.search(word)
        if match is None:
            continue
        if where == "last":
            return count - 1
        if where == "first":
            inside = [n for n, pos in enumerate(positions) if pos >= match.start()]
            if inside:
                return inside[0]
            continue
        if where == "before":
            before = [n for n, pos in enumerate(positions) if pos < match.start()]
            if before:
                return before[-1]
            continue
        assert isinstance(where, int)
        if count >= -where:
            return count + where
    return count - 2


# --- romanised → Cyrillic -------------------------------------------------------------------

_DIACRITICS = str.maketrans(
    {
        "ï": "ї",
        "ĭ": "й",
        "ž": "ж",
        "š": "ш",
        "č": "ч",
        "ě": "є",
        "ʹ": "ь",
        "’": "'",
        "ʼ": "'",
    }
)
_MULTI: tuple[tuple[str, str], ...] = (
    ("shch", "щ"),
    ("zgh", "зг"),
    ("kh", "х"),
    ("zh", "ж"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
)
_SINGLE = {
    "a": "а",
    "b": "б",
    "v": "в",
    "h": "г",
    "g": "ґ",
    "d": "д",
    "e": "е",
    "z": "з",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "f": "ф",
    "w": "в",
    "q": "к",
    "c": "ц",
    "j": "й",
    "x": "кс",
    "'": "'",
}
_SOFT = {"a": "я", "u": "ю", "e": "є", "o": "ьо"}
_LATIN_VOWELS = "aeiouy"
_SKYI = re.compile(r"(?<=[stz])k(y|iy|ii|yy|yi|ij|yj|i)$")


@lru_cache(maxsize=8192)
def to_cyrillic(word: str) -> str:
    """A best reading of a romanised Ukrainian word back into (lower-case) Cyrillic letters."""
    text = word.lower().translate(_DIACRITICS)
    # Russian-style and BGN endings of -ський: Zelensky, Zelenskiy, Zelenskyy.
    text = _SKYI.sub("kyi", text)
    out: list[str] = []
    i = 0
    n = len(text)

    def prev_is_vowel() -> bool:
        return bool(out) and out[-1][-1] in _VOWELS

    while i < n:
        for latin, cyr in _MULTI:
            if text.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            char = text[i]
            nxt = text[i + 1] if i + 1 < n else ""
            if char == "y":
                out.append(_read_y(text, i, prev_is_vowel()))
                i += 1 if out[-1] in ("й", "и") else 2
                continue
            if char == "i":
                if nxt in ("a", "u", "e") and i > 0:  # 2010: ia iu ie are я ю є inside a word
                    out.append(_SOFT[nxt])
                    i += 2
                    continue
                out.append(_read_i_after_vowel(text[i + 1 :]) if prev_is_vowel() else "і")
                i += 1
                continue
            out.append(_SINGLE.get(char, ""))
            i += 1
    return "".join(out)


def _read_y(text: str, i: int, after_vowel: bool) -> str:
    """The Cyrillic for a "y" at `i` (with the letter after it when they form one)."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    after = text[i + 2] if i + 2 < len(text) else ""
    if nxt in ("a", "u", "e"):  # ya yu ye: я ю є anywhere (2010 at the start, BGN everywhere)
        return _SOFT[nxt]
    if nxt == "o":  # BGN yo, Russian-style Potyomkin
        return "йо"
    if nxt == "i":
        if i == 0 or after_vowel:
            return "ї"
        # after a consonant: -yi is ий; Kyiv is Ки-їв
        return "ий" if after == "" or after in _LATIN_VOWELS else "иї"
    if nxt == "y":  # BGN and Russian-style -yy
        return "ий"
    return "й" if i == 0 or after_vowel else "и"


def _read_i_after_vowel(rest: str) -> str:
    """ї or й for an "i" after a vowel: Mykolaiv, Avdiivka, Ukraina have ї; Mykhailo, Serhii й."""
    if not rest:
        return "й"
    if re.match(r"v($|k|s|ts|ch|shch)|n[aeiouy]|[aeiouy]", rest):
        return "ї"
    return "й"
