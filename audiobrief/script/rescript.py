"""A finished script → the same script with the sentences that mention one word pronounced again
(its lexicon entry changed); every other sentence stays exactly as it was, so its audio comes from
the sentence cache (keyed by the spoken text) and only the changed ones are synthesised."""

from __future__ import annotations

import dataclasses
import re

from audiobrief.model import Pronunciation, Script, Sentence
from audiobrief.script.cyrillic import has_cyrillic, transliterate
from audiobrief.script.lexicon import lexicon_key, word_fault
from audiobrief.script.pronounce import Pronouncer

_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|\u0301|['’ʼ](?=[^\W\d_]))*")
_POSSESSIVE = re.compile(r"['’ʼ][sS]$")
_PAUSES = "?!.;:,"


def rescript(script: Script, pronouncer: Pronouncer, word: str) -> tuple[Script, int]:
    """`script` with each sentence that mentions `word` pronounced by `pronouncer`, and how many
    sentences now say something else."""
    key = lexicon_key(word)
    changed = 0
    chapters = []
    for chapter in script.chapters:
        sentences = []
        for sentence in chapter.sentences:
            plain = unpronounced(sentence)
            if mentions(plain, key):
                spoken, pronunciations = pronouncer.apply(plain)
                changed += spoken != sentence.spoken
                sentence = dataclasses.replace(sentence, spoken=spoken,
                                               pronunciations=pronunciations)
            sentences.append(sentence)
        chapters.append(dataclasses.replace(chapter, sentences=tuple(sentences)))
    return dataclasses.replace(script, chapters=tuple(chapters)), changed


def mentions(text: str, key: str) -> bool:
    """Whether `text` says the word (or words) whose lexicon key is `key`, outside any
    `[[ … ]]` block, possessive or not; Cyrillic is matched by its romanisation too."""
    words = [_key(match.group()) for match in _WORD.finditer(_BLOCK.sub(" ", text))]
    return f" {key} " in f" {' '.join(words)} " or (
        has_cyrillic(text)
        and f" {key} " in f" {' '.join(lexicon_key(transliterate(w)) for w in words)} ")


def _key(word: str) -> str:
    if len(word) > 3 and _POSSESSIVE.search(word):
        word = word[:-2]
    return lexicon_key(word)


def unpronounced(sentence: Sentence) -> str:
    """The sentence's spoken text as it was before its words were decided: each `[[ … ]]` block
    the pronouncer wrote is its words again (with the pause mark it took in), so the pronouncer
    given it writes the same blocks again. Blocks it did not write (a text's own, SSML's
    `<phoneme>` around no text) stay as they are."""
    spoken = sentence.spoken
    decisions = sentence.pronunciations
    out: list[str] = []
    cursor = 0
    at = 0
    for block in _BLOCK.finditer(spoken):
        found = _group(block.group(1).strip(), decisions, at)
        if found is None:
            continue
        end, pause = found
        group = decisions[at:end]
        at = end
        if all(decision.word == decision.phonemes for decision in group):
            continue  # phonemes without words: there is nothing to say instead
        out += [spoken[cursor:block.start()], _joined(group, sentence.text), pause]
        cursor = block.end()
    out.append(spoken[cursor:])
    return "".join(out)


def _group(content: str, decisions: tuple[Pronunciation, ...],
           start: int) -> tuple[int, str] | None:
    """(the end of the decisions from `start` whose phonemes make up `content`, the pause mark
    after them), or None when they do not."""
    joined = ""
    for end in range(start, len(decisions)):
        joined = f"{joined} {decisions[end].phonemes}" if joined else decisions[end].phonemes
        if content == joined:
            return end + 1, ""
        if content[:-1] == joined and content[-1] in _PAUSES:
            return end + 1, content[-1]
        if len(joined) >= len(content):
            return None
    return None


def _joined(group: tuple[Pronunciation, ...], written: str) -> str:
    """The words of one block as the sentence wrote them: joined by a hyphen where it did
    ("Kamianets-Podilskyi"), else by a space."""
    text = group[0].word
    for decision in group[1:]:
        joiner = "-" if f"{text.rsplit(' ', 1)[-1]}-{decision.word}" in written else " "
        text = f"{text}{joiner}{decision.word}"
    return text


def user_entries(script: Script) -> str:
    """The user's own decisions in `script` (a request's lexicon, SSML's `<phoneme>`) as lexicon
    entries in the file format, so a script pronounced again keeps them."""
    lines: dict[str, str] = {}
    for sentence in script.sentences:
        for decision in sentence.pronunciations:
            key = lexicon_key(decision.word)
            if (decision.source != "user" or decision.word == decision.phonemes or not key
                    or key in lines or word_fault(decision.word)):
                continue
            lines[key] = f"{decision.word}\t{decision.phonemes}\trequest\n"
    return "".join(lines.values())
