"""Helpers shared by the API modules: JSON bodies and bearer-token users."""
from __future__ import annotations

from flask import abort, request

from tsunagi.domain import accounts, session_tokens
from tsunagi.web.errors import problem
from tsunagi.web.extensions import db


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def json_body():
    """The request's JSON, or None when the body is not JSON or a string in it holds
    U+0000, which PostgreSQL cannot store (the OpenAPI document says so)."""
    body = request.get_json(silent=True)
    return None if _has_nul(body) else body


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
