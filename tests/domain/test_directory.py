"""The HSDS 3.0 directory: export, validation against the published schemas, import."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from tsunagi.domain import directory
from tsunagi.domain.models import Location, Provider


def test_export_validates_and_carries_every_office(session, demo):
    document = directory.export(session)
    assert directory.problems(document) == []
    services = {s["name"]: s for s in document["services"]}
    assert len(services) == len(demo.providers)
    for spec in demo.providers:
        service = services[spec.name.ja]
        assert service["phones"][0]["number"] == spec.phone
        assert service["schedules"][0]["description"] == spec.hours.ja
        assert [lang["code"] for lang in service["languages"]] == list(spec.languages)
        attributes = {a["value"] for a in service["attributes"]}
        assert {spec.code, spec.service, spec.name.model_extra["en"]} <= attributes
    places = {p["name"] for p in document["organization"]["locations"]}
    assert places == {loc.name.ja for loc in demo.locations}


def test_export_import_export_is_byte_identical(session, demo):
    first = directory.dumps(directory.export(session))
    provider = session.scalar(select(Provider).order_by(Provider.code))
    provider.phone, provider.languages = "03-0000-0000", ["ja", "ne"]
    session.flush()
    assert directory.dumps(directory.export(session)) != first
    directory.load(session, json.loads(first))
    assert directory.dumps(directory.export(session)) == first


def test_import_writes_an_edited_directory(session, demo):
    document = directory.export(session)
    service = document["services"][0]
    service["phones"][0]["number"] = "03-1234-5678"
    service["name"] = "新しい名前"
    directory.load(session, document)
    code = next(a["value"] for a in service["attributes"] if a["taxonomy_term_id"] == directory._id("term", "code"))
    row = session.scalar(select(Provider).where(Provider.code == code))
    assert (row.phone, row.name["ja"]) == ("03-1234-5678", "新しい名前")
    assert row.name["en"]  # the other renderings travel as attributes and stay


@pytest.mark.parametrize("break_it", [
    lambda d: d["services"][0].pop("status"),
    lambda d: d["services"][0].__setitem__("id", "not-a-uuid"),
    lambda d: d["organization"].pop("description"),
    lambda d: d["services"][0]["phones"][0].pop("number"),  # nested objects: resolved $ref
    lambda d: d["organization"]["locations"][0].pop("location_type"),
])
def test_import_refuses_what_breaks_the_schema(session, demo, break_it):
    document = directory.export(session)
    broken = copy.deepcopy(document)
    break_it(broken)
    with pytest.raises(directory.DirectoryError):
        directory.load(session, broken)


def test_import_refuses_unknown_codes_and_other_shapes(session, demo):
    document = directory.export(session)
    for attribute in document["organization"]["locations"][0]["attributes"]:
        if attribute["taxonomy_term_id"] == directory._id("term", "code"):
            attribute["value"] = "nowhere"
    with pytest.raises(directory.DirectoryError, match="nowhere"):
        directory.load(session, document)
    for other in ([], {"services": []}, {"organization": "x"}):
        with pytest.raises(directory.DirectoryError):
            directory.load(session, other)
    assert session.scalar(select(Location).where(Location.code == "nowhere")) is None
