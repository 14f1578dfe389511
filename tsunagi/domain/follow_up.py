"""Follow-up secrets: a QR token and a short code that let a resident find their case.

Only hashes are stored. The token (192 random bits) is kept as its SHA-256. The code has
65 bits, few enough that a copy of the database holding a million codes would give up
one of them to a search over its plain hashes within hours; so it is kept as a keyed hash
(HMAC-SHA-256 under the database's pepper, which is sealed with the data keys outside the
database: `data_keys.pepper`). Codes issued before are kept as their SHA-256 and still
found.
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
from stdnum import luhn

from tsunagi.domain import data_keys, sealed
from tsunagi.domain.models import FollowUp, Intake
from tsunagi.domain.vocabulary import typed

CODE_BITS = 65
CODE_LENGTH = 13  # 13 Crockford symbols carry 65 bits; a check symbol of the same alphabet follows


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


def code_hash(session: Session, code: str) -> str:
    """The stored hash of a canonical short code (as `normalize_code` gives it)."""
    return sealed.keyed_hash(data_keys.pepper(session), f"code:{code}")


def code_hashes(session: Session, codes: tuple[str, ...]) -> list[str]:
    """Every hash a code of `codes` may be stored under: keyed, or plain for codes issued
    before the keyed hash."""
    return [h for c in codes for h in (code_hash(session, c), _hash(c))]


# Crockford's base 32: digits and capitals without I, L, O and U, easy to read aloud and type.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode_code(number: int) -> str:
    """13 symbols and a check symbol from the same alphabet (Luhn mod 32: catches every
    single wrong symbol and most swaps of neighbours)."""
    body = base32_crockford.encode(number).rjust(CODE_LENGTH, "0")
    return body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def _legacy_code(number: int) -> str:
    """Codes printed before the check stayed inside the alphabet: Crockford's mod-37 check,
    whose symbol may be * ~ $ = or U. They keep working."""
    body = base32_crockford.encode(number).rjust(CODE_LENGTH, "0")
    return body + base32_crockford.encode(number, checksum=True)[-1]


def normalize_code(text: str) -> tuple[str, ...]:
    """The canonical codes a typed code may stand for (as issued now, or as issued before):
    full-width and any case accepted, I/L→1, O→0, hyphens and spaces ignored.

    :raise CodeMalformed: not 14 symbols of the alphabet.
    :raise CodeCheckFailed: the check symbol does not match.
    """
    compact = re.sub(r"[\s\-\u2010-\u2015\u2212\u30fc]+", "", typed(text or "")).upper()
    if len(compact) != CODE_LENGTH + 1:
        raise CodeMalformed("a code has 14 symbols")
    try:
        number = base32_crockford.decode(compact[:-1])
    except ValueError as exc:
        raise CodeMalformed(str(exc)) from None
    check = compact[-1].translate(str.maketrans("IL O", "11 0"))
    found = []
    current = _encode_code(number)
    if current[-1] == check:
        found.append(current)
    legacy = _legacy_code(number)
    if legacy[-1] == check:
        found.append(legacy)
    if not found:
        if check not in ALPHABET + "*~$=U":
            raise CodeMalformed("not a symbol of the code's alphabet")
        raise CodeCheckFailed("check symbol mismatch")
    return tuple(found)


def find_code(session: Session, text: str) -> Intake | None:
    """The intake behind a typed receipt code, or None.

    :raise CodeMalformed: not a code at all.
    :raise CodeCheckFailed: the check symbol of today's codes does not match and no code
        issued before has these symbols: a typo (an old code's check matching a typo by
        chance is not taken for a hit).
    """
    codes = normalize_code(text)
    intake = find(session, code=codes)
    if intake is None and codes[0] != _encode_code(base32_crockford.decode(codes[0][:-1])):
        raise CodeCheckFailed("check symbol mismatch")
    return intake


def issue(session: Session, intake: Intake) -> Secrets:
    """Create the token and code for `intake`; the caller commits and shows them once."""
    token = secrets.token_urlsafe(24)
    code = _encode_code(secrets.randbits(CODE_BITS))
    session.add(FollowUp(intake_id=intake.id, token_hash=_hash(token), code_hash=code_hash(session, code)))
    return Secrets(token=token, code=code)


def find(session: Session, *, token: str | None = None, code: str | tuple[str, ...] | None = None,
         now: datetime | None = None) -> Intake | None:
    """The intake behind a token or an already normalized code (or the codes
    `normalize_code` gives), or None.

    Unknown, expired and revoked secrets all give None, so callers cannot tell them apart.
    """
    if token:
        where = FollowUp.token_hash == _hash(token)
    elif code:
        where = FollowUp.code_hash.in_(code_hashes(session, (code,) if isinstance(code, str) else code))
    else:
        return None
    row = session.scalar(select(FollowUp).where(where))
    if row is None or row.revoked_at is not None:
        return None
    now = now or datetime.now(timezone.utc)
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return row.intake
