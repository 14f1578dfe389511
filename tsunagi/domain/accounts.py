"""Provider-side accounts: argon2 password hashes and API bearer tokens."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain.models import Provider, User
from tsunagi.domain.vocabulary import PROVIDER_ROLES, ROLES

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of a wrong
# username close to that of a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    pass


def token_hash(token: str) -> str:
    """How a bearer token is kept: SHA-256 (a random token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, username: str, password: str | None, role: str,
                provider_code: str | None = None, email: str | None = None) -> tuple[User, str]:
    """Create a user; returns it with a new API token (shown once, stored hashed).

    A `provider_system` account (a provider's own software) has no password: token only.

    :raise AccountError: unknown role, missing or unknown provider, taken username,
        password shorter than 12 characters.
    """
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if role != "provider_system" and (password is None or len(password) < 12):
        raise AccountError("the password needs at least 12 characters")
    provider = None
    if role in PROVIDER_ROLES:
        if not provider_code:
            raise AccountError(f"role {role} needs a provider")
        provider = session.scalar(select(Provider).where(Provider.code == provider_code))
        if provider is None:
            raise AccountError(f"unknown provider {provider_code!r}")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"username {username!r} is taken")
    token = secrets.token_urlsafe(32)
    user = User(username=username, password_hash=_hasher.hash(password) if password else None,
                role=role, provider=provider, api_token_hash=token_hash(token), email=email,
                session_epoch=0)
    session.add(user)
    session.flush()
    return user, token


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == token_hash(token)))
    return user if user is not None and user.active else None


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every open session (its cookie carries the old epoch)
    and every outreach app token stop working; the password and API token stay."""
    user.session_epoch += 1


def disable(user: User) -> None:
    """Disable the account: its password, token and every open session stop working."""
    user.active = False
    user.session_epoch += 1


def reset_credentials(user: User, password: str | None) -> str:
    """New password and API token; every open session and the old token stop working.
    Returns the new token (shown once)."""
    token = secrets.token_urlsafe(32)
    user.password_hash = _hasher.hash(password) if password else None
    user.api_token_hash = token_hash(token)
    user.active = True
    user.session_epoch += 1
    return token
