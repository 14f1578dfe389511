"""Session tokens: what the outreach app holds after a worker signs in.

A worker's phone should not carry the account's permanent API token: a lost phone would
then need the account's token replaced. Signing in issues a random token that expires
after a few hours and is revoked at sign-out; only its SHA-256 is stored. A token also
ends when the user is disabled or their `session_epoch` is raised. Takes a `Session`;
the caller commits.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from tsunagi.domain.accounts import token_hash
from tsunagi.domain.models import SessionToken, User
from tsunagi.domain.vocabulary import OUTREACH_ROLES


class NotAllowed(PermissionError):
    """The account does not use the outreach app."""


def issue(session: Session, user: User, lifetime: timedelta,
          now: datetime | None = None) -> tuple[SessionToken, str]:
    """A new token for `user` (an authenticated worker); the plain token is returned once.

    :raise NotAllowed: the user's role does not sign in to the outreach app.
    """
    if user.role not in OUTREACH_ROLES:
        raise NotAllowed(f"role {user.role} does not use the outreach app")
    token = secrets.token_urlsafe(32)
    row = SessionToken(token_hash=token_hash(token), user_id=user.id, session_epoch=user.session_epoch,
                       expires_at=(now or datetime.now(timezone.utc)) + lifetime)
    session.add(row)
    session.flush()
    return row, token


def find(session: Session, token: str, now: datetime | None = None) -> SessionToken | None:
    """The live token row for `token`: not expired, not revoked, its user active and of
    the same session epoch. None otherwise."""
    if not token:
        return None
    row = session.get(SessionToken, token_hash(token))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at <= (now or datetime.now(timezone.utc)):
        return None
    user = row.user
    if not user.active or user.session_epoch != row.session_epoch:
        return None
    return row


def user_for_token(session: Session, token: str) -> User | None:
    row = find(session, token)
    return row.user if row is not None else None


def revoke(session: Session, token: str) -> bool:
    """Revoke `token` at once. False when it was not live."""
    row = find(session, token)
    if row is None:
        return False
    row.revoked_at = datetime.now(timezone.utc)
    return True


def purge(session: Session, now: datetime | None = None) -> int:
    """Delete tokens that expired or were revoked: they can never be used again."""
    now = now or datetime.now(timezone.utc)
    result = session.execute(delete(SessionToken).where(
        or_(SessionToken.expires_at < now, SessionToken.revoked_at.is_not(None))))
    return result.rowcount or 0
