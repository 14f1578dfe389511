"""Who may see which intakes. Used by every provider-side page and API endpoint.

| role              | intakes                          | other                                  |
|-------------------|----------------------------------|----------------------------------------|
| provider_staff    | routed to own provider (*)       |                                        |
| provider_lead     | routed to own provider (*)       | own provider's users                   |
| provider_system   | routed to own provider (API) (*) |                                        |
| coordinator       | all of the municipality          | urgent/overdue board, directory, outbox|
| admin             | none                             | all users, outbox                      |
| outreach_worker   | none                             | submits intakes (API)                  |

(*) and those their provider cooperates on while the resident's consent allows it
(tsunagi.domain.case_team); intakes it passed on, only where they went and how they ended.
"""
from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, object_session

from tsunagi.domain import case_team
from tsunagi.domain.models import AuditEvent, Intake, IntakeRead, User
from tsunagi.domain.vocabulary import PROVIDER_ROLES


def reads_intakes(user: User) -> bool:
    return user.active and (user.role == "coordinator" or
                            (user.role in PROVIDER_ROLES and user.provider_id is not None))


def can_read(user: User, intake: Intake) -> bool:
    if not reads_intakes(user):
        return False
    if user.role == "coordinator":
        return intake.provider_id is not None
    if intake.provider_id is None:
        return False
    if intake.provider_id == user.provider_id:
        return True
    session = object_session(intake)
    return session is not None and case_team.reads_as_cooperating(session, user, intake)


def visible_intakes(user: User) -> Select:
    """A query of the intakes `user` may see (none for roles that see none)."""
    query = select(Intake).where(Intake.provider_id.is_not(None))
    if not reads_intakes(user):
        return query.where(False)  # noqa: E712 - an always-false filter, not a comparison
    if user.role != "coordinator":
        query = query.where(or_(Intake.provider_id == user.provider_id,
                                case_team.cooperating_clause(user.provider_id)))
    return query


def visible_parts(user: User) -> list[Select]:
    """`visible_intakes` as parts whose union it is, each of which an index reads in
    worklist order (tsunagi.domain.worklist): an office's own intakes, and those it
    cooperates on."""
    if not reads_intakes(user) or user.role == "coordinator":
        return [visible_intakes(user)]
    return [select(Intake).where(Intake.provider_id == user.provider_id),
            select(Intake).where(Intake.provider_id.is_not(None), Intake.provider_id != user.provider_id,
                                 Intake.id.in_(case_team.cooperating_ids(user.provider_id)))]


def manages_users(user: User) -> bool:
    return user.active and user.role in ("provider_lead", "admin")


def can_manage(user: User, other: User) -> bool:
    if not manages_users(user) or other.id == user.id:
        return False
    if user.role == "admin":
        return True
    return other.provider_id == user.provider_id and other.role in ("provider_staff", "provider_system")


class NoSuchIntake(LookupError):
    """No intake of this id that the reader may see: unknown and not theirs look alike."""

    def __init__(self, intake_id, reader_id: int | None = None):
        super().__init__(intake_id)
        self.intake_id, self.reader_id = intake_id, reader_id


def audit_denied(session: Session, refused: NoSuchIntake, remote_addr: str | None) -> None:
    """Record a read that was refused (another office's intake, or none): who asked for
    which id, and from where. The caller commits, after rolling back the refused work."""
    asked = refused.intake_id if isinstance(refused.intake_id, str) else None
    if asked is not None and not (asked.isalnum() and len(asked) <= 32):
        asked = None  # not an id the product makes: not kept
    session.add(AuditEvent(actor_id=refused.reader_id, action="intake_read_denied", intake_id=asked,
                           remote_addr=remote_addr))


def readable_intake(session: Session, user: User, intake_id: str) -> Intake:
    """The intake `intake_id` if `user` may read it, the one loader of the inbox and the API.

    :raise NoSuchIntake: it does not exist or is not the user's to read (a 404 either way,
        so its existence is not revealed).
    """
    intake = session.get(Intake, intake_id) if isinstance(intake_id, str) else None
    if intake is None or not can_read(user, intake):
        raise NoSuchIntake(intake_id, user.id)
    return intake


def audit(session: Session, user: User | None, action: str, intake_id: str | None,
          remote_addr: str | None) -> None:
    """Record who did or read what to which intake, and from where; never the data."""
    session.add(AuditEvent(actor_id=user.id if user else None, action=action, intake_id=intake_id,
                           remote_addr=remote_addr))


def open_intake(session: Session, user: User, intake_id: str, remote_addr: str | None) -> Intake:
    """Read an intake: audited, and marked read at the reader's provider. The caller commits.

    :raise NoSuchIntake: as `readable_intake`.
    """
    intake = readable_intake(session, user, intake_id)
    audit(session, user, "intake_read", intake.id, remote_addr)
    mark_read(session, user, intake)
    return intake


def read_ids_for(session: Session, reader: User, intakes: list[Intake]) -> set[str]:
    """Intakes already opened at the reader's provider. For the coordinator, who has no
    provider: intakes opened at the provider they are routed to."""
    ids = [i.id for i in intakes]
    if not ids:
        return set()
    query = select(IntakeRead.intake_id).where(IntakeRead.intake_id.in_(ids))
    if reader.provider_id is not None:
        query = query.where(IntakeRead.provider_id == reader.provider_id)
    else:
        query = query.join(Intake, Intake.id == IntakeRead.intake_id).where(
            IntakeRead.provider_id == Intake.provider_id)
    return set(session.scalars(query))


def mark_read(session: Session, reader: User, intake: Intake) -> None:
    """Read state belongs to the reader's provider; the coordinator's reading sets none."""
    if reader.provider_id is not None and session.get(IntakeRead, (intake.id, reader.provider_id)) is None:
        session.add(IntakeRead(intake_id=intake.id, provider_id=reader.provider_id))
