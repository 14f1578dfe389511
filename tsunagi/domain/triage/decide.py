"""Triage: from canonical answers to the accountable first contact (DOMAIN.md policy).

Pure domain logic: no Flask, no database. `decide` takes validated answers and the
municipality's providers as plain data and returns a `Decision` whose every step carries
a reason (a message code with parameters) that a provider and a resident can read.
Routing chooses a first contact; it never rejects a resident (実施要綱 L1959, L2480).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Iterable

from tsunagi.domain.triage.answers import Answers
from tsunagi.domain.triage.reasons import Reason
from tsunagi.domain.triage.rules import Policy, evaluate_domains, evaluate_signals, load_policy
from tsunagi.domain.vocabulary import MULTI_AGENCY, language_of


@dataclass(frozen=True)
class ProviderInfo:
    id: int
    code: str
    service: str
    districts: tuple[str, ...]
    municipality_wide: bool
    languages: tuple[str, ...]
    active: bool = True


@dataclass
class Decision:
    service: str
    priority: str
    domains: list[str]
    signals: list[str]
    rule: str
    provider_id: int | None
    provider_choice: str
    reasons: list[Reason]
    rules_version: str
    # For an intake of the multi-agency team: the accountable office that takes it when the
    # resident agrees to share but not to the meeting, {"service", "provider_id", "provider_choice"}.
    first_contact: dict[str, Any] | None = None

    def to_record(self) -> dict[str, Any]:
        """The decision as stored with the intake, so it can be explained later."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "reasons"}
        data["reasons"] = [{"code": r.code, "params": dict(r.params)} for r in self.reasons]
        return data

    def without_team(self) -> "Decision":
        """The decision when the multi-agency team may not take the intake (the resident
        declined the meeting, or the team has no office): its first contact, with the
        reason both sides read. Unchanged when there is no first contact."""
        if self.service != MULTI_AGENCY or not self.first_contact:
            return self
        first = self.first_contact
        code = "first_contact_no_team" if self.provider_id is None else "first_contact_no_meeting"
        return replace(
            self, service=first["service"], provider_id=first["provider_id"],
            provider_choice=first["provider_choice"],
            # How the team's office was chosen no longer applies; how the first contact was does.
            reasons=[*(r for r in self.reasons if r.code == "provider_missing" or not r.code.startswith("provider_")),
                     Reason(code, {"service": first["service"]}),
                     Reason(f"provider_{first['provider_choice']}")],
        )


def _speaks(p: ProviderInfo, lang: str) -> bool:
    return any(language_of(x) == lang for x in p.languages)


def choose_provider(
    service: str, area: str | None, locale: str, providers: Iterable[ProviderInfo]
) -> tuple[ProviderInfo | None, str]:
    """Pick a provider inside `service`: area, then language, then municipality-wide.

    Returns the provider (or None) and how it was chosen ("area", "language", "wide", "none").
    Ties keep the order the municipality file lists providers in; inside an area, one
    speaking the resident's language comes first.
    """
    lang = language_of(locale)
    in_area: list[ProviderInfo] = []
    by_language: ProviderInfo | None = None
    wide: ProviderInfo | None = None
    for p in providers:
        if not p.active or p.service != service:
            continue
        if area is not None and area in p.districts:
            if _speaks(p, lang):
                return p, "area"
            in_area.append(p)
        elif by_language is None or (p.municipality_wide and not by_language.municipality_wide):
            if _speaks(p, lang):
                by_language = p
        if wide is None and p.municipality_wide:
            wide = p
    if in_area:
        return in_area[0], "area"
    if by_language is not None:
        return by_language, "language"
    if wide is not None:
        return wide, "wide"
    return None, "none"


def decide(
    a: Answers,
    providers: Iterable[ProviderInfo],
    *,
    has_welfare_office: bool = True,
    locale: str = "ja",
    policy: Policy | None = None,
) -> Decision:
    """Apply `policy` (default: DOMAIN.md's, from default.yaml beside the rules): the first
    rule that holds chooses the service, then a provider is chosen inside it."""
    policy = policy or load_policy()
    domains, domain_reasons = evaluate_domains(policy, a)
    held = evaluate_signals(policy, a, domains)
    signals = list(domain_reasons)
    reasons = [Reason(code) for code in domain_reasons]
    if held:
        signals += [name for name, _test, _reason in policy.signals if name in held]
        reasons += [Reason(r) for name, _test, r in policy.signals if r and name in held]

    for rule in policy.rules:  # the fallback, last, has no test
        if rule.test is None or rule.test(a, domains, held):
            break
    service = rule.service
    extra: list[Reason] = []
    if service == "domain":
        domain = next(d for d in policy.domains if d.name == domains[0])
        service = domain.service
        if not has_welfare_office and domain.service_without_welfare_office:
            service = domain.service_without_welfare_office
            extra.append(Reason("no_welfare_office"))
    params = {"count": len(domains), "service": service}
    reasons += extra + [Reason(rule.reason, params)]

    urgent = policy.urgent_signals(a, domains, held)
    signals += [signal for signal, _ in urgent]
    reasons = [Reason(r) for _, r in urgent] + reasons
    priority = "urgent" if urgent else "normal"

    provider, choice = choose_provider(service, a.area, locale, providers)
    if provider is None and service != MULTI_AGENCY:
        reasons.append(Reason("provider_missing"))
        service = MULTI_AGENCY
        provider, choice = choose_provider(service, a.area, locale, providers)
    if provider is not None:
        reasons.append(Reason(f"provider_{choice}"))
    first_contact = None
    if service == MULTI_AGENCY:
        for candidate in policy.first_contact_services(rule, a, domains, held, has_welfare_office):
            office, how = choose_provider(candidate, a.area, locale, providers)
            if office is not None:
                first_contact = {"service": candidate, "provider_id": office.id, "provider_choice": how}
                break
    return Decision(
        service=service, priority=priority, domains=list(domains), signals=signals, rule=rule.id,
        provider_id=provider.id if provider else None, provider_choice=choice, reasons=reasons,
        rules_version=policy.version, first_contact=first_contact,
    )
