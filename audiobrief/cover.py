"""An image (an article's picture, or the podcast's own from AUDIOBRIEF_FEED_IMAGE) → the JPEG
cover an MP3's APIC frame and the feed carry: fetched under the rules pages are, decoded only
within bounds, re-encoded to at most `MAX_COVER_BYTES`. Any fault means no cover, never a failure.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from audiobrief.errors import AudiobriefError
from audiobrief.fetch import Limits, _shown, fetch_image, web_url

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10_000_000
"""Largest image fetched or read, whatever a page may be: a cover is never bigger."""
MAX_PIXELS = 25_000_000
"""Images with more pixels are not decoded (a 6000 × 4000 photo is 24 million): a small file can
claim a huge picture, and decoding one costs 4 bytes a pixel."""
MAX_COVER_BYTES = 512_000
"""The cover's JPEG is at most this (what Apple Podcasts asks of artwork)."""
MAX_SIDE_PX = 3000
"""A larger image is scaled down to this on its longer side (Apple's largest artwork)."""
MIN_SIDE_PX = 64
"""A smaller image (a tracking pixel, an icon) is no cover."""
FEED_SIDE_PX = (1400, 3000)
"""Apple Podcasts wants the channel's image square, between these sizes."""
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
"""The decoders tried: the web's picture formats, no others of Pillow's many parsers."""
_QUALITIES = (85, 75, 65, 55)
_WHITE = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class Cover:
    """A cover made from an image."""

    jpeg: bytes
    """At most MAX_COVER_BYTES."""
    width_px: int
    height_px: int
    """The size of the image it was made of, before any scaling."""


def cover_of(raw: bytes, origin: str) -> Cover | None:
    """The cover made of an image's bytes, or None (logged) if they are no image that may be
    decoded: too large, too many pixels, too small, damaged or of another format."""
    from PIL import Image, ImageOps

    if len(raw) > MAX_IMAGE_BYTES:
        logger.info("no cover from %s: %d bytes is over %d", origin, len(raw), MAX_IMAGE_BYTES)
        return None
    # Pillow raises many kinds (OSError, ValueError, SyntaxError, DecompressionBombError,
    # struct.error…) for bad input; any of them means the picture is unusable, nothing more.
    try:
        with Image.open(io.BytesIO(raw), formats=_FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                logger.info("no cover from %s: %d × %d px is over %d pixels", origin, width,
                            height, MAX_PIXELS)
                return None
            if min(width, height) < MIN_SIDE_PX:
                logger.info("no cover from %s: %d × %d px is too small", origin, width, height)
                return None
            image.draft("RGB", (MAX_SIDE_PX, MAX_SIDE_PX))  # JPEG: decode at a reduced scale
            image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
            picture = ImageOps.exif_transpose(image).convert("RGBA")
    except Exception as error:
        logger.info("no cover from %s: not an image that can be read (%s)", origin, error)
        return None
    flat = Image.new("RGB", picture.size, _WHITE)
    flat.paste(picture, mask=picture.getchannel("A"))  # transparency on white, as apps show it
    jpeg = _jpeg_within(flat)
    return Cover(jpeg, width, height) if jpeg else None


def _jpeg_within(image: Image.Image) -> bytes | None:
    """The image as a JPEG of at most MAX_COVER_BYTES: lower quality first, then smaller."""
    from PIL import Image
    for _ in range(6):
        for quality in _QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
            if buffer.tell() <= MAX_COVER_BYTES:
                return buffer.getvalue()
        image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)),
                             Image.Resampling.LANCZOS)
    return None  # unreachable for real pictures: a 712 px JPEG is far below the cap


def fetch_cover(url: str, limits: Limits) -> Cover | None:
    """The cover made of the image at `url`, fetched as pages are (addresses, deadline, a size
    cap of at most MAX_IMAGE_BYTES); None (logged) when it cannot be had."""
    limits = replace(limits, max_bytes=min(limits.max_bytes, MAX_IMAGE_BYTES))
    try:
        raw = fetch_image(url, limits)
    except AudiobriefError as error:
        logger.info("no cover: %s", error)
        return None
    return cover_of(raw, _shown(url))


def read_cover(path: Path) -> Cover | None:
    """The cover made of an image file; None (logged) when it cannot be read."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_IMAGE_BYTES + 1)
    except OSError as error:
        logger.warning("no cover from %s: %s", path, error.strerror or error)
        return None
    return cover_of(raw, str(path))


def is_url(feed_image: str) -> bool:
    """Whether AUDIOBRIEF_FEED_IMAGE names a URL (else it is a file)."""
    return web_url(feed_image) is not None


@functools.lru_cache(maxsize=4)
def feed_cover(feed_image: str, limits: Limits) -> Cover | None:
    """The podcast's own cover, from AUDIOBRIEF_FEED_IMAGE, made once per process."""
    if is_url(feed_image):
        return fetch_cover(feed_image, limits)
    return read_cover(Path(feed_image).expanduser())


def feed_image_problem(cover: Cover | None) -> str | None:
    """What Apple Podcasts would refuse in the channel's image, or None if nothing."""
    if cover is None:
        return "it is no image that can be read"
    low, high = FEED_SIDE_PX
    if cover.width_px != cover.height_px:
        return f"it is {cover.width_px} × {cover.height_px} px, not square"
    if not low <= cover.width_px <= high:
        return f"it is {cover.width_px} px square, not {low} to {high}"
    return None
