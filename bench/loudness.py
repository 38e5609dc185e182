"""Loudness of the example pages' MP3s as a listener's player decodes them.

    python bench/loudness.py [--lufs -16] [--bitrate 64] [--page PAGE.html ...]
    python bench/loudness.py --mp3 A.mp3 B.mp3      (files made elsewhere, e.g. by another checkout)

Each page is narrated in this process by the default voice (pages no installed voice reads are
skipped), its MP3 decoded with miniaudio and measured: integrated loudness (BS.1770-4) by
audiobrief's meter and, where installed, by pyloudnorm; true peak (4x oversampled); and the
spread of the sentences' loudness (loudest less quietest, sentences over a second). The cost:
the seconds the narration took, and what levelling each sentence (`loudness.plan` and `apply`)
takes again on the same audio, as a share of them.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "tests/fixtures").glob("*.html"))


def decode(mp3: bytes) -> tuple[np.ndarray, int]:
    import miniaudio

    sound = miniaudio.mp3_read_f32(mp3)
    return np.frombuffer(sound.samples, dtype=np.float32), sound.sample_rate


def pyloudnorm_lufs(samples: np.ndarray, rate_hz: int) -> float | None:
    try:
        import pyloudnorm
    except ImportError:
        return None
    return float(pyloudnorm.Meter(rate_hz).integrated_loudness(samples.astype(np.float64)))


def measure(name: str, mp3: bytes, spans: tuple[tuple[int, int], ...] = (),
            seconds_taken: float | None = None, levelling_s: float | None = None) -> None:
    from audiobrief import loudness

    samples, rate = decode(mp3)
    theirs = pyloudnorm_lufs(samples, rate)
    levels = [loudness.integrated_lufs(samples[start:end], rate)
              for start, end in spans if end - start > rate]
    spread = f"{max(levels) - min(levels):6.2f}" if levels else "     -"
    share = (f"{levelling_s / seconds_taken:.1%}" if seconds_taken and levelling_s is not None
             else "-")
    print(f"{name[:36]:36} {samples.size / rate:6.1f} "
          f"{loudness.integrated_lufs(samples, rate):8.2f} "
          f"{'-' if theirs is None else f'{theirs:.2f}':>10} "
          f"{loudness.true_peak_dbtp(samples):7.2f} {spread} "
          f"{'-' if seconds_taken is None else f'{seconds_taken:.1f}':>7} "
          f"{'-' if levelling_s is None else f'{levelling_s:.3f}':>10} {share:>6}")


def levelling_seconds(pcm: bytes, rate_hz: int, spans: tuple[tuple[int, int], ...],
                      target_lufs: float) -> float:
    """The time levelling every sentence of `pcm` takes, as synthesis levels it."""
    from audiobrief import loudness

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768
    started = time.perf_counter()
    for start, end in spans:
        sentence = samples[start:end]
        loudness.plan([sentence], rate_hz, target_lufs).apply(sentence, 0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lufs", type=float, default=None, help="AUDIOBRIEF_LOUDNESS_LUFS")
    parser.add_argument("--bitrate", type=int, default=None, help="AUDIOBRIEF_BITRATE_KBPS")
    parser.add_argument("--page", type=Path, action="append", help="a page (default: all"
                        " of tests/fixtures)")
    parser.add_argument("--mp3", type=Path, nargs="+", help="measure these files instead")
    args = parser.parse_args()

    print(f"{'page':36} {'audio s':>6} {'LUFS':>8} {'pyloudnorm':>10} {'dBTP':>7} "
          f"{'spread':>6} {'synth s':>7} {'levelling':>10} {'share':>6}")
    if args.mp3:
        for path in args.mp3:
            measure(path.name, path.read_bytes())
        return

    from audiobrief import pipeline
    from audiobrief.errors import AudiobriefError
    from audiobrief.settings import Settings
    from audiobrief.voices import Voice

    settings = Settings().replace(loudness_lufs=args.lufs, bitrate_kbps=args.bitrate)
    pipeline.check_settings(settings)
    options = pipeline.Options()
    voices: dict[str, Voice] = {}
    for page in args.page or PAGES:
        try:
            script = pipeline.prepare(page, settings, options)
        except AudiobriefError as error:
            print(f"{page.name[:36]:36} skipped: {error}")
            continue
        name = pipeline.voice_spec(settings, options, script.language).name
        voice = voices.get(name) or voices.setdefault(name, Voice.load(name, settings.voices))
        frames = io.BytesIO()
        started = time.perf_counter()
        narration = pipeline.narrate(script, voice, settings, options, frames, keep_pcm=True)
        taken = time.perf_counter() - started
        rendition = narration.rendition
        measure(page.name, narration.head + frames.getvalue(), rendition.sentence_samples,
                taken, levelling_seconds(rendition.pcm, rendition.sample_rate_hz,
                                         rendition.sentence_samples, settings.loudness_lufs))


if __name__ == "__main__":
    main()
