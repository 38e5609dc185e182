"""An HTML page → Article: trafilatura finds the body, audiobrief reads its blocks in order and
leaves out what a listener must not hear."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from html import unescape
from typing import TYPE_CHECKING, Literal

from lxml import etree

from audiobrief.errors import NoArticleError
from audiobrief.extract import lines, meta, structured
from audiobrief.extract.blocks import clean, is_prose, language_of, same, sections
from audiobrief.load import web_url
from audiobrief.model import Article, Page, Section

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_Kind = Literal["heading", "paragraph", "item"]
"""An item is a paragraph from a list or a table row: it need not be a sentence."""

ENOUGH_WORDS = 80
"""A body with fewer words of prose is taken as a miss of the first, strict pass (a short post,
text in unusual containers) and the page is read again, favouring recall."""

# "Candice Sealey is the Founder & Principal Consultant at …": a name, then who they are.
_BIO = re.compile(r"^([A-Z][\w’'.-]+ ){1,3}(is|was) (a|an|the) ([\w&,’'-]+ ){0,6}(?i:founder|writer"
                  r"|journalist|reporter|editor|author|correspondent|columnist|contributor"
                  r"|consultant|freelancer?|professor|lecturer|researcher|fellow|blogger)s?\b")
# A review's or explainer's summary box: "Our Verdict", "The bottom line", "TL;DR".
_VERDICT = re.compile(r"^(our |the )?(verdict|bottom line|tl;? ?dr|in short|in brief"
                      r"|key takeaways?)\s*:?$", re.IGNORECASE)
# "WELCOME OFFER: 80,000 Points", "A SIMPLE GUIDE: How do I protect myself?": a box's line.
_LABELLED = re.compile(r"^[A-Z][A-Z0-9'’&./ -]{1,40}\*?:\s+\S")
_TITLE = re.compile(r"<title[^>]*>([^<]{1,500})</title>", re.IGNORECASE)
_HTML_LANG = re.compile(r"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)", re.I)
# Blocks of trafilatura's XML; anything else inside one (hi, ref, lb, del) is a run of its text.
_BLOCKS = frozenset({"head", "p", "list", "item", "table", "row", "cell", "quote", "code", "div"})
# Blocks that hold only text: a <code> inside a paragraph is a word of it.
_LEAVES = frozenset({"head", "p", "code"})
# Class names that CMSs give a subheading they render as a <div> or <span>.
_SUBHEAD_CLASS = re.compile(r"(^|[\s_-])(sub-?head(line|ing|er)?|article-?subhead\w*"
                            r"|section-?(title|heading))($|[\s_-])", re.IGNORECASE)


def from_html(page: Page) -> Article:
    """The article of an HTML page: a strict pass, one favouring recall when the strict pass
    finds little, then the page's JSON-LD; raises NoArticleError when none finds prose."""
    from trafilatura.utils import load_html

    tree = _without_dialogs(load_html(page.content))
    if tree is None:
        raise NoArticleError(f"no article text found in {page.origin}")
    # Read before trafilatura, which changes the tree it is given.
    seen = (_headline(tree), _shown_text(tree), _subheads(tree), _verdicts(tree))
    data = structured.data_blocks(tree)
    boxes = _box_sets(tree)
    stories = _stories(boxes)
    teasers = _teasers(boxes)
    items = [[_story_blocks(member) for member in members]
             for members in boxes if len(members) >= 4]
    shown_lists = _page_lists(tree)
    article = _read(tree, page, seen, favor_recall=False)
    if article is None or _prose_words(article) < ENOUGH_WORDS:
        wider = _read(_without_dialogs(load_html(page.content)), page, seen, favor_recall=True)
        if wider is not None and (article is None or _words_read(wider) > _words_read(article)):
            article = wider
    if article is None or _prose_words(article) < ENOUGH_WORDS:
        article = _stated(data, page, article) or article
    if article is None:
        raise NoArticleError(f"no article text found in {page.origin}")
    article = _with_stories(_without_teasers_read(article, teasers), stories)
    article = _with_skipped_items(article, items)
    return _with_recipe(article, structured.stated_recipe(data), seen[1], shown_lists)


