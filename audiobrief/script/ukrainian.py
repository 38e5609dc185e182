"""Ukrainian names (romanised or Cyrillic) → English-approximated phonemes in espeak's en-us IPA.

Conventions, shared by the built-in lexicon and the held-out references (tests/data):
- vowels: а ɑː, е ɛ, и ɪ, о ɔ; і iː stressed / i unstressed; у uː stressed / u unstressed;
  я є ю ї are j + that vowel (no j after ж ш ч щ); no English vowel reduction;
- consonants: г h (the English voice has no ɦ), ґ ɡ, х k (as English-language media say
  "Kharkiv"), р ɹ, ж ʒ, ш ʃ, ч tʃ, щ ʃtʃ, ц ts, дж dʒ, й j; ь and the apostrophe are silent;
  doubled consonants stay doubled (Ukrainian geminates: Zaporizhzhia ʒʒ);
- final ий → ɪj, ій → ij; a word-initial л/м/н/р before a consonant gets ə (Lviv ləvˈiːv);
- one primary stress ˈ, written just before the stressed vowel as espeak does (kˈɑːɹkiv);
  parts of hyphenated names are separate words.
Romanised input is first read back into Cyrillic (2010 national system, BGN/PCGN, ALA-LC and
Russian-style endings), stress comes from the dictionary acute when given, else from suffixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

RULES_VERSION = "uk-rules-2"
"""Bump when a rule change can change some pronunciation, detection included (it is part of
cache keys)."""

_STRESS = "\u0301"
_VOWELS = "аеєиіїоуюяыэё"
_SILENT = "ьъ'’ʼ"
_HUSHING = ("ʒ", "ʃ", "tʃ", "ʃtʃ")

# vowel letter → (glide, unstressed, stressed)
_VOWEL_PHONEMES: dict[str, tuple[str, str, str]] = {
    "а": ("", "ɑː", "ɑː"),
    "е": ("", "ɛ", "ɛ"),
    "и": ("", "ɪ", "ɪ"),
    "і": ("", "i", "iː"),
    "о": ("", "ɔ", "ɔ"),
    "у": ("", "u", "uː"),
    "я": ("j", "ɑː", "ɑː"),
    "є": ("j", "ɛ", "ɛ"),
    "ю": ("j", "u", "uː"),
    "ї": ("j", "i", "iː"),
    "ы": ("", "ɪ", "ɪ"),
    "э": ("", "ɛ", "ɛ"),
    "ё": ("j", "ɔ", "ɔ"),
}
_CONSONANT_PHONEMES: dict[str, str] = {
    "б": "b",
    "в": "v",
    "г": "h",
    "ґ": "ɡ",
    "д": "d",
    "ж": "ʒ",
    "з": "z",
    "й": "j",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "п": "p",
    "р": "ɹ",
    "с": "s",
    "т": "t",
    "ф": "f",
    "х": "k",
    "ц": "ts",
    "ч": "tʃ",
    "ш": "ʃ",
    "щ": "ʃtʃ",
}

# Stress from morphology, tried in order on the unaccented lower-case Cyrillic word without soft
# signs or apostrophes (romanisations drop them). Each rule
# names the vowel to stress: "before" = the last vowel before the match, "first" = the first
# vowel inside the match, "last" = the word's last vowel, or an index from the end.
_STRESS_RULES: tuple[tuple[re.Pattern[str], str | int], ...] = tuple(
    (re.compile(pattern), where)
    for pattern, where in (
        (r"енко$", "first"),  # Shevchenko, Klymenko
        (r"(чук|щук|юк|ук|як|чак)$", "last"),  # Kravchuk, Stefanchuk, Podoliak
        (r"(с|ц|з)к(ий|а|е|ого|ої|ому|і)?$", "before"),  # Zelenskyi, Pokrovsk, Toretsk, -ske
        (r"(?<=[аеиіоуяюєї])ївк[аиі]$", "before"),  # Avdiivka, Makiivka: stress before ї
        (r"івк[аиі]$", "first"),  # Novoselivka, Mykhailivka
        (r"(піл|пол)$", "before"),  # Ternopil, Melitopol, Mariupol, Boryspil
        (r"град$", "first"),  # Myrnohrad, Pavlohrad
        (r"город$", "before"),  # Vyshhorod, Uzhhorod, Myrhorod
        (r"(ович|евич|івна|ївна)$", -2),  # patronymic-shaped surnames: Yanukovych
        (r"(ове|еве|єве|ине|іне|їне)$", -3),  # Kurakhove, Robotyne, Ocheretyne
        (r"ец$", "last"),  # Kamianets, Horodets
    )
)


@lru_cache(maxsize=8192)
def pronounce_name(word: str) -> str:
    """Phonemes of a romanised (or Cyrillic) Ukrainian name not found in any lexicon."""
    if any("\u0400" <= char <= "\u04ff" for char in word):
        return pronounce_cyrillic(word)
    parts = [part for part in re.split(r"[-‐–\s]+", word) if part]
    return " ".join(_pronounce_part(to_cyrillic(part)) for part in parts)


def pronounce_cyrillic(word: str) -> str:
    """Phonemes of a Cyrillic word; a combining acute (а́) marks the stressed vowel if known."""
    parts = [part for part in re.split(r"[-‐–\s]+", word) if part]
    return " ".join(_pronounce_part(part) for part in parts)


def _pronounce_part(word: str) -> str:
    lower = word.lower()
    stress: int | None = None
    letters: list[str] = []
    vowels = 0
    for char in lower:
        if char == _STRESS:
            if vowels:
                stress = vowels - 1
            continue
        if char in _SILENT:
            continue
        if char in _VOWELS:
            vowels += 1
        letters.append(char)
    if stress is None:
        stress = guess_stress("".join(letters))
    out: list[str] = []
    vowel_index = 0
    i = 0
    while i < len(letters):
        char = letters[i]
        nxt = letters[i + 1] if i + 1 < len(letters) else ""
        if char in _VOWEL_PHONEMES:
            glide, plain, stressed = _VOWEL_PHONEMES[char]
            if glide and out and out[-1] in _HUSHING:
                glide = ""
            out.append(glide + ("ˈ" + stressed if vowel_index == stress else plain))
            vowel_index += 1
            i += 1
            continue
        if char == "д" and nxt in ("ж", "з"):
            out.append("dʒ" if nxt == "ж" else "dz")
            i += 2
            continue
        phoneme = _CONSONANT_PHONEMES.get(char)
        if phoneme is None:  # not a letter we know: leave it out rather than guess
            i += 1
            continue
        out.append(phoneme)
        if i == 0 and char in "лмнр" and nxt and nxt not in _VOWELS and nxt != "й":
            out.append("ə")
        i += 1
    return "".join(out)


def guess_stress(word: str) -> int:
    """Index of the stressed vowel of an unaccented lower-case Cyrillic word."""
    positions = [index for index, char in enumerate(word) if char in _VOWELS]
    count = len(positions)
    if count <= 1:
        return 0
    for pattern, where in _STRESS_RULES:
        match = pattern.search(word)
        if match is None:
            continue
        if where == "last":
            return count - 1
        if where == "first":
            inside = [n for n, pos in enumerate(positions) if pos >= match.start()]
            if inside:
                return inside[0]
            continue
        if where == "before":
            before = [n for n, pos in enumerate(positions) if pos < match.start()]
            if before:
                return before[-1]
            continue
        assert isinstance(where, int)
        if count >= -where:
            return count + where
    return count - 2


# --- romanised → Cyrillic -------------------------------------------------------------------

_DIACRITICS = str.maketrans(
    {
        "ï": "ї",
        "ĭ": "й",
        "ž": "ж",
        "š": "ш",
        "č": "ч",
        "ě": "є",
        "ʹ": "ь",
        "’": "'",
        "ʼ": "'",
    }
)
_MULTI: tuple[tuple[str, str], ...] = (
    ("shch", "щ"),
    ("zgh", "зг"),
    ("kh", "х"),
    ("zh", "ж"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
)
_SINGLE = {
    "a": "а",
    "b": "б",
    "v": "в",
    "h": "г",
    "g": "ґ",
    "d": "д",
    "e": "е",
    "z": "з",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "f": "ф",
    "w": "в",
    "q": "к",
    "c": "ц",
    "j": "й",
    "x": "кс",
    "'": "'",
}
_SOFT = {"a": "я", "u": "ю", "e": "є", "o": "ьо"}
_LATIN_VOWELS = "aeiouy"
_SKYI = re.compile(r"(?<=[stz])k(y|iy|ii|yy|yi|ij|yj|i)$")


@lru_cache(maxsize=8192)
def to_cyrillic(word: str) -> str:
    """A best reading of a romanised Ukrainian word back into (lower-case) Cyrillic letters."""
    text = word.lower().translate(_DIACRITICS)
    # Russian-style and BGN endings of -ський: Zelensky, Zelenskiy, Zelenskyy.
    text = _SKYI.sub("kyi", text)
    out: list[str] = []
    i = 0
    n = len(text)

    def prev_is_vowel() -> bool:
        return bool(out) and out[-1][-1] in _VOWELS

    while i < n:
        for latin, cyr in _MULTI:
            if text.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            char = text[i]
            nxt = text[i + 1] if i + 1 < n else ""
            if char == "y":
                out.append(_read_y(text, i, prev_is_vowel()))
                i += 1 if out[-1] in ("й", "и") else 2
                continue
            if char == "i":
                if nxt in ("a", "u", "e") and i > 0:  # 2010: ia iu ie are я ю є inside a word
                    out.append(_SOFT[nxt])
                    i += 2
                    continue
                out.append(_read_i_after_vowel(text[i + 1 :]) if prev_is_vowel() else "і")
                i += 1
                continue
            out.append(_SINGLE.get(char, ""))
            i += 1
    return "".join(out)


def _read_y(text: str, i: int, after_vowel: bool) -> str:
    """The Cyrillic for a "y" at `i` (with the letter after it when they form one)."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    after = text[i + 2] if i + 2 < len(text) else ""
    if nxt in ("a", "u", "e"):  # ya yu ye: я ю є anywhere (2010 at the start, BGN everywhere)
        return _SOFT[nxt]
    if nxt == "o":  # BGN yo, Russian-style Potyomkin
        return "йо"
    if nxt == "i":
        if i == 0 or after_vowel:
            return "ї"
        # after a consonant: -yi is ий; Kyiv is Ки-їв
        return "ий" if after == "" or after in _LATIN_VOWELS else "иї"
    if nxt == "y":  # BGN and Russian-style -yy
        return "ий"
    return "й" if i == 0 or after_vowel else "и"


