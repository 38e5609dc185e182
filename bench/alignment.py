"""What measuring word times costs: the example article synthesised with the voice's phoneme
durations asked for and without, alternately in one run, no sentence cache; prints the ratio.

    PYTHONPATH=. python bench/alignment.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from audiobrief import pipeline
from audiobrief.runtime import default_workers
from audiobrief.settings import Settings
from audiobrief.voices import Voice

EXAMPLE = Path(__file__).parent.parent / "tests/fixtures/kyiv-independent-kharkiv-missiles.html"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    workers = default_workers()
    settings, options = Settings(), pipeline.Options()
    script = pipeline.prepare(EXAMPLE, settings, options)
    voices = {"with alignments": Voice.load(concurrency=workers, alignments=True),
              "without": Voice.load(concurrency=workers, alignments=False)}
    assert voices["with alignments"].aligned and not voices["without"].aligned
    best: dict[str, float] = {}
    audio_s = 0.0
    for _ in range(args.rounds):
        for name, voice in voices.items():
            started = time.perf_counter()
            narration = pipeline.narrate(script, voice, settings, options, io.BytesIO(),
                                         workers=workers)
            elapsed = time.perf_counter() - started
            best[name] = min(best.get(name, elapsed), elapsed)
            audio_s = narration.duration_ms / 1000
    for name, seconds in best.items():
        print(f"{name:16} {seconds:6.2f} s for {audio_s:.1f} s of audio"
              f" ({audio_s / seconds:.1f}x real time)")
    ratio = best["with alignments"] / best["without"]
    print(f"with / without: {ratio:.3f} (word times cost {100 * (ratio - 1):+.1f} %)")


if __name__ == "__main__":
    main()
