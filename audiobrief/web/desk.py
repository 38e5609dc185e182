"""The pronunciation desk: the site lexicon's API under /v1/lexicon (read by anyone, changed with a
key), the desk's own calls under /v1/desk (a script with who decided each name, the names no
lexicon decided lately, a respelling's phonemes), and the /desk page editors use them from."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import html
import re
from importlib import resources
from typing import Annotated, Any, cast

import anyio
import msgspec
from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, Parameter

from audiobrief import pipeline
from audiobrief.errors import NotFoundError
from audiobrief.script.rescript import unpronounced
from audiobrief.service.jobs import Service
from audiobrief.service.site_lexicon import SiteEntry, checked_phonemes, remake
from audiobrief.service.unsettled import ALWAYS_CAPITALISED, UNSETTLED_SOURCES, unsettled
from audiobrief.voices import espeak_phonemes, find_voice
from audiobrief.web.intake import Fetches, source_of
from audiobrief.web.problems import Declared, answer, route_responses
from audiobrief.web.routes import KEYED, require_key
from audiobrief.web.schemas import ArticleRequest, Links, Phonemes

MAX_PER_PAGE = 200
_WORD = re.compile(r"[^\W\d_]+")
MAX_UNSETTLED_ARTICLES = 200
MAX_UNSETTLED_WORDS = 200
SEARCH_CHARS = 100

Respelling = Annotated[str, msgspec.Meta(min_length=1, max_length=200,
                                         pattern=r"^[^\t\n\r]+$")]
Note = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\t\n\r]*$")]
VoiceName = Annotated[str, msgspec.Meta(max_length=200)]


class LexiconEntry(msgspec.Struct):
    """A word of the site lexicon."""

    word: str
    phonemes: str
    """The voice's phonemes (espeak IPA), as sent inside `[[ … ]]`."""
    respelling: str | None
    """What the editor wrote instead of phonemes ("koo-LEH-bah"), if they did."""
    note: str
    updated_at: str
    """When it was last set (ISO 8601, UTC)."""

    @classmethod
    def of(cls, entry: SiteEntry) -> LexiconEntry:
        when = datetime.datetime.fromtimestamp(entry.updated_at, datetime.UTC)
        return cls(entry.word, entry.phonemes, entry.respelling, entry.note,
                   when.isoformat(timespec="seconds").replace("+00:00", "Z"))


class LexiconPage(msgspec.Struct):
    entries: list[LexiconEntry]
    total: int
    """Entries matching the search in all."""
    page: int
    per_page: int


class LexiconChange(msgspec.Struct, forbid_unknown_fields=True):
    """A word's pronunciation: exactly one of `phonemes` or `respelling`."""

    phonemes: Phonemes | None = None
    """The voice's phonemes (espeak IPA), checked against the voice."""
    respelling: Respelling | None = None
    """Syllables with the stressed one in capitals ("koo-LEH-bah"), or plain English spelling
    that sounds right ("cool a bah"), made into phonemes by the voice's phonemizer."""
    note: Note = ""
    voice: VoiceName | None = None
    """The voice it is checked against (the default voice without one)."""


class Remade(msgspec.Struct):
    was: str
    """The article's id before."""
    id: str
    """Its id now: the spoken script changed, so the audio is a new article of the same URL."""
    status: str
    new: bool
    """False when the same remake was queued before."""
    sentences: int
    """The sentences synthesised again; the others come from the sentence cache."""
    links: Links


class Applied(msgspec.Struct):
    word: str
    remade: list[Remade]


class Segment(msgspec.Struct, omit_defaults=True):
    """A stretch of a sentence as the voice reads it: a name (with who decided how it is said)
    or the text between."""

    text: str
    source: str | None = None
    """user, site, lexicon (built-in), dictionary, rule or espeak; none for plain text."""
    phonemes: str | None = None


class DeskSentence(msgspec.Struct):
    said: str
    """Exactly what the voice receives (`[[ phonemes ]]` blocks in it)."""
    segments: list[Segment]


class DeskChapter(msgspec.Struct):
    title: str
    sentences: list[DeskSentence]


class DeskScript(msgspec.Struct):
    title: str
    language: str | None
    voice: str
    chapters: list[DeskChapter]


class UnsettledWord(msgspec.Struct):
    word: str
    source: str
    """rule (the Ukrainian rules) or espeak."""
    articles: int
    times: int
    phonemes: str


class UnsettledWords(msgspec.Struct):
    articles: int
    """Articles looked at."""
    words: list[UnsettledWord]


class PhonemesRequest(msgspec.Struct, forbid_unknown_fields=True):
    word: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] = "word"
    phonemes: Phonemes | None = None
    respelling: Respelling | None = None
    voice: VoiceName | None = None


class PhonemesAnswer(msgspec.Struct):
    phonemes: str


