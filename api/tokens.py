"""Session tokens for the outreach app: sign in with a user name and password, sign out.

The token is short-lived and revocable (tsunagi.session_tokens); the account's permanent
API token never reaches a worker's phone."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify

from api import bp
from api.common import bearer_token, bearer_user, json_body
from tsunagi.domain import accounts, session_tokens
from tsunagi.web.errors import problem
from tsunagi.web.extensions import account_key, db, failed_attempt, limiter


def _account_key() -> str:
    body = json_body()
    return account_key("token", body.get("username") if isinstance(body, dict) else None)


def _failed(response) -> bool:
    return failed_attempt(response.status_code, 201)


@bp.post("/v1/tokens")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_account_key, deduct_when=_failed)
@limiter.limit("30 per minute", deduct_when=_failed)
def create_token():
    """Sign in to the outreach app: {"username", "password"} → 201 {"token", "expires_at",
    "user"}. The token works as a bearer token until it expires or is revoked.

    :raise 400: not a JSON object. :raise 422: missing or non-string fields.
    :raise 401: wrong user name or password. :raise 403: the account does not use the app.
    :raise 429: too many failed attempts for this account or from this address.
    """
    body = json_body()
    if not isinstance(body, dict):
        return problem(400, "expected a JSON object with 'username' and 'password'")
    username, password = body.get("username"), body.get("password")
    errors = {name: "required, a string of 1 to 1024 characters"
              for name, value in (("username", username), ("password", password))
              if not isinstance(value, str) or not value or len(value) > 1024}
    if errors:
        return problem(422, "invalid request", errors=errors)
    user = accounts.authenticate(db.session, username, password)
    if user is None:
        db.session.rollback()
        return problem(401, "wrong user name or password", code="credentials")
    session_tokens.purge(db.session)
    row, token = session_tokens.issue(db.session, user, timedelta(hours=current_app.config["SESSION_TOKEN_HOURS"]))
    db.session.commit()
    response = jsonify({"token": token, "expires_at": row.expires_at.isoformat(),
                        "user": {"username": user.username, "role": user.role}})
    response.status_code = 201
    return response


@bp.delete("/v1/tokens/current")
def revoke_token():
    """Sign out: the session token in the Authorization header stops working at once.

    :raise 401: no live session token (an account's permanent API token is not revoked here).
    """
    bearer_user()
    if not session_tokens.revoke(db.session, bearer_token()):
        return problem(401, "only a session token can be revoked here")
    db.session.commit()
    return "", 204
