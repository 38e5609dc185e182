"""The article a page states in schema.org JSON-LD, for pages whose body the browser builds from
script: the DOM holds no text to extract, the structured data holds all of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audiobrief.extract.blocks import clean

if TYPE_CHECKING:
    from lxml.html import HtmlElement

MAX_SCRIPT_CHARS = 2_000_000
"""A JSON-LD block longer than this is not parsed: an article's body is far shorter."""

_ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
                            "BlogPosting", "OpinionNewsArticle", "Report", "TechArticle",
                            "ScholarlyArticle", "BackgroundNewsArticle", "ReviewNewsArticle"})


_RECIPE_TYPES = frozenset({"Recipe"})


@dataclass(frozen=True, slots=True)
class Recipe:
    """A recipe card: its summary, its ingredients and its steps, each a line a cook follows."""

    summary: str
    ingredients: tuple[str, ...]
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Stated:
    headline: str
    author: str | None
    date: str | None
    paragraphs: tuple[str, ...]


def data_blocks(tree: HtmlElement) -> list[str]:
    """The text of the page's JSON-LD blocks, each at most MAX_SCRIPT_CHARS long."""
    return [text for script in tree.xpath('//script[@type="application/ld+json"]')
            if len(text := script.text or "") <= MAX_SCRIPT_CHARS]


def stated_article(blocks: list[str]) -> Stated | None:
    """The JSON-LD article with the longest `articleBody` in `blocks`, if any states one."""
    best: Stated | None = None
    for source in blocks:
        try:
            data = json.loads(source)
        except ValueError:
            continue
        for node in _nodes(data, _ARTICLE_TYPES, depth=0):
            body = node.get("articleBody")
            if not isinstance(body, str):
                continue
            paragraphs = tuple(p for p in map(clean, body.splitlines()) if p)
            if best is None or sum(map(len, paragraphs)) > sum(map(len, best.paragraphs)):
                best = Stated(headline=_text(node.get("headline")), author=_author(node),
                              date=_text(node.get("datePublished"))[:10] or None,
                              paragraphs=paragraphs)
    return best


def stated_recipe(blocks: list[str]) -> Recipe | None:
    """The first JSON-LD recipe in `blocks` that lists ingredients or steps, if any states one
    (recipe plugins draw their card from it; trafilatura leaves the card out as a widget)."""
    for source in blocks:
        try:
            data = json.loads(source)
        except ValueError:
            continue
        for node in _nodes(data, _RECIPE_TYPES, depth=0):
            ingredients = node.get("recipeIngredient")
            found = Recipe(
                summary=_text(node.get("description")),
                ingredients=tuple(line for line in map(_text, ingredients) if line)
                if isinstance(ingredients, list) else (),
                steps=tuple(_steps(node.get("recipeInstructions"), depth=0)))
            if found.ingredients or found.steps:
                return found
    return None


def _steps(value: Any, depth: int) -> Iterator[str]:
    """A recipe's instructions as lines: a text's lines, a list's strings, each HowToStep's text
    and each HowToSection's name and steps."""
    if depth > 4:
        return
    if isinstance(value, str):
        yield from (line for line in map(clean, value.splitlines()) if line)
    elif isinstance(value, list):
        for item in value:
            yield from _steps(item, depth + 1)
    elif isinstance(value, dict):
        if "itemListElement" in value:
            if name := _text(value.get("name")):
                yield name
            yield from _steps(value["itemListElement"], depth + 1)
        elif text := _text(value.get("text")) or _text(value.get("name")):
            yield text


def _nodes(data: Any, types: frozenset[str], depth: int) -> Iterator[dict[str, Any]]:
    """The objects of one of `types` in a JSON-LD document, in @graph lists and nested values."""
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item, types, depth + 1)
    elif isinstance(data, dict):
        kinds = data.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(kind in types for kind in kinds if isinstance(kind, str)):
            yield data
        for value in data.values():
            if isinstance(value, list | dict):
                yield from _nodes(value, types, depth + 1)


def _author(node: dict[str, Any]) -> str | None:
    authors = node.get("author")
    authors = authors if isinstance(authors, list) else [authors]
    names = [clean(a["name"]) if isinstance(a, dict) and isinstance(a.get("name"), str)
             else clean(a) if isinstance(a, str) else "" for a in authors]
    return "; ".join(name for name in names if name) or None


def _text(value: Any) -> str:
    return clean(value) if isinstance(value, str) else ""
