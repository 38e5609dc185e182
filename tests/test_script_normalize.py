"""normalize(): written news English → what the voice should read, row by row."""

from __future__ import annotations

import pytest

from audiobrief.script.normalize import normalize

CASES: list[tuple[str, str]] = [
    # dates
    ("Jan. 5", "January fifth"),
    ("Dec. 30", "December thirtieth"),
    ("Sept. 11", "September eleventh"),
    ("Jan. 2, 2024", "January second, twenty twenty-four"),
    ("January 5, 2024", "January fifth, twenty twenty-four"),
    ("5 January 2024", "the fifth of January, twenty twenty-four"),
    ("on 22nd March", "on the twenty-second of March"),
    ("2024-01-05", "January fifth, twenty twenty-four"),
    ("in Jan. 2024", "in January twenty twenty-four"),
    ("May 9", "May ninth"),
    # times
    ("6:46 PM", "six forty-six P.M"),
    ("at 10:00 a.m.", "at ten A.M."),
    ("at 10 a.m. Kyiv time", "at ten A.M Kyiv time"),
    ("9:05 pm", "nine oh five P.M"),
    ("18:46", "eighteen forty-six"),
    ("18:00", "eighteen hundred"),
    # years and decades
    ("2024", "twenty twenty-four"),
    ("since 1991", "since nineteen ninety-one"),
    ("in 2000", "in two thousand"),
    ("in 2008", "in two thousand eight"),
    ("the 1990s", "the nineteen nineties"),
    ("in the ’90s", "in the nineties"),
    ("the 2024 elections", "the twenty twenty-four elections"),
    ("1500 soldiers", "one thousand five hundred soldiers"),
    # cardinals, ordinals, decimals
    ("injured 130 more", "injured one hundred thirty more"),
    ("2,000 people", "two thousand people"),
    ("1,250,000", "one million two hundred fifty thousand"),
    ("1st", "first"),
    ("22nd", "twenty-second"),
    ("3rd", "third"),
    ("100th", "one hundredth"),
    ("1.5", "one point five"),
    ("-5", "minus five"),
    ("+3", "plus three"),
    ("2020–2024", "twenty twenty to twenty twenty-four"),
    ("10-15", "ten to fifteen"),
    ("5%", "five percent"),
    ("4.5 percent", "four point five percent"),
    ("10–15%", "ten to fifteen percent"),
    ("2x", "two times"),
    # fractions
    ("1-1/2 years", "one and a half years"),
    ("2 1/4 miles", "two and a quarter miles"),
    ("7/32 of an inch", "seven thirty-seconds of an inch"),
    ("the 2/3 majority", "the two thirds majority"),
    ("1/2", "one half"),
    ("¾ of voters", "three quarters of voters"),
    ("2 ½ hours", "two and a half hours"),
    ("1½ cups", "one and a half cups"),
    ("9/11 attacks", "nine eleven attacks"),
    ("24/7 service", "twenty-four seven service"),
    # numeric dates: ISO, and slashes month first as American English writes them
    ("on 2025-03-04", "on March fourth, twenty twenty-five"),
    ("on 3/4/2025", "on March fourth, twenty twenty-five"),
    ("on 12/31/99", "on December thirty-first, twenty ninety-nine"),
    ("on 25/12/2024", "on December twenty-fifth, twenty twenty-four"),
    # phone numbers, digit by digit in their groups
    ("call 1-800-555-0199", "call one, eight zero zero, five five five, zero one nine nine"),
    ("+380 44 123 4567", "plus three eight zero, four four, one two three, four five six seven"),
    ("(555) 123-4567", "five five five, one two three, four five six seven"),
    ("+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("score 3-1", "score three to one"),
    # codes of letters and digits
    ("the MH17 crash", "the M.H seventeen crash"),
    ("the G7 summit", "the G seven summit"),
    ("the 5G network", "the five G network"),
    ("MI6 said", "M.I six said"),
    ("in Q3", "in Q three"),
    ("S-300 systems", "S-three hundred systems"),
    # units without a space
    ("10km away", "ten kilometers away"),
    ("6ft tall", "six feet tall"),
    ("50mph", "fifty miles per hour"),
    # citation markers are not read
    ("as reported(1) and[2] so", "as reported and so"),
    ("the report [3, 4] said", "the report said"),
    ("it grew.[12]", "it grew."),
    ("(1) first, (2) second", "one, first, two, second"),
    # money
    ("$1.5 billion", "one point five billion dollars"),
    ("$20", "twenty dollars"),
    ("$3.50", "three dollars fifty cents"),
    ("$0.50", "fifty cents"),
    ("$1", "one dollar"),
    ("€20", "twenty euros"),
    ("£5 million", "five million pounds"),
    ("₴100", "one hundred hryvnias"),
    ("UAH 100", "one hundred hryvnias"),
    ("100 UAH", "one hundred hryvnias"),
    ("$2bn", "two billion dollars"),
    # units and symbols
    ("5 km", "five kilometers"),
    ("1 km", "one kilometer"),
    ("100 kg", "one hundred kilograms"),
    ("30 °C", "thirty degrees Celsius"),
    ("30°C", "thirty degrees Celsius"),
    ("-5°C", "minus five degrees Celsius"),
    ("10 mm", "ten millimeters"),
    ("60 mph", "sixty miles per hour"),
    ("90 km/h", "ninety kilometers per hour"),
    ("20 min", "twenty minutes"),
    ("* indicates required", "indicates required"),
    ("Tom & Jerry", "Tom and Jerry"),
    ("No. 5", "number five"),
    ("№ 5", "number five"),
    ("№5", "number five"),
    # titles and abbreviations
    ("Gov. Oleh Syniehubov", "Governor Oleh Syniehubov"),
    ("Lt. Gen. Kyrylo Budanov", "Lieutenant General Kyrylo Budanov"),
    ("Maj. Gen. Ivan Petrenko", "Major General Ivan Petrenko"),
    ("Col. Sirko", "Colonel Sirko"),
    ("Sgt. Ivanenko", "Sergeant Ivanenko"),
    ("Dr. Smith", "Doctor Smith"),
    ("Mr. Zelensky and Mrs. Zelenska", "Mister Zelensky and Missus Zelenska"),
    ("Sen. Graham", "Senator Graham"),
    ("Rep. Wilson", "Representative Wilson"),
    ("Pres. Zelensky", "President Zelensky"),
    ("Adm. Neizhpapa", "Admiral Neizhpapa"),
    ("He went to St. Petersburg.", "He went to Saint Petersburg."),
    ("He lives on Main St. in Kyiv.", "He lives on Main Street in Kyiv."),
    ("They met on Khreshchatyk St.", "They met on Khreshchatyk Street."),
    ("Martin Luther King Jr. spoke", "Martin Luther King Junior spoke"),
    ("Ukraine vs. Russia", "Ukraine versus Russia"),
    ("drones, missiles, etc.", "drones, missiles, et cetera."),
    ("cities, e.g. Kharkiv", "cities, for example Kharkiv"),
    ("the east, i.e. Donbas", "the east, that is Donbas"),
    ("John F. Kennedy", "John F Kennedy"),
    ("on Mon. Feb. 3", "on Monday, February third"),
    ("Tue., March 4", "Tuesday, March fourth"),
    ("on Thurs. 12 June", "on Thursday, the twelfth of June"),
    ("Sun. Jan. 5, 2025", "Sunday, January fifth, twenty twenty-five"),
    ("at the Sun.", "at the Sun."),
    ("Vol. 3, p. 45", "volume three, page forty-five"),
    ("pp. 45-47", "pages forty-five to forty-seven"),
    ("Fig. 2 and Art. 5", "figure two and article five"),
    ("Nos. 3 and 4", "numbers three and four"),
    ("10 pts. in all", "ten points in all"),
    ("approx. 40 km", "approximately forty kilometers"),
    ("an est. 5,000 people", "an estimated five thousand people"),
    ("in N.Y. and N.J.", "in New York and New Jersey."),
    ("Los Angeles, Calif., and Austin, Tex.", "Los Angeles, California, and Austin, Texas."),
    ("Raleigh, N.C., police", "Raleigh, North Carolina, police"),
    ("Sens. Smith and Jones", "Senators Smith and Jones"),
    ("Acme Co. and Smith Bros.", "Acme Company and Smith Brothers."),
    # initialisms and acronyms
    ("U.S. officials", "U.S officials"),
    ("in the U.S.", "in the U.S."),
    ("the U.S. Congress", "the U.S Congress"),
    ("the U.K. and the EU", "the U.K and the E.U"),
    ("the SBU said", "the S.B.U said"),
    ("the SBU’s chief", "the S.B.U.'s chief"),
    ("the IAEA and the OSCE", "the I.A.E.A and the O.S.C.E"),
    ("UAVs flew", "U.A.V.'s flew"),
    ("NATO allies", "NATO allies"),
    ("NATO’s chief", "Nato's chief"),
    ("HIMARS and ATACMS", "HIMARS and Attackems"),
    ("BREAKING NEWS", "Breaking News"),
    ("World War II", "World War Two"),
    ("King Charles III", "King Charles the Third"),
    # addresses
    ("https://kyivindependent.com/news", "kyivindependent dot com slash news"),
    (
        "Visit www.kyivindependent.com/news/ today.",
        "Visit kyivindependent dot com slash news today.",
    ),
    ("editor@kyivindependent.com", "editor at kyivindependent dot com"),
    # quotes, dashes, brackets
    ("“I’m in shock,” she said.", "I'm in shock, she said."),
    ("Russia — as usual — lied.", "Russia, as usual, lied."),
    ("Russia—as usual—lied.", "Russia, as usual, lied."),
    ("Russia - as usual - lied.", "Russia, as usual, lied."),
    ("wait... what", "wait, what"),
    ("He paused…", "He paused."),
    ("the foreign-made missiles", "the foreign-made missiles"),
    ("the 48-year-old told", "the forty-eight-year-old told"),
    ("Kharkiv (Ukraine) was hit", "Kharkiv, Ukraine, was hit"),
    ("an [unverified] claim", "an, unverified, claim"),
    ("Ukraine’s Air Force", "Ukraine's Air Force"),
    ("the F-16 jets", "the F-sixteen jets"),
    # codes of letters and digits: tickers, instruments, models
    ("Brent LCOc1 and US crude CLc1 rose", "Brent L.C.O.C one and U.S crude C.L.C one rose"),
    ("the US10YT=RR yield", "the U.S ten Y.T R.R yield"),
    ("copper CMCU3 fell", "copper C.M.C.U three fell"),
    ("the H5N1 virus", "the H five N one virus"),
    ("the Su-34 and the S-300", "the Su-thirty-four and the S-three hundred"),
    ("a Boeing 737-800 crashed", "a Boeing seven thirty-seven eight hundred crashed"),
    ("Boeing 707-320 jets", "Boeing seven oh seven three twenty jets"),
    ("the Tupolev 154-100", "the Tupolev one fifty-four one hundred"),
    ("Some 300-400 people came", "Some three hundred to four hundred people came"),
    ("pages 120-135", "pages one hundred twenty to one hundred thirty-five"),
    # measures glued to their number, and before the noun they describe
    ("He is 6ft 2in tall", "He is six feet two inches tall"),
    ("a 2in pipe", "a two inch pipe"),
    ("at 2 in the morning", "at two in the morning"),
    ("155mm shells", "one hundred fifty-five millimeter shells"),
    ("155-mm artillery", "one hundred fifty-five millimeter artillery"),
    ("10km of road", "ten kilometers of road"),
    ("a 10km run", "a ten kilometer run"),
    ("10 km north of Kyiv", "ten kilometers north of Kyiv"),
    ("some 20km southeast of the city", "some twenty kilometers southeast of the city"),
    ("30km away", "thirty kilometers away"),
]


def _id(case: tuple[str, str]) -> str:
    return case[0]


@pytest.mark.parametrize(("written", "spoken"), CASES, ids=[_id(case) for case in CASES])
def test_normalize(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


ARTICLE_SENTENCES: list[tuple[str, str]] = [
    (
        "Some of the missiles that Russia used to strike the city of Kharkiv and the region in "
        "late December and early January were produced in a foreign country, Kharkiv Oblast "
        "Governor Oleh Syniehubov said on Jan. 5, as cited by ArmyInform.",
        "Some of the missiles that Russia used to strike the city of Kharkiv and the region in "
        "late December and early January were produced in a foreign country, Kharkiv Oblast "
        "Governor Oleh Syniehubov said on January fifth, as cited by ArmyInform.",
    ),
    (
        "Ukraine’s Air Force said it can’t confirm this information yet.",
        "Ukraine's Air Force said it can't confirm this information yet.",
    ),
    (
        "“The markings have been erased from these missiles, but we can see that the country of "
        'manufacture is not the Russian Federation."',
        "The markings have been erased from these missiles, but we can see that the country of "
        "manufacture is not the Russian Federation.",
    ),
    (
        "Russia also used multiple North Korean missiles to strike Ukraine on Jan. 2, Kirby said, "
        "including as part of its overnight mass attack that killed five people and injured 130 "
        "more.",
        "Russia also used multiple North Korean missiles to strike Ukraine on January second, "
        "Kirby said, including as part of its overnight mass attack that killed five people and "
        "injured one hundred thirty more.",
    ),
    (
        "One of the primary targets of the Jan. 2 mass attack was Kharkiv, which Russian troops "
        "hit with multiple Iskander ballistic missiles, killing two people and injuring over 60.",
        "One of the primary targets of the January second mass attack was Kharkiv, which Russian "
        "troops hit with multiple Iskander ballistic missiles, killing two people and injuring "
        "over sixty.",
    ),
    (
        "January 5, 2024 6:46 PM",
        "January fifth, twenty twenty-four six forty-six P.M",
    ),
]


@pytest.mark.parametrize(
    ("written", "spoken"), ARTICLE_SENTENCES, ids=[w[:40] for w, _ in ARTICLE_SENTENCES]
)
def test_normalize_article_sentences(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize("written", [written for written, _ in CASES + ARTICLE_SENTENCES])
def test_normalize_is_idempotent(written: str) -> None:
    once = normalize(written)
    assert normalize(once) == once


@pytest.mark.parametrize(
    "written", ["[[ kˈɑːɹkɪv ]]", "a [[b]] c", "x]] and [[y", "{{ and }}", "[[", "]]"]
)
def test_normalize_never_emits_phoneme_brackets(written: str) -> None:
    spoken = normalize(written)
    assert "[[" not in spoken
    assert "]]" not in spoken


@pytest.mark.parametrize("name", ["Kharkiv", "Syniehubov", "Zaporizhzhia", "ArmyInform", "Kyiv"])
def test_normalize_leaves_proper_names_alone(name: str) -> None:
    assert normalize(f"They went to {name} on Jan. 5.") == f"They went to {name} on January fifth."


# What the voice's own espeak-ng makes of the normalised text: initialisms must come out as
# letter names, where espeak left alone reads "IAEA" as "eye-ee-uh" and "OSCE" as "oss".
LETTER_NAMES: list[tuple[str, str]] = [
    ("the IAEA said", "ˌaɪˌeɪˌiːʲˈeɪ"),
    ("the OSCE said", "ˌoʊˌɛssˌiːʲˈiː"),
    ("the SBU said", "ˌɛsbˌiːjˈuː"),
    ("the HUR said", "ˌeɪtʃjˌuːˈɑːɹ"),
    ("the ZSU said", "zˌiːʲˌɛsjˈuː"),
    ("the U.S. Congress", "jˌuːˈɛs kˈɑːŋɡɹəs"),
    ("at 10 a.m. Kyiv time", "tˈɛn ˌeɪˈɛm kjˈɪv"),
    ("NATO’s chief", "nˈeɪɾoʊz tʃˈiːf"),
    ("the SBU’s chief", "ˌɛsbˌiːjˈuː z tʃˈiːf"),
]


@pytest.mark.parametrize(("written", "phonemes"), LETTER_NAMES, ids=[w for w, _ in LETTER_NAMES])
def test_espeak_reads_normalized_initialisms_as_letters(written: str, phonemes: str) -> None:
    from audiobrief.voices import espeak_phonemes

    assert phonemes in espeak_phonemes("en-us", normalize(written))


def test_espeak_reads_no_sentence_end_inside_dotted_initialism() -> None:
    from audiobrief.voices import espeak_phonemes

    # "U.S." before a capitalised word would be a full stop (a pause and falling pitch).
    assert "." not in espeak_phonemes("en-us", normalize("U.S. Congress approved U.K. aid"))


# Words in capitals are words (datelines, bylines, headlines, names of indexes); initialisms are
# spelled: listed ones, those without a vowel or that English could not begin or end a word with,
# and, in running text, any of three letters or fewer.
CAPITALS: list[tuple[str, str]] = [
    ("NEW YORK (Reuters) - Stocks fell", "New York, Reuters, Stocks fell"),
    ("SAN FRANCISCO, March 3 (AP) -", "San Francisco, March third, A.P"),
    ("KYIV (Reuters) - Ukraine said", "Kyiv, Reuters, Ukraine said"),
    ("WASHINGTON — The Senate voted", "Washington, The Senate voted"),
    ("By JERUSALEM POST STAFF", "By Jerusalem Post Staff"),
    ("By REUTERS", "By Reuters"),
    ("By AFP", "By A.F.P"),
    ("US STOCKS FALL AS FBI PROBES CEO", "U.S Stocks Fall As F.B.I Probes C.E.O"),
    ("IT IS OVER, SAYS UN CHIEF", "It Is Over, Says U.N Chief"),
    ("WORLD WAR II ENDS", "World War Two Ends"),
    ("TRUMP’S PLAN FOR GAZA", "Trump's Plan For Gaza"),
    ("The STOXX 600 rose", "The Stoxx six hundred rose"),
    ("the FTSE and the DAX", "the Footsie and the DAX"),
    ("the CERN lab and the FEMA chief", "the Cern lab and the Fema chief"),
    ("the FBI, the EU, the UK and the BBC", "the F.B.I, the E.U, the U.K and the B.B.C"),
    ("the CEO and the CIA", "the C.E.O and the C.I.A"),
    ("the UNSC, the IRGC and the ECHR", "the U.N.S.C, the I.R.G.C and the E.C.H.R"),
    ("the GDP of the USSR", "the G.D.P of the U.S.S.R"),
    ("the NYPD and the NYSE", "the N.Y.P.D and the N.Y.S.E"),
    ("the UNHCR said", "the U.N.H.C.R said"),
    ("the vote was NO and the answer YES", "the vote was No and the answer Yes"),
    ("we are NOT leaving", "we are Not leaving"),
    ("the WHO and the IT sector", "the W.H.O and the I.T sector"),
    ("the US and the EU", "the U.S and the E.U"),
]


@pytest.mark.parametrize(("written", "spoken"), CAPITALS, ids=[w for w, _ in CAPITALS])
def test_capitals_are_words_unless_initialisms(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


# What the voice hears: the words of a dateline or byline in capitals, not their letters.
CAPITALS_PHONEMES: list[tuple[str, str]] = [
    ("NEW YORK (Reuters) - Stocks fell", "nˈuː jˈɔːɹk"),
    ("By JERUSALEM POST STAFF", "pˈoʊst stˈæf"),
    ("The STOXX 600 rose", "stˈɑːks"),
    ("IT IS OVER", "ɪɾ ɪz ˈoʊvɚ"),
    ("US STOCKS FALL", "jˌuːˈɛs stˈɑːks"),
    ("the FBI said", "ˌɛfbˌiːʲˈaɪ"),
]


@pytest.mark.parametrize(
    ("written", "phonemes"), CAPITALS_PHONEMES, ids=[w for w, _ in CAPITALS_PHONEMES]
)
def test_espeak_reads_words_in_capitals_as_words(written: str, phonemes: str) -> None:
    from audiobrief.voices import espeak_phonemes

    assert phonemes in espeak_phonemes("en-us", normalize(written))


# Numbers too long to say as one: read digit by digit, never Python's int limit (4,300 digits).
LONG_NUMBERS: list[tuple[str, str, str]] = [
    ("fifteen-digits", "999999999999999 stars",
     "nine hundred ninety-nine trillion nine hundred ninety-nine billion nine hundred "
     "ninety-nine million nine hundred ninety-nine thousand nine hundred ninety-nine stars"),
    ("sixteen-digits", "1234567890123456 stars",
     "one two three four five six seven eight nine zero one two three four five six stars"),
    ("4301-digits", "1" * 4301, " ".join(["one"] * 4301)),
    ("4301-digits-money", "$" + "2" * 4301 + ".50",
     " ".join(["two"] * 4301) + " dollars fifty cents"),
    ("4301-digits-ordinal", "the " + "3" * 4301 + "th", "the " + " ".join(["three"] * 4301)),
    ("4301-digits-decimal", "7" * 4301 + "." + "8" * 4301,
     " ".join(["seven"] * 4301) + " point " + " ".join(["eight"] * 4301)),
    ("4301-digits-unit", "5" * 4301 + " km", " ".join(["five"] * 4301) + " kilometers"),
]


@pytest.mark.parametrize(("written", "spoken"), [case[1:] for case in LONG_NUMBERS],
                         ids=[case[0] for case in LONG_NUMBERS])
def test_long_numbers_are_read_digit_by_digit(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.timeout(30)
@pytest.mark.parametrize("run", ["1-" * 40_000, "a." * 40_000, "x+" * 40_000 + "@"],
                         ids=["digits-and-dashes", "dotted", "before-an-at"])
def test_finding_addresses_takes_time_linear_in_the_run(run: str) -> None:
    """Long runs of address characters: each address is looked for where a run starts only."""
    import time

    from audiobrief.script.normalize import _addresses

    started = time.perf_counter()
    _addresses(run)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("written", "said"), [
    ("Polls are open 9-11 a.m. on Sunday.", "Polls are open nine to eleven A.M on Sunday."),
    ("between 10-11:30 p.m.", "between ten to eleven thirty P.M."),
    ("from 9:00–10:15 AM, then", "from nine to ten fifteen A.M, then"),
    ("open 8:05 - 9 pm daily", "open eight oh five to nine P.M daily"),
    ("a 3-2 win", "a three to two win"),  # no a.m./p.m.: a score or a range, as before
])
def test_a_clock_range_is_said_as_two_times(written: str, said: str) -> None:
    assert normalize(written) == said
