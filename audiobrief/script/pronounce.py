"""Spoken text → the same text with `[[ phonemes ]]` blocks for words the voice would mangle.

Sources, first match wins: user lexicon, site lexicon, built-in lexicon, the Ukrainian stress
dictionary (its stress on the rules' sounds), Ukrainian rules, espeak (left as text). Cyrillic
words are always decided here (romanised with the 2010 system for the lexicon lookup, else
pronounced from the dictionary or by the rules): espeak's English voice would spell them out or
skip them.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from audiobrief.model import Pronunciation, PronunciationSource
from audiobrief.script.cyrillic import has_cyrillic, transliterate
from audiobrief.script.lexicon import Entry, Lexicon, lexicon_key, phoneme_fault
from audiobrief.script.names import Context, looks_ukrainian, own_evidence, spelled_out
from audiobrief.script.stress import StressDictionary

logger = logging.getLogger(__name__)


GIVEN_NAMES_FILE = "uk-given-names.tsv"
"""The built-in lexicon file of Ukrainian given names: a capitalised word after one is a surname."""

_BLOCK = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|\u0301|['’ʼ](?=[^\W\d_]))*")
_POSSESSIVE = re.compile(r"['’ʼ][sS]$")
_JOIN = re.compile(r"^(?: |-|‐)$")
_TRAILING = re.compile(r"[^\w\s\[\]]+")
# What Piper's espeak says for punctuation right after a word: a pause mark it keeps as a phoneme.
_PAUSE_ORDER = ("?", "!", ".", ";", ":", ",")
_SIBILANT_END = ("s", "z", "ʃ", "ʒ", "ts", "dz")
_VOICELESS_END = ("p", "t", "k", "f", "θ")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class _Decision:
    start: int
    end: int
    word: str
    phonemes: str
    source: PronunciationSource


class Pronouncer:
    """Decides how each word of a sentence is said, for one voice.

    Lexicons are read once here; `apply()` then runs per sentence on dictionary lookups and
    compiled patterns only.
    """

    def __init__(
        self,
        phoneme_inventory: frozenset[str],
        espeak_voice: str = "en-us",
        user_lexicons: Sequence[Path] = (),
        *,
        voice_name: str = "the voice",
        user_entries: str = "",
    ) -> None:
        self.phoneme_inventory = phoneme_inventory
        self.espeak_voice = espeak_voice
        self.user_lexicons = tuple(Path(p) for p in user_lexicons)
        self.builtin = Lexicon.builtin(phoneme_inventory, voice_name)
        user = [Lexicon.load(path, phoneme_inventory, voice_name) for path in self.user_lexicons]
        if user_entries.strip():
            # Entries given with a request, in the file format; they beat the files.
            user.append(Lexicon.parse(user_entries, "the request's lexicon", phoneme_inventory,
                                      voice_name))
        self.user = Lexicon.merge(user)
        self.site = Lexicon()
        """The site's own lexicon (the service's, see `with_site`): beats the built-in one, is
        beaten by the user's."""
        self._max_words = max(self.builtin.max_words, self.user.max_words)
        self._checked_site: tuple[Lexicon, Lexicon] | None = None
        """The last site lexicon given to `with_site`, and its entries this voice can say."""
        self._given_names = frozenset(
            lexicon_key(entry.word)
            for entry in self.builtin
            if entry.origin.startswith(GIVEN_NAMES_FILE + ":")
        )

    def with_site(self, site: Lexicon) -> Pronouncer:
        """This pronouncer with `site` as its site lexicon, its own lexicons shared (not read
        again): the site's changes while the service runs take effect without a restart.
        Entries whose phonemes this voice does not know are left out (they were checked against
        the voice the site lexicon was edited for)."""
        checked = self._checked_site
        if checked is None or checked[0] is not site:
            # Checked once per version of the site lexicon, not per request: it may be large.
            checked = self._checked_site = (site, Lexicon(
                entry for entry in site
                if not phoneme_fault(entry.phonemes, self.phoneme_inventory)))
        layered = copy.copy(self)
        layered.site = checked[1]
        layered._max_words = max(self._max_words, layered.site.max_words)
        return layered

    def apply(self, text: str) -> tuple[str, tuple[Pronunciation, ...]]:
        """`text` with overridden words replaced by `[[ phonemes ]]`, and the overrides applied.

        Adjacent overridden words share one block; the pause punctuation after a block moves
        inside it (`[[ kˈɑːɹkiv, ]] which`) because Piper would otherwise drop it or read it out;
        quotes and brackets next to a block are set apart by a space so word breaks survive.
        """
        decisions = self._decide(text)
        if not decisions:
            return text, ()
        out: list[str] = []
        cursor = 0
        for group in _groups(text, decisions):
            start, end = group[0].start, group[-1].end
            out.append(text[cursor:start])
            if start > 0 and not text[start - 1].isspace() and text[start - 1] not in "-‐":
                out.append(" ")
            phonemes = " ".join(d.phonemes for d in group)
            cursor = end
            pause, kept = "", ""
            trailing = _TRAILING.match(text, end)
            if trailing and not _is_compound(text, trailing):
                pause, kept = _split_trailing(trailing.group())
                cursor = trailing.end()
            out.append(f"[[ {phonemes}{pause} ]]")
            if kept:
                out.append(" " + kept)
        out.append(text[cursor:])
        applied = tuple(Pronunciation(d.word, d.phonemes, d.source) for d in decisions)
        return "".join(out), applied

    def spans(self, text: str) -> list[tuple[int, int, Pronunciation]]:
        """Every word of `text` (its start, end and how it is said), as `apply` decides them; a
        word left to espeak has espeak's phonemes when it is capitalised (a name: the words an
        editor looks at), else none (""), which spares a call per common word."""
        return list(self._walk(text, every_word=False))

    def words(self, text: str) -> list[Pronunciation]:
        """Every word of `text` with the phonemes the voice will receive and their source."""
        return [said for _, _, said in self._walk(text, every_word=True)]

    def _walk(self, text: str, *, every_word: bool) -> Iterator[tuple[int, int, Pronunciation]]:
        """The words of `text` in order, a decision spanning several once; espeak's phonemes
        for the rest when `every_word`, else for capitalised ones only."""
        decided = {d.start: d for d in self._decide(text)}
        skip_until = -1
        for token in _tokens(text):
            if token.start < skip_until:
                continue
            decision = decided.get(token.start)
            if decision is not None:
                yield decision.start, decision.end, Pronunciation(
                    decision.word, decision.phonemes, decision.source)
                skip_until = decision.end
                continue
            asked = every_word or token.text[:1].isupper()
            phonemes = _espeak(self.espeak_voice, token.text) if asked else ""
            yield token.start, token.end, Pronunciation(token.text, phonemes, "espeak")

    # --- deciding --------------------------------------------------------------------------

    def _decide(self, text: str) -> list[_Decision]:
        tokens = _tokens(text)
        decisions: list[_Decision] = []
        i = 0
        while i < len(tokens):
            decision = self._decide_at(text, tokens, i, decisions)
            if decision is None:
                i += 1
                continue
            decisions.append(decision)
            while i < len(tokens) and tokens[i].start < decision.end:
                i += 1
        return decisions

    def _decide_at(
        self, text: str, tokens: list[_Token], i: int, decided: list[_Decision]
    ) -> _Decision | None:
        for n in range(min(self._max_words, len(tokens) - i), 0, -1):
            span = tokens[i : i + n]
            if n > 1 and not all(
                _JOIN.match(text[a.end : b.start]) for a, b in zip(span, span[1:], strict=False)
            ):
                continue
            found = self._lookup(text[span[0].start : span[-1].end])
            if found is not None:
                entry, source, possessive = found
                return _Decision(
                    span[0].start,
                    span[-1].end,
                    text[span[0].start : span[-1].end],
                    entry.phonemes + possessive,
                    source,
                )
        token = tokens[i]
        word, is_possessive = _strip_possessive(token.text)
        if has_cyrillic(word):
            return self._ukrainian(token, word, is_possessive)
        previous = (
            decided[-1]
            if decided
            and i > 0
            and decided[-1].end == tokens[i - 1].end
            and text[decided[-1].end : token.start] == " "
            else None
        )
        context = Context(
            before=tuple(t.text for t in tokens[max(0, i - 3) : i]),
            after=tuple(t.text for t in tokens[i + 1 : i + 3]),
            near_ukrainian=previous is not None,
            after_given_name=previous is not None
            and previous.source == "lexicon"
            and lexicon_key(previous.word) in self._given_names,
        )
        if looks_ukrainian(word, context) or (
            # Some Ukrainian spelling, and espeak would spell it (Shpola, Zviahel): the rules
            # say it better than the letters do.
            own_evidence(word) and spelled_out(_espeak(self.espeak_voice, word))
        ):
            return self._ukrainian(token, word, is_possessive)
        return None

    def _ukrainian(self, token: _Token, word: str, is_possessive: bool) -> _Decision:
        """A Ukrainian name no lexicon has: the dictionary's stress if it knows the name, else
        the rules'. The dictionary is read on the first such name, not with the voice."""
        phonemes, known = StressDictionary.builtin().pronounce(word)
        return _Decision(
            token.start,
            token.end,
            token.text,
            phonemes + _possessive_suffix(phonemes) * is_possessive,
            "dictionary" if known else "rule",
        )

    def _lookup(self, written: str) -> tuple[Entry, PronunciationSource, str] | None:
        """The entry for a (possibly multi-word) span, with a possessive suffix if one was cut."""
        candidates = [(written, False)]
        base, possessive = _strip_possessive(written)
        if possessive:
            candidates.append((base, True))
        for candidate, cut in candidates:
            keys = [candidate]
            if has_cyrillic(candidate):
                keys.append(transliterate(candidate))
            for key in keys:
                for lexicon, source in ((self.user, "user"), (self.site, "site"),
                                        (self.builtin, "lexicon")):
                    entry = lexicon.entry(key, as_written=True)
                    if entry is not None:
                        suffix = _possessive_suffix(entry.phonemes) if cut else ""
                        return entry, source, suffix  # type: ignore[return-value]
        return None


