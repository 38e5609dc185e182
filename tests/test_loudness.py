"""Narrations at the podcast loudness: the decoded MP3 measured by an independent meter
(pyloudnorm, BS.1770-4) and an independent true-peak reading (4× by FFT), sentence by sentence
as even as the whole; and audiobrief's own meter checked against signals of known loudness."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import miniaudio
import numpy as np
import pyloudnorm
import pytest

from audiobrief import loudness, pipeline
from audiobrief.errors import SettingsError
from audiobrief.model import Page
from audiobrief.settings import Settings

SHORT_ARTICLE = ("Loudness\n\nThe city council met on Tuesday to discuss the new budget. Residents"
                 " asked about the tram line, the schools and the repairs to the old bridge. A vote"
                 " is expected next month.")


def decoded(mp3: bytes) -> tuple[np.ndarray, int]:
    """The MP3's samples as a listener's player decodes them (float, full scale 1.0)."""
    sound = miniaudio.mp3_read_f32(mp3)
    assert sound.nchannels == 1
    return np.frombuffer(sound.samples, dtype=np.float32).astype(np.float64), sound.sample_rate


def lufs(samples: np.ndarray, rate_hz: int) -> float:
    return float(pyloudnorm.Meter(rate_hz).integrated_loudness(samples))


def true_peak_dbtp(samples: np.ndarray) -> float:
    """The peak of the signal upsampled 4× by zero-padding its spectrum (band-limited, as a
    DAC reconstructs it), in dB."""
    spectrum = np.fft.rfft(samples)
    upsampled = np.fft.irfft(spectrum, 4 * samples.size) * 4
    return 20 * math.log10(float(np.max(np.abs(upsampled))))


def narrated(source: str | Path | Page, voice,
             settings: Settings) -> tuple[bytes, pipeline.Narration]:
    options = pipeline.Options()
    script = pipeline.prepare(source, settings, options)
    frames = io.BytesIO()
    narration = pipeline.narrate(script, voice, settings, options, frames)
    return narration.head + frames.getvalue(), narration


# The narration as a listener gets it. ------------------------------------------------------------

def test_the_example_mp3_is_at_the_podcast_loudness(example_mp3: Path) -> None:
    samples, rate = decoded(example_mp3.read_bytes())
    assert lufs(samples, rate) == pytest.approx(-16.0, abs=1.0)
    assert true_peak_dbtp(samples) <= -1.0


def test_every_sentence_of_the_example_is_as_loud_as_the_next(example_narration) -> None:
    narration, path = example_narration
    samples, rate = decoded(path.read_bytes())
    assert samples.size == narration.rendition.total_samples  # the decoder trims LAME's delay
    levels = [lufs(samples[start:end], rate)
              for start, end in narration.rendition.sentence_samples if end - start > rate]
    assert len(levels) >= 8
    assert max(levels) - min(levels) < 1.5, levels
    assert all(abs(level + 16.0) < 1.0 for level in levels), levels


def test_another_target_is_kept_to(voice) -> None:
    mp3, _ = narrated(Page(SHORT_ARTICLE, "text", "stdin"), voice, Settings(loudness_lufs=-23.0))
    samples, rate = decoded(mp3)
    assert lufs(samples, rate) == pytest.approx(-23.0, abs=1.0)
    assert true_peak_dbtp(samples) <= -1.0


def test_a_quiet_and_a_shouted_sentence_are_made_as_loud(voice) -> None:
    from audiobrief.model import Chapter, Script, Sentence
    from audiobrief.synthesize import synthesize_sentences

    texts = ("Quiet words.", "AND NOW A SHOUTED SENTENCE WITH MANY WORDS IN IT!",
             "A long ordinary sentence about the weather in the city this week.")
    script = Script("T", None, None, None, None, "en", (
        Chapter("T", tuple(Sentence(text, text, (), 300) for text in texts)),))
    rate = voice.spec.sample_rate_hz
    levels = [lufs(np.frombuffer(audio.pcm, dtype="<i2") / 32768, rate)
              for audio in synthesize_sentences(script, voice)]
    assert max(levels) - min(levels) < 1.0, levels
    assert all(abs(level + 16.0) < 1.0 for level in levels), levels


def test_a_sentence_made_for_another_target_is_made_again(voice) -> None:
    """The sentence cache holds levelled audio: a service whose target changed must not serve
    the sentences it made for the old one."""
    from audiobrief.model import Chapter, Script, Sentence
    from audiobrief.synthesize import SynthesisOptions, synthesize_sentences

    text = "The council met on Tuesday to discuss the budget."
    script = Script("T", None, None, None, None, "en", (
        Chapter("T", (Sentence(text, text, (), 300),)),))
    cache: dict[str, bytes] = {}

    class Cache:
        def get(self, key: str) -> bytes | None:
            return cache.get(key)

        def put(self, key: str, pcm: bytes) -> None:
            cache[key] = pcm

    rate = voice.spec.sample_rate_hz
    levels = []
    for target in (-16.0, -23.0):
        [audio] = synthesize_sentences(script, voice, SynthesisOptions(loudness_lufs=target),
                                       cache=Cache())
        levels.append(lufs(np.frombuffer(audio.pcm, dtype="<i2") / 32768, rate))
    assert levels == [pytest.approx(-16.0, abs=1.0), pytest.approx(-23.0, abs=1.0)]


@pytest.mark.parametrize("lufs_setting", ["-5", "-40", "nan"])
def test_a_target_out_of_range_is_refused(lufs_setting: str) -> None:
    settings = Settings.from_env({"AUDIOBRIEF_LOUDNESS_LUFS": lufs_setting})
    with pytest.raises(SettingsError, match="AUDIOBRIEF_LOUDNESS_LUFS=.* is not a loudness"
                                            " target from -30 to -14 LUFS"):
        pipeline.check_settings(settings)


def test_the_cli_refuses_a_bad_target_in_one_line(tmp_path: Path) -> None:
    text = tmp_path / "article.txt"
    text.write_text(SHORT_ARTICLE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "audiobrief.cli", "synth", str(text), "-o",
                           str(tmp_path / "out.mp3")], capture_output=True, text=True,
                          timeout=120, env={"AUDIOBRIEF_LOUDNESS_LUFS": "-3", "PATH": "/usr/bin",
                                            "PYTHONPATH": ":".join(sys.path)})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "audiobrief: AUDIOBRIEF_LOUDNESS_LUFS=-3 is not a loudness target from -30 to -14 LUFS"
        " (-16 for podcasts, -23 for EBU R 128 broadcast)"]
    assert not (tmp_path / "out.mp3").exists()


# The meter and the limiter on signals whose answer is known. -------------------------------------

def test_the_mp3_decodes_at_the_level_it_was_given() -> None:
    """LAME as lameenc builds it writes 0.95 of its input's level; the encoder makes up for it."""
    from audiobrief.encode import Mp3Stream

    rate = 22050
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(3 * rate) / rate)
    stream = Mp3Stream(rate)
    mp3 = stream.feed((tone * 32767).astype("<i2").tobytes()) + stream.finish()
    samples, _ = decoded(mp3)
    assert lufs(samples, rate) == pytest.approx(lufs(tone, rate), abs=0.05)