def _service(request: Request[Any, Any, Any]) -> Service:
    return cast(Service, request.app.state.service)


def _entry(service: Service, word: str) -> SiteEntry:
    entry = service.site_lexicon.get(word)
    if entry is None:
        raise NotFoundError(f"the site lexicon has no {word[:100]!r}")
    return entry


# The site lexicon ------------------------------------------------------------------------------

@get("/v1/lexicon", sync_to_thread=False, operation_class=Declared,
     responses=route_responses("GET", "/v1/lexicon"))
def lexicon_list(
    request: Request[Any, Any, Any],
    q: Annotated[str, Parameter(max_length=SEARCH_CHARS,
                                description="Words (or notes) holding this")] = "",
    page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Parameter(ge=1, le=MAX_PER_PAGE)] = 50,
) -> LexiconPage:
    """The site lexicon, by word, a page at a time; `q` searches words and notes."""
    entries, total = _service(request).site_lexicon.search(q, per_page, (page - 1) * per_page)
    return LexiconPage([LexiconEntry.of(entry) for entry in entries], total, page, per_page)


@get("/v1/lexicon/{word:str}", sync_to_thread=False, operation_class=Declared,
     responses=route_responses("GET", "/v1/lexicon/{word}"))
def lexicon_entry(request: Request[Any, Any, Any], word: FromPath[str]) -> LexiconEntry:
    """One word of the site lexicon (matched as lexicons match: any case, either apostrophe)."""
    return LexiconEntry.of(_entry(_service(request), word))


@put("/v1/lexicon/{word:str}", guards=[require_key], security=KEYED, operation_class=Declared,
     responses=route_responses("PUT", "/v1/lexicon/{word}", {
         200: answer("The word's entry was replaced.", "application/json", LexiconEntry),
         201: answer("The word is new to the site lexicon.", "application/json", LexiconEntry),
     }))
async def lexicon_put(request: Request[Any, Any, Any], word: FromPath[str],
                      data: JSONBody[LexiconChange]) -> Response[LexiconEntry]:
    """Set how the site says a word: it beats the built-in lexicon for every new article (a
    request's own lexicon beats it). Articles made already change only when applied."""
    service = _service(request)

    def store() -> tuple[SiteEntry, bool]:
        voice = find_voice(data.voice or service.settings.voice, service.settings.voices)
        return service.site_lexicon.set(word, phonemes=data.phonemes,
                                        respelling=data.respelling, note=data.note, voice=voice)

    entry, created = await anyio.to_thread.run_sync(store)
    return Response(LexiconEntry.of(entry), status_code=201 if created else 200)


@delete("/v1/lexicon/{word:str}", guards=[require_key], sync_to_thread=False, status_code=204,
        security=KEYED,
        operation_class=Declared, responses=route_responses("DELETE", "/v1/lexicon/{word}"))
def lexicon_delete(request: Request[Any, Any, Any], word: FromPath[str]) -> None:
    """Take a word out of the site lexicon (204 whether or not it was there)."""
    _service(request).site_lexicon.delete(word)


@post("/v1/lexicon/{word:str}/apply", guards=[require_key], security=KEYED, status_code=202,
      operation_class=Declared, responses=route_responses("POST", "/v1/lexicon/{word}/apply"))
async def lexicon_apply(request: Request[Any, Any, Any], word: FromPath[str]) -> Applied:
    """Make again the recently finished articles that say this word, with the site lexicon as
    it is now: only the sentences that say it are synthesised again. Each becomes a new article
    (a new id) of its URL, which lookups by URL answer once it is done."""
    service = _service(request)
    remade = await anyio.to_thread.run_sync(remake, service, word)
    return Applied(word, [Remade(item.was, item.record.id, item.record.status, item.new,
                                 item.sentences, Links.of(item.record.id)) for item in remade])


# The desk's own calls --------------------------------------------------------------------------

@post("/v1/desk/script", guards=[require_key], status_code=200, operation_class=Declared,
      security=KEYED,
      responses=route_responses("POST", "/v1/desk/script"))
async def desk_script(request: Request[Any, Any, Any],
                      data: JSONBody[ArticleRequest]) -> DeskScript:
    """The script an article would be read from (nothing is queued), each name marked with who
    decided how it is said: the request's lexicon, the site's, the built-in one, the Ukrainian
    stress dictionary or rules, or espeak."""
    service = _service(request)
    fetches: Fetches = request.app.state.fetches
    posted = any(getattr(data, name) is not None for name in ("html", "text", "ssml"))
    pool = fetches.posted if posted else fetches.urls
    return await pool.run(lambda: _desk_script(service, data))


