"""The site lexicon: the pronunciations a newsroom's editors set for the whole site, stored by the
service (a table of its own beside the job table: SQLite embedded, PostgreSQL distributed), read
as a `Lexicon` that beats the built-in one and is beaten by a request's own (`pipeline.Options`).

An entry is written as phonemes (checked against the voice) or as a respelling ("koo-LEH-bah",
turned into phonemes by the voice's phonemizer, `script.respelling`). A change takes effect for
new requests at once; finished articles are made again only when asked (`remake`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from audiobrief import pipeline
from audiobrief.errors import (
    AudiobriefError,
    ConflictError,
    LanguageError,
    LexiconError,
    RequestError,
    VoiceNotFoundError,
)
from audiobrief.model import Script
from audiobrief.script.lexicon import Entry, Lexicon, lexicon_key, phoneme_fault, word_fault
from audiobrief.script.rescript import rescript, user_entries
from audiobrief.script.respelling import respelled
from audiobrief.service.sqlite import connect as sqlite_connect
from audiobrief.service.sqlite import create as create_sqlite
from audiobrief.settings import Settings
from audiobrief.voices import VoiceSpec

if TYPE_CHECKING:
    from audiobrief.service.backends import Record
    from audiobrief.service.jobs import Service

logger = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
"""Entries the site lexicon holds at most: each is looked up for every word of every article."""
MAX_NOTE_CHARS = 500
REMAKE_SCAN = 1_000
"""The most recently finished articles `remake` looks through for the word."""
RECHECK_S = 1.0
"""How often the table is asked whether another node changed it (a PUT elsewhere takes effect
here within this long; this node's own changes at once)."""


@dataclass(frozen=True, slots=True)
class SiteEntry:
    """One word of the site lexicon as stored."""

    word: str
    """As the editor wrote it; written with a capital, it matches only capitalised text."""
    phonemes: str
    """The voice's phonemes, as given or made from `respelling`."""
    respelling: str | None
    """What the editor wrote instead of phonemes, if they did."""
    note: str
    updated_at: float

    @property
    def key(self) -> str:
        return lexicon_key(self.word)


class SiteTable(Protocol):
    """Where the entries are kept, one row per lexicon key."""

    def get(self, key: str) -> SiteEntry | None: ...

    def put(self, entry: SiteEntry, max_entries: int) -> bool:
        """Store `entry` under its key, replacing the key's entry; whether it is new. Refuses
        (LexiconError) a new key past `max_entries`, counted and stored in one transaction."""
        ...

    def delete(self, key: str) -> bool:
        """Whether there was an entry to delete."""
        ...

    def search(self, query: str, limit: int, offset: int = 0) -> tuple[list[SiteEntry], int]:
        """Entries whose key or note holds `query` (all when empty), by key; and how many in
        all."""
        ...

    def revision(self) -> tuple[int, float]:
        """Changes whenever an entry is stored or deleted (entries, last change)."""
        ...

    def all(self) -> list[SiteEntry]: ...


class SiteLexicon:
    """The site lexicon: entries checked and stored, read back as one `Lexicon`, kept in memory
    until the table changes."""

    def __init__(self, table: SiteTable, settings: Settings,
                 max_entries: int = MAX_ENTRIES) -> None:
        self.table = table
        self.settings = settings
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, float], Lexicon] | None = None
        self._checked_at = -1e9

    @classmethod
    def open(cls, settings: Settings) -> SiteLexicon:
        """The site lexicon of the service these settings describe: in its PostgreSQL database
        when distributed, else in the data directory's SQLite file."""
        if settings.distributed:
            from audiobrief.service.postgres_lexicon import PostgresSiteTable

            assert settings.database_url
            return cls(PostgresSiteTable(settings.database_url), settings)
        return cls(SqliteSiteTable(settings.data / "audiobrief.sqlite3"), settings)

    def lexicon(self) -> Lexicon:
        """Every entry, as a lexicon (read again when the table has changed)."""
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._checked_at < RECHECK_S:
                return self._cached[1]
            self._checked_at = now
            try:
                revision = self.table.revision()
                if self._cached is None or self._cached[0] != revision:
                    entries = [Entry(entry.word, entry.phonemes, entry.note, "site")
                               for entry in self.table.all()]
                    self._cached = (revision, Lexicon(entries))
            except Exception as error:
                # A request is not failed for the editors' table (a full disk, a database
                # away): it is said with the entries read last, and the table read again later.
                logger.warning("the site lexicon could not be read (%s); using the entries read"
                               " before", error)
                if self._cached is None:
                    return Lexicon(())
            return self._cached[1]

    def get(self, word: str) -> SiteEntry | None:
        return self.table.get(lexicon_key(word))

    def set(self, word: str, *, phonemes: str | None = None, respelling: str | None = None,
            note: str = "", voice: VoiceSpec) -> tuple[SiteEntry, bool]:
        """Store `word`'s pronunciation, given as exactly one of `phonemes` or `respelling`;
        (the entry, whether it is new). LexiconError names the field at fault."""
        word = " ".join(word.split())
        said = checked_phonemes(word, phonemes=phonemes, respelling=respelling, voice=voice)
        if len(note) > MAX_NOTE_CHARS:
            raise _at(RequestError(f"note: longer than {MAX_NOTE_CHARS} characters"), "note")
        entry = SiteEntry(word, said, respelling, note.strip(), time.time())
        created = self.table.put(entry, self.max_entries)
        self._changed()
        return entry, created

    def delete(self, word: str) -> bool:
        deleted = self.table.delete(lexicon_key(word))
        self._changed()
        return deleted

    def search(self, query: str, limit: int, offset: int = 0) -> tuple[list[SiteEntry], int]:
        return self.table.search(lexicon_key(query), limit, offset)

    def _changed(self) -> None:
        with self._lock:
            self._checked_at = -1e9


