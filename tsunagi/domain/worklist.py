"""An office's worklist at any size: open cases by default, urgent first, then by deadline
(for one priority, the deadline follows the time the intake was routed), then oldest; one
page at a time with a keyset cursor, so a page costs the same at 500 cases as at 500,000.
The inbox pages and the provider API read it the same way."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, select, tuple_
from sqlalchemy.orm import Session, aliased

from tsunagi.domain import follow_up, intakes
from tsunagi.domain.models import FollowUp, Intake
from tsunagi.domain.vocabulary import STATUSES, typed

PAGE_SIZE = 50
# Not open: nothing more to do unless reopened. Shown only when asked for by status.
ENDED = ("closed", "interrupted", "not_shared")


class BadCursor(ValueError):
    """The `after` cursor is not an intake id."""


@dataclass(frozen=True)
class Page:
    rows: list[Intake]
    next: str | None  # the cursor of the following page (the last intake's id), None on the last one


def _rank(table=Intake):
    return case((table.priority == "urgent", 0), else_=1)


def _key(table=Intake):
    return (_rank(table), table.routed_at, table.id)


def page(session: Session, query: Select, *, status: str | None = None, after: str | None = None,
         size: int = PAGE_SIZE) -> Page:
    """One page of `query` (intakes the reader may see, already filtered): open cases
    unless a `status` is asked for, in worklist order, after the cursor `after`.

    :raise BadCursor: `after` is not an intake id.
    :raise ValueError: `status` is not a status.
    """
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    query = query.where(Intake.status == status) if status else query.where(Intake.status.not_in(ENDED))
    if after is not None:
        # The cursor is the last intake of the page before; rows compare with its stored
        # values (no timestamp goes through text or a time zone on the way).
        if not (isinstance(after, str) and 1 <= len(after) <= 32 and after.isalnum()):
            raise BadCursor(after)
        last = aliased(Intake)
        # Only an intake of the same office places the page: another's id gives nothing.
        position = select(*_key(last)).where(last.id == after, last.provider_id == Intake.provider_id).scalar_subquery()
        query = query.where(tuple_(*_key()) > position)
    rows = list(session.scalars(query.order_by(*_key()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next=rows[-1].id if more else None)


def search(session: Session, readable: Select, text: str) -> list[Intake]:
    """The intakes of `readable` a resident on the phone means: by receipt code, or by
    phone number or email, matched through the keyed hashes the product keeps (never the
    plaintext). Typed as people type (full width, hyphens, any case)."""
    text = typed(text or "")[:254]
    if not text:
        return []
    try:
        codes = follow_up.normalize_code(text)
    except (follow_up.CodeMalformed, follow_up.CodeCheckFailed):
        codes = ()
    if codes:
        ids = select(FollowUp.intake_id).where(FollowUp.code_hash.in_(follow_up.code_hashes(session, codes)),
                                               FollowUp.revoked_at.is_(None))
        return list(session.scalars(readable.where(Intake.id.in_(ids))))
    key = intakes.contact_key(session, {"email": text} if "@" in text else {"phone": text})
    if key is None:
        return []
    return list(session.scalars(readable.where(Intake.contact_key == key).order_by(Intake.created_at.desc())
                                .limit(PAGE_SIZE)))
