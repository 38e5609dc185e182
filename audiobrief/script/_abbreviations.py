"""Abbreviations with a dot → the words they stand for, and what may follow each: one table for
the normaliser, which expands them, and the sentence splitter, which must not end a sentence at
their dot."""

from __future__ import annotations

from typing import Literal

from audiobrief.script._quantities import MONTHS

Kind = Literal["title", "joins", "number", "weekday", "word"]
"""Where an abbreviation is read and whether its dot may end a sentence:

- title: before a capitalised name ("Gen. Zaluzhnyi"); never ends a sentence.
- joins: anywhere, between two parts of a sentence ("Ukraine vs. Russia"); never ends one.
- number: before a number ("Vol. 3", "Feb. 3"); a number after it continues the sentence.
- weekday: before a date ("Mon. Feb. 3"); a month or a number after it continues the sentence.
- word: anywhere ("Inc.", "Calif."); it may end a sentence, which a small letter or a number
  after it continues.
"""

ABBREVIATIONS: dict[str, tuple[str, Kind]] = {
    # titles
    "Gov.": ("Governor", "title"), "Lt.": ("Lieutenant", "title"), "Gen.": ("General", "title"),
    "Maj.": ("Major", "title"), "Brig.": ("Brigadier", "title"), "Col.": ("Colonel", "title"),
    "Capt.": ("Captain", "title"), "Cmdr.": ("Commander", "title"),
    "Sgt.": ("Sergeant", "title"), "Cpl.": ("Corporal", "title"), "Pvt.": ("Private", "title"),
    "Adm.": ("Admiral", "title"), "Dr.": ("Doctor", "title"), "Mr.": ("Mister", "title"),
    "Mrs.": ("Missus", "title"), "Ms.": ("Miz", "title"), "Prof.": ("Professor", "title"),
    "Sen.": ("Senator", "title"), "Rep.": ("Representative", "title"),
    "Pres.": ("President", "title"), "Rev.": ("Reverend", "title"), "Mt.": ("Mount", "title"),
    "Ft.": ("Fort", "title"), "Gens.": ("Generals", "title"), "Sens.": ("Senators", "title"),
    "Reps.": ("Representatives", "title"), "Supt.": ("Superintendent", "title"),
    "Insp.": ("Inspector", "title"), "Hon.": ("Honorable", "title"),
    # joining two parts of a sentence
    "vs.": ("versus", "joins"), "v.": ("versus", "joins"), "e.g.": ("for example", "joins"),
    "i.e.": ("that is", "joins"), "approx.": ("approximately", "joins"),
    "est.": ("estimated", "joins"), "incl.": ("including", "joins"), "ca.": ("circa", "joins"),
    # before a number
    "No.": ("number", "number"), "Nos.": ("numbers", "number"), "Vol.": ("volume", "number"),
    "vol.": ("volume", "number"), "p.": ("page", "number"), "pp.": ("pages", "number"),
    "Fig.": ("figure", "number"), "fig.": ("figure", "number"), "Art.": ("article", "number"),
    "Ch.": ("chapter", "number"), "ch.": ("chapter", "number"), "sec.": ("section", "number"),
    "para.": ("paragraph", "number"),
    **{f"{short}.": (month, "number") for short, month in MONTHS.items() if short != month},
    # before a date
    "Mon.": ("Monday", "weekday"), "Tue.": ("Tuesday", "weekday"),
    "Tues.": ("Tuesday", "weekday"), "Wed.": ("Wednesday", "weekday"),
    "Thu.": ("Thursday", "weekday"), "Thur.": ("Thursday", "weekday"),
    "Thurs.": ("Thursday", "weekday"), "Fri.": ("Friday", "weekday"),
    "Sat.": ("Saturday", "weekday"), "Sun.": ("Sunday", "weekday"),
    # anywhere
    "etc.": ("et cetera", "word"), "Inc.": ("Incorporated", "word"), "Ltd.": ("Limited", "word"),
    "Corp.": ("Corporation", "word"), "Dept.": ("Department", "word"),
    "Co.": ("Company", "word"), "Bros.": ("Brothers", "word"), "pts.": ("points", "word"),
    "yrs.": ("years", "word"), "mos.": ("months", "word"), "Univ.": ("University", "word"),
    "Assn.": ("Association", "word"), "Govt.": ("Government", "word"),
    # US states, as AP style writes them after a city
    "Ala.": ("Alabama", "word"), "Ariz.": ("Arizona", "word"), "Ark.": ("Arkansas", "word"),
    "Calif.": ("California", "word"), "Colo.": ("Colorado", "word"),
    "Conn.": ("Connecticut", "word"), "Del.": ("Delaware", "word"), "Fla.": ("Florida", "word"),
    "Ga.": ("Georgia", "word"), "Kan.": ("Kansas", "word"), "Ky.": ("Kentucky", "word"),
    "Md.": ("Maryland", "word"), "Mass.": ("Massachusetts", "word"),
    "Mich.": ("Michigan", "word"), "Minn.": ("Minnesota", "word"), "Mont.": ("Montana", "word"),
    "Neb.": ("Nebraska", "word"), "Nev.": ("Nevada", "word"), "Okla.": ("Oklahoma", "word"),
    "Ore.": ("Oregon", "word"), "Tenn.": ("Tennessee", "word"), "Tex.": ("Texas", "word"),
    "Vt.": ("Vermont", "word"), "Va.": ("Virginia", "word"), "Wis.": ("Wisconsin", "word"),
    "Wyo.": ("Wyoming", "word"), "N.Y.": ("New York", "word"), "N.J.": ("New Jersey", "word"),
    "N.H.": ("New Hampshire", "word"), "N.M.": ("New Mexico", "word"),
    "N.C.": ("North Carolina", "word"), "N.D.": ("North Dakota", "word"),
    "S.C.": ("South Carolina", "word"), "S.D.": ("South Dakota", "word"),
    "R.I.": ("Rhode Island", "word"), "W.Va.": ("West Virginia", "word"),
}  # fmt: skip


def of_kind(*kinds: Kind) -> dict[str, str]:
    """The abbreviations of `kinds` and the words they stand for."""
    return {short: words for short, (words, kind) in ABBREVIATIONS.items() if kind in kinds}