def _desk_script(service: Service, request: ArticleRequest) -> DeskScript:
    settings = service.settings
    request.validate(settings)
    site = service.site_lexicon.lexicon()
    options = dataclasses.replace(request.options(), site_lexicon=site)
    script = pipeline.prepare(source_of(request, settings), settings, options,
                              refuse_private=True)
    spec = pipeline.voice_spec(settings, options, script.language)
    pronouncer = pipeline.pronouncer(spec, options.lexicons, options.lexicon_entries, site)
    plains = [[unpronounced(sentence) for sentence in chapter.sentences]
              for chapter in script.chapters]
    # A name left to espeak is capitalised within a sentence somewhere, and never written in
    # lower case ("The", "Officials" open sentences; "Talks" opens a headline).
    words = [_WORD.findall(text) for texts in plains for text in texts]
    names = {word.casefold() for said in words for word in said[1:] if word[:1].isupper()}
    names -= ALWAYS_CAPITALISED | {word.casefold() for said in words for word in said
                                   if word[:1].islower()}
    chapters = []
    for chapter, texts in zip(script.chapters, plains, strict=True):
        sentences = []
        for sentence, plain in zip(chapter.sentences, texts, strict=True):
            segments: list[Segment] = []
            cursor = 0
            for start, end, said in pronouncer.spans(plain):
                if said.source == "espeak" and said.word.casefold() not in names:
                    continue  # a common word: part of the plain text around the names
                if start > cursor:
                    segments.append(Segment(plain[cursor:start]))
                segments.append(Segment(plain[start:end], said.source, said.phonemes))
                cursor = end
            if cursor < len(plain):
                segments.append(Segment(plain[cursor:]))
            sentences.append(DeskSentence(sentence.spoken, segments))
        chapters.append(DeskChapter(chapter.title, sentences))
    return DeskScript(script.title, script.language, spec.name, chapters)


@get("/v1/desk/unsettled", guards=[require_key], security=KEYED, operation_class=Declared,
     responses=route_responses("GET", "/v1/desk/unsettled"))
async def desk_unsettled(
    request: Request[Any, Any, Any],
    articles: Annotated[int, Parameter(ge=1, le=MAX_UNSETTLED_ARTICLES,
                                       description="How many recent articles to look at")] = 20,
    limit: Annotated[int, Parameter(ge=1, le=MAX_UNSETTLED_WORDS)] = 50,
) -> UnsettledWords:
    """The names the most recently finished articles left to the rules or to espeak (no lexicon
    has them), in the most articles first: what listeners hear that no editor has checked."""
    service = _service(request)

    def gather() -> UnsettledWords:
        words, looked_at = unsettled(service, articles, limit)
        espeak_voice = find_voice(service.settings.voice, service.settings.voices).espeak_voice
        return UnsettledWords(looked_at, [
            UnsettledWord(word.word, word.source, word.articles, word.times,
                          word.phonemes or espeak_phonemes(espeak_voice, word.word))
            for word in words if word.source in UNSETTLED_SOURCES])

    return await anyio.to_thread.run_sync(gather)


@post("/v1/desk/phonemes", guards=[require_key], status_code=200, operation_class=Declared,
      security=KEYED,
      responses=route_responses("POST", "/v1/desk/phonemes"))
async def desk_phonemes(request: Request[Any, Any, Any],
                        data: JSONBody[PhonemesRequest]) -> PhonemesAnswer:
    """The phonemes a lexicon entry would have (from a respelling, or phonemes checked against
    the voice), stored nowhere: to hear a fix before saving it."""
    settings = _service(request).settings

    def check() -> str:
        voice = find_voice(data.voice or settings.voice, settings.voices)
        return checked_phonemes(data.word, phonemes=data.phonemes, respelling=data.respelling,
                                voice=voice)

    return PhonemesAnswer(await anyio.to_thread.run_sync(check))


# The page --------------------------------------------------------------------------------------

@functools.cache
def _asset(name: str) -> str:
    """A file from audiobrief/web/static, read once per process."""
    return resources.files("audiobrief").joinpath("web", "static", name).read_text(
        encoding="utf-8")


@get("/desk", sync_to_thread=False, media_type="text/html", operation_class=Declared,
     responses=route_responses("GET", "/desk"))
def desk_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The pronunciation desk: check an article's names, hear them, fix them for the site."""
    settings = _service(request).settings
    # Placeholders replaced, not str.format: the page's CSS and JS are full of braces.
    page = (_asset("desk.html").replace("/*DESK_CSS*/", _asset("desk.css"))
            .replace("/*DESK_JS*/", _asset("desk.js"))
            .replace("__VOICE__", html.escape(settings.voice))
            .replace("__KEYED__", "true" if settings.api_keys else "false"))
    return Response(page, media_type="text/html", headers={"Cache-Control": "no-cache"})


ROUTES = [lexicon_list, lexicon_entry, lexicon_put, lexicon_delete, lexicon_apply, desk_script,
          desk_unsettled, desk_phonemes, desk_page]
