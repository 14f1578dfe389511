"""A routed intake as an HL7 FHIR R4 referral: a Bundle (collection) of ServiceRequest,
Task, Consent and Patient, validated with the `fhir.resources` R4B models.

Refused (`ConsentRequired`) unless the resident consented to share and has not withdrawn:
the Patient then carries only what the resident gave for the office (name, phone, email),
nothing else (no answers, no free text). Task.status follows `vocabulary.FHIR_TASK_STATUS`.
"""
from __future__ import annotations

import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from tsunagi.domain.consent import require_share
from tsunagi.domain.models import Intake
from tsunagi.domain.vocabulary import FHIR_TASK_STATUS

NAMESPACE = uuid.UUID("0f4b7a52-94a5-4f38-a7c5-7473756e6167")
SYSTEM = "urn:tsunagi"


class NotRouted(ValueError):
    """No office receives the intake: there is no referral to export."""


def _urn(intake: Intake, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{intake.id}/{kind}')}"


def _office(intake: Intake) -> dict[str, Any]:
    p = intake.provider
    return {"identifier": {"system": f"{SYSTEM}:provider", "value": p.code}, "display": p.name["ja"]}


def referral(intake: Intake) -> dict[str, Any]:
    """The Bundle as JSON (validated).

    :raise ConsentRequired: the resident has not consented to share (or withdrew).
    :raise NotRouted: no office receives the intake.
    """
    require_share(intake)
    if intake.provider is None or intake.status not in FHIR_TASK_STATUS:
        raise NotRouted("the intake is not routed to an office")
    patient, request, task, consent = (_urn(intake, k) for k in ("patient", "request", "task", "consent"))
    contact = intake.contact or {}
    telecom = [{"system": system, "value": contact[key]}
               for key, system in (("phone", "phone"), ("email", "email")) if contact.get(key)]
    given = {k: v for k, v in (("name", [{"text": intake.name}] if intake.name else None),
                               ("telecom", telecom or None)) if v}
    identifier = [{"system": f"{SYSTEM}:intake", "value": intake.id}]
    status = FHIR_TASK_STATUS[intake.status]
    resources = [
        (patient, {"resourceType": "Patient", **given}),
        (request, {
            "resourceType": "ServiceRequest", "identifier": identifier,
            "status": {"completed": "completed", "failed": "revoked", "rejected": "revoked"}.get(status, "active"),
            "intent": "order", "priority": "urgent" if intake.priority == "urgent" else "routine",
            "code": {"coding": [{"system": f"{SYSTEM}:service", "code": intake.service}]},
            "subject": {"reference": patient}, "authoredOn": intake.created_at.isoformat(),
            "performer": [_office(intake)],
        }),
        (task, {
            "resourceType": "Task", "identifier": identifier, "status": status, "intent": "order",
            "priority": "urgent" if intake.priority == "urgent" else "routine",
            "focus": {"reference": request}, "for": {"reference": patient},
            "authoredOn": intake.created_at.isoformat(), "lastModified": intake.status_changed_at.isoformat(),
            "owner": _office(intake),
            "businessStatus": {"coding": [{"system": f"{SYSTEM}:status", "code": intake.status}]},
        }),
        (consent, {
            "resourceType": "Consent", "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": patient}, "dateTime": intake.consent.created_at.isoformat(),
            "policyRule": {"coding": [{"system": f"{SYSTEM}:consent",
                                       "code": f"{intake.consent.text_id}.v{intake.consent.text_version}"}]},
            "provision": {"type": "permit", "actor": [{
                "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                     "code": "IRCP"}]}, "reference": _office(intake)}]},
        }),
    ]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "identifier": {"system": f"{SYSTEM}:intake", "value": intake.id},
              "entry": [{"fullUrl": url, "resource": resource} for url, resource in resources]}
    return Bundle.model_validate(bundle).model_dump(mode="json")
