"""The resident's answers while at the kiosk, held server-side for the kiosk session.

The signed session cookie carries only a random key; the answers sit in `kiosk_draft`
and are deleted when the resident finishes, quits or the session expires.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app, session
from sqlalchemy import delete

from tsunagi.domain.models import KioskDraft, Location
from tsunagi.web.extensions import db

KEY = "kiosk_draft"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(location: Location) -> KioskDraft:
    """Discard any current draft and begin a new one for `location`."""
    end()
    key = secrets.token_urlsafe(32)
    draft = KioskDraft(key_hash=_hash(key), location_id=location.id, answers={})
    db.session.add(draft)
    db.session.commit()
    session[KEY] = key
    return draft


def current(location: Location) -> KioskDraft | None:
    key = session.get(KEY)
    if not key:
        return None
    draft = db.session.get(KioskDraft, _hash(key))
    if draft is None or draft.location_id != location.id:
        return None
    ttl = timedelta(minutes=current_app.config["KIOSK_DRAFT_TTL_MINUTES"])
    if draft.updated_at + ttl < datetime.now(timezone.utc):
        end()
        return None
    return draft


def save(draft: KioskDraft, **answers) -> None:
    draft.answers = {**draft.answers, **answers}
    db.session.commit()


def end() -> None:
    """Delete the draft (answers and receipt secrets) and forget the session entirely."""
    key = session.get(KEY)
    if key:
        db.session.execute(delete(KioskDraft).where(KioskDraft.key_hash == _hash(key)))
        db.session.commit()
    session.clear()
