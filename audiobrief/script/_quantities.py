"""Written quantities → words: dates, times, money, units, percentages, ranges, years, numbers.

Rules run in the order of `RULES`; each turns digits into words, so a later rule never sees what
an earlier one has already said.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from audiobrief.script import _numbers

MONTHS: dict[str, str] = {
    "January": "January", "February": "February", "March": "March", "April": "April",
    "May": "May", "June": "June", "July": "July", "August": "August",
    "September": "September", "October": "October", "November": "November",
    "December": "December",
    "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "Jun": "June",
    "Jul": "July", "Aug": "August", "Sep": "September", "Sept": "September", "Oct": "October",
    "Nov": "November", "Dec": "December",
}  # fmt: skip
MONTH_NUMBERS: tuple[str, ...] = tuple(list(MONTHS.values())[:12])

CURRENCY_SYMBOLS: dict[str, tuple[str, str, str, str]] = {
    # symbol: (one, many, one hundredth, many hundredths)
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "₴": ("hryvnia", "hryvnias", "kopiyka", "kopiykas"),
    "₽": ("ruble", "rubles", "kopeck", "kopecks"),
}
CURRENCY_CODES: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "UAH": "₴", "RUB": "₽"}
SCALES: dict[str, str] = {
    "thousand": "thousand", "million": "million", "billion": "billion", "trillion": "trillion",
    "bn": "billion", "mn": "million", "mln": "million", "m": "million", "k": "thousand",
}  # fmt: skip

UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "km²": ("square kilometer", "square kilometers"),
    "sq km": ("square kilometer", "square kilometers"),
    "mph": ("mile per hour", "miles per hour"),
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "ha": ("hectare", "hectares"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"),
    "kWh": ("kilowatt-hour", "kilowatt-hours"),
    "MWh": ("megawatt-hour", "megawatt-hours"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "° C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "%": ("percent", "percent"),
    "min": ("minute", "minutes"),
}

# Said after a number only when glued to it: "2in", not "2 in the morning".
GLUED_UNITS: dict[str, tuple[str, str]] = {"in": ("inch", "inches")}
# Words after a measure that show it is not before a noun it describes ("10km of road").
NOT_NOUNS: frozenset[str] = frozenset({
    "of", "per", "a", "an", "the", "and", "or", "but", "nor", "to", "from", "in", "into", "on",
    "onto", "at", "by", "for", "with", "within", "across", "along", "over", "under", "up", "down",
    "off", "away", "ahead", "behind", "back", "long", "wide", "high", "deep", "tall", "thick",
    "short", "inland", "offshore", "each", "apiece", "more", "less", "further", "farther", "ago",
    "later", "earlier", "than", "as", "is", "are", "was", "were", "be", "been", "yesterday",
    "today", "tonight", "while", "so", "that", "which", "who", "when", "where", "every", "daily",
    "plus", "minus", "instead", "beyond", "past", "around", "about", "near", "toward", "towards",
    "before", "after", "since", "until", "if", "then", "too", "only", "still", "already",
})  # fmt: skip
_COMPASS = re.compile(r"(?:north|south)?(?:east|west)?(?:ward|wards|erly)?")
# A maker or a family before a model's number and variant: "Boeing 737-800", not a range.
RANGE_CUES: frozenset[str] = frozenset({
    "From", "Between", "Pages", "Page", "Pp", "Years", "Nos", "Numbers", "Rooms", "Seats",
    "Some", "About", "Around", "Roughly", "Nearly", "Almost", "Over", "Up", "Only",
})  # fmt: skip
MAKERS: frozenset[str] = frozenset({
    "Boeing", "Airbus", "Embraer", "Bombardier", "Tupolev", "Ilyushin", "Antonov", "Sukhoi",
    "Cessna", "Beriev", "Yakovlev", "Mil", "Kamov", "Bell", "Lockheed",
})  # fmt: skip

# Fractions as written: "1/2", "1-1/2", "2 ½". Other denominators ("9/11", "24/7") are no
# fraction but a date or a name, read as their numbers.
FRACTION_DENOMINATORS: dict[int, tuple[str, str]] = {
    2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters"),
    5: ("fifth", "fifths"), 6: ("sixth", "sixths"), 8: ("eighth", "eighths"),
    10: ("tenth", "tenths"), 16: ("sixteenth", "sixteenths"),
    32: ("thirty-second", "thirty-seconds"), 64: ("sixty-fourth", "sixty-fourths"),
    100: ("hundredth", "hundredths"),
}  # fmt: skip
VULGAR_FRACTIONS: dict[str, tuple[int, int]] = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅛": (1, 8),
    "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
}  # fmt: skip
# A phone number has at least this many digits; fewer in groups are a range or a score.
PHONE_MIN_DIGITS = 10

# A four-digit number after one of these is a year ("since 1991"), whatever follows it.
YEAR_CUES: frozenset[str] = frozenset({
    "in", "since", "by", "until", "till", "from", "of", "year", "early", "late", "mid", "spring",
    "summer", "autumn", "fall", "winter", "before", "after", "during", "through", "between",
    "around", "circa", *MONTHS.values(),
})  # fmt: skip
# Words ending in "s" that may follow a year ("the 2024 elections") or are not plurals at all.
YEAR_NOUNS: frozenset[str] = frozenset({
    "elections", "olympics", "games", "protests", "talks", "was", "is", "has", "as", "this",
    "its", "his", "always",
})  # fmt: skip
# A number before one of these counts something ("2024 more", "1500 people").
COUNTED_WORDS: frozenset[str] = frozenset({
    "more", "people", "children", "men", "women", "personnel", "other", "additional", "new",
    "extra", "times",
})  # fmt: skip

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th)?"


def alternatives(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first so that "km/h" wins over "km"."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def ends_sentence(match: re.Match[str]) -> bool:
    """Whether only closing quotes or brackets follow the match: its dot ends the sentence."""
    return not match.string[match.end() :].strip(" \"'”’»)]")


def _with_year(words: str, year: str | None) -> str:
    return f"{words}, {_numbers.year(int(year))}" if year else words


def _month_day(match: re.Match[str]) -> str:
    month = MONTHS[match["month"]]
    return _with_year(f"{month} {_numbers.ordinal(int(match['day']))}", match["year"])


def _day_month(match: re.Match[str]) -> str:
    month = MONTHS[match["month"]]
    return _with_year(f"the {_numbers.ordinal(int(match['day']))} of {month}", match["year"])


def _iso_date(match: re.Match[str]) -> str:
    month, day = int(match["month"]), int(match["day"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match[0]
    return _with_year(f"{MONTH_NUMBERS[month - 1]} {_numbers.ordinal(day)}", match["year"])


def _numeric_date(match: re.Match[str]) -> str:
    """"3/4/2025" as the voice's American English reads it, month first; a first number
    above twelve can only be the day ("25/12/2024")."""
    month, day = int(match["month"]), int(match["day"])
    if month > 12 >= day:
        month, day = day, month
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match[0]
    year = match["year"] if len(match["year"]) == 4 else f"20{match['year']}"
    return _with_year(f"{MONTH_NUMBERS[month - 1]} {_numbers.ordinal(day)}", year)


def _fraction(match: re.Match[str]) -> str:
    if match["vulgar"]:
        numerator, denominator = VULGAR_FRACTIONS[match["vulgar"]]
    else:
        numerator, denominator = int(match["numerator"]), int(match["denominator"])
    if denominator not in FRACTION_DENOMINATORS or not 0 < numerator < denominator:
        return match[0]
    one, many = FRACTION_DENOMINATORS[denominator]
    if match["whole"]:
        part = f"a {one}" if numerator == 1 else f"{_numbers.cardinal(str(numerator))} {many}"
        return f"{_numbers.cardinal(match['whole'])} and {part}"
    return f"{_numbers.cardinal(str(numerator))} {one if numerator == 1 else many}"


def _phone(match: re.Match[str]) -> str:
    """A phone number digit by digit, a pause between its groups."""
    groups = re.findall(r"\d+", match[0])
    if sum(map(len, groups)) < PHONE_MIN_DIGITS:
        return match[0]
    spoken = ", ".join(_numbers.digits(group) for group in groups)
    return ("plus " if match[0].startswith("+") else "") + spoken


def _month_alone(match: re.Match[str]) -> str:
    return MONTHS[match["month"]] + (" " if match["space"] else "")


def _time(match: re.Match[str]) -> str:
    hour, minutes, meridiem = int(match["hour"]), match["minutes"], match["meridiem"]
    words = _numbers.cardinal(str(hour))
    if minutes and minutes.startswith("0") and minutes != "00":
        words += " oh " + _numbers.cardinal(minutes[1])
    elif minutes and minutes != "00":
        words += " " + _numbers.cardinal(minutes)
    elif minutes and not meridiem:
        words += " hundred"
    if meridiem:
        # Dotted without the final dot: espeak spells it, and reads no sentence end before a
        # capitalised word ("ten A.M Kyiv time"); "AM" alone may be read as the word "am".
        words += " A.M" if meridiem.lower() == "a" else " P.M"
        if match[0].endswith(".") and ends_sentence(match):
            words += "."
    return words


def _time_from(match: re.Match[str]) -> str:
    """The start of a clock range whose end says a.m. or p.m. ("9-11 a.m."): "nine to "."""
    words = _numbers.cardinal(str(int(match["hour"])))
    minutes = match["minutes"]
    if minutes and minutes != "00":
        words += (" oh " + _numbers.cardinal(minutes[1]) if minutes.startswith("0")
                  else " " + _numbers.cardinal(minutes))
    return words + " to "


def _money(match: re.Match[str]) -> str:
    symbol = match["symbol"] or CURRENCY_CODES[match["code"] or match["code_after"]]
    one, many, hundredth, hundredths = CURRENCY_SYMBOLS[symbol]
    number, scale = match["number"], match["scale"]
    if scale:
        return f"{_numbers.cardinal(number)} {SCALES[scale]} {many}"
    whole, _, fraction = number.replace(",", "").partition(".")
    if len(fraction) == 2:
        units = whole.lstrip("0")  # compared as digits: `int` refuses thousands of them
        cents = int(fraction)
        parts = [f"{_numbers.cardinal(whole)} {one if units == '1' else many}"] if units else []
        if cents:
            parts.append(
                f"{_numbers.cardinal(str(cents))} {hundredth if cents == 1 else hundredths}"
            )
        return " ".join(parts) or f"zero {many}"
    return f"{_numbers.cardinal(number)} {one if number == '1' else many}"


def _unit(match: re.Match[str]) -> str:
    one, many = UNITS.get(match["unit"]) or GLUED_UNITS[match["unit"]]
    return f"{_numbers.cardinal(match['number'])} {one if _singular(match) else many}"


def _singular(match: re.Match[str]) -> bool:
    """Whether a measure is said in the singular: one of it, or a measure before the noun it
    describes ("155mm shells", "a 10-km run"; not "10km of road", "5 km north")."""
    if match["number"] == "1":
        return True
    if match["joint"] == " ":
        return False
    after = re.match(r" ([a-z]+)\b", match.string[match.end() :])
    if after is None:
        return False
    return after[1] not in NOT_NOUNS and not _COMPASS.fullmatch(after[1])


def _model(match: re.Match[str]) -> str:
    maker, first, second = match["maker"], match["first"], match["second"]
    # At a sentence's start any word is capitalised ("Some 300-400 people"): only a known maker
    # is one there.
    starts = not match["before"] or not match["before"][0].isalnum()
    if maker in RANGE_CUES or maker.lower() in YEAR_CUES or (starts and maker not in MAKERS):
        return f"{match['before']}{maker} {first} to {second}"
    return f"{match['before']}{maker} {_numbers.nominal(first)} {_numbers.nominal(second)}"


def _range(match: re.Match[str]) -> str:
    return f"{match['first']} to {match['second']}"


def _decade(match: re.Match[str]) -> str:
    digits = match["decade"]
    words = _numbers.year(int(digits)) if len(digits) == 4 else _numbers.cardinal(digits)
    return _numbers.plural(words)


def _ordinal(match: re.Match[str]) -> str:
    if len(match["number"]) > _numbers.MAX_WHOLE_DIGITS:
        return _numbers.cardinal(match["number"])
    return _numbers.ordinal(int(match["number"]))


def _times(match: re.Match[str]) -> str:
    return f"{_numbers.cardinal(match['number'])} times"


def _reads_as_year(match: re.Match[str]) -> bool:
    number = match["number"]
    if match["sign"] or not (len(number) == 4 and number.isdigit()):
        return False
    if not _numbers.is_year(int(number)):
        return False
    before = match.string[: match.start()].split()
    if before and before[-1].strip(",(") in YEAR_CUES:
        return True
    after = re.match(r"\s+([a-z]+)\b", match.string[match.end() :])
    if after:
        word = after[1]
        if word in COUNTED_WORDS or (word.endswith("s") and word not in YEAR_NOUNS):
            return False
    return True


def _number(match: re.Match[str]) -> str:
    if _reads_as_year(match):
        return _numbers.year(int(match["number"]))
    sign = match["sign"] or ""
    words = _numbers.cardinal(match["number"])
    return ("plus " if sign == "+" else "minus " if sign else "") + words


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

RULES: tuple[_Rule, ...] = (
    (
        re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
        _iso_date,
    ),
    (
        re.compile(
            r"(?<![\w/.,])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\w/]|[.,]\d)"
        ),
        _numeric_date,
    ),
    (
        # "+380 44 123 4567", "1-800-555-0199", "(555) 123-4567": three or four groups.
        re.compile(
            r"(?<![\w.,+-])(?:\+\d{1,3}[ -]?|\d{1,3}[ -])?(?:\(\d{2,4}\) ?|\d{2,4}[ -])"
            r"\d{2,4}[ -]\d{2,4}(?![\w-]|[.,]\d)"
        ),
        _phone,
    ),
    (
        re.compile(
            rf"(?<![\w/.,])(?:(?P<whole>\d+)(?:-| |(?=[{''.join(VULGAR_FRACTIONS)}])))?"
            rf"(?:(?P<vulgar>[{''.join(VULGAR_FRACTIONS)}])"
            r"|(?P<numerator>\d{1,2})/(?P<denominator>\d{1,3}))(?![\w/]|[.,]\d)"
        ),
        _fraction,
    ),
    (
        re.compile(
            rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}}){_ORDINAL_SUFFIX}\b(?![:.,]\d)"
            r"(?:,?\s+(?P<year>\d{4})\b(?![.,]\d))?"
        ),
        _month_day,
    ),
    (
        re.compile(
            rf"\b(?P<day>\d{{1,2}}){_ORDINAL_SUFFIX}\s+(?P<month>{_MONTH})\b(?:\.(?!\s*$))?"
            r"(?:,?\s+(?P<year>\d{4})\b(?![.,]\d))?"
        ),
        _day_month,
    ),
    (re.compile(rf"\b(?P<month>{_MONTH})\.(?P<space>\s+)(?=\d{{4}}\b)"), _month_alone),
    (
        # A clock range said before its end's a.m./p.m. makes it a time: "9-11 a.m.".
        re.compile(
            r"(?<![\w.,:])(?P<hour>[012]?\d)(?::(?P<minutes>[0-5]\d))?\s?[–—-]\s?"
            r"(?=[012]?\d(?::[0-5]\d)?\s?[AaPp]\.?\s?[Mm]\b)"
        ),
        _time_from,
    ),
    (
        re.compile(
            r"\b(?P<hour>[012]?\d)(?::(?P<minutes>[0-5]\d))?"
            r"(?:\s?(?P<meridiem>[AaPp])\.?\s?[Mm]\b\.?)"
        ),
        _time,
    ),
    (re.compile(r"\b(?P<hour>[012]?\d):(?P<minutes>[0-5]\d)(?P<meridiem>)\b(?!:\d)"), _time),
    (
        re.compile(
            rf"(?:(?P<symbol>{alternatives(CURRENCY_SYMBOLS)})"
            rf"|\b(?P<code>{alternatives(CURRENCY_CODES)})\s?)(?P<number>{_NUM})"
            rf"(?:\s?(?P<scale>{alternatives(SCALES)})\b)?"
        ),
        _money,
    ),
    (
        re.compile(
            rf"\b(?P<number>{_NUM})(?:\s(?P<scale>{alternatives(SCALES)}))?"
            rf"\s(?P<code_after>{alternatives(CURRENCY_CODES)})\b(?P<symbol>)(?P<code>)"
        ),
        _money,
    ),
    (
        re.compile(
            r"(?P<before>\w[,;:]? |^|(?<=[.!?] ))(?P<maker>[A-Z][a-z]+) "
            r"(?P<first>[1-9]\d{2})-(?P<second>\d{1,3})(?![\d.,-])"
        ),
        _model,
    ),
    (
        re.compile(
            rf"(?<![\w.,])(?P<first>{_NUM})\s?[–—-]\s?(?P<second>{_NUM})(?![\d]|[.,]\d|-\d)"
        ),
        _range,
    ),
    (
        re.compile(
            rf"(?<![\w.,])(?P<number>-?(?:{_NUM}))(?P<joint> ?|-)(?P<unit>{alternatives(UNITS)})"
            r"(?![\w²/])"
        ),
        _unit,
    ),
    (
        re.compile(
            rf"(?<![\w.,])(?P<number>{_NUM})(?P<joint>)(?P<unit>{alternatives(GLUED_UNITS)})\b"
        ),
        _unit,
    ),
    (re.compile(r"(?<![\w.,])['’]?(?P<decade>(?:1[1-9]|20)?\d0)s\b"), _decade),
    (re.compile(r"(?<![\w.,])(?P<number>\d+)(?:st|nd|rd|th)\b"), _ordinal),
    (re.compile(rf"(?<![\w.,])(?P<number>{_NUM})x\b"), _times),
    (
        re.compile(rf"(?:(?<![\w.,])(?P<sign>[-−+]))?(?<![\d.,])(?P<number>{_NUM})(?!\d|\w)"),
        _number,
    ),
)


def expand_quantities(text: str) -> str:
    """`text` with every date, time, amount, measure and number written out as words."""
    for pattern, speak in RULES:
        text = pattern.sub(speak, text)
    return text
