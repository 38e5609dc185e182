"""The site lexicon's API end to end: the real app, the real voice and phonemizer, real SQLite;
what an article is said with is read back from its stored script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import wait_done

KEY = "desk-key"
KEYED = {"X-API-Key": KEY}
VOWEL = re.compile("[aæɑɐɒəɛeɪiɔoʊuʌɜ]+ː?")
NEWS = ("Kuleba in Kyiv\n\nDmytro Kuleba met reporters on Friday. The weather was calm."
        " Officials said little more.")
WEATHER = "Weather notes\n\nIt rained in the capital today. It will be dry tomorrow."


def _script(client: Any, article_id: str) -> Any:
    """The article's stored script: what its audio says, word for word."""
    record = client.app.state.service.record(article_id)
    assert record is not None
    return record.script


def _said(client: Any, article_id: str, word: str) -> list[tuple[str, str]]:
    """(phonemes, source) of every decision about `word` in the article's script."""
    return [(p.phonemes, p.source) for s in _script(client, article_id).sentences
            for p in s.pronunciations if p.word.startswith(word)]


def _post(client: Any, text: str, **fields: Any) -> str:
    response = client.post("/v1/articles", json={"text": text, **fields}, headers=KEYED)
    assert response.status_code in (200, 202), response.text
    return str(response.json()["id"])


def test_an_entry_in_phonemes_is_stored_listed_and_survives_a_restart(make_client,
                                                                      tmp_path) -> None:
    data = tmp_path / "kept"
    client = make_client(data=data)
    created = client.put("/v1/lexicon/Kuleba", json={"phonemes": "kulˈɛbɐ", "note": "minister"})
    assert created.status_code == 201, created.text
    assert created.json()["phonemes"] == "kulˈɛbɐ"
    replaced = client.put("/v1/lexicon/Kuleba", json={"phonemes": "kuːlˈɛbɑː"})
    assert replaced.status_code == 200
    client.put("/v1/lexicon/Sybiha", json={"respelling": "sih-BEE-hah", "note": "minister"})
    client.put("/v1/lexicon/Bila Tserkva", json={"respelling": "BEE-lah TSERK-vah"})

    listed = client.get("/v1/lexicon").json()
    assert [entry["word"] for entry in listed["entries"]] == ["Bila Tserkva", "Kuleba", "Sybiha"]
    assert listed["total"] == 3
    found = client.get("/v1/lexicon", params={"q": "sybi"}).json()
    assert [entry["word"] for entry in found["entries"]] == ["Sybiha"]
    by_note = client.get("/v1/lexicon", params={"q": "minister"}).json()
    assert by_note["total"] == 1  # the replaced entry's note went with it
    paged = client.get("/v1/lexicon", params={"per_page": 2, "page": 2}).json()
    assert [entry["word"] for entry in paged["entries"]] == ["Sybiha"]

    client.__exit__(None, None, None)
    again = make_client(data=data)
    entry = again.get("/v1/lexicon/kuleba")  # looked up as lexicons look up: any case
    assert entry.status_code == 200
    assert entry.json()["phonemes"] == "kuːlˈɛbɑː"
    assert again.get("/v1/lexicon/Nobody").status_code == 404
    assert again.delete("/v1/lexicon/Kuleba").status_code == 204
    assert again.delete("/v1/lexicon/Kuleba").status_code == 204
    assert again.get("/v1/lexicon/Kuleba").status_code == 404


@pytest.mark.parametrize(("respelling", "stressed_vowel", "vowels_before"), [
    ("koo-LEH-bah", "ɛ", 1),
    ("KOO-leh-bah", "uː", 0),
    ("sih-BEE-hah", "iː", 1),
], ids=["second syllable", "first syllable", "another name"])
def test_a_respelling_puts_the_stress_on_the_capitals(make_client, respelling: str,
                                                      stressed_vowel: str,
                                                      vowels_before: int) -> None:
    client = make_client()
    response = client.put("/v1/lexicon/Kuleba", json={"respelling": respelling})
    assert response.status_code == 201, response.text
    phonemes = response.json()["phonemes"]
    assert response.json()["respelling"] == respelling
    assert phonemes.count("ˈ") == 1
    before, after = phonemes.split("ˈ")
    assert len(VOWEL.findall(before)) == vowels_before
    assert after.startswith(stressed_vowel)  # the mark stands before its vowel, as espeak's
    assert len(VOWEL.findall(phonemes)) == 3


def test_plain_english_spelling_is_said_as_the_voice_would_say_it(make_client) -> None:
    client = make_client()
    response = client.put("/v1/lexicon/Kyiv", json={"respelling": "keev"})
    assert response.status_code == 201
    assert response.json()["phonemes"] == "kˈiːv"