def checked_phonemes(word: str, *, phonemes: str | None = None, respelling: str | None = None,
                     voice: VoiceSpec) -> str:
    """The phonemes an entry for `word` would have, given as exactly one of `phonemes` or
    `respelling`, checked against `voice`; LexiconError (or RequestError) names the field at
    fault."""
    if fault := word_fault(word):
        raise _at(LexiconError(f"word: {fault}"), "word")
    if (phonemes is None) == (respelling is None):
        raise _at(RequestError("give exactly one of phonemes or respelling"), "phonemes")
    if respelling is not None:
        try:
            phonemes = respelled(respelling, voice.espeak_voice)
        except LexiconError as error:
            raise _at(LexiconError(f"respelling: {error}"), "respelling") from None
        field = "respelling"
    else:
        assert phonemes is not None
        phonemes, field = phonemes.strip(), "phonemes"
    if not phonemes:
        raise _at(LexiconError(f"{field}: there are no phonemes"), field)
    if fault := phoneme_fault(phonemes, voice.phonemes, voice.name, repr(word)):
        raise _at(LexiconError(f"{field}: {fault}"), field)
    return phonemes


def _at(error: AudiobriefError, field: str) -> AudiobriefError:
    """`error`, naming the field at fault (its HTTP answer carries it as `field`)."""
    return error.for_field(field).with_extra(field=field)


@dataclass(frozen=True, slots=True)
class Remade:
    """A finished article made again after a lexicon change."""

    was: str
    """The article's id before."""
    record: Record
    """The article now (a new id: its spoken script changed), queued or found."""
    new: bool
    """Whether it was queued now (False: the same remake was asked for before)."""
    sentences: int
    """Sentences that say something else now, the only ones synthesised again."""


def remake(service: Service, word: str, scan: int = REMAKE_SCAN) -> list[Remade]:
    """Queue again, with the lexicons as they are now, each of the `scan` most recently
    finished (bound) articles whose script mentions `word`: only the sentences that mention it
    are pronounced again, so the others' audio comes from the sentence cache. The newest
    article of each URL only: an older one is an earlier version.

    Each is submitted like a new script of its URL (`Service.submit`): its spoken script
    changed, so it is a new article (a new id) of the same source URL, which lookups by URL
    answer once it is done; the earlier audio stays until evicted or deleted.
    """
    key = lexicon_key(word)
    if not key:
        raise _at(LexiconError("word: the word is empty"), "word")
    site = service.site_lexicon.lexicon()
    seen_urls: set[str] = set()
    remade: list[Remade] = []
    for record in finished(service, scan):
        if record.source_url is not None:
            if record.source_url in seen_urls:
                continue
            seen_urls.add(record.source_url)
        try:
            script, changed = _rescripted(service.settings, record, word, site)
        except (VoiceNotFoundError, LanguageError) as error:  # its voice is gone: left as is
            logger.warning("article %s is not made again: %s", record.id, error)
            continue
        if not changed:
            continue
        options = pipeline.Options(voice=record.voice, speed=record.speed)
        now, new = service.submit(script, options, record.source_url, url_bound=record.bound)
        logger.info("article %s made again as %s: %d sentence(s) say %r otherwise", record.id,
                    now.id, changed, word)
        remade.append(Remade(record.id, now, new, changed))
    return remade


