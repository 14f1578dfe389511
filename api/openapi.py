"""The OpenAPI 3.1 description of /api/."""
from __future__ import annotations

from tsunagi.locales import LOCALES
from tsunagi.services import SERVICES
from tsunagi.triage import AGE_BANDS, CONCERNS, DANGER, HOUSEHOLD, SUBJECTS, YES_NO

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM}}}


def document() -> dict:
    answers = {
        "type": "object",
        "additionalProperties": False,
        "required": ["subject", "age_band", "danger_now"],
        "properties": {
            "subject": {"enum": list(SUBJECTS)},
            "age_band": {"enum": list(AGE_BANDS)},
            "pregnant": {"enum": list(YES_NO)},
            "concerns": {"type": "array", "items": {"enum": list(CONCERNS)}, "uniqueItems": True},
            "household": {"type": "array", "items": {"enum": list(HOUSEHOLD)}, "uniqueItems": True},
            "danger_now": {"enum": list(DANGER)},
            "area": {"type": "string"},
        },
    }
    decision = {
        "type": "object",
        "required": ["service", "priority", "domains", "signals", "provider", "reasons"],
        "properties": {
            "service": {"enum": list(SERVICES)},
            "priority": {"enum": ["urgent", "normal"]},
            "domains": {"type": "array", "items": {"type": "string"}},
            "signals": {"type": "array", "items": {"type": "string"}},
            "rule": {"type": "string"},
            "rules_version": {"type": "string"},
            "provider": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"},
                "hours": {"type": "string"}, "service": {"type": "string"}, "choice": {"type": "string"}}}]},
            "reasons": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["code", "text"],
                        "properties": {"code": {"type": "string"}, "text": {"type": "string"}}}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "tsunagi API", "version": "1"},
        "paths": {
            "/api/v1/triage": {"post": {
                "summary": "Triage decision for canonical answers (stores nothing)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["answers"], "additionalProperties": False,
                    "properties": {"answers": answers, "area": {"type": "string"},
                                   "locale": {"enum": list(LOCALES)}}}}}},
                "responses": {"200": {"description": "The decision", "content": {
                    "application/json": {"schema": decision}}},
                    "422": _problem("Answers not canonical")},
            }},
            "/api/v1/follow-up": {"post": {
                "summary": "Case status for a follow-up token or receipt code",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"token": {"type": "string"}, "code": {"type": "string"},
                                                     "locale": {"enum": list(LOCALES)}}}}}},
                "responses": {
                    "200": {"description": "Status in plain words", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["status", "status_text", "locale"],
                        "properties": {"status": {"type": "string"}, "status_text": {"type": "string"},
                                       "locale": {"type": "string"}, "provider": {"type": ["object", "null"]}}}}}},
                    "400": _problem("Neither token nor code"),
                    "404": _problem("Unknown, expired or revoked"),
                    "422": _problem("The code's check symbol does not match"),
                    "429": _problem("Too many failed lookups"),
                },
            }},
            "/api/openapi.json": {"get": {"summary": "This document",
                                          "responses": {"200": {"description": "OpenAPI document"}}}},
        },
        "components": {"schemas": {"Problem": {"type": "object", "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}}}}},
    }
