"""The web fonts as shipped: every text of every locale has its glyphs, pages link the
stylesheets of the families they may show, and fonts are cached for good."""
from __future__ import annotations

import re

import pytest

from tests.kiosk_helpers import Journey
from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web import fonts
from tsunagi.web.i18n import catalog_text, html_lang

LINKED = re.compile(r'<link rel="stylesheet" href="/static/shared/fonts/([^"?]+)\?v=([0-9a-f]+)">')


@pytest.mark.parametrize("locale", list(LOCALES))
def test_every_text_of_a_locale_is_drawn_by_its_web_font_or_a_latin_font(locale):
    text = catalog_text(locale) + LOCALES[locale]
    assert len(text) > 1000
    assert fonts.uncovered(text, html_lang(locale)) == set()


def test_a_latin_locale_needs_no_font_file_and_the_others_do():
    assert fonts.locale_files("en") == () and fonts.locale_files("vi") == ()
    for locale in ("ja", "ja@easy", "zh_Hans", "zh_Hant", "ko", "ne", "th", "my"):
        family = fonts.font_for(html_lang(locale)).family
        files = fonts.locale_files(locale)
        assert files and all(f.startswith(fonts.font_for(html_lang(locale)).directory + "/") for f in files), family


def test_chinese_gets_chinese_fonts_and_a_language_subtag_keeps_its_font():
    assert fonts.font_for("zh-Hans").family == "Noto Sans SC"
    assert fonts.font_for("zh-Hant").family == "Noto Sans TC"
    assert fonts.font_for("ja-Latn").family == "Noto Sans JP"   # the romanised official name
    assert fonts.font_for("en") is None and fonts.font_for("pt-BR") is None
    # 骨 is one code point with different glyphs in Japan and China: each family draws it.
    for lang in ("ja", "zh-Hans", "zh-Hant"):
        assert len(fonts.files_for("骨", lang, (400,))) == 1


def test_every_face_has_its_file_both_weights_and_every_file_a_face():
    faces = fonts.faces()
    names = fonts.parse_faces((fonts.FONTS_DIR / fonts.STYLESHEET).read_text())
    files = {p.relative_to(fonts.FONTS_DIR).as_posix() for p in fonts.FONTS_DIR.rglob("*.woff2")}
    assert {face.file for face in faces + tuple(names)} == files
    for font in fonts.FONTS:
        mine = [face for face in faces if face.family == font.family]
        assert {face.weight for face in mine} == set(fonts.WEIGHTS)
        assert "SIL Open Font License" in (fonts.FONTS_DIR / font.directory / "LICENSE").read_text()
        for face in mine:
            assert (fonts.FONTS_DIR / face.file).read_bytes()[:4] == b"wOF2"


def test_fonts_css_draws_every_language_name_with_small_cuts_of_the_fonts():
    names = fonts.parse_faces((fonts.FONTS_DIR / fonts.STYLESHEET).read_text())
    css = (fonts.FONTS_DIR / fonts.STYLESHEET).read_text()
    assert sum((fonts.FONTS_DIR / face.file).stat().st_size for face in names) < 32 * 1024
    for code, label in LOCALES.items():
        font = fonts.font_for(html_lang(code))
        if font is None:
            continue
        assert f':lang({font.lang}) {{ font-family: "{font.family}"' in css
        for char in set(label) - {" "}:
            assert any(f.family == font.family and f.weight == 400 and f.covers(char) for f in names), (code, char)


def linked(html: str) -> list[str]:
    found = LINKED.findall(html)
    assert {version for _, version in found} <= {fonts.stylesheet_version()}
    return [name for name, _ in found]


def test_a_page_links_its_own_family_and_japanese_only_where_it_shows_official_names(client, demo):
    journey = Journey(client, locale="zh_Hans")
    step = client.get(journey.start())
    assert linked(step.text) == ["fonts.css", "noto-sans-sc-5.3.0.css"]
    assert linked(client.get("/k/lib-chuo/en/").text) == ["fonts.css"]
    assert linked(client.get("/k/lib-chuo/").text) == ["fonts.css", "noto-sans-jp-5.3.0.css"]
    receipt = Journey(client, locale="ko").answer_all(
        {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"},
        {"name": "Kim", "phone": "090-1234-5678"})
    assert receipt.status_code == 200 and 'lang="ja"' in receipt.text
    assert linked(receipt.text) == ["fonts.css", "noto-sans-jp-5.3.0.css", "noto-sans-kr-5.3.0.css"]
    assert linked(client.get("/f?lang=my").text) == ["fonts.css", "noto-sans-jp-5.3.0.css", "noto-sans-myanmar-5.3.0.css"]
    assert linked(client.get("/outreach/th/").text) == ["fonts.css", "noto-sans-jp-5.3.0.css", "noto-sans-thai-5.3.0.css"]
    # Staff pages keep the office computer's fonts.
    assert linked(client.get("/provider/login").text) == []


def cache_control(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    response.close()  # a static file is sent from an open file
    return response.headers.get("Cache-Control", "")


def test_fonts_are_cached_for_good_and_a_stylesheet_only_at_its_version(client):
    immutable = "public, max-age=31536000, immutable"
    assert cache_control(client, f"/static/shared/fonts/{fonts.faces()[0].file}") == immutable
    assert cache_control(client, f"/static/shared/fonts/fonts.css?v={fonts.stylesheet_version()}") == immutable
    # Another version's address, or none, may come back with other content: revalidated.
    for url in ("/static/shared/fonts/fonts.css", "/static/shared/fonts/fonts.css?v=0123456789ab"):
        assert "immutable" not in cache_control(client, url)
    assert "immutable" not in cache_control(client, "/static/shared/fonts/no-such.woff2", 404)


def test_the_outreach_service_worker_keeps_the_fonts_every_locale_needs(client, demo):
    script = client.get("/outreach/sw.js").get_data(as_text=True)
    precache = re.search(r"const PRECACHE = (\[.*?\]);", script).group(1)
    for name in ("fonts.css", "noto-sans-jp-5.3.0.css", "noto-sans-myanmar-5.3.0.css", "noto-sans-tc-5.3.0.css"):
        assert f'"/static/shared/fonts/{name}?v={fonts.stylesheet_version()}"' in precache
    for locale in ("ja", "zh_Hant", "my"):
        for name in fonts.locale_files(locale):
            assert f'"/static/shared/fonts/{name}"' in precache
    assert 'const FONTS_PREFIX = "/static/shared/fonts/"' in script
