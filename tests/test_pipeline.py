"""The example page through every stage with the real voice; the MP3 read back with mutagen."""

from __future__ import annotations

import gc
import re
import time
import weakref

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from audiobrief import pipeline
from audiobrief.errors import TooLongError
from audiobrief.model import Article, Section
from audiobrief.settings import Settings
from tests.conftest import EXAMPLE_HTML

TITLE = "Governor: Russia attacked Kharkiv Oblast with foreign-made missiles"


def test_tags_describe_the_article(example_mp3) -> None:
    tags = ID3(example_mp3)
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == TITLE
    assert str(tags["TPE1"]) == "Dinara Khalilova"
    assert str(tags["TALB"]) == "The Kyiv Independent"
    assert str(tags["TDRC"]) == "2024-01-05 16:46:00"  # 18:46+02:00 in UTC; mutagen shows a space
    assert str(tags["TLAN"]) == "eng"
    assert tags.getall("WOAS")[0].url.startswith("https://kyivindependent.com/governor-russia")
    disclosures = [str(frame) for frame in tags.getall("TXXX") + tags.getall("COMM")]
    assert disclosures.count("This audio is created with AI assistance") == 2


def test_chapters_start_where_their_first_sentence_starts(example_narration, example_mp3) -> None:
    narration, _ = example_narration
    rate = narration.rendition.sample_rate_hz
    chaps = sorted(ID3(example_mp3).getall("CHAP"), key=lambda c: c.start_time)
    titles = [str(c.sub_frames["TIT2"]) for c in chaps]
    # The headline chapter, then the body grouped by length and titled by its opening words.
    assert titles == [TITLE, "Some of the missiles that Russia…"]
    assert chaps[0].start_time == 0
    first_sentence = 0
    for chap, chapter in zip(chaps, narration.script.chapters, strict=True):
        start_sample = narration.rendition.sentence_samples[first_sentence][0]
        if first_sentence:
            assert abs(chap.start_time - start_sample * 1000 / rate) <= 50
        first_sentence += len(chapter.sentences)
    for earlier, later in zip(chaps, chaps[1:], strict=False):
        assert earlier.end_time == later.start_time
    length_ms = MP3(example_mp3).info.length * 1000
    assert abs(chaps[-1].end_time - length_ms) <= 50


def test_duration_is_exact_and_plausible(example_narration, example_mp3) -> None:
    narration, _ = example_narration
    info = MP3(example_mp3).info
    assert abs(info.length * 1000 - narration.rendition.duration_ms) <= 50
    assert info.channels == 1
    assert info.sample_rate == 22050
    # About 1,150 characters of body and headline: a minute or more of speech, not silence.
    assert 55 < info.length < 120


def test_speech_where_sentences_are_and_silence_between(example_narration) -> None:
    rendition = example_narration[0].rendition
    samples = np.frombuffer(rendition.pcm, dtype="<i2").astype(np.float64) / 32768
    spans = rendition.sentence_samples
    for (start, end), (next_start, _) in zip(spans, spans[1:], strict=False):
        speech = samples[start:end]
        assert np.sqrt((speech**2).mean()) > 0.03
        assert np.abs(samples[end:next_start]).max() == 0.0
        assert next_start - end >= 0.3 * rendition.sample_rate_hz


def test_example_names_reach_the_voice_as_phonemes(example_narration) -> None:
    script = example_narration[0].script
    said = {p.word: p for s in script.sentences for p in s.pronunciations}
    spoken = " ".join(s.spoken for s in script.sentences)
    # Neighbouring names share one block ("[[ kˈɑːɹkiv ˈɔblɑːst ]]"), so look inside every block.
    blocks = " ".join(re.findall(r"\[\[ (.*?) \]\]", spoken)).split()
    for name in ("Kharkiv", "Oblast", "Syniehubov", "Zaporizhzhia"):
        assert name in said, name
        assert said[name].source in {"lexicon", "rule"}
        assert said[name].phonemes in blocks, name
        assert name not in spoken, name


# Limits applied while preparing the script: no voice is needed, so these run without one.

def _text_article(*paragraphs: str, title: str = "A headline") -> Article:
    return Article(title=title, byline=None, date=None, site=None, url=None, language="en",
                   sections=(Section(None, paragraphs),))


def test_a_huge_text_is_refused_before_any_scripting() -> None:
    """5 MB of text would be days of audio: refused at once, saying how long and the limit."""
    article = _text_article(*["The army said on Tuesday that it had moved. " * 1000] * 110)
    start = time.perf_counter()
    with pytest.raises(TooLongError, match=r"about [\d,]+ minutes of audio; the limit is 120"):
        pipeline.prepare(article, Settings(), pipeline.Options())
    assert time.perf_counter() - start < 2  # splitting 5 MB alone takes far longer


