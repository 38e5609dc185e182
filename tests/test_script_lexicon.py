"""Lexicon files: the built-in ones validate against the real voice; bad lines name file:line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from audiobrief.errors import LexiconError
from audiobrief.script.lexicon import Lexicon, lexicon_key
from audiobrief.voices import find_voice

INVENTORY = find_voice().phonemes


@pytest.fixture(scope="module")
def builtin() -> Lexicon:
    return Lexicon.builtin(INVENTORY, "en_US-joe-medium")


def _builtin_files() -> list:
    folder = resources.files("audiobrief") / "lexicons"
    return sorted((f for f in folder.iterdir() if f.name.endswith(".tsv")), key=lambda f: f.name)


def test_builtin_lexicon_has_at_least_400_entries(builtin: Lexicon) -> None:
    assert len(builtin) >= 400


@pytest.mark.parametrize("resource", _builtin_files(), ids=lambda f: f.name)
def test_every_builtin_file_loads_against_the_real_voice_and_is_sorted(resource) -> None:
    text = resource.read_text(encoding="utf-8")
    lexicon = Lexicon.parse(text, resource.name, INVENTORY, "en_US-joe-medium")
    for entry in lexicon:
        assert set(entry.phonemes) <= INVENTORY, entry.origin
        assert entry.note, f"{entry.origin}: the note column names the source"
    words = [line.split("\t")[0] for line in text.splitlines() if line and line[0] != "#"]
    assert words == sorted(words, key=lambda w: (lexicon_key(w), w)), resource.name


def test_every_variant_points_at_an_entry_with_the_same_phonemes(builtin: Lexicon) -> None:
    for entry in builtin:
        if entry.note.startswith("variant of "):
            canonical = entry.note.removeprefix("variant of ")
            assert builtin.lookup(canonical) == entry.phonemes, entry.origin


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("Kharkov", "Kharkiv"),
        ("Kiev", "Kyiv"),
        ("Lvov", "Lviv"),
        ("Odessa", "Odesa"),
        ("Dnepr", "Dnipro"),
        ("Nikolaev", "Mykolaiv"),
        ("Zaporozhye", "Zaporizhzhia"),
        ("Zelensky", "Zelenskyy"),
        ("Zelenskiy", "Zelenskyy"),
        ("Zelenskyi", "Zelenskyy"),
        ("Solomiansky", "Solomianskyi"),
    ],
)
def test_alternate_and_russian_era_spellings_say_the_same(
    builtin: Lexicon, variant: str, canonical: str
) -> None:
    assert builtin.lookup(variant) is not None
    assert builtin.lookup(variant) == builtin.lookup(canonical)


@pytest.mark.parametrize(
    ("word", "phonemes"),
    [
        ("Kharkiv", "kˈɑːɹkiv"),
        ("kharkiv", "kˈɑːɹkiv"),
        ("KYIV", "kˈiːv"),
        ("Oblast", "ˈɔblɑːst"),
        ("Zaporizhzhia", "zˌɑːpɔɹˈiːʒʒɑː"),
        ("Bila Tserkva", "bˈiːlɑː tsˈɛɹkvɑː"),
        ("Kamianets Podilskyi", "kɑːmjɑːnˈɛts pɔdˈiːlskɪj"),
        ("Kam’ianets-Podilskyi", "kɑːmjɑːnˈɛts pɔdˈiːlskɪj"),
        ("Mar'inka", "mɑːɹjˈiːnkɑː"),
        ("Washington", None),
    ],
)
def test_lookup_ignores_case_apostrophes_and_joiners(
    builtin: Lexicon, word: str, phonemes: str | None
) -> None:
    assert builtin.lookup(word) == phonemes


def test_a_capitalised_entry_needs_capitalised_text(builtin: Lexicon) -> None:
    assert builtin.entry("semen", as_written=True) is None
    assert builtin.entry("Semen", as_written=True) is not None
    assert builtin.entry("oblast", as_written=True) is not None  # written in lower case


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsroom.tsv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "# ok\nKharkiv\tkˈɑːɹkiv\tnote\nLviv ləvˈiːv\n",
            "newsroom.tsv:3: expected word<TAB>phonemes<TAB>note, found 1 field(s)",
        ),
        (
            "Hlukhiv\tglˈuːkiv\tASCII g\n",
            "newsroom.tsv:1: 'g' (U+0067) is not a phoneme of en_US-joe-medium",
        ),
        (
            "Kyiv\tk\u02c8i\u02d0v\tnote\nKharkiv\tk\u02c8\u0251\u02d0\u0279ki\u0361v\n",
            "newsroom.tsv:2: '\u0361' (U+0361) is not a phoneme of en_US-joe-medium",
        ),
        ("Sevres\tsˈévɹ\tprecomposed\n", "newsroom.tsv:1: 'Sevres' has precomposed characters"),
        (
            "Kharkiv\tkˈɑːɹkiv\nkharkiv\tkˈɑːɹkɪv\n",
            "newsroom.tsv:2: 'kharkiv' is already defined on line 1",
        ),
        ("\tkˈɑːɹkiv\n", "newsroom.tsv:1: the word is empty"),
        ("Kharkiv\t \tno phonemes\n", "newsroom.tsv:1: no phonemes for 'Kharkiv'"),
        ("Kharkiv\t" + "kˈɑːɹkiv" * 30 + "\n",
         "newsroom.tsv:1: the phonemes of 'Kharkiv' are longer than 200 characters"),
        ("Kh" * 51 + "\tkˈɑːɹkiv\n", "newsroom.tsv:1: 'KhKhKh"),
        ("Kharkiv " * 9 + "\tkˈɑːɹkiv\n", "newsroom.tsv:1: 'Kharkiv Kharkiv"),
    ],
    ids=[
        "missing-tab",
        "not-in-inventory",
        "tie-bar",
        "precomposed",
        "duplicate",
        "empty-word",
        "empty-phonemes",
        "phonemes-too-long",  # every use would put them in the spoken text
        "word-too-long",
        "too-many-words",
    ],
)
def test_a_bad_line_raises_lexicon_error_naming_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(LexiconError) as raised:
        Lexicon.load(_write(tmp_path, text), INVENTORY, "en_US-joe-medium")
    assert str(raised.value).startswith(message)


def test_a_missing_file_is_a_lexicon_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="cannot read lexicon"):
        Lexicon.load(tmp_path / "absent.tsv", INVENTORY)


def test_later_lexicons_win(tmp_path: Path) -> None:
    first = Lexicon.parse("Kharkiv\tkˈɑːɹkiv\n", "a.tsv", INVENTORY)
    second = Lexicon.parse("Kharkiv\tkˈɑːɹkɪf\n", "b.tsv", INVENTORY)
    assert Lexicon.merge([first, second]).lookup("Kharkiv") == "kˈɑːɹkɪf"
