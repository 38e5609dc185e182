"""Float speech → speech at a loudness target: ITU-R BS.1770-4 loudness and true peak, and a
look-ahead limiter, a sentence at a time, so a stream is as loud as the finished file."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from audiobrief.errors import SettingsError
from audiobrief.settings import DEFAULT_LOUDNESS_LUFS

DEFAULT_LUFS = DEFAULT_LOUDNESS_LUFS
"""The target unless one is chosen (AUDIOBRIEF_LOUDNESS_LUFS)."""
MIN_LUFS, MAX_LUFS = -30.0, -14.0
"""The targets accepted: louder than the loudest any platform asks for (-14) cannot keep its
peaks under CEILING_DBTP without flattening the voice; quieter is lost under a street's noise."""
CEILING_DBTP = -1.0
"""Highest true peak of the decoded MP3 (AES TD1004, EBU R 128 s1)."""
LIMIT_DBTP = -2.5
"""Highest true peak the limiter lets through: below CEILING_DBTP by what the MP3 encoder's band
limit adds to peaks at 48 kbps and up (at 40 and under it adds more than a decibel)."""
OVERSAMPLING = 4
"""True peak is read at four times the sample rate, as BS.1770-4 Annex 2 asks."""
SILENT_LUFS = -70.0
"""BS.1770's absolute gate: a sentence no louder than this is silence and is left as it is."""
MAX_GAIN_DB = 40.0
"""The most a sentence is raised: a voice this quiet is a fault, not to be amplified into noise."""

CHUNK = 16
"""Samples over which the limiter's gain is planned (under a millisecond at any voice's rate)."""
LOOKAHEAD_S = 0.003
"""How far ahead of a peak the limiter starts lowering the gain: a ramp, not a click."""
HOLD_S = 0.010
"""How long the limiter holds its lowest gain after a peak: longer than a low voice's pitch
period, so the gain does not ripple with each glottal pulse (heard as a buzz)."""
RELEASE_DB_PER_S = 150.0
"""How fast the gain recovers after a peak: smooth across a syllable, yet fast enough that a
word's peak does not push the next word down (a slower release lowers the whole sentence, and
its gain must then rise, which makes the limiter take still more)."""
MAX_MAKEUP_DB = 8.0
"""The most a sentence is raised beyond its loudness's gain to make up for what the limiter
takes: a sentence that needs more is all peaks (a click) and stays a little quieter."""
_STEP_S = 0.1
"""BS.1770's 400 ms gating blocks overlap by 75 %: energies are kept per 100 ms step."""
_STEPS_PER_BLOCK = 4
_ROUNDS = 6
"""Gains tried at most for a sentence, the first its loudness's, each later nearer the target."""
_PHASE_TAPS = 16
"""Taps of each phase of the 4× interpolator (a Kaiser-windowed sinc)."""


def check_target(lufs: float) -> None:
    """Refuse a loudness target no narration should have (SettingsError)."""
    if not MIN_LUFS <= lufs <= MAX_LUFS:
        raise SettingsError(
            f"AUDIOBRIEF_LOUDNESS_LUFS={lufs:g} is not a loudness target from {MIN_LUFS:g} to"
            f" {MAX_LUFS:g} LUFS (-16 for podcasts, -23 for EBU R 128 broadcast)")