@pytest.mark.parametrize(("limit_minutes", "refused"), [(2, False), (1, True)])
def test_the_example_passes_a_limit_above_its_length_only(limit_minutes: int,
                                                          refused: bool) -> None:
    """The example article makes about 100 s of audio (55–120 s measured)."""
    settings = Settings(max_audio_minutes=limit_minutes)
    if refused:
        with pytest.raises(TooLongError):
            pipeline.prepare(EXAMPLE_HTML, settings, pipeline.Options())
    else:
        assert pipeline.prepare(EXAMPLE_HTML, settings, pipeline.Options()).chapters


def test_text_that_normalising_makes_longer_is_checked_again() -> None:
    """12,000 percent signs look like 13 minutes of text and say 'percent' 12,000 times."""
    article = _text_article("%" * 12_000 + ".")
    with pytest.raises(TooLongError):
        pipeline.prepare(article, Settings(max_audio_minutes=15), pipeline.Options())


def test_a_long_title_is_cut_at_a_word_before_it_is_scripted() -> None:
    settings = Settings()
    start = time.perf_counter()
    script = pipeline.prepare(_text_article("Body text.", title="Minister resigns " * 60_000),
                              settings, pipeline.Options())
    assert time.perf_counter() - start < 5  # a 1 MB title took 23 s and 1.15 GB
    assert len(script.title) <= settings.max_title_chars
    assert script.title.endswith(("Minister…", "resigns…"))
    headline = script.chapters[0]
    assert headline.title == script.title
    assert sum(len(s.text) for s in headline.sentences) <= settings.max_title_chars + 1


def test_a_long_title_given_for_a_page_is_cut_too() -> None:
    settings = Settings(max_title_chars=41)
    options = pipeline.Options(title="A very long title given with the request " * 1000)
    script = pipeline.prepare(EXAMPLE_HTML, settings, options)
    assert script.title == "A very long title given with the request…"


def test_lexicon_entries_of_a_request_are_not_kept_after_it() -> None:
    """A request's own lexicon is parsed for it alone: 16 requests with 200k entries each
    kept 2 GB in a cache. The built-in and file lexicons stay cached."""
    spec = pipeline.voice_spec(Settings(), pipeline.Options())
    names = [f"Testname{a}{b}" for a in "abcdefghij" for b in "abcdefghijklmnopqrst"]
    entries = "".join(f"{name}\tkˈɑːɹkiv\n" for name in names)
    pronouncer = pipeline.pronouncer(spec, (), entries)
    assert pronouncer.apply("Testnamegh spoke.")[0] == "[[ kˈɑːɹkiv ]] spoke."
    kept = weakref.ref(pronouncer)
    del pronouncer
    gc.collect()
    assert kept() is None
    assert pipeline.pronouncer(spec) is pipeline.pronouncer(spec)


def test_text_with_control_characters_is_narrated(voice) -> None:
    """A NUL in a posted text made espeak raise ValueError after the job was accepted."""
    import io

    settings, options = Settings(), pipeline.Options(headline=False)
    script = pipeline.prepare(_text_article("Hello\x00 world and \ud800 more."), settings, options)
    narration = pipeline.narrate(script, voice, settings, options, io.BytesIO())
    assert narration.duration_ms > 1000


@pytest.mark.parametrize("text", ["." * 2_000_000 + "x", "word " * 1_000_000, "x" * 5_000_000],
                         ids=["dots", "words", "one-word"])
def test_the_length_estimate_is_quick_on_any_5_mb(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(TooLongError):
        pipeline.prepare(_text_article(text), Settings(), pipeline.Options())
    assert time.perf_counter() - start < 2


@pytest.mark.timeout(30)
@pytest.mark.parametrize("text", ["[" * 2_000_000, "![" * 1_000_000, "*a" * 1_000_000],
                         ids=["brackets", "images", "emphasis"])
def test_a_huge_text_page_is_refused_before_it_is_parsed(text: str) -> None:
    """Markdown's worst inputs cost time by their length: a text is measured first."""
    from audiobrief.load import from_content

    page = from_content(text, "text", "the posted text")
    start = time.perf_counter()
    with pytest.raises(TooLongError, match="minutes of audio"):
        pipeline.prepare(page, Settings(), pipeline.Options())
    assert time.perf_counter() - start < 2