STORY_WORDS = 120
"""A box holding fewer words of prose than this is a teaser or a card, not a story."""
MAX_STORIES = 20
"""More boxes of one class than this are a list of teasers or comments, not a digest."""
MAX_TEASERS = 60
"""More teaser boxes than this are an archive page's list, left to trafilatura."""
MAX_ITEMS = 200
"""A gallery or list of more boxes than this is not read box by box."""


def _stories(boxes: list[list[HtmlElement]]) -> list[list[list[tuple[_Kind, str]]]]:
    """The blocks of each story of every set of two or more boxes of one tag and class, in
    parents of one tag and class, that each hold a story (a newsletter's items, a digest's
    posts), in reading order."""
    found = []
    for members in boxes:
        if len(members) > MAX_STORIES:
            continue
        stories = [_story_blocks(member) for member in members]
        if sum(_prose_count(story) >= STORY_WORDS for story in stories) >= 2:
            found.append(stories)
    return found


def _box_sets(tree: HtmlElement, most: int = MAX_ITEMS) -> list[list[HtmlElement]]:
    """Each set of two to `most` boxes built alike: of one tag and class, in parents of one tag
    and class, none inside another."""
    groups: dict[tuple[str, ...], list[HtmlElement]] = {}
    for element in tree.xpath("//body//*[@class]"):
        if isinstance(element.tag, str) and element.tag not in ("p", "li", "a", "span"):
            # Stories of one digest sit in boxes built alike down from the page, not only
            # boxes of one class (the body's and a footer's).
            path = (element, *list(element.iterancestors())[:4])
            groups.setdefault(tuple(f"{e.tag}.{e.get('class', '')}" for e in path), []
                              ).append(element)
    return [members for members in groups.values()
            if 2 <= len(members) <= most and not _nested(members)]


def _nested(members: list[HtmlElement]) -> bool:
    """One box inside another: the set is a wrapper of the page, not boxes side by side."""
    own = set(members)
    return any(ancestor in own for member in members for ancestor in member.iterancestors())


def _teasers(boxes: list[list[HtmlElement]]) -> set[str]:
    """The letters of each line of the teasers for other articles the page sets in three or
    more boxes built alike, each a linked headline and a short excerpt."""
    found: set[str] = set()
    for members in boxes:
        if len(members) > MAX_TEASERS:
            continue
        stories = [(member, _story_blocks(member)) for member in members]
        if len(members) >= 3 and all(
                member.xpath(".//h2//a|.//h3//a|.//h4//a|.//a//h2|.//a//h3|.//a//h4")
                and _prose_count(story) < STORY_WORDS for member, story in stories):
            found.update(_letters(text) for _, story in stories for _, text in story)
    return found


def _without_teasers_read(article: Article, teasers: set[str]) -> Article:
    """`article` without the teasers for other articles trafilatura read as its body, after its
    first paragraph; unchanged if they are all of its prose."""
    first = True
    body = []
    for section in article.sections:
        kept = tuple(p for p in section.paragraphs
                     if (first and not (first := False)) or _letters(p) not in teasers)
        if kept:
            body.append(dataclasses.replace(section, paragraphs=kept))
    if tuple(body) == article.sections or not any(
            is_prose(p) for s in body for p in s.paragraphs):
        return article
    return dataclasses.replace(article, sections=tuple(body))


