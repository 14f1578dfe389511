"""An office's worklist at any size: open cases by default, urgent first, then by deadline
(for one priority, the deadline follows the time the intake was routed), then oldest; one
page at a time with a keyset cursor, so a page costs the same at 500 cases as at 500,000.
The inbox pages and the provider API read it the same way."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, literal_column, select, tuple_
from sqlalchemy.orm import Session, aliased, defer

from tsunagi.domain import follow_up, intakes
from tsunagi.domain.models import FollowUp, Intake
from tsunagi.domain.vocabulary import STATUSES, typed

PAGE_SIZE = 50
# Not open: nothing more to do unless reopened. Shown only when asked for by status.
ENDED = ("closed", "interrupted", "not_shared")


def words(values) -> list:
    """Fixed codes written into the SQL as literals, not bound: a partial index's condition
    (`OPEN`) matches the query's only when the query says it in the same words."""
    return [literal_column(f"'{v}'") for v in values]


def is_open(table=Intake):
    """The condition of the worklist's partial indexes (ix_intake_worklist*)."""
    return table.status.not_in(words(ENDED))


class BadCursor(ValueError):
    """The `after` cursor is not an intake id."""


@dataclass(frozen=True)
class Page:
    rows: list[Intake]
    next: str | None  # the cursor of the following page (the last intake's id), None on the last one


def _key(table=Intake):
    return (table.worklist_rank, table.routed_at, table.id)


# A worklist row shows nothing identifying: the name, contact and free text of its intakes
# are not read, so not decrypted (reading one would raise: a list never opens them).
UNOPENED = (defer(Intake.name, raiseload=True), defer(Intake.contact, raiseload=True),
            defer(Intake.free_text, raiseload=True))


def page(session: Session, query: Select | Sequence[Select], *, status: str | None = None,
         after: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of `query` (intakes the reader may see, already filtered; or the parts whose
    union they are, `access.visible_parts`): open cases unless a `status` is asked for, in
    worklist order, after the cursor `after`. Each part reads one page along an index in
    worklist order (ix_intake_worklist*): a page costs the same at any size; the parts'
    pages are merged here.

    :raise BadCursor: `after` is not an intake id.
    :raise ValueError: `status` is not a status.
    """
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    parts = [query] if isinstance(query, Select) else list(query)
    if after is not None:
        # The cursor is the last intake of the page before; rows compare with its stored
        # values (no timestamp goes through text or a time zone on the way).
        if not (isinstance(after, str) and 1 <= len(after) <= 32 and after.isalnum()):
            raise BadCursor(after)
        # Only an intake the reader sees places the page: another's id gives nothing.
        if not any(session.scalar(part.where(Intake.id == after).with_only_columns(Intake.id))
                   for part in parts):
            return Page(rows=[], next=None)
        last = aliased(Intake)
        position = select(*_key(last)).where(last.id == after).scalar_subquery()
        parts = [part.where(tuple_(*_key()) > position) for part in parts]
    parts = [part.where(Intake.status == status) if status else part.where(is_open()) for part in parts]
    found: dict[str, Intake] = {}
    for part in parts:
        for intake in session.scalars(part.order_by(*_key()).limit(size + 1).options(*UNOPENED)):
            found[intake.id] = intake
    rows = list(found.values())
    if len(parts) > 1:
        rows.sort(key=lambda i: (0 if i.priority == "urgent" else 1, i.routed_at, i.id))
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
