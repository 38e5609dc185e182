"""SSML `say-as` → words: the written text of a `<say-as interpret-as="…">` said as the kind it
names (letters, numbers, a date, a telephone number), never through the normaliser."""

from __future__ import annotations

import re

from audiobrief.script import _numbers
from audiobrief.script._quantities import MONTH_NUMBERS, MONTHS

MAX_SAID_CHARS = 200
"""The most characters a say-as may hold: a word spelled, a number, a date or a telephone
number is short, and spelling multiplies what is said."""

# What `characters` and `verbatim` say for a sign; any other sign is skipped.
SIGNS: dict[str, str] = {
    "-": "dash", "‐": "dash", "–": "dash", ".": "dot", ",": "comma", "/": "slash",
    "\\": "backslash", "@": "at", "_": "underscore", "+": "plus", "#": "hash", "&": "and",
    "*": "star", "%": "percent", ":": "colon", "=": "equals", "$": "dollar", "€": "euro",
    "£": "pound", "₴": "hryvnia", "'": "apostrophe", "?": "question mark", "!": "exclamation mark",
}  # fmt: skip
DATE_FORMATS = frozenset({"mdy", "dmy", "ymd", "ydm", "md", "dm", "ym", "my", "d", "m", "y"})
KINDS = ("characters", "spell-out", "verbatim", "cardinal", "number", "ordinal", "digits",
         "date", "telephone")
"""The interpret-as values said here: `number` is `cardinal`, `spell-out` and `verbatim` are
`characters`."""

_CARDINAL = re.compile(r"[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-−]?\d+(?:\.\d+)?")
_ORDINAL = re.compile(r"(\d{1,15})(?:st|nd|rd|th)?", re.IGNORECASE)
# Spelled as a letter's name where espeak would read the letter as a word ("A" as "uh").
_LETTER_A = "[[ ˈeɪ ]]"


class SayAsError(ValueError):
    """The text cannot be said as that kind; the message says why, for the element's line."""


def say_as(kind: str, text: str, date_format: str | None = None) -> str:
    """The words for `text` said as `kind` (one of KINDS); SayAsError when it is not one."""
    text = " ".join(text.split())
    if len(text) > MAX_SAID_CHARS:
        raise SayAsError(f"holds {len(text)} characters; at most {MAX_SAID_CHARS} are said")
    if kind in ("characters", "spell-out", "verbatim"):
        return spell(text)
    if kind in ("cardinal", "number"):
        if not _CARDINAL.fullmatch(text):
            raise SayAsError(f"{text!r} is not a number")
        return _numbers.cardinal(text.replace("−", "-"))
    if kind == "ordinal":
        if not (match := _ORDINAL.fullmatch(text)):
            raise SayAsError(f"{text!r} is not an ordinal number")
        return _numbers.ordinal(int(match[1]))
    if kind == "digits":
        if not any(char.isdigit() for char in text):
            raise SayAsError(f"{text!r} has no digits")
        return spell(text)
    if kind == "date":
        return date(text, date_format)
    if kind == "telephone":
        return telephone(text)
    raise SayAsError(f"interpret-as {kind!r} is not supported; use one of {', '.join(KINDS)}")


def spell(text: str) -> str:
    """Each character on its own: letters by name ("KYIV" → "K.Y.I.V", which espeak spells),
    digits as digit words, signs named (SIGNS), words apart as written."""
    words: list[str] = []
    for token in re.findall(r"[^\W\d_]+|\d|\S", text):
        if token[0].isdigit():
            words.append(_numbers.DIGIT_WORDS[int(token)] if token.isascii() else token)
        elif token[0].isalpha():
            letters = token.upper()
            words.append(_LETTER_A if letters == "A" else ".".join(letters))
        elif token in SIGNS:
            words.append(SIGNS[token])
    return " ".join(words)


def date(text: str, date_format: str | None) -> str:
    """A date written in the fields `date_format` names (d, m, y; `?` for one not known) as it is
    said: "March fifth, twenty twenty-four", or "the fifth of March" when the day comes first."""
    fields = [field for field in re.split(r"[-/.,\s]+", text) if field]
    if date_format is None:  # ISO order when the year comes first, else the voice's (US) order
        date_format = ("ymd" if fields and len(fields[0]) == 4 else "mdy")[: len(fields) or 3]
    if date_format not in DATE_FORMATS:
        raise SayAsError(f"format {date_format!r} is not a date format; use one of "
                         f"{', '.join(sorted(DATE_FORMATS))}")
    if len(fields) != len(date_format):
        raise SayAsError(f"{text!r} does not have the {len(date_format)} fields of format "
                         f"{date_format!r}")
    parts = dict(zip(date_format, fields, strict=True))
    day = _field(parts.get("d"), "day", 1, 31)
    month_number = _month(parts.get("m"))
    year = _field(parts.get("y"), "year", 0, 9999)
    month = MONTH_NUMBERS[month_number - 1] if month_number else None
    said: list[str] = []
    if month and day:
        said.append(f"the {_numbers.ordinal(day)} of {month}" if date_format.index("d")
                    < date_format.index("m") else f"{month} {_numbers.ordinal(day)}")
    elif month:
        said.append(month)
    elif day:
        said.append(f"the {_numbers.ordinal(day)}")
    if year is not None:
        said.append(_numbers.year(year))
    if not said:
        raise SayAsError(f"{text!r} says nothing of the date")
    return ", ".join(said) if month and day else " ".join(said)


def telephone(text: str) -> str:
    """A telephone number digit by digit, a pause between its groups: "+1 555-0100" → "plus
    one, five five five, zero one zero zero"."""
    groups = [group for group in re.split(r"[^\w+]+", text) if group]
    if not any(char.isdigit() for char in text):
        raise SayAsError(f"{text!r} has no digits")
    said = []
    for group in groups:
        sign = "plus " if group.startswith("+") else ""
        said.append(sign + spell(group.lstrip("+")))
    return ", ".join(part.strip() for part in said if part.strip())


def _field(value: str | None, name: str, low: int, high: int) -> int | None:
    if value is None or set(value) == {"?"}:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise SayAsError(f"{value!r} is not a {name}")
    return int(value)


def _month(value: str | None) -> int | None:
    if value is not None and (name := MONTHS.get(value.rstrip(".").capitalize())):
        return MONTH_NUMBERS.index(name) + 1
    return _field(value, "month", 1, 12)
