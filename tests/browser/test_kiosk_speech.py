"""Read-aloud buttons on the question steps: offered when the browser has a voice for the
page's language or the server has audio for it. A device voice is preferred and reads the
question with its choices; without one the kiosk plays the server's audio of the question."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# Debian's headless Chromium has no speech engine. This stands in for one with a single
# Japanese voice, at the browser's API boundary; the kiosk's own script runs unchanged.
FAKE_ENGINE = """(() => {
  const voices = [{name: "Test Japanese", lang: "ja-JP", default: true, localService: true, voiceURI: "test-ja"}];
  window.spoken = [];
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
  Object.defineProperty(window, "speechSynthesis", {value: {
    getVoices: () => voices,
    speak: (u) => window.spoken.push({text: u.text, lang: u.lang, voice: u.voice.name}),
    cancel: () => {},
    addEventListener: () => {},
  }});
})();"""
# Records what each play() of the page's media came to; the real play() runs unchanged.
PLAYS = """(() => {
  window.plays = [];
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    const started = play.call(this);
    const src = this.getAttribute("src");
    started.then(() => window.plays.push({src, ok: true}), (e) => window.plays.push({src, ok: false, error: String(e)}));
    return started;
  };
})();"""
# ja, やさしい日本語 and eight more: every language's audio comes from the server here.
SERVER_VOICED = ("ja", "ja@easy", "en", "zh_Hans", "ko", "vi", "pt_BR", "ne", "th", "my")


def first_step(page, base: str, locale: str) -> None:
    page.goto(f"{base}/k/lib-chuo/{locale}/")
    page.locator("main form button.primary").click()
    page.wait_for_load_state()


def test_no_voice_on_the_device_or_the_server_no_button(live_server, browser):
    context = browser.new_context(locale="fil-PH")
    page = context.new_page()
    first_step(page, live_server.url, "fil")  # Filipino: espeak-ng has no voice for it
    has_voice = page.evaluate(
        "() => speechSynthesis.getVoices().some(v => v.lang.toLowerCase().startsWith('fil'))")
    buttons = page.locator("main button.read-aloud")
    assert buttons.count() == 2  # one per question of the step, in the page
    assert buttons.first.text_content() == "Basahin nang malakas"
    assert [b.is_visible() for b in buttons.all()] == [has_voice, has_voice]
    context.close()


def test_without_a_device_voice_the_button_plays_the_servers_audio(live_server, browser):
    context = browser.new_context()
    context.add_init_script(PLAYS)
    page = context.new_page()
    for locale in SERVER_VOICED:
        first_step(page, live_server.url, locale)
        assert page.evaluate("() => speechSynthesis.getVoices().length") == 0
        buttons = page.locator("main button.read-aloud")
        assert [b.is_visible() for b in buttons.all()] == [True, True], locale
        address = buttons.nth(1).get_attribute("data-audio")
        buttons.nth(1).focus()
        page.keyboard.press("Enter")  # from the keyboard as well as by touch
        audio = page.locator("main audio.read-aloud-audio")
        assert audio.get_attribute("src") == address
        page.wait_for_function("() => window.plays.length > 0")
        assert page.evaluate("() => window.plays") == [{"src": address, "ok": True}], locale
        page.wait_for_function("() => { const a = document.querySelector('main audio'); "
                               "return a.readyState >= 1 && isFinite(a.duration); }")
        seconds = page.evaluate("() => document.querySelector('main audio').duration")
        assert seconds > 0.5, (locale, seconds)
        # Another button stops the first reading and starts its own.
        buttons.nth(0).click()
        page.wait_for_function("() => window.plays.length > 1")
        assert page.locator("main audio").count() == 1
        assert page.locator("main audio").get_attribute("src") == buttons.nth(0).get_attribute("data-audio")
    context.close()


def test_the_quick_exit_stops_the_servers_audio_and_leaves_nothing(live_server, browser):
    context = browser.new_context()
    context.add_init_script(PLAYS)
    page = context.new_page()
    first_step(page, live_server.url, "ja")
    page.locator("main button.read-aloud").first.click()
    page.wait_for_function("() => window.plays.length > 0")
    page.evaluate("() => { window.player = document.querySelector('main audio'); }")
    assert page.evaluate("() => window.player.paused") is False
    # What the quick exit does before its form leaves (a synthetic submit event sends nothing).
    page.evaluate("() => document.getElementById('quit').dispatchEvent(new Event('submit'))")
    # Stopped, not only taken out of the page (a detached player would go on speaking).
    assert page.evaluate("() => [window.player.paused, window.player.isConnected, "
                         "window.player.hasAttribute('src')]") == [True, False, False]
    assert page.locator("audio").count() == 0
    context.close()


def test_a_voice_for_the_language_reads_the_question_and_its_choices(live_server, browser):
    context = browser.new_context(locale="ja-JP")
    context.add_init_script(FAKE_ENGINE)
    context.add_init_script(PLAYS)
    page = context.new_page()
    first_step(page, live_server.url, "ja")
    buttons = page.get_by_role("button", name="読み上げる")
    assert [b.is_visible() for b in buttons.all()] == [True, True]
    buttons.nth(1).click()
    spoken = page.evaluate("() => window.spoken")
    assert len(spoken) == 1
    assert spoken[0]["voice"] == "Test Japanese" and spoken[0]["lang"] == "ja-JP"
    assert spoken[0]["text"].startswith("その人は何歳ですか")
    assert "65歳以上" in spoken[0]["text"] and "6歳未満" in spoken[0]["text"]
    # The device voice is preferred: the server's audio is not played beside it.
    assert page.evaluate("() => window.plays") == [] and page.locator("main audio").count() == 0
    # The same engine has no English voice: on the English page the server's audio is played.
    first_step(page, live_server.url, "en")
    assert [b.is_visible() for b in page.locator("main button.read-aloud").all()] == [True, True]
    page.locator("main button.read-aloud").first.click()
    page.wait_for_function("() => window.plays.length > 0")
    assert page.evaluate("() => window.spoken") == []  # a new page: nothing spoken by the device
    context.close()
