"""Voices: which one reads an article (asked for by name, or chosen by the article's language),
and how much runs at once by default: the cores this process may use, within a container's
quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiobrief import pipeline
from audiobrief.errors import LanguageError, SettingsError
from audiobrief.load import from_content
from audiobrief.model import Page
from audiobrief.runtime import cpu_quota, default_workers
from audiobrief.settings import DEFAULT_VOICE, Settings
from audiobrief.voices import choose
from tests.conftest import (
    ENGLISH_WITH_RUSSIAN_QUOTE_HTML,
    GERMAN_HTML,
    RUSSIAN_HTML,
    relabelled_voice,
)

SHORT_TEXT = from_content("Coffee at nine. Then the call with Lviv.", "text", "a text")


@pytest.fixture
def german_voices(tmp_path: Path) -> Path:
    """A voice directory with two voices that say they speak German (de_DE)."""
    directory = relabelled_voice(tmp_path / "voices", "de_DE-anna-medium", "de_DE", "de")
    return relabelled_voice(directory, "de_DE-bernd-medium", "de_DE", "de")


def _read_by(source: Path | Page, settings: Settings,
             options: pipeline.Options | None = None) -> tuple[str | None, str]:
    """(the language a source is read in, the voice that reads it)."""
    options = options or pipeline.Options()
    script = pipeline.prepare(source, settings, options)
    return script.language, pipeline.voice_spec(settings, options, script.language).name


def test_the_default_voice_reads_english_and_texts_too_short_to_tell() -> None:
    settings = Settings()
    assert _read_by(ENGLISH_WITH_RUSSIAN_QUOTE_HTML, settings) == ("en", DEFAULT_VOICE)
    assert _read_by(SHORT_TEXT, settings) == ("en-US", DEFAULT_VOICE)


def test_a_russian_article_without_a_russian_voice_is_refused() -> None:
    with pytest.raises(LanguageError) as refused:
        pipeline.prepare(RUSSIAN_HTML, Settings(), pipeline.Options())
    assert str(refused.value) == ("the article is in Russian; installed voices speak English"
                                  " (en_US)")


def test_a_german_page_saying_lang_en_is_refused_without_a_german_voice() -> None:
    with pytest.raises(LanguageError, match="^the article is in German; installed voices speak"
                                            r" English \(en_US\)$"):
        pipeline.prepare(GERMAN_HTML, Settings(), pipeline.Options())


def test_a_german_page_is_read_by_the_first_installed_german_voice(german_voices: Path) -> None:
    settings = Settings(voices=(german_voices,))
    assert _read_by(GERMAN_HTML, settings) == ("de", "de_DE-anna-medium")
    # English stays with the default voice, short texts too.
    assert _read_by(ENGLISH_WITH_RUSSIAN_QUOTE_HTML, settings) == ("en", DEFAULT_VOICE)
    assert _read_by(SHORT_TEXT, settings) == ("en-US", DEFAULT_VOICE)


def test_audiobrief_voice_de_names_the_german_voice(german_voices: Path) -> None:
    settings = Settings.from_env({"AUDIOBRIEF_VOICES": str(german_voices),
                                  "AUDIOBRIEF_VOICE_DE": "de_DE-bernd-medium"})
    assert settings.voice_by_language == {"de": "de_DE-bernd-medium"}
    assert settings.extra == {}
    pipeline.check_settings(settings)
    assert _read_by(GERMAN_HTML, settings) == ("de", "de_DE-bernd-medium")


def test_a_german_default_voice_reads_german_and_short_texts(german_voices: Path) -> None:
    settings = Settings(voices=(german_voices,), voice="de_DE-bernd-medium",
                        voice_by_language={"en": DEFAULT_VOICE})
    pipeline.check_settings(settings)
    assert _read_by(GERMAN_HTML, settings) == ("de", "de_DE-bernd-medium")
    assert _read_by(SHORT_TEXT, settings) == ("de-DE", "de_DE-bernd-medium")
    assert _read_by(ENGLISH_WITH_RUSSIAN_QUOTE_HTML, settings) == ("en", DEFAULT_VOICE)


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        pytest.param("AUDIOBRIEF_VOICE_DE", "de_DE-nobody", "AUDIOBRIEF_VOICE_DE: unknown voice",
                     id="not-installed"),
        pytest.param("AUDIOBRIEF_VOICE_FR", "de_DE-anna-medium",
                     "AUDIOBRIEF_VOICE_FR=de_DE-anna-medium speaks German (de_DE), not French",
                     id="another-language"),
        pytest.param("AUDIOBRIEF_VOICE_EN", "de_DE-anna-medium", "would never be used: the"
                     " default voice en_US-joe-medium speaks English", id="never-used"),
    ],
)
def test_a_voice_of_a_language_that_cannot_be_used_stops_the_service_at_start(
        german_voices: Path, variable: str, value: str, words: str) -> None:
    settings = Settings.from_env({"AUDIOBRIEF_VOICES": str(german_voices), variable: value})
    with pytest.raises(SettingsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        pipeline.check_settings(settings)


def test_a_voice_asked_for_must_speak_the_articles_language(german_voices: Path) -> None:
    settings = Settings(voices=(german_voices,))
    english = pipeline.Options(voice=DEFAULT_VOICE)
    with pytest.raises(LanguageError) as refused:
        pipeline.prepare(GERMAN_HTML, settings, english)
    assert str(refused.value) == (
        "the article is in German; voice en_US-joe-medium speaks English (en_US); ask for"
        " de_DE-anna-medium, or give language 'en' to read it in English all the same")
    with pytest.raises(LanguageError, match="no installed voice speaks German: give language"):
        pipeline.prepare(GERMAN_HTML, Settings(), english)
    # Asked for, a voice of the article's language reads it; told the language, any voice does.
    bernd = pipeline.Options(voice="de_DE-bernd-medium")
    assert _read_by(GERMAN_HTML, settings, bernd) == ("de", "de_DE-bernd-medium")
    assert _read_by(SHORT_TEXT, settings, bernd) == ("de-DE", "de_DE-bernd-medium")
    forced = pipeline.Options(voice=DEFAULT_VOICE, language="en")
    assert _read_by(GERMAN_HTML, Settings(), forced) == ("en", DEFAULT_VOICE)


def test_a_language_given_chooses_the_voice(german_voices: Path) -> None:
    settings = Settings(voices=(german_voices,))
    assert _read_by(SHORT_TEXT, settings, pipeline.Options(language="de_AT")) == (
        "de-AT", "de_DE-anna-medium")
    with pytest.raises(LanguageError, match="^the article is in French; installed voices speak"
                                            r" English \(en_US\), German \(de_DE\)$"):
        choose(settings, "fr-CA")
    with pytest.raises(ValueError, match="not a language tag"):
        pipeline.prepare(SHORT_TEXT, settings, pipeline.Options(language="english!"))


def _cgroup(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(("files", "cpus"), [
    ({"cpu.max": "150000 100000\n"}, 1.5),  # cgroup v2, docker --cpus=1.5
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu.max": "garbage"}, None),
    ({}, None),
])
def test_cpu_quota_of_a_container(tmp_path: Path, files: dict[str, str],
                                  cpus: float | None) -> None:
    assert cpu_quota(_cgroup(tmp_path, files)) == cpus


def test_a_quota_of_one_cpu_means_one_worker_however_many_cores(tmp_path: Path) -> None:
    one_cpu = _cgroup(tmp_path / "one", {"cpu.max": "100000 100000\n"})
    half = _cgroup(tmp_path / "half", {"cpu.max": "50000 100000\n"})
    assert default_workers(one_cpu) == 1
    assert default_workers(half) == 1


def test_without_a_quota_every_core_the_process_may_use(tmp_path: Path) -> None:
    assert default_workers(tmp_path) == len(os.sched_getaffinity(0))
    roomy = _cgroup(tmp_path / "roomy", {"cpu.max": "6400000 100000\n"})
    assert default_workers(roomy) == len(os.sched_getaffinity(0))


def _enters_while_held(voice, held_ids: int, asking_ids: int) -> tuple[bool, bool]:
    """Whether a run of `asking_ids` starts while one of `held_ids` is under way, and whether
    it starts once that one is over."""
    import threading

    holding, release, entered = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with voice.borrow(held_ids):
            holding.set()
            release.wait(10)

    def ask() -> None:
        with voice.borrow(asking_ids):
            entered.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    asker = threading.Thread(target=ask)
    asker.start()
    during = entered.wait(0.5)
    release.set()
    after = entered.wait(10)
    holder.join(10)
    asker.join(10)
    return during, after


def test_two_ordinary_runs_share_the_voice_and_two_long_ones_take_turns(voice) -> None:
    from audiobrief.voices import Voice

    shared = Voice(voice.spec, voice.piper, concurrency=2, ids_at_once=600)
    assert _enters_while_held(shared, 290, 300) == (True, True)
    assert _enters_while_held(shared, 400, 400) == (False, True)
    one_at_a_time = Voice(voice.spec, voice.piper, concurrency=1)
    assert _enters_while_held(one_at_a_time, 10, 10) == (False, True)
