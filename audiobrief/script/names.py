"""A capitalised word and the words around it → whether it looks like a romanised Ukrainian name.

Spelling evidence for and against, plus name contexts. A decision changes the phonemes written
into the spoken text, which is what keys the sentence cache and the article id: no version to bump.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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


def spelled_out(espeak_phonemes: str) -> bool:
    """Whether espeak says a word letter by letter, at least in part: two primary stresses in one
    word, which it gives no word it can read ("Shpola": ˌɛsˈeɪtʃpˈoʊlə, "es aitch pola")."""
    return espeak_phonemes.count("ˈ") >= 2


def own_evidence(word: str) -> bool:
    """Whether a word's spelling alone is some evidence of a Ukrainian name, if not enough."""
    return ukrainian_score(word) >= _OWN_EVIDENCE


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
