"""Liveness and readiness for the load balancer and the operator.

`/healthz`: the database answers a read. `/readyz`: this server can take an intake now:
a write to the database succeeds (taken and rolled back, so nothing changes), and the
rate-limit store answers.
"""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text, update
from sqlalchemy.exc import SQLAlchemyError

from tsunagi.domain import sealed
from tsunagi.domain.models import DataKey
from tsunagi.web.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """200 when a write would succeed now and the rate limits can be counted; else 503,
    saying which part is not ready (a held write lock, a read-only database, no Redis)."""
    checks = {"database_write": "ok", "rate_limits": "ok"}
    session = db.session
    try:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
        # A real write (it takes the write lock, and fails on a read-only database) that
        # changes nothing, rolled back.
        session.execute(update(DataKey).where(DataKey.kid == sealed.ring().primary).values(kid=DataKey.kid))
    except SQLAlchemyError:
        checks["database_write"] = "failed"
    finally:
        session.rollback()
    try:
        if current_app.config.get("RATELIMIT_ENABLED", True) and not limiter.storage.check():
            checks["rate_limits"] = "unreachable"
    except Exception:  # noqa: BLE001 - any failure of the store's client means not ready
        checks["rate_limits"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503
