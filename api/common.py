"""Helpers shared by the API modules: JSON bodies and bearer-token users."""
from __future__ import annotations

from typing import Any, Callable

from flask import abort, jsonify, request
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from tsunagi.domain import accounts, idempotency, session_tokens
from tsunagi.web.errors import problem
from tsunagi.web.extensions import db

MAX_DEPTH = 32  # no body of the API nests deeper than a few levels
# Shapes the request bodies and the OpenAPI document share.
OFFICE_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # YYYY-MM-DD; the domain checks the day is real
NOTE_MAX = 2000  # characters of a staff note


def _refused(value, depth: int = 0) -> bool:
    """Whether a parsed body holds what the product cannot store: U+0000 (PostgreSQL
    refuses it in text), a lone surrogate (not UTF-8 at all), or nesting deeper than any
    body of the API."""
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_refused(k, depth + 1) or _refused(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_refused(v, depth + 1) for v in value)
    return False


def json_body():
    """The request's JSON, or None (answered 400 by the caller) when the body is not JSON,
    nests too deep, or a string in it holds U+0000 or a lone surrogate (the OpenAPI
    document says so)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return None
    return None if _refused(body) else body


def bearer_token() -> str:
    """The token of a `Bearer` Authorization header, or ""."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def bearer_user():
    """The active user whose API token or live session token (outreach app) is in the
    Authorization header, or a 401 problem."""
    token = bearer_token()
    user = accounts.user_for_token(db.session, token) or session_tokens.user_for_token(db.session, token)
    if user is None:
        response = problem(401, "a valid bearer token is required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="tsunagi"'
        abort(response)
    return user


def validated(model, body):
    """`body` (from `json_body`) as the pydantic `model`: a 400 problem when it is not a
    JSON object, a 422 problem naming each wrong field (wrong type, missing, unknown key)."""
    if not isinstance(body, dict):
        abort(problem(400, "expected a JSON object"))
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors(include_url=False)}
        abort(problem(422, "invalid request", errors=errors))


def idempotent(user, store: Callable[[dict], tuple[dict[str, Any], Callable[[], None] | None]]):
    """A POST taken once per `Idempotency-Key` (tsunagi.domain.idempotency): `store(raw)`
    adds the work to the session without committing and returns the 201 body and what to do
    after the commit (or None). The key's record goes into the same commit; a resend of the
    same key and body gets the first answer (`Idempotent-Replayed: true`), another body 422.

    A refusal raised by `store` rolls everything back, so the key stays free for a
    corrected resend.
    """
    key = request.headers.get("Idempotency-Key")
    if not idempotency.valid_key(key):
        return problem(400, "an Idempotency-Key header of 16 to 255 visible ASCII characters is required",
                       code="idempotency_key")
    raw = json_body()
    if not isinstance(raw, dict):
        return problem(400, "expected a JSON object")
    body_hash = idempotency.request_hash(raw)
    replay = idempotency.begin(db.session, user.id, key, body_hash)
    if replay is None:
        try:
            body, after = store(raw)
            idempotency.finish(db.session, user.id, key, body_hash, 201, body)
            db.session.commit()
        except IntegrityError:
            # A resend with the same key committed first: answer as it did.
            db.session.rollback()
            replay = idempotency.begin(db.session, user.id, key, body_hash)
            if replay is None:
                raise
        except BaseException:
            # Refused or failed: nothing was stored, so the key is free for a corrected resend.
            db.session.rollback()
            raise
        else:
            if after is not None:
                after()
            response = jsonify(body)
            response.status_code = 201
            return response
    response = jsonify(replay.body)
    response.status_code = replay.status
    response.headers["Idempotent-Replayed"] = "true"
    return response
