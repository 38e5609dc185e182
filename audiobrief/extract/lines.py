"""Lines a listener must not hear, recognised by their shape rather than by the site they are on.

Publishers put promotion, credits and contact footers inside the article body in the same few
forms: an imperative to follow, subscribe, listen or download naming a channel, a "Read more:"
teaser, "Reporting by … Editing by …", a copyright notice, a line of links or addresses.
"""

from __future__ import annotations

import re

# Whole lines that are page furniture wherever they stand.
_FURNITURE = re.compile(
    r"^(skip to (main )?content|edit post|this audio is created with ai assistance"
    r"|enter your email.*|please,? enter (a )?(correct|valid) email.*|subscribe( now)?"
    r"|\* indicates required|successfully subscribed|successfuly subscribed"
    r"|sign up for .*newsletter.*|thank you for (signing up|subscribing).*"
    r"|(sign-?up|subscription|registration) (successful|complete|confirmed)"
    r"|read more|more news|share( this)?"
    r"|(photo|image|illustration|graphic|video|credit)s?( credit)?:.*|credit|advertisement"
    r"|listen to this article|support (our|independent) journalism.*|become a member.*"
    r"|related( (articles?|stories|content|coverage|posts?))?|(also )?see also|recommended"
    r"|comments?|leave a (comment|reply)|post a comment|print|e-?mail|tweet|pin it"
    r"|sources?: [\w .,&/-]{0,40}|(with )?(news )?agencies|(\w+ )?(staff|wire) reports?)$",
    re.IGNORECASE,
)
# A teaser for another article: its label, then that article's headline.
_TEASER = re.compile(
    r"^(\[(video|watch|listen|gallery|photos?|podcast)\]|(video|watch|gallery|podcast)\s*[:|–-]"
    r"|(read|see|watch|listen) (more|also|next|now)\s*[:|–-]|(also )?read\s*:|related\s*:"
    r"|recommended\s*:|more\s*:|more on this( story)?\s*:|(you )?(might|may) also like\s*:?"
    r"|.{0,200}\[(video|watch|photos?|gallery)\]$"
    # A search result's or dictionary's entry for another page: "Term — its opening … Source".
    r"|[^—]{1,80} — .{0,1000}…\s*[A-Z][\w.-]*( [\w.-]+){0,3}$)",
    re.IGNORECASE,
)
# An appeal for donations ("We need your help … Donate").
_APPEAL = re.compile(r"^(we need your (help|support)|help us (to )?(continue|keep)"
                     r"|please (support|donate|consider (supporting|donating)))\b", re.IGNORECASE)
# Imperatives to follow, subscribe, listen or download…
_CALL = re.compile(
    r"^(please |and |so |now |then )?(follow|like us|join us|subscribe|sign ?up|register"
    r"|download|install|listen|tune in|stream|click|tap|never miss|don'?t miss|keep up"
    r"|stay (up to date|informed|connected|in touch)|for (the )?latest|for breaking"
    r"|for more (news|stories|updates|coverage|videos?|podcasts?)"
    r"|to (receive|subscribe|sign up))\b",
    re.IGNORECASE,
)
# … when they name a channel to do it on;
_CHANNEL = re.compile(
    r"\b(facebook|twitter|x\.com|instagram|youtube|tiktok|linkedin|telegram|whatsapp|snapchat"
    r"|threads|bluesky|mastodon|reddit|pinterest|newsletters?|podcasts?|apps?|channel|feeds?"
    r"|rss|e-?mails?|inbox|alerts?|notifications?|edition|daily|weekly|briefing|digest|spotify"
    r"|apple|google|android|ios|itunes|soundcloud|live|subscriber|subscription|membership"
    r"|updates|here|below|link)\b",
    re.IGNORECASE,
)
# gentler verbs only with a channel that is nothing but one.
# Calls to subscribe need no channel: the body is never what one subscribes to.
_SIGN_UP = re.compile(r"^(please )?(subscribe|sign ?up)\b", re.IGNORECASE)
# A box's title ("PC Gamer Newsletter", "Related Stories").
_BOX_TITLE = re.compile(r"\b(newsletters?|related (stories|articles|posts|content)"
                        r"|more (stories|articles) from|(most )?(popular|read) (stories|now))$",
                        re.IGNORECASE)
