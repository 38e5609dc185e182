"""Ukrainian rules: 2010 romanisation, reading romanisations back, stress, detection, and the
phoneme error rate on held-out names the lexicon does not know.

Reproduce the numbers: `pytest tests/test_script_ukrainian.py -k "error_rate or recall"
-o log_cli=true --log-cli-level=INFO`.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from audiobrief.script.cyrillic import transliterate
from audiobrief.script.lexicon import Lexicon
from audiobrief.script.names import Context, looks_ukrainian
from audiobrief.script.pronounce import Pronouncer
from audiobrief.script.stress import StressDictionary
from audiobrief.script.ukrainian import pronounce_cyrillic, pronounce_name, to_cyrillic
from audiobrief.voices import find_voice

logger = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
INVENTORY = find_voice().phonemes
PER_WITH_STRESS_MAX = 0.07
"""Recorded when the held-out set was made: 0.065 with stress marks (the issue aims at 0.10)."""
PER_WITHOUT_STRESS_MAX = 0.02
"""Recorded at the same time: 0.017 without stress marks."""
DETECT_RECALL_MIN = 0.85
"""Share of tests/data/uk_detect_recall.txt given the rules standalone in a neutral sentence.
Measured 216 of 251 (0.861) when the toponym and surname endings went in; 117 (0.466) before;
217 (0.865) once a word espeak would spell out needed less evidence."""


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


def _detect_recall_set() -> list[str]:
    text = (DATA / "uk_detect_recall.txt").read_text(encoding="utf-8")
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


# --- detection of names no lexicon knows -------------------------------------------------------

_ENGLISH_AND_FOREIGN = """
Thompson Hartford Kirkland Shelby Williams Brown Davies Evans Taylor Wilson Roberts Walker Wright
Robinson Hughes Edwards Green Lewis Harrison Martin Moore Clarke Turner Hill Cooper Ward Morris
Baker King Scott Young Allen Carter Phillips Morgan Bennett Campbell Murphy Kelly O'Brien Byrne
Milne Payne Osborne Thorne Laverne Kaitlyn Robyn Martyn Mervyn Bryn Evelyn Madelyn Jocelyn Carolyn
Marilyn Lynne Dianne Yvonne Vivienne Kentucky Tennessee Kansas Nebraska Alaska Oklahoma Minnesota
Dakota Nevada Montana Indiana Arizona Sonoma Toronto Ottawa Manitoba Saskatchewan Winnipeg
Melbourne Brisbane Canberra Auckland Wellington Dublin Belfast Cardiff Glasgow Edinburgh Bristol
Leeds Sheffield Manchester Birmingham Liverpool Oxford Cambridge Boston Denver Dallas Houston
Phoenix Seattle Portland Atlanta Miami Orlando Tampa Memphis Nashville Detroit Cleveland Pittsburgh
Baltimore Richmond Raleigh Charlotte Savannah Tulsa Omaha Wichita Topeka Spokane Tacoma Boise Reno
Sacramento Fresno Kenosha Etna Edna Bosnia Marsha Marshall Kushner Lanka Verne Berne Lucerne Sterne
Kodiak Ariadne Baruch Gerlach Auerbach Offenbach Munich Zurich Enoch Sandwich Dufresne Duchesne
Kharrazi Khan Khalil Khaled Khatami Khashoggi Khabib Sheikh Kazakh Tsang Tsui Zheng Zhu Hnilica
Havel Nowak Zielinski Kowalczyk Nguyen Pham Tran Kim Park Lee Sato Tanaka Watanabe Ito Yamada
Takahashi Kobayashi Mahmoud Hassan Hussein Mohammed Abdullah Rahman Haddad Nasrallah Krishna Sharma
Gupta Singh Deshmukh Parekh Mukherjee Chatterjee Gharibashvili Pashto Pashtun Bianka Franka Tkinter
Above Remove Improve Hernia Planets Markets Tickets Sweets Omelets Spinach Stomach Husky Funky Pinky
Plenty Seventy Synonym Baronets Amulets Martinets
"""
ENGLISH_AND_FOREIGN_NAMES = _ENGLISH_AND_FOREIGN.split()
"""Capitalised English words and names from elsewhere, many of them spelt like the Ukrainian endings
the rules look for (-yn, -ne, -ets, -ach, -ky, Kh-, Ts-): they must stay with espeak."""

NEUTRAL_SENTENCE = "Officials said {} was quiet."


class _PageText(HTMLParser):
    """The text of an HTML page outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def _fixture_capitalised_words() -> list[str]:
    words: set[str] = set()
    for page in sorted((Path(__file__).parent / "fixtures").glob("*.html")):
        parser = _PageText()
        parser.feed(page.read_text(encoding="utf-8"))
        words.update(re.findall(r"\b[A-Z][a-z]+\b", " ".join(parser.chunks)))
    return sorted(words)


