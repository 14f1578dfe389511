"""Kiosk devices: which browsers may serve a place's kiosk.

The coordinator adds a device for a place and is shown a one-time enrolment code (valid
`CODE_VALID_FOR`). Typed into the kiosk browser at `/k/enrol`, it is exchanged once for
a device token that only that browser keeps (an HttpOnly cookie); the database keeps the
SHA-256 of each (both are random: 50 bits for a code that lives half an hour and is
rate-limited, 256 bits for the token). Revoking a device ends it at once. Takes a
`Session`; the caller commits.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

import base32_crockford
from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain.models import KioskDevice, Location
from tsunagi.domain.vocabulary import KIOSK_KINDS, typed

CODE_VALID_FOR = timedelta(minutes=30)
CODE_LENGTH = 10  # Crockford symbols, 50 bits


class CodeRefused(ValueError):
    """Not a code that enrols a device now: unknown, used, expired or revoked."""


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _canonical(code: str) -> str:
    """A typed code as issued: full width and any case, I/L→1, O→0, hyphens and spaces ignored."""
    compact = re.sub(r"[\s\-\u2010-\u2015\u2212\u30fc]+", "", typed(code or "")).upper()
    return compact.translate(str.maketrans("ILO", "110"))


def add(session: Session, location: Location, label: str, by_user_id: int | None,
        now: datetime | None = None) -> tuple[KioskDevice, str]:
    """A new device of `location` waiting for enrolment; returns it with its one-time code
    (as printed: two groups of five), shown once."""
    if location.kind not in KIOSK_KINDS:
        raise ValueError("not a kiosk location")
    code = base32_crockford.encode(secrets.randbits(5 * CODE_LENGTH)).rjust(CODE_LENGTH, "0")
    device = KioskDevice(location_id=location.id, label=typed(label)[:80] or location.code,
                         code_hash=_hash(code), created_by_id=by_user_id,
                         code_expires_at=(now or datetime.now(timezone.utc)) + CODE_VALID_FOR)
    session.add(device)
    session.flush()
    return device, f"{code[:5]}-{code[5:]}"


def enrol(session: Session, code: str, now: datetime | None = None) -> tuple[KioskDevice, str]:
    """Exchange a one-time code for the device's token (returned once).

    :raise CodeRefused: unknown, already used, expired or revoked."""
    canonical = _canonical(code)
    device = session.scalar(select(KioskDevice).where(KioskDevice.code_hash == _hash(canonical))) \
        if len(canonical) == CODE_LENGTH else None
    now = now or datetime.now(timezone.utc)
    if device is None or device.revoked_at is not None or device.code_expires_at is None \
            or device.code_expires_at <= now or not device.location.active:
        raise CodeRefused("this code does not enrol a kiosk")
    token = secrets.token_urlsafe(32)
    device.token_hash, device.code_hash, device.code_expires_at = _hash(token), None, None
    device.enrolled_at = now
    return device, token


def find(session: Session, token: str | None) -> KioskDevice | None:
    """The enrolled, unrevoked device of this token, or None."""
    if not token or len(token) > 128:
        return None
    device = session.scalar(select(KioskDevice).where(KioskDevice.token_hash == _hash(token)))
    return device if device is not None and device.revoked_at is None else None


def revoke(device: KioskDevice, now: datetime | None = None) -> None:
    device.revoked_at = device.revoked_at or now or datetime.now(timezone.utc)
    device.code_hash = device.code_expires_at = None


def listing(session: Session) -> list[KioskDevice]:
    return list(session.scalars(select(KioskDevice).order_by(KioskDevice.location_id, KioskDevice.id)))
