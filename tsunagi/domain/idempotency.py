"""Idempotent submission: the same `Idempotency-Key` never makes a second intake.

Semantics (CONTRACT.md): same key and same body → the original response; same key and a
different body → `Mismatch` (422); same key still being processed → `InFlight` (409).
The first request to insert the key wins, enforced by the primary key, so concurrent
resends make one intake. A request that died mid-way leaves its key `in_flight`; after
`STALE_AFTER` another request with the same body may take it over.

The stored response is encrypted with AES-GCM under a key derived (HKDF) from the
Idempotency-Key: the database alone cannot reveal the follow-up secrets it contains.
Takes a `Session`.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tsunagi.domain.models import IdempotencyRecord

# gunicorn kills a request after its `timeout` (30 s, gunicorn.conf.py): an in-flight key
# older than that, with a margin, belongs to a request that can no longer finish.
STALE_AFTER = timedelta(seconds=45)
KEEP_FOR = timedelta(days=7)


class InFlight(Exception):
    """The key's first request has not finished; `retry_after` says in how many seconds a
    resend can be answered: 1 while that request may still be running, else the time
    until its key may be taken over (its worker died)."""

    def __init__(self, retry_after: int = 1):
        super().__init__(retry_after)
        self.retry_after = retry_after


# A submit takes well under this; an in-flight key older than it belongs to a dead request.
ALIVE_FOR = timedelta(seconds=5)


class Mismatch(Exception):
    pass


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


# The Idempotency-Key: visible ASCII (a UUID or similar), so that proxies pass it unchanged,
# without commas: two Idempotency-Key headers reach the app joined by ", " and are refused.
KEY_PATTERN = "^[!-+\\--~]{16,255}$"


def valid_key(key: str | None) -> bool:
    return key is not None and re.fullmatch(KEY_PATTERN, key) is not None


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _key_hash(user_id: int, key: str) -> str:
    return hashlib.sha256(f"{user_id}:{key}".encode()).hexdigest()


def _cipher(user_id: int, key: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tsunagi-idempotency",
                   info=str(user_id).encode()).derive(key.encode())
    return AESGCM(derived)


def begin(session: Session, user_id: int, key: str, body_hash: str) -> Replay | None:
    """Claim `key` for this request (committed at once), or say why it cannot be.

    :return: None when the caller should process the request, a `Replay` when it was done.
    :raise Mismatch: the key was used with a different body.
    :raise InFlight: the key's first request is still being processed.
    """
    key_hash = _key_hash(user_id, key)
    session.add(IdempotencyRecord(key_hash=key_hash, user_id=user_id, request_hash=body_hash, state="in_flight"))
    try:
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    record = session.get(IdempotencyRecord, key_hash, populate_existing=True)
    if record is None:  # expired and purged between the insert and this read
        return begin(session, user_id, key, body_hash)
    if record.request_hash != body_hash:
        raise Mismatch()
    if record.state == "done":
        plain = _cipher(user_id, key).decrypt(record.response_body[:12], record.response_body[12:], None)
        return Replay(status=record.response_status, body=json.loads(plain))
    age = datetime.now(timezone.utc) - record.updated_at
    if age > STALE_AFTER:
        record.updated_at = datetime.now(timezone.utc)
        session.commit()
        return None
    raise InFlight(1 if age < ALIVE_FOR else math.ceil((STALE_AFTER - age).total_seconds()))


def finish(session: Session, user_id: int, key: str, status: int, body: dict[str, Any]) -> None:
    """Store the response for replays; the caller commits it with the intake."""
    record = session.get(IdempotencyRecord, _key_hash(user_id, key))
    nonce = os.urandom(12)
    record.response_body = nonce + _cipher(user_id, key).encrypt(nonce, json.dumps(body).encode(), None)
    record.response_status = status
    record.state = "done"


def abandon(session: Session, user_id: int, key: str) -> None:
    """Release a key whose request failed before anything was stored."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.key_hash == _key_hash(user_id, key)))
    session.commit()


def purge(session: Session, now: datetime | None = None) -> int:
    cutoff = (now or datetime.now(timezone.utc)) - KEEP_FOR
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return result.rowcount or 0
