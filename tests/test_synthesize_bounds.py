"""One run of the voice is bounded by the phonemes it is given, not by characters.

A run's memory follows the audio it makes: a word espeak spells out letter by letter or a
number read digit by digit says many phonemes in few characters. Each hostile text below is
scripted as the service scripts it and spoken by the real voice in a child process running two
pieces at once (as on 2 cores); its peak resident size is read around the synthesis.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from audiobrief.synthesize import MAX_RUN_IDS, _runs, run_limit

PEAK_BOUND_MB = 300
"""Above the idle process with the voice loaded and warmed up (the issue's bound)."""

_CHILD = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path

    from audiobrief import pipeline
    from audiobrief.model import Page
    from audiobrief.settings import Settings
    from audiobrief.synthesize import SynthesisOptions, synthesize_sentences
    from audiobrief.voices import Voice

    def hwm_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024

    text, sentences, speed, lexicon = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    voice = Voice.load(concurrency=2)
    # An ordinary article first, long enough that its language is detected: the idle process has
    # its detector loaded, as a service has at start.
    warm = Page("Ready.\\n\\nReady to go, all of us, at once, when the trams run again on the"
                " avenue and the lights come back on in the evening after the repair crews"
                " worked through the night.", "text", "stdin")
    for _ in synthesize_sentences(pipeline.prepare(warm, Settings(), pipeline.Options()), voice):
        pass
    idle = hwm_mb()
    options = pipeline.Options(speed=speed, lexicon_entries=lexicon)
    script = pipeline.prepare(Page(text, "text", "stdin"), Settings(), options)
    chosen = list(script.sentences)[:sentences]
    seconds = 0.0
    started = time.monotonic()
    for audio in synthesize_sentences(script, voice, SynthesisOptions(speed, 2)):
        seconds += audio.speech_samples / voice.spec.sample_rate_hz
        if audio.index + 1 >= len(chosen):
            break
    print(json.dumps({"idle_mb": idle, "peak_mb": hwm_mb(),
                      "spoken": [s.spoken for s in chosen], "speech_s": seconds,
                      "took_s": time.monotonic() - started}))
""")


def _speak_in_child(text: str, sentences: int, speed: float = 1.0, lexicon: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, text, str(sentences), str(speed),
                           lexicon],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


LONG_ENTRY = "zork\t" + "ˈɑː" * 66 + "\tthe longest pronunciation a lexicon entry may have\n"

# (text, sentences spoken, speed, least seconds of speech per word of the sentences spoken,
#  lexicon entries posted with it)
HOSTILE = {
    # 5,000 nines: sentences of fifteen pieces, each 28 "nine"s.
    "5,000-digit number": ("Numbers\n\nIt costs " + "9" * 5000 + " dollars.", 4, 1.0, 0.2, ""),
    # One word of 100,000 letters, cut into pieces of 200 characters.
    "100k-character word": ("Word\n\n" + "a" * 100_000, 8, 1.0, 0.5, ""),
    # Letters espeak spells one by one: 140 characters made 1,195 phoneme ids in one run.
    "spelled letters": ("Spelled\n\n" + "XKCD QWRTZ " * 60, 3, 1.0, 1.0, ""),
    # A word the posted lexicon says as 198 phoneme characters, 300 times.
    "long phoneme blocks": ("Block\n\n" + "zork " * 300, 2, 1.0, 2.0, LONG_ENTRY),
    # One 4,000-character sentence without a comma, spoken slowly.
    "4,000-character sentence at a quarter speed": (
        "Long sentence test\n\n" + "word " * 800 + ".", 2, 0.25, 0.3, ""),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_stays_within_the_memory_bound_and_is_all_said(name: str) -> None:
    text, sentences, speed, least_s_per_word, lexicon = HOSTILE[name]
    result = _speak_in_child(text, sentences, speed, lexicon)
    grown = result["peak_mb"] - result["idle_mb"]
    assert grown <= PEAK_BOUND_MB, f"{name}: peak {grown:.0f} MB above idle"
    words = sum(len(spoken.split()) for spoken in result["spoken"])
    # Every word said: nothing is dropped where a run is cut (a dropped run is seconds short).
    assert result["speech_s"] >= words * least_s_per_word, result


def test_runs_are_bounded_and_lose_no_phoneme(voice) -> None:
    id_map = voice.piper.config.phoneme_id_map
    space = id_map[" "][0]

    def pairs_but_spaces(ids: list[int]) -> list[int]:
        body = ids[2:-1]  # BOS and its pad, EOS: each phoneme is an id and a pad
        return [i for n in range(0, len(body), 2) if body[n] != space for i in body[n:n + 2]]

    for text in ["XKCD QWRTZ " * 13, "[[ " + "ɑː" * 900 + " ]]", "nine " * 200]:
        for phonemes in voice.piper.phonemize(text):
            runs = list(_runs(phonemes, id_map, MAX_RUN_IDS))
            assert len(runs) > 1
            assert all(len(run) <= MAX_RUN_IDS for run in runs)
            # The runs' phonemes end to end are the sentence's, but for spaces where it was cut.
            joined = [i for run in runs for i in pairs_but_spaces(run)]
            assert joined == pairs_but_spaces(voice.piper.phonemes_to_ids(phonemes))


def test_ordinary_pieces_are_one_run_each_as_piper_gives_them(voice) -> None:
    id_map = voice.piper.config.phoneme_id_map
    piece = ("[[ sɪnjɛhˈuːbɔv ]] said at a press conference that Ukrainian authorities are "
             "still investigating the origin of the missiles Russia used")
    for phonemes in voice.piper.phonemize(piece):
        assert list(_runs(phonemes, id_map, run_limit(1.0))) == [
            voice.piper.phonemes_to_ids(phonemes)]


def test_slower_speech_gets_shorter_runs() -> None:
    assert run_limit(1.0) == run_limit(2.0) == MAX_RUN_IDS
    assert run_limit(0.5) == MAX_RUN_IDS // 2
    assert run_limit(0.25) == MAX_RUN_IDS // 4
