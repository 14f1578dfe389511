"""Compressed transfer weight of each kiosk screen (goal: first screen <= 30 KB, whole
journey <= 60 KB; HTML, CSS and JS, gzip level 6 as a reverse proxy would send them).

Drives the default journey (pregnancy step included, so all seven steps) through the
Flask test client on a throwaway SQLite database with the demo municipality, then prints
one line per screen and the totals. A screen's weight counts its stylesheets and scripts
(a cold cache); the journey counts each of them once, since the browser keeps them.

Fonts are counted apart (a kiosk or phone fetches each once and keeps it for good): the
font stylesheets the screen links (gzip -6) and the WOFF2 pieces whose unicode ranges
hold a character of the screen's text in its language, both weights (400 and 700): an
upper bound, since a browser fetches a bold piece only for bold text.

    .venv/bin/python bench/page_weight.py [locale] [furigana]
    .venv/bin/python bench/page_weight.py all      # one line per shipped locale

With `furigana` the journey is walked with furigana shown (?furigana=1; ja and ja@easy).
"""
from __future__ import annotations

import gzip
import os
import re
import secrets
import sys
import tempfile
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy.orm import Session

from tsunagi import create_app
from tsunagi.domain import municipality, sealed
from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web import fonts
from tsunagi.web.db import make_engine, upgrade

# A throwaway database: a throwaway data key.
os.environ.setdefault("TSUNAGI_DATA_KEYS", sealed.new_key())

FIRST_SCREEN_GOAL, JOURNEY_GOAL = 30 * 1024, 60 * 1024
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
ANSWERS = {
    "about": {"subject": "self", "age_band": "18_39"},
    "pregnancy": {"pregnant": "no"},
    "concerns": {"concerns": ["money", "work"]},
    "household": {"household": ["child_under_18"]},
    "safety": {"danger_now": "no"},
    "area": {"area": "kita"},
    "contact": {"name": "Maria Santos", "phone": "090-1234-5678", "free_text": "I lost my job."},
}
CONSENT = {"share": "yes", "multi_agency_meeting": "yes", "contact_methods": ["phone"]}


FONTS_URL = "/static/shared/fonts/"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


class TextByLanguage(HTMLParser):
    """The text of a page by the language of the element that holds it (lang=)."""

    def __init__(self):
        super().__init__()
        self.langs: list[str] = []
        self.skip = 0
        self.texts: dict[str, list[str]] = defaultdict(list)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        self.langs.append(dict(attrs).get("lang") or (self.langs[-1] if self.langs else "en"))
        self.skip += tag in ("script", "style", "template")

    def handle_endtag(self, tag):
        if tag in VOID or not self.langs:
            return
        self.langs.pop()
        self.skip -= tag in ("script", "style", "template")

    def handle_data(self, data):
        if not self.skip and self.langs:
            self.texts[self.langs[-1]].append(data)


def font_files(html: str, stylesheets: dict[str, str]) -> set[str]:
    """The WOFF2 pieces a screen's text needs, among the faces its font stylesheets declare."""
    parser = TextByLanguage()
    parser.feed(html)
    faces = [face for css in stylesheets.values() for face in fonts.parse_faces(css)]
    needed = set()
    for lang, texts in parser.texts.items():
        font = fonts.font_for(lang)
        chars = set("".join(texts))
        needed |= {face.file for face in faces if font and face.family == font.family and any(map(face.covers, chars))}
    return needed