def _read_i_after_vowel(rest: str) -> str:
    """ї or й for an "i" after a vowel: Mykolaiv, Avdiivka, Ukraina have ї; Mykhailo, Serhii й."""
    if not rest:
        return "й"
    if re.match(r"v($|k|s|ts|ch|shch)|n[aeiouy]|[aeiouy]", rest):
        return "ї"
    return "й"


# --- detection ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """The words around a candidate name, as written (punctuation stripped)."""

    before: tuple[str, ...] = ()
    """Up to three preceding words, nearest last."""
    after: tuple[str, ...] = ()
    """Up to two following words, nearest first."""
    near_ukrainian: bool = False
    """A neighbouring word was already decided as a Ukrainian name (lexicon or rule)."""
    after_given_name: bool = False
    """The word right before is a Ukrainian given name from the lexicon (Oleh, Yuliia...)."""


# Spelling evidence, as (pattern, weight): a word's score is the sum over the patterns it matches.
# Positive patterns are romanisation habits English spelling does not have; negative ones are
# habits of English or of other languages' romanisations (Polish, Chinese, Japanese, Georgian...).
_EVIDENCE: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(pattern), weight)
    for pattern, weight in (
        # endings that are Ukrainian morphology
        (
            r"(enko|chuk|shchuk|[^aeiou]iuk|yuk|[^aeiou]uk|ivka|iivka|ivsk|ivske|opil|ohrad|horod"
            r"|ivtsi|ychi|ovych|evych|ivna|[^aeiou]skyi|[^aeiou]skyy|[^aeiou]skyj|[bcdfhklmnprstvz]yi"
            r"|[bcdfhklmnprstvz]ii|iia|iie|iiv|[^aeiou]yk|ynka|[bcdfhklmnprstvz]iy|[^aeiou]yy"
            r"|(?<!av)[bcdfhklmnprstvz]iv)$",
            3.0,
        ),
        (
            r"(tsia|nnia|llia|ttia|zhia|shia|chia|dnia|hnia|znia|[^s]ske|chne|zhne|shne|vne"
            r"|(?<!ia)dne|tne)$",
            2.0,
        ),
        # Endings of places and surnames that English words do not have after such a stem; most
        # ask for a vowel further back so that short English words (Remove, Milne, Syn) stay out.
        (r"horod|[aeiouym]pil$|pillia$|opol$|ukrain[ks]", 3.0),  # Bilohorodka, Yampil, Ovidiopol
        (r"[aeiouy][^aeiouy]*([bcdfhkmnprstvz]|[^aeiouy]l)yne$", 3.0),  # Kotlyne; not Evelyne
        (r"[aeiouy][^aeiouy]*[aeiouy](z|zh|ch|sh|v|t|(?<!ia)d)n[ae]$", 3.0),  # Zalizne, Dvorichna
        (r"[aeiouy][^aeiouy]*[iy]sn[ae]$", 3.0),  # Pidlisne; not Dufresne
        (r"(ir|al)n[ae]$", 3.0),  # Spirne, Talne, Nadvirna
        (r"[aeiouy][^aeiouy]*([eiy]l|yr)n[ae]$", 2.0),  # Krokhmalne; not Milne, Laverne
        (r"(?<=[bdhklmnprtvz])ske$|(y|iv|ov|ev)[lnrtdz]?ska$", 3.0),  # Torske, Dolynska
        (
            r"[aeiouy][^aeiouy]*[aeiouy](r|l|v|d|n|p|zh|ch|t)sk$|[aeouy]vsk$|[^aeiouy]ysk$"
            r"|[aeiouy][^aeiouy]+iisk$",
            3.0,
        ),  # Podilsk, Snovsk, Volochysk, Tavriisk; not Minsk, Gdansk
        (r"(?<=[aeiouy])(ch|sh|zh)k[aiyo]$", 3.0),  # Tokmachka, Stupochky, Lemeshko
        (
            r"^(?!remove$|behove$)(?=.{6})[a-z]*[aeiouy]"
            r"([bdhklmnprstvz]|kh|zh|ch|sh|ts|[lnrvb]k)[oe]ve$|[aeiouy]ieve$",
            3.0,
        ),  # Shestakove, Lobkove, Storozheve, Shyriaieve; not Remove
        (
            r"[aeiouy][^aeiouy]*(?<!ar)(?<!er)(t|sh|zh|ch|d|s|v|k|m|p|z)yn$|y[^aeiouy]yn$",
            3.0,
        ),  # Khotyn, Morshyn, Chyhyryn; not Martyn, Mervyn, Kaitlyn
        (r"(n|r|l|i|y)tsi$", 3.0),  # Lukiantsi, Illintsi
        (r"(yn|iv|av|ov|zh|ch|sh|[^aeiouy]v|[aeiouy]i)ets$", 3.0),  # Truskavets, Shvets, Zaiets
        (r"^(?!omelets$)[a-z]*[aeiouy][^aeiouy]{1,2}i?(an|en|el)ets$", 3.0),  # Kozelets, Kamianets
        (r"(l|sh|zh|ch|r|t|v|m)iak$", 3.0),  # Hutsuliak, Podoliak; not Kodiak
        (r"[bcdfhklmnprstvz]ych$", 3.0),  # Babych
        (r"[aeiouy]zh$", 3.0),  # Zbarazh, Liutizh
        (r"[aeiouy][^aeiouy]*(ch|sh|zh|kh|[dhkvz]|[vhdtk]r)[au]ch$|[^aeiouy]iach$", 3.0),  # Ovruch
        (r"[aeiouy](p|d|m|t|v|b|z|sh|zh|ch)ky$|[uy]ky$", 3.0),  # Ripky, Rudky, Bezruky
        (r"[aeiouy][^aeiouy]*[aeiouy][nlr]ky$", 3.0),  # Rovenky; not Funky, Pinky
        (r"[bmpv]lia$|(zh|sh|ch)nia$", 3.0),  # Terebovlia, Konoplia, Derazhnia
        (r"[^aeiouy][aeou]iv$", 3.0),  # Pochaiv
        (r"[aeiouy][^aeiouy]*[aeiouy](m|sh|v|zh)l$", 2.0),  # Liuboml, Radomyshl
        (r"(zh|ch|sh)ova$", 1.0),  # Mezhova
        (r"[aoy]kh$", 2.0),  # Stelmakh, Artiukh; not Sheikh, Deshmukh
        (r"slava?$", 2.0),  # Boryslav, Iziaslav
        (r"(?<=[dhklmnprstvz])ian(ka|sk|ske)$", 2.0),  # Serebrianka, Armiansk; not Bianka
        (r"(zh|ch|sh|ts|[lnr]i)any$", 1.5),  # Berezhany, Sokyriany
        (r"(ov|yv|av|ev)ka$", 1.5),  # Novovorontsovka
        (r"enk[aoe]$", 1.5),  # Horodenka, Tonenke
        (r"(?<=[tdhvzkmp])anka$", 1.5),  # Bashtanka; not Lanka, Bianka
        (r"[^aeiouy]yt$", 1.0),  # Antratsyt
        # onsets and prefixes, never enough alone (Dvorak, Novotel) but for Tk-, which no English
        # word has
        (r"^tka", 3.0),  # Tkach, Tkachenko; not Tkinter
        (r"^(dn|zb|sh[ptvmk])", 1.5),  # Dnipro, Zbarazh, Shpola
        (
            r"^(dv|pid|nad|pry|bez|roz|novo|staro|velyko|malo|verkhn|nyzhn|chervono|krasno"
            r"|pervo|bilo|chorno|zoloto|zeleno|vysoko|dnipro)[bcdfhklmnprstvz]",
            1.0,
        ),
        # letter groups of the national romanisation
        (r"shch|zhzh|zgh|[^aeiou]yie|iie|iiu|iia", 3.0),
        (r"^h[bdklmnrv]|[aeiouy]h[bdkpstvz]", 2.0),  # г: Hlukhiv, Hnatov, Bohdan
        (r"[bcdfklmnprstvz]iu(?!m$|s$)", 1.5),  # ю: Izium, Koriukivka
        (r"[bdhklmnprstvz]ia[bdhknprstvz]", 1.5),  # я: Kupiansk, Borodianka
        (r"(?<=[aeou])ia(?=[bdhklmnprstvz])", 1.5),  # я after a vowel: Bohoiavlenka
        (r"[bcdfhklmnprstvz]y[bcdfhklmnprstvz]", 1.0),  # и: Mykola, Zhytomyr
        (r"[aeiouy]v(t|k|ch|zh|sh|h|d|b|p|z|n|m)", 1.0),  # в before a consonant: Kovtun
        (r"(?<!^)kv[aeiouy]", 1.0),  # Zhovkva
        (r"(?<=[aeiouyn])ts(?=[aeiouy])", 1.0),  # ц before a vowel: Novovorontsovka
        (r"[aeiouy]dch[aeiouy]", 1.5),  # дч: Dudchany, Radchenko
        (r"[aeiouy]sht[aeiouy]", 1.5),  # шт: Bashtanka, Alushta
        (r"[bcdfhklmnprstvyz]ko$", 1.5),  # Boyko, Liashko, Franko
        (r"[aeiouy][^aeiouy]*[aeiouy](d|b|t|m|sh|ch|zh|v|h|i|y)ko$", 1.5),  # Yaremko; not Pavelko
        (r"[a-z]zh[aeiouy]", 2.0),  # non-initial ж: Vorozhba, Urozhaine
        (r"^zh|kh|^ts", 1.0),
        (r"[aeiouy]i[bcdfhklmnpstvz]", 1.0),  # й: Mykhailo, Oliinyk
        # habits of English and of other languages
        (
            r"w|q|x|c(?!h)|j|ph|th|ck|(?<!z)gh|ee|oo|ou(?!kr)|ea|au|ae|eu|(?<!^nov)(?<!^star)oa"
            r"|ao|ui|ei|ey|ay$|oy$|wh",
            -4.0,
        ),  # Novoukrainka and Novoazovsk join two vowels at a compound's seam
        (r"(ss|ff|rr|mm|pp|bb|dd|cc|gg|zz)|ll$|ial$|ium$|ius$|ians?$|ese$|ish$|ism$|ist$", -4.0),
        (r"ng$|stan$|son$|ton$|land$|burg|berg|ville|ing$|tion|sion|ail$", -4.0),
        (r"ford$|ley$|field$|wood$|lyn$|^[^aeiouy]*[aeiouy]+[^aeiouy]e$", -2.0),  # Kaitlyn; Payne
        (
            r"(?<!ts|nn|ll|tt|dn|hn|zh|sh|ch|zn|vn|kn|st|vl|ml|bl|pl)(?<![aeiouy][^aeiouy]i)ia$",
            -4.0,
        ),  # Georgia, Syria, Miia; not Kiliia, Terebovlia
        (r"cz|sz|rz|ski$|cki$|wska$|(?<!y)(?<!y[lnrtdz])(?<!iv)(?<!ov)(?<!ev)ska$", -4.0),  # Polish
        (r"ang$|eng$|ong$|zhen$|^zh(a|o|e)n|^(xi|zh|ch|sh)[aeiou]+[ng]*$", -4.0),  # Chinese
        (r"tsu(?=[bmnst]|$)|shi[bdkm]|shi$|ki$|moto$|mura$|ama$|ida$", -4.0),  # Japanese
        (r"akis$|poulos$|ipas$|^tsip|^tsai|^tsar", -4.0),  # Greek, Chinese, Russian
        (r"idze$|adze$|shvili$|ani$|yan$|ian$|ikh$|khid|khtar$|^kazakh", -4.0),  # Georgian...
        (r"^kh[ao]", -1.0),  # Khan, Khalid, Khamenei; Kharchenko and Khotyn have more evidence
    )
)
_BEFORE = {
    "governor": 1.5,
    "mayor": 1.5,
    "village": 1.5,
    "settlement": 1.5,
    "town": 1.0,
    "raion": 1.5,
    "hromada": 1.5,
    "oblast": 1.0,
    "in": 1.0,
    "near": 1.0,
    "outside": 1.0,
    "commander": 1.0,
    "minister": 1.0,
    "lawmaker": 1.0,
    "mp": 1.0,
    "spokesperson": 1.0,
    "spokesman": 1.0,
    "spokeswoman": 1.0,
}
_AFTER = {
    "oblast": 2.0,
    "raion": 2.0,
    "hromada": 2.0,
    "district": 1.0,
    "village": 1.0,
    "river": 1.0,
}
_NEAR_NAME = 1.5
_OWN_EVIDENCE = 1.5
"""Context only counts for a word with at least this much spelling evidence of its own."""
_THRESHOLD = 3.0


