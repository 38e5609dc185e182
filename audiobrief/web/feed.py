"""The podcast feed: finished articles, newest first, as RSS 2.0 with the iTunes and Podcasting 2.0
tags podcast apps read, paged by RFC 5005 links. Served at GET /feed.xml."""

from __future__ import annotations

import html
import logging
import math
import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, get
from litestar.params import Parameter

from audiobrief import cover as covers
from audiobrief.errors import NotFoundError
from audiobrief.load import web_url
from audiobrief.pipeline import limits
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
COVER_MAX_AGE_S = 3600
"""The image changes only with the service's settings."""

NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The Podcasting 2.0 namespace's own UUID, which every `podcast:guid` is made in."""
COVER_PATH = "/feed/cover.jpg"
"""Where the service serves AUDIOBRIEF_FEED_IMAGE when it names a file."""
MAX_PERSONS = 10
MAX_PERSON_CHARS = 100
_BYLINE_SEPARATORS = re.compile(r"\s*(?:;|,|&|\band\b|\|)\s*", re.I)

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
    site = _site(records, settings) or _page_url(base_url, paging, 1)
    _sub(channel, "link", site)
    _sub(channel, "description", f"{DESCRIPTION} {settings.disclosure}")
    _sub(channel, "language", _channel_language(records, settings))
    _sub(channel, "lastBuildDate", _rfc822(built_at))
    _sub(channel, "generator", "audiobrief")
    _sub(channel, _tag("itunes", "author"), settings.feed_author)
    if settings.feed_email:
        owner = _sub(channel, _tag("itunes", "owner"))
        _sub(owner, _tag("itunes", "name"), settings.feed_author)
        _sub(owner, _tag("itunes", "email"), settings.feed_email)
    _sub(channel, _tag("itunes", "explicit"), "false")
    _sub(channel, _tag("itunes", "category"), attrib={"text": "News"})
    _sub(channel, _tag("itunes", "type"), "episodic")
    _sub(channel, _tag("podcast", "locked"), "no")
    _sub(channel, _tag("podcast", "guid"), podcast_guid(f"{base_url}/feed.xml"))
    # Podcasting 2.0's disclosure that the audio is made by AI, for apps to label it.
    _sub(channel, _tag("podcast", "txt"), "true", attrib={"purpose": "ai-content"})
    if image_url := channel_image_url(settings, base_url):
        _sub(channel, _tag("itunes", "image"), attrib={"href": image_url})
        image = _sub(channel, "image")
        _sub(image, "url", image_url)
        _sub(image, "title", settings.feed_title)
        _sub(image, "link", site)
    for rel, page in _page_links(paging):
        _sub(channel, _tag("atom", "link"), attrib={
            "rel": rel, "href": _page_url(base_url, paging, page), "type": "application/rss+xml"})
    for record in records:
        _item(channel, record, settings, base_url)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def podcast_guid(feed_url: str) -> str:
    """Podcasting 2.0's `podcast:guid`: a UUIDv5 in its namespace of the feed's URL without its
    scheme and trailing slashes, so the same feed gets the same id wherever it is looked up."""
    address = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url)
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, address.rstrip("/")))


def channel_image_url(settings: Settings, base_url: str) -> str | None:
    """Where the podcast's own image is: AUDIOBRIEF_FEED_IMAGE's URL, or for a file the
    service's copy of it (`feed_cover`); None without one, or for a file that is no image."""
    if not settings.feed_image:
        return None
    if covers.is_url(settings.feed_image):
        return settings.feed_image.strip()
    if covers.feed_cover(settings.feed_image, limits(settings)) is None:
        return None
    return f"{base_url.rstrip('/')}{COVER_PATH}"


def check_image(settings: Settings) -> None:
    """Say at start-up what a podcast directory would refuse in the channel's image (Apple
    requires one, square, 1400 to 3000 px); a URL is the operator's to check."""
    if not settings.feed_image:
        logger.warning("the podcast feed has no image: set AUDIOBRIEF_FEED_IMAGE (square, %d to"
                       " %d px), which Apple Podcasts requires", *covers.FEED_SIDE_PX)
        return
    if covers.is_url(settings.feed_image):
        return
    made = covers.feed_cover(settings.feed_image, limits(settings))
    if problem := covers.feed_image_problem(made):
        logger.warning("AUDIOBRIEF_FEED_IMAGE=%s: %s%s", settings.feed_image, problem,
                       "; the feed has no image" if made is None else
                       "; Apple Podcasts requires a square of 1400 to 3000 px")


def _site(records: list[Record], settings: Settings) -> str | None:
    """The site the podcast is of: AUDIOBRIEF_FEED_LINK, else the newest article's site."""
    if link := web_url(settings.feed_link):
        return link
    for record in records:
        if link := web_url(record.script.url):
            parts = urlsplit(link)
            return f"{parts.scheme}://{parts.netloc}/"
    return None


