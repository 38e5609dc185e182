"""Extraction quality: audiobrief's `extract` beside plain `trafilatura.extract`, in one run.

    python bench/extraction.py [--corpus DIR] [--seen bench/extraction_seen.txt] [-v]

The corpus is a directory with `corpus.json` (a list of {"file", "with", "without"}) and `pages/`,
as /work/shared/extraction-corpus (trafilatura's own evaluation pages). Matching is that corpus's
score.py: whitespace collapsed, typographic quotes folded, case-sensitive substrings of the text.
Each `with` snippet found is a true positive, each one missing a false negative, each `without`
snippet present a false positive; precision, recall and F1 follow, as trafilatura's comparison
computes them. audiobrief is scored on what `audiobrief extract --json` prints as "text" (the
title is a key of its own; `--keys title,text` scores what a listener hears, headline first).
`--seen` names the pages looked at while designing rules (half the corpus, by a CRC of the name,
and the few read before that split); the others are scored apart as held out.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path("/work/shared/extraction-corpus")
_QUOTES = str.maketrans({**{c: "'" for c in "\u2018\u2019\u201a\u201b\u02bc"},
                         **{c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb"}})


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().translate(_QUOTES)


@dataclass
class Score:
    found: int = 0
    missed: int = 0
    leaked: int = 0
    absent: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: Score) -> None:
        self.found += other.found
        self.missed += other.missed
        self.leaked += other.leaked
        self.absent += other.absent
        self.failed += other.failed
        self.seconds += other.seconds

    @property
    def precision(self) -> float:
        return self.found / (self.found + self.leaked) if self.found + self.leaked else 0.0

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.missed) if self.found + self.missed else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def _timed(run: Callable[[Path], str], path: Path, timeout_s: float) -> tuple[str, str | None]:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return run(path), None
    except _Timeout:
        return "", f"timed out after {timeout_s:g} s"
    except Exception as error:  # one page failing must not stop the rest
        return "", f"{type(error).__name__}: {error}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _ratio(ours: float, theirs: float, digits: int = 3) -> str:
    return f"{ours / theirs:.{digits}f}" if theirs else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seen", type=Path, default=ROOT / "bench/extraction_seen.txt",
                        help="pages looked at while designing rules, one file name a line")
    parser.add_argument("--keys", default="text", choices=["text", "title,text"],
                        help="what of audiobrief's result is scored")
    parser.add_argument("--only", nargs="*", help="score only these page files")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="each seen page where audiobrief misses or leaks a snippet (held-out"
                        " pages stay unread, so that their score says how rules generalise)")
    args = parser.parse_args()

    import trafilatura

    from audiobrief import pipeline
    from audiobrief.errors import AudiobriefError
    from audiobrief.settings import Settings

    settings = Settings()

    def plain(path: Path) -> str:
        return trafilatura.extract(path.read_bytes()) or ""

    def ours(path: Path) -> str:
        try:
            article = pipeline.read(path, settings)
        except AudiobriefError:
            return ""
        return f"{article.title}\n{article.text}" if args.keys == "title,text" else article.text

    corpus = json.loads((args.corpus / "corpus.json").read_text(encoding="utf-8"))
    if args.only:
        corpus = [entry for entry in corpus if entry["file"] in args.only]
    seen = set(args.seen.read_text(encoding="utf-8").split()) if args.seen.is_file() else set()
    extractors = {"trafilatura": plain, "audiobrief": ours}
    totals = {(name, part): Score() for name in extractors for part in ("all", "seen", "held out")}
    for entry in corpus:
        part = "seen" if entry["file"] in seen else "held out"
        for name, run in extractors.items():
            start = time.perf_counter()
            text, error = _timed(run, args.corpus / "pages" / entry["file"], args.timeout)
            textn = _norm(text)
            missed = [s for s in entry["with"] if _norm(s) not in textn]
            leaked = [s for s in entry["without"] if _norm(s) in textn]
            page = Score(found=len(entry["with"]) - len(missed), missed=len(missed),
                         leaked=len(leaked), absent=len(entry["without"]) - len(leaked),
                         failed=[entry["file"]] if error or not textn else [],
                         seconds=time.perf_counter() - start)
            totals[name, "all"].add(page)
            totals[name, part].add(page)
            if (args.verbose and name == "audiobrief" and part == "seen"
                    and (missed or leaked or error)):
                print(f"{entry['file']}"
                      f"{f'  [{error}]' if error else ''}")
                for snippet in missed:
                    print(f"    missing: {snippet!r}")
                for snippet in leaked:
                    print(f"    leaked:  {snippet!r}")

    counts = {part: sum(1 for e in corpus if (e["file"] in seen) == (part == "seen"))
              for part in ("seen", "held out")}
    counts["all"] = len(corpus)
    print(f"{'pages':<16}{'extractor':<13}{'F1':>7}{'prec.':>7}{'recall':>7}"
          f"{'empty':>7}{'s/page':>8}")
    for part in ("all", "seen", "held out"):
        if not counts[part]:
            continue
        for name in extractors:
            score = totals[name, part]
            print(f"{part + f' ({counts[part]})':<16}{name:<13}{score.f1:>7.4f}"
                  f"{score.precision:>7.4f}{score.recall:>7.4f}{len(score.failed):>7}"
                  f"{score.seconds / counts[part]:>8.3f}")
        ours_, theirs = totals["audiobrief", part], totals["trafilatura", part]
        print(f"{'':<16}{'ratio a/t':<13}{_ratio(ours_.f1, theirs.f1):>7}"
              f"{_ratio(ours_.precision, theirs.precision):>7}"
              f"{_ratio(ours_.recall, theirs.recall):>7}"
              f"{'':>7}{_ratio(ours_.seconds, theirs.seconds, 2):>8}")
    empty = totals["audiobrief", "all"].failed
    if empty:
        print(f"audiobrief found no article in: {', '.join(empty)}")


if __name__ == "__main__":
    main()
