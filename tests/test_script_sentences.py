"""split_sentences(): a paragraph → its sentences, row by row."""

from __future__ import annotations

import time

import pytest

from audiobrief.script.sentences import MAX_SENTENCE_CHARS, split_sentences

# (id, paragraph, sentences)
CASES: list[tuple[str, str, list[str]]] = [
    ("month-day", "It began on Dec. 30. Nobody died.", ["It began on Dec. 30.", "Nobody died."]),
    (
        "month-day-year",
        "It began on Jan. 2, 2024, at night.",
        ["It began on Jan. 2, 2024, at night."],
    ),
    ("sept", "It was Sept. 11, 2001. Nobody forgot.", ["It was Sept. 11, 2001.", "Nobody forgot."]),
    ("us-mid", "He met U.S. officials. Then he left.", ["He met U.S. officials.", "Then he left."]),
    (
        "us-end",
        "He met officials in the U.S. Then he left.",
        ["He met officials in the U.S.", "Then he left."],
    ),
    (
        "uk-and-us",
        "The U.K. and the U.S. agreed. Good.",
        ["The U.K. and the U.S. agreed.", "Good."],
    ),
    (
        "lt-gen",
        "Lt. Gen. Kyrylo Budanov spoke. Gov. Smith agreed.",
        ["Lt. Gen. Kyrylo Budanov spoke.", "Gov. Smith agreed."],
    ),
    (
        "pres",
        "Sen. Graham met Pres. Zelensky. They talked.",
        ["Sen. Graham met Pres. Zelensky.", "They talked."],
    ),
    (
        "dr-st",
        "Dr. Smith lives on Main St. in Kyiv. He is fine.",
        ["Dr. Smith lives on Main St. in Kyiv.", "He is fine."],
    ),
    (
        "saint",
        "He went to St. Petersburg. It was cold.",
        ["He went to St. Petersburg.", "It was cold."],
    ),
    (
        "number",
        "They moved to No. 3 on the list. Good.",
        ["They moved to No. 3 on the list.", "Good."],
    ),
    (
        "decimal",
        "It cost $1.5 billion. That is a lot.",
        ["It cost $1.5 billion.", "That is a lot."],
    ),
    (
        "initial",
        "John F. Kennedy was shot. It was sad.",
        ["John F. Kennedy was shot.", "It was sad."],
    ),
    ("ellipsis", "He paused... Then he spoke.", ["He paused...", "Then he spoke."]),
    (
        "quote-said",
        "“I’m in shock,” she said. Then she left.",
        ["“I’m in shock,” she said.", "Then she left."],
    ),
    (
        "quote-closing",
        "He said “we will fight the missiles.” Then he left.",
        ["He said “we will fight the missiles.”", "Then he left."],
    ),
    ("quote-question", "“Is this real?” she asked. Yes.", ["“Is this real?” she asked.", "Yes."]),
    ("mismatched-quote", '“The missiles are not Russian."', ['“The missiles are not Russian."']),
    (
        "am-pm",
        "It started at 10 a.m. on Monday. It ended.",
        ["It started at 10 a.m. on Monday.", "It ended."],
    ),
    ("vs", "Kyiv vs. Moscow is the match. Done.", ["Kyiv vs. Moscow is the match.", "Done."]),
    ("whitespace", "  One.   Two.  ", ["One.", "Two."]),
    ("empty", "", []),
    ("blank", "   \n ", []),
    (
        "article-governor",
        "Some of the missiles that Russia used to strike the city of Kharkiv and the region in "
        "late December and early January were produced in a foreign country, Kharkiv Oblast "
        "Governor Oleh Syniehubov said on Jan. 5, as cited by ArmyInform.",
        [
            "Some of the missiles that Russia used to strike the city of Kharkiv and the region in "
            "late December and early January were produced in a foreign country, Kharkiv Oblast "
            "Governor Oleh Syniehubov said on Jan. 5, as cited by ArmyInform."
        ],
    ),
    (
        "article-white-house",
        "The day before, the White House reported that Russia had already used ballistic missiles "
        "supplied by North Korea to attack Ukraine. Ukraine’s Air Force said it can’t confirm this "
        "information yet.",
        [
            "The day before, the White House reported that Russia had already used ballistic "
            "missiles supplied by North Korea to attack Ukraine.",
            "Ukraine’s Air Force said it can’t confirm this information yet.",
        ],
    ),
    (
        "article-markings",
        "“The markings have been erased from these missiles, but we can see that the country of "
        'manufacture is not the Russian Federation."',
        [
            "“The markings have been erased from these missiles, but we can see that the country "
            'of manufacture is not the Russian Federation."'
        ],
    ),
    (
        "article-dec-30",
        "According to the White House, Russian forces launched at least one of the North "
        "Korean-supplied missiles into Ukraine on Dec. 30, and this missile appears to have landed "
        "in an open field in Zaporizhzhia Oblast.",
        [
            "According to the White House, Russian forces launched at least one of the North "
            "Korean-supplied missiles into Ukraine on Dec. 30, and this missile appears to have "
            "landed in an open field in Zaporizhzhia Oblast."
        ],
    ),
    (
        "article-nedanov",
        "Semen Nedanov could hardly hold back his tears when he showed the Kyiv Independent what "
        "was left of his flat in the central Solomiansky district after a Russian attack on Kyiv "
        "early on Jan. 2. “I’m in shock,” the 48-year-old told the Kyiv Independent as he waited "
        "for first",
        [
            "Semen Nedanov could hardly hold back his tears when he showed the Kyiv Independent "
            "what was left of his flat in the central Solomiansky district after a Russian attack "
            "on Kyiv early on Jan. 2.",
            "“I’m in shock,” the 48-year-old told the Kyiv Independent as he waited for first",
        ],
    ),
    # abbreviations the table says are followed by what continues the sentence
    (
        "weekday-month",
        "Markets fell on Mon. Feb. 3 in Asia.",
        ["Markets fell on Mon. Feb. 3 in Asia."],
    ),
    (
        "weekday-day",
        "It opens Thurs. 12 June. Book now.",
        ["It opens Thurs. 12 June.", "Book now."],
    ),
    ("weekday-comma", "We met Fri., March 7, at noon.", ["We met Fri., March 7, at noon."]),
    ("volume-page", "See Vol. 3, p. 45 and pp. 50-52.", ["See Vol. 3, p. 45 and pp. 50-52."]),
    ("figure", "Shown in Fig. 2 above.", ["Shown in Fig. 2 above."]),
    ("approx", "It costs approx. 10 dollars.", ["It costs approx. 10 dollars."]),
    ("est", "It has an est. 5 million users.", ["It has an est. 5 million users."]),
    ("pts-lower", "He scored 10 pts. in the final.", ["He scored 10 pts. in the final."]),
    ("pts-end", "He scored 10 pts. Then he left.", ["He scored 10 pts.", "Then he left."]),
    ("state-lower", "Born in Calif. in 1950, he left.", ["Born in Calif. in 1950, he left."]),
    (
        "state-end",
        "He lives in Tenn. His wife does not.",
        ["He lives in Tenn.", "His wife does not."],
    ),
    ("new-york", "In N.Y. and N.J. it rained.", ["In N.Y. and N.J. it rained."]),
    (
        "senator",
        "A vote by Sen. Smith and Rep. Jones passed.",
        ["A vote by Sen. Smith and Rep. Jones passed."],
    ),
    ("senators", "Sens. Smith and Jones voted.", ["Sens. Smith and Jones voted."]),
    ("number-word", "He said No. Then he left.", ["He said No.", "Then he left."]),
    # a sentence's end typed without its space
    (
        "missing-space",
        "It happened on Wednesday.The stabbing shocked all.",
        ["It happened on Wednesday.", "The stabbing shocked all."],
    ),
    ("missing-space-question", "Why now?Nobody knows.", ["Why now?", "Nobody knows."]),
    ("missing-space-quote", "He said “no.”Then he left.", ["He said “no.”", "Then he left."]),
    ("missing-space-title", "He met Dr.Smith there.", ["He met Dr. Smith there."]),
    ("missing-space-article", "It rained.A man died.", ["It rained.", "A man died."]),
    ("domain", "Read it on example.com today.", ["Read it on example.com today."]),
    ("domain-capital", "Buy it at Amazon.Com now.", ["Buy it at Amazon.Com now."]),
    ("decimal", "It rose 3.5 percent.", ["It rose 3.5 percent."]),
    ("initialism-glued", "He met U.S.Army officers.", ["He met U.S.Army officers."]),
    ("url-path", "See site.org/News.Today now.", ["See site.org/News.Today now."]),
    ("email", "Write to desk@news.Example now.", ["Write to desk@news.Example now."]),
]


