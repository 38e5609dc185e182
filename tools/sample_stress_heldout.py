"""The stress dictionary's names → tests/data/uk_stress_heldout.tsv: a seeded random sample of
Ukrainian place names and surnames the rules were never tuned on, to measure their stress.

    python tools/sample_stress_heldout.py [--size 400] [--seed 2010]

A name is sampled when it is a nominative singular by its paradigm in the dictionary (its
instrumental and dative or locative forms are there too, so genitives like Бахмута and possessive
adjectives of given names like Аглаї́дине stay out; patronymics in -івна too), has two vowels or
more, looks Ukrainian to audiobrief once romanised with the 2010 system (the names the rules are
given), and its romanisation is nowhere in the lexicons or tests/ (the words the rules were tuned
on). Each row: the romanisation, the dictionary's form with every stress it allows.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
from pathlib import Path

from audiobrief.script.cyrillic import transliterate
from audiobrief.script.names import looks_ukrainian
from audiobrief.script.stress import DICTIONARY_FILE, VOWELS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "uk_stress_heldout.tsv"
HEADER = """\
# Held-out Ukrainian names for the stress of the rules alone and of the whole pronouncer: a seeded
# random sample of the stress dictionary's nominatives (audiobrief/lexicons/uk-stress.tsv.gz) that
# look Ukrainian once romanised and that no lexicon or test mentions. Made by
# tools/sample_stress_heldout.py; do not edit by hand.
# romanisation (2010 system)<TAB>the dictionary's form, an acute after each stress it allows
"""


def _nominative(form: str, table: dict[str, str]) -> bool:
    def has(*forms: str) -> bool:
        return any(other in table for other in forms)

    if form.endswith(("івна", "ївна")):
        return False
    if form.endswith(("ський", "цький", "зький")):
        return has(form[:-2] + "ого")
    if form.endswith(("ське", "цьке", "зьке")):
        return has(form[:-1] + "ого")
    if form.endswith("ка"):
        return has(form[:-1] + "ою") and has(form[:-2] + "ці")
    if form.endswith("а"):
        return has(form[:-1] + "ою") and has(form[:-1] + "і", form[:-1] + "и") and not has(
            form[:-1] + "ій"
        )
    if form.endswith("я"):  # not the genitive of a noun in -ець or -ь (Чехівця, Коваля)
        return has(form[:-1] + "ею", form[:-1] + "єю", form + "м") and not has(
            form[:-2] + "ець", form[:-1] + "ь"
        )
    if form.endswith("о"):
        return has(form[:-1] + "ом") and has(form[:-1] + "а")
    if form[-1] in VOWELS:
        return False
    if form.endswith("ь"):
        return has(form[:-1] + "ем", form[:-1] + "ю")
    return has(form + "ом", form + "ем")


def _seen_words() -> set[str]:
    files = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "tests" / "data").iterdir(),
             *(ROOT / "audiobrief" / "lexicons").glob("*.tsv")]
    words: set[str] = set()
    for path in files:
        if path != OUT and path.is_file():
            words |= {w.lower() for w in re.findall(r"[A-Za-z']+", path.read_text("utf-8"))}
    return {word.replace("'", "") for word in words}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2010)
    args = parser.parse_args(argv)

    raw = (ROOT / "audiobrief" / "lexicons" / DICTIONARY_FILE).read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    table = dict(line.split("\t") for line in lines if line and not line.startswith("#"))
    seen = _seen_words()
    names: list[tuple[str, str]] = []
    for form, stresses in table.items():
        if sum(char in VOWELS for char in form) < 2 or not _nominative(form, table):
            continue
        romanised = transliterate(form[0].upper() + form[1:])
        if romanised.lower().replace("'", "") in seen or not looks_ukrainian(romanised):
            continue
        vowels = [index for index, char in enumerate(form) if char in VOWELS]
        accented = form[0].upper() + form[1:]
        for vowel in sorted((int(v) for v in stresses.split(",")), reverse=True):
            at = vowels[vowel] + 1
            accented = accented[:at] + "\u0301" + accented[at:]
        names.append((romanised, accented))
    sample = sorted(random.Random(args.seed).sample(names, args.size))
    OUT.write_text(HEADER + "".join(f"{a}\t{b}\n" for a, b in sample), encoding="utf-8")
    print(f"{OUT}: {len(sample)} of {len(names)} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