_AFTER_BLOCK = re.compile(r"\s*\]\](?P<run>[^\w\s\[\]]+)")


def tuck_pauses(spoken: str) -> str:
    """`spoken` with the pause punctuation right after a `[[ … ]]` block moved inside it, as
    `Pronouncer.apply` writes its own blocks: Piper would drop the mark or read it out."""

    def tuck(match: re.Match[str]) -> str:
        if _is_compound(spoken, match):
            return match[0]
        pause, kept = _split_trailing(match["run"])
        return f"{pause} ]]" + (f" {kept}" if kept else "")

    return _AFTER_BLOCK.sub(tuck, spoken)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    for block in [*_BLOCK.finditer(text), None]:
        stop = block.start() if block else len(text)
        tokens.extend(
            _Token(m.start(), m.end(), m.group()) for m in _WORD.finditer(text, position, stop)
        )
        if block:
            position = block.end()
    return tokens


def _strip_possessive(word: str) -> tuple[str, bool]:
    if len(word) > 3 and _POSSESSIVE.search(word):
        return word[:-2], True
    return word, False


def _possessive_suffix(phonemes: str) -> str:
    if phonemes.endswith(_SIBILANT_END):
        return "ᵻz"
    if phonemes.endswith(_VOICELESS_END):
        return "s"
    return "z"


