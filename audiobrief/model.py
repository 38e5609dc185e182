"""The values that flow through the pipeline: Page → Article → Script → Rendition.

Every value is a frozen dataclass; sequences are tuples. This module imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

PageKind = Literal["html", "text", "ssml"]
PronunciationSource = Literal["user", "site", "lexicon", "dictionary", "rule", "espeak"]
ChapterMode = Literal["auto", "sections", "paragraphs", "none"]


@dataclass(frozen=True, slots=True)
class Page:
    """A loaded source, before extraction."""

    content: str
    """The decoded document: HTML markup, plain text / Markdown, or SSML."""
    kind: PageKind
    """Whether `content` is HTML, plain text or SSML (a document whose root is `<speak>`)."""
    origin: str
    """Where it came from, for messages: a URL, a file path or "stdin"."""
    url: str | None = None
    """The final URL after redirects, when the page was fetched."""


@dataclass(frozen=True, slots=True)
class Section:
    """A run of paragraphs, optionally under a heading."""

    heading: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a narration is of: the fields an Article and its Script share."""

    title: str
    byline: str | None
    """The author(s), as the page names them."""
    date: str | None
    """Publication date, ISO 8601: the day (YYYY-MM-DD), or the day and time with the page's
    UTC offset when it gives them (2025-02-03T18:46:00+02:00)."""
    site: str | None
    """The publication's name, e.g. "The Kyiv Independent"."""
    url: str | None
    """Canonical URL of the article."""
    language: str | None
    """BCP 47 language tag, e.g. "en": an article's as detected from its text, None when it is
    too short to tell; a script's is the language it is read in."""
    image: str | None = field(default=None, kw_only=True)
    """The article's own picture (its page's og:image), an absolute http(s) URL: the cover."""


@dataclass(frozen=True, slots=True)
class Article(Metadata):
    """What a listener should hear of a page, with its metadata."""

    sections: tuple[Section, ...]

    @property
    def text(self) -> str:
        """The body as plain text: paragraphs separated by blank lines, headline not included."""
        blocks: list[str] = []
        for section in self.sections:
            if section.heading:
                blocks.append(section.heading)
            blocks.extend(section.paragraphs)
        return "\n\n".join(blocks)

    @property
    def texts(self) -> list[str]:
        """Every text that may be spoken: title, byline, then each heading and paragraph ("" for
        a missing byline or heading)."""
        return [self.title, self.byline or ""] + [
            text for section in self.sections for text in (section.heading or "",
                                                           *section.paragraphs)]


@dataclass(frozen=True, slots=True)
class Pronunciation:
    """How one word was said, and who decided it."""

    word: str
    phonemes: str
    """The voice's phonemes (espeak IPA), as sent inside `[[ … ]]` or produced by espeak."""
    source: PronunciationSource
    """user lexicon (a request's or file's), the site lexicon (the service's own, edited at its
    desk), built-in lexicon, the Ukrainian stress dictionary (its stress on the rules' sounds),
    Ukrainian rule, or espeak's own rules."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """One unit of synthesis."""

    text: str
    """The sentence as written in the article."""
    spoken: str
    """Exactly what the voice receives: normalised text with `[[ phonemes ]]` blocks."""
    pronunciations: tuple[Pronunciation, ...] = ()
    """The overrides applied to this sentence (lexicon and rule decisions)."""
    pause_after_ms: int = 0
    """Silence after the sentence: longer at paragraph and chapter ends."""
    rate: float = 1.0
    """Speaking rate relative to the narration's speed (SSML `prosody rate`, `emphasis`): 0.8
    says it a fifth slower, its audio a quarter longer."""


@dataclass(frozen=True, slots=True)
class Chapter:
    title: str
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True, slots=True)
class Script(Metadata):
    """Everything that will be said, in order, grouped into chapters."""

    chapters: tuple[Chapter, ...]
    chaptered: bool = True
    """False when the user asked for no chapter marks (`--chapters none`)."""

    @classmethod
    def of(cls, about: Metadata, chapters: tuple[Chapter, ...], chaptered: bool = True) -> Script:
        """The script of what `about` describes (an Article), with its metadata."""
        return cls(about.title, about.byline, about.date, about.site, about.url, about.language,
                   chapters, chaptered, image=about.image)

    @property
    def sentences(self) -> Iterator[Sentence]:
        for chapter in self.chapters:
            yield from chapter.sentences

    @property
    def sentence_count(self) -> int:
        return sum(len(chapter.sentences) for chapter in self.chapters)


@dataclass(frozen=True, slots=True)
class SentenceAudio:
    """The audio of one sentence, as synthesis yields it."""

    index: int
    """Position of the sentence in `Script.sentences`."""
    pcm: bytes
    """Mono signed 16-bit little-endian samples of the speech, loudness-normalised."""
    pause_samples: int
    """Silence to place after the speech."""
    word_samples: tuple[tuple[int, int], ...] = ()
    """(first sample, end sample) in `pcm` of each unit of the sentence's spoken text (its words,
    a `[[ phonemes ]]` block as one), as the voice says them."""

    @property
    def speech_samples(self) -> int:
        return len(self.pcm) // 2


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the rendition, in milliseconds from the start."""

    start_ms: int
    end_ms: int

    @property
    def start_s(self) -> float:
        """Seconds, as players and chapter formats count them."""
        return self.start_ms / 1000

    @property
    def end_s(self) -> float:
        return self.end_ms / 1000


