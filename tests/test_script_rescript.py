"""Pronouncing a finished script again: a sentence's blocks read back into its words give the same
blocks under the same lexicons, and only the sentences that say the word change."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiobrief import pipeline
from audiobrief.load import from_content
from audiobrief.model import Script
from audiobrief.script.lexicon import Entry, Lexicon
from audiobrief.script.pronounce import Pronouncer
from audiobrief.script.rescript import mentions, rescript, unpronounced, user_entries
from audiobrief.settings import Settings
from tests.conftest import EXAMPLE_HTML

HARD = (
    "Kuleba in Kyiv\n\n"
    "Foreign Minister Dmytro Kuleba's trip to Kharkiv (Kharkiv Oblast), Zaporizhzhia, and Bila"
    " Tserkva; \"Kuleba,\" he said. Kamianets-Podilskyi and Kharkiv-based Ihor Terekhov's"
    " office... Mykolaiv! Oleksandr Syrskyi? Volodymyr Zelensky: Kherson. Andrii Sybiha met"
    " Кулеба і Зеленський (Kuleba) in Ivano-Frankivsk.\n\nThe weather was calm in the capital.")


def _script(source: str | Path, options: pipeline.Options | None = None) -> Script:
    settings = Settings(data=Path("/nonexistent"))
    options = options or pipeline.Options(language="en")
    if isinstance(source, str):
        source = from_content(source, "text", "the text", None,  # type: ignore[assignment]
                              pipeline.limits(settings))
    return pipeline.prepare(source, settings, options)


def _pronouncer(entries: str = "", site: Lexicon | None = None) -> Pronouncer:
    spec = pipeline.voice_spec(Settings(), pipeline.Options(), "en")
    return pipeline.pronouncer(spec, entries=entries, site=site)


@pytest.mark.parametrize("source", [HARD, EXAMPLE_HTML], ids=["names and punctuation",
                                                              "example article"])
def test_blocks_read_back_into_words_are_pronounced_the_same_again(source) -> None:
    script = _script(source)
    pronouncer = _pronouncer()
    decided = [s for s in script.sentences if s.pronunciations]
    assert len(decided) >= 5
    for sentence in decided:
        plain = unpronounced(sentence)
        assert "[[" not in plain
        assert pronouncer.apply(plain) == (sentence.spoken, sentence.pronunciations)


def test_a_request_lexicon_is_kept_when_the_script_is_pronounced_again() -> None:
    script = _script(HARD, pipeline.Options(language="en",
                                            lexicon_entries="Kharkiv\tkˈɑːkɪv\trequest\n"))
    kept = user_entries(script)
    assert kept == "Kharkiv\tkˈɑːkɪv\trequest\n"
    site = Lexicon([Entry("Kuleba", "kuːlˈɛbɑː", "", "site")])
    again, changed = rescript(script, _pronouncer(kept, site), "Kuleba")
    assert changed == 3  # the headline, and the two sentences of the body that name him
    for old, new in zip(script.sentences, again.sentences, strict=True):
        if mentions(unpronounced(old), "kuleba"):
            assert "kuːlˈɛbɑː" in new.spoken
            assert ("kˈɑːkɪv" in new.spoken) is ("Kharkiv" in old.text)
        else:
            assert new == old


@pytest.mark.parametrize(("text", "key", "said"), [
    ("Kuleba's trip", "kuleba", True),
    ("the Kulebas", "kuleba", False),
    ("Bila Tserkva, the city", "bila tserkva", True),
    ("Bila-Tserkva", "bila tserkva", True),
    ("Кулеба сказав", "kuleba", True),
    ("[[ kulˈɛbɑː ]] said", "kuleba", False),
], ids=["possessive", "another word", "two words", "hyphenated", "Cyrillic", "inside a block"])
def test_which_sentences_say_the_word(text: str, key: str, said: bool) -> None:
    assert mentions(text, key) is said
