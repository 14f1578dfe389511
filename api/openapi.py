"""The OpenAPI 3.1 description of /api/.

Built per request from the running municipality's data (district and location codes,
the form's version), so that what it calls valid is what the API accepts: schemathesis
checks both directions (`script/schemathesis`). tests/test_openapi.py checks that every
route under /api/ is described.
"""
from __future__ import annotations

from typing import Any

from api.common import DAY_PATTERN, NOTE_MAX, OFFICE_CODE_PATTERN
from tsunagi.domain.case_team import PERSON_REF_PATTERN
from tsunagi.domain.idempotency import KEY_PATTERN as IDEMPOTENCY_KEY_PATTERN
from tsunagi.domain.triage.answers import AREA_UNKNOWN, KEYS, MULTI, REQUIRED, SINGLE, OwnQuestion
from tsunagi.domain.vocabulary import (
    CHANNELS,
    CONSENT_MODES,
    CONTACT_KINDS,
    CONTACT_METHODS,
    CONTACT_RESULTS,
    EMAIL_PATTERN,
    IDENTIFYING,
    LOCALES,
    LOCATION_KINDS,
    MEETING_DECISIONS,
    MEETING_KINDS,
    MULTI_AGENCY,
    NEEDS_REASON,
    OFFICE_ROLES,
    OUTCOMES,
    PHONE_PATTERN,
    PRIORITIES,
    RETURN_REASONS,
    SERVICES,
    STATUSES,
    TRANSITIONS,
)

# A text with something other than white space in it.
NOT_BLANK = r"\S"

PROBLEM = {"$ref": "#/components/schemas/Problem"}
WORKER = [{"workerToken": []}]
PROVIDER = [{"providerToken": []}]


def _problem(description: str, headers: dict | None = None) -> dict:
    response: dict[str, Any] = {"description": description,
                                "content": {"application/problem+json": {"schema": PROBLEM}}}
    if headers:
        response["headers"] = headers
    return response


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
UNAUTHORIZED = _problem("No valid bearer token", {
    "WWW-Authenticate": {"required": True, "schema": {"type": "string"}}})
BUSY = _problem("The database is busy (held by another writer): try again", RETRY_AFTER)


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _string_enum(values: list[str]) -> dict:
    return {"type": "string", "enum": values} if values else {"type": "string"}


def _own_answer(q: OwnQuestion) -> dict:
    """The schema of an answer to one of the municipality's own questions (null: not
    answered, unless it is required)."""
    if q.identifying:
        schema = {"type": "string", "maxLength": q.max_length or 500}
        what = "The municipality's short-text question (kept only with consent to share)"
    elif q.multi:
        schema, what = {"type": "array", "items": {"enum": list(q.choices)}}, "The municipality's question"
    else:
        schema, what = {"enum": list(q.choices)}, "The municipality's question"
    return {**(schema if q.required else _nullable(schema)), "description": what}


