"""The example page through every stage with the real voice; the MP3 read back with mutagen."""

from __future__ import annotations

import re

import numpy as np
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

TITLE = "Governor: Russia attacked Kharkiv Oblast with foreign-made missiles"


def test_tags_describe_the_article(example_mp3) -> None:
    tags = ID3(example_mp3)
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == TITLE
    assert str(tags["TPE1"]) == "Dinara Khalilova"
    assert str(tags["TALB"]) == "The Kyiv Independent"
    assert str(tags["TDRC"]) == "2024-01-05"
    assert str(tags["TLAN"]) == "eng"
    assert tags.getall("WOAS")[0].url.startswith("https://kyivindependent.com/governor-russia")
    disclosures = [str(frame) for frame in tags.getall("TXXX") + tags.getall("COMM")]
    assert disclosures.count("This audio is created with AI assistance") == 2


def test_chapters_start_where_their_first_sentence_starts(example_narration, example_mp3) -> None:
    narration, _ = example_narration
    rate = narration.rendition.sample_rate_hz
    chaps = sorted(ID3(example_mp3).getall("CHAP"), key=lambda c: c.start_time)
    titles = [str(c.sub_frames["TIT2"]) for c in chaps]
    assert titles[0] == TITLE
    assert titles == [c.title for c in narration.script.chapters]
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
