"""Word times: each word as written, heard when the transcript says, checked against the audio."""

from __future__ import annotations

import numpy as np
import pytest

from audiobrief.script.words import spoken_units, words
from audiobrief.sidecars import timed_words

FRAME_S = 0.005
GATE = 0.02
"""A 5 ms frame louder than this (about -34 dBFS) is sound: speech is evened near -20 dBFS."""
PAUSE_S = 0.08
"""A word after at least this much silence starts where the sound comes back."""


@pytest.mark.parametrize(
    ("text", "spoken", "expected"),
    [
        ("It cost $1.5 billion.", "It cost one point five billion dollars.",
         [("It", "It"), ("cost", "cost"), ("$1.5 billion.", "one point five billion dollars.")]),
        ("Shelling hit Kharkiv Oblast.", "Shelling hit [[ kˈɑːɹkiv ˈɔblɑːst. ]]",
         [("Shelling", "Shelling"), ("hit", "hit"),
          ("Kharkiv Oblast.", "[[ kˈɑːɹkiv ˈɔblɑːst. ]]")]),
        ("On Jan. 5 — a Friday.", "On January fifth, a Friday.",
         [("On", "On"), ("Jan.", "January"), ("5", "fifth,"), ("a", "a"),
          ("Friday.", "Friday.")]),
        ("Prices rose 5%.", "Prices rose five percent.",
         [("Prices", "Prices"), ("rose", "rose"), ("5%.", "five percent.")]),
    ],
    ids=["money-with-scale", "phoneme-block", "date-and-dash", "percent"],
)
def test_each_written_word_is_said_by_the_spoken_words_it_became(
        text: str, spoken: str, expected: list[tuple[str, str]]) -> None:
    units = spoken_units(spoken)
    found = [(text[w.start_char:w.end_char], " ".join(units[w.first_unit:w.end_unit]))
             for w in words(text, spoken)]
    assert found == expected


def _onset(pcm: np.ndarray, start: int, end: int, frame: int) -> int | None:
    """The first sample of the first frame from `start` louder than GATE, before `end`."""
    for position in range(start, end - frame, frame // 2):
        if float(np.sqrt(np.mean(pcm[position:position + frame] ** 2))) > GATE:
            return position
    return None


def test_words_after_a_pause_start_within_50_ms_of_their_sound(example_narration) -> None:
    narration, _path = example_narration
    rendition = narration.rendition
    rate = rendition.sample_rate_hz
    pcm = np.frombuffer(rendition.pcm, dtype="<i2").astype(np.float32) / 32768
    frame = int(FRAME_S * rate)
    timed = timed_words(narration.script, rendition)
    errors_ms = []
    previous_end = 0
    for word in timed:
        start, end = word.start_ms * rate // 1000, word.end_ms * rate // 1000
        silent_before = (start - previous_end) / rate >= PAUSE_S and _onset(
            pcm, previous_end + frame, start - 3 * frame, frame) is None
        if silent_before and end > start:
            # From where the silence was checked: the frame at previous_end is the last of the
            # word before, whose sound may ring into it.
            onset = _onset(pcm, previous_end + frame, end, frame)
            assert onset is not None, word
            errors_ms.append(abs(onset - start) * 1000 / rate)
        previous_end = max(previous_end, end)
    assert len(errors_ms) >= 12  # the example's sentence starts and clause pauses
    print(f"word onsets: {len(errors_ms)} words, median {np.median(errors_ms):.1f} ms,"
          f" max {max(errors_ms):.1f} ms")
    assert max(errors_ms) <= 50, sorted(errors_ms)[-5:]


def test_every_word_of_the_example_is_timed_in_order_within_its_sentence(
        example_narration) -> None:
    narration, _path = example_narration
    rendition = narration.rendition
    assert rendition.word_samples  # measured by the voice, not estimated
    sentences = list(narration.script.sentences)
    spans = rendition.sentence_spans()
    timed = timed_words(narration.script, rendition)
    written = sum(len(words(s.text, s.spoken)) for s in sentences)
    # The example's ten sentences hold 223 words as written, the headline and byline included.
    assert len(timed) == written > 200
    for word in timed:
        span = spans[word.sentence]
        assert span.start_ms <= word.start_ms <= word.end_ms <= span.end_ms + 1
        assert sentences[word.sentence].text[word.start_char:word.end_char] == word.text
    assert all(a.start_ms <= b.start_ms for a, b in zip(timed, timed[1:], strict=False))
    # Words are heard for a while, not squeezed to nothing: a word lasts 50 ms or more.
    durations = sorted(word.end_ms - word.start_ms for word in timed)
    assert durations[len(durations) // 10] >= 50
