"""Ukrainian rules: 2010 romanisation, reading romanisations back, stress, detection, and the
phoneme error rate on held-out names the lexicon does not know.

Reproduce the numbers: `pytest tests/test_script_ukrainian.py -k error_rate -o log_cli=true
--log-cli-level=INFO`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from audiobrief.script.cyrillic import transliterate
from audiobrief.script.lexicon import Lexicon
from audiobrief.script.ukrainian import (
    Context,
    looks_ukrainian,
    pronounce_cyrillic,
    pronounce_name,
    to_cyrillic,
)
from audiobrief.voices import find_voice

logger = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
INVENTORY = find_voice().phonemes
PER_WITH_STRESS_MAX = 0.07
"""Recorded when the held-out set was made: 0.065 with stress marks (the issue aims at 0.10)."""
PER_WITHOUT_STRESS_MAX = 0.02
"""Recorded at the same time: 0.017 without stress marks."""


def _heldout() -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / "uk_heldout.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, reference, source = line.split("\t")
            rows.append((name, reference, source))
    return rows


def _guard() -> list[str]:
    text = (DATA / "english_guard.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def _error_rate(pairs: list[tuple[str, str]], *, stress: bool) -> float:
    def strip(phonemes: str) -> str:
        return phonemes if stress else phonemes.replace("ˈ", "").replace("ˌ", "")

    errors = sum(_distance(strip(hyp), strip(ref)) for hyp, ref in pairs)
    return errors / sum(len(strip(ref)) for _, ref in pairs)


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Київ", "Kyiv"),
        ("Харків", "Kharkiv"),
        ("Запоріжжя", "Zaporizhzhia"),
        ("Згурівка", "Zghurivka"),
        ("Єнакієве", "Yenakiieve"),
        ("Їжакевич", "Yizhakevych"),
        ("Йосипівка", "Yosypivka"),
        ("Юрій", "Yurii"),
        ("Яготин", "Yahotyn"),
        ("Щастя", "Shchastia"),
        ("Львів", "Lviv"),
        ("Мар'їнка", "Marinka"),
        ("Зеленський", "Zelenskyi"),
        ("Ґорґани", "Gorgany"),
        ("КИЇВ", "KYIV"),
        ("село Новоселі́вка", "selo Novoselivka"),
    ],
)
def test_cyrillic_is_romanised_with_the_2010_national_system(cyrillic: str, latin: str) -> None:
    assert transliterate(cyrillic) == latin


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Mykolaiv", "миколаїв"),
        ("Mykhailo", "михайло"),
        ("Mykhaylo", "михайло"),
        ("Avdiivka", "авдіївка"),
        ("Kyiv", "київ"),
        ("Kryvyi", "кривий"),
        ("Zelensky", "зеленський".replace("ь", "")),
        ("Zelenskyy", "зеленський".replace("ь", "")),
        ("Yevhen", "євген"),
        ("Yizhakevych", "їжакевич"),
        ("Zghurivka", "згурівка"),
        ("Slovyansk", "словянськ".replace("ь", "")),
        ("Vinnytsia", "вінниця"),
    ],
)
def test_romanisations_are_read_back_into_cyrillic(latin: str, cyrillic: str) -> None:
    assert to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("name", "phonemes"),
    [
        ("Shevchenko", "ʃɛvtʃˈɛnkɔ"),  # -enko
        ("Kravchuk", "kɹɑːvtʃˈuːk"),  # -chuk
        ("Kostiuk", "kɔstjˈuːk"),  # -iuk
        ("Khmelnytskyi", "kmɛlnˈɪtskɪj"),  # -skyi: stress on the root
        ("Pokrovsk", "pɔkɹˈɔvsk"),  # -sk
        ("Novoselivka", "nɔvɔsɛlˈiːvkɑː"),  # -ivka
        ("Avdiivka", "ɑːvdˈiːjivkɑː"),  # vowel + ivka: stress before the ї
        ("Ternopil", "tɛɹnˈɔpil"),  # -opil
        ("Myrnohrad", "mɪɹnɔhɹˈɑːd"),  # -ohrad
        ("Vyshhorod", "vˈɪʃhɔɹɔd"),  # -horod
        ("Kurakhove", "kuɹˈɑːkɔvɛ"),  # -ove
        ("Zaporizhzhia", "zɑːpɔɹˈiːʒʒɑː"),  # zhzh kept long, no j after ж
        ("Lviv", "ləvˈiːv"),  # sonorant cluster gets a schwa
        ("Kamianets-Podilskyi", "kɑːmjɑːnˈɛts pɔdˈiːlskɪj"),
        ("Новоселі́вка", "nɔvɔsɛlˈiːvkɑː"),
    ],
)
def test_rules_pronounce_romanised_names_with_ukrainian_stress(name: str, phonemes: str) -> None:
    assert pronounce_name(name) == phonemes
    assert set(phonemes) <= INVENTORY


def test_a_dictionary_accent_decides_the_stress() -> None:
    assert pronounce_cyrillic("Іва́нівка") == "ivˈɑːnivkɑː"
    assert pronounce_cyrillic("Іванівка") == "ivɑːnˈiːvkɑː"


@pytest.mark.parametrize(
    ("word", "context"),
    [
        ("Novoselivka", None),
        ("Khmelnytskyi", None),
        ("Bondarenko", None),
        ("Polishchuk", None),
        ("Horodnia", Context(after=("Oblast",))),
        ("Hlyboke", Context(before=("village", "of"))),
        ("Koval", Context(after_given_name=True)),
    ],
)
def test_ukrainian_looking_names_are_detected(word: str, context: Context | None) -> None:
    assert looks_ukrainian(word, context)


@pytest.mark.parametrize("word", _guard())
def test_guard_words_never_look_ukrainian_even_in_name_context(word: str) -> None:
    for context in (
        None,
        Context(before=("Governor",)),
        Context(before=("in",)),
        Context(before=("Mayor",)),
        Context(near_ukrainian=True),
    ):
        assert not looks_ukrainian(word, context), (word, context)


def test_lowercase_words_are_never_given_the_rules() -> None:
    assert not looks_ukrainian("novoselivka", Context(after=("Oblast",)))


def test_guard_list_is_at_least_200_words() -> None:
    words = _guard()
    assert len(words) >= 200
    assert len(set(words)) == len(words)


def test_heldout_names_are_real_rows_and_not_in_the_lexicon() -> None:
    rows = _heldout()
    assert len(rows) >= 60
    lexicon = Lexicon.builtin(INVENTORY)
    leaked = [
        name
        for name, _, _ in rows
        if name in lexicon or any(part in lexicon for part in name.split())
    ]
    assert leaked == [], "held-out names must stay out of the lexicon"
    for name, reference, source in rows:
        assert set(reference) <= INVENTORY, name
        assert source, name


def test_heldout_phoneme_error_rate_stays_at_its_recorded_floor() -> None:
    pairs = [(pronounce_name(name), reference) for name, reference, _ in _heldout()]
    with_stress = _error_rate(pairs, stress=True)
    without_stress = _error_rate(pairs, stress=False)
    logger.info(
        "held-out PER on %d names: %.3f with stress, %.3f without",
        len(pairs),
        with_stress,
        without_stress,
    )
    assert with_stress <= PER_WITH_STRESS_MAX, with_stress
    assert without_stress <= PER_WITHOUT_STRESS_MAX, without_stress