FIXTURE_UKRAINIAN_NAMES = {"Moskovskyi", "Pivdennyi"}
"""Capitalised words of the fixture pages that are Ukrainian names the lexicon does not know."""
FALSE_NAMES_MAX = 0.002
"""Share of the fixture pages' other capitalised words taken for Ukrainian names: 3 of 2,124
(Aviv, Interaktiv, Tsiryl) when pages of 16 other sites came in."""


@pytest.fixture(scope="module")
def pronouncer() -> Pronouncer:
    return Pronouncer(INVENTORY, voice_name="en_US-joe-medium")


@pytest.mark.parametrize(
    ("word", "context"),
    [
        ("Bilohorodka", None),  # -horod-
        ("Pidlisne", None),  # neuter adjective -sne after two syllables
        ("Dvorichna", None),  # -chna
        ("Tokmachka", None),  # -chka diminutive after a vowel
        ("Khotyn", None),  # -tyn
        ("Storozhynets", None),  # -ynets
        ("Shestakove", None),  # -ove after two syllables
        ("Torske", None),  # -ske after a consonant
        ("Podilsk", None),  # -lsk after two syllables
        ("Lukiantsi", None),  # -ntsi
        ("Hutsuliak", None),  # -liak
        ("Stelmakh", None),  # -akh
        ("Novoukrainka", None),  # ukrain- inside a compound
        ("Terebovlia", None),  # л after a labial
        ("Ripky", None),  # plural -pky
        ("Tkach", None),  # Tk- onset
    ],
)
def test_unknown_names_are_detected_by_their_endings(word: str, context: Context | None) -> None:
    assert looks_ukrainian(word, context)


def test_the_issue_sentence_gives_every_name_its_ukrainian_stress(pronouncer: Pronouncer) -> None:
    text = (
        "Russian forces struck Bilohorodka and Pidlisne overnight, then Tokmachka, Khotyn "
        "and Dvorichna."
    )
    said = {p.word: (p.phonemes, p.source) for p in pronouncer.words(text)}
    dictionary = StressDictionary.builtin()
    for name in ("Bilohorodka", "Pidlisne", "Tokmachka", "Khotyn", "Dvorichna"):
        phonemes, known = dictionary.pronounce(name)
        assert said[name] == (phonemes, "dictionary" if known else "rule"), name
    for word in ("Russian", "forces", "struck", "overnight", "then"):
        assert said[word][1] == "espeak", word


def test_recall_set_is_real_names_outside_every_lexicon_and_the_heldout_set() -> None:
    names = _detect_recall_set()
    assert len(names) >= 80
    assert len(set(names)) == len(names)
    lexicon = Lexicon.builtin(INVENTORY)
    heldout = {part.lower() for name, _, _ in _heldout() for part in [name, *name.split()]}
    leaked = [name for name in names if name in lexicon or name.lower() in heldout]
    assert leaked == [], "the recall set must measure names the lexicons do not know"
    assert all(name.isalpha() and name[0].isupper() for name in names)


def test_detection_recall_on_unknown_names_stays_at_its_floor(pronouncer: Pronouncer) -> None:
    """Each name alone in "Officials said X was quiet.": no context cue, only its spelling.

    Measured 217 of 251 (0.865); before the toponym and surname endings, 117 of 251 (0.466).
    Still missed: short names with no Ukrainian spelling habit (Moroz, Bondar, Mazur, Sambir).
    """
    names = _detect_recall_set()
    decided = []
    for name in names:
        said = {p.word: p.source for p in pronouncer.words(NEUTRAL_SENTENCE.format(name))}
        decided.append(said[name] in ("rule", "dictionary", "lexicon"))
    recall = sum(decided) / len(names)
    missed = [name for name, hit in zip(names, decided, strict=True) if not hit]
    logger.info("detection recall on %d unknown names: %.3f; missed %s", len(names), recall, missed)
    assert recall >= DETECT_RECALL_MIN, (recall, missed)


@pytest.mark.parametrize("word", ENGLISH_AND_FOREIGN_NAMES)
def test_english_and_foreign_names_stay_with_espeak(word: str) -> None:
    assert not looks_ukrainian(word)
    assert not looks_ukrainian(word, Context(before=("in",)))


def test_capitalised_words_of_the_fixture_pages_stay_with_espeak() -> None:
    lexicon = Lexicon.builtin(INVENTORY)
    words = [word for word in _fixture_capitalised_words() if word not in lexicon]
    assert len(words) >= 60
    detected = {
        word
        for word in words
        if looks_ukrainian(word) or looks_ukrainian(word, Context(before=("in",)))
    }
    assert detected >= FIXTURE_UKRAINIAN_NAMES
    # Pages from other countries' news (tests/fixtures/corpus-*) bring names that spell like
    # Ukrainian ones ("Tel Aviv"); the Ukrainian rules say them, wrongly, for few enough.
    wrong = detected - FIXTURE_UKRAINIAN_NAMES
    assert len(wrong) <= FALSE_NAMES_MAX * len(words), sorted(wrong)