def _channel_language(records: list[Record], settings: Settings) -> str:
    """The language most of the page's articles are read in, else the default voice's."""
    spoken = Counter(record.script.language for record in records if record.script.language)
    if spoken:
        return spoken.most_common(1)[0][0]
    return _language(settings.voice)


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
    links = Links.of(record.id, record.article)
    item = _sub(channel, "item")
    _sub(item, "title", script.title)
    if link := web_url(script.url):
        _sub(item, "link", link)
    _sub(item, "description", _description(record, settings))
    # The article's id: an edit changes the item's audio, not the episode.
    _sub(item, "guid", record.article, attrib={"isPermaLink": "false"})
    _sub(item, "pubDate", _rfc822(_published(record)))
    _sub(item, "enclosure", attrib={"url": base_url + links.audio,
                                    "length": str(record.size_bytes or 0), "type": MP3})
    if record.duration_ms is not None:
        _sub(item, _tag("itunes", "duration"), str(round(record.duration_ms / 1000)))
    author = script.byline or script.site
    if author:
        _sub(item, _tag("itunes", "author"), author)
    for person in bylined(script.byline):
        _sub(item, _tag("podcast", "person"), person,
             attrib={"group": "writing", "role": "author"})
    if image := web_url(script.image):
        _sub(item, _tag("itunes", "image"), attrib={"href": image})
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
    """Show notes as HTML (what apps render): who wrote it where, the source, the chapters as
    "00:00 Title" lines (what Spotify and YouTube make chapters of), the AI disclosure. Every
    piece is escaped here; ElementTree then escapes the whole as XML text."""
    script = record.script
    paragraphs = []
    source = " · ".join(part for part in (script.byline, script.site) if part)
    if source:
        paragraphs.append(f"By {html.escape(source)}")
    if link := web_url(script.url):
        paragraphs.append(f"Read the article: {_anchor(link)}")
    if lines := chapter_lines(record):
        paragraphs.append("<br>".join(html.escape(line) for line in lines))
    disclosure = html.escape(settings.disclosure)
    if policy := web_url(settings.disclosure_url):
        disclosure += f" ({_anchor(policy)})"
    paragraphs.append(disclosure)
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


def chapter_lines(record: Record) -> list[str]:
    """ "00:00 Title" for each chapter of a finished article (h:mm:ss past an hour); none for
    an article of one chapter or without chapter marks."""
    script, rendition = record.script, record.rendition
    if not script.chaptered or rendition is None or len(script.chapters) < 2:
        return []
    spans = rendition.chapter_spans(script)
    hours = spans[-1].start_ms >= 3_600_000
    return [f"{_clock(span.start_ms // 1000, hours)} {chapter.title}"
            for chapter, span in zip(script.chapters, spans, strict=True)]


def _clock(seconds: int, hours: bool) -> str:
    minutes, second = divmod(seconds, 60)
    if hours:
        return f"{minutes // 60}:{minutes % 60:02d}:{second:02d}"
    return f"{minutes:02d}:{second:02d}"


def bylined(byline: str | None) -> list[str]:
    """The people a byline names, each once: "By Anna Myroniuk and Alexander Khrebet" → both; a
    part without a capital letter ("Kate Tsurkan, staff writer") is a role, not a person."""
    if not byline:
        return []
    text = re.sub(r"^\s*by\s+", "", byline, flags=re.I)
    people: list[str] = []
    for part in _BYLINE_SEPARATORS.split(text):
        name = " ".join(part.split()).strip(" .")
        if (name and len(name) <= MAX_PERSON_CHARS and name not in people
                and any(word[:1].isupper() for word in name.split())):
            people.append(name)
    return people[:MAX_PERSONS]


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


@get(COVER_PATH, sync_to_thread=True, operation_class=Declared,
     responses=route_responses("GET", COVER_PATH, {
         200: answer("The podcast's image (AUDIOBRIEF_FEED_IMAGE when it names a file), as a"
                     " JPEG.", "image/jpeg", bytes)}))
def feed_cover(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The podcast's own image, when AUDIOBRIEF_FEED_IMAGE names a file."""
    settings: Settings = request.app.state.service.settings
    made = None
    if settings.feed_image and not covers.is_url(settings.feed_image):
        made = covers.feed_cover(settings.feed_image, limits(settings))
    if made is None:
        raise NotFoundError("this service has no podcast image of its own"
                            " (AUDIOBRIEF_FEED_IMAGE names no file it can read)")
    return Response(made.jpeg, media_type="image/jpeg",
                    headers=public_cache(request, COVER_MAX_AGE_S))


ROUTES = [feed_xml, feed_cover]
