"""Sentence reuse: an article edited in one paragraph vs the same article new.

    python bench/reuse.py [--runs 3]

Narrates the example page into an empty sentence cache (new article), then the same page with
one paragraph rewritten against the filled cache (edited article), and prints the ratio of
their synthesis times (medians over runs). The cache is keyed by voice, speed and spoken text, so
only the changed paragraph's sentences are synthesised again.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class DictCache(dict[str, bytes]):
    def put(self, key: str, pcm: bytes) -> None:
        self[key] = pcm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from audiobrief import pipeline
    from audiobrief.model import Section
    from audiobrief.runtime import default_workers
    from audiobrief.settings import Settings
    from audiobrief.voices import Voice

    settings, options = Settings(), pipeline.Options()
    page = ROOT / "tests/fixtures/kyiv-independent-kharkiv-missiles.html"
    article = pipeline.read(page, settings)
    paragraphs = list(article.sections[0].paragraphs)
    paragraphs[3] = ("The markings had been erased from the missiles, the governor said, but "
                     "investigators believe they were made abroad.")
    edited = replace(article, sections=(Section(None, tuple(paragraphs)),))
    voice = Voice.load(concurrency=default_workers())
    workers = default_workers()
    new_s, edit_s = [], []
    for _ in range(args.runs):
        cache = DictCache()
        start = time.perf_counter()
        pipeline.narrate(pipeline.prepare(article, settings, options), voice, settings, options,
                         io.BytesIO(), cache=cache, workers=workers)
        new_s.append(time.perf_counter() - start)
        before = len(cache)
        start = time.perf_counter()
        pipeline.narrate(pipeline.prepare(edited, settings, options), voice, settings, options,
                         io.BytesIO(), cache=cache, workers=workers)
        edit_s.append(time.perf_counter() - start)
        resynthesised = len(cache) - before
    new, edit = statistics.median(new_s), statistics.median(edit_s)
    print(f"new article    {new:.2f} s ({before} sentences synthesised)")
    print(f"edited article {edit:.2f} s ({resynthesised} sentence(s) synthesised again)")
    print(f"ratio edited/new: {edit / new:.2f} (median of {args.runs} runs)")


if __name__ == "__main__":
    main()
