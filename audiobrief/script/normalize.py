"""Written English → speakable English: dates, numbers, money, units, abbreviations, symbols.

Never emits `[[` or `]]` (the pronouncer's phoneme brackets) and leaves proper names as written.
"""

from __future__ import annotations

import re

from audiobrief.script import _numbers
from audiobrief.script._abbreviations import of_kind
from audiobrief.script._capitals import WORD_ACRONYMS, spelled
from audiobrief.script._quantities import MONTHS, alternatives, ends_sentence, expand_quantities

# Before a capitalised name only: "Gen. Zaluzhnyi", "Lt. Gen. Budanov" (each word in turn).
TITLES: dict[str, str] = of_kind("title")
BEFORE_NUMBER: dict[str, str] = of_kind("number")
WEEKDAYS: dict[str, str] = of_kind("weekday")
# Anywhere, with their dots.
ANYWHERE: dict[str, str] = of_kind("joins", "word")
# After a name: "Martin Luther King Jr."
SUFFIXES: dict[str, str] = {"Jr": "Junior", "Sr": "Senior"}
# After these, a Roman numeral counts ("World War II" → "two"); after other names it is an
# ordinal ("Charles III" → "the third"). espeak itself says "roman two".
ROMAN_NUMERALS: dict[str, int] = {
    "II": 2, "III": 3, "IV": 4, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "XI": 11,
    "XII": 12, "XIII": 13, "XIV": 14, "XV": 15, "XVI": 16, "XX": 20,
}  # fmt: skip
ROMAN_CARDINAL_AFTER: frozenset[str] = frozenset({
    "War", "Phase", "Part", "Stage", "Round", "Chapter", "Article", "Type", "Class", "Category",
    "Level", "Vatican",
})  # fmt: skip

SYMBOLS: dict[str, str] = {
    "&": "and", "+": "plus", "=": "equals", "@": "at", "×": "times", "№": "number",
    "#": "number", "%": "percent", "°": "degrees", "~": "about", "≈": "about",
    "½": "one half", "¼": "one quarter", "¾": "three quarters", "/": "", "*": "",
}  # fmt: skip

URL_SPEECH: dict[str, str] = {".": "dot", "/": "slash", "@": "at", "_": "underscore"}
TOP_LEVEL_DOMAINS: frozenset[str] = frozenset({
    "com", "org", "net", "ua", "gov", "edu", "io", "uk", "eu", "int", "info", "news", "co", "de",
    "fr", "pl", "ru", "me", "tv", "ai",
})  # fmt: skip

# Characters the voice cannot say or that would mislead it: invisible ones go, spaces unify.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2009\u202f\u2007\u2002\u2003"), " ")

_CAPITALISED = r"[A-Z][a-z]+"
_END = r"(?=[\"'”’»)\]]*\s*$)"


def _clean(text: str) -> str:
    text = text.translate(_INVISIBLE).translate(_SPACES)
    # An apostrophe inside a word or before a decade ("Ukraine’s", "’90s") is kept, straight.
    return re.sub(r"(?<=\w)[’‘ʼ](?=\w)|[’‘](?=\d0s\b)", "'", text)


# Each starts only where a run of address characters starts: tried at every position of a long
# run (digits and dashes), they took time growing with its square.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*"
    rf"\.(?:{'|'.join(sorted(TOP_LEVEL_DOMAINS))})\b(?:/[\w\-./?=&%#~+]*[\w/])?",
    re.IGNORECASE,
)


# A reference to a note, glued to what it follows ("reported(1)") or in square brackets ("[2]",
# "[3, 4]"): not read at all. A number in brackets after a space may be a list's "(1)" and stays.
_CITATION = re.compile(r" ?\[\d[\d,\s–-]{0,15}\]|(?<=[^\W\d_]|[.,;:!?”’\")\]])\(\d{1,3}\)")
# A code of letters and digits ("MH17", "G7", "CLc1", "US10YT=RR"): its letters and numbers
# said apart, each run of two or more capitals as capitals so that it is spelled or read as one.
_CODE = re.compile(
    r"(?<![\w=-])(?=[A-Za-z]*[A-Z])(?=[A-Za-z]+\d)[A-Za-z0-9]+(?:=[A-Za-z0-9]+)?(?![\w=-])"
)
_CODE_RUN = re.compile(r"[A-Za-z]+|\d+")
# A number glued to one capital ("5G", "4K").
_NUMBER_LETTER = re.compile(r"(?<![\w-])\d{1,4}(?=[A-Z]\b)")


