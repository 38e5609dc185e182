"""What the HTTP API takes and gives: msgspec Structs at the web edge, built from store records."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from audiobrief import pipeline
from audiobrief.encode import chapter_spans
from audiobrief.web.store import Record, Status

Speed = Annotated[float, msgspec.Meta(ge=0.25, le=4.0)]
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\t\n\r]+$")]
Phonemes = Annotated[str, msgspec.Meta(min_length=1, max_length=400, pattern=r"^[^\t\n\r]+$")]


class ArticleRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Narrate an article: give exactly one of `url`, `html` or `text`."""

    url: str | None = None
    """The article's address; with `html`, only recorded as its source."""
    html: str | None = None
    """The article page's HTML, when the caller has it already."""
    text: str | None = None
    """Plain text or Markdown; the first line is the title unless `title` is given."""
    title: str | None = None
    """A title to use instead of the one found."""
    voice: str | None = None
    speed: Speed = 1.0
    chapters: Literal["auto", "sections", "paragraphs", "none"] = "auto"
    lexicon: dict[Word, Phonemes] | None = None
    """Pronunciations for this request (word → the voice's espeak phonemes); they beat the
    built-in lexicon."""

    def options(self) -> pipeline.Options:
        entries = "".join(f"{word}\t{phonemes}\trequest\n"
                          for word, phonemes in sorted((self.lexicon or {}).items()))
        return pipeline.Options(voice=self.voice, speed=self.speed, chapters=self.chapters,
                                title=self.title, lexicon_entries=entries)


class Links(msgspec.Struct):
    self: str
    audio: str
    embed: str
    chapters_json: str
    chapters_vtt: str
    transcript_vtt: str

    @classmethod
    def of(cls, article_id: str) -> Links:
        base = f"/v1/articles/{article_id}"
        return cls(self=base, audio=f"{base}/audio.mp3", embed=f"/embed/{article_id}",
                   chapters_json=f"{base}/chapters.json", chapters_vtt=f"{base}/chapters.vtt",
                   transcript_vtt=f"{base}/transcript.vtt")


class Accepted(msgspec.Struct):
    id: str
    status: Status
    links: Links


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


class ArticleStatus(msgspec.Struct):
    id: str
    status: Status
    progress: Progress
    error: str | None
    title: str
    byline: str | None
    url: str | None
    date: str | None
    site: str | None
    language: str
    voice: str
    duration: float | None
    """Seconds, once done."""
    chapters: list[TimedChapter]
    sentences: list[TimedSentence]
    links: Links


def accepted(record: Record) -> Accepted:
    return Accepted(id=record.id, status=record.status, links=Links.of(record.id))


def article_status(record: Record) -> ArticleStatus:
    script = record.script
    rendition = record.rendition
    chapters: list[TimedChapter] = []
    sentences: list[TimedSentence] = []
    if rendition is not None:
        if script.chaptered:
            chapters = [TimedChapter(chapter.title, span.start_ms / 1000, span.end_ms / 1000)
                        for chapter, span in zip(script.chapters, chapter_spans(script, rendition),
                                                 strict=True)]
        sentences = [TimedSentence(sentence.text, span.start_ms / 1000, span.end_ms / 1000)
                     for sentence, span in zip(script.sentences, rendition.sentence_spans(),
                                               strict=True)]
    duration = record.duration_ms
    return ArticleStatus(
        id=record.id, status=record.status, progress=Progress(record.done, record.total),
        error=record.error, title=script.title, byline=script.byline, url=script.url,
        date=script.date, site=script.site, language=script.language, voice=record.voice,
        duration=duration / 1000 if duration is not None else None, chapters=chapters,
        sentences=sentences, links=Links.of(record.id))
