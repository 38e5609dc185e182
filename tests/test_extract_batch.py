"""`audiobrief extract` on many sources: one result per source, in order, past a refused one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_HTML, FIXTURES


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "audiobrief.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


def test_a_batch_goes_on_past_a_refused_page(tmp_path: Path) -> None:
    missing = tmp_path / "gone.html"
    sources = [str(EXAMPLE_HTML), str(FIXTURES / "no-article.html"), str(missing),
               str(FIXTURES / "sections-article.html")]
    result = run("extract", *sources, "--json")
    assert result.returncode == 2
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in records] == sources
    assert records[0]["title"] == (
        "Governor: Russia attacked Kharkiv Oblast with foreign-made missiles")
    assert records[1] == {"source": sources[1],
                          "error": f"no article text found in {sources[1]}"}
    assert set(records[2]) == {"source", "error"}
    assert str(missing) in records[2]["error"]
    assert records[3]["sitename"] == "Harbour Gazette"
    assert "Traceback" not in result.stderr


def test_a_batch_in_text_says_each_refusal_in_one_line() -> None:
    sources = [str(FIXTURES / "no-article.html"), str(EXAMPLE_HTML)]
    result = run("extract", *sources)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"audiobrief: no article text found in {sources[0]}"]
    assert result.stdout.startswith(
        "# Governor: Russia attacked Kharkiv Oblast with foreign-made missiles\n")


def test_a_batch_without_refusals_succeeds() -> None:
    result = run("extract", str(EXAMPLE_HTML), str(FIXTURES / "sections-article.html"), "--json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