def _schemas(districts: list[str], locations: list[str], providers: list[str], form_versions: list[int],
             consent_versions: dict[str, list[str]], questions: tuple[OwnQuestion, ...] = ()) -> dict:
    area = _nullable(_string_enum([*districts, AREA_UNKNOWN]))
    answers = {
        "type": "object",
        "description": "Canonical answers (DOMAIN.md), and the answers to the municipality's own "
                       "questions. `pregnant` defaults to no.",
        "additionalProperties": False,
        "required": [*REQUIRED, *(q.id for q in questions if q.required)],
        "properties": {
            **{key: {"enum": list(choices)} for key, choices in SINGLE.items()},
            **{key: {"type": "array", "items": {"enum": list(choices)}} for key, choices in MULTI.items()},
            "area": _ref("Area"),
            **{q.id: _own_answer(q) for q in questions},
        },
    }
    provider = {"type": "object", "required": ["id", "name", "phone", "hours", "service", "choice"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                               "phone": {"type": "string"}, "hours": {"type": "string"},
                               "service": {"enum": list(SERVICES)}, "choice": {"type": "string"}}}
    decision = {
        "type": "object",
        "required": ["service", "priority", "domains", "signals", "rule", "rules_version", "provider", "reasons"],
        "properties": {
            "service": {"enum": list(SERVICES)},
            "priority": {"enum": list(PRIORITIES)},
            "domains": {"type": "array", "items": {"type": "string"}},
            "signals": {"type": "array", "items": {"type": "string"}},
            "rule": {"type": "string"},
            "rules_version": {"type": "string"},
            "provider": _nullable(provider),
            "reasons": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["code", "text"],
                "properties": {"code": {"type": "string"}, "text": {"type": "string"}}}},
            "first_contact": _nullable({
                "type": "object", "required": ["service", "provider"],
                "description": "For an intake of the multi-agency team: the office that takes it when the "
                               "resident agrees to share but declines the multi-agency support meeting (重層的支援会議)",
                "properties": {"service": {"enum": [s for s in SERVICES if s != MULTI_AGENCY]},
                               "provider": {"type": "object", "required": ["id", "name"], "properties": {
                                   "id": {"type": "string"}, "name": {"type": "string"}}}}}),
        },
    }
    short = {"type": "string", "maxLength": 200}
    consent = {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "scopes"],
        "properties": {
            "version": {"type": "string", "minLength": 1, "maxLength": 64,
                        "description": "`consent.version` of GET /api/v1/forms/{form_id} in the body's locale"},
            "scopes": {
                "type": "object", "additionalProperties": False, "required": ["share_with_provider"],
                "properties": {
                    "share_with_provider": {"type": "boolean"},
                    "multi_agency_meeting": {"type": "boolean"},
                    "contact_methods": {"type": "array", "maxItems": 5, "items": {"enum": list(CONTACT_METHODS)}},
                }},
            "mode": {"enum": list(CONSENT_MODES), "description": "verbal and proxy are witnessed by the submitting worker"},
            "relationship": _nullable({"type": "string", "maxLength": 64}),
            "witness": _nullable(short),
            "contact_time": _nullable(short),
        },
        # A proxy's consent names how the proxy is related to the resident.
        "if": {"required": ["mode"], "properties": {"mode": {"const": "proxy"}}},
        "then": {"required": ["relationship"],
                 "properties": {"relationship": {"type": "string", "minLength": 1}}},
    }
    contact = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "name": _nullable({"type": "string", "maxLength": 100}),
            "phone": _nullable({"type": "string", "maxLength": 30, "pattern": PHONE_PATTERN}),
            "email": _nullable({"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN}),
            "free_text": _nullable({"type": "string", "maxLength": 2000}),
        },
    }
    segments = {"type": "array", "items": {
        "type": "object", "required": ["text"], "additionalProperties": False,
        "properties": {"text": {"type": "string"}, "reading": {"type": "string"}}}}
    office = {
        "type": "object", "required": ["name", "phone", "hours"],
        "description": "An office as the resident's receipt shows it, in the requested language",
        "properties": {
            "name": {"type": "string", "description": "The municipality's rendering in this language, else the "
                                                      "official Japanese name with its romanisation"},
            "phone": {"type": "string"}, "hours": {"type": "string"},
            "translated": {"type": "boolean", "description": "Whether `name` is the municipality's own rendering"},
            "kind": {"type": "string", "description": "What kind of office it is, in this language"},
            "official_name": {"type": "string", "description": "The official Japanese name, as on the sign"},
            "reading": {"type": "string", "description": "The official name in kana"},
            "romaji": {"type": "string", "description": "The official name in Latin letters"},
            "languages": {"type": "string", "description": "The languages the office speaks, as a sentence"},
        },
    }
    follow_up_status = {
        "type": "object",
        "required": ["status", "status_text", "locale", "consent_withdrawn", "can_message", "provider"],
        "properties": {
            "status": {"enum": list(STATUSES)},
            "status_text": {"type": "string"},
            "locale": {"enum": list(LOCALES)},
            "consent_withdrawn": {"type": "boolean"},
            "can_message": {"type": "boolean"},
            "provider": _nullable(office),
            "furigana": {
                "type": "object", "required": ["status_text"],
                "description": "Asked with `furigana: true` in ja or ja@easy: the texts as segments, "
                               "kanji with their reading",
                "properties": {k: segments for k in ("status_text", "provider_name", "provider_hours")}},
        },
    }
    secret = {"type": "string", "minLength": 1}
    follow_up_request = {
        "type": "object",
        "description": "The QR's token or the receipt code (any case, hyphens and spaces ignored)",
        "properties": {"token": {"type": "string"}, "code": {"type": "string"},
                       "locale": _nullable({"enum": list(LOCALES)}),
                       "furigana": {"type": "boolean", "description": "readings for the Japanese texts"}},
        "anyOf": [{"required": ["token"], "properties": {"token": secret}},
                  {"required": ["code"], "properties": {"code": secret}}],
    }
    message_request = {
        "allOf": [follow_up_request, {
            "required": ["body"],
            "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": NOT_BLANK}}}],
    }
    question = {
        "type": "object",
        "required": ["id", "type", "label", "required", "personal", "sensitive", "max_length", "multiline",
                     "choices"],
        "properties": {
            "id": {"type": "string"}, "type": {"enum": ["single", "multiple", "text", "phone", "email", "date",
                                                        "district", "yesno"]},
            "label": {"type": "string"}, "required": {"type": "boolean"}, "personal": {"type": "boolean"},
            "sensitive": {"type": "boolean"}, "max_length": {"type": ["integer", "null"]},
            "multiline": {"type": "boolean"},
            "choices": {"type": "array", "items": {"type": "object", "required": ["value", "label"], "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}}}},
        },
    }
    form_spec = {
        "type": "object",
        "required": ["id", "version", "locale", "steps", "consent", "answer_keys", "contact_keys", "patterns",
                     "contact_rules", "urgency"],
        "properties": {
            "id": {"type": "string"}, "version": {"type": "integer"}, "locale": {"enum": list(LOCALES)},
            "steps": {"type": "array", "items": {
                "type": "object", "required": ["id", "title", "show_if", "questions"],
                "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                               "show_if": {"type": "object", "additionalProperties": {
                                   "type": "array", "items": {"type": "string"}}},
                               "questions": {"type": "array", "items": question}}}},
            "consent": {"type": "object", "required": ["id", "version", "text"], "properties": {
                "id": {"type": "string"}, "version": {"type": "string"}, "text": {"type": "string"}}},
            "answer_keys": {"type": "array", "items": {"enum": [*KEYS, *(q.id for q in questions)]},
                            "description": "The questions whose answers go in `answers` of POST /api/v1/intakes"},
            "contact_keys": {"type": "array", "items": {"enum": list(IDENTIFYING)},
                             "description": "The questions whose answers go in `contact`"},
            "patterns": {"type": "object", "required": ["phone", "email"],
                         "properties": {"phone": {"type": "string"}, "email": {"type": "string"}},
                         "description": "Regular expressions a phone number and an email address must match"},
            "contact_rules": {
                "type": "object", "required": ["needs", "alone"],
                "description": "Which typed detail each way of contact needs (`needs`: method -> question id) "
                               "and the method that cannot be chosen with others (`alone`); an intake "
                               "breaking them is refused with 422",
                "properties": {"needs": {"type": "object", "additionalProperties": {"enum": list(IDENTIFYING)}},
                               "alone": {"enum": list(CONTACT_METHODS)}}},
            "urgency": {
                "type": "object", "required": ["domains", "signals", "urgent"],
                "description": "The triage policy's conditions for urgency as data (the rules file's "
                               "condition language): evaluate them on the answers so far to show the "
                               "emergency numbers at once, exactly as the server decides",
                "properties": {"domains": {"type": "array"}, "signals": {"type": "array"},
                               "urgent": {"type": "array"}}},
            "readings": {"type": "object", "additionalProperties": segments,
                         "description": "ja and ja@easy only: each title, label, choice and consent "
                                        "paragraph with kanji, as segments with their furigana"},
        },
    }
    intake_request = {
        "type": "object",
        "additionalProperties": False,
        # The consent version is the hash of a text the product showed in the body's locale:
        # the current one, or an earlier one (an intake taken offline before it changed).
        "oneOf": [{"required": ["locale"], "properties": {
            "locale": {"const": locale},
            "consent": {"properties": {"version": {"enum": versions}}}}}
            for locale, versions in consent_versions.items()],
        "required": ["form_id", "locale", "channel", "location", "answers", "consent"],
        "properties": {
            "form_id": {"enum": ["intake-default"]},
            "form_version": _nullable({"type": "integer", "enum": form_versions,
                                       "description": "The version the intake was answered with: the "
                                                      "current one or one kept in the archive"}),
            "locale": {"enum": list(LOCALES)},
            "channel": {"enum": ["outreach"], "description": "kiosk intakes come from the kiosk pages"},
            "location": _string_enum(locations),
            "answers": answers,
            "contact": _nullable(contact),
            "consent": consent,
            "person": _nullable({"type": "string", "pattern": PERSON_REF_PATTERN,
                                 "description": "The outreach app's reference for a person it kept in touch "
                                                "with before they consented (POST /api/v1/outreach/contacts): "
                                                "those contacts at this location join the intake's contact log"}),
        },
    }
    intake_created = {
        "type": "object", "required": ["intake_id", "shared", "decision", "receipt", "follow_up"],
        "properties": {
            "intake_id": {"type": "string"},
            "shared": {"type": "boolean", "description": "Whether an office received the intake (the resident "
                                                           "agreed to share and an office takes it)"},
            "receipt": {"type": "object", "required": ["city", "next_step", "notes", "follow_up_address"],
                        "description": "What the resident's receipt says besides the office and the code, in "
                                       "the intake's language: nothing about the resident's needs",
                        "properties": {"city": {"type": "string"}, "next_step": {"type": "string"},
                                       "notes": {"type": "array", "items": {"type": "string"}},
                                       "follow_up_address": {"type": "string"},
                                       "office": _nullable(office)}},
            "decision": decision,
            "follow_up": {"type": "object", "required": ["url", "short_code", "qr_svg_url"], "properties": {
                "url": {"type": "string"}, "short_code": {"type": "string"},
                "qr_svg_url": {"type": "string", "pattern": "^data:image/svg\\+xml;base64,"}}},
        },
    }
    nullable_string = {"type": ["string", "null"]}
    summary = {
        "type": "object",
        "required": ["id", "received_at", "priority", "status", "service", "provider", "area", "unread", "overdue",
                     "duplicate_of"],
        "properties": {
            "id": {"type": "string"}, "received_at": {"type": "string"},
            "priority": {"enum": list(PRIORITIES)}, "status": {"enum": list(STATUSES)},
            "service": {"enum": list(SERVICES)}, "provider": nullable_string, "area": nullable_string,
            "unread": {"type": "boolean"}, "overdue": {"type": "boolean"},
            "duplicate_of": {"type": "array", "items": {"type": "string"}},
            "age_band": nullable_string, "concerns": {"type": "array", "items": {"type": "string"}},
            "locale": {"type": "string"}, "location": {"type": "string"},
            "deadline": {**nullable_string, "description": "When a waiting intake is overdue (ISO 8601); "
                                                           "null once accepted or ended"},
            "flags": {"type": "array", "items": {"type": "string"},
                      "description": "The municipality's own signals the intake holds, in Japanese "
                                     "(e.g. 通訳が必要), from its rules file"},
        },
    }
    detail = {
        "type": "object",
        "description": "An intake as its provider reads it; `resident` is null without consent to share",
        "required": ["id", "received_at", "status", "priority", "service", "provider", "channel", "locale",
                     "answers", "decision", "consent", "resident", "messages", "events"],
        "properties": {
            "id": {"type": "string"}, "received_at": {"type": "string"}, "status": {"enum": list(STATUSES)},
            "priority": {"enum": list(PRIORITIES)}, "service": {"enum": list(SERVICES)},
            "provider": nullable_string, "channel": {"enum": list(CHANNELS)},
            "locale": {"type": "string"},
            "answers": {"type": "array", "items": {"type": "object", "required": ["question", "answer"]}},
            "decision": decision,
            "consent": {"type": "object", "required": ["mode", "share_with_provider", "withdrawn"]},
            "resident": {"type": ["object", "null"]},
            "messages": {"type": "array", "items": {"type": "object", "required": ["at", "body"]}},
            "events": {"type": "array", "items": {
                "type": "object", "required": ["at", "from", "to"],
                "properties": {
                    "at": {"type": "string"}, "from": nullable_string, "to": nullable_string,
                    "reason": {**nullable_string, "description": "The event in one line (codes and the "
                                                                 "staff's words together), as before"},
                    "action": {**nullable_string, "description": "What happened: a lifecycle action, or "
                                                                 "office_added, office_ended, meeting, "
                                                                 "meeting_consent, consent_withdrawn, "
                                                                 "follow_up_revoked; null for older events"},
                    "details": {"type": "object", "description": "Codes, never free text: e.g. `why` and "
                                                                 "`to` (an office code) of a return, "
                                                                 "`outcome` and `lead` of a closing, "
                                                                 "`kind`, `decision`, `held_on` of a meeting, "
                                                                 "`office`, `scope` and `mode`, `via`"},
                    "note": {**nullable_string, "description": "Only the staff's own words; null for older "
                                                               "events (their words are in `reason`)"},
                    "actor": {"type": ["integer", "null"]},
                }}},
        },
    }
    reason = {"type": "string", "pattern": NOT_BLANK}
    transition = {
        "type": "object",
        "description": "`reason` for return, transfer, interrupt and reopen; `outcome` to close; "
                       "`to_provider` (a provider code) to transfer, and to hand back (`hand_back`: only "
                       "the multi-agency team, to a lead office that is not the team; `reason` is its "
                       "note). A return says why in `return_reason` "
                       "(default `other`) and may name the office (`to_provider`) or the service "
                       "(`to_service`) that fits; `wrong_area` needs `to_provider`, `wrong_service` one of them",
        "required": ["action"],
        "properties": {
            "action": {"enum": list(TRANSITIONS)},
            "reason": nullable_string,
            "to_provider": nullable_string,
            "outcome": nullable_string,
            "return_reason": {"enum": [*RETURN_REASONS, None]},
            "to_service": nullable_string,
        },
        "allOf": [
            {"if": {"required": ["action"], "properties": {"action": {"enum": sorted(NEEDS_REASON)}}},
             "then": {"required": ["reason"], "properties": {"reason": reason}}},
            {"if": {"required": ["action"], "properties": {"action": {"const": "close"}}},
             "then": {"required": ["outcome"], "properties": {"outcome": {"enum": list(OUTCOMES)}}}},
            {"if": {"required": ["action"], "properties": {"action": {"enum": ["transfer", "hand_back"]}}},
             "then": {"required": ["to_provider"], "properties": {"to_provider": _string_enum(providers)}}},
        ],
    }
    note = _nullable({"type": "string", "maxLength": NOTE_MAX, "description": "The staff's own words"})
    day = {"type": "string", "format": "date", "pattern": DAY_PATTERN}
    office_code = {"type": "string", "pattern": OFFICE_CODE_PATTERN}
    case_team = {
        "OfficeList": {
            "type": "object", "required": ["offices", "shares_with_cooperating"],
            "properties": {
                "offices": {"type": "array", "description": "The lead office first, then the cooperating ones",
                            "items": {"type": "object", "required": ["code", "role", "service", "name"],
                                      "properties": {"code": {"type": "string"}, "role": {"enum": list(OFFICE_ROLES)},
                                                     "service": {"enum": list(SERVICES)}, "name": {"type": "string"}}}},
                "shares_with_cooperating": {
                    "type": "boolean",
                    "description": "Whether the resident's consent lets the cooperating offices read the case "
                                   "(shared, not withdrawn, agreed to the 重層的支援会議)"}}},
        "OfficeRequest": {
            "type": "object", "additionalProperties": False, "required": ["office"],
            "properties": {"office": {**office_code, **({"enum": providers} if providers else {}),
                                      "description": "The code of an active office: not the lead, not on the "
                                                     "case already"},
                           "note": note}},
        "MeetingConsentRequest": {
            "type": "object", "additionalProperties": False, "required": ["mode"],
            "properties": {"mode": {"enum": ["verbal", "written"],
                                    "description": "How the resident agreed: told the caller (verbal, "
                                                   "witnessed by the caller) or in writing"}}},
        "MeetingConsentDone": {
            "type": "object", "required": ["multi_agency_meeting", "recorded"],
            "properties": {"multi_agency_meeting": {"const": True},
                           "recorded": {"type": "boolean", "description": "false when it was agreed already"}}},
        "MeetingRequest": {
            "type": "object", "additionalProperties": False, "required": ["kind", "decision", "held_on"],
            "properties": {"kind": {"enum": list(MEETING_KINDS),
                                    "description": "multi_agency_meeting (重層的支援会議, needs the resident's "
                                                   "consent) or support_meeting (支援会議, 社会福祉法 106条の6)"},
                           "decision": {"enum": list(MEETING_DECISIONS)},
                           "held_on": {**day, "description": "The day it was held (Japan time), not in the future"},
                           "note": note}},
        "CaseEvent": {
            "type": "object", "required": ["at", "action", "details", "note"],
            "properties": {"at": {"type": "string"}, "action": {"type": "string"},
                           "details": {"type": "object"}, "note": nullable_string}},
        "ContactRequest": {
            "type": "object", "additionalProperties": False, "required": ["kind", "result", "contacted_on"],
            "properties": {"kind": {"enum": list(CONTACT_KINDS)}, "result": {"enum": list(CONTACT_RESULTS)},
                           "contacted_on": {**day, "description": "Not in the future (Japan time)"},
                           "next_contact_on": _nullable({**day, "description": "Not before `contacted_on`"}),
                           "note": note}},
        "Contact": {
            "type": "object", "required": ["id", "contacted_on", "kind", "result", "note", "next_contact_on", "office"],
            "properties": {"id": {"type": "integer"}, "contacted_on": {"type": "string", "format": "date"},
                           "kind": {"enum": list(CONTACT_KINDS)}, "result": {"enum": list(CONTACT_RESULTS)},
                           "note": nullable_string, "next_contact_on": _nullable({"type": "string", "format": "date"}),
                           "office": {**nullable_string, "description": "The office that logged it"},
                           "location": {**nullable_string, "description": "The outreach place whose team "
                                        "logged it before the resident consented"}}},
        "OutreachLocation": _string_enum(locations),
        "OutreachContactRequest": {
            "type": "object", "additionalProperties": False,
            "description": "A contact with someone who has not consented yet: nothing identifying (no "
                           "name, phone or note; any other field is refused)",
            "required": ["person", "location", "kind", "result", "contacted_on"],
            "properties": {"person": {"type": "string", "pattern": PERSON_REF_PATTERN,
                                      "description": "The app's random reference for the person (128 bits, hex)"},
                           "location": _string_enum(locations),
                           "kind": {"enum": list(CONTACT_KINDS)}, "result": {"enum": list(CONTACT_RESULTS)},
                           "contacted_on": {**day, "description": "Not in the future (Japan time)"},
                           "next_contact_on": _nullable({**day, "description": "Not before `contacted_on`"})}},
        "OutreachContact": {
            "type": "object",
            "required": ["id", "person", "location", "kind", "result", "contacted_on", "next_contact_on"],
            "properties": {"id": {"type": "integer"}, "person": {"type": "string"}, "location": {"type": "string"},
                           "kind": {"enum": list(CONTACT_KINDS)}, "result": {"enum": list(CONTACT_RESULTS)},
                           "contacted_on": {"type": "string", "format": "date"},
                           "next_contact_on": _nullable({"type": "string", "format": "date"})}},
        "PassedOn": {
            "type": "object", "required": ["intakes", "next"],
            "properties": {
                "intakes": {"type": "array", "items": {
                    "type": "object", "required": ["id", "office", "status", "outcome", "passed_on_at"],
                    "properties": {"id": {"type": "string"},
                                   "office": {**nullable_string, "description": "Where the case is now"},
                                   "status": {"enum": list(STATUSES)}, "outcome": _nullable({"enum": list(OUTCOMES)}),
                                   "passed_on_at": {**nullable_string,
                                                    "description": "When the caller's office last passed it on"}}}},
                "next": {"type": ["string", "null"],
                         "description": "Pass as `after` for the following page; null on the last"}}},
    }
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string", "description": "In the caller's language"},
            "status": {"type": "integer"}, "detail": {"type": "string"}, "code": {"type": "string"},
            "errors": {"type": "object"}}},
        "Area": {**area, "description": f"A district code of the municipality, or {AREA_UNKNOWN!r} when the "
                                        "resident does not know it (routed as without an area)"},
        "Answers": answers,
        "Decision": decision,
        "FollowUpRequest": follow_up_request,
        "FollowUpMessage": message_request,
        "FollowUpStatus": follow_up_status,
        "FormSpec": form_spec,
        "Location": {"type": "object", "required": ["id", "kind", "name", "district"], "properties": {
            "id": {"type": "string"}, "kind": {"enum": list(LOCATION_KINDS)}, "name": {"type": "string"},
            "district": nullable_string}},
        "IntakeRequest": intake_request,
        "IntakeCreated": intake_created,
        "IntakeSummary": summary,
        "IntakeDetail": detail,
        "Transition": transition,
        "TransitionDone": {"type": "object", "required": ["id", "status", "event", "provider"], "properties": {
            "id": {"type": "string"}, "status": {"enum": list(STATUSES)}, "event": {"type": "integer"},
            "provider": nullable_string}},
        **case_team,
        "TokenRequest": {"type": "object", "required": ["username", "password"], "properties": {
            "username": {"type": "string", "minLength": 1, "maxLength": 1024},
            "password": {"type": "string", "minLength": 1, "maxLength": 1024}}},
        "TokenCreated": {"type": "object", "required": ["token", "expires_at", "user"], "properties": {
            "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
            "user": {"type": "object", "required": ["username", "role"], "properties": {
                "username": {"type": "string"}, "role": {"type": "string"}}}}},
    }


