"""The podcast feed: finished articles, newest first, as RSS 2.0 with the iTunes and Podcasting 2.0
tags podcast apps read, paged by RFC 5005 links. Served at GET /feed.xml."""

from __future__ import annotations

import html
import logging
import math
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urljoin

from litestar import Request, Response, get
from litestar.params import Parameter

from audiobrief.load import web_url
from audiobrief.service.backends import Record
from audiobrief.service.jobs import Service
from audiobrief.settings import Settings
from audiobrief.web.audio import MP3
from audiobrief.web.problems import Declared, answer, route_responses
from audiobrief.web.routes import public_base, public_cache
from audiobrief.web.schemas import Links

logger = logging.getLogger(__name__)

PER_PAGE = 50
"""Items a page unless the request asks for another number."""
MAX_PER_PAGE = 100
"""A larger `per_page` is cut to this."""
MAX_PAGE = 1_000_000
"""Pages past this are refused (400): no feed is that long, and the offset must stay a small
number for SQLite."""
MEDIA_TYPE = "application/rss+xml; charset=utf-8"
CACHE_MAX_AGE_S = 60
"""Short: a new article should reach subscribers within a minute."""
DESCRIPTION = "News articles, narrated."

NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

# XML 1.0 forbids these even escaped; ElementTree would write them and break the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Paging:
    """Which slice of the finished articles a feed document holds."""

    page: int
    """1 for the newest articles."""
    per_page: int
    total: int
    """Finished articles in all pages."""

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def render(records: list[Record], settings: Settings, base_url: str, paging: Paging,
           built_at: float) -> bytes:
    """The RSS document for one page of finished `records` (newest first), every link absolute
    under `base_url` (the service root)."""
    base_url = base_url.rstrip("/")
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", settings.feed_title)
    # RSS needs a channel link and the service has no home page: the feed itself, which answers.
    _sub(channel, "link", _page_url(base_url, paging, 1))
    _sub(channel, "description", f"{DESCRIPTION} {settings.disclosure}")
    _sub(channel, "language", _language(settings.voice))
    _sub(channel, "lastBuildDate", _rfc822(built_at))
    _sub(channel, "generator", "audiobrief")
    _sub(channel, _tag("itunes", "author"), settings.feed_author)
    _sub(channel, _tag("itunes", "explicit"), "false")
    _sub(channel, _tag("itunes", "category"), attrib={"text": "News"})
    _sub(channel, _tag("itunes", "type"), "episodic")
    _sub(channel, _tag("podcast", "locked"), "no")
    if settings.feed_image:
        image_url = urljoin(f"{base_url}/", settings.feed_image)
        _sub(channel, _tag("itunes", "image"), attrib={"href": image_url})
        image = _sub(channel, "image")
        _sub(image, "url", image_url)
        _sub(image, "title", settings.feed_title)
        _sub(image, "link", _page_url(base_url, paging, 1))
    for rel, page in _page_links(paging):
        _sub(channel, _tag("atom", "link"), attrib={
            "rel": rel, "href": _page_url(base_url, paging, page), "type": "application/rss+xml"})
    for record in records:
        _item(channel, record, settings, base_url)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _page_links(paging: Paging) -> list[tuple[str, int]]:
    """RFC 5005 §3: self, first and last always; previous/next where they exist."""
    links = [("self", paging.page), ("first", 1), ("last", paging.last_page)]
    if paging.page > 1:
        links.append(("previous", min(paging.page - 1, paging.last_page)))
    if paging.page < paging.last_page:
        links.append(("next", paging.page + 1))
    return links


def _page_url(base_url: str, paging: Paging, page: int) -> str:
    query = {"page": page} if page > 1 else {}
    if paging.per_page != PER_PAGE:
        query["per_page"] = paging.per_page
    return f"{base_url}/feed.xml" + (f"?{urlencode(query)}" if query else "")


