"""Extraction: real pages through real trafilatura, checked against what a reader saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiobrief.errors import NoArticleError
from audiobrief.extract import extract
from audiobrief.load import from_content, load
from tests.conftest import EXAMPLE_HTML, EXAMPLE_SEED, FIXTURES


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
    assert article.date == "2024-01-05"
    assert article.site == "The Kyiv Independent"
    assert article.url == (
        "https://kyivindependent.com/governor-russia-attacked-kharkiv-oblast-with-foreign-made-missiles/"
    )
    assert article.language == "en"


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


def test_plain_text_title_override() -> None:
    page = from_content("Just one line of notes.", "text", "stdin")
    article = extract(page, title="Morning notes")
    assert article.title == "Morning notes"
    assert article.text == "Just one line of notes."


def test_empty_text_is_no_article() -> None:
    page = from_content("# Only a title\n", "text", "stdin")
    with pytest.raises(NoArticleError, match="no article text found in stdin"):
        extract(page)


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
