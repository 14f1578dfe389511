"""Who may see which intakes. Used by every provider-side page and API endpoint.

| role              | intakes                          | other                                  |
|-------------------|----------------------------------|----------------------------------------|
| provider_staff    | routed to own provider           |                                        |
| provider_lead     | routed to own provider           | own provider's users                   |
| provider_system   | routed to own provider (API)     |                                        |
| coordinator       | all of the municipality          | urgent/overdue board, directory, outbox|
| admin             | none                             | all users, outbox                      |
| outreach_worker   | none                             | submits intakes (API)                  |
"""
from __future__ import annotations

from sqlalchemy import Select, select

from tsunagi.models import Intake, User

PROVIDER_ROLES = ("provider_staff", "provider_lead", "provider_system")


def reads_intakes(user: User) -> bool:
    return user.active and (user.role == "coordinator" or
                            (user.role in PROVIDER_ROLES and user.provider_id is not None))


def can_read(user: User, intake: Intake) -> bool:
    if not reads_intakes(user):
        return False
    if user.role == "coordinator":
        return intake.provider_id is not None
    return intake.provider_id is not None and intake.provider_id == user.provider_id


def visible_intakes(user: User) -> Select:
    """A query of the intakes `user` may see (none for roles that see none)."""
    query = select(Intake).where(Intake.provider_id.is_not(None))
    if not reads_intakes(user):
        return query.where(False)  # noqa: E712 - an always-false filter, not a comparison
    if user.role != "coordinator":
        query = query.where(Intake.provider_id == user.provider_id)
    return query


def manages_users(user: User) -> bool:
    return user.active and user.role in ("provider_lead", "admin")


def can_manage(user: User, other: User) -> bool:
    if not manages_users(user) or other.id == user.id:
        return False
    if user.role == "admin":
        return True
    return other.provider_id == user.provider_id and other.role in ("provider_staff", "provider_system")
