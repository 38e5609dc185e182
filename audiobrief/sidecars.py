"""Script + Rendition → text sidecars of the MP3: Podcasting 2.0 JSON chapters, chapter WebVTT and a
sentence-timed WebVTT transcript, all on the same sample-exact times as the MP3's chapters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from audiobrief.model import Rendition, Script, Span

JSON_CHAPTERS_VERSION = "1.2.0"
"""The Podcasting 2.0 JSON chapters format version written."""


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


def transcript_vtt(script: Script, rendition: Rendition) -> str:
    """WebVTT with one cue per sentence: the sentence as written, timed to its speech."""
    spans = rendition.sentence_spans()
    sentences = tuple(script.sentences)
    if len(spans) != len(sentences):
        raise ValueError(
            f"the rendition times {len(spans)} sentences, the script has {len(sentences)}"
        )
    return _webvtt((sentence.text, span) for sentence, span in zip(sentences, spans, strict=True))


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