def _with_skipped_items(article: Article, sets: list[list[list[tuple[_Kind, str]]]]
                        ) -> Article:
    """`article` with the boxes trafilatura skipped of a set of boxes built alike that it read
    most of (a gallery's slides, a list's entries, one left out for the link in its caption),
    each of its sentences read once where it stands, after the box before it (a teaser's
    headline is no sentence)."""
    paragraphs = [(i, p) for i, s in enumerate(article.sections) for p in s.paragraphs]
    at = {_letters(p): n for n, (_, p) in enumerate(paragraphs)}
    after: dict[int, list[str]] = {}
    for boxes in sets:
        texts = [[t for k, t in box if k != "heading"] for box in boxes]
        read = [bool(ts) and sum(_letters(t) in at for t in ts) >= 0.5 * len(ts) for ts in texts]
        if sum(read) < 0.5 * len(boxes):
            continue
        last: int | None = None
        for ts, was_read in zip(texts, read, strict=True):
            present = [at[_letters(t)] for t in ts if _letters(t) in at]
            if was_read:
                last = max(present)
            elif last is not None and not present:
                for _, text in _cleaned([("paragraph", t) for t in ts], article.title, None):
                    if _letters(text) not in at and _is_sentence(text):
                        at[_letters(text)] = last
                        after.setdefault(last, []).append(text)
    if not after:
        return article
    sections = []
    for i, section in enumerate(article.sections):
        kept = [t for n, (j, p) in enumerate(paragraphs) if j == i
                for t in (p, *after.get(n, []))]
        sections.append(dataclasses.replace(section, paragraphs=tuple(kept)))
    return dataclasses.replace(article, sections=tuple(sections))


def _is_sentence(text: str) -> bool:
    return len(text.split()) >= 5 and text.rstrip("”\"’' ").endswith((".", "!", "?"))


def _story_blocks(element: HtmlElement) -> list[tuple[_Kind, str]]:
    blocks: list[tuple[_Kind, str]] = []
    for child in element.iter("h2", "h3", "h4", "p", "li"):
        if child.tag == "p" and any(a.tag in ("p", "li") for a in child.iterancestors()):
            continue
        if child.tag == "li" and child.find(".//p") is not None:
            continue
        if text := clean(child.text_content()):
            blocks.append(("heading" if child.tag[0] == "h" else "paragraph", text))
    return blocks


def _prose_count(blocks: list[tuple[_Kind, str]]) -> int:
    return sum(len(text.split()) for kind, text in blocks if kind != "heading" and is_prose(text))


def _with_stories(article: Article, groups: list[list[list[tuple[_Kind, str]]]]) -> Article:
    """`article` with the other stories of the set its body is one of: where most of one story
    box is the body read and the others are not in it, those of a story's length (at most
    twice the body's) and of running text (not a menu) follow it, each a chapter."""
    read = {_letters(p) for s in article.sections for p in s.paragraphs}
    for stories in groups:
        shares = [sum(_letters(t) in read for k, t in story if k != "heading")
                  / max(1, sum(k != "heading" for k, _ in story)) for story in stories]
        if max(shares) < 0.6 or sorted(shares)[-2] > 0.2:
            continue
        # A box far longer than the body's is the page's other column, not a story beside it.
        most = 2 * _prose_count(stories[shares.index(max(shares))])
        added = [text for story, share in zip(stories, shares, strict=True)
                 if share <= 0.2 and STORY_WORDS <= _prose_count(story) <= most
                 and _prose_count(story) >= 0.8 * sum(len(t.split()) for _, t in story)
                 for text in [_without_teasers(_cleaned(story, article.title, None))] if text]
        if added:
            body = (*article.sections, *(section for blocks in added for section in sections(
                ("paragraph" if kind == "item" else kind, text) for kind, text in blocks)))
            return dataclasses.replace(article, sections=body)
    return article


def _without_teasers(blocks: list[tuple[_Kind, str]]) -> list[tuple[_Kind, str]]:
    """`blocks` without the list of other headlines a story box ends with: a run of two or more
    lines of at most a dozen words."""
    end = len(blocks)
    while end and len(blocks[end - 1][1].split()) <= 12:
        end -= 1
    return blocks[:end] if len(blocks) - end >= 2 else blocks


def _page_lists(tree: HtmlElement) -> list[tuple[str, ...]]:
    """The items of each list on the page, as the reader sees them."""
    return [items for element in tree.iter("ul", "ol")
            if (items := tuple(text for li in element.iterchildren("li")
                               if (text := clean(li.text_content()))))]