def _groups(text: str, decisions: list[_Decision]) -> list[list[_Decision]]:
    """Decisions separated only by a space or hyphen share one block."""
    groups: list[list[_Decision]] = []
    for decision in decisions:
        if groups and _JOIN.match(text[groups[-1][-1].end : decision.start]):
            groups[-1].append(decision)
        else:
            groups.append([decision])
    return groups


def _is_compound(text: str, trailing: re.Match[str]) -> bool:
    """`Kharkiv-based`: a hyphen straight into a word leaves the block as it is."""
    return (
        trailing.group().endswith(("-", "‐"))
        and trailing.end() < len(text)
        and (text[trailing.end()].isalpha())
    )


def _split_trailing(run: str) -> tuple[str, str]:
    """Punctuation after a word → (pause mark for inside the block, characters kept outside)."""
    pause = ""
    if "…" in run or "..." in run:
        pause = ","  # espeak says nothing at all there, not even a break between the words
    else:
        pause = next((mark for mark in _PAUSE_ORDER if mark in run), "")
    kept = "".join(char for char in run if char not in ".,;:?!…")
    return pause, kept


@lru_cache(maxsize=4096)
def _espeak(espeak_voice: str, word: str) -> str:
    from audiobrief.voices import espeak_phonemes

    return espeak_phonemes(espeak_voice, word)
