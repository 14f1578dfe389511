"""The worklist at any size: nothing disappears, whatever the count, and pages follow one
another without gaps or repeats, also between intakes routed in the same second."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tsunagi.domain import worklist
from tsunagi.domain.models import Intake


def all_pages(session, query, **kwargs):
    seen, after = [], None
    for _ in range(100):
        page = worklist.page(session, query, after=after, **kwargs)
        seen += [i.id for i in page.rows]
        if page.next is None:
            return seen
        after = page.next
    raise AssertionError("no last page")


def test_every_open_intake_is_on_some_page_in_worklist_order(session, make_intake):
    made = [make_intake().intake for _ in range(23)]
    urgent = make_intake(answers={"subject": "self", "age_band": "65_plus", "danger_now": "yes",
                                  "area": "minami"}).intake
    closed = made[3]
    session.execute(update(Intake).where(Intake.id == closed.id).values(status="closed"))
    session.commit()
    query = select(Intake).where(Intake.provider_id == urgent.provider_id)
    ids = all_pages(session, query, size=5)
    assert ids[0] == urgent.id  # urgent first
    assert len(ids) == len(set(ids)) == 23 and closed.id not in ids  # none lost, none twice, open only
    rows = {i.id: i for i in session.scalars(select(Intake).where(Intake.id.in_(ids)))}
    keys = [(0 if rows[i].priority == "urgent" else 1, rows[i].routed_at, i) for i in ids]
    assert keys == sorted(keys)
    assert all_pages(session, query, status="closed", size=5) == [closed.id]


def test_a_cursor_that_is_not_an_id_is_refused(session, make_intake):
    query = select(Intake)
    with pytest.raises(worklist.BadCursor):
        worklist.page(session, query, after="../../etc")
    with pytest.raises(ValueError):
        worklist.page(session, query, status="gone")
