"""SSML in: what each element of the subset says, the pauses and rates it sets, what reaches the
audio, and every refusal naming its line (the real voice's phonemes and synthesis)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from audiobrief import pipeline
from audiobrief.errors import NoArticleError, SsmlError
from audiobrief.load import from_content, load
from audiobrief.model import Script
from audiobrief.script.ssml import MAX_DEPTH, MAX_ELEMENTS, ssml_script
from audiobrief.settings import Settings
from tests.stages import synthesize
from tests.test_cli import run


@pytest.fixture(scope="module")
def pronouncer():
    return pipeline.pronouncer(pipeline.voice_spec(Settings(), pipeline.Options()))


def _script(body: str, pronouncer, **options) -> Script:
    return ssml_script(f'<speak version="1.1" xml:lang="en-US">{body}</speak>', "test.ssml",
                       pronouncer, **options)


def _spoken(body: str, pronouncer) -> list[str]:
    return [sentence.spoken for sentence in _script(body, pronouncer).sentences]


@pytest.mark.parametrize(("body", "spoken"), [
    pytest.param("<s>On Jan. 5 it cost $5.</s>", "On January fifth it cost five dollars.",
                 id="text outside tags is normalised"),
    pytest.param('<s>The <sub alias="World Wide Web">WWW</sub> grew.</s>',
                 "The World Wide Web grew.", id="sub"),
    pytest.param('<s><say-as interpret-as="characters">SBU</say-as> spoke.</s>', "S.B.U spoke.",
                 id="characters"),
    pytest.param('<s>It is <say-as interpret-as="spell-out">Kyiv</say-as>.</s>',
                 "It is K.Y.I.V.", id="spell-out"),
    pytest.param('<s><say-as interpret-as="cardinal">2,000</say-as> fled.</s>',
                 "two thousand fled.", id="cardinal"),
    pytest.param('<s>The <say-as interpret-as="ordinal">22nd</say-as> day.</s>',
                 "The twenty-second day.", id="ordinal"),
    pytest.param('<s>Code <say-as interpret-as="digits">2024</say-as>.</s>',
                 "Code two zero two four.", id="digits"),
    pytest.param('<s>On <say-as interpret-as="date" format="mdy">03/05/2024</say-as>.</s>',
                 "On March fifth, twenty twenty-four.", id="date mdy"),
    pytest.param('<s>On <say-as interpret-as="date" format="dmy">05.03.2024</say-as>.</s>',
                 "On the fifth of March, twenty twenty-four.", id="date dmy"),
    pytest.param('<s>On <say-as interpret-as="date">2024-03-05</say-as>.</s>',
                 "On March fifth, twenty twenty-four.", id="date ymd by default"),
    pytest.param('<s>In <say-as interpret-as="date" format="my">3/2024</say-as>.</s>',
                 "In March twenty twenty-four.", id="date my"),
    pytest.param('<s>Call <say-as interpret-as="telephone">+1 555-0100</say-as>.</s>',
                 "Call plus one, five five five, zero one zero zero.", id="telephone"),
    pytest.param('<s>Seat <say-as interpret-as="verbatim">a-1</say-as>.</s>',
                 "Seat [[ ˈeɪ ]] dash one.", id="verbatim"),
    pytest.param('<s>The capital is <phoneme alphabet="ipa" ph="kˈiːjɪv">Kyiv</phoneme>.</s>',
                 "The capital is [[ kˈiːjɪv. ]]", id="phoneme, the full stop inside the block"),
    pytest.param('<s><say-as interpret-as="characters">Jan. 5</say-as> and Jan. 5.</s>',
                 "J.A.N dot five and January fifth.", id="say-as text is not normalised"),
    pytest.param('<s><phoneme ph="tˈuː">2</phoneme> and 2.</s>', "[[ tˈuː ]] and two.",
                 id="phoneme text is not normalised"),
    pytest.param("<s>Kharkiv was hit.</s>", "[[ kˈɑːɹkiv ]] was hit.",
                 id="names as in articles"),
    pytest.param('<s><emphasis>Never</emphasis> <prosody rate="slow">again</prosody>.</s>',
                 "Never again.", id="emphasis and prosody say the words as written"),
    pytest.param("<p>One &amp; two &#8212; three.</p>", "One and two, three.",
                 id="XML's own entities and character references"),
])
def test_what_each_element_says(body: str, spoken: str, pronouncer) -> None:
    assert _spoken(body, pronouncer) == [spoken]


def test_a_phoneme_is_recorded_as_the_authors_pronunciation(pronouncer) -> None:
    sentence = next(_script('<s><phoneme ph="kˈiːjɪv">Kyiv</phoneme> stood.</s>',
                            pronouncer).sentences)
    assert sentence.text == "Kyiv stood."
    assert [(p.word, p.phonemes, p.source) for p in sentence.pronunciations] == [
        ("Kyiv", "kˈiːjɪv", "user")]


@pytest.mark.parametrize(("body", "sentences"), [
    pytest.param('<s>One.</s><break time="2s"/><s>Two.</s>', [("One.", 2000), ("Two.", 600)],
                 id="a break is the silence after the sentence before it"),
    pytest.param('<s>One.</s><break time="500ms"/><break time="250ms"/><s>Two.</s>',
                 [("One.", 750), ("Two.", 600)], id="breaks in a row add up"),
    pytest.param('<s>One.</s><break strength="strong"/><s>Two.</s><break strength="none"/>'
                 "<s>Three.</s><break/><s>Four.</s>",
                 [("One.", 750), ("Two.", 0), ("Three.", 350), ("Four.", 600)],
                 id="strengths, none and the default"),
    pytest.param('<s>Wait<break time="1s"/> for it.</s>', [("Wait", 1000), ("for it.", 600)],
                 id="a break inside a sentence ends it there"),
    pytest.param("<p>One. Two.</p><p>Three.</p>", [("One.", 350), ("Two.", 750), ("Three.", 600)],
                 id="paragraphs split into sentences"),
    pytest.param('<break time="1s"/><s>One.</s>', [("One.", 600)],
                 id="a break before anything is said is no silence"),
    pytest.param('<p>One.</p><break time="3s"/><p>Two.</p>', [("One.", 3000), ("Two.", 600)],
                 id="a break between paragraphs replaces their pause"),
])
def test_sentences_and_their_pauses(body: str, sentences: list[tuple[str, int]],
                                    pronouncer) -> None:
    assert [(s.text, s.pause_after_ms) for s in _script(body, pronouncer).sentences] == sentences


@pytest.mark.parametrize(("body", "rates"), [
    ('<prosody rate="slow"><s>Slow words.</s></prosody><s>Plain words.</s>', [0.75, 1.0]),
    ('<prosody rate="80%"><s>Slow.</s></prosody>', [0.8]),
    ('<prosody rate="+20%"><s>Fast.</s></prosody>', [1.2]),
    ('<prosody rate="x-fast"><s>Fast <prosody rate="x-fast">faster.</prosody></s></prosody>',
     [1.818]),  # 1.5 and 2.0 (1.5 × 1.5, bounded), weighed by their characters (4 and 7)
    ('<s><emphasis level="strong">Loud words here.</emphasis></s>', [0.8]),
    ('<s><emphasis level="reduced">Quiet.</emphasis></s>', [1.1]),
    ('<s>A long sentence with <emphasis>one</emphasis> stressed word.</s>', [0.992]),
])
def test_rates_are_per_sentence(body: str, rates: list[float], pronouncer) -> None:
    assert [s.rate for s in _script(body, pronouncer).sentences] == rates


def test_one_chapter_titled_by_the_opening_words_or_one_per_paragraph(pronouncer) -> None:
    body = "<p>The first paragraph of the brief opens here today.</p><p>Second one.</p>"
    script = _script(body, pronouncer)
    assert script.title == "The first paragraph of the brief…"
    assert [c.title for c in script.chapters] == ["The first paragraph of the brief…"]
    assert script.language == "en-US"
    paragraphs = _script(body, pronouncer, chapters="paragraphs", title="Brief")
    assert paragraphs.title == "Brief"
    assert [len(c.sentences) for c in paragraphs.chapters] == [1, 1]
    assert [s.pause_after_ms for s in paragraphs.sentences] == [1300, 600]
    assert not _script(body, pronouncer, chapters="none").chaptered


def test_a_language_without_its_voice_is_said_by_the_voice_and_logged(pronouncer,
                                                                      caplog) -> None:
    with caplog.at_level(logging.INFO, logger="audiobrief.script.ssml"):
        spoken = _spoken('<s>Glory: <lang xml:lang="uk">Слава</lang>.</s>', pronouncer)
    assert spoken == ["Glory: [[ slˈɑːvɑː. ]]"]
    assert "line 1: no voice switch for xml:lang 'uk'" in caplog.text


def _refusal(document: str, pronouncer) -> str:
    with pytest.raises(SsmlError) as refused:
        ssml_script(document, "test.ssml", pronouncer)
    return str(refused.value)


@pytest.mark.parametrize(("document", "message"), [
    pytest.param('<speak>\n<s>Hi.</s>\n<audio src="x.mp3"/>\n</speak>',
                 "test.ssml, line 3: <audio> is not supported SSML here; use one of speak, p,"
                 " s, break, sub, phoneme, say-as, emphasis, prosody, lang",
                 id="unknown element"),
    pytest.param('<speak>\n<prosody pitch="high">Hi.</prosody></speak>',
                 "line 2: <prosody pitch> is not supported SSML here; <prosody> takes rate",
                 id="unknown attribute"),
    pytest.param('<speak>\n\n<phoneme ph="kɪgv">Kyiv</phoneme></speak>',
                 "line 3: 'g' (U+0067) is not a phoneme of the voice", id="a phoneme the voice"
                 " lacks"),
    pytest.param('<speak><phoneme alphabet="x-sampa" ph="kiv">Kyiv</phoneme></speak>',
                 "line 1: <phoneme alphabet='x-sampa'> is not supported", id="x-sampa"),
    pytest.param('<speak>\n<say-as interpret-as="address">1 Main St</say-as></speak>',
                 "line 2: <say-as interpret-as='address'> is not supported", id="say-as kind"),
    pytest.param('<speak>\n<say-as interpret-as="cardinal">many</say-as></speak>',
                 "line 2: <say-as interpret-as=\"cardinal\"> 'many' is not a number",
                 id="say-as text"),
    pytest.param('<speak><say-as interpret-as="date" format="dmy">31/13/2024</say-as></speak>',
                 "'13' is not a month", id="date"),
    pytest.param('<speak><break time="3 minutes"/></speak>', "is not a time such as 500ms",
                 id="break time"),
    pytest.param('<speak><break time="20s"/></speak>', "is longer than 10 s", id="long break"),
    pytest.param('<speak><prosody rate="300%">Hi.</prosody></speak>', "is outside 50%–200%",
                 id="rate"),
    pytest.param("<p>Hi.</p>", "line 1: the root element must be <speak>, not <p>",
                 id="root"),
    pytest.param("<speak><s><p>Hi.</p></s></speak>", "<p> cannot be inside <s>", id="p in s"),
    pytest.param('<speak><say-as interpret-as="digits">1<break/>2</say-as></speak>',
                 "<say-as> holds text only, not <break>", id="element in say-as"),
    pytest.param("<speak><sub>WWW</sub></speak>", "<sub> needs its alias attribute",
                 id="missing alias"),
    pytest.param("<speak>\n<s>Hi.</p></speak>",
                 "test.ssml is not well-formed XML: line 2, column 9: mismatched tag",
                 id="malformed"),
    pytest.param("<speak>\n<s>Hi&nbsp;there.</s></speak>",
                 "line 2, column 6: undefined entity", id="an entity XML does not define"),
    pytest.param("<speak> </speak>", "test.ssml has nothing to say", id="empty"),
])
def test_refusals_name_the_line(document: str, message: str, pronouncer) -> None:
    assert message in _refusal(document, pronouncer)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE speak [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<speak><s>&lol9;</s></speak>"""


