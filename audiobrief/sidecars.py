"""Script + Rendition → text sidecars of the MP3: Podcasting 2.0 JSON chapters, chapter WebVTT, a
word-timed Podcasting 2.0 JSON transcript and a word-timed WebVTT transcript, all on the same
sample-exact times as the MP3's chapters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from audiobrief.alignment import estimated_spans
from audiobrief.model import Rendition, Script, Span, TimedWord
from audiobrief.script.words import spoken_units, words

JSON_CHAPTERS_VERSION = "1.2.0"
"""The Podcasting 2.0 JSON chapters format version written."""
JSON_TRANSCRIPT_VERSION = "1.0.0"
"""The Podcasting 2.0 JSON transcript format version written."""
CUE_CHARS = 80
"""A sentence longer than this is shown in several cues, cut between words: a caption of a
few lines at most."""


def chapters_json(script: Script, rendition: Rendition) -> str:
    """Podcasting 2.0 JSON chapters (seconds); no chapters when the script is not chaptered."""
    chapters = [
        {"startTime": span.start_s, "endTime": span.end_s, "title": title}
        for title, span in _chapters(script, rendition)
    ]
    document = {"version": JSON_CHAPTERS_VERSION, "chapters": chapters}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def chapters_vtt(script: Script, rendition: Rendition) -> str:
    """WebVTT with one cue per chapter (its title); no cues when the script is not chaptered."""
    return _webvtt(_chapters(script, rendition))


def timed_words(script: Script, rendition: Rendition) -> tuple[TimedWord, ...]:
    """Every word of every sentence as written, with when it is heard: measured by the voice,
    or spread over its sentence by length for timings stored before words were timed."""
    sentences = tuple(script.sentences)
    _check(len(rendition.sentence_samples), len(sentences))
    rate = rendition.sample_rate_hz
    result: list[TimedWord] = []
    for index, sentence in enumerate(sentences):
        start, end = rendition.sentence_samples[index]
        units = spoken_units(sentence.spoken)
        samples = (rendition.word_samples[index] if index < len(rendition.word_samples) else ())
        if len(samples) != len(units):
            samples = tuple((start + a, start + b)
                            for a, b in estimated_spans(units, end - start))
        cursor = start
        for word in words(sentence.text, sentence.spoken):
            if word.end_unit > word.first_unit:
                first, last = samples[word.first_unit][0], samples[word.end_unit - 1][1]
            else:
                first = last = cursor
            cursor = last
            result.append(TimedWord(sentence.text[word.start_char:word.end_char], index,
                                    word.start_char, word.end_char,
                                    first * 1000 // rate, last * 1000 // rate))
    return tuple(result)


def transcript_json(script: Script, rendition: Rendition) -> str:
    """Podcasting 2.0 JSON transcript: one segment per word as written (seconds)."""
    segments = [{"startTime": word.start_ms / 1000, "endTime": word.end_ms / 1000,
                 "body": word.text} for word in timed_words(script, rendition)]
    document = {"version": JSON_TRANSCRIPT_VERSION, "segments": segments}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def transcript_vtt(script: Script, rendition: Rendition) -> str:
    """WebVTT of the sentences as written, timed to their speech, a sentence longer than
    CUE_CHARS in several cues cut between words; each word after a cue's first is marked with
    the time it is heard (`<00:00:01.250>`), as karaoke captions are."""
    spans = rendition.sentence_spans()
    sentences = tuple(script.sentences)
    _check(len(spans), len(sentences))
    by_sentence: list[list[TimedWord]] = [[] for _ in sentences]
    for word in timed_words(script, rendition):
        by_sentence[word.sentence].append(word)
    blocks = ["WEBVTT"]
    for sentence, span, sentence_words in zip(sentences, spans, by_sentence, strict=True):
        if not sentence_words:
            blocks.append(_cue(span.start_ms, span.end_ms, _cue_text(sentence.text)))
            continue
        cues = _cues(sentence.text, sentence_words)
        for number, cue in enumerate(cues):
            start = span.start_ms if number == 0 else cue[0].start_ms
            end = cues[number + 1][0].start_ms if number + 1 < len(cues) else span.end_ms
            end = max(end, start)
            parts = [_cue_text(sentence.text[cue[0].start_char:cue[0].end_char])]
            for before, word in zip(cue, cue[1:], strict=False):
                gap = " ".join(sentence.text[before.end_char:word.start_char].split())
                text = _cue_text(f"{gap} {word.text}" if gap else word.text)
                if start < word.start_ms < end:
                    parts.append(f" <{_timestamp(word.start_ms)}>{text}")
                else:
                    parts.append(f" {text}")
            blocks.append(_cue(start, end, "".join(parts)))
    return "\n\n".join(blocks) + "\n"


def _cues(text: str, sentence_words: list[TimedWord]) -> list[list[TimedWord]]:
    """The words of a sentence in runs whose text is at most CUE_CHARS long (a longer word
    alone)."""
    cues: list[list[TimedWord]] = [[]]
    for word in sentence_words:
        cue = cues[-1]
        if cue and word.end_char - cue[0].start_char > CUE_CHARS:
            cues.append([word])
        else:
            cue.append(word)
    return cues


def _cue(start_ms: int, end_ms: int, text: str) -> str:
    return f"{_timestamp(start_ms)} --> {_timestamp(end_ms)}\n{text}"


def _check(timed: int, sentences: int) -> None:
    if timed != sentences:
        raise ValueError(f"the rendition times {timed} sentences, the script has {sentences}")


def _chapters(script: Script, rendition: Rendition) -> list[tuple[str, Span]]:
    if not script.chaptered:
        return []
    spans = rendition.chapter_spans(script)
    return [(chapter.title, span) for chapter, span in zip(script.chapters, spans, strict=True)]


def _webvtt(cues: Iterable[tuple[str, Span]]) -> str:
    blocks = ["WEBVTT"]
    for text, span in cues:
        blocks.append(
            f"{_timestamp(span.start_ms)} --> {_timestamp(span.end_ms)}\n{_cue_text(text)}"
        )
    return "\n\n".join(blocks) + "\n"


def _timestamp(ms: int) -> str:
    """WebVTT's HH:MM:SS.mmm."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _cue_text(text: str) -> str:
    # One line: a blank line would end the cue; "<" and "&" would start markup, ">" an arrow.
    line = " ".join(text.split())
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