class Journey:
    def __init__(self, client):
        self.client = client
        self.screens: list[tuple[str, bytes, list[str]]] = []

    def get(self, name: str, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data()
        self.screens.append((name, html, ASSET.findall(html.decode())))
        return html.decode()

    def post(self, url: str, html: str, data: dict) -> str:
        token = CSRF.search(html).group(1)
        response = self.client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 302, (url, response.status_code, response.get_data(as_text=True)[:500])
        return response.headers["Location"]

    def run(self, locale: str, query: str = "") -> None:
        base = f"/k/lib-chuo/{locale}"
        self.get("language picker", "/k/lib-chuo/")
        html = self.get("welcome", f"{base}/{query}")
        url = self.post(f"{base}/start{query}", html, {})
        while "/q/" in url:
            step = url.split("?")[0].rsplit("/", 1)[1]
            html = self.get(f"step {step}", url)
            url = self.post(url, html, ANSWERS[step])
        assert url.split("?")[0].endswith("/review"), url
        self.get("review", url)
        html = self.get("consent", f"{base}/consent{query}")
        url = self.post(f"{base}/consent{query}", html, CONSENT)
        self.get("receipt", url)

    def asset(self, url: str) -> bytes:
        response = self.client.get(url)
        assert response.status_code == 200, url
        body = response.get_data()
        response.close()
        return body

    def asset_size(self, url: str) -> int:
        return gz(self.asset(url))

    def fonts(self, html: bytes, urls: list[str]) -> tuple[set[str], set[str]]:
        """The font stylesheets a screen links and the pieces its text needs."""
        sheets = {u: self.asset(u).decode() for u in urls if u.startswith(FONTS_URL)}
        return set(sheets), font_files(html.decode(), sheets)


def woff2_size(name: str) -> int:
    return (fonts.FONTS_DIR / name).stat().st_size  # already compressed


def measure(app, locale: str, query: str = "") -> dict:
    """Weights of one journey: per screen (name, HTML, CSS+JS, fonts) and the totals."""
    journey = Journey(app.test_client())
    journey.run(locale, query)
    assets = {u: journey.asset_size(u) for _, _, urls in journey.screens for u in urls}
    screens, journey_total, all_fonts = [], sum(s for u, s in assets.items() if not u.startswith(FONTS_URL)), set()
    for name, html, urls in journey.screens:
        sheets, pieces = journey.fonts(html, urls)
        font_bytes = sum(assets[u] for u in sheets) + sum(map(woff2_size, pieces))
        all_fonts |= sheets | pieces
        extra = sum(assets[u] for u in urls if not u.startswith(FONTS_URL))
        screens.append((name, gz(html), extra, font_bytes))
        journey_total += gz(html)
    journey_fonts = sum(assets[u] if u in assets else woff2_size(u) for u in all_fonts)
    return {"screens": screens, "assets": assets, "journey": journey_total, "journey_fonts": journey_fonts}


def demo_app(tmp: str):
    """The app on a throwaway SQLite database with the demo municipality, and its engine."""
    url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        municipality.apply(session, municipality.load_file(municipality.DEMO_FILE))
        session.commit()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "KIOSK_ENROLMENT": False})
    app.instance_path = tmp
    return app, engine


def verdict(size: int, goal: int) -> str:
    return "ok" if size <= goal else "OVER"


def every_locale(app) -> None:
    print("first screen in each locale (its welcome), gzip -6; fonts apart (stylesheets + WOFF2, "
          "fetched once, kept for good)")
    print(f"{'locale':<10}{'screen':>9}{'goal':>6}{'fonts':>10}{'journey':>10}{'goal':>6}{'fonts':>10}")
    for locale in LOCALES:
        weights = measure(app, locale)
        _, page, extra, font_bytes = weights["screens"][1]
        print(f"{locale:<10}{(page + extra) / 1024:>8.1f}K{verdict(page + extra, FIRST_SCREEN_GOAL):>6}"
              f"{font_bytes / 1024:>9.1f}K{weights['journey'] / 1024:>9.1f}K"
              f"{verdict(weights['journey'], JOURNEY_GOAL):>6}{weights['journey_fonts'] / 1024:>9.1f}K")


def main(locale: str = "en", furigana: str = "") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, engine = demo_app(tmp)
        if locale == "all":
            every_locale(app)
        else:
            weights = measure(app, locale, "?furigana=1" if furigana == "furigana" else "")
            print(f"kiosk journey in {locale!r}{' with furigana' if furigana else ''}, gzip -6 "
                  "(HTML + CSS + JS; cold cache per screen; fonts apart)")
            print(f"{'screen':<22}{'HTML':>9}{'CSS+JS':>9}{'screen':>9}{'fonts':>10}")
            for name, page, extra, font_bytes in weights["screens"]:
                print(f"{name:<22}{page / 1024:>8.1f}K{extra / 1024:>8.1f}K{(page + extra) / 1024:>8.1f}K"
                      f"{font_bytes / 1024:>9.1f}K")
            print("assets: " + ", ".join(f"{u} {s / 1024:.1f}K" for u, s in weights["assets"].items()))
            _, page, extra, font_bytes = weights["screens"][0]
            print(f"first screen: {(page + extra) / 1024:.1f} KB (goal <= {FIRST_SCREEN_GOAL // 1024} KB) "
                  f"{verdict(page + extra, FIRST_SCREEN_GOAL)}; fonts {font_bytes / 1024:.1f} KB apart")
            print(f"whole journey ({len(weights['screens'])} screens, assets once): {weights['journey'] / 1024:.1f} KB "
                  f"(goal <= {JOURNEY_GOAL // 1024} KB) {verdict(weights['journey'], JOURNEY_GOAL)}; "
                  f"fonts {weights['journey_fonts'] / 1024:.1f} KB apart, each once")
        app.extensions["tsunagi.db"].kw["bind"].dispose()
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:3])
