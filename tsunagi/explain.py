"""Explain a triage decision for given answers: shared by `flask triage explain` and
`POST /api/v1/triage`, so both answer identically. Stores nothing."""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from tsunagi import intakes
from tsunagi.i18n import LOCALES, gettext_in
from tsunagi.rules import Policy
from tsunagi.triage import InvalidAnswers


def policy() -> Policy:
    """The app's compiled triage policy (loaded once by create_app)."""
    return current_app.extensions["tsunagi.policy"]


def explain(session: Session, payload: Any) -> dict[str, Any]:
    """:raise InvalidAnswers: the payload or its answers are not valid."""
    if not isinstance(payload, dict):
        raise InvalidAnswers({"body": "must be an object with 'answers'"})
    unknown = set(payload) - {"answers", "area", "locale"}
    if unknown:
        raise InvalidAnswers({k: "unknown field" for k in sorted(unknown)})
    answers = payload.get("answers")
    if not isinstance(answers, dict):
        raise InvalidAnswers({"answers": "required, an object of canonical answers"})
    locale = payload.get("locale", "ja")
    if locale not in LOCALES:
        raise InvalidAnswers({"locale": f"must be one of {', '.join(LOCALES)}"})
    raw = dict(answers)
    if payload.get("area") is not None:
        raw["area"] = payload["area"]
    parsed = intakes.parse_answers(session, raw)
    decision = intakes.route(session, parsed, locale, policy())
    return intakes.decision_view(session, decision.to_record(), gettext_in(locale), locale, policy())