def _paths() -> dict:
    follow_up_errors = {
        "400": _problem("Not a JSON object, or neither token nor code"),
        "404": _problem("Unknown, expired or revoked (they look alike)"),
        "422": _problem("The code's check symbol does not match (a typo), or an unknown locale"),
        "429": _problem("Too many failed lookups", RETRY_AFTER),
    }
    intake_id = [{"name": "intake_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "/api/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document",
            "responses": {"200": _json("OpenAPI 3.1 document", {"type": "object", "required": ["openapi", "paths"]})},
        }},
        "/api/v1/triage": {"post": {
            "operationId": "triage", "summary": "Triage decision for canonical answers (stores nothing)",
            "requestBody": _body({"type": "object", "required": ["answers"], "additionalProperties": False,
                                  "properties": {"answers": _ref("Answers"), "area": _ref("Area"),
                                                 "locale": {"enum": list(LOCALES)}}}),
            "responses": {"200": _json("The decision, reasons in `locale`", _ref("Decision")),
                          "422": _problem("Answers not canonical, unknown field or locale")},
        }},
        "/api/v1/forms/{form_id}": {"get": {
            "operationId": "formSpec",
            "summary": "The form spec the outreach app renders, labels and consent text in `locale`",
            "parameters": [
                {"name": "form_id", "in": "path", "required": True, "schema": {"enum": ["intake-default"]}},
                {"name": "locale", "in": "query", "required": False, "schema": {"enum": list(LOCALES)}},
            ],
            "responses": {"200": _json("The form spec", _ref("FormSpec")),
                          "404": _problem("No such form"), "422": _problem("Unknown locale")},
        }},
        "/api/v1/directory": {"get": {
            "operationId": "directory",
            "summary": "The municipality's offices as an Open Referral HSDS 3.0.1 directory (public)",
            "description": "`{\"organization\", \"services\"}`: the organization (the municipality, its "
                           "places as `locations`) and one HSDS service per office, each valid against "
                           "the HSDS 3.0.1 schemas; the same bytes as `flask directory export`. "
                           "Names other than Japanese and the tsunagi codes are `attributes`.",
            "responses": {"200": _json("HSDS directory", {
                "type": "object", "required": ["organization", "services"],
                "properties": {"organization": {"type": "object"},
                               "services": {"type": "array", "items": {"type": "object"}}}}),
                          "404": _problem("No municipality is loaded")},
        }},
        "/api/v1/locations": {"get": {
            "operationId": "locations", "summary": "The places the caller may submit intakes from",
            "security": WORKER + PROVIDER,
            "responses": {"200": {**_json("Locations", {"type": "array", "items": _ref("Location")}),
                                  "links": {"submitIntake": {"operationId": "submitIntake",
                                                             "requestBody": {"location": "$response.body#/0/id"}}}},
                          "401": UNAUTHORIZED, "403": _problem("This account does not submit intakes")},
        }},
        "/api/v1/intakes": {"post": {
            "operationId": "submitIntake", "summary": "Submit an intake (outreach worker), idempotently",
            "description": "The same Idempotency-Key and body replay the first response (header "
                           "`Idempotent-Replayed: true`); the same key with another body is 422. Two requests "
                           "with one key at once make one intake: the one that commits second answers with "
                           "the first one's response. 409 only while a server of an earlier version, which "
                           "claimed keys before processing, may still be processing the key.",
            "security": WORKER,
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                            "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN}}],
            "requestBody": _body(_ref("IntakeRequest")),
            "responses": {
                "201": {**_json("The intake, its decision and the resident's follow-up", _ref("IntakeCreated")),
                        "headers": {"Idempotent-Replayed": {"schema": {"enum": ["true"]}}},
                        "links": {name: {"operationId": name,
                                         "requestBody": {"code": "$response.body#/follow_up/short_code"}}
                                  for name in ("followUp", "followUpMessage", "followUpWithdraw")}},
                "400": _problem("Missing or malformed Idempotency-Key, or not a JSON object"),
                "401": UNAUTHORIZED, "403": _problem("This account does not submit intakes"),
                "409": _problem("An earlier version's request with this key may still be processing", RETRY_AFTER),
                "413": _problem("The request is too large"),
                "422": _problem("Invalid body, stale consent text, or the key was used with another body"),
                "503": BUSY,
            },
        }},
        "/api/v1/follow-up": {"post": {
            "operationId": "followUp", "summary": "Case status for a follow-up token or receipt code",
            "requestBody": _body(_ref("FollowUpRequest")),
            "responses": {"200": _json("Status in plain words", _ref("FollowUpStatus")), **follow_up_errors},
        }},
        "/api/v1/follow-up/messages": {"post": {
            "operationId": "followUpMessage", "summary": "The resident sends a message to the provider",
            "requestBody": _body(_ref("FollowUpMessage")),
            "responses": {"201": _json("Sent; the status", _ref("FollowUpStatus")), **follow_up_errors,
                          "409": _problem("The consultation is not shared with an office")},
        }},
        "/api/v1/follow-up/withdraw": {"post": {
            "operationId": "followUpWithdraw", "summary": "The resident withdraws consent (erases identifying data)",
            "requestBody": _body(_ref("FollowUpRequest")),
            "responses": {"200": _json("Withdrawn (also when already withdrawn)", _ref("FollowUpStatus")),
                          **follow_up_errors},
        }},
        "/api/v1/inbox": {"get": {
            "operationId": "inbox", "summary": "Intakes routed to the caller's provider (all for the coordinator)",
            "security": PROVIDER,
            "parameters": [
                {"name": "status", "in": "query", "required": False,
                 "description": "Only intakes of this status (closed ones too); default: the open ones",
                 "schema": {"enum": list(STATUSES)}},
                {"name": "after", "in": "query", "required": False,
                 "description": "The `next` of the page before (keyset pagination)",
                 "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,32}$"}}],
            "responses": {"200": {**_json("Urgent first, then by deadline, then oldest; a page at a time; "
                                          "nothing identifying", {
                "type": "object", "required": ["intakes", "next"],
                "properties": {"intakes": {"type": "array", "items": _ref("IntakeSummary")},
                               "next": {"type": ["string", "null"],
                                        "description": "Pass as `after` for the following page; null on the last"}}}),
                "links": {name: {"operationId": name, "parameters": {"intake_id": "$response.body#/intakes/0/id"}}
                          for name in ("intake", "transition", "intakeOffices", "intakeContacts")}},
                "400": _problem("An unknown status, or an `after` that is not a `next`"),
                "401": UNAUTHORIZED, "403": _problem("This account does not read intakes")},
        }},
        "/api/v1/intakes/{intake_id}": {"get": {
            "operationId": "intake", "summary": "One intake as its provider reads it (audited)",
            "security": PROVIDER, "parameters": intake_id,
            "responses": {"200": _json("The intake", _ref("IntakeDetail")), "401": UNAUTHORIZED,
                          "404": _problem("No such intake, or not the caller's")},
        }},
        "/api/v1/intakes/{intake_id}/fhir": {"get": {
            "operationId": "intakeFhir",
            "summary": "The intake as an HL7 FHIR R4 referral (audited like a read)",
            "description": "A Bundle (type collection) of Patient (only the name, phone and email the "
                           "resident gave for the office), ServiceRequest, Task (status: received and "
                           "transferred requested, returned rejected, accepted accepted, contacted and "
                           "in_support in-progress, closed completed, interrupted failed) and Consent.",
            "security": PROVIDER, "parameters": intake_id,
            "responses": {"200": {"description": "FHIR R4 Bundle", "content": {"application/fhir+json": {
                "schema": {"type": "object", "required": ["resourceType", "type", "entry"],
                           "properties": {"resourceType": {"const": "Bundle"}, "type": {"const": "collection"},
                                          "entry": {"type": "array", "items": {"type": "object"}}}}}}},
                          "401": UNAUTHORIZED,
                          "403": _problem("The resident has not consented to share, or withdrew"),
                          "404": _problem("No such intake, or not the caller's"),
                          "409": _problem("No office receives the intake")},
        }},
        "/api/v1/intakes/{intake_id}/transitions": {"post": {
            "operationId": "transition", "summary": "Move the intake through its lifecycle",
            "security": PROVIDER, "parameters": intake_id,
            "requestBody": _body(_ref("Transition")),
            "responses": {
                "200": _json("Done", _ref("TransitionDone")), "401": UNAUTHORIZED,
                "403": _problem("Consent does not allow the share, or the caller may not act"),
                "404": _problem("No such intake, or not the caller's"),
                "409": _problem("Not allowed from the current status"),
                "422": _problem("Missing reason, outcome or provider; unknown provider"),
            },
        }},
        "/api/v1/intakes/{intake_id}/offices": {
            "get": {
                "operationId": "intakeOffices", "summary": "The offices on the case (audited)",
                "description": "The lead office (the one the intake is routed to) and the cooperating "
                               "offices. A cooperating office reads the case (this and GET "
                               "/api/v1/intakes/{intake_id}) only while `shares_with_cooperating`.",
                "security": PROVIDER, "parameters": intake_id,
                "responses": {"200": _json("The offices", _ref("OfficeList")), "401": UNAUTHORIZED,
                              "404": _problem("No such intake, or not the caller's")},
            },
            "post": {
                "operationId": "addIntakeOffice", "summary": "Name a cooperating office (the lead or the coordinator)",
                "security": PROVIDER, "parameters": intake_id,
                "requestBody": _body(_ref("OfficeRequest")),
                "responses": {
                    "201": _json("Named; the offices now", _ref("OfficeList")), "401": UNAUTHORIZED,
                    "400": _problem("Not a JSON object"),
                    "403": _problem("Not the caller's to do (code forbidden), or the resident has not "
                                    "consented to share (code consent_required)"),
                    "404": _problem("No such intake, or not the caller's"),
                    "409": _problem("The office already works on the case (code already_on_case), or it is "
                                    "the lead office (code same_provider)"),
                    "422": _problem("Invalid body, or no such open office"),
                },
            },
        },
        "/api/v1/intakes/{intake_id}/offices/{code}": {"delete": {
            "operationId": "endIntakeOffice",
            "summary": "A cooperating office leaves the case (ended by the lead or the coordinator, or itself)",
            "security": PROVIDER,
            "parameters": [*intake_id, {"name": "code", "in": "path", "required": True,
                                        "schema": {"type": "string"}, "description": "The office's code"}],
            "responses": {"204": {"description": "Ended"}, "401": UNAUTHORIZED,
                          "403": _problem("Not the caller's to do"),
                          "404": _problem("No such intake, not the caller's, or the office is not on the case")},
        }},
        "/api/v1/intakes/{intake_id}/meeting-consent": {"post": {
            "operationId": "intakeMeetingConsent",
            "summary": "Record that the resident agreed to the 重層的支援会議 (the lead office's staff)",
            "description": "The cooperating offices then read the case. Recorded as a consent the caller "
                           "witnessed; withdrawing consent ends it again.",
            "security": PROVIDER, "parameters": intake_id,
            "requestBody": _body(_ref("MeetingConsentRequest")),
            "responses": {"200": _json("Agreed (now or before)", _ref("MeetingConsentDone")), "401": UNAUTHORIZED,
                          "400": _problem("Not a JSON object"),
                          "403": _problem("Not the lead office's staff, or no consent to share (withdrawn)"),
                          "404": _problem("No such intake, or not the caller's"),
                          "422": _problem("Invalid body")},
        }},
        "/api/v1/intakes/{intake_id}/meetings": {"post": {
            "operationId": "intakeMeeting", "summary": "Record a meeting's decision about the case",
            "security": PROVIDER, "parameters": intake_id,
            "requestBody": _body(_ref("MeetingRequest")),
            "responses": {"201": _json("The case event", _ref("CaseEvent")), "401": UNAUTHORIZED,
                          "400": _problem("Not a JSON object"),
                          "403": _problem("Not on the case, or a 重層的支援会議 without the resident's consent "
                                          "(code consent_required)"),
                          "404": _problem("No such intake, or not the caller's"),
                          "422": _problem("Invalid body, or a day that is not a real day or is in the future")},
        }},
        "/api/v1/intakes/{intake_id}/contacts": {
            "get": {
                "operationId": "intakeContacts", "summary": "The case's contact log, newest first (audited)",
                "security": PROVIDER, "parameters": intake_id,
                "responses": {"200": _json("The contacts", {
                    "type": "object", "required": ["contacts"],
                    "properties": {"contacts": {"type": "array", "items": _ref("Contact")}}}),
                    "401": UNAUTHORIZED, "404": _problem("No such intake, or not the caller's")},
            },
            "post": {
                "operationId": "logIntakeContact",
                "summary": "Log a contact made or tried (the lead or a cooperating office)",
                "description": "One that did not reach the person (`not_reached`) while the case is open "
                               "counts as a failed contact attempt.",
                "security": PROVIDER, "parameters": intake_id,
                "requestBody": _body(_ref("ContactRequest")),
                "responses": {"201": _json("The entry", _ref("Contact")), "401": UNAUTHORIZED,
                              "400": _problem("Not a JSON object"),
                              "403": _problem("Not on the case (the coordinator logs none)"),
                              "404": _problem("No such intake, or not the caller's"),
                              "422": _problem("Invalid body, a day in the future, or the next contact before "
                                              "this one")},
            },
        },
        "/api/v1/outreach/contacts": {
            "get": {
                "operationId": "outreachContacts",
                "summary": "Contacts with a person not yet in support, at one outreach location (audited)",
                "description": "Newest first; only those recorded for `location` and not yet part of a case.",
                "security": WORKER,
                "parameters": [
                    {"name": "person", "in": "query", "required": True,
                     "schema": {"type": "string", "pattern": PERSON_REF_PATTERN}},
                    {"name": "location", "in": "query", "required": True, "schema": _ref("OutreachLocation")}],
                "responses": {"200": _json("The contacts", {
                    "type": "object", "required": ["contacts"],
                    "properties": {"contacts": {"type": "array", "items": _ref("OutreachContact")}}}),
                    "401": UNAUTHORIZED, "403": _problem("Not an outreach worker"),
                    "422": _problem("A malformed reference, or not an outreach location")},
            },
            "post": {
                "operationId": "recordOutreachContact",
                "summary": "Record a contact with a person not yet in support (outreach worker), idempotently",
                "description": "Continued contact before consent (実施要綱 L1461-1532), under the app's "
                               "reference: nothing identifying. The contacts join the case when the "
                               "person's intake is submitted with `person`. The same Idempotency-Key and "
                               "body replay the first response; the same key with another body is 422.",
                "security": WORKER,
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                                "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN}}],
                "requestBody": _body(_ref("OutreachContactRequest")),
                "responses": {
                    "201": {**_json("The entry", _ref("OutreachContact")),
                            "headers": {"Idempotent-Replayed": {"schema": {"enum": ["true"]}}}},
                    "400": _problem("Missing or malformed Idempotency-Key, or not a JSON object"),
                    "401": UNAUTHORIZED, "403": _problem("Not an outreach worker"),
                    "409": _problem("An earlier version's request with this key may still be processing",
                                    RETRY_AFTER),
                    "422": _problem("Invalid body (any field besides those listed), not an outreach "
                                    "location, wrong days, or the key was used with another body"),
                    "503": BUSY},
            },
        },
        "/api/v1/passed-on": {"get": {
            "operationId": "passedOn", "summary": "The cases the caller's office passed on, and how they ended",
            "description": "Returned, transferred or handed back and no longer led by the caller's office: "
                           "where each is now, its status and outcome, nothing about the resident. Newest "
                           "routing first, 100 at a time. Audited.",
            "security": PROVIDER,
            "parameters": [{"name": "after", "in": "query", "required": False,
                            "description": "The `next` of the page before (keyset pagination)",
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,32}$"}}],
            "responses": {"200": _json("A page", _ref("PassedOn")), "401": UNAUTHORIZED,
                          "400": _problem("An `after` that is not a `next`"),
                          "403": _problem("Not an office's account (the coordinator passes nothing on)")},
        }},
        "/api/v1/tokens": {"post": {
            "operationId": "signIn", "summary": "Sign in to the outreach app: a session token",
            "requestBody": _body(_ref("TokenRequest")),
            "responses": {
                "201": _json("The token (shown once) and when it expires", _ref("TokenCreated")),
                "400": _problem("Not a JSON object"), "401": _problem("Wrong user name or password"),
                "403": _problem("This account does not use the outreach app"),
                "422": _problem("Missing fields"), "429": _problem("Too many failed attempts", RETRY_AFTER),
            },
        }},
        "/api/v1/tokens/current": {"delete": {
            "operationId": "signOut", "summary": "Sign out: revoke the session token in use",
            "security": [{"sessionToken": []}],
            "responses": {"204": {"description": "Revoked"}, "401": UNAUTHORIZED},
        }},
    }


def document(districts: list[str], locations: list[str], providers: list[str], form_versions: list[int],
             consent_versions: dict[str, list[str]], questions: tuple[OwnQuestion, ...] = ()) -> dict:
    """The document for a municipality with these district, outreach location and active
    provider codes, the intake form's version, the consent text's version (its hash) in
    each locale, and its own questions (their keys and choices in the answers)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "tsunagi API", "version": "1",
                 "description": "Intake and routing for 重層的支援体制整備事業. Errors are "
                                "application/problem+json with `title` in the caller's language. "
                                "A JSON body whose strings contain U+0000 is refused like a body "
                                "that is not JSON."},
        "paths": _paths(),
        "components": {
            "schemas": _schemas(districts, locations, providers, form_versions, consent_versions, questions),
            "securitySchemes": {
                "workerToken": {"type": "http", "scheme": "bearer",
                                "description": "An outreach worker's API token, or a session token of "
                                               "POST /api/v1/tokens"},
                "providerToken": {"type": "http", "scheme": "bearer",
                                  "description": "The API token of a provider's user or system, or the "
                                                 "coordinator's"},
                "sessionToken": {"type": "http", "scheme": "bearer",
                                 "description": "A session token of POST /api/v1/tokens"},
            },
        },
    }
