"""Headings and paragraphs in reading order → an Article's sections and language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from audiobrief import language
from audiobrief.model import Section

Block = Literal["heading", "paragraph"]


def sections(blocks: Iterable[tuple[Block, str]]) -> tuple[Section, ...]:
    """Headings and paragraphs in reading order → sections: each heading opens one, paragraphs
    before the first heading make one without a heading, a heading with no paragraph is dropped."""
    found: list[Section] = []
    heading: str | None = None
    paragraphs: list[str] = []
    for block, text in blocks:
        if block == "heading":
            if paragraphs:
                found.append(Section(heading, tuple(paragraphs)))
            heading, paragraphs = text, []
        else:
            paragraphs.append(text)
    if paragraphs:
        found.append(Section(heading, tuple(paragraphs)))
    return tuple(found)


def language_of(title: str, body: tuple[Section, ...], declared: str | None = None
                ) -> str | None:
    """The language the title and body are written in, detected from their text (a page's
    `lang` is often a template's "en" whatever the article); the declared tag when it names the
    same language more exactly ("en-GB"); None when the text is too short to tell."""
    texts = (title, *(text for section in body
                      for text in (section.heading or "", *section.paragraphs)))
    detected = language.detect(texts)
    if detected and declared and language.primary(declared) == detected:
        return declared
    return detected


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def is_prose(text: str) -> bool:
    """A sentence or more of running text, not a row of menu items or form labels."""
    words = text.split()
    return len(words) >= 12 or (len(words) >= 4 and text.rstrip("”\"’' ").endswith((".", "!", "?")))


def same(a: str, b: str) -> bool:
    """The same words, whatever their case, spacing and punctuation."""
    return _letters(a) == _letters(b)


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())
