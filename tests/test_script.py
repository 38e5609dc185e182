"""Making the script: headline chapter, chapter modes, pauses, and what the voice receives."""

from __future__ import annotations

import time

import pytest

from audiobrief.model import Article, Section
from audiobrief.script import (
    CHAPTER_MAX_S,
    CHARS_PER_SECOND,
    OPENING_MAX_CHARS,
    PAUSE_MS,
    ScriptOptions,
    make_script,
)
from audiobrief.script.pronounce import Pronouncer
from audiobrief.script.sentences import MAX_SENTENCE_CHARS
from audiobrief.voices import find_voice


@pytest.fixture(scope="module")
def pronouncer() -> Pronouncer:
    return Pronouncer(find_voice().phonemes)


def _article(*sections: Section, byline: str | None = "Jane Doe") -> Article:
    return Article(title="A headline", byline=byline, date="2024-01-05", site="Site",
                   url="https://site.example/a", language="en", sections=sections)


def _paragraph(seconds: float, word: str = "Word") -> str:
    """A paragraph of about `seconds` of speech, of whole sentences."""
    sentence = f"{word} after word makes a sentence of some length here. "
    count = max(1, round(seconds * CHARS_PER_SECOND / len(sentence)))
    return (sentence * count).strip()


def test_headline_and_byline_are_the_first_chapter(pronouncer: Pronouncer) -> None:
    script = make_script(_article(Section(None, ("Body text here.",))), pronouncer)
    first = script.chapters[0]
    assert first.title == "A headline"
    assert [s.text for s in first.sentences] == ["A headline.", "By Jane Doe."]
    assert script.chaptered


def test_headings_make_chapters_read_aloud(pronouncer: Pronouncer) -> None:
    article = _article(Section(None, ("Intro one.",)), Section("The route", ("Route text.",)),
                       Section("The cargo", ("Cargo text.",)))
    script = make_script(article, pronouncer)
    assert [c.title for c in script.chapters] == ["A headline", "Intro one.", "The route",
                                                  "The cargo"]
    assert script.chapters[2].sentences[0].text == "The route."


@pytest.mark.parametrize(
    ("mode", "titles"),
    [
        ("paragraphs", ["A headline", "First paragraph.", "Second paragraph.", "Third one."]),
        ("sections", ["A headline", "First paragraph.", "Third one."]),
        ("none", [""]),
    ],
)
def test_chapter_modes(pronouncer: Pronouncer, mode: str, titles: list[str]) -> None:
    article = _article(Section(None, ("First paragraph.", "Second paragraph.")),
                       Section(None, ("Third one.",)))
    script = make_script(article, pronouncer, ScriptOptions(chapters=mode))  # type: ignore[arg-type]
    assert [c.title for c in script.chapters] == titles
    assert script.chaptered is (mode != "none")


def test_without_chapter_marks_the_headline_opens_the_one_chapter(pronouncer: Pronouncer) -> None:
    article = _article(Section(None, ("First paragraph.",)), Section("Later", ("Third one.",)))
    script = make_script(article, pronouncer, ScriptOptions(chapters="none"))
    [chapter] = script.chapters
    assert [s.text for s in chapter.sentences] == [
        "A headline.", "By Jane Doe.", "First paragraph.", "Later.", "Third one."]
    assert chapter.sentences[1].pause_after_ms == PAUSE_MS["paragraph"]


UNTITLED: list[tuple[str, tuple[str, ...], str | None, str, list[str]]] = [
    # (id, paragraphs, byline, script title, what is said)
    ("one-word", ("x",), None, "x", ["x"]),
    ("one-sentence", ("Kharkiv was quiet on Friday.",), None, "Kharkiv was quiet on Friday.",
     ["Kharkiv was quiet on Friday."]),
    ("long-paragraph",
     ("The governor said on Friday that the missiles had struck a warehouse. Nobody was hurt.",
      "Later."),
     None, "The governor said on Friday that the missiles…",
     ["The governor said on Friday that the missiles had struck a warehouse.", "Nobody was hurt.",
      "Later."]),
    ("byline-only", ("Body.",), "Jane Doe", "Body.", ["By Jane Doe.", "Body."]),
]


@pytest.mark.parametrize(("paragraphs", "byline", "title", "said"),
                         [case[1:] for case in UNTITLED], ids=[case[0] for case in UNTITLED])
def test_an_untitled_article_has_no_headline_and_is_named_by_its_opening(
        pronouncer: Pronouncer, paragraphs: tuple[str, ...], byline: str | None, title: str,
        said: list[str]) -> None:
    article = Article(title="", byline=byline, date=None, site=None, url=None, language="en",
                      sections=(Section(None, paragraphs),))
    script = make_script(article, pronouncer)
    assert [s.text for s in script.sentences] == said
    assert script.title == title


