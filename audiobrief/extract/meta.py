"""A page's title and byline as a listener should hear them: the headline without the site's name
or a search-engine tail, the author's names without labels, roles and dates."""

from __future__ import annotations

import re
from datetime import datetime

from audiobrief.extract.blocks import clean, same

# " | ", " - ", " – ", " — ", " :: ", " · ", " » " between a headline and what sites append to it.
_SEPARATOR = re.compile(r"\s+(?:[|–—·•»/]|::|-{1,2})\s+|\s*\|\s*")
_SEO_WORDS = re.compile(
    r"\b(news|latest|breaking|photos?|videos?|pictures?|images|live|updates?|online|today"
    r"|новости|фото|видео|онлайн|сегодня|новини|відео|nachrichten|aktuell|noticias|actualités"
    r")\b|\b(19|20)\d\d\b", re.IGNORECASE)
_BYLINE_LABEL = re.compile(
    r"^\s*(by|from|von|par|por|di|door|av|af|автор|авторы|текст|фото|текст и фото"
    r"|(written|posted|words|reporting|article|story|text|report|photos?|video) by"
    r"|(view |see )?(all |more )?(posts|articles|stories) by|more from)(\s*[:.…-]+\s*|\s+|$)",
    re.IGNORECASE)
_ARCHIVE = re.compile(r"^(blog( archive)?|archives?|home|homepage|news|posts?|articles?)$",
                      re.IGNORECASE)
_ROLE = re.compile(
    r"^(the )?(staff|senior|chief|special|contributing|associate|deputy|managing|political"
    r"|foreign|business|sports?|news|investigative|national|local|freelance)?\s*"
    r"(writer|reporter|correspondent|editor|contributor|columnist|journalist|photographer"
    r"|producer|staff|analyst|intern|author|team|desk)s?\b.*$|^(special )?(to|for) the\b.*$",
    re.IGNORECASE)
_DATE_WORD = re.compile(r"^(january|february|march|april|may|june|july|august|september|october"
                        r"|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?$|"
                        r"^\d[\d:/.,-]*$|^(am|pm|a\.m\.|p\.m\.)$"
                        r"|^(updated|published|posted|on)$", re.IGNORECASE)


def title(found: str, site: str | None, hostname: str | None, headline: str | None,
          page_title: str | None = None) -> str:
    """The headline: the page's H1 where the found title only adds to it; otherwise the found
    title without a trailing (or leading) site name or a tail of search keywords; where the found
    title is only the site's name, the last part of the page's <title> that is not."""
    found = clean(found)
    if page_title and _is_site(found, site, hostname):
        parts = [part for part in _SEPARATOR.split(clean(page_title))
                 if not _is_site(part, site, hostname) and not _ARCHIVE.match(part)]
        if parts:
            return parts[-1]
    if headline and (same(found, headline) or _starts_with(found, headline)):
        return clean(headline)
    parts = _SEPARATOR.split(found)
    while len(parts) > 1 and (_is_site(parts[-1], site, hostname) or _is_seo_tail(parts[-1])):
        parts.pop()
    while len(parts) > 1 and _is_site(parts[0], site, hostname):
        parts.pop(0)
    if len(parts) < len(_SEPARATOR.split(found)):
        return _rejoin(found, parts)
    return found


def site(found: str | None) -> str | None:
    """The site's name, if what was found is a name and not an address."""
    name = clean(found or "")
    return None if not name or "://" in name else name


def byline(found: str | None, site: str | None = None, hostname: str | None = None
           ) -> str | None:
    """The author names of a byline: "By" and "Текст:" labels, roles ("Staff writer"), a date
    after the name and the site's own name left out."""
    if not found:
        return None
    names: list[str] = []
    for part in re.split(r"\s*[;|]\s*", clean(found)):
        while (unlabelled := _BYLINE_LABEL.sub("", part, count=1)) != part:
            part = unlabelled
        part = part.strip(" ,.-–—:")
        if "@" in part or "://" in part:
            continue
        words = part.split()
        while words and _DATE_WORD.match(words[-1].strip(",")):
            words.pop()
        part = " ".join(words).strip(" ,")
        # A publication for an author ("Luxurious" of Luxurious Magazine, "CBS News") is none;
        # a person's blog named after them keeps its author.
        if part and (site and (same(part, site) or len(part.split()) == 1
                               and part.casefold() in site.casefold())
                     or _is_host(part, hostname)):
            continue
        if part and not _ROLE.match(part) and not any(same(part, n) for n in names):
            names.append(part)
    return "; ".join(names) or None


def _starts_with(found: str, headline: str) -> bool:
    """The found title is the headline and a tail after a separator."""
    head = clean(headline)
    return len(head.split()) >= 2 and found.casefold().startswith(head.casefold()) and bool(
        _SEPARATOR.match(found[len(head):] + " "))


def _is_site(part: str, site: str | None, hostname: str | None) -> bool:
    letters = re.sub(r"\W", "", part.casefold())
    if not letters:
        return True
    names = [re.sub(r"\W", "", name.casefold()) for name in (site, hostname) if name]
    names += [re.sub(r"\W", "", hostname.casefold().removeprefix("www.").split(".")[0])
              for hostname in (hostname,) if hostname]
    return any(name and (letters == name or letters in name or name in letters
                         and len(part.split()) <= 4) for name in names)


def _is_host(part: str, hostname: str | None) -> bool:
    """The words of the site's address ("CBS News" on cbsnews.com)."""
    label = (hostname or "").casefold().removeprefix("www.").split(".")[0]
    return bool(label) and re.sub(r"\W", "", part.casefold()) == label


def _is_seo_tail(part: str) -> bool:
    """A list of keywords ("новости, фото 2018"), not words of a headline."""
    items = [item for item in re.split(r"\s*,\s*", part) if item]
    return len(items) >= 2 and all(len(item.split()) <= 3 for item in items) and bool(
        _SEO_WORDS.search(part))


def _rejoin(found: str, parts: list[str]) -> str:
    """The kept parts as the found title wrote them, separators included."""
    start = found.find(parts[0])
    end = found.rfind(parts[-1]) + len(parts[-1])
    return found[start:end].strip()


def date(found: str | None) -> str | None:
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
