"""Long form: a 10,000-word text in one job, chapters at the right times, memory flat.

    python bench/longform.py [--words 2500 10000] [--workers N]

For each length, joins the bundled articles' paragraphs (numbered so no sentence repeats) into a
Markdown text with a section heading every ~500 words, runs `audiobrief synth` on it in a child
process, and prints wall time, audio length, peak RSS of the child (the largest so far: run lengths
in increasing order), and the largest gap between a
chapter's CHAP start (read back with mutagen) and where its heading's sentence starts in the
sentence-timed transcript.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _text(words: int) -> str:
    from audiobrief.extract import extract
    from audiobrief.load import load

    pages = ["kyiv-independent-kharkiv-missiles.html", "sections-article.html"]
    articles = [extract(load(ROOT / "tests/fixtures" / page)) for page in pages]
    paragraphs = [p for article in articles for s in article.sections for p in s.paragraphs]
    out, count, section = ["# A long read"], 0, 0
    while count < words:
        for paragraph in paragraphs:
            if count // 500 >= section:
                section += 1
                out.append(f"## Part {section}")
            out.append(f"Note {count}. {paragraph}")
            count += len(paragraph.split()) + 2
    return "\n\n".join(out)


def _vtt_starts(vtt: str) -> dict[str, float]:
    starts, lines = {}, vtt.splitlines()
    for i, line in enumerate(lines):
        if "-->" in line and i + 1 < len(lines):
            h, m, s = line.split(" --> ")[0].split(":")
            starts.setdefault(lines[i + 1].strip(), int(h) * 3600 + int(m) * 60 + float(s))
    return starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, nargs="+", default=[2500, 10000])
    parser.add_argument("--workers", type=int, default=None,
                        help="audiobrief synth --workers (default: its own choice)")
    args = parser.parse_args()
    from mutagen.id3 import ID3

    print(f"{'words':>6} {'wall s':>7} {'audio min':>9} {'peak RSS MB':>11} {'chapters':>8} "
          f"{'max CHAP error ms':>17}")
    for words in args.words:
        with tempfile.TemporaryDirectory() as tmp:
            source, out = Path(tmp) / "long.md", Path(tmp) / "long.mp3"
            source.write_text(_text(words), encoding="utf-8")
            start = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            result = subprocess.run(
                [sys.executable, "-m", "audiobrief.cli", "synth", str(source), "-o", str(out),
                 "--json", "--vtt", str(Path(tmp) / "t.vtt"),
                 *(["--workers", str(args.workers)] if args.workers else [])],
                capture_output=True, text=True)
            wall = time.perf_counter() - start
            if result.returncode:
                sys.exit(result.stderr)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            report = json.loads(result.stdout)
            starts = _vtt_starts((Path(tmp) / "t.vtt").read_text(encoding="utf-8"))
            chaps = sorted(ID3(out).getall("CHAP"), key=lambda c: c.start_time)
            errors = [abs(c.start_time / 1000 - starts[str(c.sub_frames["TIT2"]) + "."]) * 1000
                      for c in chaps[1:] if str(c.sub_frames["TIT2"]) + "." in starts]
            print(f"{words:>6} {wall:>7.1f} {report['duration'] / 60:>9.1f} "
                  f"{max(peak, before) / 1024:>11.0f} {len(chaps):>8} "
                  f"{max(errors, default=float('nan')):>17.1f}")


if __name__ == "__main__":
    main()
