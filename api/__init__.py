"""JSON API for machines: the outreach PWA, provider systems, municipal staff's tools."""
from flask import Blueprint, request

from tsunagi.domain import access, case_team, idempotency, lifecycle, session_tokens
from tsunagi.domain.consent import ConsentRequired, InvalidConsent
from tsunagi.domain.triage.answers import InvalidAnswers
from tsunagi.web.errors import problem, register_problems
from tsunagi.web.extensions import csrf, db

bp = Blueprint("api", __name__)
# Bearer tokens or no credentials at all: no cookies, so no CSRF to guard against.
csrf.exempt(bp)

# How a refused lifecycle action is answered, by its one-word reason.
TRANSITION_STATUS = {"invalid_transition": 409, "forbidden": 403, "contact_attempts_required": 409}
# How a refused change to the offices, meetings or contacts of a case is answered (any
# other code: 422, something in the request to change).
# The office named is the lead already, or on the case already: a conflict with the case as
# it stands, not with the request.
CASE_TEAM_STATUS = {"forbidden": 403, "already_on_case": 409, "same_provider": 409, "not_on_case": 404}


def _in_flight(exc):
    response = problem(409, "the first request with this Idempotency-Key is still being processed",
                       code="idempotency_in_flight")
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _no_such_intake(exc):
    # The refused read is audited too (the refused work was rolled back first).
    access.audit_denied(db.session, exc, request.remote_addr)
    db.session.commit()
    return problem(404, "no such intake")


register_problems(bp, {
    InvalidAnswers: lambda exc: problem(422, "invalid answers", errors=exc.errors),
    InvalidConsent: lambda exc: problem(422, str(exc), errors={"consent": str(exc)}),
    ConsentRequired: lambda exc: problem(403, str(exc), code="consent_required"),
    lifecycle.TransitionRefused: lambda exc: problem(TRANSITION_STATUS.get(exc.code, 422), str(exc), code=exc.code),
    case_team.CaseTeamRefused: lambda exc: problem(CASE_TEAM_STATUS.get(exc.code, 422), str(exc), code=exc.code),
    access.NoSuchIntake: _no_such_intake,
    idempotency.Mismatch: lambda _exc: problem(422, "this Idempotency-Key was used with a different request",
                                               code="idempotency_mismatch"),
    idempotency.InFlight: _in_flight,
    session_tokens.NotAllowed: lambda _exc: problem(403, "this account does not use the outreach app", code="role"),
})

from api import follow_up, intakes, outreach, provider, tokens, views  # noqa: E402,F401
