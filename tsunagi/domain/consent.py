"""Consent (本人同意): what the resident agreed to, and the gate for every share.

Sharing an intake with a provider needs the resident's consent (実施要綱 L5108-5110); the
record keeps the exact text version shown, so it can be proven later what was agreed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain import municipality
from tsunagi.domain.models import Consent, ConsentText, Intake, IntakeEvent, ResidentMessage, insert_or_ignore, is_stored
from tsunagi.domain.vocabulary import CONSENT_MODES, CONTACT_ALONE, CONTACT_METHODS, CONTACT_NEEDS, MULTI_AGENCY, N_


class ConsentRequired(PermissionError):
    """The resident's consent does not cover this share."""


class InvalidConsent(ValueError):
    """The consent as given cannot be recorded (unknown mode, a proxy without relationship...)."""


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
    contact_time: str | None = None
    proxy_relationship: str | None = None

    def __post_init__(self) -> None:
        unknown = [m for m in self.contact_methods if m not in CONTACT_METHODS]
        if unknown:
            raise InvalidConsent(f"unknown contact method {unknown[0]!r}")
        if self.mode not in CONSENT_MODES:
            raise InvalidConsent(f"unknown consent mode {self.mode!r}")
        if self.mode == "proxy" and not self.proxy_relationship:
            raise InvalidConsent("a proxy consent needs the proxy's relationship to the resident")
        if self.mode in ("verbal", "proxy") and self.witness_id is None:
            raise InvalidConsent(f"a {self.mode} consent needs the worker who witnessed it")

    def record(self, intake: Intake) -> Consent:
        return Consent(
            intake=intake, text_id=self.text_id, text_version=self.text_version,
            text_hash=self.text_hash, locale=self.locale,
            share_with_provider=self.share_with_provider,
            multi_agency_meeting=self.multi_agency_meeting,
            contact_methods=list(self.contact_methods), channel=self.channel,
            location_id=self.location_id, mode=self.mode, witness_id=self.witness_id,
            contact_time=self.contact_time, proxy_relationship=self.proxy_relationship,
        )


CONTACT_PROBLEMS = {
    "alone": N_("“Please do not contact me” cannot be chosen together with a way to contact you."),
    "phone": N_("To be called or sent a text message, please give a phone number on the earlier page, "
                "or choose another way."),
    "email": N_("To get an email, please give an email address on the earlier page, or choose another way."),
}


def contact_problem(methods: tuple[str, ...] | list[str], details: Mapping[str, str | None]) -> str | None:
    """What is wrong with the chosen ways of contact given the details typed (a key of
    CONTACT_PROBLEMS), or None: "do not contact me" with a way to contact, or a phone call
    without a phone number."""
    if CONTACT_ALONE in methods and len(set(methods)) > 1:
        return "alone"
    for method in methods:
        needed = CONTACT_NEEDS.get(method)
        if needed and not (details.get(needed) or "").strip():
            return needed
    return None


def reaches_office(intake: Intake) -> bool:
    """Whether an office receives this intake now (shared, not withdrawn, routed): only
    then can the resident send it a message."""
    return may_share(intake) and intake.provider_id is not None


def may_share(intake: Intake) -> bool:
    c = intake.consent
    return bool(c and c.share_with_provider and c.withdrawn_at is None)


def allows_service(consent: ConsentGiven | Consent | None, service: str) -> bool:
    """Whether the consent lets the intake go to an office of `service`: the multi-agency
    team needs its own scope, the 重層的支援会議 (実施要綱 L559-569, L614-616)."""
    return consent is not None and (service != MULTI_AGENCY or bool(consent.multi_agency_meeting))


def require_share(intake: Intake) -> None:
    """:raise ConsentRequired: the intake may not be shared with a provider."""
    if not may_share(intake):
        raise ConsentRequired("the resident has not consented to sharing this intake")


def render_text(paragraphs: list[str], gettext: Callable[[str], str],
                params: Mapping[str, Any] | None = None) -> tuple[list[str], str]:
    """The consent text in the reader's language and its hash (its version). A paragraph
    with placeholders gets `params` (`text_params`: who collects, how long data is kept),
    so the hash covers the text exactly as the resident read it."""
    rendered = [gettext(p) % dict(params or {}) if "%(" in p else gettext(p) for p in paragraphs]
    return rendered, text_hash(rendered)


def text_params(session: Session, locale: str, retention_days: int) -> dict[str, Any]:
    """What the consent text names: the municipality that collects (its own name in the
    resident's language, from its data file) and the years data is kept after a case ends."""
    city = municipality.current(session)
    return {"city": municipality.localized(city.name, locale) if city else "",
            "years": max(1, round(retention_days / 365))}


def remember_text(session: Session, *, text_id: str, text_version: int, locale: str,
                  paragraphs: list[str], digest: str) -> None:
    """Keep a consent text about to be shown, by its hash (once; the caller commits)."""
    if not is_stored(session, ConsentText, digest):
        insert_or_ignore(session, ConsentText, hash=digest, text_id=text_id, text_version=text_version,
                         locale=locale, paragraphs=list(paragraphs))


def served_text(session: Session, digest: str, locale: str) -> ConsentText | None:
    """The consent text of that hash, if the product ever showed it in `locale`: an intake
    taken offline under it is valid even after the text changed."""
    row = session.get(ConsentText, digest) if isinstance(digest, str) and len(digest) == 64 else None
    return row if row is not None and row.locale == locale else None


def withdraw(session: Session, intake: Intake, *, via: str, by_user_id: int | None = None) -> bool:
    """Withdraw consent at once: identifying fields are erased, nothing more is shared,
    and who and when are recorded. Returns False if it was already withdrawn.

    The non-identifying answers and the decision stay, so statistics still count the intake.
    """
    c = intake.consent
    if c is None or c.withdrawn_at is not None:
        return False
    now = datetime.now(timezone.utc)
    c.withdrawn_at, c.withdrawn_via, c.withdrawn_by_id = now, via, by_user_id
    intake.name = intake.contact = intake.free_text = intake.contact_key = None
    for message in session.scalars(select(ResidentMessage).where(ResidentMessage.intake_id == intake.id)):
        message.body = None
    session.add(IntakeEvent(intake_id=intake.id, actor_id=by_user_id, from_status=intake.status,
                            to_status=intake.status, provider_id=intake.provider_id,
                            action="consent_withdrawn", details={"via": via}))
    session.flush()
    return True