def _item(channel: ET.Element, record: Record, settings: Settings, base_url: str) -> None:
    script = record.script
    links = Links.of(record.id)
    item = _sub(channel, "item")
    _sub(item, "title", script.title)
    if link := web_url(script.url):
        _sub(item, "link", link)
    _sub(item, "description", _description(record, settings))
    _sub(item, "guid", record.id, attrib={"isPermaLink": "false"})
    _sub(item, "pubDate", _rfc822(_published(record)))
    _sub(item, "enclosure", attrib={"url": base_url + links.audio,
                                    "length": str(record.size_bytes or 0), "type": MP3})
    if record.duration_ms is not None:
        _sub(item, _tag("itunes", "duration"), str(round(record.duration_ms / 1000)))
    author = script.byline or script.site
    if author:
        _sub(item, _tag("itunes", "author"), author)
    _sub(item, _tag("itunes", "episodeType"), "full")
    if script.chaptered:
        _sub(item, _tag("podcast", "chapters"), attrib={
            "url": base_url + links.chapters_json, "type": "application/json+chapters"})
    # Both word-timed: the JSON for apps that highlight words, WebVTT for captions.
    for link, media_type in ((links.transcript_json, "application/json"),
                             (links.transcript_vtt, "text/vtt")):
        transcript = {"url": base_url + link, "type": media_type}
        if script.language:
            transcript["language"] = script.language
        _sub(item, _tag("podcast", "transcript"), attrib=transcript)


def _description(record: Record, settings: Settings) -> str:
    """Show notes as HTML (what apps render): who wrote it where, the source, the AI disclosure.
    Every piece is escaped here; ElementTree then escapes the whole as XML text."""
    script = record.script
    paragraphs = []
    source = " · ".join(part for part in (script.byline, script.site) if part)
    if source:
        paragraphs.append(f"By {html.escape(source)}")
    if link := web_url(script.url):
        paragraphs.append(f"Read the article: {_anchor(link)}")
    disclosure = html.escape(settings.disclosure)
    if policy := web_url(settings.disclosure_url):
        disclosure += f" ({_anchor(policy)})"
    paragraphs.append(disclosure)
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


def _anchor(url: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(url)}</a>'


def _published(record: Record) -> float:
    """The article's own date (midnight UTC when only a day is known), else when it was narrated."""
    if record.script.date:
        try:
            when = datetime.fromisoformat(record.script.date)
        except ValueError:
            logger.debug("article %s: unreadable date %r", record.id, record.script.date)
        else:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return when.timestamp()
    return record.finished_at or record.created_at


def _rfc822(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, UTC))


def _language(voice: str) -> str:
    """The feed language from the default voice's name: "en_US-joe-medium" → "en-US"."""
    return voice.split("-", 1)[0].replace("_", "-")


def _tag(prefix: str, name: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{name}"


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         attrib: dict[str, str] | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in
                                          (attrib or {}).items()})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


@get("/feed.xml", sync_to_thread=True, operation_class=Declared,
     responses=route_responses("GET", "/feed.xml", {
         200: answer("RSS 2.0 with the iTunes and Podcasting 2.0 namespaces.",
                     MEDIA_TYPE.split(";")[0], str)}))
def feed_xml(
    request: Request[Any, Any, Any],
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="1 for the newest articles")
                    ] = 1,
    per_page: Annotated[int, Parameter(
        ge=1, le=1_000_000, description=f"a larger number is cut to {MAX_PER_PAGE}")] = PER_PAGE,
) -> Response[bytes]:
    """The podcast feed of finished articles, newest first."""
    service: Service = request.app.state.service
    settings = service.settings
    paging = Paging(page, min(per_page, MAX_PER_PAGE), service.jobs.finished_count())
    records = service.jobs.finished(paging.per_page, paging.offset)
    newest = records[:1] if paging.page == 1 else service.jobs.finished(1)
    built_at = (newest[0].finished_at if newest else None) or time.time()
    body = render(records, settings, public_base(request), paging, built_at)
    return Response(body, media_type=MEDIA_TYPE, headers=public_cache(request, CACHE_MAX_AGE_S))


ROUTES = [feed_xml]
