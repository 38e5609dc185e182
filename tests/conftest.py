"""Shared fixtures: the example page, the real default voice, and its narration made once."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE_HTML = FIXTURES / "kyiv-independent-kharkiv-missiles.html"
EXAMPLE_SEED = FIXTURES / "kyiv-independent-kharkiv-missiles.seed.txt"
RUSSIAN_HTML = FIXTURES / "russian-article.html"
GERMAN_HTML = FIXTURES / "german-article-lang-en.html"
"""A German article on a page that declares `<html lang="en">`."""
ENGLISH_WITH_RUSSIAN_QUOTE_HTML = FIXTURES / "english-article-russian-quote.html"


@pytest.fixture(scope="session")
def example_html() -> str:
    return EXAMPLE_HTML.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def voice():
    """The real default voice, loaded once for the whole run."""
    from audiobrief.voices import Voice

    return Voice.load()


@pytest.fixture(scope="session")
def example_narration(voice, tmp_path_factory):
    """The example article narrated once by the real voice; (narration, mp3 path)."""
    from audiobrief import pipeline
    from audiobrief.settings import Settings

    settings = Settings()
    options = pipeline.Options()
    script = pipeline.prepare(EXAMPLE_HTML, settings, options)
    frames = io.BytesIO()
    narration = pipeline.narrate(script, voice, settings, options, frames, keep_pcm=True)
    path = tmp_path_factory.mktemp("example") / "example.mp3"
    path.write_bytes(narration.head + frames.getvalue())
    return narration, path


@pytest.fixture
def example_mp3(example_narration, tmp_path) -> Path:
    """A private copy of the example MP3 that a test may modify."""
    copy = tmp_path / "example.mp3"
    shutil.copy(example_narration[1], copy)
    return copy
