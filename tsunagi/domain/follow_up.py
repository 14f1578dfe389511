"""Follow-up secrets: a QR token and a short code that let a resident find their case.

Only SHA-256 hashes are stored. Both secrets are high-entropy random values (192 bits
for the token, 65 bits for the code, with lookups rate-limited), so a plain hash is
enough and survives a change of the app's secret key.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import base32_crockford
from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain.models import FollowUp, Intake

CODE_BITS = 65
CODE_LENGTH = 13  # 13 Crockford symbols carry 65 bits; a check symbol follows


class CodeCheckFailed(ValueError):
    """The code's check symbol does not match: a typo, not an unknown code."""


class CodeMalformed(ValueError):
    """The text cannot be a short code (wrong length or characters)."""


@dataclass(frozen=True)
class Secrets:
    token: str
    code: str

    @property
    def grouped_code(self) -> str:
        """The code as printed: groups of 4-4-5 symbols (the last ends with the check)."""
        c = self.code
        return f"{c[:4]}-{c[4:8]}-{c[8:]}"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _encode_code(number: int) -> str:
    body = base32_crockford.encode(number).rjust(CODE_LENGTH, "0")
    check = base32_crockford.encode(number, checksum=True)[-1]
    return body + check


def normalize_code(text: str) -> str:
    """Canonical form of a typed code: any case, I/L→1, O→0, hyphens and spaces ignored.

    :raise CodeMalformed: not 14 Crockford symbols.
    :raise CodeCheckFailed: the check symbol does not match.
    """
    compact = re.sub(r"[\s\-\u2010-\u2015\u30fc]+", "", text or "")
    if len(compact) != CODE_LENGTH + 1:
        raise CodeMalformed("a code has 14 symbols")
    try:
        number = base32_crockford.decode(compact, checksum=True)
    except ValueError as exc:
        if "checksum" in str(exc).lower() or "check" in str(exc).lower():
            raise CodeCheckFailed("check symbol mismatch") from None
        raise CodeMalformed(str(exc)) from None
    return _encode_code(number)


def issue(session: Session, intake: Intake) -> Secrets:
    """Create the token and code for `intake`; the caller commits and shows them once."""
    token = secrets.token_urlsafe(24)
    code = _encode_code(secrets.randbits(CODE_BITS))
    session.add(FollowUp(intake_id=intake.id, token_hash=_hash(token), code_hash=_hash(code)))
    return Secrets(token=token, code=code)


def find(session: Session, *, token: str | None = None, code: str | None = None,
         now: datetime | None = None) -> Intake | None:
    """The intake behind a token or an already normalized code, or None.

    Unknown, expired and revoked secrets all give None, so callers cannot tell them apart.
    """
    if token:
        where = FollowUp.token_hash == _hash(token)
    elif code:
        where = FollowUp.code_hash == _hash(code)
    else:
        return None
    row = session.scalar(select(FollowUp).where(where))
    if row is None or row.revoked_at is not None:
        return None
    now = now or datetime.now(timezone.utc)
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return row.intake
