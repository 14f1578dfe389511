"""Read-aloud buttons on the question steps: offered only when the browser has a voice for
the page's language, and they read the question with its choices in that voice."""
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


def first_step(page, base: str, locale: str) -> None:
    page.goto(f"{base}/k/lib-chuo/{locale}/")
    page.locator("main form button.primary").click()
    page.wait_for_load_state()


def test_no_voice_for_the_language_no_button(live_server, browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    first_step(page, live_server.url, "en")
    has_voice = page.evaluate(
        "() => speechSynthesis.getVoices().some(v => v.lang.toLowerCase().startsWith('en'))")
    buttons = page.locator("main button.read-aloud")
    assert buttons.count() == 2  # one per question of the step, in the page
    assert buttons.first.text_content() == "Read aloud"
    assert [b.is_visible() for b in buttons.all()] == [has_voice, has_voice]
    context.close()


def test_a_voice_for_the_language_reads_the_question_and_its_choices(live_server, browser):
    context = browser.new_context(locale="ja-JP")
    context.add_init_script(FAKE_ENGINE)
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
    # The same engine has no English voice: on the English page the buttons stay hidden.
    first_step(page, live_server.url, "en")
    assert [b.is_visible() for b in page.locator("main button.read-aloud").all()] == [False, False]
    context.close()