def looks_ukrainian(word: str, context: Context | None = None) -> bool:
    """Whether a capitalised word not found in any lexicon should get the Ukrainian rules.

    Conservative: ordinary English words and names from elsewhere must stay with espeak, so a word
    needs Ukrainian spelling evidence of its own before context can tip it over.
    """
    return ukrainian_score(word, context) >= _THRESHOLD


def ukrainian_score(word: str, context: Context | None = None) -> float:
    """Spelling evidence plus context evidence that `word` is a romanised Ukrainian name."""
    if not word or not word[0].isupper() or not word.isalpha() and "'" not in word:
        return 0.0
    if len(word) < 3 or (word.isupper() and len(word) <= 4):  # acronyms
        return 0.0
    lower = word.lower().replace("’", "'").replace("'", "")
    if not lower.isascii() or not lower.isalpha():
        return 0.0
    score = sum(weight for pattern, weight in _EVIDENCE if pattern.search(lower))
    if context is not None and context.after_given_name and score >= 0:
        # "Oleh Koval": a surname after a Ukrainian given name, unless it is spelt un-Ukrainian
        return max(score + _THRESHOLD, _THRESHOLD)
    if score < _OWN_EVIDENCE:
        return max(score, 0.0)
    if context is not None:
        bonus = 0.0
        if context.before:
            bonus = max(bonus, _BEFORE.get(context.before[-1].lower(), 0.0))
            if [w.lower() for w in context.before[-2:]] in (
                ["village", "of"],
                ["town", "of"],
                ["city", "of"],
            ):
                bonus = max(bonus, 1.5)
        if context.after:
            bonus = max(bonus, _AFTER.get(context.after[0].lower(), 0.0))
        if context.near_ukrainian:
            bonus = max(bonus, _NEAR_NAME)
        score += bonus
    return score
