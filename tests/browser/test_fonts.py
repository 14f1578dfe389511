"""No boxes (tofu) on a kiosk that has only a Latin font: Chromium is started with a
fontconfig that knows DejaVu alone, and the glyphs it actually drew are read through the
DevTools protocol (`CSS.getPlatformFontsForNode`). Every run of non-Latin text on the
language screen and on a question step in Burmese, Thai, Nepali, Korean, Chinese and
Japanese must be drawn entirely with the product's web font for that language."""
from __future__ import annotations

import os

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tsunagi.web import fonts

pytestmark = pytest.mark.browser

LATIN_FONTS = "/usr/share/fonts/truetype/dejavu"
STEP_LOCALES = ("my", "th", "ne", "ko", "zh_Hans", "zh_Hant", "ja")

# Wraps every rendered run of characters that a Latin font does not draw (fonts.LATIN)
# in a <span data-run>, so that the fonts used for exactly those characters can be asked
# for; returns the language of each run, in order. Spaces and Latin punctuation between
# runs are left to the system's Latin font, as on the page.
MARK_RUNS = """async (latin) => {
  await document.fonts.ready;
  const isLatin = (ch) => /\\s/.test(ch) || latin.some(([lo, hi]) => ch.codePointAt(0) >= lo && ch.codePointAt(0) <= hi);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement;
    if (!parent.closest("script, style") && [...n.data].some((c) => !isLatin(c))) nodes.push(n);
  }
  const langs = [];
  for (const node of nodes) {
    const parts = [];
    for (const ch of node.data) {
      const latin = isLatin(ch);
      if (parts.length && parts[parts.length - 1].latin === latin) parts[parts.length - 1].text += ch;
      else parts.push({latin, text: ch});
    }
    const pieces = parts.map(({latin, text}) => {
      if (latin) return document.createTextNode(text);
      const span = document.createElement("span");
      span.dataset.run = "";
      // The run is drawn as its text was: in its parent's font, untouched by any rule.
      span.style.font = "inherit";
      span.textContent = text;
      return span;
    });
    node.replaceWith(...pieces);
  }
  await document.fonts.ready;
  for (const span of document.querySelectorAll("span[data-run]")) {
    // Not drawn: inside a closed <details> (the language switch) or a closed dialog.
    if (!span.checkVisibility({visibilityProperty: true})) { span.removeAttribute("data-run"); continue; }
    langs.push(span.closest("[lang]").lang);
  }
  return langs;
}"""


@pytest.fixture(scope="module")
def latin_only_browser(browser, tmp_path_factory):
    """Chromium that sees DejaVu and no other font (Debian's aliases, none of its other
    font directories): a Debian kiosk with default fonts draws Korean, Devanagari, Thai
    and Burmese as boxes."""
    directory = tmp_path_factory.mktemp("fontconfig")
    conf = directory / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{LATIN_FONTS}</dir><include ignore_missing="yes">/etc/fonts/conf.d</include><cachedir>{directory / "cache"}</cachedir></fontconfig>
""")
    latin_only = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    yield latin_only
    latin_only.close()


def drawn_fonts(page) -> list[tuple[str, str, list[tuple[str, bool]]]]:
    """(language, text, [(font family, is a web font), ...]) for every rendered run of
    non-Latin text on the page, as Chromium drew it."""
    langs = page.evaluate(MARK_RUNS, [list(r) for r in fonts.LATIN])
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "span[data-run]"})["nodeIds"]
    assert len(nodes) == len(langs)
    runs = []
    for lang, node in zip(langs, nodes):
        text = cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        runs.append((lang, text, [(f["familyName"], f["isCustomFont"]) for f in used]))
    cdp.detach()
    return runs


def tofu(runs) -> list[str]:
    """The runs drawn (even in part) by anything but the web font of their language. (The
    fonts name themselves by family and style: "Noto Sans JP Thin" is Noto Sans JP.)"""
    wrong = []
    for lang, text, used in runs:
        font = fonts.font_for(lang)
        ours = font and used and all(custom and name.startswith(font.family) for name, custom in used)
        if not ours:
            wrong.append(f"{lang} {text}: {used}, expected {font and font.family}")
    return wrong


def first_step(page, base: str, locale: str) -> None:
    page.goto(f"{base}/{locale}/")
    page.locator("main form button.primary").click()
    page.wait_for_load_state("load")
    assert "/q/" in page.url


def test_language_screen_and_question_steps_need_no_installed_font(live_server, latin_only_browser):
    context = latin_only_browser.new_context(locale="en-US")
    page = context.new_page()
    base = f"{live_server.url}/k/lib-chuo"
    page.goto(f"{base}/")
    page.wait_for_load_state("load")
    found = {"language screen": drawn_fonts(page)}
    for locale in STEP_LOCALES:
        first_step(page, base, locale)
        found[f"first step in {locale}"] = drawn_fonts(page)
    context.close()

    # Every language's name on the language screen, and each step's own text, were drawn.
    assert {lang for lang, _, _ in found["language screen"]} >= {"ja", "zh-Hans", "zh-Hant", "ko", "ne", "th", "my"}
    for locale in STEP_LOCALES:
        assert len(found[f"first step in {locale}"]) >= 5, found[f"first step in {locale}"]
    assert {name: tofu(runs) for name, runs in found.items() if tofu(runs)} == {}


def test_without_the_fonts_the_same_screens_show_boxes(live_server, latin_only_browser):
    # The check above can fail: with the font stylesheets refused, Burmese and Korean fall to DejaVu,
    # which has no such glyphs, and Chinese is not drawn with a Chinese font.
    context = latin_only_browser.new_context(locale="en-US")
    page = context.new_page()
    page.route("**/fonts/*.css*", lambda route: route.abort())
    base = f"{live_server.url}/k/lib-chuo"
    found = {}
    for locale in ("my", "ko", "zh_Hans"):
        first_step(page, base, locale)
        found[locale] = drawn_fonts(page)
    context.close()

    for locale, runs in found.items():
        assert runs and len(tofu(runs)) == len(runs), (locale, runs)
        assert all(used and not any(custom for _, custom in used) for _, _, used in runs)
