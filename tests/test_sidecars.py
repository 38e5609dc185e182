"""sidecars: JSON chapters and WebVTT files a web player loads beside the MP3."""

from __future__ import annotations

import json
import re

import pytest

from audiobrief.model import Chapter, Rendition, Script, Sentence
from audiobrief.script.words import spoken_units
from audiobrief.sidecars import (
    CUE_CHARS,
    chapters_json,
    chapters_vtt,
    timed_words,
    transcript_json,
    transcript_vtt,
)

RATE_HZ = 22050

# (chapter title, [(sentence text, first sample, end sample)]); silence between sentences.
LAYOUT = [
    (
        "Kharkiv under fire",
        [("Missiles hit Kharkiv.", 0, 30000), ("Three were hurt.", 36000, 61000)],
    ),
    ("Damage", [("A school & a <b>shop</b> were hit.", 79000, 120000)]),
    ("Later, over an hour in", [("Air defence\nworked.", 80_000_000, 80_050_000)]),
]
TOTAL_SAMPLES = 80_060_000  # about an hour: the hours field of the timestamps is exercised


def make_script(*, chaptered: bool = True) -> Script:
    chapters = tuple(
        Chapter(title, tuple(Sentence(text=text, spoken=text) for text, _a, _b in sentences))
        for title, sentences in LAYOUT
    )
    return Script("Kharkiv", None, None, None, None, "en", chapters, chaptered=chaptered)


@pytest.fixture(scope="module")
def rendition() -> Rendition:
    samples = tuple((a, b) for _title, sentences in LAYOUT for _text, a, b in sentences)
    return Rendition(RATE_HZ, samples, bytes(2 * TOTAL_SAMPLES))


WORD_TIME = re.compile(r"<(\d\d):(\d\d):(\d\d)\.(\d\d\d)>")
CUE = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)\n(.*)")


