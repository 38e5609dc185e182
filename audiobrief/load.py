"""A source (URL, file path, `-` for stdin, or raw HTML/text) → a decoded Page, within limits."""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urljoin, urlsplit

from audiobrief.errors import RefusedAddressError, SourceError, SourceTooLargeError
from audiobrief.model import Page, PageKind

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

USER_AGENT = "audiobrief/0.1 (+https://github.com/audiobrief/audiobrief)"
TEXT_TYPES = {"text/plain", "text/markdown", "text/x-markdown"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|article|p|div)[\s>]", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


@dataclass(frozen=True, slots=True)
class Limits:
    """How much and where a load may reach."""

    max_bytes: int = 5_000_000
    timeout_s: float = 20.0
    max_redirects: int = 5
    refuse_private: bool = False
    """Refuse hosts that resolve to loopback, private, link-local, multicast or unspecified."""
    allow_hosts: tuple[str, ...] = ()
    """Hosts reachable even when `refuse_private` would refuse them."""


def load(source: str | Path, limits: Limits | None = None) -> Page:
    """Load a URL, a file, or stdin (`-`) into a Page; raise SourceError saying why not."""
    limits = limits or Limits()
    text = str(source)
    if isinstance(source, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        return fetch(text, limits)
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
    return _page_from_bytes(raw, str(path), None, html_hint=path.suffix.lower() in {".html",
                                                                                    ".htm"})


def from_content(content: str, kind: PageKind, origin: str, url: str | None = None,
                 limits: Limits | None = None) -> Page:
    """A Page from text already in hand (an HTTP request body), checked like any other source."""
    limits = limits or Limits()
    size = len(content.encode("utf-8"))
    if size > limits.max_bytes:
        raise SourceTooLargeError(_too_large(origin, size, limits))
    _check_text(content, origin)
    return Page(content=content, kind=kind, origin=origin, url=url)


def fetch(url: str, limits: Limits) -> Page:
    """GET an http(s) URL, following at most `max_redirects` redirects, each one checked."""
    import httpx  # only here: a file or stdin source need not wait for it (0.15 s)

    current = url
    with httpx.Client(timeout=limits.timeout_s, headers={"User-Agent": USER_AGENT},
                      follow_redirects=False) as client:
        for _ in range(limits.max_redirects + 1):
            check_url(current, limits)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        current = urljoin(current, location)
                        continue
                    if response.status_code >= 400:
                        raise SourceError(f"could not fetch {url}: HTTP {response.status_code}")
                    kind = _kind_from_content_type(response.headers.get("content-type", ""), url)
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > limits.max_bytes:
                        raise SourceTooLargeError(_too_large(url, declared, limits))
                    raw = bytearray()
                    for chunk in response.iter_bytes():
                        raw.extend(chunk)
                        if len(raw) > limits.max_bytes:
                            raise SourceTooLargeError(
                                f"{url} is over the limit of {_mb(limits.max_bytes)}")
                    charset = response.charset_encoding
            except httpx.TimeoutException:
                raise SourceError(
                    f"could not fetch {url}: timed out after {limits.timeout_s:g} s") from None
            except httpx.HTTPError as error:
                raise SourceError(f"could not fetch {url}: {_reason(error)}") from None
            return _page_from_bytes(bytes(raw), url, current, html_hint=kind == "html",
                                    charset=charset, kind=kind)
    raise SourceError(f"could not fetch {url}: more than {limits.max_redirects} redirects")


def check_url(url: str, limits: Limits) -> None:
    """Refuse non-http(s) URLs and, when asked, hosts on private or local addresses."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise RefusedAddressError(f"refused {url}: only http and https URLs can be fetched")
    host = parts.hostname
    if not host:
        raise RefusedAddressError(f"refused {url}: the URL has no host")
    if not limits.refuse_private or host.lower() in {h.lower() for h in limits.allow_hosts}:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise SourceError(f"could not fetch {url}: cannot resolve host {host}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if (address.is_loopback or address.is_private or address.is_link_local
                or address.is_multicast or address.is_unspecified or address.is_reserved):
            raise RefusedAddressError(
                f"refused {url}: {host} resolves to a private or local address ({address})")


def _kind_from_content_type(content_type: str, url: str) -> PageKind:
    mime = content_type.split(";")[0].strip().lower()
    if not mime or mime in HTML_TYPES:
        return "html"
    if mime in TEXT_TYPES:
        return "text"
    raise SourceError(f"could not use {url}: it is {mime}, not an HTML page or text")


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
    if kind is None:
        kind = "html" if html_hint or _HTML_SNIFF.search(raw[:4096]) else "text"
    content = _decode(raw, charset)
    _check_text(content, origin)
    return Page(content=content, kind=kind, origin=origin, url=url)


def _decode(raw: bytes, charset: str | None) -> str:
    if charset is None and (match := _META_CHARSET.search(raw[:4096])):
        charset = match.group(1).decode("ascii", "replace")
    for encoding in (charset, "utf-8"):
        if not encoding:
            continue
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("cp1252", errors="replace")


def _check_text(content: str, origin: str) -> None:
    sample = content[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    replaced = sample.count("\ufffd")
    if sample and (controls + replaced) / len(sample) > 0.05:
        raise SourceError(f"{origin} is binary data, not an HTML page or text")


def _too_large(origin: str, size: int, limits: Limits) -> str:
    return f"{origin} is {_mb(size)}; the limit is {_mb(limits.max_bytes)}"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.3g} MB" if size >= 100_000 else f"{size / 1000:.3g} kB"


def _reason(error: httpx.HTTPError) -> str:
    import httpx

    if isinstance(error, httpx.ConnectError):
        return "connection refused or host unreachable"
    return str(error) or type(error).__name__
