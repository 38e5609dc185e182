"""What the HTTP API takes and gives: msgspec Structs at the web edge, built from job records."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from audiobrief import pipeline
from audiobrief.errors import LexiconError, RequestError
from audiobrief.script import PAUSE_MS
from audiobrief.service.backends import Cursor, Record, Status
from audiobrief.settings import Settings

Speed = Annotated[float, msgspec.Meta(ge=0.25, le=4.0)]
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\t\n\r]+$")]
Phonemes = Annotated[str, msgspec.Meta(min_length=1, max_length=400, pattern=r"^[^\t\n\r]+$")]

MAX_URL_CHARS = 2048
"""Longer addresses are refused; browsers and proxies commonly stop near here too."""
MAX_SOURCE_CHARS = 20_000_000
"""A static ceiling for posted html/text; AUDIOBRIEF_MAX_SOURCE_BYTES and the request body limit
are the real bounds."""
MAX_TITLE_CHARS = 10_000
"""A static ceiling for `title`; AUDIOBRIEF_MAX_TITLE_CHARS is the real bound."""
MAX_LEXICON_ENTRIES = 10_000
"""A static ceiling for `lexicon`; AUDIOBRIEF_MAX_LEXICON_ENTRIES is the real bound."""

ExternalId = Annotated[str, msgspec.Meta(
    min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
    description="The CMS's own id of the article.")]
MAX_LIST_LIMIT = 100
"""Articles a page of GET /v1/articles may hold."""

WebUrl = Annotated[str, msgspec.Meta(
    max_length=MAX_URL_CHARS, pattern=r"(?i)^https?://[^\s/?#]+[^\s]*$",
    description="An http(s) address.")]


class ArticleRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Narrate an article: give exactly one of `url`, `html`, `text` or `ssml`."""

    url: WebUrl | None = None
    """The article's address (http or https). With `html`, `text` or `ssml` it is recorded as
    the source, and finds this audio by URL only when the caller holds an API key."""
    html: Annotated[str, msgspec.Meta(max_length=MAX_SOURCE_CHARS)] | None = None
    """The article page's HTML, when the caller has it already."""
    text: Annotated[str, msgspec.Meta(max_length=MAX_SOURCE_CHARS)] | None = None
    """Plain text or Markdown; the first line is the title unless `title` is given."""
    ssml: Annotated[str, msgspec.Meta(max_length=MAX_SOURCE_CHARS)] | None = None
    """An SSML document (root `<speak>`), said as it says: p, s, break, sub, phoneme (ipa),
    say-as, emphasis, prosody rate and lang. Anything else is refused naming its line."""
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE_CHARS)] | None = None
    """A title to use instead of the one found (at most AUDIOBRIEF_MAX_TITLE_CHARS)."""
    voice: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    """An installed voice; it must speak the article's language. Without one, the voice of the
    language detected from the text reads it."""
    language: Annotated[str, msgspec.Meta(
        max_length=35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")] | None = None
    """The language to read the article in (BCP 47, e.g. "en"), instead of the one detected
    from its text: with `voice`, to have a voice read a text of another language all the
    same."""
    speed: Speed = 1.0
    chapters: Literal["auto", "sections", "paragraphs", "none"] = "auto"
    lexicon: Annotated[dict[Word, Phonemes], msgspec.Meta(
        max_length=MAX_LEXICON_ENTRIES)] | None = None
    """Pronunciations for this request (word → the voice's espeak phonemes); they beat the
    built-in lexicon. At most AUDIOBRIEF_MAX_LEXICON_ENTRIES entries."""
    external_id: ExternalId | None = None
    """The CMS's own id of the article (needs an API key): every version posted with it is one
    article, whatever its URL; without it, the article is its URL's."""

    def validate(self, settings: Settings) -> None:
        """What the schema's types cannot say, and what the settings do not allow: refused
        before any work is done."""
        sources = [name for name in ("html", "text", "ssml") if getattr(self, name) is not None]
        if len(sources) > 1 or not (sources or self.url):
            raise RequestError("give exactly one of url, html, text or ssml")
        if self.title is not None and len(self.title) > settings.max_title_chars:
            raise RequestError(f"title is {len(self.title):,} characters; the limit is"
                               f" {settings.max_title_chars}")
        if self.lexicon and len(self.lexicon) > settings.max_lexicon_entries:
            raise LexiconError(f"lexicon has {len(self.lexicon):,} entries; a request may give"
                               f" at most {settings.max_lexicon_entries}")

    def options(self) -> pipeline.Options:
        entries = "".join(f"{word}\t{phonemes}\trequest\n"
                          for word, phonemes in sorted((self.lexicon or {}).items()))
        return pipeline.Options(voice=self.voice, language=self.language, speed=self.speed,
                                chapters=self.chapters, title=self.title,
                                lexicon_entries=entries)


class Links(msgspec.Struct):
    """This version's links (its audio never changes), and its article's."""

    self: str
    audio: str
    embed: str
    chapters_json: str
    chapters_vtt: str
    transcript_vtt: str
    transcript_json: str
    article: str
    """The article's status: that of its newest finished version (its links then give the
    audio); under it, /audio.mp3 and /embed/ always answer the article's newest audio."""

    @classmethod
    def of(cls, article_id: str, article: str | None = None) -> Links:
        base = f"/v1/articles/{article_id}"
        return cls(self=base, audio=f"{base}/audio.mp3", embed=f"/embed/{article_id}",
                   chapters_json=f"{base}/chapters.json", chapters_vtt=f"{base}/chapters.vtt",
                   transcript_vtt=f"{base}/transcript.vtt",
                   transcript_json=f"{base}/transcript.json",
                   article=f"/v1/articles/{article or article_id}")


class Accepted(msgspec.Struct):
    id: str
    """This version's id: its audio, for good."""
    article_id: str
    """The article's id, the same for every version of it (see Links.article)."""
    status: Status
    links: Links


class ListedArticle(msgspec.Struct):
    """One article of GET /v1/articles, as its newest version has it."""

    id: str
    """The article's id."""
    external_id: str | None
    url: str | None
    title: str
    status: Status
    """The newest version's."""
    error: str | None
    version: str
    """The newest version's id."""
    answering: str | None
    """The version lookups, the player and the feed answer with (the newest finished), if
    any is."""
    posted_at: str
    """When the newest version was posted (ISO 8601, UTC)."""
    links: Links
    """The newest version's."""


class ArticleList(msgspec.Struct):
    """A page of articles, the most recently posted first."""

    articles: list[ListedArticle]
    next: str | None
    """The next page's address, None on the last."""


class Progress(msgspec.Struct):
    done: int
    total: int


class TimedChapter(msgspec.Struct):
    title: str
    start: float
    """Seconds from the start of the audio."""
    end: float


class TimedSentence(msgspec.Struct):
    text: str
    start: float
    end: float
    paragraph: int = 0
    """Which paragraph of the article it is in, counted from 0 across chapters, so a
    transcript can be laid out as the article is."""


class ArticleStatus(msgspec.Struct):
    id: str
    """This version's id."""
    article_id: str
    external_id: str | None
    status: Status
    progress: Progress
    error: str | None
    title: str
    byline: str | None
    url: str | None
    date: str | None
    site: str | None
    language: str | None
    """The language it is read in (BCP 47)."""
    voice: str
    duration: float | None
    """Seconds, once done."""
    chapters: list[TimedChapter]
    sentences: list[TimedSentence]
    links: Links


def accepted(record: Record) -> Accepted:
    return Accepted(id=record.id, article_id=record.article, status=record.status,
                    links=Links.of(record.id, record.article))


def listed(record: Record, answering: str | None) -> ListedArticle:
    return ListedArticle(
        id=record.article, external_id=record.external_id, url=record.source_url,
        title=record.script.title, status=record.status, error=record.error, version=record.id,
        answering=answering, posted_at=datetime.fromtimestamp(record.posted_at, UTC).isoformat(),
        links=Links.of(record.id, record.article))


def cursor_after(record: Record) -> str:
    """The opaque cursor of the page that starts after `record`."""
    return base64.urlsafe_b64encode(msgspec.json.encode([record.posted_at, record.id])
                                    ).decode().rstrip("=")


def read_cursor(cursor: str) -> Cursor:
    try:
        posted_at, article_id = msgspec.json.decode(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=tuple[float, str])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise RequestError("cursor: not one this service gave; use the `next` link of the"
                           " page before").for_field("cursor") from None
    return posted_at, article_id


def article_status(record: Record) -> ArticleStatus:
    script = record.script
    rendition = record.rendition
    chapters: list[TimedChapter] = []
    sentences: list[TimedSentence] = []
    if rendition is not None:
        if script.chaptered:
            chapters = [TimedChapter(chapter.title, span.start_s, span.end_s)
                        for chapter, span in zip(script.chapters, rendition.chapter_spans(script),
                                                 strict=True)]
        paragraph = 0
        for sentence, span in zip(script.sentences, rendition.sentence_spans(), strict=True):
            sentences.append(TimedSentence(sentence.text, span.start_s, span.end_s, paragraph))
            # A paragraph's (or chapter's) last sentence is followed by the longer pause.
            paragraph += sentence.pause_after_ms >= PAUSE_MS["paragraph"]
    duration = record.duration_ms
    return ArticleStatus(
        id=record.id, article_id=record.article, external_id=record.external_id,
        status=record.status, progress=Progress(record.done, record.total),
        error=record.error, title=script.title, byline=script.byline, url=script.url,
        date=script.date, site=script.site, language=script.language, voice=record.voice,
        duration=duration / 1000 if duration is not None else None, chapters=chapters,
        sentences=sentences, links=Links.of(record.id, record.article))