@pytest.mark.timeout(5)
@pytest.mark.parametrize("document", [
    pytest.param(BILLION_LAUGHS, id="billion laughs"),
    pytest.param('<!DOCTYPE speak SYSTEM "file:///etc/passwd"><speak>Hi.</speak>',
                 id="external DTD"),
    pytest.param('<!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                 "<speak>&x;</speak>", id="external entity"),
])
def test_a_dtd_is_refused_at_once(document: str, pronouncer) -> None:
    started = time.monotonic()
    assert "a DTD (<!DOCTYPE …>) is not accepted" in _refusal(document, pronouncer)
    assert time.monotonic() - started < 1


def test_deep_nesting_and_many_elements_are_refused(pronouncer) -> None:
    deep = "<speak>" + '<prosody rate="medium">' * MAX_DEPTH + "Hi." + "</prosody>" * MAX_DEPTH
    assert f"elements nested more than {MAX_DEPTH} deep" in _refusal(deep + "</speak>",
                                                                     pronouncer)
    many = "<speak><s>Hi.</s>" + "<break/>" * MAX_ELEMENTS + "</speak>"
    assert f"more than {MAX_ELEMENTS:,} elements" in _refusal(many, pronouncer)


# Where SSML comes in: a file, stdin, a fetched page, posted content. -----------------------

DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<!-- from the desk -->
<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">
  <p><s>Kharkiv was hit on <say-as interpret-as="date" format="mdy">3/5/2024</say-as>.</s>
  <break time="1500ms"/>
  <s><prosody rate="x-slow">Listen closely.</prosody></s></p>
</speak>
"""


def test_a_document_whose_root_is_speak_is_ssml(tmp_path: Path) -> None:
    (tmp_path / "brief.xml").write_text(DOCUMENT, encoding="utf-8")
    (tmp_path / "brief.ssml").write_text("<p>Not SSML at all.</p>", encoding="utf-8")
    assert load(tmp_path / "brief.xml").kind == "ssml"
    assert from_content(DOCUMENT, "ssml", "the posted ssml").kind == "ssml"
    with pytest.raises(SsmlError, match="the root element must be <speak>"):
        pipeline.prepare(tmp_path / "brief.ssml", Settings(), pipeline.Options())
    with pytest.raises(NoArticleError, match="is SSML, which is said as it is written"):
        pipeline.read(tmp_path / "brief.xml", Settings())


def test_script_of_an_ssml_file_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "brief.ssml"
    path.write_text(DOCUMENT, encoding="utf-8")
    result = run("script", str(path), "--json")
    assert result.returncode == 0, result.stderr.decode()
    script = json.loads(result.stdout)
    assert script["title"] == "Kharkiv was hit on 3/5/2024."
    sentences = script["chapters"][0]["sentences"]
    assert [(s["spoken"], s["pause_after_ms"], s["rate"]) for s in sentences] == [
        ("[[ kˈɑːɹkiv ]] was hit on March fifth, twenty twenty-four.", 1500, 1.0),
        ("Listen closely.", 600, 0.5)]


def test_a_refused_ssml_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "brief.ssml"
    path.write_text('<speak>\n<s>Hi.</s>\n<voice name="x">Hi.</voice></speak>', encoding="utf-8")
    result = run("script", str(path))
    assert result.returncode == 2
    assert result.stderr.decode() == (
        f"audiobrief: {path}, line 3: <voice> is not supported SSML here; use one of speak, p,"
        " s, break, sub, phoneme, say-as, emphasis, prosody, lang\n")


def test_breaks_and_rates_reach_the_audio(voice) -> None:
    """The gap between two sentences' speech is the break exactly; a sentence at x-slow lasts
    far longer than the same words at the voice's rate."""
    settings, options = Settings(), pipeline.Options()
    said = pipeline.prepare(from_content(DOCUMENT, "ssml", "brief"), settings, options)
    plain = pipeline.prepare(from_content(
        "<speak><s>Kharkiv was hit on March fifth.</s><s>Listen closely.</s></speak>", "ssml",
        "brief"), settings, options)
    rate = voice.spec.sample_rate_hz
    (_, end), (start, slow_end) = synthesize(said, voice).sentence_samples
    assert start - end == round(1500 * rate / 1000)
    (_, plain_end), (plain_start, normal_end) = synthesize(plain, voice).sentence_samples
    assert plain_start - plain_end == round(350 * rate / 1000)
    assert (slow_end - start) > 1.6 * (normal_end - plain_start)


def test_a_fetched_ssml_document_is_ssml(httpserver) -> None:
    httpserver.expect_request("/brief").respond_with_data(
        DOCUMENT, content_type="application/ssml+xml; charset=utf-8")
    page = load(httpserver.url_for("/brief"))
    assert page.kind == "ssml"
    script = pipeline.prepare(page, Settings(), pipeline.Options())
    assert script.url == httpserver.url_for("/brief")
    assert [s.pause_after_ms for s in script.sentences] == [1500, 600]


@pytest.mark.timeout(30)
def test_a_long_run_of_text_is_cut_into_sentences_in_linear_time(pronouncer) -> None:
    body = "<p>" + " ".join(f"Sentence {n} is <sub alias='here'>there</sub>." for n in range(3000))
    script = _script(body + "</p>", pronouncer, normalize_text=False)
    assert script.sentence_count == 3000
    assert list(script.sentences)[-1].spoken == "Sentence 2999 is here."
