"""The pronouncer: who decides each word, what the voice receives, and what it makes of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiobrief.errors import LexiconError
from audiobrief.script.pronounce import Pronouncer
from audiobrief.voices import espeak_phonemes, find_voice

DATA = Path(__file__).parent / "data"
INVENTORY = find_voice().phonemes


@pytest.fixture(scope="module")
def pronouncer() -> Pronouncer:
    return Pronouncer(INVENTORY, voice_name="en_US-joe-medium")


def _guard() -> list[str]:
    text = (DATA / "english_guard.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _said(pronouncer: Pronouncer, text: str) -> dict[str, tuple[str, str]]:
    return {p.word: (p.phonemes, p.source) for p in pronouncer.words(text)}


EXAMPLE = (
    "Kharkiv Oblast Governor Oleh Syniehubov said on Jan. 5, as cited by ArmyInform, that an "
    "Iskander hit Kyiv. Dinara Khalilova reports that Semen Nedanov lived in the Solomiansky "
    "district; Defense Minister Rustem Umerov spoke of Zaporizhzhia Oblast. Kirby said the White "
    "House knew of North Korea's missiles. Lviv too."
)


@pytest.mark.parametrize(
    ("word", "phonemes"),
    [
        ("Kharkiv", "kˈɑːɹkiv"),
        ("Oblast", "ˈɔblɑːst"),
        ("Kyiv", "kˈiːv"),
        ("Lviv", "ləvˈiːv"),
        ("Oleh", "ɔlˈɛh"),  # Оле́г
        ("Syniehubov", "sɪnjɛhˈuːbɔv"),
        ("Zaporizhzhia", "zˌɑːpɔɹˈiːʒʒɑː"),
        ("Rustem", "ɹustˈɛm"),
        ("Umerov", "umˈɛɹɔv"),
        ("Iskander", "iskɑːndˈɛɹ"),
        ("ArmyInform", "ˈɑːɹmiɪnfˌɔːɹm"),
        ("Dinara", "dinˈɑːɹɑː"),
        ("Khalilova", "kɑːlˈiːlɔvɑː"),
        ("Semen", "sɛmˈɛn"),
        ("Nedanov", "nɛdˈɑːnɔv"),
        ("Solomiansky", "sɔlɔmjˈɑːnskɪj"),
    ],
)
def test_the_example_articles_names_come_from_the_lexicon(
    pronouncer: Pronouncer, word: str, phonemes: str
) -> None:
    assert _said(pronouncer, EXAMPLE)[word] == (phonemes, "lexicon")


def test_lviv_is_not_spelled_out(pronouncer: Pronouncer) -> None:
    phonemes, source = _said(pronouncer, "They fled to Lviv.")["Lviv"]
    assert "ɛl" not in phonemes and "aɪ" not in phonemes
    assert source == "lexicon"
    assert "ɛl" in espeak_phonemes("en-us", "Lviv")  # what espeak alone would have said


@pytest.mark.parametrize(
    "word",
    ["Kirby", "White", "House", "North", "Korea's", "Defense", "Minister", "Governor", "district"],
)
def test_english_words_in_the_example_stay_with_espeak(pronouncer: Pronouncer, word: str) -> None:
    phonemes, source = _said(pronouncer, EXAMPLE)[word]
    assert source == "espeak"
    assert phonemes == espeak_phonemes("en-us", word)


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("Kharkov", "Kharkiv"),
        ("Kiev", "Kyiv"),
        ("Zelensky", "Zelenskyy"),
        ("Zelenskiy", "Zelenskyy"),
        ("Lvov", "Lviv"),
        ("Zaporozhye", "Zaporizhzhia"),
    ],
)
def test_variants_say_what_the_canonical_spelling_says(
    pronouncer: Pronouncer, variant: str, canonical: str
) -> None:
    assert _said(pronouncer, variant)[variant] == _said(pronouncer, canonical)[canonical]


@pytest.mark.parametrize(
    ("text", "word", "phonemes", "source"),
    [
        ("the village of Новоселівка", "Новоселівка", "nɔvɔsˈɛlivkɑː", "dictionary"),
        ("біля Гуляйполя", "Гуляйполя", "huljɑːjpˈɔljɑː", "dictionary"),
        ("у Горлівці", "Горлівці", "hˈɔɹlivtsi", "dictionary"),  # any case form the dictionary has
        ("село Новоселі́вка", "Новоселі́вка", "nɔvɔsɛlˈiːvkɑː", "rule"),  # a written accent wins
        ("Синєгубов", "Синєгубов", "sɪnjɛhˈuːbɔv", "lexicon"),
        ("Гуляйполе", "Гуляйполе", "huljɑːjpˈɔlɛ", "lexicon"),
        ("Київ", "Київ", "kˈiːv", "lexicon"),  # romanised, then found in the lexicon
        ("Біла Церква", "Біла Церква", "bˈiːlɑː tsˈɛɹkvɑː", "lexicon"),
    ],
)
def test_cyrillic_words_are_romanised_then_pronounced(
    pronouncer: Pronouncer, text: str, word: str, phonemes: str, source: str
) -> None:
    assert _said(pronouncer, text)[word] == (phonemes, source)


def test_names_outside_the_lexicon_get_the_rules_only_when_they_look_ukrainian(
    pronouncer: Pronouncer,
) -> None:
    said = _said(
        pronouncer,
        "Governor Kirby met Oleh Koval and Oleksandr Kubrakov near Novoselivka and Mykola Smith.",
    )
    assert said["Novoselivka"] == ("nɔvɔsˈɛlivkɑː", "dictionary")  # Новосе́лівка
    assert said["Koval"] == ("kɔvˈɑːl", "dictionary")  # a surname after a Ukrainian given name
    assert said["Kubrakov"] == ("kubɹˈɑːkɔv", "rule")  # in no lexicon nor the dictionary
    assert said["Kirby"][1] == "espeak"
    assert said["Smith"][1] == "espeak"


@pytest.mark.parametrize("word", ["Zviahel", "Shpola", "Shklo"])
def test_a_name_espeak_would_spell_gets_the_rules_on_little_evidence(
    pronouncer: Pronouncer, word: str
) -> None:
    """Too little Ukrainian spelling to decide alone, but espeak would say letters ("zee viahel",
    "es aitch pola"): the Ukrainian rules say it as one word with one stress."""
    assert espeak_phonemes("en-us", word).count("ˈ") == 2
    phonemes, source = _said(pronouncer, f"People from {word} came.")[word]
    assert source in ("dictionary", "rule")
    assert phonemes.count("ˈ") == 1 and "eɪtʃ" not in phonemes and "ziː" not in phonemes


@pytest.mark.parametrize("word", ["Tbilisi", "Tchaikovsky", "Sberbank", "Przemysl"])
def test_a_foreign_name_espeak_spells_without_ukrainian_spelling_stays_with_espeak(
    pronouncer: Pronouncer, word: str
) -> None:
    assert _said(pronouncer, f"People from {word} came.")[word][1] == "espeak"


TEMPLATES = (
    "{} said.",
    "Governor {} said on Monday.",
    "It happened in {}, officials said.",
    "Mayor {} and Oleh met.",
    "“{}’s” plan",
)


@pytest.mark.parametrize("word", _guard())
def test_guard_words_come_out_exactly_as_espeak_says_them(
    pronouncer: Pronouncer, word: str
) -> None:
    for template in TEMPLATES:
        sentence = template.format(word)
        spoken, applied = pronouncer.apply(sentence)
        assert word not in {p.word for p in applied}, sentence
        assert word in spoken, sentence
    phonemes, source = _said(pronouncer, f"Governor {word} said.")[word]
    assert (phonemes, source) == (espeak_phonemes("en-us", word), "espeak")


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("It hit Kharkiv, which was dark.", "It hit [[ kˈɑːɹkiv, ]] which was dark."),
        ("It hit Kharkiv.", "It hit [[ kˈɑːɹkiv. ]]"),
        ("Kharkiv is east.", "[[ kˈɑːɹkiv ]] is east."),
        ("Did it hit Kyiv?", "Did it hit [[ kˈiːv? ]]"),
        ("Kharkiv's mayor", "[[ kˈɑːɹkivz ]] mayor"),
        ("Zelensky’s plan", "[[ zɛlˈɛnskɪjz ]] plan"),
        ("Donetsk's mines", "[[ dɔnˈɛtsks ]] mines"),
        ("Kerch's bridge", "[[ kˈɛɹtʃᵻz ]] bridge"),
        ("He said “Kyiv,” and left", "He said “ [[ kˈiːv, ]] ” and left"),
        ("cities (Kyiv) and", "cities ( [[ kˈiːv ]] ) and"),
        ("in Kharkiv Oblast Governor", "in [[ kˈɑːɹkiv ˈɔblɑːst ]] Governor"),
        ("a Kharkiv-based group", "a [[ kˈɑːɹkiv ]]-based group"),
        ("Kharkiv... and", "[[ kˈɑːɹkiv, ]] and"),
        ("no names here.", "no names here."),
        ("keep [[ kˈiːv ]] as is", "keep [[ kˈiːv ]] as is"),
    ],
)
def test_apply_writes_blocks_that_keep_pauses_and_word_breaks(
    pronouncer: Pronouncer, text: str, spoken: str
) -> None:
    assert pronouncer.apply(text)[0] == spoken


def test_apply_reports_each_override_with_its_source(pronouncer: Pronouncer) -> None:
    _, applied = pronouncer.apply("Oleh Syniehubov visited Novoselivka and Kirby.")
    assert [(p.word, p.source) for p in applied] == [
        ("Oleh", "lexicon"),
        ("Syniehubov", "lexicon"),
        ("Novoselivka", "dictionary"),
    ]


def test_multi_word_entries_match_longest_first(pronouncer: Pronouncer) -> None:
    words = pronouncer.words("near Bila Tserkva and Kryvyi Rih")
    assert [(w.word, w.source) for w in words] == [
        ("near", "espeak"),
        ("Bila Tserkva", "lexicon"),
        ("and", "espeak"),
        ("Kryvyi Rih", "lexicon"),
    ]


def test_a_user_lexicon_beats_the_builtin_one(tmp_path: Path) -> None:
    path = tmp_path / "desk.tsv"
    path.write_text(
        "# our desk's choice\nKharkiv\tkˈɑːɹkɪf\tdesk style guide\nKirby\tkˈɪɹbi\ttest\n",
        encoding="utf-8",
    )
    custom = Pronouncer(INVENTORY, user_lexicons=[path])
    said = _said(custom, "Kirby visited Kharkiv and Kyiv")
    assert said["Kharkiv"] == ("kˈɑːɹkɪf", "user")
    assert said["Kirby"] == ("kˈɪɹbi", "user")
    assert said["Kyiv"] == ("kˈiːv", "lexicon")
    assert custom.apply("in Kharkiv,")[0] == "in [[ kˈɑːɹkɪf, ]]"


def test_a_bad_user_lexicon_fails_at_construction_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "desk.tsv"
    path.write_text("Kharkiv\tkˈɑːɹkɪf\nHlukhiv\tglˈuːkiv\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"^desk\.tsv:2: 'g' \(U\+0067\) is not a phoneme"):
        Pronouncer(INVENTORY, user_lexicons=[path], voice_name="en_US-joe-medium")


def test_the_spoken_text_follows_lexicon_content(tmp_path: Path, pronouncer: Pronouncer) -> None:
    # The spoken text keys the sentence cache and the article id: an edited entry is new audio.
    path = tmp_path / "desk.tsv"
    path.write_text("Kharkiv\tkˈɑːɹkɪf\n", encoding="utf-8")
    first, _ = Pronouncer(INVENTORY, user_lexicons=[path]).apply("Kharkiv")
    assert first != pronouncer.apply("Kharkiv")[0]
    path.write_text("Kharkiv\tkˈɑːɹkɪv\n", encoding="utf-8")
    assert Pronouncer(INVENTORY, user_lexicons=[path]).apply("Kharkiv")[0] != first


def test_every_block_phoneme_is_known_to_the_voice(pronouncer: Pronouncer) -> None:
    text = Path(__file__).parent / "fixtures" / "kyiv-independent-kharkiv-missiles.seed.txt"
    spoken, applied = pronouncer.apply(text.read_text(encoding="utf-8"))
    assert applied
    for pronunciation in applied:
        assert set(pronunciation.phonemes) <= INVENTORY, pronunciation


def test_the_real_voice_receives_the_lexicon_phonemes_and_the_comma(voice) -> None:
    pronouncer = Pronouncer(voice.spec.phonemes)
    spoken, _ = pronouncer.apply(
        "One target was Kharkiv, which Russian troops hit, and Zelensky’s office in Kyiv."
    )
    phonemes = "".join("".join(sentence) for sentence in voice.piper.phonemize(spoken))
    assert "wʌz kˈɑːɹkiv, wˌɪtʃ" in phonemes
    assert "zɛlˈɛnskɪjz ˈɑːfɪs" in phonemes
    assert phonemes.endswith("kˈiːv.")
