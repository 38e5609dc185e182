"""A word in capitals → whether it is an initialism to spell ("FBI") or a word to read ("NEW
YORK", "STOXX"), decided by lists first and then by whether English could pronounce it."""

from __future__ import annotations

# Capitals said as a word, and how to write them so espeak does: espeak guesses on its own,
# wrongly for some ("ATACMS").
WORD_ACRONYMS: dict[str, str] = {
    "NATO": "NATO", "NASA": "NASA", "UNESCO": "UNESCO", "UNICEF": "UNICEF", "OPEC": "OPEC",
    "NABU": "NABU", "SAPO": "SAPO", "FIFA": "FIFA", "UEFA": "UEFA", "ASEAN": "ASEAN",
    "BRICS": "BRICS", "SWIFT": "SWIFT", "COVID": "COVID", "AIDS": "AIDS", "ISIS": "ISIS",
    "NAFO": "NAFO", "HIMARS": "HIMARS", "NASAMS": "NASAMS", "MANPADS": "MANPADS",
    "ATACMS": "Attackems", "IRIS": "IRIS", "SCALP": "SCALP", "OPLAN": "OPLAN", "DAX": "DAX",
    "TASS": "TASS", "FTSE": "Footsie",
}  # fmt: skip

# Initialisms that English could read as a word, so the spelling rules below would not spell.
INITIALISMS: frozenset[str] = frozenset({
    "US", "UK", "UN", "AP", "EV", "ID", "NY", "CIA", "CEO", "HUR", "GUR", "GRU", "ICC",
    "IPO", "UAV", "EPA", "IRS", "GOP", "DOJ", "USA", "ISS", "SEC", "NIH", "IOC", "MEP", "NYC",
    "NYSE", "OSCE", "IAEA", "IISS", "UNGA", "USAID", "EFE", "RIA", "OAS", "AFU",
})  # fmt: skip

# Short English words that stand in capitals for emphasis in running text ("voted NO"), where
# other short capitals are initialisms ("the CIA"). "US", "IT" and "WHO" are not among them.
SHORT_WORDS: frozenset[str] = frozenset({
    "NO", "YES", "NOT", "NOW", "NEW", "ALL", "AND", "THE", "BUT", "FOR", "YOU", "OUT", "OFF",
    "BIG", "TOP", "HOT", "WAR", "WIN", "OUR", "HER", "HIS", "SHE", "HE", "WE", "ME", "MY",
    "GO", "SO", "DO", "TO", "OF", "IN", "ON", "AT", "BY", "OR", "IF", "IS", "BE", "AN", "ARE",
    "WAS", "HAS", "HAD", "DID", "CAN", "MAY", "ONE", "TWO", "SIX", "TEN", "BAD", "END", "GET",
    "LET", "SAY", "SEE", "WAY", "DAY", "MAN", "MEN", "BOY", "GUN", "OIL", "GAS", "BAN", "LIE",
    "DIE", "YET", "TOO", "WHY", "HOW", "ANY", "FEW", "OLD", "OWN",
})  # fmt: skip

_VOWELS = frozenset("AEIOU")
# The consonants English (and the Slavic names news is full of) lets a word begin with.
ONSETS: frozenset[str] = frozenset({
    *"BCDFGHJKLMNPQRSTVWXYZ",
    "BL", "BR", "CH", "CL", "CR", "DR", "DW", "FL", "FR", "GL", "GN", "GR", "KH", "KL", "KN",
    "KR", "KV", "LV", "PH", "PL", "PR", "PS", "SC", "SH", "SK", "SL", "SM", "SN", "SP", "SQ",
    "ST", "SV", "SW", "TH", "TR", "TS", "TW", "VL", "WH", "WR", "ZH", "ZV", "DN", "DZ",
    "SCH", "SCR", "SHR", "SPL", "SPR", "STR", "THR", "CHR", "PHR", "SKR", "SHCH",
})  # fmt: skip
# Neighbouring consonants English lets a word end with ("MINSK" ends N-S, S-K).
CODA_PAIRS: frozenset[str] = frozenset({
    "BS", "CH", "CK", "CT", "DS", "FS", "FT", "GH", "GS", "HT", "KS", "LB", "LD", "LF", "LK",
    "LM", "LN", "LP", "LS", "LT", "LV", "MB", "MP", "MS", "ND", "NG", "NK", "NS", "NT", "NZ",
    "PH", "PS", "PT", "RB", "RC", "RD", "RF", "RG", "RK", "RL", "RM", "RN", "RP", "RS", "RT",
    "RV", "SH", "SK", "SM", "SP", "ST", "TH", "TS", "TZ", "WD", "WK", "WL", "WN", "WS", "XT",
})  # fmt: skip
# Longer than this, capitals are a word whatever their letters: the checks below are for
# the short forms that initialisms take.
_CHECKED_LETTERS = 5


def _is_vowel(letters: str, index: int) -> bool:
    # "Y" is a vowel but at the start: "MY", "KYIV"; "YORK".
    return letters[index] in _VOWELS or (letters[index] == "Y" and index > 0)


def pronounceable(letters: str) -> bool:
    """Whether capitals could be an English word: vowels and consonants both, a beginning and
    an ending English allows ("STOXX", "MINSK"; not "FBI", "UNSC", "EU")."""
    vowels = [index for index in range(len(letters)) if _is_vowel(letters, index)]
    if not vowels or len(vowels) == len(letters):
        return False
    if len(letters) > _CHECKED_LETTERS:
        return True
    onset, coda = letters[: vowels[0]], letters[vowels[-1] + 1 :]
    if onset and onset not in ONSETS:
        return False
    # A doubled letter is one sound ("STOXX", "STAFF").
    coda = "".join(letter for i, letter in enumerate(coda) if i == 0 or coda[i - 1] != letter)
    return all(coda[i : i + 2] in CODA_PAIRS for i in range(len(coda) - 1))


def spelled(letters: str, among_capitals: bool) -> bool:
    """Whether undotted `letters` are said letter by letter.

    Listed forms first; then letters English cannot pronounce are spelled. Among capitals (a
    dateline, a byline, a headline) a pronounceable form is a word; in running text the short
    forms are initialisms ("the CIA") and longer pronounceable ones words ("the STOXX 600").
    """
    if letters in WORD_ACRONYMS or letters in SHORT_WORDS:
        return False
    if letters in INITIALISMS or not pronounceable(letters):
        return True
    return not among_capitals and len(letters) <= 3
