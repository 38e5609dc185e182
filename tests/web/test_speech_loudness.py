"""A speech streamed by /v1/audio/speech is as loud as a finished narration: each sentence is
brought to the target as it is made, so the stream cannot differ from the file."""

from __future__ import annotations

import pytest

from tests.test_loudness import SHORT_ARTICLE, decoded, lufs, true_peak_dbtp


@pytest.mark.parametrize("target", [-16.0, -19.0])
def test_a_streamed_speech_lands_on_the_target(make_client, target: float) -> None:
    client = make_client(loudness_lufs=target)
    response = client.post("/v1/audio/speech", json={"input": SHORT_ARTICLE, "voice": "alloy"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"
    samples, rate = decoded(response.content)
    assert samples.size > 5 * rate
    assert lufs(samples, rate) == pytest.approx(target, abs=1.0)
    assert true_peak_dbtp(samples) <= -1.0
