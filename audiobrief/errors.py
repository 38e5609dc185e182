"""The errors audiobrief raises on purpose, each with a message a person can act on.

    AudiobriefError
     ├── SettingsError        a bad AUDIOBRIEF_* value or option
     │    └── DataLockedError       another process uses the data directory
     ├── SourceError          cannot fetch or read the input (also an OSError)
     │    ├── SourceTooLargeError   the input is over the size limit
     │    └── RefusedAddressError   the URL points at a private or local address
     ├── OutputError          cannot write an output file (also an OSError)
     ├── NoArticleError       the input holds no readable article text (also a ValueError)
     ├── VoiceNotFoundError   no installed voice by that name (also a LookupError)
     ├── LanguageError        no installed voice speaks the article's language, or the voice
     │                        asked for speaks another (also a ValueError)
     ├── LexiconError         a lexicon file or entry is malformed (also a ValueError)
     ├── RequestError         a request field that cannot be used as it is (also a ValueError)
     │    └── TooLongError          the audio would be longer than the limit per article
     ├── NotFoundError        no such article, or no audio for that URL (also a LookupError)
     │    └── GoneError             the article's audio was withdrawn
     ├── ConflictError        the article is not in a state for that (not failed; not done yet)
     ├── KeyRequiredError     writing needs one of the API keys (also a PermissionError)
     ├── AudioRemadeError     a finished MP3 was missing or damaged on disk; it is being made again
     ├── StorageFullError     the disk is full; nothing was written (also an OSError)
     ├── QueueFullError       a bound on work at once is reached (queue, speech, fetches);
 │                            try again later
 └── TooManyRequestsError one client sent more than its share (listening events)

The CLI turns any of these into exit code 2 and its message; the web app maps each class to a
status code in one place. Anything else is a bug.
"""

from __future__ import annotations


class AudiobriefError(Exception):
    """Base of every error audiobrief raises on purpose; str(error) is the user-facing line."""

    extra: dict[str, object] | None = None
    """Members an HTTP answer carries beside its `detail` (e.g. OpenAI's `error`)."""
    retry_after_s: int | None = None
    """When a client may usefully ask again."""
    field: str | None = None
    """The request field at fault, when one is (OpenAI's `param`)."""

    def with_extra(self, **members: object) -> AudiobriefError:
        """This error, its HTTP answer carrying `members` too."""
        self.extra = {**(self.extra or {}), **members}
        return self

    def for_field(self, field: str) -> AudiobriefError:
        """This error, naming the request field at fault."""
        self.field = field
        return self


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


class LanguageError(AudiobriefError, ValueError):
    """The article is in a language no installed voice speaks, or not in the language of the
    voice asked for: read aloud by it, it would be gibberish."""


class LexiconError(AudiobriefError, ValueError):
    """A lexicon file or entry is malformed or uses phonemes the voice does not know."""


class RequestError(AudiobriefError, ValueError):
    """A request field that cannot be used as it is: too long, too many entries, a NUL."""


class TooLongError(RequestError):
    """The audio of this input would be longer than the limit per article."""


class SsmlError(RequestError):
    """An SSML document that cannot be said as it is: not well-formed, a DTD, an element or
    attribute outside the subset, a phoneme the voice does not know; the message names the
    line."""


class DataLockedError(SettingsError):
    """Another process serves from the same data directory."""


class NotFoundError(AudiobriefError, LookupError):
    """No article has that id, or no audio answers for that URL yet."""


class GoneError(NotFoundError):
    """The article (or the URL's, or this version) was withdrawn: its audio is gone for good."""


class ConflictError(AudiobriefError):
    """The article is not in a state for what was asked: retry of one that has not failed,
    timings of one not done yet."""


class KeyRequiredError(AudiobriefError, PermissionError):
    """With API keys set, writing needs one of them."""


class AudioRemadeError(AudiobriefError):
    """A finished article's MP3 was missing or not its recorded size on disk; it is queued to be
    made again."""

    retry_after_s = 5


class StorageFullError(AudiobriefError, OSError):
    """The disk the data directory is on is full; nothing was written."""


class QueueFullError(AudiobriefError):
    """A bound on work at once is reached: queued articles, speech streams or page fetches."""


class TooManyRequestsError(AudiobriefError):
    """One client sent more requests of a kind than it may in a while (listening events)."""

    retry_after_s = 60
