"""An article's id is a hash of explicit material: what is said and how, never the model's shape."""

from __future__ import annotations

import dataclasses

from audiobrief.model import Chapter, Pronunciation, Script, Sentence
from audiobrief.service.jobs import article_id
from audiobrief.settings import Settings

SETTINGS = Settings()


def _script(spoken: str = "Kharkiv [[xˈɑrkiw]] was hit.", **changes: object) -> Script:
    sentence = Sentence("Kharkiv was hit.", spoken, (), 600)
    script = Script("Strike", "By A. Writer", "2026-12-01", "The Paper",
                    "https://news.example/a/", "en", (Chapter("Strike", (sentence,)),))
    return dataclasses.replace(script, **changes)  # type: ignore[arg-type]


def test_the_id_of_a_script_is_pinned() -> None:
    """Stored audio is found by this id: a change to it must be deliberate (IDENTITY_VERSION)."""
    assert article_id(_script(), "en_US-joe-medium", 1.0, SETTINGS) == (
        "acb4e7b5f9395c6de83b9487c61a6f38")


def test_what_is_not_heard_does_not_change_the_id() -> None:
    said = Pronunciation("Kharkiv", "xˈɑrkiw", "lexicon")
    chapter = Chapter("Strike", (dataclasses.replace(_script().chapters[0].sentences[0],
                                                     pronunciations=(said,)),))
    assert (article_id(_script(chapters=(chapter,)), "v", 1.0, SETTINGS)
            == article_id(_script(), "v", 1.0, SETTINGS))


def test_what_is_heard_or_tagged_changes_the_id() -> None:
    base = article_id(_script(), "v", 1.0, SETTINGS)
    others = [
        article_id(_script("Kharkiv [[xˈarkiw]] was hit."), "v", 1.0, SETTINGS),
        article_id(_script(title="Another"), "v", 1.0, SETTINGS),
        article_id(_script(chapters=(Chapter("Strike", (dataclasses.replace(
            _script().chapters[0].sentences[0], rate=0.8),)),)), "v", 1.0, SETTINGS),
        article_id(_script(chaptered=False), "v", 1.0, SETTINGS),
        article_id(_script(), "w", 1.0, SETTINGS),
        article_id(_script(), "v", 1.25, SETTINGS),
        article_id(_script(), "v", 1.0, Settings(bitrate_kbps=96)),
        article_id(_script(), "v", 1.0, Settings(loudness_lufs=-23.0)),
    ]
    assert base not in others and len(set(others)) == len(others)
