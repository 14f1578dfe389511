"""The coordinator's board at any size: a page of each section at a time, oldest first,
with how many there are in all; every urgent and every overdue intake is on some page once,
and the totals in the headings (read from the waiting tallies) count what the overdue rule
and the rows say, before and after some are accepted. Only the coordinator sees it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from inbox.views import BOARD_PAGE
from tests.conftest import PASSWORD
from tests.inbox.test_inbox import login
from tsunagi.domain import accounts, lifecycle, overdue, reports
from tsunagi.domain.models import Intake, Provider
from tsunagi.domain.vocabulary import WAITING


def board_pages(client, url="/provider/board"):
    """Every page of the board, following the overdue section's Next link."""
    pages = []
    while url:
        html = client.get(url).text
        pages.append(html)
        overdue = html[html.index("<h2>", html.index("<h2>") + 1):]
        found = re.search(r'<p class="pager"><a class="button" href="([^"]+)"', overdue)
        url = found.group(1).replace("&amp;", "&") if found else None
    return pages


def totals(html: str) -> list[int]:
    """The totals in the board's two headings: urgent, then overdue."""
    return [int(n) for n in re.findall(r"<h2>[^<]*\((\d+)\)</h2>", html)]


def test_the_board_pages_its_overdue_and_urgent_intakes(app, session, demo, make_intake):
    first = make_intake().intake
    urgent = make_intake(answers={"subject": "self", "age_band": "65_plus", "danger_now": "yes",
                                  "area": "minami"}).intake
    template = {c.name: getattr(first, c.name) for c in Intake.__table__.columns
                if c.name not in ("id", "created_at", "routed_at") and c.computed is None}
    now = datetime.now(timezone.utc)
    count = BOARD_PAGE + 7
    # Late ones received over the last month, a fresh one, one closed long ago.
    session.execute(insert(Intake), [dict(template, id=f"late{n:08d}", status="received",
                                          created_at=now - timedelta(days=40, minutes=-n),
                                          routed_at=now - timedelta(days=40, minutes=-n)) for n in range(count)]
                    + [dict(template, id="closedlong", status="closed", created_at=now - timedelta(days=50),
                            routed_at=now - timedelta(days=50))])
    for intake in session.scalars(select(Intake).where(Intake.id.like("late%") | (Intake.id == "closedlong"))):
        reports.submitted(session, intake)  # counted as a submit counts a stored intake
    session.commit()
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    session.commit()
    client = app.test_client()
    login(client, "coord")
    pages = board_pages(client)
    assert len(pages) == 2
    late_ids = [f"late{n:08d}" for n in range(count)]
    shown = [i for page in pages for i in re.findall(r"/provider/intakes/(late\d+)", page)]
    assert shown == late_ids  # each once, oldest first
    assert all(f"({count})" in page for page in pages)  # the total, on every page
    assert "closedlong" not in "".join(pages) and first.id not in "".join(pages)  # not late yet
    # the urgent section keeps its place while the overdue one pages on
    assert all(f"/provider/intakes/{urgent.id}" in page for page in pages)
    assert client.get("/provider/board?late_after=../x").status_code == 400


def test_the_totals_are_what_the_overdue_rule_and_the_rows_count(app, session, demo, make_intake):
    policy = overdue.Policy()
    now = datetime.now(timezone.utc)
    made = []
    for hours in (1, 3, 5, 20, 30, 47, 50, 80, 130, 200, 400):
        for urgent in (False, True):
            intake = make_intake(answers={"subject": "self", "age_band": "65_plus", "area": "minami",
                                          "danger_now": "yes" if urgent else "no"}).intake
            was = reports.before(intake)
            intake.routed_at = now - timedelta(hours=hours)  # as if routed then: counted as a move is
            reports.moved(session, intake, was, now)
            made.append(intake)
    session.commit()
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    session.commit()
    client = app.test_client()
    login(client, "coord")

    def expected() -> list[int]:
        waiting = [i for i in made if i.status in WAITING and i.provider_id is not None]
        return [sum(i.priority == "urgent" for i in waiting), sum(overdue.is_overdue(i, policy, now) for i in made)]

    def shown() -> list[int]:
        html = client.get("/provider/board").text
        rows = html[html.index("<h2>", html.index("<h2>") + 1):]
        assert rows.count("/provider/intakes/") == totals(html)[1]  # one page holds them all
        return totals(html)

    first = expected()
    assert {i.priority for i in made} == {"urgent", "normal"}
    assert 0 < first[0] and 0 < first[1] < len(made)  # some late, some not yet
    assert shown() == first
    staff = {}
    for intake in made[::3]:
        code = session.get(Provider, intake.provider_id).code
        if code not in staff:
            staff[code], _token = accounts.create_user(session, f"staff-{code}", PASSWORD, "provider_staff", code)
        lifecycle.transition(session, intake, "accept", staff[code], now=now)
    session.commit()
    after = expected()
    assert after[0] < first[0] and after[1] < first[1]
    assert shown() == after
    # The board and its totals are the coordinator's alone.
    other = app.test_client()
    login(other, f"staff-{next(iter(staff))}")
    assert other.get("/provider/board").status_code == 403
