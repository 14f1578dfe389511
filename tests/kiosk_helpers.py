"""Drive the kiosk journey through the Flask test client, CSRF tokens included."""
from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class Journey:
    def __init__(self, client, location="lib-chuo", locale="en"):
        self.client, self.location, self.locale = client, location, locale
        self.base = f"/k/{location}/{locale}"

    def start(self):
        page = self.client.get(f"{self.base}/")
        assert page.status_code == 200
        response = self.client.post(f"{self.base}/start", data={"csrf_token": csrf_token(page.text)})
        assert response.status_code == 302
        return response.headers["Location"]

    def submit(self, url, data, follow=False):
        page = self.client.get(url)
        return self.client.post(url, data={**data, "csrf_token": csrf_token(page.text)},
                                follow_redirects=follow)

    def answer_all(self, answers, contact=None, consent=None, stop_at_consent=False):
        """Answer each step shown, in order; return the receipt response (or, with
        `stop_at_consent`, the consent page)."""
        url = self.start()
        for _ in range(20):
            path = url.split("?")[0]
            if path.endswith("/urgent"):
                response = self.submit(url, {})
            elif path.endswith("/review"):
                review = self.client.get(url)
                assert review.status_code == 200, review.text
                url = f"{self.base}/consent"
                continue
            elif path.endswith("/consent") and stop_at_consent:
                return self.client.get(url)
            elif path.endswith("/consent"):
                # A phone call needs a phone number: without one, the office visits.
                way = "phone" if (contact or {}).get("phone") else "visit"
                response = self.submit(url, consent or {"share": "yes", "multi_agency_meeting": "yes",
                                                        "contact_methods": [way]})
                assert response.status_code == 302, response.text
                return self.client.get(response.headers["Location"])
            else:
                step = path.rsplit("/", 1)[1]
                data = {k: v for k, v in {**answers, **(contact or {})}.items() if k in STEP_KEYS[step]}
                response = self.submit(url, data)
                assert response.status_code == 302, (step, response.text)
            url = response.headers["Location"]
        raise AssertionError("journey did not reach the receipt")


STEP_KEYS = {
    "about": {"subject", "age_band"},
    "pregnancy": {"pregnant"},
    "concerns": {"concerns"},
    "household": {"household"},
    "safety": {"danger_now"},
    "area": {"area"},
    "contact": {"name", "phone", "email", "free_text"},
}


def enrol(client, session, location="lib-chuo", **request):
    """Set up `client`'s browser as `location`'s kiosk, as staff do: a device added on the
    office's kiosk page, its one-time code typed at /k/enrol. Returns the enrol response."""
    from sqlalchemy import select

    from tsunagi.domain import kiosk_devices
    from tsunagi.domain.models import Location

    place = session.scalar(select(Location).where(Location.code == location))
    _device, code = kiosk_devices.add(session, place, f"{location} screen", None)
    session.commit()
    page = client.get("/k/enrol", **request)
    response = client.post("/k/enrol", data={"code": code, "csrf_token": csrf_token(page.text)}, **request)
    assert response.status_code == 302, response.text
    return response
