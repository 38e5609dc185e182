"""SSML (a document whose root is `<speak>`) → Script: the subset editors send, said as written.

Parsed with the standard library's expat, refusing any DTD (so no entity but XML's own five and
character references), within MAX_DEPTH and MAX_ELEMENTS; an element or attribute outside the
subset is refused naming it and its line. Text outside say-as, sub and phoneme is normalised and
pronounced as an article's is; theirs is said exactly as they say.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from audiobrief.errors import SsmlError
from audiobrief.model import Chapter, ChapterMode, Pronunciation, Script, Sentence
from audiobrief.script import PAUSE_MS, _opening, pause_after
from audiobrief.script.lexicon import phoneme_fault
from audiobrief.script.normalize import normalize
from audiobrief.script.pronounce import Pronouncer, tuck_pauses
from audiobrief.script.say_as import DATE_FORMATS, KINDS, MAX_SAID_CHARS, SayAsError, say_as
from audiobrief.script.sentences import split_sentences

logger = logging.getLogger(__name__)

MAX_DEPTH = 32
"""Elements inside elements at most; the subset needs a handful."""
MAX_ELEMENTS = 20_000
"""Elements in one document at most (the source's byte limit bounds the rest)."""
MAX_BREAK_MS = 10_000
"""The longest silence a break (or a run of breaks) may make."""
MIN_RATE, MAX_RATE = 0.5, 2.0
"""The rates a sentence may be said at, relative to the narration's speed."""

# Which attributes each element takes: anything else is refused, so nothing is silently ignored.
ATTRIBUTES: dict[str, frozenset[str]] = {
    "speak": frozenset({"version", "xml:lang", "xmlns", "xmlns:xsi", "xsi:schemaLocation"}),
    "p": frozenset({"xml:lang"}),
    "s": frozenset({"xml:lang"}),
    "break": frozenset({"time", "strength"}),
    "sub": frozenset({"alias"}),
    "phoneme": frozenset({"alphabet", "ph"}),
    "say-as": frozenset({"interpret-as", "format"}),
    "emphasis": frozenset({"level"}),
    "prosody": frozenset({"rate"}),
    "lang": frozenset({"xml:lang"}),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "sub": ("alias",), "phoneme": ("ph",), "say-as": ("interpret-as",), "lang": ("xml:lang",),
}
# Text only inside these: what they say replaces what they hold.
_SAID = frozenset({"sub", "phoneme", "say-as"})

BREAK_STRENGTH_MS: dict[str, int] = {
    "none": 0, "x-weak": 100, "weak": 200, "medium": PAUSE_MS["sentence"],
    "strong": PAUSE_MS["paragraph"], "x-strong": PAUSE_MS["chapter"],
}  # fmt: skip
PROSODY_RATES: dict[str, float] = {
    "x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5,
}  # fmt: skip
EMPHASIS_RATES: dict[str, float] = {"strong": 0.8, "moderate": 0.9, "none": 1.0, "reduced": 1.1}
"""Piper has no stress to give: emphasis is said slower, reduced a little faster."""

_TIME = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s)")
_RATE_PERCENT = re.compile(r"([+-]?)(\d+(?:\.\d+)?)%")
_EDGE = re.compile(r"^([\s,;:]*)(.*?)([\s,;:]*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Part:
    """A stretch of a sentence: its written text, and what is said for it when that is decided
    (say-as, sub, phoneme) rather than by the normaliser and pronouncer."""

    written: str
    rate: float
    said: str | None = None
    pronunciation: Pronunciation | None = None
    pronounced: bool = True
    """Whether the pronouncer still decides the names in `said` (a sub's alias)."""


@dataclass(frozen=True, slots=True)
class _Break:
    ms: int


@dataclass(frozen=True, slots=True)
class _Boundary:
    paragraph: bool


_Event = _Part | _Break | _Boundary


@dataclass
class _Open:
    """An element whose end is not read yet."""

    tag: str
    attributes: dict[str, str]
    line: int
    rate: float
    """The rate its text is said at."""
    text: list[str] = field(default_factory=list)
    """What a say-as, sub or phoneme holds."""


def ssml_script(content: str, origin: str, pronouncer: Pronouncer, *, voice_language: str = "en",
                title: str | None = None, chapters: ChapterMode = "auto",
                normalize_text: bool = True) -> Script:
    """The script of an SSML document; SsmlError (a RequestError) naming the line of what in it
    cannot be said. One chapter, or one per `<p>` with `chapters="paragraphs"`; the title is
    `title`, else the opening words of the first sentence; no headline is said."""
    reader = _Reader(origin, pronouncer.phoneme_inventory, voice_language)
    events = reader.read(content)
    paragraphs = _Builder(pronouncer, normalize_text).build(events)
    groups = ([[paragraph] for paragraph in paragraphs] if chapters == "paragraphs"
              else [paragraphs] if paragraphs else [])
    built: list[Chapter] = []
    for number, group in enumerate(groups):
        last_chapter = number == len(groups) - 1
        sentences: list[Sentence] = []
        for p_index, paragraph in enumerate(group):
            for s_index, (sentence, pause_ms) in enumerate(paragraph):
                if pause_ms is None:
                    pause_ms = pause_after(s_index == len(paragraph) - 1,
                                           p_index == len(group) - 1, last_chapter)
                sentences.append(Sentence(sentence.text, sentence.spoken,
                                          sentence.pronunciations, pause_ms, sentence.rate))
        built.append(Chapter(_opening(sentences[0].text), tuple(sentences)))
    if not built:
        raise SsmlError(f"{origin} has nothing to say: no text in it can be spoken")
    return Script(title=title or _opening(built[0].sentences[0].text), byline=None, date=None,
                  site=None, url=None, language=reader.language, chapters=tuple(built),
                  chaptered=chapters != "none")


class _Reader:
    """Expat's events → the parts, breaks and boundaries of the document, checked as they come."""

    def __init__(self, origin: str, inventory: frozenset[str], voice_language: str) -> None:
        self.origin = origin
        self.inventory = inventory
        self.voice_language = voice_language
        self.language = voice_language.replace("_", "-")
        """The document's language: its <speak xml:lang>, else the voice's."""
        self.events: list[_Event] = []
        self.stack: list[_Open] = []
        self.elements = 0
        self.parser = expat.ParserCreate("UTF-8")  # a str is given: its declaration is moot

    def read(self, content: str) -> list[_Event]:
        parser = self.parser
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.ExternalEntityRefHandler = self._external
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.buffer_text = True
        try:
            parser.Parse(content, True)
        except expat.ExpatError as error:
            raise SsmlError(f"{self.origin} is not well-formed XML: line {error.lineno}, column "
                            f"{error.offset + 1}: {expat.ErrorString(error.code)}") from None
        return self.events

    def _fail(self, message: str) -> SsmlError:
        return SsmlError(f"{self.origin}, line {self.parser.CurrentLineNumber}: {message}")

    def _doctype(self, *_: object) -> None:
        raise self._fail("a DTD (<!DOCTYPE …>) is not accepted: SSML here declares no entities")

    def _entity(self, *_: object) -> None:
        raise self._fail("an entity declaration is not accepted")

    def _external(self, *_: object) -> int:
        raise self._fail("an external entity is not accepted")

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise self._fail(f"more than {MAX_ELEMENTS:,} elements")
        if len(self.stack) >= MAX_DEPTH:
            raise self._fail(f"elements nested more than {MAX_DEPTH} deep")
        if tag not in ATTRIBUTES:
            raise self._fail(f"<{tag}> is not supported SSML here; use one of "
                             f"{', '.join(ATTRIBUTES)}")
        if not self.stack and tag != "speak":
            raise self._fail(f"the root element must be <speak>, not <{tag}>")
        if self.stack and tag == "speak":
            raise self._fail("<speak> is the root element only")
        if self.stack and self.stack[-1].tag in _SAID:
            raise self._fail(f"<{self.stack[-1].tag}> holds text only, not <{tag}>")
        if tag in ("p", "s") and (inside := next(
                (o.tag for o in self.stack if o.tag in ("p", "s") and (tag == "p" or o.tag == "s")),
                None)):
            raise self._fail(f"<{tag}> cannot be inside <{inside}>")
        for name in attributes:
            if name not in ATTRIBUTES[tag]:
                allowed = ", ".join(sorted(ATTRIBUTES[tag])) or "none"
                raise self._fail(f"<{tag} {name}> is not supported SSML here; <{tag}> takes "
                                 f"{allowed}")
        for name in REQUIRED.get(tag, ()):
            if not attributes.get(name, "").strip():
                raise self._fail(f"<{tag}> needs its {name} attribute")
        rate = self.stack[-1].rate if self.stack else 1.0
        rate = _STARTS[tag](self, attributes, rate)
        self.stack.append(_Open(tag, attributes, self.parser.CurrentLineNumber, rate))

    def _end(self, tag: str) -> None:
        opened = self.stack.pop()
        if tag in ("p", "s"):
            self.events.append(_Boundary(paragraph=tag == "p"))
        elif tag in _SAID:
            self.events.append(self._said(opened))

    def _text(self, text: str) -> None:
        if not self.stack:
            return
        top = self.stack[-1]
        if top.tag in _SAID:
            top.text.append(text)
        else:
            self.events.append(_Part(text, top.rate))

    # --- each element ----------------------------------------------------------------------

    def _speak(self, attributes: dict[str, str], rate: float) -> float:
        if language := attributes.get("xml:lang", "").strip():
            self.language = language
        return rate

    def _block(self, attributes: dict[str, str], rate: float) -> float:
        self.events.append(_Boundary(paragraph=False))
        self._lang(attributes, rate)
        return rate

    def _paragraph(self, attributes: dict[str, str], rate: float) -> float:
        self.events.append(_Boundary(paragraph=True))
        self._lang(attributes, rate)
        return rate

    def _lang(self, attributes: dict[str, str], rate: float) -> float:
        language = attributes.get("xml:lang", "").strip()
        if language and _primary(language) != _primary(self.voice_language):
            # One voice says a whole narration: the text is said by it, with its names' rules.
            logger.info("%s, line %d: no voice switch for xml:lang %r; the %s voice says it",
                        self.origin, self.parser.CurrentLineNumber, language[:20],
                        self.voice_language)
        return rate

    def _break(self, attributes: dict[str, str], rate: float) -> float:
        ms = BREAK_STRENGTH_MS["medium"]
        if "strength" in attributes:
            strength = attributes["strength"].strip()
            if strength not in BREAK_STRENGTH_MS:
                raise self._fail(f"<break strength={strength[:20]!r}> is not a strength; use one"
                                 f" of {', '.join(BREAK_STRENGTH_MS)}")
            ms = BREAK_STRENGTH_MS[strength]
        if "time" in attributes:
            written = attributes["time"].strip()
            if not (match := _TIME.fullmatch(written)):
                raise self._fail(f"<break time={written[:20]!r}> is not a time such as 500ms or"
                                 " 1.5s")
            ms = round(float(match[1]) * (1 if match[2] == "ms" else 1000))
            if ms > MAX_BREAK_MS:
                raise self._fail(f"<break time={written!r}> is longer than "
                                 f"{MAX_BREAK_MS // 1000} s")
        self.events.append(_Break(ms))
        return rate

    def _emphasis(self, attributes: dict[str, str], rate: float) -> float:
        level = attributes.get("level", "moderate").strip()
        if level not in EMPHASIS_RATES:
            raise self._fail(f"<emphasis level={level[:20]!r}> is not a level; use one of "
                             f"{', '.join(EMPHASIS_RATES)}")
        return _bounded(rate * EMPHASIS_RATES[level])

    def _prosody(self, attributes: dict[str, str], rate: float) -> float:
        written = attributes.get("rate", "medium").strip()
        if written in PROSODY_RATES:
            factor = PROSODY_RATES[written]
        elif match := _RATE_PERCENT.fullmatch(written):
            value = float(match[2]) / 100
            factor = {"+": 1 + value, "-": 1 - value}.get(match[1], value)
        else:
            raise self._fail(f"<prosody rate={written[:20]!r}> is not a rate; use a percentage "
                             f"(80%, +10%) or one of {', '.join(PROSODY_RATES)}")
        if not MIN_RATE <= factor <= MAX_RATE:
            raise self._fail(f"<prosody rate={written!r}> is outside {MIN_RATE:.0%}–"
                             f"{MAX_RATE:.0%}")
        return _bounded(rate * factor)

    def _check_said(self, attributes: dict[str, str], rate: float) -> float:
        """say-as, sub, phoneme: their attributes checked at their start, where the line is."""
        if "interpret-as" in attributes:
            kind = attributes["interpret-as"].strip()
            if kind not in KINDS:
                raise self._fail(f"<say-as interpret-as={kind[:20]!r}> is not supported; use one"
                                 f" of {', '.join(KINDS)}")
            if "format" in attributes and kind != "date":
                raise self._fail("<say-as format> is for interpret-as=\"date\" only")
            if "format" in attributes and attributes["format"].strip() not in DATE_FORMATS:
                raise self._fail(f"<say-as format={attributes['format'][:20]!r}> is not a date "
                                 f"format; use one of {', '.join(sorted(DATE_FORMATS))}")
        if "alias" in attributes and len(attributes["alias"]) > MAX_SAID_CHARS:
            raise self._fail(f"<sub alias> is longer than {MAX_SAID_CHARS} characters")
        if "ph" in attributes:
            alphabet = attributes.get("alphabet", "ipa").strip()
            if alphabet != "ipa":
                raise self._fail(f"<phoneme alphabet={alphabet[:20]!r}> is not supported; use "
                                 "ipa (the voice's espeak phonemes)")
            phonemes = attributes["ph"].strip()
            if fault := phoneme_fault(phonemes, self.inventory, "the voice", "<phoneme ph>"):
                raise self._fail(fault)
        return rate

    def _said(self, opened: _Open) -> _Part:
        """What a say-as, sub or phoneme says for the text it holds."""
        written = " ".join("".join(opened.text).split())
        attributes = opened.attributes
        if opened.tag == "sub":
            return _Part(written, opened.rate, " ".join(attributes["alias"].split()))
        if opened.tag == "phoneme":
            phonemes = " ".join(attributes["ph"].split())
            return _Part(written, opened.rate, f"[[ {phonemes} ]]",
                         Pronunciation(written or phonemes, phonemes, "user"), pronounced=False)
        try:
            said = say_as(attributes["interpret-as"].strip(), written,
                          attributes.get("format", "").strip() or None)
        except SayAsError as error:
            raise SsmlError(f"{self.origin}, line {opened.line}: <say-as interpret-as="
                            f"\"{attributes['interpret-as'].strip()}\"> {error}") from None
        return _Part(written, opened.rate, said, pronounced=False)


_STARTS: dict[str, Callable[[_Reader, dict[str, str], float], float]] = {
    "speak": _Reader._speak, "p": _Reader._paragraph, "s": _Reader._block,
    "lang": _Reader._lang, "break": _Reader._break, "emphasis": _Reader._emphasis,
    "prosody": _Reader._prosody, "say-as": _Reader._check_said, "sub": _Reader._check_said,
    "phoneme": _Reader._check_said,
}


def _primary(language: str) -> str:
    return re.split(r"[-_]", language, maxsplit=1)[0].casefold()


def _bounded(rate: float) -> float:
    return round(min(MAX_RATE, max(MIN_RATE, rate)), 3)


_Draft = tuple[Sentence, int | None]
"""A sentence, and the pause after it when a break set it (else the usual one)."""


class _Builder:
    """The document's events → paragraphs of sentences: text between `<s>`, `<p>` and breaks is
    split into sentences as an article's paragraph is; a break ends the sentence before it and
    is the silence after it."""

    def __init__(self, pronouncer: Pronouncer, normalize_text: bool) -> None:
        self.pronouncer = pronouncer
        self.normalize_text = normalize_text
        self.paragraphs: list[list[_Draft]] = [[]]
        self.run: list[_Part] = []

    def build(self, events: list[_Event]) -> list[list[_Draft]]:
        for event in events:
            if isinstance(event, _Part):
                self.run.append(event)
            elif isinstance(event, _Boundary):
                self._flush()
                if event.paragraph and self.paragraphs[-1]:
                    self.paragraphs.append([])
            elif event.ms > 0 and self._speakable():
                self._flush()
                self._pause(event.ms)
            elif not self._speakable():
                self._pause(event.ms)
        self._flush()
        return [paragraph for paragraph in self.paragraphs if paragraph]

    def _speakable(self) -> bool:
        return any(part.said is not None or part.written.strip() for part in self.run)

    def _pause(self, ms: int) -> None:
        """A break after the last sentence: its silence, added to any break just before it."""
        last = next((paragraph for paragraph in reversed(self.paragraphs) if paragraph), None)
        if last is None:
            return  # nothing said yet: a narration starts when its first word does
        sentence, pause_ms = last[-1]
        last[-1] = (sentence, min(MAX_BREAK_MS, (pause_ms or 0) + ms))

    def _flush(self) -> None:
        run, self.run = self.run, []
        if not any(part.said is not None or part.written.strip() for part in run):
            return
        for parts in _sentence_parts(run):
            if (sentence := self._sentence(parts)) is not None:
                self.paragraphs[-1].append((sentence, None))

    def _sentence(self, parts: list[_Part]) -> Sentence | None:
        """One sentence of parts: plain text normalised and pronounced as an article's, each
        part keeping the white space and the clause marks (, ; :) written at its edges."""
        spoken: list[str] = []
        pronunciations: list[Pronunciation] = []
        for part in parts:
            if part.said is None:
                lead, core, trail = _EDGE.fullmatch(part.written).groups()  # type: ignore[union-attr]
                said = normalize(core) if self.normalize_text and core else core
                said, decided = self.pronouncer.apply(said)
                spoken.append(lead + said + trail)
            else:
                said, decided = (self.pronouncer.apply(part.said) if part.pronounced
                                 else (part.said, ()))
                spoken.append(said)
                if part.pronunciation is not None:
                    decided = (*decided, part.pronunciation)
            pronunciations.extend(decided)
        said_text = re.sub(r"\s+([,;:.!?])", r"\1", " ".join("".join(spoken).split()))
        said_text = tuck_pauses(re.sub(r"^[,;:\s]+|[,;:\s]+$", "", said_text))
        if not said_text.strip(" ,;:.!?"):
            return None
        return Sentence(text=" ".join("".join(part.written for part in parts).split()),
                        spoken=said_text, pronunciations=tuple(pronunciations), rate=_rate(parts))


def _sentence_parts(run: list[_Part]) -> list[list[_Part]]:
    """The parts of a run of text cut into sentences: split as one paragraph (what say-as, sub
    and phoneme hold standing for them), each part in the sentence where it starts, a plain one
    cut where a sentence ends inside it."""
    probe = "".join(part.written for part in run)
    sentences = split_sentences(probe)
    ends = []  # non-space characters up to the end of each sentence
    total = 0
    for sentence in sentences:
        total += sum(1 for char in sentence if not char.isspace())
        ends.append(total)
    if total != sum(1 for char in probe if not char.isspace()):
        ends = [total]  # the splitter changed the text: say the run as one sentence
    cut: list[list[_Part]] = [[] for _ in ends] or [[]]
    seen = 0  # non-space characters before the current one

    def sentence_at(count: int) -> int:
        return min(bisect.bisect_right(ends, count), len(ends) - 1)

    for part in run:
        if part.said is not None:
            cut[sentence_at(seen)].append(part)
            seen += sum(1 for char in part.written if not char.isspace())
            continue
        start, index = 0, sentence_at(seen)
        for position, char in enumerate(part.written):
            if char.isspace():
                continue
            if (now := sentence_at(seen)) != index:
                cut[index].append(_Part(part.written[start:position], part.rate))
                start, index = position, now
            seen += 1
        cut[index].append(_Part(part.written[start:], part.rate))
    return [parts for parts in cut if parts]


def _rate(parts: list[_Part]) -> float:
    """A sentence's rate: its parts' rates weighed by their written length (Piper says a
    sentence at one rate)."""
    weights = [(max(1, len(part.written.strip())), part.rate) for part in parts
               if part.said is not None or part.written.strip()]
    if not weights:
        return 1.0
    return _bounded(sum(w * r for w, r in weights) / sum(w for w, _ in weights))
