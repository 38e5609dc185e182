"""Long form: a 10,000-word text in one job, chapters at the right times, memory flat.

    python bench/longform.py [--words 2500 10000] [--workers N]

For each length, joins the bundled articles' paragraphs (numbered so no sentence repeats) into a
Markdown text with a section heading every ~500 words, runs `audiobrief synth` on it in a child
process, and prints wall time, audio length, the child's peak RSS (VmHWM, read every 0.25 s) as
it stood a quarter and half way through the job and at its end (flat memory: the three are close,
and close across lengths), and the largest gap between a chapter's CHAP start (read back with
mutagen) and where its heading's sentence starts in the sentence-timed transcript.
"""

from __future__ import annotations

import argparse
import json
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


def _peak_mb(pid: int) -> float:
    """The process's peak resident set so far (Linux), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines()
                 if line.startswith("VmHWM:")), 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, nargs="+", default=[2500, 10000])
    parser.add_argument("--workers", type=int, default=None,
                        help="audiobrief synth --workers (default: its own choice)")
    args = parser.parse_args()
    from mutagen.id3 import ID3

    print(f"{'words':>6} {'wall s':>7} {'audio min':>9} {'peak RSS MB ¼ / ½ / end':>23} "
          f"{'chapters':>8} {'max CHAP error ms':>17}")
    for words in args.words:
        with tempfile.TemporaryDirectory() as tmp:
            source, out = Path(tmp) / "long.md", Path(tmp) / "long.mp3"
            source.write_text(_text(words), encoding="utf-8")
            start = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "audiobrief.cli", "synth", str(source), "-o", str(out),
                 "--json", "--vtt", str(Path(tmp) / "t.vtt"),
                 *(["--workers", str(args.workers)] if args.workers else [])],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            peaks = []  # (seconds since start, VmHWM in MB)
            while child.poll() is None:
                peaks.append((time.perf_counter() - start, _peak_mb(child.pid)))
                time.sleep(0.25)
            stdout, stderr = child.communicate()
            wall = time.perf_counter() - start
            if child.returncode:
                sys.exit(stderr)
            at = [max((mb for t, mb in peaks if t <= wall * share), default=0.0)
                  for share in (0.25, 0.5, 1.0)]
            report = json.loads(stdout)
            starts = _vtt_starts((Path(tmp) / "t.vtt").read_text(encoding="utf-8"))
            chaps = sorted(ID3(out).getall("CHAP"), key=lambda c: c.start_time)
            errors = [abs(c.start_time / 1000 - starts[str(c.sub_frames["TIT2"]) + "."]) * 1000
                      for c in chaps[1:] if str(c.sub_frames["TIT2"]) + "." in starts]
            print(f"{words:>6} {wall:>7.1f} {report['duration'] / 60:>9.1f} "
                  f"{' / '.join(f'{mb:.0f}' for mb in at):>23} {len(chaps):>8} "
                  f"{max(errors, default=float('nan')):>17.1f}")


if __name__ == "__main__":
    main()