def _cues(vtt: str) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text) of each cue."""
    assert vtt.startswith("WEBVTT\n\n") or vtt == "WEBVTT\n"
    cues = []
    for block in vtt.split("\n\n")[1:]:
        match = CUE.fullmatch(block.strip("\n"))
        assert match, block
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups()[:8])
        start = ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1
        end = ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2
        cues.append((start, end, match.group(9)))
    return cues


def test_transcript_has_one_cue_per_sentence_on_its_speech(rendition: Rendition) -> None:
    cues = _cues(transcript_vtt(make_script(), rendition))
    expected = [(a * 1000 / RATE_HZ, b * 1000 / RATE_HZ) for _t, s in LAYOUT for _x, a, b in s]
    assert len(cues) == len(expected) == 4
    for (start, end, _text), (start_ms, end_ms) in zip(cues, expected, strict=True):
        assert abs(start - start_ms) < 1 and abs(end - end_ms) < 1


@pytest.mark.parametrize(
    ("index", "text"),
    [
        (0, "Missiles hit Kharkiv."),
        (2, "A school &amp; a &lt;b&gt;shop&lt;/b&gt; were hit."),
        (3, "Air defence worked."),
    ],
    ids=["plain", "markup-escaped", "one-line"],
)
def test_transcript_cue_text_is_the_sentence_as_written(
    rendition: Rendition, index: int, text: str
) -> None:
    cue = _cues(transcript_vtt(make_script(), rendition))[index][2]
    assert WORD_TIME.sub("", cue) == text


def test_timestamps_count_hours(rendition: Rendition) -> None:
    vtt = transcript_vtt(make_script(), rendition)
    # sample 80,000,000 at 22050 Hz is 3628.117 s
    assert "01:00:28.117 --> 01:00:30.385" in vtt


def test_chapter_cues_match_the_mp3_chapters(rendition: Rendition) -> None:
    script = make_script()
    cues = _cues(chapters_vtt(script, rendition))
    spans = rendition.chapter_spans(script)
    assert [(start, end) for start, end, _t in cues] == [(s.start_ms, s.end_ms) for s in spans]
    assert [text for _s, _e, text in cues] == [
        "Kharkiv under fire",
        "Damage",
        "Later, over an hour in",
    ]


def test_json_chapters_are_podcasting_2_0(rendition: Rendition) -> None:
    script = make_script()
    document = json.loads(chapters_json(script, rendition))
    assert document["version"] == "1.2.0"
    spans = rendition.chapter_spans(script)
    assert document["chapters"] == [
        {"startTime": span.start_ms / 1000, "endTime": span.end_ms / 1000, "title": title}
        for (title, _s), span in zip(LAYOUT, spans, strict=True)
    ]
    assert document["chapters"][0]["startTime"] == 0
    assert document["chapters"][1]["startTime"] == pytest.approx(79000 / RATE_HZ, abs=0.001)


def test_unchaptered_script_has_no_chapters(rendition: Rendition) -> None:
    script = make_script(chaptered=False)
    assert json.loads(chapters_json(script, rendition))["chapters"] == []
    assert chapters_vtt(script, rendition) == "WEBVTT\n"
    assert len(_cues(transcript_vtt(script, rendition))) == 4


def test_transcript_refuses_a_rendition_of_another_script() -> None:
    other = Rendition(RATE_HZ, ((0, 50),), bytes(200))
    with pytest.raises(ValueError, match="1 sentences, the script has 4"):
        transcript_vtt(make_script(), other)


def _ms(match: re.Match[str]) -> int:
    h, m, s, ms = (int(g) for g in match.groups())
    return ((h * 60 + m) * 60 + s) * 1000 + ms


# Written as the article has it, said as the normaliser and the pronouncer made it.
WRITTEN = ("Russia pledged $1.5 billion to Kharkiv Oblast on Jan. 5, officials said [2], and the"
           " money reached the front lines of the war within weeks of the announcement.")
SPOKEN = ("Russia pledged one point five billion dollars to [[ kˈɑːɹkiv ˈɔblɑːst ]] on January"
          " fifth, officials said, and the money reached the front lines of the war within"
          " weeks of the announcement.")


def measured() -> tuple[Script, Rendition]:
    """A one-sentence script whose units the voice timed 100 ms apart, each lasting 80 ms."""
    script = Script("t", None, None, None, None, "en",
                    (Chapter("", (Sentence(text=WRITTEN, spoken=SPOKEN),)),))
    units = spoken_units(SPOKEN)
    step = RATE_HZ // 10
    words = tuple((1000 + i * step, 1000 + i * step + step * 8 // 10) for i in range(len(units)))
    return script, Rendition(RATE_HZ, ((1000, words[-1][1] + 100),),
                             bytes(2 * (words[-1][1] + 5000)), word_samples=(words,))


def test_json_transcript_has_a_segment_per_written_word_on_its_spoken_words() -> None:
    script, rendition = measured()
    document = json.loads(transcript_json(script, rendition))
    assert document["version"] == "1.0.0"
    segments = document["segments"]
    assert set(segments[0]) == {"startTime", "endTime", "body"}
    bodies = [segment["body"] for segment in segments]
    assert bodies[:8] == ["Russia", "pledged", "$1.5 billion", "to", "Kharkiv Oblast", "on",
                          "Jan.", "5,"]
    # A citation mark has no sound: it is kept where it is written, for no time.
    mark = segments[bodies.index("[2],")]
    assert mark["startTime"] == mark["endTime"] == segments[bodies.index("[2],") - 1]["endTime"]
    amount = segments[2]
    # "one point five billion dollars": units 2 to 6 of the spoken text.
    step_s = (RATE_HZ // 10) / RATE_HZ
    assert amount["startTime"] == pytest.approx((1000 / RATE_HZ) + 2 * step_s, abs=0.002)
    assert amount["endTime"] == pytest.approx((1000 / RATE_HZ) + 6.8 * step_s, abs=0.002)
    block = segments[4]
    assert block["endTime"] - block["startTime"] == pytest.approx(0.8 * step_s, abs=0.002)
    starts = [segment["startTime"] for segment in segments]
    assert starts == sorted(starts)


def test_words_keep_their_place_in_the_text_as_written() -> None:
    script, rendition = measured()
    for word in timed_words(script, rendition):
        assert WRITTEN[word.start_char:word.end_char] == word.text
    said = [word for word in timed_words(script, rendition) if word.text == "said"]
    assert said[0].start_char == WRITTEN.index("said")


def test_long_sentences_are_cues_of_about_80_characters_with_each_word_timed() -> None:
    script, rendition = measured()
    vtt = transcript_vtt(script, rendition)
    cues = _cues(vtt)
    assert len(cues) >= 2
    texts = [WORD_TIME.sub("", text) for _s, _e, text in cues]
    assert " ".join(texts) == WRITTEN
    starts = [word.start_ms for word in timed_words(script, rendition)]
    for (start, end, text), plain in zip(cues, texts, strict=True):
        assert len(plain) <= CUE_CHARS
        times = [_ms(match) for match in WORD_TIME.finditer(text)]
        assert times == sorted(times)
        # Every word but a cue's first is marked with its time (a mark of no sound is not).
        assert set(times) == {time for time in starts if start < time < end}
        assert len(times) >= 5
    assert [end for _s, end, _t in cues[:-1]] == [start for start, _e, _t in cues[1:]]


def test_timings_stored_before_words_were_timed_still_give_words() -> None:
    script, rendition = measured()
    old = Rendition(RATE_HZ, rendition.sentence_samples, length_samples=rendition.total_samples)
    words = timed_words(script, old)
    assert [word.text for word in words] == [word.text for word in timed_words(script, rendition)]
    start, end = rendition.sentence_spans()[0].start_ms, rendition.sentence_spans()[0].end_ms
    assert words[0].start_ms == start and abs(words[-1].end_ms - end) <= 1
    assert all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:], strict=False))
