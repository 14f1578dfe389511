"""The kiosk's pages of fixed texts are rendered and annotated once, then kept
(tsunagi.web.context.render_fixed, tsunagi.web.ruby.fixed_page): what is kept must never
carry one session's CSRF token to another, nor outlive a change of the municipality's data."""
from __future__ import annotations

from sqlalchemy import select

from tests.kiosk_helpers import csrf_token
from tsunagi.domain.models import Location, Municipality


def test_each_session_gets_its_own_token_on_a_kept_page(app, demo):
    for path in ("/k/lib-chuo/ja/", "/k/lib-chuo/ja/?furigana=1"):
        first, second = app.test_client(), app.test_client()
        page_one, page_two = first.get(path).text, second.get(path).text
        token_one, token_two = csrf_token(page_one), csrf_token(page_two)
        assert token_one != token_two
        # The same page otherwise, with the token of each session, which it accepts.
        assert page_one.replace(token_one, "") == page_two.replace(token_two, "")
        assert first.post("/k/lib-chuo/ja/start", data={"csrf_token": token_one}).status_code == 302
        assert second.post("/k/lib-chuo/ja/start", data={"csrf_token": token_one}).status_code == 400
        assert "\ue000" not in page_one
    assert app.extensions["tsunagi.fixed_pages"]  # kept indeed: the second client was served the kept page


def test_a_changed_municipality_shows_at_the_next_request(client, session, demo):
    assert "0120-000-000" not in client.get("/k/lib-chuo/ja/?furigana=1").text
    assert "新しい図書館" not in client.get("/k/lib-chuo/").text
    muni = session.scalar(select(Municipality))
    muni.emergency_contacts = [{**muni.emergency_contacts[0], "number": "0120-000-000"}]
    loc = session.scalar(select(Location).where(Location.code == "lib-chuo"))
    loc.name = {**loc.name, "ja": "新しい図書館"}
    session.flush()
    assert "0120-000-000" in client.get("/k/lib-chuo/ja/?furigana=1").text
    assert "新しい図書館" in client.get("/k/lib-chuo/").text
    loc.active = False
    session.flush()
    assert client.get("/k/lib-chuo/").status_code == 404