_SOFT_CALL = re.compile(
    r"^(please )?(get|read|watch|find|send|share|submit|contact|email|e-mail|write to|tell us"
    r"|support|donate|become|check out|want more|like this|enjoy(ed)? this|interested in)\b",
    re.IGNORECASE,
)
_SOFT_CHANNEL = re.compile(
    r"\b(facebook|twitter|instagram|youtube|tiktok|linkedin|telegram|whatsapp|newsletters?"
    r"|podcasts?|apps?|inbox|alerts|subscription|membership|this form|letters? to the editor"
    r"|daily edition|by e-?mail|@)",
    re.IGNORECASE,
)
_CREDITS = re.compile(
    r"^\(?((additional |further )?reporting|writing|editing|compiled|edited|written|produced"
    r"|translated|graphics?|illustrations?|photography|photos?|video) by\b"
    r"|^((featured|top|lead|header|main|cover|hero) )?(image|photo|picture|illustration)s? "
    r"(by|courtesy( of)?)\b|^our standards\s*:"
    r"|^\(?(this|the) (story|article|report) (was|has been) "
    r"(updated|corrected|produced|written|originally)\b|^this (story|article|post) "
    r"(originally )?(appeared|was originally published)\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(©|\(c\)|copyright\s*(©|\(c\)|\d{4}))|\ball rights reserved\b|\bcopyrighted property of\b"
    r"|\bmay not be (re)?published, broadcast\b|\bwritten permission must be obtained\b"
    r"|\bwithout (prior )?(written )?permission\b.*\b(prohibited|theft|forbidden)\b"
    r"|\b(we|i) may (earn|receive) (a )?(small )?(commission|compensation)\b"
    r"|\badvertiser disclosure\b|\baffiliate (links?|commission)\b",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(r"^(posted|published|updated|last updated|first published|last modified"
                         r"|date|released?)( date)?( on| at)?\b\s*:?", re.IGNORECASE)
_DATE_TOKEN = re.compile(
    r"^(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?|mon(day)?|tue(s(day)?)?|wed(nesday)?|thu(rs(day)?)?"
    r"|fri(day)?|sat(urday)?|sun(day)?|am|pm|a\.m|p\.m|at|on|(?-i:[A-Z]{2,4})|\d{1,4}(st|nd|rd|th)?"
    r"|\d{1,2}[:.]\d\d|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|[|•·,–—-])[.,]?$", re.IGNORECASE)
# Starting only where a run of address characters starts, so a long run costs its length once.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(\.[\w-]+)+")
_HANDLE = re.compile(r"(^|\s)@\w{2,}")
_URL = re.compile(r"\b(https?://\S+|www\.\S+|pic\.twitter\.com/\S+|t\.co/\S+)")
_DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)*\.(com|org|net|co|news|tv|info|io|uk|us|ca|au|ie)$",
                     re.IGNORECASE)
# A tweet embed's attribution: "— Name (@handle) January 6, 2020".
_TWEET_BYLINE = re.compile(r"^[—–-]\s*.{1,80}\(@\w+\)\s+\w+ \d{1,2}, \d{4}$")
_PARENTHESIS = re.compile(r"\s*\(([^()]{1,300})\)")
_CREDIT_LABEL = re.compile(r"^(graphic|photo|image|video|credit|interactive|map|chart)s?\s*:",
                           re.IGNORECASE)
_AGENCY = re.compile(r"(/|\bvia )[^/]*\b(getty|afp|reuters|ap|epa|anadolu|images|photo"
                     r"|press service)\b", re.IGNORECASE)
# A photo caption points at who is where in the picture.
_CAPTION = re.compile(r"\((left|right|centre|center|second (from )?(left|right)|l-r|r-l"
                      r"|from left|inset)\)",
                      re.IGNORECASE)
_LATIN_CYRILLIC = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[\u0400-\u04ff])\w+\b")


def is_boilerplate(text: str) -> bool:
    """A line that is never part of an article, wherever it stands in the body."""
    line = text.strip(" .!…")
    if _FURNITURE.match(line) or _TEASER.match(line):
        return True
    if len(line.split()) <= 30 and _CREDITS.match(line):
        return True
    if _COPYRIGHT.search(line) or _TWEET_BYLINE.match(line) or _DOMAIN.match(line):
        return True
    words = line.split()
    if len(words) <= 5 and _BOX_TITLE.search(line):
        return True
    if len(words) <= 40 and _APPEAL.match(line):
        return True
    if len(words) <= 30 and (_SIGN_UP.match(line) or _CALL.match(line) and _CHANNEL.search(line)
                             or _SOFT_CALL.match(line) and _SOFT_CHANNEL.search(line)):
        return True
    if _links_only(line) or _is_date_line(line):
        return True
    if len(words) <= 60 and _CAPTION.search(line):
        return True
    # Latin words spelled with Cyrillic look-alikes hide a promotion from filters.
    return len(_LATIN_CYRILLIC.findall(line)) >= 3


def is_footer(text: str) -> bool:
    """A line that is a contact or sign-off when it ends the body: an address or handle in a short
    line, a label without a sentence."""
    words = text.split()
    if len(words) <= 25 and (_EMAIL.search(text) or _HANDLE.search(text)):
        return True
    return len(words) <= 4 and text.rstrip().endswith(":")


def is_teaser(text: str) -> bool:
    """A headline of another article as a page lists them after the body: a line of words without
    the punctuation that ends a sentence."""
    stripped = text.rstrip()
    return 8 <= len(stripped.split()) <= 30 and stripped[-1].isalnum()


def without_credits(text: str) -> str:
    """`text` without photo and graphic credits in parentheses or the short links of a tweet
    embed; empty if it was nothing else."""
    def credit(match: re.Match[str]) -> str:
        inner = match.group(1)
        at_end = match.end() == len(text.rstrip())
        return "" if _CREDIT_LABEL.match(inner) or at_end and _AGENCY.search(inner) else match[0]

    kept = _PARENTHESIS.sub(credit, text)
    return re.sub(r"\s*(\bpic\.twitter\.com/|\bhttps?://t\.co/)\S+", "", kept).strip()


def _is_date_line(line: str) -> bool:
    """"Posted on", "Posted: Thursday, April 21, 2022. 10:11 pm CST": a date and its label."""
    rest = _DATE_LABEL.sub("", line, count=1)
    tokens = rest.split()
    if rest == line and len(tokens) < 2:
        return False
    return len(tokens) <= 12 and all(_DATE_TOKEN.match(token) for token in tokens) and (
        rest != line or any(c.isdigit() for c in line))


def _links_only(line: str) -> bool:
    """Addresses and the separators between them, and nothing else to read."""
    rest = _EMAIL.sub(" ", _URL.sub(" ", line))
    return rest != line and not re.search(r"\w{2,}", re.sub(r"\b(and|or|at|on)\b", "", rest))