@pytest.mark.parametrize("rate_hz", [16000, 22050, 48000])
def test_a_1khz_tone_reads_its_level_less_3_db(rate_hz: int) -> None:
    """BS.1770: a 1 kHz sine's loudness is its peak level -3.01 dB (K-weighting is 0 dB there)."""
    tone = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(5 * rate_hz) / rate_hz)
    assert loudness.integrated_lufs(tone.astype(np.float32), rate_hz) == pytest.approx(
        -23.01, abs=0.1)


def test_gating_leaves_silence_out() -> None:
    rate = 22050
    tone = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(3 * rate) / rate)
    with_pauses = np.concatenate([tone, np.zeros(6 * rate), tone]).astype(np.float32)
    assert loudness.integrated_lufs(with_pauses, rate) == pytest.approx(-23.01, abs=0.2)


def test_the_true_peak_is_read_between_samples() -> None:
    """A tone at a quarter of the sample rate sampled 45° off its crest: every sample is 3 dB
    under the peak the reconstructed wave reaches."""
    samples = 0.5 * np.sin(2 * np.pi * np.arange(22050) / 4 + np.pi / 4)
    assert 20 * math.log10(np.max(np.abs(samples))) == pytest.approx(-9.03, abs=0.01)
    assert loudness.true_peak_dbtp(samples.astype(np.float32)) == pytest.approx(-6.02, abs=0.3)