def _as_shown(stated: tuple[str, ...], shown_lists: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The list of the page that shows `stated` (a card's ingredients, often worded more fully
    than its data: "1 large or 1200 g whole chicken" for "1 large Whole chicken"), else `stated`:
    one with most of the stated items, each sharing most of its words with one of its own."""
    def covers(items: tuple[str, ...]) -> int:
        words = [set(_words(item)) for item in items]
        return sum(any(len(set(_words(line)) & own) >= 0.6 * len(set(_words(line)))
                       for own in words) for line in stated if _words(line))
    fits = [(covers(items), items) for items in shown_lists
            if len(stated) <= 2 * len(items) and len(items) <= 2 * len(stated)]
    best = max(fits, default=(0, stated), key=lambda fit: fit[0])
    return best[1] if best[0] >= 0.7 * len(stated) else stated


def _with_recipe(article: Article, recipe: structured.Recipe | None, shown: str,
                 shown_lists: list[tuple[str, ...]]) -> Article:
    """`article` with the summary, ingredients and steps of the recipe card its page states,
    as the page shows them, those the body does not read already, each list a chapter after
    the body; the summary only where the page shows it."""
    if recipe is None:
        return article
    read = _letters(" ".join(p for s in article.sections for p in (s.heading or "", *s.paragraphs)))
    english = (article.language or "").startswith("en")
    summary = clean(unescape(recipe.summary))
    added = []
    for heading, found in ((None, (summary,) if summary in shown else ()),
                           ("Ingredients", _as_shown(recipe.ingredients, shown_lists)),
                           ("Method", _as_shown(recipe.steps, shown_lists))):
        lines_ = tuple(text for text in (clean(unescape(line)) for line in found)
                       if text and not lines.is_boilerplate(text) and _letters(text) not in read)
        if lines_:
            added.append(Section(heading if english else None, lines_))
    return dataclasses.replace(article, sections=(*article.sections, *added))


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _without_dialogs(tree: HtmlElement | None) -> HtmlElement | None:
    """`tree` without its dialogs (a popup's text, hidden until a click, that trafilatura can
    take for the end of the body): a dialog is never the article."""
    if tree is not None:
        for dialog in tree.xpath('//*[@role="dialog" or @role="alertdialog" or @aria-modal="true"]'
                                 '|//dialog'):
            if dialog.getparent() is not None:
                dialog.drop_tree()
    return tree


def _stated(data: list[str], page: Page, found: Article | None) -> Article | None:
    """The article the page's JSON-LD states, where it reads more than twice the words of the
    one found in the page's text (a body the browser builds from script)."""
    stated = structured.stated_article(data)
    if stated is None:
        return None
    blocks = _cleaned([("paragraph", p) for p in stated.paragraphs], stated.headline, None)
    body = sections(("paragraph" if kind == "item" else kind, text) for kind, text in blocks)
    words = sum(len(p.split()) for s in body for p in s.paragraphs)
    if not body or words <= 2 * (_words_read(found) if found else 0):
        return None
    # A JSON-LD headline is often cut to a length with an ellipsis; the found title is whole.
    cut = not stated.headline or stated.headline.endswith(("...", "…"))
    title = (found.title if found else "") if cut else stated.headline
    return Article(
        title=title,
        byline=meta.byline(stated.author) or (found.byline if found else None),
        date=stated.date or (found.date if found else None),
        site=found.site if found else None,
        url=found.url if found else web_url(page.url),
        language=language_of(title, body, found.language if found else _html_lang(page.content)),
        sections=body,
    )


def _read(tree: HtmlElement, page: Page,
          seen: tuple[str | None, str, list[tuple[str, str]], list[str]],
          *, favor_recall: bool) -> Article | None:
    """The article trafilatura finds in `tree`; `seen` is what was read of the page before
    trafilatura changed it: the headline, the shown text, the subheadings, the verdicts."""
    import trafilatura

    xml = trafilatura.extract(
        tree, url=page.url, favor_recall=favor_recall, output_format="xml", with_metadata=True,
        include_comments=False, include_tables=True, include_images=False, include_links=False,
        include_formatting=False,
        date_extraction_params={"extensive_search": False, "original_date": True,
                                "outputformat": "%Y-%m-%dT%H:%M:%S%z"})
    if not xml:
        return None
    doc = etree.fromstring(xml.encode("utf-8"))
    main = doc.find("main")
    site = meta.site(doc.get("sitename"))
    found_title = clean(doc.get("title") or "")
    headline, shown, subheads, verdicts = seen
    blocks = _with_subheads(list(_blocks(main)) if main is not None else [], subheads)
    if blocks and blocks[0][0] == "heading" and _same_headline(blocks[0][1], found_title,
                                                                headline):
        # The page's headline opens the body: it is the title, read once, as the reader saw it.
        headline = found_title = blocks.pop(0)[1]
    byline = meta.byline(doc.get("author"), site, doc.get("hostname"))
    blocks = _without_bio(_cleaned(blocks, found_title, headline), byline)
    if standfirst := _standfirst(doc.get("description"), blocks, shown):
        blocks.insert(0, ("paragraph", standfirst))
    read = {_letters(text) for _, text in blocks}
    blocks[:0] = [("paragraph", text) for text in verdicts if _letters(text) not in read]
    title = meta.title(found_title, site, doc.get("hostname"), headline, _page_title(page.content))
    body = sections(("paragraph" if kind == "item" else kind, text) for kind, text in blocks)
    if not body:
        return None
    declared = doc.get("language") or _html_lang(page.content)
    return Article(
        title=title,
        byline=byline,
        date=meta.date(doc.get("date")),
        site=site,
        url=web_url(doc.get("url")) or web_url(page.url),
        language=language_of(title, body, declared),
        sections=body,
    )


def _blocks(element: etree._Element) -> Iterator[tuple[_Kind, str]]:
    """The headings and paragraphs under `element` in reading order."""
    for child in element:
        yield from _block(child)


def _block(element: etree._Element) -> Iterator[tuple[_Kind, str]]:
    """A heading, paragraph, list item or code block each once, a data table row by row, the
    blocks of a container and the text between them."""
    if not isinstance(element.tag, str) or element.tag not in _BLOCKS:
        return
    if element.tag == "head":
        if text := clean("".join(element.itertext())):
            # A standfirst set in a heading's type is a sentence, read as a paragraph.
            yield ("paragraph" if len(text.split()) >= 6 and text.endswith(".") else "heading"
                   ), text
    elif element.tag == "table" and _is_data_table(element):
        yield from _rows(element)
    elif element.tag not in _LEAVES and any(
            isinstance(child.tag, str) and child.tag in _BLOCKS for child in element):
        yield from _mixed(element)
    elif text := clean("".join(element.itertext())):
        yield "item" if element.tag in ("item", "cell") else "paragraph", text


def _mixed(element: etree._Element) -> Iterator[tuple[_Kind, str]]:
    """An element holding both blocks and runs of text (a list item with a nested list)."""
    kind: _Kind = "item" if element.tag in ("item", "cell") else "paragraph"
    run: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag in _BLOCKS:
            if text := clean("".join(run)):
                yield kind, text
            yield from _block(child)
            run = [child.tail or ""]
        else:
            run += [*(child.itertext() if isinstance(child.tag, str) else ()), child.tail or ""]
    if text := clean("".join(run)):
        yield kind, text


def _is_data_table(table: etree._Element) -> bool:
    """More than one cell in some row: a table of data, not a layout box around text."""
    return any(len(row.findall("cell")) > 1 for row in table.iter("row"))


def _rows(table: etree._Element) -> Iterator[tuple[_Kind, str]]:
    """A data table as a listener can follow it: each row one paragraph, its cells in order,
    separated by commas; a row without text is left out."""
    for row in table.iter("row"):
        cells = [clean("".join(cell.itertext())) for cell in row.findall("cell")]
        if text := " ".join(cell if cell.endswith((".", ",", ";", ":", "!", "?")) else f"{cell},"
                            for cell in cells if cell).removesuffix(","):
            yield "item", text


def _cleaned(blocks: list[tuple[_Kind, str]], title: str, headline: str | None
             ) -> list[tuple[_Kind, str]]:
    """The blocks a listener hears: no boilerplate line, no heading that repeats the title, no
    paragraph that repeats the heading just read or the paragraph before it, no contact lines
    at the end."""
    kept: list[tuple[_Kind, str]] = []
    for block, text in blocks:
        if lines.is_boilerplate(text):
            continue
        if block == "heading":
            if any(same(text, t) for t in (title, headline or "")) or _title_part(text, title):
                continue
        else:
            text = lines.without_credits(text)
            if not text or kept and same(kept[-1][1], text):
                continue
        kept.append((block, text))
    kept = [block for i, block in enumerate(kept)
            if i + 1 == len(kept) or not _restated(block, kept[i + 1])]
    kept = _without_boxes(kept)
    while kept and (kept[-1][0] == "heading" or lines.is_footer(kept[-1][1])
                    or kept[-1][0] == "paragraph" and lines.is_teaser(kept[-1][1])
                    and _has_prose(kept[:-1])):
        kept.pop()
    return kept


def _without_boxes(blocks: list[tuple[_Kind, str]]) -> list[tuple[_Kind, str]]:
    """`blocks` without the boxes set inside the body: runs of two or more short lines each
    opening with a capitalised label and ending without a full stop (a box of links to guides,
    a card offer's terms), with the box's short title before them and its starred fine print
    after."""
    def labelled(block: tuple[_Kind, str]) -> bool:
        # A transcript's "SPEAKER: line." ends as a sentence; a box's lines do not.
        return (block[0] != "heading" and len(block[1].split()) <= 25
                and not block[1].endswith(".") and bool(_LABELLED.match(block[1])))

    drop: set[int] = set()
    i = 0
    while i < len(blocks):
        end = i
        while end < len(blocks) and labelled(blocks[end]):
            end += 1
        if end - i >= 2:
            drop.update(range(i, end))
            if i and len(blocks[i - 1][1].split()) <= 6 and not blocks[i - 1][1].endswith("."):
                drop.add(i - 1)
            if end < len(blocks) and blocks[end][1].startswith("*"):
                drop.add(end)
        i = max(end, i + 1)
    return [block for i, block in enumerate(blocks) if i not in drop]


def _same_headline(heading: str, title: str, headline: str | None) -> bool:
    """The page's H1, or a heading with most of the title's words (the meta title is often the
    headline reworded for search: "Coronavirus: New York ramps up mass burials amid outbreak"
    against "New York ramps up mass burials amid virus outbreak")."""
    if headline and same(heading, headline):
        return True
    words, title_words = set(_words(heading)), set(_words(title))
    return len(words) >= 3 and len(words & title_words) >= 0.7 * max(len(words), len(title_words))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _without_bio(blocks: list[tuple[_Kind, str]], byline: str | None
                 ) -> list[tuple[_Kind, str]]:
    """`blocks` without the author's biography at their end: a paragraph that opens with an
    author's name and says who they are ("Candice Sealey is the Founder of …")."""
    names = [name for name in (byline or "").split("; ") if len(name.split()) >= 2]
    while len(blocks) > 1 and blocks[-1][0] == "paragraph" and (any(
            re.match(rf"{re.escape(name)},? (is|was|has|writes|covers|reports)\b", blocks[-1][1],
                     re.IGNORECASE) for name in names) or _BIO.match(blocks[-1][1])):
        blocks = blocks[:-1]
    return blocks


def _restated(block: tuple[_Kind, str], after: tuple[_Kind, str]) -> bool:
    """A paragraph the next one says again at more length: a photo caption above the lede, a
    summary above the text it summarises."""
    if block[0] != "paragraph" or after[0] != "paragraph" or len(after[1]) < 1.5 * len(block[1]):
        return False
    words, following = set(_words(block[1])), set(_words(after[1]))
    return len(words) >= 6 and len(words & following) >= 0.85 * len(words)


def _has_prose(blocks: list[tuple[_Kind, str]]) -> bool:
    return any(kind == "paragraph" and is_prose(text) for kind, text in blocks)


def _title_part(heading: str, title: str) -> bool:
    """The title's headline with the site's name after it, or the reverse: the same headline."""
    return (len(heading.split()) >= 3 and len(heading) >= 0.6 * len(title)
            and same(heading, title[: len(heading)]))


def _standfirst(description: str | None, blocks: list[tuple[_Kind, str]], shown: str
                ) -> str | None:
    """The page's description where the page shows it as a standfirst above the body and the
    body does not begin with it: a sentence or more, found in the page's text."""
    text = clean(description or "")
    if len(text.split()) < 10 or not text.endswith((".", "!", "?", "”", '"')):
        return None
    if text not in shown or lines.is_boilerplate(text):
        return None
    opening = set(_words(" ".join(t for _, t in blocks[:3])))
    words = _words(text)
    return None if sum(w in opening for w in words) >= 0.6 * len(words) else text


def _shown_text(tree: HtmlElement) -> str:
    """The text a reader's browser shows, white space collapsed: no script, style or head."""
    return clean(" ".join(tree.xpath("//body//text()[not(ancestor::script)"
                                     " and not(ancestor::style) and not(ancestor::noscript)"
                                     " and not(ancestor::template)]")))


def _headline(tree: HtmlElement) -> str | None:
    """The text of the page's one <h1>, if it has exactly one."""
    found = tree.xpath("//h1")
    if len(found) != 1:
        return None
    text = clean(found[0].text_content())
    return text if 1 <= len(text.split()) <= 40 else None


def _subheads(tree: HtmlElement) -> list[tuple[str, str]]:
    """(subheading, opening of the text after it) for each subheading marked up as a styled
    <div> or <p> (trafilatura drops them as page furniture): a short line without a sentence's
    end, of a class named so, followed by running text."""
    found = []
    for element in tree.xpath("//div[@class]|//p[@class]"):
        if not _SUBHEAD_CLASS.search(element.get("class", "")) or len(element) > 2:
            continue
        text = clean(element.text_content())
        if not 1 <= len(text.split()) <= 20 or text.endswith((".", ",", ";")):
            continue
        following = element.getnext()
        after = clean(following.text_content()) if following is not None else ""
        if is_prose(after):
            found.append((text, after[:60]))
    return found


def _verdicts(tree: HtmlElement) -> list[str]:
    """The sentences of the summary boxes a review or explainer sets above its body under a
    heading of their own ("Our Verdict"), which trafilatura leaves out as a box beside it."""
    found = []
    for heading in tree.xpath("//h2|//h3|//h4|//h5|//h6"):
        if not _VERDICT.match(clean(heading.text_content())):
            continue
        following = heading.getnext()
        text = clean(following.text_content()) if following is not None else ""
        if following is not None and following.tag == "p" and is_prose(text):
            found.append(text)
    return found


def _with_subheads(blocks: list[tuple[_Kind, str]], subheads: list[tuple[str, str]]
                   ) -> list[tuple[_Kind, str]]:
    """`blocks` with each subheading before the paragraph it stood before on the page; one
    whose text is not in the body (an advertisement's) is left out."""
    for heading, after in subheads:
        if any(kind == "heading" and same(text, heading) for kind, text in blocks):
            continue
        at = next((i for i, (kind, text) in enumerate(blocks)
                   if kind != "heading" and text.startswith(after)), None)
        if at is not None:
            blocks.insert(at, ("heading", heading))
    return blocks


def _words_read(article: Article) -> int:
    return sum(len(p.split()) for s in article.sections for p in s.paragraphs)


def _prose_words(article: Article) -> int:
    return sum(len(p.split()) for s in article.sections for p in s.paragraphs if is_prose(p))


def _page_title(html: str) -> str | None:
    match = _TITLE.search(html[:50_000])
    return unescape(match.group(1)) if match else None


def _html_lang(html: str) -> str | None:
    match = _HTML_LANG.search(html[:5000])
    return match.group(1) if match else None
