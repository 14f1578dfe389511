"""The coordinator's board at any size: a page of each section at a time, oldest first,
with how many there are in all; every urgent and every overdue intake is on some page once."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from inbox.views import BOARD_PAGE
from tests.conftest import PASSWORD
from tests.inbox.test_inbox import login
from tsunagi.domain import accounts
from tsunagi.domain.models import Intake


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