@dataclass(frozen=True, slots=True)
class TimedWord:
    """A word as the reader sees it, and when it is heard."""

    text: str
    """As written: "$1.5 billion" (said "one point five billion dollars"), "Kharkiv Oblast"
    (one block of phonemes) count as one."""
    sentence: int
    """Position of its sentence in `Script.sentences`."""
    start_char: int
    """Where it starts in its sentence's text."""
    end_char: int
    start_ms: int
    end_ms: int
    """Equal to `start_ms` for a word not said (a citation mark such as "[2]")."""


@dataclass(frozen=True, slots=True)
class Rendition:
    """The whole narration's exact sample positions of every sentence, with its PCM when kept.

    Without PCM it is the timings of audio made already: what the service stores of a finished
    article to place chapters and transcripts.
    """

    sample_rate_hz: int
    sentence_samples: tuple[tuple[int, int], ...]
    """(first sample, end sample) of each sentence's speech, in script order."""
    pcm: bytes = field(default=b"", repr=False)
    """Mono signed 16-bit little-endian samples, pauses included; empty when the audio went
    straight to the encoder and was not kept (long articles keep memory flat that way)."""
    length_samples: int | None = None
    """Samples in all, when `pcm` is not kept."""
    word_samples: tuple[tuple[tuple[int, int], ...], ...] = ()
    """Per sentence, (first sample, end sample) of each unit of its spoken text (see
    `SentenceAudio.word_samples`); empty for timings stored before words were timed."""

    def without_pcm(self) -> Rendition:
        """The timings alone."""
        return Rendition(self.sample_rate_hz, self.sentence_samples,
                         length_samples=self.total_samples, word_samples=self.word_samples)

    @property
    def total_samples(self) -> int:
        return len(self.pcm) // 2 if self.length_samples is None else self.length_samples

    @property
    def duration_ms(self) -> int:
        return self.total_samples * 1000 // self.sample_rate_hz

    def sentence_spans(self) -> tuple[Span, ...]:
        rate = self.sample_rate_hz
        return tuple(Span(a * 1000 // rate, b * 1000 // rate) for a, b in self.sentence_samples)

    def chapter_spans(self, script: Script) -> tuple[Span, ...]:
        """Each chapter of `script` (whose audio this is) as a stretch of it, back to back from
        0 to the end: a later chapter starts at the first sample of its first sentence, so the
        pause before it belongs to the chapter before."""
        if len(self.sentence_samples) != script.sentence_count:
            raise ValueError(f"the rendition times {len(self.sentence_samples)} sentences,"
                             f" the script has {script.sentence_count}")
        starts: list[int] = []
        index = 0
        for chapter in script.chapters:
            starts.append(self.sentence_samples[index][0] if index < len(self.sentence_samples)
                          else self.total_samples)
            index += len(chapter.sentences)
        if starts:
            starts[0] = 0
        ends = [*starts[1:], self.total_samples]
        rate = self.sample_rate_hz
        return tuple(Span(a * 1000 // rate, b * 1000 // rate)
                     for a, b in zip(starts, ends, strict=True))
