"""Read-aloud audio from the server: the step pages carry the address of each question's
audio (a hash, no text), the audio is a real WAV made by the locale's engine and kept on
disk, only the product's own texts can be asked for, and `flask voice build` makes them all."""
from __future__ import annotations

import io
import re
import wave
from pathlib import Path

from kiosk.voice import catalog as voice_catalog
from tests.kiosk_helpers import Journey
from tsunagi.domain import speech

AUDIO = re.compile(r'class="read-aloud" data-audio="/static/voice/([0-9a-f]{64})\.wav"')
# The first question of the first step, as the kiosk reads it: its title, then its choices.
ABOUT_EN = "Who is this consultation about?. Myself. Someone in my family. Someone else I know"


def step_page(client, locale: str) -> str:
    page = client.get(Journey(client, locale=locale).start())
    assert page.status_code == 200
    return page.text


def fetch(client, key: str):
    """The audio's response, read and closed (it is sent from a file)."""
    response = client.get(f"/static/voice/{key}.wav")
    response.get_data()
    response.close()
    return response


def wav(data: bytes) -> tuple[int, float]:
    """Sample rate and duration of a RIFF/WAVE file."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.getframerate(), w.getnframes() / w.getframerate()


def test_the_cache_key_is_a_hash_of_engine_voice_locale_and_text():
    voice = speech.Voice(speech.ESPEAK_NG, "1.51", "en-us", "en")
    key = voice.key(ABOUT_EN)
    assert speech.KEY.match(key) and voice.key(ABOUT_EN) == key
    others = {
        speech.Voice(speech.OPEN_JTALK, "1.51", "en-us", "en").key(ABOUT_EN),
        speech.Voice(speech.ESPEAK_NG, "1.52", "en-us", "en").key(ABOUT_EN),
        speech.Voice(speech.ESPEAK_NG, "1.51", "en-gb", "en").key(ABOUT_EN),
        speech.Voice(speech.ESPEAK_NG, "1.51", "en-us", "fil").key(ABOUT_EN),
        voice.key(ABOUT_EN + "."),
    }
    assert len(others) == 5 and key not in others
    assert "consultation" not in key


def test_each_question_of_a_step_has_its_audio_address_which_carries_only_a_hash(client, demo):
    keys = AUDIO.findall(step_page(client, "en"))
    assert len(keys) == 2  # one per question of the step
    assert keys[0] == speech.voice_for("en").key(ABOUT_EN)


def test_the_audio_is_a_wav_in_the_engines_sample_rate_kept_on_disk_and_cached_for_a_year(client, demo):
    rates = {"en": 22050, "ja": 48000, "ja@easy": 48000, "th": 22050, "my": 22050, "zh_Hant": 22050}
    for locale, rate in rates.items():
        key = AUDIO.findall(step_page(client, locale))[0]
        response = fetch(client, key)
        assert response.status_code == 200, locale
        assert response.mimetype == "audio/wav"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Set-Cookie" not in response.headers
        sample_rate, seconds = wav(response.data)
        assert sample_rate == rate and seconds > 1.0, (locale, sample_rate, seconds)
        kept = Path(client.application.instance_path) / "voice" / f"{key}.wav"
        assert kept.read_bytes() == response.data
        assert fetch(client, key).data == response.data
    assert "media-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_language_without_a_server_voice_has_no_audio_address(client, demo):
    assert "fil" in speech.WITHOUT_VOICE
    html = step_page(client, "fil")
    assert html.count('class="read-aloud"') == 2 and "data-audio" not in html


def test_what_a_resident_typed_can_never_be_spoken(client, demo):
    journey = Journey(client, locale="en")
    url = journey.start()
    for step, data in [("about", {"subject": "self", "age_band": "18_39"}), ("pregnancy", {"pregnant": "no"}),
                       ("concerns", {"concerns": ["health"]}), ("household", {}),
                       ("safety", {"danger_now": "no"}), ("area", {"area": "minami"})]:
        assert f"/q/{step}" in url, url
        url = journey.submit(url, data).headers["Location"]
    assert "/q/contact" in url
    before = AUDIO.findall(client.get(url).text)
    typed = "Maria Santos"
    assert journey.submit(url, {"name": typed, "phone": "abc"}).status_code == 422  # shown again, as typed
    page = client.get(url.split("?")[0] + "?x=1")
    assert AUDIO.findall(page.text) == before  # the audio is the question's, whatever was typed
    voice = speech.voice_for("en")
    for text in (typed, f"Name. {typed}", f"{ABOUT_EN}. {typed}"):
        assert fetch(client, voice.key(text)).status_code == 404
    for key in ("0" * 64, "A" * 64, "../" + "0" * 61, "x"):
        assert fetch(client, key).status_code == 404
    with client.application.test_request_context():
        allowed = set(voice_catalog())
    kept = {p.stem for p in (Path(client.application.instance_path) / "voice").glob("*.wav")}
    assert kept <= allowed and voice.key(typed) not in allowed


def test_without_espeak_ng_the_other_languages_have_no_server_voice(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    speech.engine_version.cache_clear()
    speech._espeak_voices.cache_clear()
    try:
        assert speech.voice_for("en") is None and speech.voice_for("th") is None
        assert speech.voice_for("ja") is not None  # Open JTalk comes with the Python package
    finally:
        speech.engine_version.cache_clear()
        speech._espeak_voices.cache_clear()


def test_voice_build_makes_the_audio_of_every_question_ahead(app, demo, runner):
    result = runner.invoke(args=["voice", "build"])
    assert result.exit_code == 0, result.output
    made = sorted((Path(app.instance_path) / "voice").glob("*.wav"))
    voiced = [locale for locale in speech.VOICES if speech.voice_for(locale)]
    assert len(voiced) == 13
    count = int(re.search(r"(\d+) texts, (\d+) made now", result.output).group(1))
    assert count == len(made) >= 11 * len(voiced) - 11  # ja and ja@easy share few texts
    assert "no server voice (the device's voice only) for: fil" in result.output
    for path in made[:5]:
        assert wav(path.read_bytes())[1] > 0.5
    again = runner.invoke(args=["voice", "build"])
    assert f"{count} texts, 0 made now" in again.output
