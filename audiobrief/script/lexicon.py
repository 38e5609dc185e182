"""Lexicon files (word<TAB>phonemes<TAB>note) → a validated table from words to voice phonemes.

One entry a line, `#` starts a comment line, blank lines are ignored. A word may be several words
("Bila Tserkva", "Kamianets-Podilskyi"); spaces and hyphens match either. Every phoneme code point
is checked against the voice's inventory: inside Piper's `[[ … ]]` an unknown one is dropped
without a sound, so a typo there would be a silent mispronunciation.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from audiobrief.errors import LexiconError

logger = logging.getLogger(__name__)

# What one entry may hold: a name is a few words, and each use of an entry puts its phonemes in
# the spoken text, so an entry of any length would make a sentence of any length.
MAX_ENTRY_WORDS = 8
MAX_WORD_CHARS = 100
MAX_PHONEME_CHARS = 200

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "\u02bb": "'", "ʹ": "'"})
_JOINERS = re.compile(r"[\s\-‐‑–]+")


def lexicon_key(word: str) -> str:
    """The form a word is looked up under: case-folded, no apostrophes, single spaces.

    Romanisations differ in whether they write the apostrophe at all (Kam'ianets, Kamianets).
    """
    word = unicodedata.normalize("NFC", word).translate(_APOSTROPHES).replace("\u0301", "")
    word = word.replace("'", "")
    return _JOINERS.sub(" ", word).strip().casefold()


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a lexicon file."""

    word: str
    """As written in the file; an entry written with a capital matches only capitalised text."""
    phonemes: str
    note: str
    origin: str
    """Where it was read: "uk-names.tsv:12"."""

    @property
    def any_case(self) -> bool:
        """Whether the entry also matches lower-case text (it is written in lower case)."""
        return not self.word[:1].isupper()


class Lexicon:
    """Words → phonemes, from one or more lexicon files; later files win over earlier ones."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._entries: dict[str, Entry] = {}
        for entry in entries:
            self._entries[lexicon_key(entry.word)] = entry
        self.max_words = max((key.count(" ") + 1 for key in self._entries), default=1)
        """The most words any entry spans (how far a longest-match must look ahead)."""

    @classmethod
    def load(
        cls, path: Path, phoneme_inventory: frozenset[str], voice_name: str = "the voice"
    ) -> Lexicon:
        """Read and validate one lexicon file; a bad line raises LexiconError naming file:line."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LexiconError(f"cannot read lexicon {path}: {error}") from error
        return cls.parse(text, Path(path).name, phoneme_inventory, voice_name)

    @classmethod
    def parse(
        cls, text: str, name: str, phoneme_inventory: frozenset[str], voice_name: str = "the voice"
    ) -> Lexicon:
        """Entries of a lexicon file's text; `name` is used in error messages."""
        return cls(_parse(text, name, phoneme_inventory, voice_name))

    @classmethod
    def builtin(cls, phoneme_inventory: frozenset[str], voice_name: str = "the voice") -> Lexicon:
        """Every `*.tsv` shipped in the package's `lexicons/` directory, in name order."""
        folder = resources.files("audiobrief") / "lexicons"
        entries: list[Entry] = []
        files = sorted(
            (f for f in folder.iterdir() if f.name.endswith(".tsv")), key=lambda f: f.name
        )
        for resource in files:
            text = resource.read_text(encoding="utf-8")
            entries.extend(_parse(text, resource.name, phoneme_inventory, voice_name))
        logger.debug("built-in lexicon: %d entries from %d files", len(entries), len(files))
        return cls(entries)

    @classmethod
    def merge(cls, lexicons: Iterable[Lexicon]) -> Lexicon:
        """One lexicon from several; an entry of a later one replaces the same word's earlier."""
        return cls(entry for lexicon in lexicons for entry in lexicon)

    def lookup(self, word: str) -> str | None:
        """Phonemes of `word` (case-insensitive, either apostrophe), or None when absent."""
        entry = self._entries.get(lexicon_key(word))
        return entry.phonemes if entry else None

    def entry(self, word: str, *, as_written: bool = False) -> Entry | None:
        """The entry for `word`; with `as_written`, a capitalised entry needs capitalised text."""
        entry = self._entries.get(lexicon_key(word))
        if entry is None or not as_written or entry.any_case or word[:1].isupper():
            return entry
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and lexicon_key(word) in self._entries


def phoneme_fault(phonemes: str, inventory: frozenset[str], voice_name: str = "the voice",
                  subject: str = "the entry") -> str | None:
    """What is wrong with `phonemes` (those of `subject`) as the inside of a `[[ … ]]` block for a
    voice whose phonemes are `inventory`, or None: too long, precomposed, or a character it does
    not know."""
    if len(phonemes) > MAX_PHONEME_CHARS:
        return f"the phonemes of {subject} are longer than {MAX_PHONEME_CHARS} characters"
    if unicodedata.normalize("NFD", phonemes) != phonemes:
        return f"{subject} has precomposed characters; write the phonemes as NFD"
    for char in phonemes:
        if char not in inventory:
            return f"{char!r} (U+{ord(char):04X}) is not a phoneme of {voice_name}"
    return None


def word_fault(word: str) -> str | None:
    """What keeps `word` from being a lexicon entry's word, or None: empty, a tab or line break
    (the file format's separators), or too long for a name."""
    if not word.strip():
        return "the word is empty"
    if any(char in word for char in "\t\r\n"):
        return "a word cannot hold a tab or a line break"
    if len(word) > MAX_WORD_CHARS or len(_JOINERS.split(word.strip())) > MAX_ENTRY_WORDS:
        return (f"{word[:40]!r}… is too long for a name: at most {MAX_ENTRY_WORDS} words and"
                f" {MAX_WORD_CHARS} characters")
    return None


def _parse(text: str, name: str, inventory: frozenset[str], voice_name: str) -> Iterator[Entry]:
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{name}:{number}"
        fields = line.split("\t")
        if len(fields) < 2 or len(fields) > 3:
            raise LexiconError(
                f"{where}: expected word<TAB>phonemes<TAB>note, found {len(fields)} field(s)"
            )
        word, phonemes = fields[0].strip(), fields[1].strip()
        note = fields[2].strip() if len(fields) == 3 else ""
        if not word:
            raise LexiconError(f"{where}: the word is empty")
        if not phonemes:
            raise LexiconError(f"{where}: no phonemes for {word!r}")
        if fault := word_fault(word):
            raise LexiconError(f"{where}: {fault}")
        if fault := phoneme_fault(phonemes, inventory, voice_name, repr(word)):
            raise LexiconError(f"{where}: {fault}")
        key = lexicon_key(word)
        if key in seen:
            raise LexiconError(f"{where}: {word!r} is already defined on line {seen[key]}")
        seen[key] = number
        yield Entry(word, phonemes, note, where)
