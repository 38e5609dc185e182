"""Synthesis with the real voice: exact sample timings, even loudness, speed, sentence cache."""

from __future__ import annotations

import pytest

from audiobrief.model import Chapter, Script, Sentence
from audiobrief.synthesize import (
    MAX_CLAUSE_CHARS,
    MAX_PIECE_CHARS,
    SynthesisOptions,
    pieces,
    sentence_key,
    sentence_speed,
    synthesize_sentences,
)
from tests.stages import synthesize


def _script(*texts: str, pause_ms: int = 300) -> Script:
    sentences = tuple(Sentence(text=t, spoken=t, pause_after_ms=pause_ms) for t in texts)
    return Script(title="t", byline=None, date=None, site=None, url=None, language="en",
                  chapters=(Chapter("c", sentences),))


def test_sentence_positions_are_exact_sample_counts(voice) -> None:
    script = _script("The first sentence.", "A second, longer sentence follows it.", "Third.")
    pieces = list(synthesize_sentences(script, voice))
    rendition = synthesize(script, voice)
    pause = round(0.3 * voice.spec.sample_rate_hz)
    assert [a.pause_samples for a in pieces] == [pause] * 3
    position = 0
    for (start, end), audio in zip(rendition.sentence_samples, pieces, strict=True):
        assert start == position
        # Same text, same voice: lengths may vary by Piper's noise but never by much.
        assert abs((end - start) - audio.speech_samples) < 0.25 * audio.speech_samples
        position = end + pause
    assert rendition.total_samples == position
    assert rendition.sample_rate_hz == 22050


def test_speed_shortens_audio(voice) -> None:
    script = _script("Ukraine's Air Force said it can't confirm this information yet.")
    normal = synthesize(script, voice).sentence_samples[0]
    fast = synthesize(script, voice, SynthesisOptions(speed=1.5)).sentence_samples[0]
    ratio = (fast[1] - fast[0]) / (normal[1] - normal[0])
    assert 0.55 < ratio < 0.8


def test_parallel_workers_keep_order(voice) -> None:
    texts = [f"Sentence number {n} is here." for n in ("one", "two", "three", "four", "five")]
    pieces = list(synthesize_sentences(_script(*texts), voice, SynthesisOptions(workers=2)))
    assert [p.index for p in pieces] == [0, 1, 2, 3, 4]
    assert all(p.speech_samples > 0 for p in pieces)


class _DictCache(dict):
    """A sentence cache in memory."""

    def put(self, key: str, pcm: bytes) -> None:
        self[key] = pcm

    def audio(self) -> list[bytes]:
        """The sentences' audio, in the order made (their word times are kept beside)."""
        return [value for key, value in self.items() if not key.endswith("-words")]


def test_cache_skips_sentences_already_made(voice) -> None:
    cache = _DictCache()
    first = list(synthesize_sentences(_script("Alpha one.", "Beta two."), voice, cache=cache))
    assert len(cache.audio()) == 2
    second = list(synthesize_sentences(_script("Alpha one.", "Gamma three."), voice, cache=cache))
    assert second[0].pcm == first[0].pcm  # reused, byte for byte
    assert second[0].word_samples == first[0].word_samples  # and when its words are heard
    assert len(cache.audio()) == 3


def test_cached_sentences_are_read_a_few_ahead_of_the_listener(voice) -> None:
    """A long article made before is all cache hits: reading them all before the first one is
    encoded held the whole article's audio in memory (a hundred minutes of it is 260 MB)."""
    texts = [f"Sentence number {n} of the long article." for n in range(40)]
    cache = _DictCache()
    list(synthesize_sentences(_script(*texts), voice, SynthesisOptions(workers=2), cache=cache))
    reads: list[int] = []

    class Counting(_DictCache):
        def get(self, key: str, default: bytes | None = None) -> bytes | None:
            if not key.endswith("-words"):
                reads.append(len(reads))
            return super().get(key, default)

    again = Counting(cache)
    heard = 0
    for audio in synthesize_sentences(_script(*texts), voice, SynthesisOptions(workers=2),
                                      cache=again):
        heard += 1
        # A window ahead, and the article's last few pieces planned together: never the rest.
        assert len(reads) <= heard + 8, f"{len(reads)} sentences read with {heard} heard"
        assert audio.pcm == cache.audio()[audio.index]
    assert heard == 40


def test_a_new_phonemizer_or_model_makes_sentences_again(voice, monkeypatch) -> None:
    """An upgrade of piper-tts (espeak-ng and its data) or another model under the same voice
    name may say the same text differently: its audio is not taken from the cache."""
    cache = _DictCache()
    list(synthesize_sentences(_script("Alpha one."), voice, cache=cache))
    assert "piper-" in voice.identity and voice.spec.name in voice.identity
    monkeypatch.setattr(voice, "identity", voice.identity.replace("piper-", "piper-next-"))
    list(synthesize_sentences(_script("Alpha one."), voice, cache=cache))
    assert len(cache.audio()) == 2


