"""The errors audiobrief raises on purpose, each with a message a person can act on.

    AudiobriefError
     ├── SettingsError        a bad AUDIOBRIEF_* value or option
     ├── SourceError          cannot fetch or read the input (also an OSError)
     │    ├── SourceTooLargeError   the input is over the size limit
     │    └── RefusedAddressError   the URL points at a private or local address
     ├── OutputError          cannot write an output file (also an OSError)
     ├── NoArticleError       the input holds no readable article text (also a ValueError)
     ├── VoiceNotFoundError   no installed voice by that name (also a LookupError)
     ├── LexiconError         a lexicon file or entry is malformed (also a ValueError)
     └── QueueFullError       the job queue is at its bound; try again later

The CLI turns any of these into exit code 2 and its message; the web app maps each class to a
status code in one place. Anything else is a bug.
"""

from __future__ import annotations


class AudiobriefError(Exception):
    """Base of every error audiobrief raises on purpose; str(error) is the user-facing line."""


class SettingsError(AudiobriefError, ValueError):
    """A setting (environment variable or option) has a value that cannot be used."""


class SourceError(AudiobriefError, OSError):
    """The source cannot be fetched or read."""


class SourceTooLargeError(SourceError):
    """The source is larger than the configured limit."""


class RefusedAddressError(SourceError):
    """The URL is not http(s) or resolves to an address audiobrief must not reach."""


class OutputError(AudiobriefError, OSError):
    """An output file cannot be written (missing directory, no permission, disk full)."""


class NoArticleError(AudiobriefError, ValueError):
    """The source holds no text that could be read aloud."""


class VoiceNotFoundError(AudiobriefError, LookupError):
    """No installed voice has the requested name."""


class LexiconError(AudiobriefError, ValueError):
    """A lexicon file or entry is malformed or uses phonemes the voice does not know."""


class QueueFullError(AudiobriefError):
    """The job queue is full."""
