"""Articles across versions in SQLite: what a page of the list and of the feed costs when each
article must be its newest version, beside the plain queries of one row per text.

    python bench/articles.py [--articles 20000] [--versions 2] [--runs 20]

Fills a job table with `--articles` finished articles of `--versions` versions each (a small
script apiece), then times, as medians over runs: the feed's first page and its count (the newest
finished version of each article), the list's first and a deep page (by cursor) and a lookup by
URL, each beside the plain page or count over every finished row (what the feed read before
versions, through the same connection and decoding); printing milliseconds and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--versions", type=int, default=2)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    import msgspec

    from audiobrief.model import Rendition, Script
    from audiobrief.service.backends import article_key, record
    from audiobrief.service.sqlite import SqliteJobs

    rendition = msgspec.json.encode(Rendition(sample_rate_hz=22050,
                                              sentence_samples=((0, 22050),),
                                              length_samples=22050))
    with tempfile.TemporaryDirectory() as root:
        jobs = SqliteJobs(Path(root) / "audiobrief.sqlite3")
        rows = []
        now = time.time() - args.articles * args.versions
        for n in range(args.articles):
            url = f"https://news.example/{n % 50}/{n}/"
            for version in range(args.versions):
                at = now + n * args.versions + version
                script = msgspec.json.encode(Script(
                    title=f"Story {n} v{version}", byline=None, date=None, site=None, url=url,
                    language="en", chapters=()))
                rows.append((f"{n:08d}{version:04d}", url, script, at, at, at, at,
                             article_key(url), rendition))
        with jobs._connect() as db:
            db.executemany(
                "INSERT INTO articles (id, status, source_url, script, voice, speed, total, done,"
                " created_at, updated_at, finished_at, posted_at, bound, article, timings,"
                " size_bytes) VALUES (?, 'done', ?, ?, 'v', 1.0, 1, 1, ?, ?, ?, ?, 1, ?, ?, 100)",
                rows)
            db.execute("ANALYZE")

        def plain_page() -> object:
            with jobs._connect() as db:
                return [record(row) for row in db.execute(
                    "SELECT * FROM articles WHERE status = 'done' AND bound = 1"
                    " ORDER BY finished_at DESC LIMIT 50").fetchall()]

        def plain_count() -> object:
            with jobs._connect() as db:
                return db.execute("SELECT COUNT(*) FROM articles WHERE status = 'done'"
                                  " AND bound = 1").fetchone()

        baseline_page = _median_ms(plain_page, args.runs)
        baseline_count = _median_ms(plain_count, args.runs)
        middle = jobs.articles(1, after=None)[0]
        deep = jobs.articles(args.articles // 2)[-1]
        figures = {
            "feed page (50)": (_median_ms(lambda: jobs.finished(50), args.runs), baseline_page),
            "feed count": (_median_ms(jobs.finished_count, args.runs), baseline_count),
            "list page (20)": (_median_ms(lambda: jobs.articles(20), args.runs), baseline_page),
            "list page at half": (_median_ms(lambda: jobs.articles(
                20, after=(deep.posted_at, deep.id)), args.runs), baseline_page),
            "lookup by URL": (_median_ms(lambda: jobs.latest_for_url(middle.source_url or ""),
                                         args.runs), baseline_page),
        }
    print(f"{args.articles} articles × {args.versions} versions, medians of {args.runs} runs")
    print(f"{'query':<20} {'ms':>8} {'plain ms':>9} {'ratio':>7}")
    for name, (ms, baseline) in figures.items():
        print(f"{name:<20} {ms:>8.2f} {baseline:>9.2f} {ms / baseline:>7.2f}")


if __name__ == "__main__":
    main()