def test_headless_long_article_is_grouped_into_30_to_90_second_chapters(
        pronouncer: Pronouncer) -> None:
    paragraphs = tuple(_paragraph(25, word=f"Para{i}") for i in range(12))  # about 5 minutes
    script = make_script(_article(Section(None, paragraphs)), pronouncer)
    body = script.chapters[1:]
    assert 3 <= len(body) <= 10
    for chapter in body:
        seconds = sum(len(s.text) + 1 for s in chapter.sentences) / CHARS_PER_SECOND
        assert 30 <= seconds <= CHAPTER_MAX_S + 15, chapter.title
    # Titled by their opening words.
    assert body[0].title.startswith("Para0 after word")
    assert body[1].title.startswith("Para")


def test_pauses_mark_sentence_paragraph_and_chapter_ends(pronouncer: Pronouncer) -> None:
    article = _article(Section(None, ("One. Two.", "Three.")), Section("Next", ("Four.",)))
    script = make_script(article, pronouncer)
    pauses = {s.text: s.pause_after_ms for s in script.sentences}
    assert pauses["By Jane Doe."] == PAUSE_MS["chapter"]
    assert pauses["One."] == PAUSE_MS["sentence"]
    assert pauses["Two."] == PAUSE_MS["paragraph"]
    assert pauses["Three."] == PAUSE_MS["chapter"]
    assert pauses["Four."] == PAUSE_MS["end"]


def test_no_normalize_keeps_text_as_written(pronouncer: Pronouncer) -> None:
    article = _article(Section(None, ("It cost $1.5 billion on Jan. 5, 2024.",)))
    raw = make_script(article, pronouncer, ScriptOptions(normalize=False))
    assert list(raw.sentences)[-1].spoken == "It cost $1.5 billion on Jan. 5, 2024."


def _hostile_article(size: int) -> Article:
    """Paragraphs that made scripting super-linear: long runs of spaces, of digits and dots,
    of hyphenated words, of words without a comma, of ones."""
    runs = ("a   ", "1.", "a-b ", "word ", "1")
    return _article(Section(None, tuple((run * size)[:size] for run in runs)))


def _seconds_to_script(article: Article, pronouncer: Pronouncer) -> float:
    start = time.perf_counter()
    make_script(article, pronouncer)
    return time.perf_counter() - start


def test_scripting_takes_time_linear_in_the_input(pronouncer: Pronouncer) -> None:
    """Runs of spaces, dots and digits made normalising one long sentence quadratic: 20k
    characters of "1." took 8 s; 4,301 digits raised ValueError."""
    _seconds_to_script(_hostile_article(100), pronouncer)  # first calls load rules and espeak
    short_s = _seconds_to_script(_hostile_article(10_000), pronouncer)
    long_s = _seconds_to_script(_hostile_article(40_000), pronouncer)
    assert long_s < 8 * short_s + 0.5, (short_s, long_s)
    assert long_s < 20, long_s  # 200k characters: a generous budget


def test_every_sentence_of_a_hostile_article_is_bounded(pronouncer: Pronouncer) -> None:
    script = make_script(_hostile_article(20_000), pronouncer)
    assert max(len(sentence.text) for sentence in script.sentences) <= MAX_SENTENCE_CHARS


def test_a_chapter_titled_by_its_opening_words_has_a_bounded_title(
        pronouncer: Pronouncer) -> None:
    article = _article(Section(None, ("x" * 100_000 + " and more words.", "Second one.")))
    script = make_script(article, pronouncer, ScriptOptions(chapters="paragraphs"))
    assert len(script.chapters[1].title) <= OPENING_MAX_CHARS
    assert script.chapters[1].title.startswith("xxx")


@pytest.mark.parametrize("normalize", [True, False], ids=["normalized", "as-written"])
def test_control_characters_never_reach_the_voice(pronouncer: Pronouncer,
                                                  normalize: bool) -> None:
    """espeak refuses a NUL ("embedded null character") and UTF-8 a lone surrogate."""
    article = _article(Section(None, ("Hello\x00 world, \x1b[31mred\x07 and \ud800 more.",)))
    script = make_script(article, pronouncer, ScriptOptions(normalize=normalize))
    spoken = list(script.sentences)[-1].spoken
    assert not [char for char in spoken if ord(char) < 32 or 0xD800 <= ord(char) <= 0xDFFF]
    assert spoken.split()[:2] == ["Hello", "world,"]
    spoken.encode("utf-8")
