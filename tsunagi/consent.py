"""Consent (本人同意): what the resident agreed to, and the gate for every share.

Sharing an intake with a provider needs the resident's consent (実施要綱 L5108-5110); the
record keeps the exact text version shown, so it can be proven later what was agreed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tsunagi.models import Consent, Intake

CONTACT_METHODS = ("phone", "sms", "email", "visit", "none")
MODES = ("self", "verbal", "proxy")


class ConsentRequired(PermissionError):
    """The resident's consent does not cover this share."""


def text_hash(rendered_paragraphs: list[str]) -> str:
    """SHA-256 of the consent text exactly as the resident saw it."""
    return hashlib.sha256("\n\n".join(rendered_paragraphs).encode()).hexdigest()


@dataclass(frozen=True)
class ConsentGiven:
    text_id: str
    text_version: int
    text_hash: str
    locale: str
    share_with_provider: bool
    channel: str
    location_id: int
    multi_agency_meeting: bool = False
    contact_methods: tuple[str, ...] = field(default_factory=tuple)
    mode: str = "self"
    witness_id: int | None = None

    def __post_init__(self) -> None:
        unknown = [m for m in self.contact_methods if m not in CONTACT_METHODS]
        if unknown:
            raise ValueError(f"unknown contact method {unknown[0]!r}")
        if self.mode not in MODES:
            raise ValueError(f"unknown consent mode {self.mode!r}")

    def record(self, intake: Intake) -> Consent:
        return Consent(
            intake=intake, text_id=self.text_id, text_version=self.text_version,
            text_hash=self.text_hash, locale=self.locale,
            share_with_provider=self.share_with_provider,
            multi_agency_meeting=self.multi_agency_meeting,
            contact_methods=list(self.contact_methods), channel=self.channel,
            location_id=self.location_id, mode=self.mode, witness_id=self.witness_id,
        )


def may_share(intake: Intake) -> bool:
    c = intake.consent
    return bool(c and c.share_with_provider and c.withdrawn_at is None)


def require_share(intake: Intake) -> None:
    """:raise ConsentRequired: the intake may not be shared with a provider."""
    if not may_share(intake):
        raise ConsentRequired("the resident has not consented to sharing this intake")