def finished(service: Service, scan: int) -> Iterator[Record]:
    page = 100
    for offset in range(0, scan, page):
        records = service.jobs.finished(min(page, scan - offset), offset)
        yield from records
        if len(records) < page:
            return


def _rescripted(settings: Settings, record: Record, word: str,
                site: Lexicon) -> tuple[Script, int]:
    spec = pipeline.voice_spec(settings, pipeline.Options(voice=record.voice),
                               record.script.language)
    # The request's own lexicon is not stored, but what it decided is: kept as entries.
    pronouncer = pipeline.pronouncer(spec, entries=user_entries(record.script), site=site)
    return rescript(record.script, pronouncer, word)


# SQLite ---------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS site_lexicon (
    key TEXT PRIMARY KEY,
    word TEXT NOT NULL,
    phonemes TEXT NOT NULL,
    respelling TEXT,
    note TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
"""
_COLUMNS = "word, phonemes, respelling, note, updated_at"


def entry_of(row: Any) -> SiteEntry:
    return SiteEntry(row[0], row[1], row[2], row[3], float(row[4]))


def like_pattern(query: str) -> str:
    """`query` as a LIKE pattern matching it anywhere, its own % and _ taken literally."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqliteSiteTable:
    """The site lexicon's table in the data directory's SQLite file (beside the job table)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        create_sqlite(self.path, _SCHEMA)

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return sqlite_connect(self.path)

    def get(self, key: str) -> SiteEntry | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM site_lexicon WHERE key = ?",
                             (key,)).fetchone()
        return entry_of(row) if row else None

    def put(self, entry: SiteEntry, max_entries: int) -> bool:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                exists = db.execute("SELECT 1 FROM site_lexicon WHERE key = ?",
                                    (entry.key,)).fetchone() is not None
                if not exists:
                    count = db.execute("SELECT COUNT(*) FROM site_lexicon").fetchone()[0]
                    if count >= max_entries:
                        raise full(max_entries)
                db.execute(
                    "INSERT INTO site_lexicon (key, word, phonemes, respelling, note, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET word ="
                    " excluded.word, phonemes = excluded.phonemes, respelling ="
                    " excluded.respelling, note = excluded.note, updated_at ="
                    " excluded.updated_at",
                    (entry.key, *dataclasses.astuple(entry)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return not exists

    def delete(self, key: str) -> bool:
        with self._connect() as db:
            return db.execute("DELETE FROM site_lexicon WHERE key = ?", (key,)).rowcount > 0

    def search(self, query: str, limit: int, offset: int = 0) -> tuple[list[SiteEntry], int]:
        where = ""
        params: tuple[str, ...] = ()
        if query:
            pattern = like_pattern(query)
            where = " WHERE key LIKE ? ESCAPE '\\' OR lower(note) LIKE ? ESCAPE '\\'"
            params = (pattern, pattern.lower())
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM site_lexicon{where} ORDER BY key"
                              " LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
            total = db.execute(f"SELECT COUNT(*) FROM site_lexicon{where}", params).fetchone()[0]
        return [entry_of(row) for row in rows], int(total)

    def revision(self) -> tuple[int, float]:
        with self._connect() as db:
            count, last = db.execute(
                "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM site_lexicon").fetchone()
        return int(count), float(last)

    def all(self) -> list[SiteEntry]:
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM site_lexicon ORDER BY key").fetchall()
        return [entry_of(row) for row in rows]


def full(max_entries: int) -> ConflictError:
    """The refusal of a new word when the lexicon holds `max_entries` already."""
    return ConflictError(f"the site lexicon holds {max_entries:,} entries, its limit; delete"
                         " some first")

