"""Page → Article: the headline, metadata, body sections and language a listener should hear."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

from audiobrief.errors import NoArticleError
from audiobrief.extract import lines
from audiobrief.extract.blocks import Block, clean, is_prose, language_of, sections
from audiobrief.extract.html import from_html
from audiobrief.load import page_image, web_url
from audiobrief.model import Article, Page, Section

logger = logging.getLogger(__name__)

# No raw HTML, as a posted text is never markup, and no indented code, as plain text indents prose.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable("code")


def extract(page: Page, title: str | None = None) -> Article:
    """The article in `page`; `title` overrides the one found. Raises NoArticleError if none."""
    if page.kind == "ssml":
        raise NoArticleError(f"{page.origin} is SSML, which is said as it is written, not"
                             " extracted; `audiobrief script` shows what is said")
    article = from_html(page) if page.kind == "html" else _from_text(page)
    if page.kind == "html":
        article = dataclasses.replace(article, image=page_image(page))
    if title:
        article = dataclasses.replace(article, title=title)
    paragraphs = [p for section in article.sections for p in section.paragraphs]
    if not paragraphs or (page.kind == "html" and not any(map(is_prose, paragraphs))):
        raise NoArticleError(f"no article text found in {page.origin}")
    return article


def verbatim(text: str) -> Article:
    """`text` as it is, for speech that must say every word once: paragraphs at blank lines, a
    paragraph's lines joined by spaces. No title is taken (it is empty), no line dropped and no
    Markdown read; only white space gives an Article without sections."""
    body = sections(("paragraph", p) for p in _paragraphs(text))
    return Article(title="", byline=None, date=None, site=None, url=None,
                   language=language_of("", body), sections=body)


def _from_text(page: Page) -> Article:
    """Plain text or Markdown (CommonMark): a `# Title` before any paragraph is the title, other
    headings open sections; plain text's first line is the title when it reads like one. A text
    that begins with a paragraph has no title: it is empty, not that paragraph's first words,
    which the headline would read twice."""
    title: str | None = None
    blocks: list[tuple[Block, str]] = []
    read_paragraph = False
    for level, text in _markdown_blocks(page.content):
        if level == 1 and title is None and not read_paragraph:
            title = text
        elif level:
            blocks.append(("heading", text))
        elif not _is_boilerplate(text):
            blocks.append(("paragraph", text))
            read_paragraph = True
    body = list(sections(blocks))
    if title is None and body and len(body[0].paragraphs) > 1:
        first = body[0].paragraphs[0]
        if len(first) <= 120 and not first.endswith((".", "!", "?", ":")):
            title = first
            body[0] = Section(body[0].heading, body[0].paragraphs[1:])
    return Article(title=title or "", byline=None, date=None, site=None, url=web_url(page.url),
                   language=language_of(title or "", tuple(body)), sections=tuple(body))


def _markdown_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(heading level, words) of each heading and (0, words) of each paragraph, list item and
    code block of a Markdown text, in reading order; blocks without words are left out."""
    # A line of any white space (a no-break space, a form feed) ends a paragraph, as a reader sees
    # it; CommonMark counts only spaces and tabs as blank.
    joined = "\n".join(line if line.strip() else "" for line in text.splitlines())
    level = 0
    for token in _MARKDOWN.parse(joined):
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "heading_close":
            level = 0
        elif token.type == "inline" and (words := clean(_words(token.children or []))):
            yield level, words
        elif token.type == "fence":
            yield from ((0, paragraph) for paragraph in _paragraphs(token.content))


def _words(tokens: list[Token]) -> str:
    """What a listener hears of inline Markdown: the text of emphasis, links and code spans, an
    image's alt text; a line break is a space."""
    spoken: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            spoken.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            spoken.append(" ")
        elif token.type == "image":
            spoken.append(_words(token.children or []))
    return "".join(spoken)


def _paragraphs(text: str) -> Iterator[str]:
    """The runs of lines between blank lines, each joined by spaces, white space collapsed."""
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            block.append(line.strip())
        elif block:
            yield " ".join(" ".join(block).split())
            block.clear()


def _is_boilerplate(text: str) -> bool:
    return lines.is_boilerplate(text)
