"""The Ukrainian stress dictionary: the shipped file, reading romanised names back into its
Cyrillic forms, and the phonemes a name gets from it.
"""

from __future__ import annotations

import gzip
import time
from importlib import resources

import pytest

from audiobrief.script.stress import DICTIONARY_FILE, StressDictionary
from audiobrief.script.ukrainian import pronounce_name

LEXICONS = resources.files("audiobrief") / "lexicons"
MAX_FILE_BYTES = 3_000_000


@pytest.fixture(scope="module")
def dictionary() -> StressDictionary:
    return StressDictionary.builtin()


def test_the_file_is_small_sorted_and_ships_its_licence() -> None:
    raw = (LEXICONS / DICTIONARY_FILE).read_bytes()
    assert len(raw) <= MAX_FILE_BYTES
    lines = [line for line in gzip.decompress(raw).decode("utf-8").splitlines() if line[:1] != "#"]
    assert len(lines) > 200_000
    assert lines == sorted(lines)  # lookups bisect it
    forms = [line.split("\t")[0] for line in lines]
    assert len(set(forms)) == len(forms)
    assert all(form == form.lower() and "\u0301" not in form for form in forms)
    licence = (LEXICONS / "uk-stress.LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "lang-uk" in licence


def test_it_loads_in_a_fraction_of_a_second() -> None:
    started = time.perf_counter()
    loaded = StressDictionary.parse(
        gzip.decompress((LEXICONS / DICTIONARY_FILE).read_bytes()).decode("utf-8")
    )
    assert time.perf_counter() - started < 0.5
    assert loaded.stressed_vowel("Олег") == 1


@pytest.mark.parametrize(
    ("word", "accented"),
    [
        # the 2010 national system, read back
        ("Oleh", "оле́г"),
        ("Podil", "поді́л"),
        ("Izmail", "ізмаї́л"),
        ("Horlivka", "го́рлівка"),
        ("Debaltseve", "деба́льцеве"),
        ("Fedorov", "фе́доров"),
        ("Enerhodar", "енергода́р"),
        ("Anastasiia", "анаста́сія"),
        ("Kyiv", "ки́їв"),
        ("Zaporizhzhia", "запорі́жжя"),
        ("Zghurivka", "згу́рівка"),  # zgh is з + г
        ("Uzhhorod", "у́жгород"),  # zhh is ж + г
        ("Yevhen", "євге́н"),
        ("Serhii", "сергі́й"),
        ("Shchastia", "ща́стя"),
        ("Ukraina", "украї́на"),
        # the soft sign and the apostrophe, which the system leaves out
        ("Olha", "о́льга"),
        ("Koval", "кова́ль"),
        ("Sloviansk", "слов'я́нськ"),
        ("Mar'inka", "ма́р'їнка"),
        # other case forms
        ("Horlivtsi", "го́рлівці"),
        ("Zelenskoho", "зеле́нського"),
        # press spellings
        ("Zelensky", "зеле́нський"),
        ("Zelenskiy", "зеле́нський"),
        ("Zaporizhzhya", "запорі́жжя"),
        ("Mykolayiv", "микола́їв"),
        ("Andriy", "андрі́й"),
        ("Bogdan", "бо́гдан"),
        # Cyrillic, any case
        ("Горлівці", "го́рлівці"),
        ("ХАРКІВ", "ха́рків"),
        ("Мар’їнка", "ма́р'їнка"),
    ],
)
def test_a_name_is_found_with_its_stress(
    dictionary: StressDictionary, word: str, accented: str
) -> None:
    assert dictionary.accented(word) == accented


@pytest.mark.parametrize("word", ["Kuleba", "Sybiha", "Syniehubov", "Kubrakov"])
def test_a_name_the_dictionary_lacks_is_left_to_the_rules(
    dictionary: StressDictionary, word: str
) -> None:
    assert dictionary.accented(word) is None
    assert dictionary.pronounce(word) == (pronounce_name(word), False)


@pytest.mark.parametrize(
    ("word", "phonemes"),
    [
        ("Horlivka", "hˈɔɹlivkɑː"),  # the rules said hɔɹlˈiːvkɑː
        ("Oleh", "ɔlˈɛh"),
        ("Debaltseve", "dɛbˈɑːltsɛvɛ"),
        ("Kamianets-Podilskyi", "kɑːmjɑːnˈɛts pɔdˈiːlskɪj"),  # word by word
        ("Kostyantynivka", "kɔstjɑːntˈɪnivkɑː"),
    ],
)
def test_a_found_name_keeps_the_rules_sounds_with_the_dictionary_stress(
    dictionary: StressDictionary, word: str, phonemes: str
) -> None:
    said, known = dictionary.pronounce(word)
    assert (said, known) == (phonemes, True)
    def segments(phonemes: str) -> str:  # a stressed і or у is long, an unstressed one short
        return phonemes.replace("ˈ", "").replace("ː", "")

    assert segments(said) == segments(pronounce_name(word))


def test_a_written_accent_beats_the_dictionary(dictionary: StressDictionary) -> None:
    assert dictionary.pronounce("Новоселі́вка") == ("nɔvɔsɛlˈiːvkɑː", False)
    assert dictionary.pronounce("Новоселівка") == ("nɔvɔsˈɛlivkɑː", True)


def test_a_form_with_either_stress_keeps_both(dictionary: StressDictionary) -> None:
    assert dictionary.stressed_vowels("Кілія") == (0, 2)  # Кі́лія, Кілі́я
    assert dictionary.stressed_vowel("Кілія") == 0
    assert dictionary.stressed_vowels("Теремки") == (2,)  # nominative plural, not genitive