def test_nothing_to_say_gives_silence_only(voice) -> None:
    rendition = synthesize(_script("…"), voice)
    start, end = rendition.sentence_samples[0]
    assert end - start == 0
    assert rendition.total_samples == round(0.3 * 22050)


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reports_every_sentence(voice, workers: int) -> None:
    seen: list[tuple[int, int]] = []
    synthesize(_script("One.", "Two.", "Three."), voice, SynthesisOptions(workers=workers),
               progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize(
    ("spoken", "expected"),
    [
        pytest.param("Short enough, not cut.", ["Short enough, not cut."], id="short"),
        pytest.param("Two, short, clauses, joined again.", ["Two, short, clauses,",
                                                            "joined again."], id="merged"),
        pytest.param("One clause here, then another one; and a last one.",
                     ["One clause here,", "then another one;", "and a last one."], id="clauses"),
        pytest.param("In [[ kˈɑːɹkiv, ɔblˈɑːst ]] and more words, the end.",
                     ["In [[ kˈɑːɹkiv, ɔblˈɑːst ]] and more words,", "the end."],
                     id="never-inside-a-phoneme-block"),
        pytest.param("No clause punctuation in this rather long sentence at all.",
                     ["No clause punctuation in this rather long sentence at all."],
                     id="uncuttable"),
    ],
)
def test_long_sentences_are_spoken_in_clause_pieces(spoken: str, expected: list[str]) -> None:
    cut = pieces(spoken, 30)
    assert cut == expected
    assert " ".join(cut) == spoken


# Hostile spoken texts: no clause punctuation, one endless word, names without end in one block.
HOSTILE_SPOKEN = [
    pytest.param("word " * 800 + ".", id="4000-chars-no-commas"),
    pytest.param("x" * 100_000, id="one-100k-word"),
    pytest.param("In [[ " + "kˈɑːɹkiv " * 400 + "]] and beyond", id="one-long-phoneme-block"),
    pytest.param("Near [[ " + "ɔ" * 3000 + ". ]]-based town", id="one-long-phoneme-word"),
    pytest.param("one two, " * 300 + "word " * 300, id="clauses-then-a-long-one"),
]


def _said(text: str) -> str:
    """What is said, brackets and spacing aside: the characters of words and phonemes in order."""
    return "".join(text.replace("[[", "").replace("]]", "").split())


@pytest.mark.parametrize("spoken", HOSTILE_SPOKEN)
def test_no_piece_of_speech_is_longer_than_the_bound(spoken: str) -> None:
    cut = pieces(spoken, MAX_PIECE_CHARS)
    assert max(len(piece) for piece in cut) <= max(MAX_PIECE_CHARS, MAX_CLAUSE_CHARS)
    assert _said(" ".join(cut)) == _said(spoken)  # every word, in order
    for piece in cut:  # a block cut in parts is several whole blocks
        assert piece.count("[[") == piece.count("]]")


_PEAK_RSS_CHILD = """
import io, sys
from audiobrief import pipeline
from audiobrief.model import Article, Section
from audiobrief.settings import Settings
from audiobrief.voices import Voice

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024

def say(text):
    article = Article(title="t", byline=None, date=None, site=None, url=None, language="en",
                      sections=(Section(None, tuple(text.split("\\n\\n"))),))
    options = pipeline.Options(headline=False, chapters="none")
    script = pipeline.prepare(article, settings, options)
    pipeline.narrate(script, voice, settings, options, io.BytesIO())

settings = Settings()
voice = Voice.load()
say("A short ordinary sentence, said once so the voice has run.")
print(peak_mb(), flush=True)
say(sys.argv[1])
print(peak_mb(), flush=True)
"""


def test_a_sentence_without_commas_keeps_memory_bounded() -> None:
    """2,000 characters without a comma reached the voice at once: the old code took the
    process 1.3 GB above its voice-loaded peak (4,000 characters: 7 GB)."""
    import resource
    import subprocess
    import sys

    def cap_memory() -> None:  # a regression must fail the test, not the machine
        resource.setrlimit(resource.RLIMIT_AS, (6_000_000_000, 6_000_000_000))

    text = "Long sentence test\n\n" + "word " * 400 + "."
    done = subprocess.run([sys.executable, "-c", _PEAK_RSS_CHILD, text], capture_output=True,
                          text=True, timeout=300, preexec_fn=cap_memory, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    baseline_mb, peak_mb = (float(line) for line in done.stdout.split())
    assert peak_mb - baseline_mb <= 300, (baseline_mb, peak_mb)


def test_a_sentence_rate_lengthens_or_shortens_that_sentence_only(voice) -> None:
    """SSML's prosody rate: a sentence at rate 0.6 lasts longer, at 1.6 shorter; the one beside
    it keeps its length."""
    text, other = "The convoy reached the border before dawn.", "It was cold."
    lengths = {}
    for rate in (0.6, 1.0, 1.6):
        sentences = (Sentence(text, text, rate=rate), Sentence(other, other))
        script = Script(title="t", byline=None, date=None, site=None, url=None, language="en",
                        chapters=(Chapter("c", sentences),))
        lengths[rate] = [end - start for start, end in synthesize(script, voice).sentence_samples]
    # Piper's length scale stretches speech, not its edges: a little under proportional.
    assert lengths[0.6][0] > 1.3 * lengths[1.0][0] > 1.3 * 1.3 * lengths[1.6][0], lengths
    assert abs(lengths[0.6][1] - lengths[1.0][1]) < 0.25 * lengths[1.0][1], lengths


def test_the_cache_keys_a_sentence_by_the_speed_it_is_said_at(voice) -> None:
    """Rate 1 keeps every key made before it existed; a rate is a speed like any other."""
    text = "Alpha one."
    plain, slow = Sentence(text, text), Sentence(text, text, rate=0.8)
    assert sentence_key(plain, voice, SynthesisOptions()) != sentence_key(
        slow, voice, SynthesisOptions())
    assert sentence_key(slow, voice, SynthesisOptions()) == sentence_key(
        plain, voice, SynthesisOptions(speed=0.8))
    assert sentence_speed(Sentence(text, text, rate=2.0), SynthesisOptions(speed=4.0)) == 4.0
