"""Idempotent submission: the same `Idempotency-Key` never makes a second intake.

Semantics (CONTRACT.md): same key and same body → the original response; same key and a
different body → `Mismatch` (422). The key's record is written in the submit's own
transaction, with the intake, and commits with it or not at all: the primary key lets one
of several concurrent resends commit, and the others, refused by it, answer with the
winner's response. A request that dies leaves nothing behind, so there is
no claim to take over and one commit per submit.

Records `in_flight` come only from servers of an earlier version, which claimed a key in a
commit of its own before processing: such a key answers `InFlight` (409) while its request
may run, and may be taken over after `STALE_AFTER`.

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
    """What the key says before processing (a read; nothing is written).

    :return: None when the caller should process the request, a `Replay` when it was done.
    :raise Mismatch: the key was used with a different body.
    :raise InFlight: an earlier version's claim of the key whose request may still run.
    """
    record = session.get(IdempotencyRecord, _key_hash(user_id, key), populate_existing=True)
    if record is None:
        return None
    if record.request_hash != body_hash:
        raise Mismatch()
    if record.state == "done":
        plain = _cipher(user_id, key).decrypt(record.response_body[:12], record.response_body[12:], None)
        return Replay(status=record.response_status, body=json.loads(plain))
    age = datetime.now(timezone.utc) - record.updated_at
    if age > STALE_AFTER:
        # The claim's request died: its key is free (the caller's commit makes it final).
        session.delete(record)
        return None
    raise InFlight(1 if age < ALIVE_FOR else math.ceil((STALE_AFTER - age).total_seconds()))


def finish(session: Session, user_id: int, key: str, body_hash: str, status: int, body: dict[str, Any]) -> None:
    """Keep the response for replays, in the caller's transaction: it commits with the
    intake. A concurrent resend that committed first makes that commit fail with an
    `IntegrityError`; the caller rolls back and asks `begin` again, which replays it."""
    nonce = os.urandom(12)
    session.add(IdempotencyRecord(
        key_hash=_key_hash(user_id, key), user_id=user_id, request_hash=body_hash, state="done",
        response_status=status,
        response_body=nonce + _cipher(user_id, key).encrypt(nonce, json.dumps(body).encode(), None)))


def purge(session: Session, now: datetime | None = None) -> int:
    cutoff = (now or datetime.now(timezone.utc)) - KEEP_FOR
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return result.rowcount or 0
