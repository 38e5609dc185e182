"""Extraction: real pages through real trafilatura, checked against what a reader saw."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audiobrief import language
from audiobrief.errors import NoArticleError
from audiobrief.extract import extract, verbatim
from audiobrief.load import from_content, load
from tests.conftest import (
    ENGLISH_WITH_RUSSIAN_QUOTE_HTML,
    EXAMPLE_HTML,
    EXAMPLE_SEED,
    FIXTURES,
    GERMAN_HTML,
    RUSSIAN_HTML,
)


def _seed_body() -> list[str]:
    """The seven body paragraphs as the reader saw them: between the player label and the
    first related-article teaser."""
    lines = [line for line in EXAMPLE_SEED.read_text(encoding="utf-8").splitlines() if line]
    start = lines.index("This audio is created with AI assistance") + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("‘I’m in shock"))
    return lines[start:end]


def test_example_is_exactly_its_seven_paragraphs() -> None:
    article = extract(load(EXAMPLE_HTML))
    body = _seed_body()
    assert len(body) == 7
    assert len(article.sections) == 1
    assert article.sections[0].heading is None
    assert list(article.sections[0].paragraphs) == body


def test_example_metadata() -> None:
    article = extract(load(EXAMPLE_HTML))
    assert article.title == "Governor: Russia attacked Kharkiv Oblast with foreign-made missiles"
    assert article.byline == "Dinara Khalilova"
    assert article.date == "2024-01-05T18:46:00+02:00"  # article:published_time, time kept
    assert article.site == "The Kyiv Independent"
    assert article.url == (
        "https://kyivindependent.com/governor-russia-attacked-kharkiv-oblast-with-foreign-made-missiles/"
    )
    assert article.language == "en"


@pytest.mark.parametrize(("meta", "date"), [
    ('<meta property="article:published_time" content="2025-02-03T18:46:00+02:00">',
     "2025-02-03T18:46:00+02:00"),
    ('<meta property="article:published_time" content="2025-02-03T16:46:00Z">',
     "2025-02-03T16:46:00+00:00"),
    ('<meta property="article:published_time" content="2025-02-03">', "2025-02-03"),
    ('<meta name="date" content="2025-02-03T18:46:00">', "2025-02-03T18:46:00"),
], ids=["offset", "utc", "day", "naive"])
def test_publication_time_of_day_is_kept(meta: str, date: str) -> None:
    paragraph = "<p>" + "A sentence of the article that is long enough to be prose. " * 5 + "</p>"
    html = f"<html><head>{meta}<title>T</title></head><body><article><h1>A headline</h1>"
    page = from_content(html + paragraph * 3 + "</article></body></html>", "html", "test")
    assert extract(page).date == date


@pytest.mark.parametrize(
    "unwanted",
    [
        "Skip to content", "Edit post", "Sergey Bobok", "Getty Images",
        "This audio is created with AI assistance", "Enter your email", "Subscribe",
        "indicates required", "Semen Nedanov", "News Feed", "Rustem Umerov", "MORE NEWS",
        "Editors' Picks", "Kate Tsurkan", "confirmation email", "2 min read",
    ],
)
def test_example_drops_what_a_listener_must_not_hear(unwanted: str) -> None:
    article = extract(load(EXAMPLE_HTML))
    assert unwanted not in article.text
    assert unwanted not in article.title


def test_text_property_is_paragraphs_with_blank_lines() -> None:
    article = extract(load(EXAMPLE_HTML))
    assert article.text == "\n\n".join(_seed_body())


def test_headings_make_sections() -> None:
    article = extract(load(FIXTURES / "sections-article.html"))
    assert article.title == "How the grain corridor works"
    assert article.byline == "Maria Olsen"
    assert article.site == "Harbour Gazette"
    assert article.language == "en-GB"
    assert [s.heading for s in article.sections] == [None, "The route", "The cargo"]
    assert [len(s.paragraphs) for s in article.sections] == [1, 2, 2]
    assert "Reuters" not in article.text
    assert "Sign up" not in article.text


def test_page_without_article_says_so() -> None:
    with pytest.raises(NoArticleError, match="no article text found in .*no-article.html"):
        extract(load(FIXTURES / "no-article.html"))


def test_markdown_text(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# Morning notes\n\nFirst paragraph with a [link](https://x.example) and **bold**.\n"
        "It continues here.\n\n## Weather\n\n- Sunny in Lviv.\n- Rain in Odesa.\n",
        encoding="utf-8",
    )
    article = extract(load(notes))
    assert article.title == "Morning notes"
    assert article.sections[0].paragraphs == (
        "First paragraph with a link and bold. It continues here.",
    )
    assert article.sections[1].heading == "Weather"
    assert article.sections[1].paragraphs == ("Sunny in Lviv.", "Rain in Odesa.")


def _heard(text: str) -> tuple[str, list[tuple[str | None, tuple[str, ...]]]]:
    """The title and the (heading, paragraphs) of each section a listener gets from `text`."""
    article = extract(from_content(text, "text", "the posted text"))
    return article.title, [(section.heading, section.paragraphs) for section in article.sections]


@pytest.mark.parametrize(
    ("markdown", "title", "sections"),
    [
        pytest.param("# Morning notes\n\nIntro.\n\n## Weather\n\nSunny.\n\n### In Lviv\n\nRain.",
                     "Morning notes",
                     [(None, ("Intro.",)), ("Weather", ("Sunny.",)), ("In Lviv", ("Rain.",))],
                     id="headings-are-chapters"),
        pytest.param("Morning notes\n=============\n\nIntro.\n\nWeather\n-------\n\nSunny.",
                     "Morning notes", [(None, ("Intro.",)), ("Weather", ("Sunny.",))],
                     id="underlined-headings"),
        pytest.param("# *Morning* notes #\n\n## [Weather](https://x.example)\n\nSunny.",
                     "Morning notes", [("Weather", ("Sunny.",))], id="heading-markup-stripped"),
        pytest.param("# One\n\n# Two\n\nBody.", "One", [("Two", ("Body.",))],
                     id="a-second-h1-is-a-chapter"),
        pytest.param("Intro first.\n\n# Late\n\nBody.", "",
                     [(None, ("Intro first.",)), ("Late", ("Body.",))],
                     id="an-h1-after-text-is-a-chapter"),
        pytest.param("# Notes\n\n- Sunny in Lviv.\n- Rain in Odesa.\n\n1. First.\n2. Second.",
                     "Notes", [(None, ("Sunny in Lviv.", "Rain in Odesa.", "First.", "Second."))],
                     id="list-items-are-paragraphs"),
        pytest.param("# Notes\n\n- Sunny in\n  Lviv.\n  - Dry in Kyiv.\n\n  Warm later.",
                     "Notes", [(None, ("Sunny in Lviv.", "Dry in Kyiv.", "Warm later."))],
                     id="nested-and-continued-items"),
        pytest.param("# Notes\n\n" + "".join("  " * depth + f"- Item {depth}.\n"
                                               for depth in range(8)) + "\nAfter the list.",
                     "Notes", [(None, (*(f"Item {depth}." for depth in range(8)),
                                       "After the list."))],
                     id="a-list-nested-8-deep"),
        pytest.param("# Notes\n\n> The governor said\n> nobody was hurt.\n>\n> > Quoted again.",
                     "Notes", [(None, ("The governor said nobody was hurt.", "Quoted again."))],
                     id="quotes-are-paragraphs"),
        pytest.param("# Notes\n\n```\nfirst line\nsecond line\n\nafter a gap\n```",
                     "Notes", [(None, ("first line second line", "after a gap"))],
                     id="fenced-code-read-as-text"),
        pytest.param("# Notes\n\n    An indented paragraph.\n\n---\n\nAfter a rule.",
                     "Notes", [(None, ("An indented paragraph.", "After a rule."))],
                     id="indented-prose-and-rules"),
        pytest.param("# Notes\n\nRead more\n\nSubscribe now!\n\nThe body.", "Notes",
                     [(None, ("The body.",))], id="boilerplate-dropped"),
    ],
)
def test_markdown_structure_as_heard(markdown: str, title: str,
                                     sections: list[tuple[str | None, tuple[str, ...]]]) -> None:
    assert _heard(markdown) == (title, sections)


@pytest.mark.parametrize(
    ("markdown", "heard"),
    [
        pytest.param("Read the [governor's statement](https://x.example/s \"Title\").",
                     "Read the governor's statement.", id="link-text-only"),
        pytest.param("See [the report][r].\n\n[r]: https://x.example/report",
                     "See the report.", id="reference-link"),
        pytest.param("Mail <press@x.example> or see <https://x.example>.",
                     "Mail press@x.example or see https://x.example.", id="autolinks"),
        pytest.param("**Bold**, *italic*, _under_ and ***both***.",
                     "Bold, italic, under and both.", id="emphasis-stripped"),
        pytest.param("snake_case_name and 5 * 3 * 2 stay.", "snake_case_name and 5 * 3 * 2 stay.",
                     id="not-emphasis-kept"),
        pytest.param("Run `audiobrief synth` now.", "Run audiobrief synth now.",
                     id="code-span-as-words"),
        pytest.param("![A burnt-out *car*](car.jpg) stood there.",
                     "A burnt-out car stood there.", id="image-alt-text"),
        pytest.param(r"\*Not emphasis\* and AT&amp;T.", "*Not emphasis* and AT&T.",
                     id="escapes-and-entities"),
        pytest.param("<b>Bold</b> and <script>alert(1)</script> here.",
                     "<b>Bold</b> and <script>alert(1)</script> here.", id="raw-html-is-text"),
        pytest.param("<div>\nIn a div.\n</div>", "<div> In a div. </div>",
                     id="raw-html-block-is-text"),
        pytest.param("One line  \nand a hard break.", "One line and a hard break.",
                     id="line-breaks-are-spaces"),
    ],
)
def test_markdown_inline_as_heard(markdown: str, heard: str) -> None:
    assert _heard(f"# Notes\n\n{markdown}") == ("Notes", [(None, (heard,))])


def test_plain_text_reads_as_lines_and_blank_lines() -> None:
    text = ("Missiles hit Kharkiv\r\n\r\nThe governor said\n  nobody was hurt.  \n\u00a0\n"
            "\tA second paragraph,\nwrapped.\n\x0c\nRead more\n\nA third, after a page break.\n")
    assert _heard(text) == ("Missiles hit Kharkiv", [(None, (
        "The governor said nobody was hurt.", "A second paragraph, wrapped.",
        "A third, after a page break."))])


def test_plain_text_of_the_example_reads_as_the_page() -> None:
    page = extract(load(EXAMPLE_HTML))
    assert _heard(f"{page.title}\n\n{page.text}") == (page.title, [
        (None, page.sections[0].paragraphs)])


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "junk",
    [
        pytest.param("*" * 200_000, id="stars"),
        pytest.param("*a" * 100_000, id="emphasis-openers"),
        pytest.param("[" * 200_000, id="brackets"),
        pytest.param("![" * 100_000, id="image-openers"),
        pytest.param("`a" * 100_000, id="backticks"),
        pytest.param(">" * 200_000 + " deep", id="nested-quotes"),
    ],
)
def test_pathological_markdown_is_read_in_linear_time(junk: str) -> None:
    """Openers that never close cost time in proportion to their number, not to its square."""
    title, sections = _heard(f"# Notes\n\n{junk}\n\nThe governor said nobody was hurt.")
    assert title == "Notes"
    assert sections[-1][1][-1] == "The governor said nobody was hurt."


@pytest.mark.parametrize(
    ("text", "title"),
    [
        pytest.param("x", "", id="one-word"),
        pytest.param("Kharkiv was quiet on Friday.", "", id="one-sentence"),
        pytest.param("The governor said on Friday that the missiles had struck a warehouse.\n\n"
                     "Nobody was hurt.", "", id="opens-with-a-paragraph"),
        pytest.param("Is Kharkiv quiet?\n\nYes, it is.", "", id="opens-with-a-question"),
        pytest.param("Morning notes\n\nKharkiv was quiet.", "Morning notes",
                     id="a-short-line-before-text-is-a-title"),
    ],
)
def test_a_text_that_opens_with_a_paragraph_has_no_title(text: str, title: str) -> None:
    """No first words stand in for the title: the headline would read them twice."""
    heard_title, sections = _heard(text)
    assert heard_title == title
    assert sections[0][1][0] == text.split("\n\n")[-1 if title else 0]


def test_plain_text_title_override() -> None:
    page = from_content("Just one line of notes.", "text", "stdin")
    article = extract(page, title="Morning notes")
    assert article.title == "Morning notes"
    assert article.text == "Just one line of notes."


def test_empty_text_is_no_article() -> None:
    page = from_content("# Only a title\n", "text", "stdin")
    with pytest.raises(NoArticleError, match="no article text found in stdin"):
        extract(page)


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        pytest.param("Short line\n\nRead more\n\n# Not a title\n\n- not a *list*",
                     ("Short line", "Read more", "# Not a title", "- not a *list*"),
                     id="every-line-kept-as-written"),
        pytest.param("  The governor said\n\tnobody  was\u00a0hurt.\r\n \r\nAfter.\n\n\n",
                     ("The governor said nobody was hurt.", "After."),
                     id="lines-joined-white-space-collapsed"),
        pytest.param(" \n\n \t\u00a0\n", (), id="only-white-space"),
    ],
)
def test_verbatim_says_the_text_as_it_is(text: str, paragraphs: tuple[str, ...]) -> None:
    article = verbatim(text)
    assert article.title == ""
    assert [(s.heading, s.paragraphs) for s in article.sections] == (
        [(None, paragraphs)] if paragraphs else [])


def test_a_heading_without_text_under_it_is_no_chapter() -> None:
    assert _heard("# Notes\n\n## Empty\n\n## Weather\n\nSunny.\n\n## Empty at the end") == (
        "Notes", [("Weather", ("Sunny.",))])


ARTICLE_BODY = ("<p>The regional governor said on Friday that the missiles had struck a warehouse "
                "on the edge of the city, and that nobody had been hurt in the attack.</p>" * 3)


@pytest.mark.parametrize(
    "canonical",
    [
        pytest.param("javascript:alert(document.domain)", id="javascript"),
        pytest.param("JavaScript:alert(1)", id="javascript-mixed-case"),
        pytest.param("data:text/html,<script>alert(1)</script>", id="data"),
        pytest.param("vbscript:msgbox(1)", id="vbscript"),
        pytest.param("https://site.example/a\"onmouseover=\"alert(1)", id="quote"),
    ],
)
def test_an_article_url_is_only_ever_http_or_https(canonical: str) -> None:
    html = (f'<html><head><title>Missiles hit Kharkiv</title>'
            f'<link rel="canonical" href="{canonical.replace(chr(34), "&quot;")}">'
            f'<meta property="og:url" content="{canonical.replace(chr(34), "&quot;")}">'
            f"</head><body><article><h1>Missiles hit Kharkiv</h1>{ARTICLE_BODY}</article>"
            "</body></html>")
    fetched = "https://news.example/kharkiv-missiles"
    assert extract(from_content(html, "html", "the page", fetched)).url == fetched
    assert extract(from_content(html, "html", "the posted html")).url is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:,hello", "ftp://files.example/a",
                                 "https://"])
def test_a_posted_page_keeps_no_url_that_is_not_http(url: str) -> None:
    text = from_content("Missiles hit Kharkiv\n\nThe governor said nobody was hurt.", "text",
                        "the posted text", url)
    assert extract(text).url is None
    html = from_content(f"<html><body><article>{ARTICLE_BODY}</article></body></html>", "html",
                        "the posted html", url)
    assert extract(html).url is None


@pytest.mark.parametrize(
    ("page", "detected"),
    [
        pytest.param(RUSSIAN_HTML, "ru", id="russian"),
        pytest.param(GERMAN_HTML, "de", id="german-page-saying-lang-en"),
        pytest.param(ENGLISH_WITH_RUSSIAN_QUOTE_HTML, "en", id="english-with-a-russian-quote"),
        pytest.param(FIXTURES / "sections-article.html", "en-GB", id="declared-en-gb-kept"),
    ],
)
def test_the_language_is_the_texts_not_only_the_pages(page: Path, detected: str) -> None:
    assert extract(load(page)).language == detected


@pytest.mark.parametrize(
    ("text", "detected"),
    [
        pytest.param("Утром в субботу коммунальные службы Харькова завершили ремонт контактной"
                     " сети, и трамваи снова вышли на маршруты после ночной работы бригад.",
                     "ru", id="russian"),
        pytest.param("Der Stadtrat hat am Mittwochabend beschlossen, das Radwegenetz in den"
                     " kommenden zwei Jahren deutlich auszubauen und zu sanieren.", "de",
                     id="german"),
        # Too short to tell: read in the voice's language, as before.
        pytest.param("Coffee at nine. Then the call with Lviv.", None, id="short-english"),
        pytest.param("Привет из Харькова.", None, id="short-russian"),
    ],
)
def test_a_texts_language_once_it_is_long_enough_to_tell(text: str, detected: str | None
                                                          ) -> None:
    assert extract(from_content(text, "text", "a text")).language == detected
    assert verbatim(text).language == detected


def test_the_language_is_told_from_a_bounded_sample() -> None:
    """An endless text: detection reads its first SAMPLE_CHARS characters and stops."""
    def endless() -> Iterator[str]:
        while True:
            yield "Die Bauarbeiten beginnen im Sommer und dauern bis zum Herbst."

    assert language.detect(endless()) == "de"
    assert len(language._sample(endless())) <= language.SAMPLE_CHARS
