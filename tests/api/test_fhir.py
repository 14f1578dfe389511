"""GET /api/v1/intakes/<id>/fhir: an office's system reads a routed intake as a FHIR R4 referral."""
from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from tsunagi.domain import fhir
from tsunagi.domain.consent import ConsentRequired
from tsunagi.domain.models import AuditEvent
from tsunagi.domain.vocabulary import FHIR_TASK_STATUS, STATUSES


def get(client, token, intake_id):
    return client.get(f"/api/v1/intakes/{intake_id}/fhir", headers={"Authorization": f"Bearer {token}"})


def resources(body):
    bundle = Bundle.model_validate(body)  # the R4B models accept it
    return {e.resource.get_resource_type(): e.resource for e in bundle.entry}


def test_a_routed_intake_is_a_valid_bundle_that_follows_the_lifecycle(client, session, make_intake, provider_users):
    intake = make_intake().intake
    token = provider_users["houkatsu-minami"]
    response = get(client, token, intake.id)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    found = resources(response.json)
    assert set(found) == {"Patient", "ServiceRequest", "Task", "Consent"}
    assert found["Task"].status == "requested" and found["Task"].focus.reference == response.json["entry"][1]["fullUrl"]
    assert found["ServiceRequest"].code.coding[0].code == "houkatsu"
    assert found["Task"].owner.identifier.value == "houkatsu-minami"
    assert found["Patient"].name[0].text == "山田 花子"
    assert [t.value for t in found["Patient"].telecom] == ["090-1234-5678"]
    steps = [("accept", {}, "accepted"), ("contacted", {}, "in-progress"), ("start_support", {}, "in-progress"),
             ("close", {"outcome": "connected"}, "completed")]
    for action, extra, expected in steps:
        done = client.post(f"/api/v1/intakes/{intake.id}/transitions", json={"action": action, **extra},
                           headers={"Authorization": f"Bearer {token}"})
        assert done.status_code == 200, done.json
        assert resources(get(client, token, intake.id).json)["Task"].status == expected
    reads = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.intake_id == intake.id, AuditEvent.action == "intake_read"))
    assert reads == 1 + len(steps)


def test_the_bundle_carries_nothing_else_identifying(client, make_intake, provider_users):
    body = get(client, provider_users["houkatsu-minami"], make_intake().intake.id).json
    text = json.dumps(body, ensure_ascii=False)
    assert "65_plus" not in text and "answers" not in text
    assert set(resources(body)["Patient"].model_dump(exclude_none=True)) == {"resourceType", "name", "telecom"}


def test_refused_without_consent_to_share_or_after_withdrawal(client, session, make_intake, provider_users):
    token = provider_users["houkatsu-minami"]
    shared = make_intake().intake
    shared.consent.withdrawn_at = shared.created_at
    session.commit()
    refused = get(client, token, shared.id)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert "山田" not in refused.get_data(as_text=True)
    never = make_intake(share=False).intake
    with pytest.raises(ConsentRequired):
        fhir.referral(never)
    assert get(client, token, never.id).status_code in (403, 404)


def test_another_offices_intake_is_404_like_any_read(client, make_intake, provider_users):
    intake = make_intake().intake
    response = get(client, provider_users["houkatsu-kita"], intake.id)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert get(client, provider_users["houkatsu-kita"], "nosuchintake").status_code == 404
    assert client.get(f"/api/v1/intakes/{intake.id}/fhir").status_code == 401


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "not_shared"])
def test_every_shared_status_has_its_task_status(session, make_intake, status):
    intake = make_intake().intake
    intake.status = status
    task = resources(fhir.referral(intake))["Task"]
    assert task.status == FHIR_TASK_STATUS[status]
    assert task.businessStatus.coding[0].code == status


def test_the_mapping_covers_the_lifecycle_with_fhirs_task_statuses():
    assert FHIR_TASK_STATUS == {
        "received": "requested", "transferred": "requested", "returned": "rejected", "accepted": "accepted",
        "contacted": "in-progress", "in_support": "in-progress", "closed": "completed", "interrupted": "failed"}
    assert set(FHIR_TASK_STATUS) == set(STATUSES) - {"not_shared"}
