"""Word times survive the job table, and timings stored before them stay readable."""

from __future__ import annotations

import msgspec

from audiobrief.model import Rendition
from audiobrief.service.backends import _rendition_decoder


def test_word_times_are_kept_with_the_timings() -> None:
    rendition = Rendition(22050, ((0, 900), (1200, 2000)), length_samples=2500,
                          word_samples=(((10, 400), (450, 880)), ((1210, 1990),)))
    stored = msgspec.json.encode(rendition.without_pcm())
    assert _rendition_decoder.decode(stored).word_samples == rendition.word_samples


def test_timings_stored_before_word_times_are_read_without_them() -> None:
    old = b'{"sample_rate_hz":22050,"sentence_samples":[[0,900]],"pcm":"","length_samples":900}'
    rendition = _rendition_decoder.decode(old)
    assert rendition.sentence_samples == ((0, 900),) and rendition.word_samples == ()