@pytest.mark.parametrize(("body", "field"), [
    ({"phonemes": "kuleba X"}, "phonemes"),
    ({"respelling": "--"}, "respelling"),
    ({"phonemes": "kˈuː", "respelling": "koo"}, "phonemes"),
    ({}, "phonemes"),
], ids=["phoneme the voice lacks", "respelling without letters", "both", "neither"])
def test_an_entry_the_voice_cannot_say_is_refused_naming_the_field(make_client, body,
                                                                  field: str) -> None:
    client = make_client()
    response = client.put("/v1/lexicon/Kuleba", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["field"] == field
    assert problem["status"] == 400
    assert client.get("/v1/lexicon/Kuleba").status_code == 404


def test_bounds_and_keys(make_client) -> None:
    client = make_client(api_keys=(KEY,))
    assert client.put("/v1/lexicon/Kuleba", json={"phonemes": "kˈuː"}).status_code == 401
    assert client.put("/v1/lexicon/Kuleba", json={"phonemes": "kˈuː"},
                      headers=KEYED).status_code == 201
    assert client.delete("/v1/lexicon/Kuleba").status_code == 401
    assert client.post("/v1/lexicon/Kuleba/apply").status_code == 401
    assert client.get("/v1/lexicon/Kuleba").status_code == 200  # reading needs no key
    too_long = client.put("/v1/lexicon/" + "a" * 101, json={"phonemes": "kˈuː"}, headers=KEYED)
    assert too_long.status_code == 400
    assert too_long.json()["field"] == "word"
    long_phonemes = client.put("/v1/lexicon/Kuleba", json={"phonemes": "a" * 401},
                               headers=KEYED)
    assert long_phonemes.status_code == 400
    client.app.state.service.site_lexicon.max_entries = 2
    assert client.put("/v1/lexicon/Sybiha", json={"phonemes": "sɪbˈiːhɑː"},
                      headers=KEYED).status_code == 201
    full = client.put("/v1/lexicon/Syrskyi", json={"phonemes": "sˈɪɹskɪj"}, headers=KEYED)
    assert full.status_code == 409
    assert "limit" in full.json()["detail"]
    # Replacing a word is not a new entry.
    assert client.put("/v1/lexicon/Sybiha", json={"phonemes": "sɪbˈɪhɑː"},
                      headers=KEYED).status_code == 200


def test_the_site_beats_the_built_in_lexicon_and_a_request_beats_the_site(make_client) -> None:
    client = make_client(api_keys=(KEY,))
    text = "Morning notes\n\nKharkiv was quiet."
    built_in = _said(client, _post(client, text), "Kharkiv")
    assert built_in and {source for _, source in built_in} == {"lexicon"}

    site = client.put("/v1/lexicon/Kharkiv", json={"respelling": "HAR-kiv"}, headers=KEYED)
    assert site.status_code == 201
    site_phonemes = site.json()["phonemes"]
    assert site_phonemes != built_in[0][0]
    said = _said(client, _post(client, text), "Kharkiv")
    assert said == [(site_phonemes, "site")]  # a new request, no restart

    requested = _said(client, _post(client, text, lexicon={"Kharkiv": "xˈɑːrkiv"}), "Kharkiv")
    assert requested == [("xˈɑːrkiv", "user")]

    client.delete("/v1/lexicon/Kharkiv", headers=KEYED)
    assert _said(client, _post(client, text), "Kharkiv") == built_in


def test_applying_a_change_remakes_only_the_articles_and_sentences_that_say_the_word(
        make_client) -> None:
    client = make_client(api_keys=(KEY,))
    service = client.app.state.service
    news = _post(client, NEWS, url="https://news.example/kuleba")
    weather = _post(client, WEATHER, url="https://news.example/weather")
    for article_id in (news, weather):
        assert wait_done(client, article_id)["status"] == "done"
    before = _script(client, news)
    cached = _sentence_files(service.settings.data)

    entry = client.put("/v1/lexicon/Kuleba", json={"respelling": "koo-LEH-bah"}, headers=KEYED)
    applied = client.post("/v1/lexicon/Kuleba/apply", headers=KEYED)
    assert applied.status_code == 202, applied.text
    remade = applied.json()["remade"]
    assert [item["was"] for item in remade] == [news]
    assert remade[0]["id"] != news and remade[0]["new"] is True
    # The headline and the sentence that names him; the other two are unchanged.
    assert remade[0]["sentences"] == 2
    assert wait_done(client, remade[0]["id"])["status"] == "done"

    after = _script(client, remade[0]["id"])
    phonemes = entry.json()["phonemes"]
    for old, new in zip(before.sentences, after.sentences, strict=True):
        if "Kuleba" in old.text:
            assert f"{phonemes}" in new.spoken and phonemes not in old.spoken
            assert ("Kuleba", phonemes, "site") in [(p.word, p.phonemes, p.source)
                                                   for p in new.pronunciations]
        else:
            assert new.spoken == old.spoken
    # Only the two changed sentences were synthesised: the others came from the cache.
    assert _sentence_files(service.settings.data) - cached == 2
    # The URL now answers the remade audio.
    assert client.get("/v1/articles", params={"url": "https://news.example/kuleba"}
                      ).json()["id"] == remade[0]["id"]
    # Applied again, there is nothing left to make: the URL's newest audio says it so already.
    assert client.post("/v1/lexicon/Kuleba/apply", headers=KEYED).json()["remade"] == []


def _sentence_files(data: Path) -> int:
    """The sentences whose audio is cached (each has its word times in a file beside it)."""
    return sum(1 for path in (data / "sentences").rglob("*.pcm")
               if not path.stem.endswith("-words"))


def test_the_desk_marks_each_name_of_a_script_by_who_decided_it(make_client) -> None:
    client = make_client(api_keys=(KEY,))
    client.put("/v1/lexicon/Kuleba", json={"respelling": "koo-LEH-bah"}, headers=KEYED)
    text = ("Kuleba in Kharkiv\n\nDmytro Kuleba met Oleh Zhdanivskyi and John Smithers in"
            " Kharkiv on Monday. The talks were short.")
    assert client.post("/v1/desk/script", json={"text": text}).status_code == 401
    response = client.post("/v1/desk/script", json={"text": text}, headers=KEYED)
    assert response.status_code == 200, response.text
    body = response.json()
    sentence = body["chapters"][1]["sentences"][0]
    named = {segment["text"]: segment["source"] for segment in sentence["segments"]
             if "source" in segment}
    assert named == {"Dmytro": "lexicon", "Kuleba": "site", "Oleh": "lexicon",
                     "Zhdanivskyi": "rule", "John": "espeak", "Smithers": "espeak",
                     "Kharkiv": "lexicon"}  # Monday is no name to check
    # The segments are the sentence as the voice reads it, names and all.
    assert "".join(segment["text"] for segment in sentence["segments"]) == (
        "Dmytro Kuleba met Oleh Zhdanivskyi and John Smithers in Kharkiv on Monday.")
    # "The" opens a sentence, and "Talks" is written in lower case too: neither is a name.
    last = body["chapters"][1]["sentences"][1]["segments"]
    assert last == [{"text": "The talks were short."}]
    assert "[[" in sentence["said"]
    assert all(segment.get("phonemes") for segment in sentence["segments"] if "source" in segment)
    assert client.get("/v1/desk/script").status_code == 405
    # Nothing was queued.
    assert client.get("/healthz").json()["queued"] == 0


def test_names_left_to_rule_or_espeak_in_recent_articles_most_frequent_first(
        make_client) -> None:
    client = make_client(api_keys=(KEY,))
    first = _post(client, "Talks\n\nOleh Zhdanivskyi met John Smithers on Monday. Smithers"
                  " spoke.", url="https://news.example/talks")
    second = _post(client, "More talks\n\nThe envoy, Smithers, flew home on Monday.",
                   url="https://news.example/more")
    for article_id in (first, second):
        assert wait_done(client, article_id)["status"] == "done"
    assert client.get("/v1/desk/unsettled").status_code == 401
    answer = client.get("/v1/desk/unsettled", params={"articles": 10}, headers=KEYED).json()
    assert answer["articles"] == 2
    ranked = [(word["word"], word["source"], word["articles"]) for word in answer["words"]]
    assert ranked[0] == ("Smithers", "espeak", 2)
    assert ("Zhdanivskyi", "rule", 1) in ranked
    assert not {"Monday", "Talks", "The", "Oleh"} & {word for word, _, _ in ranked}
    assert all(word["phonemes"] for word in answer["words"])
    only_latest = client.get("/v1/desk/unsettled", params={"articles": 1},
                             headers=KEYED).json()
    assert only_latest["articles"] == 1
    assert client.get("/v1/desk/unsettled", params={"articles": 0},
                      headers=KEYED).status_code == 400


def test_a_fix_can_be_heard_before_it_is_saved(make_client) -> None:
    client = make_client()
    answer = client.post("/v1/desk/phonemes", json={"word": "Kuleba",
                                                    "respelling": "koo-LEH-bah"})
    assert answer.status_code == 200
    assert answer.json()["phonemes"] == client.put(
        "/v1/lexicon/Kuleba", json={"respelling": "koo-LEH-bah"}).json()["phonemes"]
    refused = client.post("/v1/desk/phonemes", json={"phonemes": "Q"})
    assert refused.status_code == 400 and refused.json()["field"] == "phonemes"


def test_the_speech_endpoint_says_a_word_as_the_site_lexicon_does(make_client) -> None:
    client = make_client(api_keys=(KEY,))

    def seconds(text: str) -> float:
        response = client.post("/v1/audio/speech", headers=KEYED, json={
            "model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm"})
        assert response.status_code == 200, response.text
        return len(response.content) / (24_000 * 2)

    before = seconds("Kharkiv was quiet.")
    # An entry three times the name's length: the voice takes its word from the site lexicon.
    long = "xˈɑːrkivʃtʃɪnɑːzɑːpɔrʲiʒʒɑːdnʲiprɔpɛtrɔvsk"
    fixed = client.put("/v1/lexicon/Kharkiv", json={"phonemes": long}, headers=KEYED)
    assert fixed.status_code == 201, fixed.text
    assert seconds("Kharkiv was quiet.") > before + 0.8
