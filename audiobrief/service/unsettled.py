"""Recent articles → the names in them no lexicon decided (the Ukrainian rules or espeak said them),
most frequent first: what an editor should listen to next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audiobrief.model import Script
from audiobrief.script.lexicon import lexicon_key
from audiobrief.service.site_lexicon import finished

if TYPE_CHECKING:
    from audiobrief.service.jobs import Service

UNSETTLED_SOURCES = ("rule", "espeak")
"""Who decided a word no lexicon has: the Ukrainian rules, or espeak's English ones."""
ALWAYS_CAPITALISED = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "april", "june", "july", "august", "september", "october", "november",
    "december", "i", "mr", "mrs", "ms", "dr"})
"""Words that are capitalised wherever they stand and that espeak knows well."""


@dataclass(frozen=True, slots=True)
class Unsettled:
    """A name said by rule or by espeak in recent articles."""

    word: str
    source: str
    articles: int
    """How many of the articles looked at say it."""
    times: int
    """How often they say it in all."""
    phonemes: str
    """As it was said (by rule), or "" where espeak said it from the text."""


def unsettled(service: Service, articles: int, limit: int) -> tuple[list[Unsettled], int]:
    """The names the `articles` most recently finished articles left to rule or espeak (no
    lexicon has them), most articles first; and how many articles were looked at. A word left to
    espeak counts as a name where it is capitalised, not at a sentence's start, and never
    written in lower case in that article."""
    counted: dict[tuple[str, str], list[Any]] = {}
    looked_at = 0
    for record in finished(service, articles):
        looked_at += 1
        for (key, source), (word, phonemes, times) in _names(record.script).items():
            entry = counted.setdefault((key, source), [word, phonemes, 0, 0])
            entry[2] += 1
            entry[3] += times
    ranked = sorted(counted.items(), key=lambda item: (-item[1][2], -item[1][3], item[0][0]))
    return [Unsettled(word, source, seen, times, phonemes)
            for (_, source), (word, phonemes, seen, times) in ranked[:limit]], looked_at


def _names(script: Script) -> dict[tuple[str, str], tuple[str, str, int]]:
    """(key, source) → (word as written, phonemes, times) for one script's unsettled names."""
    found: dict[tuple[str, str], tuple[str, str, int]] = {}
    lower: set[str] = set()
    capitalised: list[tuple[str, str]] = []

    def add(key: str, source: str, word: str, phonemes: str) -> None:
        _, _, times = found.get((key, source), (word, phonemes, 0))
        found[(key, source)] = (word, phonemes, times + 1)

    for sentence in script.sentences:
        for decision in sentence.pronunciations:
            if decision.source == "rule":
                add(lexicon_key(_bare(decision.word)), "rule", _bare(decision.word),
                    decision.phonemes)
        words = _TEXT_WORD.findall(_BLOCKS.sub(" ", sentence.spoken))
        # A name decided by a lexicon may open the sentence; the word after it does not.
        first = 1 if not sentence.spoken.lstrip().startswith("[[") else 0
        for position, word in enumerate(words):
            if not word[:1].isupper():
                lower.add(word.casefold())
            elif position >= first and len(word) > 1 and not word.isupper():
                capitalised.append((_bare(word), lexicon_key(_bare(word))))
    for word, key in capitalised:
        if key not in lower and key not in ALWAYS_CAPITALISED:
            add(key, "espeak", word, "")
    return found


_BLOCKS = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_TEXT_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’ʼ](?=[^\W\d_]))*")


def _bare(word: str) -> str:
    """`word` without a possessive 's."""
    return word[:-2] if len(word) > 3 and word[-2:-1] in "'’ʼ" and word[-1] in "sS" else word
