"""The body of POST /api/v1/intakes, validated with clear per-field errors."""
from __future__ import annotations

from typing import Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints
from typing_extensions import Annotated

from tsunagi.domain.case_team import PERSON_REF_PATTERN
from tsunagi.domain.datafile import Strict as DataFile
from tsunagi.domain.vocabulary import CHANNELS, CONSENT_MODES, CONTACT_METHODS, EMAIL_PATTERN, PHONE_PATTERN, typed


def _typed(value):
    return typed(value) if isinstance(value, str) else value


# Typed text is NFKC-normalized before it is checked (a full-width phone number is valid).
Typed = BeforeValidator(_typed)
Short = Annotated[str, Typed, StringConstraints(max_length=200)]


class Strict(DataFile):
    # strict: "true" is not a boolean nor "1" a number, as the OpenAPI document says.
    model_config = ConfigDict(strict=True)


class Scopes(Strict):
    share_with_provider: bool
    multi_agency_meeting: bool = False
    contact_methods: list[Literal[CONTACT_METHODS]] = Field(default_factory=list, max_length=5)  # type: ignore[valid-type]


class ConsentBody(Strict):
    version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    scopes: Scopes
    mode: Literal[CONSENT_MODES] = "self"  # type: ignore[valid-type]
    relationship: Annotated[str, StringConstraints(max_length=64)] | None = None  # consent.proxy_relationship
    witness: Short | None = None
    contact_time: Short | None = None


class Contact(Strict):
    name: Annotated[str, Typed, StringConstraints(max_length=100)] | None = None
    phone: Annotated[str, Typed, StringConstraints(max_length=30, pattern=PHONE_PATTERN)] | None = None
    email: Annotated[str, Typed, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)] | None = None
    free_text: Annotated[str, Typed, StringConstraints(max_length=2000)] | None = None


class IntakeBody(Strict):
    form_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    form_version: int | None = None
    locale: Annotated[str, StringConstraints(max_length=16)]
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    location: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    answers: dict
    contact: Contact | None = None
    consent: ConsentBody
    # The outreach app's reference for a person it kept in touch with before they consented:
    # their contacts join this intake's contact log (tsunagi.domain.case_team.link_person).
    person: Annotated[str, StringConstraints(pattern=PERSON_REF_PATTERN)] | None = None
