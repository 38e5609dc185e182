"""Page → Article: the headline, metadata, body sections and language a listener should hear."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Literal

from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token

from audiobrief import language
from audiobrief.errors import NoArticleError
from audiobrief.load import page_image, web_url
from audiobrief.model import Article, Page, Section

logger = logging.getLogger(__name__)

# Lines a listener must not hear even when a page puts them inside the article body.
_BOILERPLATE = re.compile(
    r"^(skip to (main )?content|edit post|this audio is created with ai assistance"
    r"|enter your email.*|please,? enter (a )?(correct|valid) email.*|subscribe( now)?"
    r"|\* indicates required|successfully subscribed|successfuly subscribed"
    r"|sign up for .*newsletter.*|thank you for signing up.*|read more|more news|share( this)?"
    r"|(photo|image|illustration)( credit)?:.*|advertisement|listen to this article"
    r"|support (our|independent) journalism.*|become a member.*)$",
    re.IGNORECASE,
)
_CREDIT = re.compile(r"\((photo|image|source)?:?[^()]*(/|via )[^()]*(getty|afp|reuters|ap|"
                     r"epa|anadolu|images|photo|press service)[^()]*\)\s*$", re.IGNORECASE)
_HTML_LANG = re.compile(r"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)", re.I)
# No raw HTML, as a posted text is never markup, and no indented code, as plain text indents prose.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable("code")

_Block = Literal["heading", "paragraph"]


def extract(page: Page, title: str | None = None) -> Article:
    """The article in `page`; `title` overrides the one found. Raises NoArticleError if none."""
    if page.kind == "ssml":
        raise NoArticleError(f"{page.origin} is SSML, which is said as it is written, not"
                             " extracted; `audiobrief script` shows what is said")
    article = _from_html(page) if page.kind == "html" else _from_text(page)
    if page.kind == "html":
        article = dataclasses.replace(article, image=page_image(page))
    if title:
        article = dataclasses.replace(article, title=title)
    paragraphs = [p for section in article.sections for p in section.paragraphs]
    if not paragraphs or (page.kind == "html" and not any(map(_is_prose, paragraphs))):
        raise NoArticleError(f"no article text found in {page.origin}")
    return article


def verbatim(text: str) -> Article:
    """`text` as it is, for speech that must say every word once: paragraphs at blank lines, a
    paragraph's lines joined by spaces. No title is taken (it is empty), no line dropped and no
    Markdown read; only white space gives an Article without sections."""
    sections = _sections(("paragraph", p) for p in _paragraphs(text))
    return Article(title="", byline=None, date=None, site=None, url=None,
                   language=_language("", sections), sections=sections)


def _language(title: str, sections: tuple[Section, ...], declared: str | None = None
              ) -> str | None:
    """The language the title and body are written in, detected from their text (a page's
    `lang` is often a template's "en" whatever the article); the declared tag when it names the
    same language more exactly ("en-GB"); None when the text is too short to tell."""
    texts = (title, *(text for section in sections
                      for text in (section.heading or "", *section.paragraphs)))
    detected = language.detect(texts)
    if detected and declared and language.primary(declared) == detected:
        return declared
    return detected


def _sections(blocks: Iterable[tuple[_Block, str]]) -> tuple[Section, ...]:
    """Headings and paragraphs in reading order → sections: each heading opens one, paragraphs
    before the first heading make one without a heading, a heading with no paragraph is dropped."""
    sections: list[Section] = []
    heading: str | None = None
    paragraphs: list[str] = []
    for block, text in blocks:
        if block == "heading":
            if paragraphs:
                sections.append(Section(heading, tuple(paragraphs)))
            heading, paragraphs = text, []
        else:
            paragraphs.append(text)
    if paragraphs:
        sections.append(Section(heading, tuple(paragraphs)))
    return tuple(sections)


def _from_html(page: Page) -> Article:
    import trafilatura

    xml = trafilatura.extract(
        page.content,
        url=page.url,
        output_format="xml",
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        date_extraction_params={"extensive_search": False, "original_date": True,
                                "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
    )
    if not xml:
        raise NoArticleError(f"no article text found in {page.origin}")
    doc = etree.fromstring(xml.encode("utf-8"))
    title = _clean(doc.get("title") or "")
    main = doc.find("main")
    sections = _sections(_html_blocks(main, title) if main is not None else ())
    declared = doc.get("language") or _html_lang(page.content)
    return Article(
        title=title,
        byline=_clean(doc.get("author") or "") or None,
        date=_date(doc.get("date")),
        site=_clean(doc.get("sitename") or "") or None,
        url=web_url(doc.get("url")) or web_url(page.url),
        language=_language(title, sections, declared),
        sections=sections,
    )


def _html_blocks(main: etree._Element, title: str) -> Iterator[tuple[_Block, str]]:
    """The headings and paragraphs of trafilatura's `main`, without boilerplate, photo credits
    or a heading that repeats the title."""
    for element in main.iter("head", "p", "item", "quote"):
        if element.tag == "quote" and element.find("p") is not None:
            continue  # its paragraphs come on their own
        text = _clean("".join(element.itertext()))
        if not text or _is_boilerplate(text):
            continue
        if element.tag == "head":
            if not _same(text, title):
                yield "heading", text
        else:
            yield "paragraph", _drop_credit(text)


def _from_text(page: Page) -> Article:
    """Plain text or Markdown (CommonMark): a `# Title` before any paragraph is the title, other
    headings open sections; plain text's first line is the title when it reads like one. A text
    that begins with a paragraph has no title: it is empty, not that paragraph's first words,
    which the headline would read twice."""
    title: str | None = None
    blocks: list[tuple[_Block, str]] = []
    read_paragraph = False
    for level, text in _markdown_blocks(page.content):
        if level == 1 and title is None and not read_paragraph:
            title = text
        elif level:
            blocks.append(("heading", text))
        elif not _is_boilerplate(text):
            blocks.append(("paragraph", text))
            read_paragraph = True
    sections = list(_sections(blocks))
    if title is None and sections and len(sections[0].paragraphs) > 1:
        first = sections[0].paragraphs[0]
        if len(first) <= 120 and not first.endswith((".", "!", "?", ":")):
            title = first
            sections[0] = Section(sections[0].heading, sections[0].paragraphs[1:])
    return Article(title=title or "", byline=None, date=None, site=None, url=web_url(page.url),
                   language=_language(title or "", tuple(sections)), sections=tuple(sections))


def _markdown_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(heading level, words) of each heading and (0, words) of each paragraph, list item and
    code block of a Markdown text, in reading order; blocks without words are left out."""
    # A line of any white space (a no-break space, a form feed) ends a paragraph, as a reader sees
    # it; CommonMark counts only spaces and tabs as blank.
    lines = "\n".join(line if line.strip() else "" for line in text.splitlines())
    level = 0
    for token in _MARKDOWN.parse(lines):
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "heading_close":
            level = 0
        elif token.type == "inline" and (words := _clean(_words(token.children or []))):
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


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE.match(text.strip(" .!…")))


def _is_prose(text: str) -> bool:
    """A sentence or more of running text, not a row of menu items or form labels."""
    words = text.split()
    return len(words) >= 12 or (len(words) >= 4 and text.rstrip("”\"’' ").endswith((".", "!", "?")))


def _drop_credit(text: str) -> str:
    return _CREDIT.sub("", text).rstrip() or text


def _same(a: str, b: str) -> bool:
    return _clean(a).casefold().strip(" .") == _clean(b).casefold().strip(" .")


def _html_lang(html: str) -> str | None:
    match = _HTML_LANG.search(html[:5000])
    return match.group(1) if match else None


def _date(found: str | None) -> str | None:
    """htmldate's date and time as ISO 8601 ("2025-02-03T18:46:00+02:00"); a page that gives
    only the day comes back at a naive midnight, which is the day alone ("2025-02-03")."""
    if not found:
        return None
    try:
        when = datetime.strptime(found, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            when = datetime.strptime(found, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return found
    if when.tzinfo is None and not (when.hour or when.minute or when.second):
        return when.date().isoformat()
    return when.isoformat()
