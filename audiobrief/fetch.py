"""An http(s) URL → the bytes of its page: every hop resolved, checked and pinned to the checked
addresses, the whole fetch within one deadline, the size cap counted on the decoded bytes."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import os
import re
import socket
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from audiobrief import __version__
from audiobrief.errors import RefusedAddressError, SourceError, SourceTooLargeError
from audiobrief.model import PageKind

if TYPE_CHECKING:
    import ssl

    import httpcore

logger = logging.getLogger(__name__)

USER_AGENT = f"audiobrief/{__version__} (+https://github.com/audiobrief/audiobrief)"
# SSML is told from text by its root element, <speak> (load.is_ssml).
TEXT_TYPES = {"text/plain", "text/markdown", "text/x-markdown", "application/ssml+xml"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_REDIRECTS = {301, 302, 303, 307, 308}
_PAGE_ACCEPT = b"text/html, application/xhtml+xml, text/plain;q=0.9, */*;q=0.1"
_IMAGE_ACCEPT = b"image/jpeg, image/png, image/webp;q=0.9, image/*;q=0.8"
MAX_URL_CHARS = 8192
"""Longer URLs are refused: servers commonly stop at 8 kB, and every hop is parsed and logged."""

# Networks refused on top of what `ipaddress` calls not global, because Python 3.11 still calls
# some of them global (6to4 and site-local reach inside; 192.88.99.0/24 is the 6to4 relay).
_REFUSED_NETWORKS = tuple(ipaddress.ip_network(network) for network in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
    "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
"""The well-known NAT64 prefix: judged by the IPv4 address it carries."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How much and where a load may reach."""

    max_bytes: int = 5_000_000
    timeout_s: float = 20.0
    max_redirects: int = 5
    refuse_private: bool = False
    """Refuse hosts on any address that is not public unicast, and any source but a URL."""
    allow_hosts: tuple[str, ...] = ()
    """Hosts reachable even when `refuse_private` would refuse them."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a fetch brings back: the page's bytes and what its headers say about them."""

    body: bytes
    """At most `max_bytes`, gzip or deflate already undone; not yet decoded as text."""
    url: str
    """The URL the page came from: the last hop's, after any redirects."""
    kind: PageKind | None
    """What the Content-Type says the page is (a missing one counts as HTML); None for an image
    (`fetch_image`)."""
    charset: str | None
    """The charset the Content-Type names, if it names one."""


def fetch_image(url: str, limits: Limits) -> bytes:
    """GET an image (a page's picture) as `fetch` gets a page, under the same rules; raises
    SourceError when the answer says it is not an image (text, HTML, JSON)."""
    return fetch(url, limits, image=True).body


def fetch(url: str, limits: Limits, *, image: bool = False) -> Fetched:
    """GET an http(s) URL within one deadline, following at most `max_redirects` redirects.

    Every hop is resolved once, checked, and connected to exactly the addresses checked, so a
    DNS answer that changes between the check and the connection cannot reach another host.
    """
    deadline = time.monotonic() + limits.timeout_s
    backend = _PinnedBackend(deadline)
    shown = _shown(url)
    target = _target(url, limits, deadline, given=url)
    with _pool(backend) as pool:
        for _ in range(limits.max_redirects + 1):
            backend.pins[(target.host, target.port)] = target.addresses
            logger.debug("fetching %s from %s", _shown(target.url), ", ".join(target.addresses))
            with _network_errors(f"fetch {shown}", limits):
                location = _get(pool, target, limits, deadline, shown, image)
            if isinstance(location, Fetched):
                return location
            next_url = _join(target.url, location, shown)
            target = _target(next_url, limits, deadline)
    raise SourceError(f"could not fetch {shown}: more than {limits.max_redirects} redirects")


@dataclass(frozen=True, slots=True)
class Posted:
    """A receiver's answer to a POST."""

    status: int
    body: bytes
    """Its first bytes, at most the `max_response_bytes` asked for."""


