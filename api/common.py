"""Helpers shared by the API modules: JSON bodies and bearer-token users."""
from __future__ import annotations

from flask import abort, request
from pydantic import ValidationError

from tsunagi.domain import accounts, session_tokens
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