def _code(match: re.Match[str]) -> str:
    runs = _CODE_RUN.findall(match[0])
    return " ".join(
        run.upper() if sum(char.isupper() for char in run) >= 2 else run for run in runs
    )


def _codes(text: str) -> str:
    text = _CITATION.sub("", text)
    text = _CODE.sub(_code, text)
    return _NUMBER_LETTER.sub(lambda match: match[0] + " ", text)


def _spell_address(address: str) -> str:
    address = re.sub(r"^(?:https?://)?(?:www\.)?", "", address, flags=re.IGNORECASE)
    address = address.rstrip("/")
    # Slugs are read as the words they join: "russia-attacked-kharkiv".
    address = re.sub(r"[-+]", " ", address)
    spoken = re.sub(r"[./@_]", lambda sign: f" {URL_SPEECH[sign[0]]} ", address)
    return re.sub(r"[?=&%#~]", " ", spoken)


def _addresses(text: str) -> str:
    text = _EMAIL.sub(lambda match: _spell_address(match[0]), text)
    return _URL.sub(lambda match: _spell_address(match[0]), text)


def _expand(match: re.Match[str], words: str) -> str:
    """`words` for an abbreviation, keeping its dot when that dot also ends the sentence."""
    return words + ("." if match[0].endswith(".") and ends_sentence(match) else "")


_SAINT_OR_STREET = re.compile(rf"\b(?:(?P<name>{_CAPITALISED}) )?St\b\.?")


def _saint_or_street(match: re.Match[str]) -> str:
    # "St. Petersburg" is a saint; "Khreshchatyk St." and "Main St. in Kyiv" are streets.
    name = f"{match['name']} " if match["name"] else ""
    if match[0].endswith(".") and re.match(r" [A-Z]", match.string[match.end() :]):
        return f"{name}Saint"
    if name:
        return name + _expand(match, "Street")
    return match[0]


def _abbreviations(text: str) -> str:
    text = re.sub(
        rf"(?<![\w.])({alternatives(TITLES)})(?=\s+[A-Z])",
        lambda match: TITLES[match[1]],
        text,
    )
    text = _SAINT_OR_STREET.sub(_saint_or_street, text)
    text = re.sub(
        rf"(?<=\w)(,?) ({alternatives(SUFFIXES)})\.",
        lambda match: f"{match[1]} {_expand(match, SUFFIXES[match[2]])}",
        text,
    )
    text = re.sub(
        rf"(?<![\w.])({alternatives(BEFORE_NUMBER)}) ?(?=\d)",
        lambda match: BEFORE_NUMBER[match[1]] + " ",
        text,
    )
    text = re.sub(r"(?<![\w.])№ ?(?=\d)", "number ", text)
    text = re.sub(
        rf"(?<![\w.])({alternatives(WEEKDAYS)}),?(?= +(?:{alternatives(MONTHS)}|\d))",
        lambda match: WEEKDAYS[match[1]] + ",",
        text,
    )
    return re.sub(
        rf"(?<![\w.])({alternatives(ANYWHERE)})(?![A-Za-z])",
        lambda match: _expand(match, ANYWHERE[match[1]]),
        text,
    )


def _roman(match: re.Match[str]) -> str:
    number = ROMAN_NUMERALS[match["roman"]]
    if match["name"] in ROMAN_CARDINAL_AFTER:
        return f"{match['name']} {_numbers.cardinal(str(number)).capitalize()}"
    return f"{match['name']} the {_numbers.ordinal(number).capitalize()}"


def _letters(letters: str) -> str:
    """Capitals as espeak spells them: dotted, but without a final dot, which it would take for
    the end of a sentence before a capitalised word ("the U.S. Congress")."""
    return ".".join(letters)


def _among_capitals(text: str, start: int, end: int) -> bool:
    """Whether the capitals at text[start:end] have another word in capitals beside them, as in
    a dateline ("NEW YORK (Reuters)"), a byline or a headline."""
    return bool(
        _CAPITALS_AFTER.match(text, end) or _CAPITALS_BEFORE.search(text[max(0, start - 4) : start])
    )


