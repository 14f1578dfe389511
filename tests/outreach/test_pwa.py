"""The outreach app as served: shell per locale, manifest, icons, service worker, and its
separation from the kiosk."""
from __future__ import annotations

import re
import struct
from html.parser import HTMLParser

import pytest

from outreach.views import STATIC
from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web.i18n import html_lang


class Texts(HTMLParser):
    """Visible text nodes and data-* attribute values, with <script> and <style> noted."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.inline: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs:
            self.inline.append("script")
        if tag == "style" or "style" in attrs or any(k.startswith("on") for k in attrs):
            self.inline.append(tag)
        if tag in ("script", "style"):
            self._skip += 1
        for key, value in attrs.items():
            if (key.startswith("data-") or key in ("alt", "aria-label")) and value and not value.startswith("/"):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def texts(client, locale: str) -> Texts:
    parser = Texts()
    parser.feed(client.get(f"/outreach/{locale}/").get_data(as_text=True))
    return parser


def test_start_url_opens_the_shell_in_the_phones_language(client, demo):
    assert client.get("/outreach/", headers={"Accept-Language": "en-US,en;q=0.9"}).location == "/outreach/en/"
    assert client.get("/outreach/", headers={"Accept-Language": "ja"}).location == "/outreach/ja/"
    assert client.get("/outreach/xx/").status_code == 404


@pytest.mark.parametrize("locale", list(LOCALES))
def test_the_shell_has_no_inline_script_or_style_and_links_the_manifest(client, demo, locale):
    response = client.get(f"/outreach/{locale}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert texts(client, locale).inline == []
    assert f'<link rel="manifest" href="/outreach/{locale}/manifest.webmanifest">' in html
    assert f'<html lang="{html_lang(locale)}"' in html
    # The emergency numbers are part of the shell, so they show offline too.
    assert "110" in html and "189" in html


# Loanwords these languages use as they are (the translators' choice, reviewed).
LOANWORDS = {"vi": {"Email"}, "id": {"Email"}, "fil": {"Email", "Password", "Online", "Offline"}}


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_every_text_of_the_shell_is_translated(client, demo, locale):
    english = set(texts(client, "en").texts)
    untranslated = [t for t in texts(client, locale).texts
                    # placeholders and punctuation alone ("%(date)s: %(kind)s") need no translation
                    if t in english and re.search(r"[A-Za-z]{3}", re.sub(r"%\(\w+\)[sd]", "", t))
                    and t not in LOCALES.values()
                    and t not in LOANWORDS.get(locale, ())]
    assert untranslated == []


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_manifest_makes_the_app_installable(client, demo):
    response = client.get("/outreach/ja/manifest.webmanifest")
    manifest = response.json
    assert response.mimetype == "application/manifest+json"
    assert manifest["start_url"] == manifest["scope"] == manifest["id"] == "/outreach/"
    assert manifest["display"] == "standalone" and manifest["lang"] == "ja" and manifest["name"]
    purposes = set()
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png" and icon["src"].startswith("/outreach/static/")
        width, height = png_size(STATIC / icon["src"].rsplit("/", 1)[1])
        assert f"{width}x{height}" == icon["sizes"] and width >= 144
        with client.get(icon["src"]) as served:
            assert served.status_code == 200 and served.mimetype == "image/png"
        purposes.add(icon["purpose"])
    assert purposes == {"any", "maskable"}
    assert client.get("/outreach/xx/manifest.webmanifest").status_code == 404


def test_service_worker_keeps_the_shell_and_form_specs_of_every_locale(client, demo):
    response = client.get("/outreach/sw.js")
    script = response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    # Served from /outreach/ and never widened: it cannot control the kiosk.
    assert "Service-Worker-Allowed" not in response.headers
    precache = re.search(r"const PRECACHE = (\[.*?\]);", script).group(1)
    for locale in LOCALES:
        assert f'"/outreach/{locale}/"' in precache
        assert f'"/api/v1/forms/intake-default?locale={locale}"' in precache
    assert '"/outreach/static/queue.js"' in precache and '"/outreach/static/outreach.js"' in precache
    assert "/api/v1/intakes" not in script and "/api/v1/tokens" not in script


def test_service_worker_version_changes_with_the_apps_files(client, demo, monkeypatch, tmp_path):
    from outreach import views

    first = re.search(r'const VERSION = "([^"]+)"', client.get("/outreach/sw.js").get_data(as_text=True)).group(1)
    for path in STATIC.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "outreach.js").write_text("// changed")
    monkeypatch.setattr(views, "STATIC", tmp_path)
    views._assets_version.cache_clear()
    try:
        second = re.search(r'const VERSION = "([^"]+)"', client.get("/outreach/sw.js").get_data(as_text=True)).group(1)
    finally:
        views._assets_version.cache_clear()
    assert first != second


def test_kiosk_pages_carry_no_service_worker_manifest_or_queue(client, demo):
    for url in ("/", "/k/lib-chuo/", "/k/lib-chuo/en/", "/f"):
        html = client.get(url).get_data(as_text=True)
        for marker in ("sw.js", "manifest", "queue.js", "outreach.js", "serviceWorker"):
            assert marker not in html, (url, marker)


def test_form_spec_tells_which_text_questions_are_multiline(client, demo):
    spec = client.get("/api/v1/forms/intake-default?locale=en").json
    multiline = {q["id"]: q["multiline"] for s in spec["steps"] for q in s["questions"]}
    assert multiline["free_text"] is True and multiline["name"] is False
