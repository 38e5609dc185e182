"""A source (URL, file path, `-` for stdin, or raw HTML/text) → a decoded Page, within limits."""

from __future__ import annotations

import codecs
import html
import re
import sys
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin

from audiobrief.errors import RefusedAddressError, RequestError, SourceError, SourceTooLargeError
from audiobrief.fetch import MAX_URL_CHARS, Limits, _mb, _shown, check_url, web_url
from audiobrief.fetch import fetch as _fetch
from audiobrief.model import Page, PageKind

__all__ = ["MAX_URL_CHARS", "TEXT_ENCODINGS", "Limits", "check_url", "fetch", "from_content",
           "is_ssml", "load", "page_image", "web_url"]

_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|article|p|div)[\s>]", re.I)
# A document whose root element is <speak>, after an XML declaration and comments if any.
_SSML_SNIFF = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]{0,200}\?>\s*)?"
                         rb"(?:<!--(?:(?!-->).){0,2000}-->\s*)*<speak[\s>/]", re.S)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
# A page's picture, as link previews and podcast apps take it: Open Graph first, then Twitter's
# card, then the older <link rel="image_src">. Tags of bounded length, so a search is linear.
_IMAGE_NAMES = ("og:image:secure_url", "og:image:url", "og:image", "twitter:image",
                "twitter:image:src", "image_src")
_IMAGE_TAG = re.compile(r"<(?:meta|link)\s[^<>]{0,2000}>", re.I)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")

# Codecs a page may be decoded with, by Python's canonical name: the WHATWG encodings Python
# has. Anything else a page can name (punycode, rot13, zlib_codec, utf-7) is not a text
# encoding of the web, can raise what UnicodeDecodeError does not cover, or is quadratic.
TEXT_ENCODINGS = frozenset({
    "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "ascii", "iso8859-1",
    "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8",
    "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16", "cp1250", "cp1251",
    "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp866", "cp874",
    "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "gbk", "gb2312", "gb18030", "big5",
    "big5hkscs", "euc_jp", "iso2022_jp", "shift_jis", "cp932", "euc_kr", "cp949", "tis-620",
})


def load(source: str | Path, limits: Limits | None = None) -> Page:
    """Load a URL, a file, or stdin (`-`) into a Page; raise SourceError saying why not."""
    limits = limits or Limits()
    text = str(source)
    if isinstance(source, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        return fetch(text, limits)
    if limits.refuse_private:
        # A service reads only the web: a "url" of /etc/passwd or - is the host's own file.
        raise RefusedAddressError(
            f"refused {_shown(text)}: only http and https URLs can be fetched")
    if text == "-":
        return _page_from_bytes(_read_limited(sys.stdin.buffer, "stdin", limits), "stdin", None)
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"no such file: {path}")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise SourceTooLargeError(_too_large(str(path), size, limits))
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SourceError(f"could not read {path}: {error.strerror}") from None
    suffix = path.suffix.lower()
    return _page_from_bytes(raw, str(path), None, html_hint=suffix in {".html", ".htm"},
                            kind="ssml" if suffix == ".ssml" else None)


def from_content(content: str, kind: PageKind, origin: str, url: str | None = None,
                 limits: Limits | None = None) -> Page:
    """A Page from text already in hand (an HTTP request body), checked like any other source."""
    limits = limits or Limits()
    try:
        size = len(content.encode("utf-8"))
    except UnicodeEncodeError:
        raise RequestError(f"{origin} is not valid Unicode text (it holds a lone surrogate)"
                           ) from None
    if size > limits.max_bytes:
        raise SourceTooLargeError(_too_large(origin, size, limits))
    if "\x00" in content:
        raise RequestError(f"{origin} contains NUL characters; send text without them")
    _check_text(content, origin)
    return Page(content=content, kind=kind, origin=origin, url=url)


def fetch(url: str, limits: Limits) -> Page:
    """GET an http(s) URL as `audiobrief.fetch.fetch` does, and decode its bytes into a Page."""
    fetched = _fetch(url, limits)
    return _page_from_bytes(fetched.body, _shown(url), fetched.url, charset=fetched.charset,
                            kind=fetched.kind)


def _read_limited(stream: BinaryIO, origin: str, limits: Limits) -> bytes:
    raw = stream.read(limits.max_bytes + 1)
    if len(raw) > limits.max_bytes:
        raise SourceTooLargeError(f"{origin} is over the limit of {_mb(limits.max_bytes)}")
    return raw


def _page_from_bytes(raw: bytes, origin: str, url: str | None, *, html_hint: bool = False,
                     charset: str | None = None, kind: PageKind | None = None) -> Page:
    if not raw.strip():
        raise SourceError(f"{origin} is empty")
    if b"\x00" in raw[:4096]:
        raise SourceError(f"{origin} is binary data, not an HTML page or text")
    if is_ssml(raw[:4096]):
        kind = "ssml"
    elif kind is None:
        kind = "html" if html_hint or _HTML_SNIFF.search(raw[:4096]) else "text"
    content = _decode(raw, charset)
    _check_text(content, origin)
    return Page(content=content, kind=kind, origin=origin, url=url)


def is_ssml(start: bytes | str) -> bool:
    """Whether a document starting so is SSML: its root element is `<speak>`."""
    if isinstance(start, str):
        start = start[:4096].encode("utf-8", "replace")
    return bool(_SSML_SNIFF.match(start))


def _decode(raw: bytes, charset: str | None) -> str:
    if charset is None and (match := _META_CHARSET.search(raw[:4096])):
        charset = match.group(1).decode("ascii", "replace")
    for encoding in (_text_encoding(charset), "utf-8"):
        if not encoding:
            continue
        try:
            return raw.decode(encoding)
        except UnicodeError:
            continue
    return raw.decode("cp1252", errors="replace")


def _text_encoding(name: str | None) -> str | None:
    """The codec a page's charset names, if it is one of TEXT_ENCODINGS; else None."""
    if not name or len(name) > 40:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return codec if codec in TEXT_ENCODINGS else None


def _check_text(content: str, origin: str) -> None:
    sample = content[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    replaced = sample.count("\ufffd")
    if sample and (controls + replaced) / len(sample) > 0.05:
        raise SourceError(f"{origin} is binary data, not an HTML page or text")


def _too_large(origin: str, size: int, limits: Limits) -> str:
    return f"{origin} is {_mb(size)}; the limit is {_mb(limits.max_bytes)}"


def page_image(page: Page) -> str | None:
    """The absolute http(s) URL of an HTML page's own picture (og:image, twitter:image or
    `<link rel="image_src">`), resolved against the page's URL; None when it names none."""
    if page.kind != "html":
        return None
    found: dict[str, str] = {}
    for tag in _IMAGE_TAG.finditer(page.content):
        attributes = {match.group(1).lower(): match.group(2) or match.group(3) or match.group(4)
                      or "" for match in _ATTRIBUTE.finditer(tag.group())}
        name = (attributes.get("property") or attributes.get("name") or attributes.get("rel")
                or "").strip().lower()
        value = attributes.get("content") or attributes.get("href") or ""
        if name in _IMAGE_NAMES and value.strip() and name not in found:
            found[name] = html.unescape(value.strip())
    for name in _IMAGE_NAMES:
        if name not in found:
            continue
        try:
            url = web_url(urljoin(page.url or "", found[name]))
        except ValueError:  # a malformed URL (an unclosed IPv6 bracket) is no picture
            continue
        if url:
            return url
    return None
