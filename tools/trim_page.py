"""A saved page for tests/fixtures/: the same bytes without its <script> and <style> elements
(JSON-LD data blocks are kept: they are the page's statement of its article, not code).

    python tools/trim_page.py SOURCE.html tests/fixtures/NAME.html

Scripts and styles are most of a saved page's weight and none of its text; everything else is
kept as it was saved, so that the fixture is still the page a reader's browser was sent.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_DATA = re.compile(rb"<script\b[^>]*\btype\s*=\s*[\"']?application/ld\+json", re.IGNORECASE)
_ELEMENTS = re.compile(rb"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    raw = source.read_bytes()
    trimmed = _ELEMENTS.sub(lambda m: m[0] if _DATA.match(m[0]) else b"", raw)
    target.write_bytes(trimmed)
    print(f"{target}: {len(raw):,} → {len(trimmed):,} bytes")


if __name__ == "__main__":
    main()
