"""Kiosk mode through the Flask test client: the review screen, answers of hidden steps,
the idle settings handed to the page, quick exit on every screen, the receipt's date."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.kiosk_helpers import Journey, csrf_token
from tsunagi.domain.models import Intake, KioskDraft

YOUNG = {"subject": "self", "age_band": "18_39", "pregnant": "yes", "concerns": ["health"],
         "danger_now": "no", "area": "kita"}


def answer_steps(journey: Journey, steps: list[tuple[str, dict]]) -> str:
    url = journey.start()
    for step, data in steps:
        assert f"/q/{step}" in url, (step, url)
        response = journey.submit(url, data)
        assert response.status_code == 302, response.text
        url = response.headers["Location"]
    return url


ALL_STEPS = [("about", {"subject": "family", "age_band": "18_39"}), ("pregnancy", {"pregnant": "yes"}),
             ("concerns", {"concerns": ["health", "money"]}), ("household", {}),
             ("safety", {"danger_now": "no"}), ("area", {"area": "minami"}),
             ("contact", {"name": "Maria Santos", "phone": "090-1234-5678"})]


def test_last_step_leads_to_a_review_of_every_answer_in_the_residents_language(client, demo):
    journey = Journey(client, locale="ja")
    url = answer_steps(journey, ALL_STEPS)
    assert url.endswith("/k/lib-chuo/ja/review")
    page = client.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.text
    for text in ("家族", "18〜39歳", "妊娠", "健康", "お金・借金", "Maria Santos", "090-1234-5678", "未回答"):
        assert text in html, text
    for step, _data in ALL_STEPS:
        assert f'href="/k/lib-chuo/ja/q/{step}?from=review"' in html
    assert 'href="/k/lib-chuo/ja/consent"' in html


def test_a_change_from_the_review_returns_to_it(client, demo):
    journey = Journey(client)
    answer_steps(journey, ALL_STEPS)
    response = journey.submit("/k/lib-chuo/en/q/safety?from=review", {"danger_now": "no"})
    assert response.headers["Location"] == "/k/lib-chuo/en/review"
    response = journey.submit("/k/lib-chuo/en/q/area?from=review", {"area": "kita"})
    assert "North district" in client.get(response.headers["Location"]).text


def test_a_change_that_shows_a_new_step_asks_it_before_the_review(client, demo):
    journey = Journey(client)
    answer_steps(journey, [("about", {"subject": "self", "age_band": "65_plus"})] + ALL_STEPS[2:])
    response = journey.submit("/k/lib-chuo/en/q/about?from=review", {"subject": "self", "age_band": "18_39"})
    review = client.get(response.headers["Location"])
    assert review.status_code == 302
    assert review.headers["Location"] == "/k/lib-chuo/en/q/pregnancy?from=review"
    assert client.get("/k/lib-chuo/en/consent").headers["Location"] == "/k/lib-chuo/en/review"
    response = journey.submit(review.headers["Location"], {"pregnant": "no"})
    assert response.headers["Location"] == "/k/lib-chuo/en/review"
    assert client.get("/k/lib-chuo/en/review").status_code == 200


def test_answers_of_a_step_no_longer_shown_do_not_reach_triage(client, session, demo):
    # Pregnant at 18-39, then corrected to 65+: the pregnancy answer must not route to kodomo.
    journey = Journey(client)
    answer_steps(journey, [("about", {"subject": "self", "age_band": "18_39"}), ("pregnancy", {"pregnant": "yes"}),
                           ("concerns", {"concerns": ["health"]}), ("household", {}),
                           ("safety", {"danger_now": "no"}), ("area", {"area": "kita"}), ("contact", {})])
    journey.submit("/k/lib-chuo/en/q/about?from=review", {"subject": "self", "age_band": "65_plus"})
    review = client.get("/k/lib-chuo/en/review").text
    assert "Is that person pregnant?" not in review
    consent = client.get("/k/lib-chuo/en/consent")
    assert "North Community General Support Center" in consent.text
    client.post("/k/lib-chuo/en/consent", data={"share": "yes", "multi_agency_meeting": "no",
                                                "csrf_token": csrf_token(consent.text)})
    intake = session.scalar(select(Intake))
    assert intake.service == "houkatsu"
    assert intake.answers.get("pregnant") != "yes"


def test_every_kiosk_screen_has_the_quick_exit_and_the_idle_settings(make_app, session, demo):
    app = make_app({"TESTING": True, "KIOSK_IDLE_SECONDS": 7, "KIOSK_WARNING_SECONDS": 21})
    client = app.test_client()
    journey = Journey(client)
    url = journey.start()
    seen = {"/k/lib-chuo/en/": client.get("/k/lib-chuo/en/").text}
    answers = {"about": {"subject": "self", "age_band": "18_39"}, "pregnancy": {"pregnant": "no"},
               "concerns": {"concerns": ["violence"]}, "household": {}, "safety": {"danger_now": "no"},
               "area": {"area": "kita"}, "contact": {}, "urgent": {},
               "consent": {"share": "no", "multi_agency_meeting": "no"}}
    while not url.endswith("/receipt"):
        seen[url] = client.get(url).text
        if url.endswith("/review"):
            url = "/k/lib-chuo/en/consent"
            continue
        url = journey.submit(url, answers[url.split("?")[0].rsplit("/", 1)[1]]).headers["Location"]
    seen[url] = client.get(url).text
    seen["/k/lib-chuo/ (during a consultation)"] = client.get("/k/lib-chuo/").text
    assert len(seen) == 13  # welcome, 7 steps, urgent, review, consent, receipt, picker
    for path, html in seen.items():
        assert re.search(r'<form method="post" id="quit" class="quit"\s+action="/k/lib-chuo/(en/)?finish"', html), path
        assert 'data-idle-seconds="7" data-warning-seconds="21"' in html, path
        assert '<dialog id="idle-warning"' in html and 'src="/static/kiosk/kiosk.js"' in html, path
        assert "<script>" not in html and " style=" not in html and " onclick" not in html, path


def test_the_picker_offers_the_quick_exit_only_during_a_consultation(client, session, demo):
    assert 'id="quit"' not in client.get("/k/lib-chuo/").text
    Journey(client).start()
    picker = client.get("/k/lib-chuo/")
    assert 'action="/k/lib-chuo/finish"' in picker.text
    response = client.post("/k/lib-chuo/finish", data={"csrf_token": csrf_token(picker.text)})
    assert response.status_code == 302 and response.headers["Location"] == "/k/lib-chuo/"
    assert '"storage"' in response.headers["Clear-Site-Data"]
    assert session.scalars(select(KioskDraft)).all() == []
    assert 'id="quit"' not in client.get("/k/lib-chuo/").text


def test_personal_fields_are_not_remembered_by_the_browser(client, demo):
    journey = Journey(client)
    url = answer_steps(journey, ALL_STEPS[:2] + ALL_STEPS[2:6])
    html = client.get(url).text
    assert '<form method="post" novalidate autocomplete="off">' in html
    for name in ("name", "phone", "email", "free_text"):
        assert re.search(rf'<(input|textarea)[^>]*autocomplete="off"[^>]*name="{name}"', html), name


def test_receipt_has_the_date_and_a_print_button(client, demo):
    receipt = Journey(client).answer_all({"subject": "self", "age_band": "65_plus", "concerns": ["health"],
                                          "danger_now": "no", "area": "kita"})
    assert re.search(r'<p class="date">Date: \w+ \d{1,2}, \d{4}</p>', receipt.text)
    assert 'id="print-receipt"' in receipt.text
    # Nothing about needs on the receipt, not even on screen; what happens next instead.
    assert 'class="reasons' not in receipt.text and "Aged 65" not in receipt.text
    assert '<p class="next-step">What happens next:' in receipt.text
