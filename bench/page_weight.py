"""Compressed transfer weight of each kiosk screen (goal: first screen <= 30 KB, whole
journey <= 60 KB; HTML, CSS and JS, gzip level 6 as a reverse proxy would send them).

Drives the default journey (pregnancy step included, so all seven steps) through the
Flask test client on a throwaway SQLite database with the demo municipality, then prints
one line per screen and the totals. A screen's weight counts its stylesheets and scripts
(a cold cache); the journey counts each of them once, since the browser keeps them.

    .venv/bin/python bench/page_weight.py [locale] [furigana]

With `furigana` the journey is walked with furigana shown (?furigana=1; ja and ja@easy).
"""
from __future__ import annotations

import gzip
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from tsunagi import create_app
from tsunagi.domain import municipality, sealed
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


def gz(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


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

    def asset_size(self, url: str) -> int:
        response = self.client.get(url)
        assert response.status_code == 200, url
        size = gz(response.get_data())
        response.close()
        return size


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


def main(locale: str = "en", furigana: str = "") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, engine = demo_app(tmp)
        journey = Journey(app.test_client())
        journey.run(locale, "?furigana=1" if furigana == "furigana" else "")
        assets = {u: journey.asset_size(u) for _, _, urls in journey.screens for u in urls}

        print(f"kiosk journey in {locale!r}{' with furigana' if furigana else ''}, gzip -6 (HTML + CSS + JS; cold cache per screen)")
        print(f"{'screen':<22}{'HTML':>9}{'CSS+JS':>9}{'screen':>9}")
        journey_total = sum(assets.values())
        first = None
        for name, html, urls in journey.screens:
            page, extra = gz(html), sum(assets[u] for u in urls)
            first = page + extra if first is None else first
            journey_total += page
            print(f"{name:<22}{page / 1024:>8.1f}K{extra / 1024:>8.1f}K{(page + extra) / 1024:>8.1f}K")
        print("assets: " + ", ".join(f"{u} {s / 1024:.1f}K" for u, s in assets.items()))
        print(f"first screen: {first / 1024:.1f} KB (goal <= {FIRST_SCREEN_GOAL // 1024} KB) "
              f"{'ok' if first <= FIRST_SCREEN_GOAL else 'OVER'}")
        print(f"whole journey ({len(journey.screens)} screens, assets once): {journey_total / 1024:.1f} KB "
              f"(goal <= {JOURNEY_GOAL // 1024} KB) {'ok' if journey_total <= JOURNEY_GOAL else 'OVER'}")
        app.extensions["tsunagi.db"].kw["bind"].dispose()
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:3])
