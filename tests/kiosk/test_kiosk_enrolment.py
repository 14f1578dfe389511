"""Kiosks are enrolled devices: only a browser set up by the office serves a place's kiosk."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.kiosk_helpers import Journey, csrf_token, enrol
from tsunagi.domain import accounts, kiosk_devices
from tsunagi.domain.models import AuditEvent, KioskDevice, KioskDraft, Location


@pytest.fixture
def kiosk_app(make_app, tmp_path):
    from tsunagi.web.extensions import limiter

    app = make_app({"TESTING": True, "KIOSK_ENROLMENT": True, "KIOSK_RATE_LIMIT": "40 per minute"})
    limiter.reset()
    return app


def signed_in(app, session, role="coordinator"):
    accounts.create_user(session, f"u-{role}", PASSWORD, role, "kodomo" if role == "provider_staff" else None)
    session.commit()
    client = app.test_client()
    page = client.get("/provider/login")
    assert client.post("/provider/login", data={"username": f"u-{role}", "password": PASSWORD,
                                                "csrf_token": csrf_token(page.text)}).status_code == 302
    return client


def test_the_demo_leaves_kiosks_open_and_a_real_deployment_needs_enrolment(make_app):
    assert make_app({"DEMO": True, "KIOSK_ENROLMENT": None}).config["KIOSK_ENROLMENT"] is False
    assert make_app({"TESTING": True, "KIOSK_ENROLMENT": None}).config["KIOSK_ENROLMENT"] is True


def test_an_unenrolled_browser_gets_a_clear_page_and_no_journey(kiosk_app, session, demo):
    client = kiosk_app.test_client()
    for path in ("/k/lib-chuo/", "/k/lib-chuo/ja/", "/k/lib-chuo/vi/q/about", "/k/lib-chuo/ja/consent"):
        page = client.get(path)
        assert page.status_code == 403 and 'href="/k/enrol"' in page.text, path
    assert "Màn hình này chưa được thiết lập" in client.get("/k/lib-chuo/", headers={"Accept-Language": "vi"}).text
    assert client.post("/k/lib-chuo/ja/start").status_code in (400, 403)
    assert session.scalar(select(func.count()).select_from(KioskDraft)) == 0


def test_the_coordinator_adds_a_device_and_its_code_sets_up_the_kiosk_once(kiosk_app, session, demo):
    coordinator = signed_in(kiosk_app, session)
    page = coordinator.get("/provider/kiosks")
    assert page.status_code == 200 and "キオスク端末" in page.text
    added = coordinator.post("/provider/kiosks", data={"location": "lib-chuo", "label": "中央図書館 1階",
                                                       "csrf_token": csrf_token(page.text)})
    assert added.status_code == 200 and "中央図書館 1階" in added.text
    code = added.text.split('<strong class="code">')[1].split("<")[0]
    assert len(code) == 11 and code not in coordinator.get("/provider/kiosks").text  # shown once
    device = session.scalar(select(KioskDevice))
    assert device.code_hash and code.replace("-", "") not in device.code_hash
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "kiosk_device_added")) is not None

    kiosk = kiosk_app.test_client()
    form = kiosk.get("/k/enrol")
    done = kiosk.post("/k/enrol", data={"code": f" {code.lower()} ", "csrf_token": csrf_token(form.text)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/k/lib-chuo/")
    cookie = done.headers["Set-Cookie"]
    assert cookie.startswith("tsunagi_kiosk=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert kiosk.get("/k/lib-chuo/").status_code == 200
    assert kiosk.get("/k/hub-minami/").status_code == 403  # set up for one place only
    Journey(kiosk, locale="ja").start()

    again = kiosk_app.test_client()
    form = again.get("/k/enrol")
    refused = again.post("/k/enrol", data={"code": code, "csrf_token": csrf_token(form.text)})
    assert refused.status_code == 422 and "30" in refused.text
    assert "tsunagi_kiosk" not in refused.headers.get("Set-Cookie", "")


def test_an_expired_code_sets_up_nothing(kiosk_app, session, demo):
    place = session.scalar(select(Location).where(Location.code == "lib-chuo"))
    _device, code = kiosk_devices.add(session, place, "old", None,
                                      now=datetime.now(timezone.utc) - timedelta(minutes=31))
    session.commit()
    client = kiosk_app.test_client()
    form = client.get("/k/enrol")
    assert client.post("/k/enrol", data={"code": code, "csrf_token": csrf_token(form.text)}).status_code == 422
    assert client.get("/k/lib-chuo/").status_code == 403


def test_revoking_a_device_stops_its_kiosk_at_once(kiosk_app, session, demo):
    kiosk = kiosk_app.test_client()
    enrol(kiosk, session)
    assert kiosk.get("/k/lib-chuo/").status_code == 200
    coordinator = signed_in(kiosk_app, session)
    device = session.scalar(select(KioskDevice))
    page = coordinator.get("/provider/kiosks")
    revoked = coordinator.post(f"/provider/kiosks/{device.id}/revoke", data={"csrf_token": csrf_token(page.text)},
                               follow_redirects=True)
    assert revoked.status_code == 200 and "取り消し" in revoked.text
    assert kiosk.get("/k/lib-chuo/").status_code == 403


def test_only_the_coordinator_and_the_admin_manage_kiosks(kiosk_app, session, demo):
    office = signed_in(kiosk_app, session, "provider_staff")
    assert office.get("/provider/kiosks").status_code == 403
    assert signed_in(kiosk_app, session, "admin").get("/provider/kiosks").status_code == 200


def test_finishing_on_an_enrolled_kiosk_clears_the_visit_and_keeps_the_device(kiosk_app, session, demo):
    kiosk = kiosk_app.test_client()
    enrol(kiosk, session)
    journey = Journey(kiosk, locale="ja")
    step = journey.start()
    page = kiosk.get(step)
    done = kiosk.post("/k/lib-chuo/ja/finish", data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 302 and "cookies" not in done.headers["Clear-Site-Data"]
    assert '"storage"' in done.headers["Clear-Site-Data"]
    cookies = done.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=;") or (c.startswith("session=") and "Max-Age=0" in c) for c in cookies)
    assert session.scalar(select(func.count()).select_from(KioskDraft)) == 0
    assert kiosk.get("/k/lib-chuo/").status_code == 200  # still the kiosk for the next visitor


def test_an_enrolled_kiosk_is_rate_limited_per_device(make_app, session, demo):
    from tsunagi.web.extensions import limiter

    app = make_app({"TESTING": True, "KIOSK_ENROLMENT": True, "KIOSK_RATE_LIMIT": "3 per minute"})
    limiter.reset()
    kiosk, other = app.test_client(), app.test_client()
    enrol(kiosk, session)
    enrol(other, session)
    statuses = [kiosk.post("/k/lib-chuo/ja/start", data={"csrf_token": csrf_token(kiosk.get("/k/lib-chuo/ja/").text)})
                .status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    page = other.get("/k/lib-chuo/ja/")
    assert other.post("/k/lib-chuo/ja/start", data={"csrf_token": csrf_token(page.text)}).status_code == 302