@pytest.mark.parametrize(
    ("paragraph", "sentences"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_split_sentences(paragraph: str, sentences: list[str]) -> None:
    assert split_sentences(paragraph) == sentences


def test_long_run_on_sentence_is_cut_at_semicolons() -> None:
    items = [f"the {n}th brigade held the line near the river crossing" for n in range(10, 30)]
    sentence = "; ".join(items) + "."
    pieces = split_sentences(sentence)
    assert len(pieces) > 1
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert all(piece.endswith((";", ".")) for piece in pieces)
    assert " ".join(pieces) == sentence


def test_long_list_without_semicolons_is_cut_at_commas() -> None:
    sentence = "Russia struck " + ", ".join(f"village number {n}" for n in range(60)) + "."
    pieces = split_sentences(sentence)
    assert len(pieces) > 1
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert " ".join(pieces) == sentence


def test_sentences_are_never_empty_or_padded() -> None:
    for piece in split_sentences(" A.  \n\n B?  “C!”   \t"):
        assert piece
        assert piece == piece.strip()


HOSTILE_PARAGRAPHS = [
    pytest.param("Long sentence test. " + "word " * 800 + ".", id="4000-chars-no-commas"),
    pytest.param("x" * 100_000, id="one-100k-word"),
    pytest.param("Dr. " * 20_000 + "Smith left.", id="abbreviations-without-end"),
    pytest.param("1." * 20_000, id="dots-and-digits"),
    pytest.param("The army moved. " * 5_000, id="5000-short-sentences"),
    pytest.param("a,b;" * 10_000, id="punctuation-without-spaces"),
]


@pytest.mark.parametrize("paragraph", HOSTILE_PARAGRAPHS)
def test_no_sentence_is_longer_than_the_bound_and_nothing_is_lost(paragraph: str) -> None:
    sentences = split_sentences(paragraph)
    assert max(len(sentence) for sentence in sentences) <= MAX_SENTENCE_CHARS
    assert "".join(sentences).replace(" ", "") == paragraph.replace(" ", "")


def _seconds_to_split(paragraph: str) -> float:
    start = time.perf_counter()
    split_sentences(paragraph)
    return time.perf_counter() - start


def test_splitting_a_long_paragraph_takes_time_linear_in_its_length() -> None:
    """pysbd alone is quadratic: one paragraph of 50k / 200k / 400k characters took 1 / 10 /
    39 s, and a 5 MB page would have taken hours."""
    sentence = "The army said on Tuesday that it had moved, and nobody knew where. "
    short, long = sentence * 800, sentence * 3200  # about 53k and 213k characters
    _seconds_to_split(sentence * 10)  # pysbd's first call loads its rules
    short_s, long_s = _seconds_to_split(short), _seconds_to_split(long)
    assert long_s < 8 * short_s + 0.2, (short_s, long_s)
    assert long_s < 10, long_s  # a generous budget: about 1 s per 20k characters


def test_a_long_paragraph_splits_as_its_sentences_would_alone() -> None:
    """Cutting a long paragraph into chunks for pysbd does not change its sentences."""
    sentences = [f"Sen. Graham met Dr. Lee on Jan. {n % 28 + 1} in the U.S. Then he left."
                 for n in range(200)]
    expected = [piece for sentence in sentences for piece in split_sentences(sentence)]
    assert split_sentences(" ".join(sentences)) == expected
