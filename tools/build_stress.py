"""The lang-uk stress dictionary's proper nouns → audiobrief/lexicons/uk-stress.tsv.gz, with the
dictionary's licence beside it (uk-stress.LICENSE).

    pip download ukrainian-word-stress --no-deps -d /tmp/uws
    pip install marisa-trie           # for this script only; audiobrief reads the TSV
    python tools/build_stress.py /tmp/uws/ukrainian_word_stress-*.whl

The wheel ships the dictionary as data/stress.trie, a marisa-trie BytesTrie from each word form
(accents stripped) to its accent positions: one byte per accent, the index in the form where a
combining acute would go (just after the stressed vowel). A form whose readings differ in stress
holds records instead, each `positions 0xFE tag-bytes 0xFF` (tags.py in that package: 0x11 singular,
0x20 nominative...). Kept here: every capitalised form (proper nouns: places, surnames, given
names, in all their case forms) with at least one vowel, not an all-capital abbreviation, written
in lower case with the index of its stressed vowel among its vowels (0 = the first). Where readings
differ, the nominative's (see `accents`); where a form allows either of two stresses (Лі́мни́ця),
both (audiobrief says the first).
The parts of a hyphenated or several-word name (Колоно-Миколаївка) are kept as words of their own,
each with its own accent, unless the word is a form of the dictionary itself.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import tempfile
import zipfile
from pathlib import Path

VOWELS = "аеєиіїоуюя"
_POS_SEPARATOR = 0xFE
_RECORD_SEPARATOR = 0xFF
_SINGULAR = 0x11
_NOMINATIVE = 0x20
_TRIE = "ukrainian_word_stress/data/stress.trie"
_OUT = Path(__file__).resolve().parent.parent / "audiobrief" / "lexicons"

HEADER = """\
# Ukrainian proper nouns → the index of the stressed vowel (0 = the first vowel of the form);
# two, comma-separated, where the dictionary allows either (audiobrief says the first).
# Lower-case Cyrillic word forms, every case form the dictionary gives, sorted by code point.
# From the lang-uk stress dictionary (ukrainian-word-stress {version}, data/stress.trie), MIT
# licence: see uk-stress.LICENSE. Built by tools/build_stress.py; do not edit by hand.
"""


def accents(value: bytes) -> list[int]:
    """The accent positions of one trie value. Where its readings differ in stress: those of the
    nominative singular readings, else of the nominative plural ones (Теремки́), else of all;
    several where these still differ (Га́лина, the surname, and Гали́на), first seen first."""
    if _RECORD_SEPARATOR not in value:
        return list(value)
    records: list[tuple[list[int], bytes]] = []
    for record in value.split(bytes([_RECORD_SEPARATOR])):
        if record:
            positions, _, tags = record.partition(bytes([_POS_SEPARATOR]))
            records.append((list(positions), tags))
    chosen = (
        [r for r in records if _NOMINATIVE in r[1] and _SINGULAR in r[1]]
        or [r for r in records if _NOMINATIVE in r[1]]
        or records
    )
    found: list[int] = []
    for positions, _ in chosen:
        found.extend(position for position in positions if position not in found)
    return found


def stressed_vowels(form: str, positions: list[int]) -> list[int]:
    """Indexes among its vowels of the vowels the accents of `form` follow (none if none do)."""
    vowels = [index for index, char in enumerate(form) if char in VOWELS]
    if len(vowels) == 1 and not positions:
        return [0]  # a one-vowel word has no accent mark in the dictionary
    return [vowels.index(position - 1) for position in positions if position - 1 in vowels]


def _split(form: str, positions: list[int]) -> list[tuple[str, list[int]]]:
    """A several-word or hyphenated form → its words, each with the accents inside it."""
    parts: list[tuple[str, list[int]]] = []
    start = 0
    for index, char in enumerate(form + " "):
        if char in " -":
            inside = [p - start for p in positions if start < p <= index]
            parts.append((form[start:index], inside))
            start = index + 1
    return parts


def entries(trie: dict[str, bytes]) -> dict[str, str]:
    """Lower-case proper-noun forms → indexes of the stressed vowel, comma-separated."""
    whole: dict[str, str] = {}
    parts: dict[str, str] = {}
    for form in sorted(trie):
        if len(form) < 2 or not form[0].isupper() or form.replace("-", "").isupper():
            continue
        positions = accents(trie[form])
        for part, inside in _split(form, positions):
            if not part[:1].isupper() or not any(char in VOWELS for char in part.lower()):
                continue
            vowels = stressed_vowels(part.lower(), inside)
            if not vowels:
                continue
            table = whole if part == form else parts
            table.setdefault(part.lower(), ",".join(map(str, vowels)))
    for part, vowel in parts.items():
        whole.setdefault(part, vowel)
    return whole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="ukrainian_word_stress-*.whl")
    parser.add_argument("--out", type=Path, default=_OUT, help="folder (default: %(default)s)")
    args = parser.parse_args(argv)

    import marisa_trie  # type: ignore[import-not-found]

    with zipfile.ZipFile(args.wheel) as wheel, tempfile.TemporaryDirectory() as scratch:
        names = wheel.namelist()
        licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        version = licence.split("-")[1].split(".dist")[0]
        path = Path(wheel.extract(_TRIE, scratch))
        bytes_trie = marisa_trie.BytesTrie()
        bytes_trie.load(str(path))
        trie = {key: bytes_trie[key][0] for key in bytes_trie.keys()}  # noqa: SIM118
        licence_text = wheel.read(licence).decode("utf-8")

    table = entries(trie)
    text = io.StringIO()
    text.write(HEADER.format(version=version))
    for form in sorted(table):
        text.write(f"{form}\t{table[form]}\n")
    out = args.out / "uk-stress.tsv.gz"
    # mtime 0 and no file name: the same wheel gives the same bytes.
    with out.open("wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as compressed:
        compressed.write(text.getvalue().encode("utf-8"))
    (args.out / "uk-stress.LICENSE").write_text(
        "uk-stress.tsv.gz is derived from the stress dictionary of ukrainian-word-stress\n"
        f"{version} by lang-uk (Oleksiy Syvokon and contributors),\n"
        "https://github.com/lang-uk/ukrainian-word-stress, under the MIT licence below.\n\n"
        + licence_text,
        encoding="utf-8",
    )
    print(f"{out}: {len(table)} forms, {out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
