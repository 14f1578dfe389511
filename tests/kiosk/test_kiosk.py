"""The resident's journey through the Flask test client (CSRF on)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.kiosk_helpers import STEP_KEYS, Journey, csrf_token
from tsunagi.domain.models import Consent, Intake, KioskDraft, Provider

ELDER = {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"}
CONTACT = {"name": "Maria Santos", "phone": "090-1234-5678", "free_text": "My knees hurt and I live alone."}


def test_journey_routes_and_gives_a_receipt(client, session, demo):
    receipt = Journey(client).answer_all(ELDER, CONTACT)
    assert receipt.status_code == 200
    html = receipt.text
    assert "North Community General Support Center" in html and "03-5555-0101" in html
    assert "北部地域包括支援センター" in html  # the official name on the office's door
    assert "Tsunagi City" in html and "within 2 business days" in html
    assert "Follow-up page: http://localhost/f" in html
    # Nothing about the resident's needs on the receipt (the reasons were on the consent screen).
    assert "Aged 65 or over" not in html and "knees" not in html
    assert '<svg role="img"' in html
    code = re.search(r'class="code"[^>]*>([^<]+)<', html).group(1)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{6}", code)
    intake = session.scalar(select(Intake))
    assert session.get(Provider, intake.provider_id).code == "houkatsu-kita"
    assert intake.locale == "en" and intake.channel == "kiosk" and intake.location.code == "lib-chuo"
    assert intake.name == "Maria Santos" and intake.free_text.startswith("My knees")
    consent = session.scalar(select(Consent))
    assert consent.locale == "en" and consent.share_with_provider and len(consent.text_hash) == 64
    status = client.post("/api/v1/follow-up", json={"code": code.lower()})
    assert status.status_code == 200
    assert status.json["status"] == "received"
    assert "North Community General Support Center" in status.json["status_text"]


def test_missing_answers_reshow_the_step_in_the_residents_language(client, demo):
    journey = Journey(client, locale="ja")
    url = journey.start()
    response = journey.submit(url, {"subject": "self"})
    assert response.status_code == 422
    assert "答えを選んでください。" in response.text
    assert re.search(r'value="self"[^>]*checked|checked[^>]*value="self"', response.text)


def test_typed_text_survives_an_invalid_phone(client, demo):
    journey = Journey(client)
    url = journey.start()
    for step, data in [("about", {"subject": "self", "age_band": "65_plus"}),
                       ("concerns", {"concerns": ["health"]}), ("household", {}),
                       ("safety", {"danger_now": "no"}), ("area", {"area": "kita"})]:
        assert step in url
        url = journey.submit(url, data).headers["Location"]
    response = journey.submit(url, {"name": "Maria Santos", "phone": "call me maybe",
                                    "free_text": "Please help with shopping"})
    assert response.status_code == 422
    assert "Please enter a phone number using digits" in response.text
    assert 'value="Maria Santos"' in response.text
    assert "Please help with shopping" in response.text


def test_danger_shows_emergency_contacts_before_anything_else(client, demo):
    journey = Journey(client, locale="ja")
    url = journey.start()
    url = journey.submit(url, {"subject": "self", "age_band": "18_39"}).headers["Location"]
    url = journey.submit(url, {"pregnant": "no"}).headers["Location"]
    url = journey.submit(url, {"concerns": ["violence"]}).headers["Location"]
    assert "/urgent" in url
    page = client.get(url)
    # "#" would start a URL fragment and dial nothing: percent-encoded, and in plain text too.
    assert 'href="tel:110"' in page.text and 'href="tel:%238008"' in page.text
    assert 'href="tel:#' not in page.text and '<span class="number">#8008</span>' in page.text
    assert "DV相談ナビ" in page.text
    facts = re.findall(r'<span class="line-facts">(.*?)</span>', page.text, re.S)
    assert len(facts) == 5  # every line of the demo city has hours, cost and languages
    for line in facts:
        assert "言語" in line and ("24時間" in line or "異なります" in line) and "通話" in line, line
    assert "日本語、英語" in facts[0]
    # The form calls no one: the page says so, and to call now.
    assert 'class="danger-text"' in page.text


def test_finish_leaves_nothing_behind(client, session, demo):
    journey = Journey(client)
    receipt = journey.answer_all(ELDER, CONTACT)
    assert session.scalar(select(func.count()).select_from(KioskDraft)) == 1
    response = client.post(f"{journey.base}/finish", data={"csrf_token": csrf_token(receipt.text)})
    assert response.status_code == 302
    assert "cookies" in response.headers["Clear-Site-Data"]
    assert session.scalar(select(func.count()).select_from(KioskDraft)) == 0
    again = client.get(f"{journey.base}/receipt")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"{journey.base}/")


def test_declined_consent_shows_where_to_go_and_stores_no_identity(client, session, demo):
    receipt = Journey(client).answer_all(ELDER, CONTACT, consent={"share": "no", "multi_agency_meeting": "no"})
    assert "Your answers were not sent" in receipt.text
    assert "03-5555-0101" in receipt.text
    intake = session.scalar(select(Intake))
    assert (intake.name, intake.contact, intake.free_text, intake.provider_id) == (None, None, None, None)


def test_resident_pages_are_never_cached(client, demo):
    for url in ("/", "/k/lib-chuo/", "/k/lib-chuo/ja/", "/f"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_forms_work_behind_https(app, demo):
    """Behind the TLS proxy (X-Forwarded-Proto: https, as gunicorn passes it on), a kiosk
    start and a sign-in post as a browser sends them (same-origin Referer) go through; a
    forged post from another site is still refused."""
    client = app.test_client()
    https = {"base_url": "https://kiosk.example.jp"}
    page = client.get("/k/lib-chuo/ja/", **https)
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = csrf_token(page.text)
    started = client.post("/k/lib-chuo/ja/start", data={"csrf_token": token}, **https,
                          headers={"Referer": "https://kiosk.example.jp/k/lib-chuo/ja/"})
    assert started.status_code == 302
    login = client.get("/provider/login", **https)
    signed = client.post("/provider/login", **https, headers={"Referer": "https://kiosk.example.jp/provider/login"},
                         data={"csrf_token": csrf_token(login.text), "username": "nobody", "password": "x" * 12})
    assert signed.status_code in (200, 302, 401, 422)  # refused as wrong credentials, not as CSRF (400)
    forged = client.post("/k/lib-chuo/ja/start", data={"csrf_token": token}, **https,
                         headers={"Referer": "https://evil.example.com/"})
    assert forged.status_code == 400


def test_unknown_kiosk_and_locale_are_404(client, demo):
    assert client.get("/k/nowhere/").status_code == 404
    assert client.get("/k/lib-chuo/xx/").status_code == 404
    assert client.get("/k/outreach/ja/").status_code == 404  # not a kiosk


def test_post_without_csrf_token_is_refused(client, demo):
    assert client.post("/k/lib-chuo/ja/start").status_code == 400


def test_switching_language_keeps_the_answers(client, demo):
    journey = Journey(client, locale="ja")
    url = journey.start()
    after_about = journey.submit(url, {"subject": "family", "age_band": "40_64"}).headers["Location"]
    page = client.get(after_about)
    english = f"/k/lib-chuo/en/q/{after_about.rsplit('/', 1)[1]}"
    assert f'href="{english}"' in page.text
    back_in_english = client.get("/k/lib-chuo/en/q/about")
    assert "Who is this consultation about?" in back_in_english.text
    assert re.search(r'value="family"[^>]*checked|checked[^>]*value="family"', back_in_english.text)
    assert re.search(r'value="40_64"[^>]*checked|checked[^>]*value="40_64"', back_in_english.text)


def test_an_error_on_a_kiosk_page_keeps_the_quick_exit_and_idle_reset(client, session, demo):
    journey = Journey(client, locale="vi")
    journey.start()
    missing = client.get("/k/lib-chuo/vi/q/no-such-step")
    assert missing.status_code == 404
    html = missing.text
    assert 'id="quit"' in html and 'action="/k/lib-chuo/vi/finish"' in html
    assert 'id="idle-warning"' in html and "kiosk.js" in html
    assert 'href="/k/lib-chuo/vi/"' in html and '<html lang="vi"' in html
    # The quick exit from the error page ends the draft like anywhere else.
    finish = client.post("/k/lib-chuo/vi/finish", data={"csrf_token": csrf_token(html)})
    assert finish.status_code == 302 and "storage" in finish.headers["Clear-Site-Data"]
    assert session.scalar(select(func.count()).select_from(KioskDraft)) == 0
    # Elsewhere the plain error page.
    assert 'id="quit"' not in client.get("/no-such-page").text


def test_names_in_the_residents_language_with_the_official_japanese_beside(client, session, demo):
    """vi, my, th, ne: the area question offers the districts in the resident's language; the
    receipt shows the office's name and kind in it, the official Japanese name with its
    reading, and the languages the office speaks."""
    from flask_babel import force_locale, gettext

    from tsunagi.domain.vocabulary import SERVICES

    north = next(d for d in demo.districts if d.code == "kita").name.model_dump()
    office = next(p for p in demo.providers if p.code == "houkatsu-kita").name.model_dump()
    for locale in ("vi", "my", "th", "ne"):
        journey = Journey(client, locale=locale)
        url = journey.start()
        for _ in range(10):
            page = client.get(url)
            if url.split("?")[0].endswith("/area"):
                break
            step = url.split("?")[0].rsplit("/", 1)[1]
            data = {k: v for k, v in {**ELDER, **CONTACT}.items() if k in STEP_KEYS[step]}
            url = journey.submit(url, data).headers["Location"]
        assert north[locale] in page.text and north["en"] not in page.text

        receipt = Journey(client, locale=locale).answer_all(ELDER, CONTACT).text
        with client.application.test_request_context(), force_locale(locale):
            kind = gettext(SERVICES["houkatsu"])
        assert office[locale] in receipt and office["en"] not in receipt
        assert kind[:1].upper() + kind[1:] in receipt
        assert '<span lang="ja">北部地域包括支援センター</span>' in receipt
        assert "ほくぶちいきほうかつしえんセンター" in receipt
        assert 'class="office-languages"' in receipt