def post(url: str, body: bytes, headers: Mapping[str, str], limits: Limits,
         max_response_bytes: int = 4096) -> Posted:
    """POST `body` to an http(s) URL within one deadline: the address resolved, checked and
    pinned as for a fetch, no redirect followed, at most `max_response_bytes` of the answer read.
    """
    import httpcore

    deadline = time.monotonic() + limits.timeout_s
    backend = _PinnedBackend(deadline)
    shown = _shown(url)
    target = _target(url, limits, deadline, given=url)
    backend.pins[(target.host, target.port)] = target.addresses
    sent = [(b"Host", target.netloc), (b"User-Agent", USER_AGENT.encode()),
            (b"Content-Length", str(len(body)).encode()),
            *((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())]
    address = httpcore.URL(scheme=target.scheme.encode(), host=target.host.encode("ascii"),
                           port=target.port, target=target.path)
    timeouts = dict.fromkeys(("connect", "read", "write", "pool"), limits.timeout_s)
    with _network_errors(f"post to {shown}", limits), _pool(backend) as pool, pool.stream(
            "POST", address, headers=sent, content=body,
            extensions={"timeout": timeouts}) as response:
        answer = bytearray()
        for chunk in response.iter_stream():
            answer.extend(chunk[:max_response_bytes - len(answer)])
            if len(answer) >= max_response_bytes:
                break
        return Posted(response.status, bytes(answer))


def _pool(backend: _PinnedBackend) -> httpcore.ConnectionPool:
    """One connection at a time, to the addresses `backend` pins, trusting the system's (or
    SSL_CERT_FILE's) certificates."""
    import httpcore  # only here: a file or stdin source need not wait for it

    tls = _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    return httpcore.ConnectionPool(ssl_context=tls, max_connections=1,
                                   network_backend=cast("httpcore.NetworkBackend", backend))


@contextlib.contextmanager
def _network_errors(action: str, limits: Limits) -> Iterator[None]:
    """httpcore's failures as the one line a user reads: "could not `action`: why"."""
    import httpcore

    try:
        yield
    except (httpcore.TimeoutException, _DeadlineError):
        raise SourceError(
            f"could not {action}: timed out after {limits.timeout_s:g} s") from None
    except (httpcore.NetworkError, httpcore.ProtocolError,
            httpcore.UnsupportedProtocol) as error:
        raise SourceError(f"could not {action}: {_reason(error)}") from None


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's verifying context (certifi, or SSL_CERT_FILE/DIR), built once: it costs 20 ms."""
    import httpx

    return httpx.create_ssl_context()


def web_url(url: str | None) -> str | None:
    """`url` if it is an http(s) URL with a host that is safe to show as a link, else None: a
    page's canonical link or a setting may be javascript:, data: or garbage, and an article's URL
    ends up as a link in the player and the feed."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    if len(url) > MAX_URL_CHARS or any(ord(ch) < 33 or ch in '<>"`\\' for ch in url):
        return None
    return url


# Query parameters that say where a reader came from, not which article: the same article is
# linked with dozens of them.
_TRACKING = re.compile(r"utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|_gl"
                       r"|ocid|cmpid|at_\w+|ns_\w+|smid|taid|guccounter|guce_\w+|mkt_tok",
                       re.IGNORECASE)


def article_url(url: str) -> str:
    """The URL an article is known by: scheme and host in lower case, without its fragment and
    the parameters that track a reader (`utm_source`, `fbclid`…), so that every link to one
    article finds the same audio."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if not _TRACKING.fullmatch(name)]
    query = urlencode(kept) if len(kept) < len(pairs) else parts.query
    host = parts.netloc.lower()
    if port is not None and port == {"http": 80, "https": 443}.get(parts.scheme.lower()):
        host = host.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on one host, "www." aside: a page may name its canonical URL only
    there, not bind its audio to another site's."""
    def host(value: str) -> str:
        try:
            name = urlsplit(value).hostname or ""
        except ValueError:
            return ""
        return name.removeprefix("www.")

    return bool(host(url)) and host(url) == host(other)


def check_url(url: str, limits: Limits) -> None:
    """Refuse non-http(s) or malformed URLs and, when asked, hosts on non-public addresses."""
    _target(url, limits, time.monotonic() + limits.timeout_s)


@dataclass(frozen=True, slots=True)
class _Target:
    """One hop of a fetch: the URL and the addresses it may be reached at."""

    url: str
    """The URL as given for the first hop, else as httpx normalised it."""
    scheme: str
    host: str
    """ASCII (IDNA-encoded) host name or IP address, without brackets."""
    port: int
    netloc: bytes
    """The Host header: host, brackets for IPv6 and a port that is not the default."""
    path: bytes
    """Path and query, percent-encoded."""
    addresses: tuple[str, ...]
    """Where to connect: the resolved addresses that passed the check."""


def _target(url: str, limits: Limits, deadline: float, given: str | None = None) -> _Target:
    """Parse, resolve and check one URL; raise RefusedAddressError saying what is wrong."""
    import httpx

    shown = _shown(url)
    if len(url) > MAX_URL_CHARS:
        raise RefusedAddressError(
            f"refused {shown}: the URL is over {MAX_URL_CHARS} characters long")
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in {"http", "https"}:
        raise RefusedAddressError(f"refused {shown}: only http and https URLs can be fetched")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError) as error:
        raise RefusedAddressError(f"refused {shown}: not a valid URL ({error})") from None
    host = parsed.raw_host.decode("ascii", "replace")
    if not host:
        raise RefusedAddressError(f"refused {shown}: the URL has no host")
    port = parsed.port if parsed.port is not None else (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise RefusedAddressError(f"refused {shown}: port {port} is not between 1 and 65535")
    if not _valid_host(host):
        raise RefusedAddressError(f"refused {shown}: {_shown(host)} is not a valid host name")
    addresses = _resolve(host, port, deadline, shown)
    allowed = host.lower() in {h.lower() for h in limits.allow_hosts}
    if limits.refuse_private and not allowed:
        for address in addresses:
            if _refused(ipaddress.ip_address(address)):
                raise RefusedAddressError(
                    f"refused {shown}: {host} resolves to a private or local address ({address})")
    return _Target(url=given or str(parsed), scheme=scheme, host=host, port=port,
                   netloc=parsed.netloc, path=parsed.raw_path, addresses=addresses)



def _get(pool: httpcore.ConnectionPool, target: _Target, limits: Limits, deadline: float,
         shown: str, image: bool = False) -> Fetched | str:
    """One GET: the page, or the Location of a redirect; `shown` names the URL first asked for."""
    import httpcore

    remaining = max(deadline - time.monotonic(), 0.001)
    url = httpcore.URL(scheme=target.scheme.encode(), host=target.host.encode("ascii"),
                       port=target.port, target=target.path)
    headers = [(b"Host", target.netloc), (b"User-Agent", USER_AGENT.encode()),
               (b"Accept", _IMAGE_ACCEPT if image else _PAGE_ACCEPT),
               (b"Accept-Encoding", b"gzip, deflate")]
    timeouts = dict.fromkeys(("connect", "read", "write", "pool"), remaining)
    with pool.stream("GET", url, headers=headers, extensions={"timeout": timeouts}) as response:
        fields = _Headers(response.headers)
        if response.status in _REDIRECTS:
            location = fields.get("location").strip()
            if not location:
                raise SourceError(f"could not fetch {shown}: HTTP {response.status} redirect "
                                  "without a Location")
            return location
        if response.status >= 400:
            raise SourceError(f"could not fetch {shown}: HTTP {response.status}")
        if response.status >= 300 or response.status < 200:
            raise SourceError(f"could not fetch {shown}: HTTP {response.status} without a page")
        content_type = fields.get("content-type")
        kind: PageKind | None = None
        if image:
            _check_image_type(content_type, shown)
        else:
            kind = _kind_from_content_type(content_type, shown)
        declared = fields.get("content-length").strip()
        if declared and (not declared.isdigit() or len(declared) > 15
                         or int(declared) > limits.max_bytes):
            raise SourceTooLargeError(
                f"{shown} declares {_shown(declared, 30)} bytes; the limit is "
                f"{_mb(limits.max_bytes)}")
        body = _Body(_decoder(fields.all("content-encoding"), shown), limits.max_bytes, shown)
        for chunk in response.iter_stream():
            body.feed(chunk)
        raw = body.finish()
    return Fetched(body=raw, url=target.url, kind=kind, charset=_charset_of(content_type))


def _join(base: str, location: str, shown: str) -> str:
    """The absolute URL a redirect points at; a SourceError if it is not a usable URL."""
    import httpx

    try:
        return str(httpx.URL(base).join(location[:MAX_URL_CHARS + 1]))
    except (httpx.InvalidURL, ValueError, UnicodeError) as error:
        raise SourceError(f"could not fetch {shown}: it redirects to an address that is not a "
                          f"valid URL ({_shown(location, 80)}: {error})") from None


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def _resolve(host: str, port: int, deadline: float, shown: str) -> tuple[str, ...]:
    """The host's addresses, resolved within the fetch's deadline."""
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    answer: list[Any] = []

    def run() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            answer.append(error)

    # getaddrinfo has no timeout of its own; a resolver that hangs must not outlast the fetch.
    resolver = threading.Thread(target=run, name="audiobrief-resolve", daemon=True)
    resolver.start()
    resolver.join(max(deadline - time.monotonic(), 0))
    if not answer:
        raise SourceError(f"could not fetch {shown}: resolving {host} timed out")
    if isinstance(answer[0], BaseException) or not answer[0]:
        raise SourceError(f"could not fetch {shown}: cannot resolve host {host}")
    addresses = dict.fromkeys(str(info[4][0]) for info in answer[0])
    return tuple(addresses)


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is anything but a public unicast one, looking inside IPv6 wrappers."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return _refused(address.ipv4_mapped)
        if address in _NAT64:
            return _refused(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.scope_id:
            return True
    if any(address in network for network in _REFUSED_NETWORKS):
        return True
    return (not address.is_global or address.is_multicast or address.is_reserved
            or address.is_loopback or address.is_link_local or address.is_unspecified)


class _DeadlineError(Exception):
    """The fetch's one deadline passed."""


class _PinnedBackend:
    """An httpcore network backend that connects only to checked addresses, within a deadline.

    Host and SNI stay the URL's host name: httpcore builds them from the URL, and only the TCP
    connection is made to the pinned address.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.pins: dict[tuple[str, int], tuple[str, ...]] = {}

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> _DeadlineStream:
        import httpcore

        addresses = self.pins.get((host, port))
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not checked")
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                stream = httpcore.SyncBackend().connect_tcp(
                    address, port, timeout=_clamp(timeout, self.deadline),
                    local_address=local_address, socket_options=socket_options)
            except httpcore.ConnectError as failed:
                error = failed
                continue
            return _DeadlineStream(stream, self.deadline)
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> Any:
        import httpcore

        raise httpcore.ConnectError("unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, max(self.deadline - time.monotonic(), 0)))


class _DeadlineStream:
    """A network stream whose every read and write ends by the fetch's deadline."""

    def __init__(self, stream: Any, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return bytes(self._stream.read(max_bytes, _clamp(timeout, self._deadline)))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, self._deadline))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> _DeadlineStream:
        stream = self._stream.start_tls(ssl_context, server_hostname,
                                        _clamp(timeout, self._deadline))
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _clamp(timeout: float | None, deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _DeadlineError("the fetch's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _Headers:
    """Response header lookup by lower-case name over httpcore's raw (bytes, bytes) pairs."""

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = [(name.lower().decode("latin-1"), value) for name, value in raw]

    def all(self, name: str) -> list[str]:
        return [_header_text(value) for key, value in self._raw if key == name]

    def get(self, name: str) -> str:
        values = self.all(name)
        return values[0] if values else ""


def _header_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _decoder(encodings: list[str], shown: str) -> Any:
    """A zlib decompressor for the one Content-Encoding, or None for an identity body."""
    tokens = [token.strip().lower() for value in encodings for token in value.split(",")]
    tokens = [token for token in tokens if token and token != "identity"]
    if len(tokens) > 1:
        raise SourceError(f"could not use {shown}: it is compressed more than once "
                          f"(Content-Encoding: {_shown(', '.join(tokens), 60)})")
    if not tokens:
        return None
    if tokens[0] in {"gzip", "x-gzip"}:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if tokens[0] == "deflate":
        return _Deflate()
    raise SourceError(f"could not use {shown}: it is compressed as {_shown(tokens[0], 30)}, "
                      "which audiobrief does not read (gzip and deflate only)")


class _Deflate:
    """`deflate` as servers send it: zlib-wrapped as the RFC says, or raw as some still do."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._first = True

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._inner.decompress(data, max_length)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data, max_length)

    @property
    def unconsumed_tail(self) -> bytes:
        return self._inner.unconsumed_tail


class _Body:
    """The body as it streams in, decoded, refused as soon as the decoded size passes the cap."""

    def __init__(self, decoder: Any, max_bytes: int, shown: str) -> None:
        self._decoder = decoder
        self._max_bytes = max_bytes
        self._shown = shown
        self._raw = bytearray()
        self._received = 0

    def feed(self, chunk: bytes) -> None:
        if self._decoder is None:
            self._append(chunk)
            return
        # The compressed bytes count too: empty deflate blocks decode to nothing, forever.
        self._received += len(chunk)
        if self._received > self._max_bytes:
            raise SourceTooLargeError(
                f"{self._shown} is over the limit of {_mb(self._max_bytes)} compressed")
        pending = chunk
        try:
            while pending:
                # Never more than the room left plus one byte: a few kB of gzip can decode to
                # gigabytes, and this is the only place where that would be held.
                room = self._max_bytes - len(self._raw) + 1
                self._append(self._decoder.decompress(pending, room))
                pending = self._decoder.unconsumed_tail
        except zlib.error as error:
            raise SourceError(f"could not use {self._shown}: its compressed body is corrupt "
                              f"({error})") from None

    def _append(self, data: bytes) -> None:
        self._raw.extend(data)
        if len(self._raw) > self._max_bytes:
            raise SourceTooLargeError(
                f"{self._shown} is over the limit of {_mb(self._max_bytes)}")

    def finish(self) -> bytes:
        return bytes(self._raw)


def _kind_from_content_type(content_type: str, url: str) -> PageKind:
    mime = content_type.split(";")[0].strip().lower()
    if not mime or mime in HTML_TYPES:
        return "html"
    if mime in TEXT_TYPES:
        return "text"
    raise SourceError(f"could not use {url}: it is {mime}, not an HTML page or text")


def _check_image_type(content_type: str, url: str) -> None:
    """Refuse an answer whose Content-Type says it is no image; the decoder judges the rest."""
    mime = content_type.split(";")[0].strip().lower()
    if mime and not mime.startswith("image/") and mime != "application/octet-stream":
        raise SourceError(f"could not use {url}: it is {mime}, not an image")


def _charset_of(content_type: str) -> str | None:
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


# load words its own messages with these two, so a size or a long URL reads the same there.
def _mb(size: int) -> str:
    return f"{size / 1_000_000:.3g} MB" if size >= 100_000 else f"{size / 1000:.3g} kB"


def _shown(text: str, limit: int = 200) -> str:
    """Text from a request or a remote site, short enough for a message and a log line."""
    return text if len(text) <= limit else text[:limit] + "…"


def _reason(error: Exception) -> str:
    import httpcore

    text = _shown(str(error) or type(error).__name__, 160)
    if isinstance(error, httpcore.ConnectError):
        if "SSL" in text or "certificate" in text:
            return f"the TLS handshake failed ({text})"
        return f"connection refused or host unreachable ({text})"
    return text
