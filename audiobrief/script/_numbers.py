"""Digits → American English number words: cardinals, ordinals, decimals, years and decades."""

from __future__ import annotations

import re

from num2words import num2words

# num2words writes British "one hundred and thirty" and "one thousand, two hundred"; newsreaders
# in the voice's accent say "one hundred thirty".
_BRITISH_AND = re.compile(r",? and\b|,")

MAX_WHOLE_DIGITS = 15
"""A longer whole number (a quadrillion or more) is no quantity a listener can take in: it is read
digit by digit, which also keeps Python's limit on converting long digit strings out of reach."""
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _american(words: str) -> str:
    return _BRITISH_AND.sub("", words)


def digits(text: str) -> str:
    """Each digit on its own: "05" → "zero five" (used after a decimal point)."""
    return " ".join(DIGIT_WORDS[int(digit)] for digit in text)


def cardinal(text: str) -> str:
    """A written number as words: "2,000" → "two thousand", "-1.5" → "minus one point five"."""
    text = text.replace(",", "")
    sign = ""
    if text[:1] in "-−":
        sign, text = "minus ", text[1:]
    whole, _, fraction = text.partition(".")
    if (len(whole) > 1 and whole.startswith("0")) or len(whole) > MAX_WHOLE_DIGITS:
        # "007" is a code, not a quantity.
        spoken = digits(whole)
    else:
        spoken = _american(num2words(int(whole or "0")))
    if fraction:
        spoken += " point " + digits(fraction)
    return sign + spoken


def ordinal(number: int) -> str:
    """1 → "first", 22 → "twenty-second", 101 → "one hundred first"."""
    return _american(num2words(number, to="ordinal"))


def year(number: int) -> str:
    """1991 → "nineteen ninety-one", 2008 → "two thousand eight", 1905 → "nineteen oh-five"."""
    return _american(num2words(number, to="year"))


def nominal(text: str) -> str:
    """A number that names a model, as it is said: "737" → "seven thirty-seven", "707" →
    "seven oh seven", "800" → "eight hundred", "12" → "twelve"."""
    if len(text) != 3 or text.endswith("00") or text.startswith("0"):
        return cardinal(text)
    tens = text[1:]
    said = f"oh {DIGIT_WORDS[int(tens[1])]}" if tens.startswith("0") else cardinal(tens)
    return f"{DIGIT_WORDS[int(text[0])]} {said}"


def plural(words: str) -> str:
    """The plural of a spoken number, for decades: "nineteen ninety" → "nineteen nineties"."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x"):
        return words + "es"
    return words + "s"


def is_year(number: int) -> bool:
    """Whether a bare four-digit number may be read as a year at all."""
    return 1100 <= number <= 2099
