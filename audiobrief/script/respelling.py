"""A respelling an editor can write ("koo-LEH-bah", or plain "cool a bah") → the voice's phonemes,
made by the voice's own phonemizer (espeak, as Piper runs it).

A word written in syllables joined by hyphens, some in capitals, is a stress respelling: each
syllable is said by espeak alone, its vowel as the respelling key spells it (`VOWELS`), and the
first syllable in capitals takes the primary stress (further ones a secondary). Anything else is
plain English spelling, said as espeak says it.
"""

from __future__ import annotations

import re

from audiobrief.errors import LexiconError

MAX_RESPELLING_CHARS = 200

VOWELS: dict[str, str] = {
    "ah": "ɑː", "aa": "ɑː", "ay": "eɪ", "eh": "ɛ", "ee": "iː", "ih": "ɪ", "eye": "aɪ",
    "oh": "oʊ", "oo": "uː", "uu": "ʊ", "uh": "ʌ", "ow": "aʊ", "oy": "ɔɪ", "aw": "ɔː",
}
"""The vowels of the pronunciation respelling key (as Wikipedia's) that espeak, reading a
syllable alone, would say otherwise ("leh" as "lay", "ow" as "oh")."""
UNSTRESSED_VOWELS: dict[str, str] = {"uh": "ə"}
"""Where the key's vowel is reduced out of stress ("oo-KRAY-nuh")."""

PRIMARY, SECONDARY = "ˈ", "ˌ"
_SYLLABLE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# The spelled vowel of a syllable: the longest respelling vowel, else a run of vowel letters.
_VOWEL_SPELLING = re.compile("|".join(sorted(VOWELS, key=len, reverse=True)) + "|[aeiouy]+",
                             re.IGNORECASE)
_IPA_VOWELS = "aæɑɐɒəɚɛɜɝeɪiɨɔoʊuʌɵøœyɯɤ"
_IPA_VOWEL_RUN = re.compile(f"[{_IPA_VOWELS}][{_IPA_VOWELS}ːˑ]*")
_STRESS = re.compile("[ˈˌ]")


def is_stress_respelling(respelling: str) -> bool:
    """Whether `respelling` is written in syllables with the stressed ones in capitals."""
    return any(_syllabled(word) for word in respelling.split())


def respelled(respelling: str, espeak_voice: str) -> str:
    """The phonemes `respelling` stands for, by the voice's phonemizer (see the module's
    docstring); LexiconError when there is nothing to say in it or it is too long."""
    respelling = " ".join(respelling.split())
    if not respelling:
        raise LexiconError("the respelling is empty")
    if len(respelling) > MAX_RESPELLING_CHARS:
        raise LexiconError(f"the respelling is longer than {MAX_RESPELLING_CHARS} characters")
    if not _SYLLABLE.search(respelling):
        raise LexiconError(f"the respelling {respelling[:40]!r} has no letters to say")
    if not is_stress_respelling(respelling):
        return _espeak(espeak_voice, respelling)
    return " ".join(_stressed_word(word, espeak_voice) if _syllabled(word)
                    else _espeak(espeak_voice, word) for word in respelling.split())


def _syllabled(word: str) -> bool:
    syllables = [part for part in re.split(r"[-‐.·]", word) if part]
    return len(syllables) > 1 and any(_capitals(part) for part in syllables)


def _capitals(syllable: str) -> bool:
    letters = [char for char in syllable if char.isalpha()]
    return bool(letters) and all(char.isupper() for char in letters)


def _stressed_word(word: str, espeak_voice: str) -> str:
    """One word in syllables: each said alone, unstressed, then the capitals' stress put back
    before their vowel."""
    said: list[str] = []
    stressed = 0
    for syllable in (part for part in re.split(r"[-‐.·]", word) if part):
        phonemes = _STRESS.sub("", _syllable(syllable, espeak_voice, _capitals(syllable)))
        if _capitals(syllable) and (vowel := _IPA_VOWEL_RUN.search(phonemes)):
            mark = PRIMARY if stressed == 0 else SECONDARY
            phonemes = phonemes[:vowel.start()] + mark + phonemes[vowel.start():]
            stressed += 1
        said.append(phonemes)
    return "".join(said)


def _syllable(syllable: str, espeak_voice: str, stressed: bool) -> str:
    """A syllable as espeak says it, its vowel as the respelling key spells it where espeak would
    read that spelling otherwise."""
    lower = syllable.lower()
    vowel = _VOWEL_SPELLING.search(lower)
    phonemes = _espeak(espeak_voice, lower)
    if vowel is None or vowel.group() not in VOWELS:
        return phonemes
    # Said with a plain "a" in the vowel's place, espeak keeps the consonants as they are;
    # its vowel then gives way to the key's.
    carrier = _espeak(espeak_voice, lower[:vowel.start()] + "a" + lower[vowel.end():])
    run = _IPA_VOWEL_RUN.search(carrier)
    if run is None:
        return phonemes
    key = vowel.group()
    said = VOWELS[key] if stressed else UNSTRESSED_VOWELS.get(key, VOWELS[key])
    return carrier[:run.start()] + said + carrier[run.end():]


def _espeak(espeak_voice: str, text: str) -> str:
    from audiobrief.voices import espeak_phonemes

    return espeak_phonemes(espeak_voice, text)
