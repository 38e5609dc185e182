"""Article → Script: what is said, sentence by sentence, grouped into chapters.

normalize.py (written → spoken English), sentences.py (splitting), pronounce.py with lexicon.py and
ukrainian.py (names as `[[ phonemes ]]`). `make_script` is the stage's one entry function.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from audiobrief.model import Article, Chapter, ChapterMode, Script, Section, Sentence
from audiobrief.script.normalize import normalize
from audiobrief.script.pronounce import Pronouncer
from audiobrief.script.sentences import split_sentences

# Silence after a sentence, by what ends there.
PAUSE_MS = {"sentence": 350, "paragraph": 750, "chapter": 1300, "end": 600}

# Chapters made from headless text aim at this length, estimated from characters.
CHARS_PER_SECOND = 15.0
CHAPTER_MIN_S, CHAPTER_MAX_S = 30.0, 90.0
# Control characters and lone surrogates: espeak refuses a NUL, and UTF-8 a surrogate.
_UNSPEAKABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A chapter titled by its opening words: at most this many characters of them.
OPENING_MAX_CHARS = 120


@dataclass(frozen=True, slots=True)
class ScriptOptions:
    chapters: ChapterMode = "auto"
    normalize: bool = True
    """Rewrite dates, numbers, abbreviations for speech (off: the text is read as written)."""
    headline: bool = True
    """Speak the title (and byline) first as a chapter of its own; off, only the body is said."""


def make_script(
    article: Article, pronouncer: Pronouncer, options: ScriptOptions | None = None
) -> Script:
    """The spoken script of `article`: a headline chapter (unless `options.headline` is off or
    the article has neither title nor byline), then the body in chapters.

    An article without a title gets its opening words as the script's title, for tags and
    players; they are not read as a headline, since the body reads them.
    """
    options = options or ScriptOptions()
    article = _sayable(article)
    headline = []
    if article.title:
        headline.append(
            article.title if article.title.endswith((".", "?", "!")) else article.title + "."
        )
    if article.byline:
        headline.append(f"By {article.byline}.")
    groups: list[tuple[str, list[list[str]]]] = (
        [(article.title or headline[0].rstrip("."), [headline])]
        if options.headline and headline
        else []
    )
    body = _group(article.sections, options.chapters)
    if options.chapters == "none":
        # No chapter marks: the headline is the start of the one chapter the file has.
        groups = [("", [paragraph for _, paragraphs in groups + body for paragraph in paragraphs])]
    else:
        groups += body
    chapters = []
    for number, (title, paragraphs) in enumerate(groups):
        last_chapter = number == len(groups) - 1
        sentences: list[Sentence] = []
        for p_index, paragraph in enumerate(paragraphs):
            texts = [s for text in paragraph for s in split_sentences(text)]
            for s_index, text in enumerate(texts):
                pause = pause_after(s_index == len(texts) - 1,
                                    p_index == len(paragraphs) - 1, last_chapter)
                sentences.append(_sentence(text, pronouncer, options, pause))
        if sentences:
            chapters.append(Chapter(title=title, sentences=tuple(sentences)))
    if not article.title:
        article = dataclasses.replace(article, title=_untitled(article))
    return Script.of(article, tuple(chapters), chaptered=options.chapters != "none")


def _untitled(article: Article) -> str:
    """What to call an article without a title: its opening words ("" if it has no body)."""
    paragraphs = [p for section in article.sections for p in section.paragraphs]
    return _opening(paragraphs[0], words=8) if paragraphs else ""


def pause_after(last_in_paragraph: bool, last_paragraph: bool, last_chapter: bool) -> int:
    """The silence after a sentence, by where it ends: within a paragraph, at a paragraph's end,
    at a chapter's, or at the very end."""
    if not last_in_paragraph:
        return PAUSE_MS["sentence"]
    if not last_paragraph:
        return PAUSE_MS["paragraph"]
    return PAUSE_MS["end"] if last_chapter else PAUSE_MS["chapter"]


def _sentence(text: str, pronouncer: Pronouncer, options: ScriptOptions, pause_ms: int) -> Sentence:
    spoken = normalize(text) if options.normalize else text
    spoken, pronunciations = pronouncer.apply(spoken)
    return Sentence(
        text=text, spoken=spoken, pronunciations=pronunciations, pause_after_ms=pause_ms
    )


def _sayable(article: Article) -> Article:
    """`article` without control characters or lone surrogates, which would reach the voice and
    the MP3's tags (a space stands for each run of them)."""

    def clean(text: str) -> str:
        # A space keeps the words either side apart; one space, as if the character were not there.
        return re.sub(" {2,}", " ", _UNSPEAKABLE.sub(" ", text)).strip() if _UNSPEAKABLE.search(
            text) else text

    if not any(_UNSPEAKABLE.search(text) for text in article.texts):
        return article
    sections = tuple(
        Section(clean(section.heading) if section.heading else section.heading,
                tuple(clean(paragraph) for paragraph in section.paragraphs))
        for section in article.sections)
    return dataclasses.replace(article, title=clean(article.title),
                               byline=clean(article.byline) if article.byline else article.byline,
                               sections=sections)


def _group(sections: tuple[Section, ...], mode: ChapterMode) -> list[tuple[str, list[list[str]]]]:
    """Body chapters as (title, paragraphs); a heading is read as the chapter's first line."""

    def body(section: Section) -> list[list[str]]:
        head = (
            [
                [
                    section.heading
                    if section.heading.endswith((".", "?", "!", ":"))
                    else section.heading + "."
                ]
            ]
            if section.heading
            else []
        )
        return head + [[p] for p in section.paragraphs]

    if mode == "paragraphs":
        return [(_opening(p), [[p]]) for s in sections for p in s.paragraphs]
    if mode == "none":
        return [("", [p for s in sections for p in body(s)])]
    has_headings = any(s.heading for s in sections)
    if mode == "sections" or has_headings:
        return [(s.heading or _opening(s.paragraphs[0]), body(s)) for s in sections]
    return _by_length([p for s in sections for p in s.paragraphs])


def _by_length(paragraphs: list[str]) -> list[tuple[str, list[list[str]]]]:
    """Headless paragraphs grouped into chapters of roughly 30–90 s, titled by opening words."""
    groups: list[list[str]] = []
    seconds = 0.0
    for paragraph in paragraphs:
        length = len(paragraph) / CHARS_PER_SECOND
        if groups and seconds >= CHAPTER_MIN_S and seconds + length > CHAPTER_MAX_S:
            groups.append([])
            seconds = 0.0
        if not groups:
            groups.append([])
        groups[-1].append(paragraph)
        seconds += length
    if len(groups) > 1:
        tail_s = sum(len(p) for p in groups[-1]) / CHARS_PER_SECOND
        merged_s = tail_s + sum(len(p) for p in groups[-2]) / CHARS_PER_SECOND
        # A short last chapter joins the one before when the two still make a fair length.
        if tail_s < CHAPTER_MIN_S and merged_s <= CHAPTER_MAX_S + CHAPTER_MIN_S / 2:
            groups[-2].extend(groups.pop())
    return [(_opening(group[0]), [[p] for p in group]) for group in groups]


def _opening(text: str, words: int = 6) -> str:
    parts = text.split(maxsplit=words)
    opening = " ".join(parts[:words]).rstrip(",;:")
    if len(opening) > OPENING_MAX_CHARS:
        # Six words of any length would make a chapter title of any length.
        return opening[: OPENING_MAX_CHARS - 1] + "…"
    return opening + ("…" if len(parts) > words else "")
