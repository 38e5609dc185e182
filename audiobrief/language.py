"""A text → the language it is written in (py3langid on a bounded sample), and languages' names."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

SAMPLE_CHARS = 5_000
"""The detector reads at most this much of a text: a few paragraphs tell any article's language,
and a text of any length costs no more."""
MIN_LETTERS = 100
"""A sample with fewer letters is too short to tell (a headline, a line of speech: the detector
takes "Hello there." for Sesotho); it is read in the language of the voice asked for."""
MIN_CONFIDENCE = 0.5
"""Below this probability the detector is not sure (a text in two languages), and the language
is taken as not known."""

# ISO 639-1 code → English name, for messages. py3langid's languages with a two-letter code; any
# other is named by its code.
NAMES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "an": "Aragonese", "ar": "Arabic", "as": "Assamese",
    "az": "Azerbaijani", "ba": "Bashkir", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "dz": "Dzongkha", "el": "Greek", "en": "English",
    "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fo": "Faroese", "fr": "French", "fy": "Frisian", "ga": "Irish",
    "gd": "Scottish Gaelic", "gl": "Galician", "gu": "Gujarati", "ha": "Hausa", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "ig": "Igbo", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada",
    "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish",
    "lg": "Ganda", "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian",
    "mg": "Malagasy", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi",
    "ms": "Malay", "mt": "Maltese", "my": "Burmese", "ne": "Nepali", "nl": "Dutch",
    "no": "Norwegian", "oc": "Occitan", "om": "Oromo", "or": "Odia", "pa": "Punjabi",
    "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian",
    "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit", "se": "Northern Sami",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "sn": "Shona", "so": "Somali",
    "sq": "Albanian", "sr": "Serbian", "st": "Sesotho", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "tk": "Turkmen",
    "tl": "Tagalog", "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur", "uk": "Ukrainian",
    "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "vo": "Volapük", "wa": "Walloon",
    "xh": "Xhosa", "yo": "Yoruba", "zh": "Chinese", "zu": "Zulu",
}
# Codes that name the same language as a voice's: Piper's Norwegian voices are "no".
SAME_LANGUAGE = {"nb": "no", "nn": "no"}
NO_LANGUAGE = "zxx"
"""py3langid's label for a text without words (digits, symbols)."""

_identifier: LanguageIdentifier | None = None
_loading = threading.Lock()


def detect(texts: Iterable[str]) -> str | None:
    """The language `texts` are written in, as an ISO 639-1 code where there is one ("ru"), from
    their first SAMPLE_CHARS characters; None when they are too short to tell or the detector is
    not sure."""
    sample = _sample(texts)
    if sum(character.isalpha() for character in sample) < MIN_LETTERS:
        return None
    code, confidence = _detector().classify(sample)
    if code == NO_LANGUAGE or confidence < MIN_CONFIDENCE:
        return None
    return primary(code)


def primary(tag: str) -> str:
    """The language of a BCP 47 tag or a voice's code, as voices are matched: "en_US" → "en",
    "nb" → "no"."""
    code = tag.replace("_", "-").split("-")[0].lower()
    return SAME_LANGUAGE.get(code, code)


def name(tag: str) -> str:
    """A language's English name ("de-AT" → "German"); its code when it has none here."""
    code = primary(tag)
    return NAMES.get(code, code)


def _sample(texts: Iterable[str]) -> str:
    """The first SAMPLE_CHARS characters of `texts` joined by blank lines, without reading on."""
    parts: list[str] = []
    length = 0
    for text in texts:
        if not text:
            continue
        parts.append(text[: SAMPLE_CHARS - length])
        length += len(parts[-1]) + 2
        if length >= SAMPLE_CHARS:
            break
    return "\n\n".join(parts)


def warm() -> None:
    """Load the detector now (a service at start), so the first article does not wait for it
    and a request's memory is not its model's."""
    _detector()


def _detector() -> LanguageIdentifier:
    """py3langid's model with probabilities, loaded once (it takes most of a second)."""
    global _identifier
    with _loading:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier
