"""The municipality's offices as an Open Referral HSDS 3.0 directory (`flask directory`).

The municipality file stays the source of truth: `export` reads what `municipality load`
wrote to the tables, `load` writes an HSDS document back into the same tables (rows
matched by code, as `municipality.apply` does), so that export → import → export is
byte-identical.

Shape: `{"organization": ..., "services": [...]}`; the organization is the municipality
(its kiosk and outreach places are its `locations`), each provider is a `service` with its
phone, opening hours (`schedules[0].description`), districts (`service_areas`) and
`languages`. HSDS has one `name`: it holds the Japanese name; every other rendering of a
name or of opening hours (and the tsunagi codes) travel as `attributes` whose
`taxonomy_term_id` is uuid5 of `tsunagi/<what>` (`name/<locale>`, `hours/<locale>`,
`code`, `service`, `kind`, `district`, `preference`), with the text in `value`.
Every id is a uuid5 of the row's kind and code, so exports are stable.
"""
from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain import ROOT, models
from tsunagi.domain.municipality import NAME_KEYS, current

NAMESPACE = uuid.UUID("5b0e4a36-5f1c-4c1e-9d59-7473756e6167")
SCHEMAS = ROOT / "reference" / "hsds" / "schema"
_TERMS = ("code", "service", "kind", "district", "preference",
          *(f"name/{k}" for k in sorted(NAME_KEYS)), *(f"hours/{k}" for k in sorted(NAME_KEYS)))


class DirectoryError(ValueError):
    """The document is not a tsunagi HSDS directory; the message says where."""


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


_TERM_OF = {_id("term", t): t for t in _TERMS}


@cache
def _registry() -> Registry:
    """The HSDS object schemas by file name, which is how they `$ref` each other."""
    return Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012))
        for path in sorted(SCHEMAS.glob("*.json")))


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = _registry().contents(f"{name}.json")
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(document: dict[str, Any]) -> list[str]:
    """What in `document` breaks the HSDS 3.0.1 schemas (empty when it validates)."""
    found = [f"organization{_where(e)}: {e.message}" for e in _validator("organization").iter_errors(
        document.get("organization"))]
    for i, service in enumerate(document.get("services") or []):
        found += [f"services[{i}]{_where(e)}: {e.message}" for e in _validator("service").iter_errors(service)]
    return found


def _where(error: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _attributes(owner: str, entity: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": _id(owner, "attribute", term), "link_entity": entity, "link_id": owner,
         "link_type": "tsunagi", "taxonomy_term_id": _id("term", term), "value": str(value)}
        for term, value in sorted(values.items()) if value is not None
    ]


def _texts(prefix: str, text: dict[str, Any]) -> dict[str, str]:
    return {f"{prefix}/{k}": v for k, v in text.items() if k != "ja"}


def export(session: Session) -> dict[str, Any]:
    """The directory of the loaded municipality as an HSDS document."""
    muni = current(session)
    if muni is None:
        raise DirectoryError("no municipality is loaded")
    org_id = _id("organization", muni.code)
    districts = {d.code: d for d in session.scalars(select(models.District).order_by(models.District.code))}
    locations = []
    for loc in session.scalars(select(models.Location).order_by(models.Location.code)):
        loc_id = _id("location", loc.code)
        locations.append({
            "id": loc_id, "organization_id": org_id, "location_type": "virtual" if loc.kind == "outreach"
            else "physical", "name": loc.name["ja"],
            "attributes": _attributes(loc_id, "location", {
                "code": loc.code, "kind": loc.kind, "district": loc.district, **_texts("name", loc.name)}),
        })
    services = []
    for p in session.scalars(select(models.Provider).order_by(models.Provider.code)):
        sid = _id("service", p.code)
        areas = sorted(districts) if p.municipality_wide else sorted(p.districts)
        services.append({
            "id": sid, "organization_id": org_id, "name": p.name["ja"],
            "status": "active" if p.active else "inactive",
            "phones": [{"id": _id(sid, "phone"), "service_id": sid, "number": p.phone}],
            "schedules": [{"id": _id(sid, "schedule"), "service_id": sid, "timezone": 9,
                           "description": p.hours["ja"],
                           "attributes": _attributes(_id(sid, "schedule"), "schedule",
                                                     _texts("hours", p.hours))}],
            "service_areas": [
                {"id": _id(sid, "area", code), "service_id": sid,
                 "name": districts[code].name["ja"] if code in districts else muni.name["ja"],
                 "attributes": _attributes(_id(sid, "area", code), "service_area", {"code": code})}
                for code in (["all"] if p.municipality_wide else areas)
            ],
            "languages": [{"id": _id(sid, "language", code), "service_id": sid, "code": code}
                          for code in p.languages],
            "attributes": _attributes(sid, "service", {
                "code": p.code, "service": p.service, "preference": p.preference,
                **_texts("name", p.name)}),
        })
    return {
        "organization": {
            "id": org_id, "name": muni.name["ja"], "description": muni.name["ja"],
            "locations": locations,
            "attributes": _attributes(org_id, "organization", {"code": muni.code, **_texts("name", muni.name)}),
        },
        "services": services,
    }


def dumps(document: dict[str, Any]) -> str:
    """The one serialisation: sorted keys, UTF-8 text, two-space indent, final newline."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _read(owner: dict[str, Any]) -> dict[str, str]:
    values = {}
    for attribute in owner.get("attributes") or []:
        term = _TERM_OF.get(attribute.get("taxonomy_term_id", ""))
        if term is not None:
            values[term] = attribute.get("value")
    return values


def _text(name: str, values: dict[str, str], prefix: str, keep: dict[str, Any] | None) -> dict[str, Any]:
    text = {k.split("/", 1)[1]: v for k, v in values.items() if k.startswith(prefix + "/")}
    return {**(keep or {}), **text, "ja": name}


def load(session: Session, document: Any) -> None:
    """Write an HSDS directory exported by `export` into the municipality's tables (rows
    matched by their `code` attribute). The caller commits.

    :raise DirectoryError: the document breaks the schemas or names no tsunagi code.
    """
    if not isinstance(document, dict) or not isinstance(document.get("organization"), dict):
        raise DirectoryError("not an HSDS directory: expected {\"organization\": ..., \"services\": [...]}")
    found = problems(document)
    if found:
        raise DirectoryError("; ".join(found[:5]))
    muni = current(session)
    org = document["organization"]
    if muni is None or _read(org).get("code") != muni.code:
        raise DirectoryError("the organization is not the loaded municipality (load its file first)")
    for place in org.get("locations") or []:
        values = _read(place)
        row = _row(session, models.Location, values, "location", place["id"])
        row.name = _text(place.get("name") or "", values, "name", row.name)
        row.kind, row.district = values.get("kind", row.kind), values.get("district")
    for service in document.get("services") or []:
        values = _read(service)
        row = _row(session, models.Provider, values, "service", service["id"])
        row.name = _text(service["name"], values, "name", row.name)
        row.service = values.get("service", row.service)
        row.active = service["status"] == "active"
        row.preference = int(values.get("preference") or 0)
        if service.get("phones"):
            row.phone = service["phones"][0]["number"]
        if service.get("schedules"):
            schedule = service["schedules"][0]
            row.hours = _text(schedule.get("description") or "", _read(schedule), "hours", row.hours)
        areas = [_read(a).get("code") for a in service.get("service_areas") or []]
        row.municipality_wide = areas == ["all"]
        row.districts = [] if row.municipality_wide else sorted(a for a in areas if a)
        row.languages = [lang["code"] for lang in service.get("languages") or [] if lang.get("code")]
    session.flush()


def _row(session: Session, model: type, values: dict[str, str], what: str, given_id: str) -> Any:
    code = values.get("code")
    row = session.scalar(select(model).where(model.code == code)) if code else None
    if row is None:
        raise DirectoryError(f"{what} {given_id}: no {what} with code {code!r} in the municipality's file")
    return row
