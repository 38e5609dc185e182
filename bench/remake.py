"""A site lexicon change applied: the example article made again with one name said otherwise,
vs the same article new.

    python bench/remake.py [--runs 3] [--word Syniehubov] [--respelling "sih-nyeh-HOO-bov"]

Narrates the example page into an empty sentence cache (new article), then pronounces the
sentences that say the word again with a site lexicon entry for it (`script.rescript`, as
POST /v1/lexicon/{word}/apply does) and narrates that script against the filled cache; prints
their synthesis times (medians over runs), the sentences synthesised again, and the ratio.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class DictCache(dict[str, bytes]):
    def put(self, key: str, pcm: bytes) -> None:
        self[key] = pcm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--word", default="Syniehubov")
    parser.add_argument("--respelling", default="sih-nyeh-HOO-bov")
    args = parser.parse_args()

    from audiobrief import pipeline
    from audiobrief.runtime import default_workers
    from audiobrief.script.lexicon import Entry, Lexicon
    from audiobrief.script.rescript import rescript
    from audiobrief.script.respelling import respelled
    from audiobrief.settings import Settings
    from audiobrief.voices import Voice

    settings, options = Settings(), pipeline.Options()
    script = pipeline.prepare(ROOT / "tests/fixtures/kyiv-independent-kharkiv-missiles.html",
                              settings, options)
    spec = pipeline.voice_spec(settings, options, script.language)
    site = Lexicon([Entry(args.word, respelled(args.respelling, spec.espeak_voice), "", "site")])
    remade, changed = rescript(script, pipeline.pronouncer(spec, site=site), args.word)
    voice = Voice.load(spec.name, concurrency=default_workers())
    workers = default_workers()
    new_s, remake_s = [], []
    for _ in range(args.runs):
        cache = DictCache()
        start = time.perf_counter()
        pipeline.narrate(script, voice, settings, options, io.BytesIO(), cache=cache,
                         workers=workers)
        new_s.append(time.perf_counter() - start)
        before = len(cache)
        start = time.perf_counter()
        pipeline.narrate(remade, voice, settings, options, io.BytesIO(), cache=cache,
                         workers=workers)
        remake_s.append(time.perf_counter() - start)
        resynthesised = len(cache) - before
    new, remake = statistics.median(new_s), statistics.median(remake_s)
    print(f"new article     {new:.2f} s ({before} sentences synthesised)")
    print(f"remade article  {remake:.2f} s ({resynthesised} sentence(s) synthesised again;"
          f" {changed} say {args.word!r} otherwise)")
    print(f"ratio remade/new: {remake / new:.2f} (median of {args.runs} runs)")


if __name__ == "__main__":
    main()
