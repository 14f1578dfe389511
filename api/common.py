"""Helpers shared by the API modules: JSON bodies and bearer-token users."""
from __future__ import annotations

from flask import abort, request

from tsunagi import accounts
from tsunagi.errors import problem
from tsunagi.extensions import db


def json_body():
    """The request's JSON object, or None when the body is not JSON."""
    return request.get_json(silent=True)


def bearer_user():
    """The active user whose API token is in the Authorization header, or a 401 problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = accounts.user_for_token(db.session, token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = problem(401, "a valid bearer token is required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="tsunagi"'
        abort(response)
    return user