@dataclass(frozen=True, slots=True)
class Levelling:
    """How one sentence is brought to the target: a gain, and the limiter's gain per CHUNK."""

    gain: float
    envelope: np.ndarray
    """The limiter's gain (at most 1) of each CHUNK samples, in order."""

    def apply(self, block: np.ndarray, start: int) -> np.ndarray:
        """`block` (the sentence's samples from `start` on) levelled, as float32."""
        first = max(start // CHUNK - 1, 0)
        chunks = np.arange(first, min((start + block.size) // CHUNK + 2, self.envelope.size))
        positions = np.arange(start, start + block.size, dtype=np.float64)
        gains = np.interp(positions, chunks * CHUNK + (CHUNK - 1) / 2,
                          self.envelope[chunks]) * self.gain
        return (block * gains).astype(np.float32)


def plan(blocks: Iterable[np.ndarray], rate_hz: int, target_lufs: float) -> Levelling:
    """The levelling that brings a sentence (its samples in blocks, end to end) to
    `target_lufs` with no true peak above LIMIT_DBTP.

    The gain comes from the sentence's own gated loudness, so each sentence is heard at the same
    level and any run of them (a stream cut anywhere) integrates to the target; it is then raised
    by what the limiter takes, which is estimated from the K-weighted energy of each CHUNK and
    the limiter's gain there, and found by the secant method, as the limiter takes more the
    higher the gain.
    """
    meter, peaks = Meter(rate_hz), _PeakMeter()
    for block in blocks:
        meter.feed(block)
        peaks.feed(block)
    chunk_peaks = peaks.finish()
    sums, counts = meter.steps()
    loudness = _gated(sums, counts)
    limit = 10 ** (LIMIT_DBTP / 20)
    if loudness <= SILENT_LUFS or chunk_peaks.size == 0:
        return Levelling(1.0, _envelope(chunk_peaks, limit, rate_hz)
                         if chunk_peaks.size else np.ones(1))
    chunk_energy = meter.chunk_energies()
    step_of_chunk = np.minimum(np.arange(chunk_energy.size) * CHUNK // meter.step, sums.size - 1)
    step_energy = np.bincount(step_of_chunk, weights=chunk_energy, minlength=sums.size)
    step_energy[step_energy == 0] = 1.0

    def shortfall(gain_db: float) -> tuple[float, np.ndarray]:
        """How far under the target the sentence is at `gain_db` once limited; the limiter."""
        gain = 10 ** (gain_db / 20)
        envelope = _envelope(chunk_peaks * gain, limit, rate_hz)
        kept = np.bincount(step_of_chunk, weights=chunk_energy * envelope**2,
                           minlength=sums.size) / step_energy
        return target_lufs - _gated(sums * gain**2 * kept, counts), envelope

    most_db = min(target_lufs - loudness + MAX_MAKEUP_DB, MAX_GAIN_DB)
    tried = [min(target_lufs - loudness, most_db)]
    short, envelope = shortfall(tried[0])
    shorts = [short]
    while abs(short) > 0.05 and len(tried) < _ROUNDS:
        step = short
        if len(tried) > 1 and shorts[-2] - short > 1e-3:
            step = short * (tried[-1] - tried[-2]) / (shorts[-2] - short)
        gain_db = min(tried[-1] + step, most_db)
        if gain_db == tried[-1]:
            break
        short, envelope = shortfall(gain_db)
        tried.append(gain_db)
        shorts.append(short)
    return Levelling(10 ** (tried[-1] / 20), envelope)


class _Sums:
    """The sums of consecutive groups of `size` values of a stream fed a block at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._sums: list[np.ndarray] = []
        self._partial = 0.0
        self._partial_count = 0

    def feed(self, values: np.ndarray) -> None:
        start = 0
        if self._partial_count:
            start = min(self.size - self._partial_count, values.size)
            self._partial += float(values[:start].sum())
            self._partial_count += start
            if self._partial_count < self.size:
                return
            self._sums.append(np.array([self._partial]))
            self._partial, self._partial_count = 0.0, 0
        whole = (values.size - start) // self.size * self.size
        self._sums.append(values[start : start + whole].reshape(-1, self.size).sum(axis=1))
        rest = values[start + whole :]
        self._partial, self._partial_count = float(rest.sum()), rest.size

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Each group's sum and its count of values, the last group perhaps partial."""
        sums = np.concatenate([*self._sums, np.array([self._partial])[: self._partial_count]])
        counts = np.full(sums.size, float(self.size))
        if self._partial_count:
            counts[-1] = self._partial_count
        return sums, counts


class Meter:
    """The BS.1770-4 loudness of a mono signal fed a block at a time."""

    def __init__(self, rate_hz: int) -> None:
        self.step = round(rate_hz * _STEP_S)
        self._filter = _KWeighted(rate_hz)
        self._steps = _Sums(self.step)
        self._chunks = _Sums(CHUNK)

    def feed(self, block: np.ndarray) -> None:
        squares = self._filter(block.astype(np.float64)) ** 2
        self._steps.feed(squares)
        self._chunks.feed(squares)

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """The K-weighted energy (sum of squares) of each 100 ms step and its sample count, the
        last step perhaps partial."""
        return self._steps.totals()

    def chunk_energies(self) -> np.ndarray:
        """The K-weighted energy of each CHUNK samples."""
        return self._chunks.totals()[0]

    def loudness(self) -> float:
        """Integrated loudness (LUFS) of all fed so far; -inf for silence."""
        return _gated(*self.steps())


def integrated_lufs(samples: np.ndarray, rate_hz: int) -> float:
    """BS.1770-4 integrated loudness of a whole mono signal (float, full scale 1.0)."""
    meter = Meter(rate_hz)
    for start in range(0, samples.size, 1 << 16):
        meter.feed(samples[start : start + (1 << 16)])
    return meter.loudness()


def true_peak_dbtp(samples: np.ndarray) -> float:
    """BS.1770-4 true peak (4× oversampled) of a whole mono signal, in dBTP."""
    peaks = _PeakMeter()
    for start in range(0, samples.size, 1 << 16):
        peaks.feed(samples[start : start + (1 << 16)])
    peak = float(peaks.finish().max(initial=0.0))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def _gated(sums: np.ndarray, counts: np.ndarray) -> float:
    """Gated loudness from 100 ms step energies (each step's sum of squares and its samples,
    only the last step partial): 400 ms blocks every 100 ms, the absolute gate at -70 LUFS, the
    relative one 10 LU under the mean of those left. A signal shorter than one block is
    measured whole."""
    whole = int(np.count_nonzero(counts == counts.max(initial=0))) if counts.size > 1 else 0
    if whole >= _STEPS_PER_BLOCK:
        blocks = np.convolve(sums[:whole], np.ones(_STEPS_PER_BLOCK), "valid") / (
            _STEPS_PER_BLOCK * counts[0])
    else:
        total = float(counts.sum())
        blocks = np.array([float(sums.sum()) / total if total else 0.0])
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(blocks)
    audible = blocks[levels > SILENT_LUFS]
    if audible.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(audible.mean())) - 10
    gated = blocks[(levels > SILENT_LUFS) & (levels > relative)]
    return -0.691 + 10 * math.log10(float(gated.mean()))


def _envelope(peaks: np.ndarray, limit: float, rate_hz: int) -> np.ndarray:
    """The limiter's gain per chunk for chunks whose true peaks are `peaks`: every chunk's
    peak at most `limit`."""
    need = np.minimum(1.0, limit / np.maximum(peaks, 1e-12))
    return _follow(need, LOOKAHEAD_S, HOLD_S, RELEASE_DB_PER_S, CHUNK / rate_hz)


def _follow(need: np.ndarray, attack_s: float, hold_s: float, release_db_per_s: float,
            chunk_s: float) -> np.ndarray:
    """A smooth gain per chunk never above `need` there: lowered over `attack_s` before a dip,
    held for `hold_s` after it, recovering at `release_db_per_s`, and smoothed so that the
    gains of a chunk's neighbours are under its need too (the gain between chunk centres is
    interpolated)."""
    if need.min() >= 1.0:
        return need
    ahead = max(2, round(attack_s / chunk_s))
    behind = ahead + round(hold_s / chunk_s)
    padded = np.pad(need, (behind, ahead), constant_values=1.0)
    lowest = np.lib.stride_tricks.sliding_window_view(padded, behind + ahead + 1).min(axis=1)
    # Recovery at a constant rate in dB: the lowest of every earlier gain plus its recovery.
    index = np.arange(lowest.size)
    step_db = release_db_per_s * chunk_s
    lowest_db = 20 * np.log10(lowest)
    released_db = np.minimum(np.minimum.accumulate(lowest_db - step_db * index)
                             + step_db * index, 0.0)
    released = 10 ** (released_db / 20)
    # A centred mean over fewer chunks than `ahead` on each side: every gain it averages was
    # already lowered for this chunk's need and for its neighbours'.
    half = ahead - 1
    sums = np.cumsum(np.pad(released, (half + 1, half), mode="edge"))
    return np.asarray((sums[2 * half + 1 :] - sums[: -2 * half - 1]) / (2 * half + 1))


class _KWeighted:
    """BS.1770's K-weighting over a signal fed a block at a time: its impulse response as a
    long FIR filter, overlap-added by FFT (numpy has no recursive filter)."""

    def __init__(self, rate_hz: int) -> None:
        self._rate_hz = rate_hz
        self._tail = np.zeros(_k_weighting(rate_hz).size - 1)

    def __call__(self, block: np.ndarray) -> np.ndarray:
        length = block.size + self._tail.size
        size = 1 << (length - 1).bit_length()
        out = np.fft.irfft(np.fft.rfft(block, size) * _k_spectrum(self._rate_hz, size),
                           size)[:length]
        out[: self._tail.size] += self._tail
        self._tail = out[block.size :].copy()
        return out[: block.size]


@functools.lru_cache(maxsize=16)
def _k_spectrum(rate_hz: int, size: int) -> np.ndarray:
    return np.fft.rfft(_k_weighting(rate_hz), size)


@functools.cache
def _k_weighting(rate_hz: int) -> np.ndarray:
    """The impulse response of BS.1770's K-weighting (its high shelf, then its high-pass),
    derived for `rate_hz` from the filters' analogue parameters as libebur128 does; long
    enough for both filters' ringing to die out."""
    k = math.tan(math.pi * 1681.974450955533 / rate_hz)
    q = 0.7071752369554196
    vh = 10 ** (3.999843853973347 / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]) / a0
    shelf_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    k = math.tan(math.pi * 38.13547087602444 / rate_hz)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    pass_b = np.array([1.0, -2.0, 1.0])
    pass_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    size = 1 << math.ceil(math.log2(rate_hz / 2))
    delay = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)
    response = (np.polyval(shelf_b[::-1], delay) * np.polyval(pass_b[::-1], delay)
                / (np.polyval(shelf_a[::-1], delay) * np.polyval(pass_a[::-1], delay)))
    return np.fft.irfft(response, size)


@functools.cache
def _interpolator() -> np.ndarray:
    """The four phases (rows) of a 4× interpolating low-pass: row p gives the signal a quarter
    sample times p after the input's, _PHASE_TAPS / 2 samples late."""
    span = OVERSAMPLING * _PHASE_TAPS
    n = np.arange(span + 1)
    taps = np.sinc((n - span / 2) / OVERSAMPLING) * np.kaiser(span + 1, 8.0)
    phases = np.zeros((OVERSAMPLING, _PHASE_TAPS + 1))
    for phase in range(OVERSAMPLING):
        row = taps[phase::OVERSAMPLING]
        phases[phase, : row.size] = row / row.sum()
    return phases.astype(np.float32)


class _PeakMeter:
    """The 4×-oversampled peak of each CHUNK samples of a signal fed a block at a time."""

    def __init__(self) -> None:
        self._history = np.zeros(_PHASE_TAPS, dtype=np.float32)
        self._early = _PHASE_TAPS // 2
        """Interpolated values before the first sample still to come: their peak goes to the
        first chunk."""
        self._early_peak = 0.0
        self._pending = np.zeros(0, dtype=np.float32)
        self._chunks: list[np.ndarray] = []
        self._fed = 0

    def feed(self, block: np.ndarray) -> None:
        signal = np.concatenate([self._history, block.astype(np.float32)])
        self._history = signal[-_PHASE_TAPS:]
        self._fed += block.size
        peaks = np.abs(np.convolve(signal, _interpolator()[0], "valid"))
        for phase in _interpolator()[1:]:
            np.maximum(peaks, np.abs(np.convolve(signal, phase, "valid")), out=peaks)
        if self._early:
            early, peaks = peaks[: self._early], peaks[self._early :]
            self._early -= early.size
            self._early_peak = max(self._early_peak, float(early.max(initial=0.0)))
            if self._early or peaks.size == 0:
                return
            peaks[0] = max(peaks[0], self._early_peak)
        pending = np.concatenate([self._pending, peaks])
        whole = pending.size // CHUNK * CHUNK
        if whole:
            self._chunks.append(pending[:whole].reshape(-1, CHUNK).max(axis=1))
        self._pending = pending[whole:]

    def finish(self) -> np.ndarray:
        """The peak of every chunk (the last one perhaps shorter), once all is fed."""
        if self._fed == 0:
            return np.zeros(0)
        fed = self._fed
        self.feed(np.zeros(_PHASE_TAPS // 2, dtype=np.float32))
        last = [self._pending.max(keepdims=True)] if self._pending.size else []
        return np.concatenate([*self._chunks, *last]).astype(np.float64)[: -(-fed // CHUNK)]