def _initialism(match: re.Match[str], in_capitals: bool) -> str:
    letters, suffix = match["letters"].replace(".", ""), match["suffix"] or ""
    if letters in ROMAN_NUMERALS and _ROMAN_BEFORE.search(
        match.string[max(0, match.start() - 20) : match.start()]
    ):
        return match[0]  # said as a number by _roman
    dotted = "." in match["letters"]
    if letters in WORD_ACRONYMS:
        word = WORD_ACRONYMS[letters]
        # espeak drops the "'s" of "NATO's" but keeps that of "Nato's".
        return (word.capitalize() if word.isupper() else word) + "'s" if suffix else word
    among = in_capitals or _among_capitals(match.string, match.start(), match.end())
    if not dotted and not spelled(letters, among):
        # espeak spells some words in capitals ("IT", "US"); written as a name it reads them.
        return letters.capitalize() + suffix.lower()
    # "U.A.V.'s": the dot keeps espeak from reading "Vs" or "S's" ("U.S's" is "U dot S's").
    spoken = _letters(letters) + (".'s" if suffix else "")
    if match[0].endswith(".") and not suffix and ends_sentence(match):
        spoken += "."
    return spoken


_ROMAN = re.compile(rf"\b(?P<name>{_CAPITALISED}) (?P<roman>{alternatives(ROMAN_NUMERALS)})\b")
_ROMAN_BEFORE = re.compile(r"\b[A-Z][A-Za-z]+ $")
_INITIAL = re.compile(rf"\b(?P<name>{_CAPITALISED}) (?P<initial>[B-Z])\.(?= [A-Z])")
_INITIALISM = re.compile(
    r"(?<![\w.'])(?P<letters>(?:[A-Z]\.){2,}(?![A-Za-z])|[A-Z]\.(?:[A-Z]\.?)+|[A-Z]{2,12})"
    r"(?P<suffix>['’][sS]|s)?(?![\w'])"
)
_CAPITALS_AFTER = re.compile(r"[ -]{1,2}[A-Z]{2}")
_CAPITALS_BEFORE = re.compile(r"[A-Z]{2}[ -]{1,2}$")


def _capitals(text: str) -> str:
    # "John F. Kennedy": espeak takes the initial's dot for the end of a sentence.
    text = _INITIAL.sub(r"\g<name> \g<initial>", text)
    # A line without a small letter is a headline: its capitals are words unless spelled.
    in_capitals = not re.search(r"[a-z]", text)
    text = _INITIALISM.sub(lambda match: _initialism(match, in_capitals), text)
    return _ROMAN.sub(_roman, text)


def _punctuation(text: str) -> str:
    text = re.sub(r"\s*(?:\.\.\.|…)\s*" + _END, ".", text)
    text = re.sub(r"\s*(?:\.\.\.|…)\s*", ", ", text)
    # A dash between words is a pause; an en dash joining two words stays a hyphen.
    text = re.sub(r"\s*[—―]\s*|\s+[–-](?:\s+|$)", ", ", text)
    text = text.replace("–", "-")
    text = re.sub(r"[\"“”„‟«»]|(?<![\w.])['‘’]|['‘’](?!\w)", "", text)
    text = re.sub(r"\s*[(\[{]\s*", ", ", text)
    text = re.sub(r"\s*[)\]}]", ",", text)
    text = re.sub(
        rf"\s*({alternatives(SYMBOLS)})\s*",
        lambda match: f" {SYMBOLS[match[1]]} " if SYMBOLS[match[1]] else " ",
        text,
    )
    return text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)
    text = re.sub(r"^[,;:\s]+|[,;:\s]+$", "", text)
    return text


def normalize(text: str) -> str:
    """Rewrite one sentence so that the voice reads it as a newsreader would.

    Dates, times, numbers, money and measures become words; titles and abbreviations are
    expanded; initialisms are written so espeak spells them ("SBU" → "S.B.U"); quotes, brackets
    and dashes become pauses or go. Proper names and ordinary words are left as written.
    """
    text = _clean(text)
    text = _addresses(text)
    text = _codes(text)
    text = _abbreviations(text)
    text = expand_quantities(text)
    text = _capitals(text)
    text = _punctuation(text)
    return _tidy(text)