def _buzz(rate_hz: int, pitch_hz: float, seconds: float) -> np.ndarray:
    """A voiced vowel's stand-in: the harmonics of `pitch_hz` up to 5 kHz, all as strong
    and in phase, so each period has one sharp peak, like a glottal pulse's."""
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    harmonics = np.arange(1, int(5000 / pitch_hz) + 1)
    wave = np.sin(2 * np.pi * pitch_hz * np.outer(t, harmonics)).sum(axis=1)
    return (0.5 * wave / np.max(np.abs(wave))).astype(np.float32)


@pytest.mark.parametrize("pitch_hz", [90.0, 120.0])
def test_the_limiter_holds_a_steady_vowel_at_a_steady_gain(pitch_hz: float) -> None:
    """The gain holds across a voice's pitch periods: a gain rising and falling with each pulse
    would be heard as a buzz, and one that swings within a steady vowel as pumping. A vowel too
    peaky for the target is lowered as a whole, its waveform kept (no clipping)."""
    rate = 22050
    vowel = _buzz(rate, pitch_hz, 2.0)
    levelling = loudness.plan([vowel], rate, -16.0)
    steady = 20 * np.log10(levelling.envelope[levelling.envelope.size // 4 :
                                              -levelling.envelope.size // 4])
    assert steady.min() < -1.0  # the limiter works on this vowel
    assert steady.max() - steady.min() < 0.1
    out = levelling.apply(vowel, 0)
    assert loudness.true_peak_dbtp(out) == pytest.approx(loudness.LIMIT_DBTP, abs=0.1)
    middle = slice(vowel.size // 4, -vowel.size // 4)

    def peak_to_loudness(samples: np.ndarray) -> float:
        return loudness.true_peak_dbtp(samples) - loudness.integrated_lufs(samples, rate)

    assert peak_to_loudness(out[middle]) == pytest.approx(peak_to_loudness(vowel[middle]),
                                                          abs=0.1)


def test_a_sentence_fed_in_blocks_is_levelled_as_one() -> None:
    """Long sentences are read a block at a time: the block edges change nothing."""
    rate = 22050
    vowel = np.concatenate([_buzz(rate, 130.0, 1.5), 0.2 * _buzz(rate, 110.0, 1.5)])
    whole = loudness.plan([vowel], rate, -16.0)
    blocks = [vowel[start : start + 4099] for start in range(0, vowel.size, 4099)]
    pieces = loudness.plan(blocks, rate, -16.0)
    assert pieces.gain == pytest.approx(whole.gain, rel=1e-4)
    np.testing.assert_allclose(pieces.envelope, whole.envelope, rtol=1e-4)
    joined = np.concatenate([pieces.apply(block, start) for block, start in
                             zip(blocks, range(0, vowel.size, 4099), strict=True)])
    np.testing.assert_allclose(joined, whole.apply(vowel, 0), rtol=1e-4, atol=1e-6)


def test_silence_is_left_silent() -> None:
    levelling = loudness.plan([np.zeros(22050, dtype=np.float32)], 22050, -16.0)
    assert levelling.gain == 1.0
