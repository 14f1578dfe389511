"""Triage: from canonical answers to the accountable first contact (DOMAIN.md policy).

Pure domain logic: no Flask, no database. `decide` takes validated answers and the
municipality's providers as plain data and returns a `Decision` whose every step carries
a reason (a message code with parameters) that a provider and a resident can read.
Routing chooses a first contact; it never rejects a resident (実施要綱 L1959, L2480).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from tsunagi.rules import Policy, evaluate_domains, evaluate_signals, load_policy
from tsunagi.services import N_, SERVICES


SUBJECTS = ("self", "family", "someone_else")
AGE_BANDS = ("under_6", "6_17", "18_39", "40_64", "65_plus", "unknown")
YES_NO = ("yes", "no")
CONCERNS = (
    "elder_care", "disability", "child_rearing", "pregnancy", "school", "money", "work",
    "housing", "food", "health", "mental_health", "isolation", "caregiving",
    "family_relations", "violence", "language_procedures", "other",
)
HOUSEHOLD = ("lives_alone", "elderly_65_plus", "child_under_18", "disabled_member")
DANGER = ("yes", "no", "unsure")





# Reason codes and their English source texts (msgids); translations live in translations/.
REASON_TEXTS: dict[str, str] = {
    "elderly_age": N_("Aged 65 or over"),
    "elderly_care": N_("Worried about the care of an older person"),
    "disability": N_("Disability"),
    "child_age": N_("A child or young person under 18"),
    "child_pregnant": N_("Pregnancy"),
    "child_concern": N_("Pregnancy, raising children or school"),
    "poverty": N_("Money, work, housing or food"),
    "rule_multi_domain": N_("Needs in %(count)s areas: the multi-agency team coordinates the support"),
    "rule_8050": N_("8050: aged 40-64, withdrawn from society, lives with an older family member"),
    "rule_carer": N_("Young carer or double care: caring for family while young or raising children"),
    "rule_single_domain": N_("One area of need: %(service)s"),
    "rule_no_domain": N_("No single place fits: the multi-agency team takes the first contact"),
    "no_welfare_office": N_("The town has no welfare office: the town's own consultation desk helps"),
    "urgent_danger": N_("Someone may be in danger now"),
    "urgent_violence": N_("Violence or abuse"),
    "provider_area": N_("This provider covers your area"),
    "provider_language": N_("This provider speaks your language"),
    "provider_wide": N_("This provider serves the whole municipality"),
    "provider_missing": N_("No provider of this kind is available: the multi-agency team takes it"),
}



class InvalidAnswers(ValueError):
    """The answers are not canonical; `errors` maps each question id to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class Answers:
    subject: str
    age_band: str
    pregnant: str
    concerns: frozenset[str]
    household: frozenset[str]
    danger_now: str
    area: str | None = None


@dataclass(frozen=True)
class ProviderInfo:
    id: int
    code: str
    service: str
    districts: tuple[str, ...]
    municipality_wide: bool
    languages: tuple[str, ...]
    active: bool = True


class Reason(NamedTuple):
    """A message code with its parameters; rendered in the reader's language later.
    (A tuple rather than a frozen dataclass: thousands are made per second.)"""

    code: str
    params: Mapping[str, Any] = MappingProxyType({})


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

    def to_record(self) -> dict[str, Any]:
        """The decision as stored with the intake, so it can be explained later."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "reasons"}
        data["reasons"] = [{"code": r.code, "params": dict(r.params)} for r in self.reasons]
        return data


def validate_answers(raw: Mapping[str, Any], districts: Iterable[str] | None = None) -> Answers:
    """Check raw answers against the canonical keys and values.

    `pregnant` defaults to "no", `concerns` and `household` to empty; the others are
    required. `area`, when given, must be one of `districts` (if those are known).

    :raise InvalidAnswers: with one message per wrong or missing answer.
    """
    if not isinstance(raw, Mapping):
        raise InvalidAnswers({"answers": "must be an object"})
    errors: dict[str, str] = {}
    known = {"subject", "age_band", "pregnant", "concerns", "household", "danger_now", "area"}
    for key in raw:
        if key not in known:
            errors[str(key)] = "unknown question"

    def one(key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = raw.get(key, default)
        if value is None:
            errors[key] = "required"
        elif value not in allowed:
            errors[key] = f"must be one of {', '.join(allowed)}"
        return value if isinstance(value, str) else ""

    def many(key: str, allowed: tuple[str, ...]) -> frozenset[str]:
        value = raw.get(key, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            errors[key] = "must be a list of choices"
            return frozenset()
        wrong = [v for v in value if v not in allowed]
        if wrong:
            errors[key] = f"unknown choice {wrong[0]!r}; choices are {', '.join(allowed)}"
        return frozenset(value)

    subject = one("subject", SUBJECTS)
    age = one("age_band", AGE_BANDS)
    pregnant = one("pregnant", YES_NO, "no")
    concerns = many("concerns", CONCERNS)
    household = many("household", HOUSEHOLD)
    danger = one("danger_now", DANGER)
    area = raw.get("area")
    if area is not None:
        allowed = tuple(districts) if districts is not None else None
        if not isinstance(area, str) or (allowed is not None and area not in allowed):
            errors["area"] = f"must be one of {', '.join(allowed or ())}" if allowed else "must be a district code"
    if errors:
        raise InvalidAnswers(errors)
    return Answers(subject, age, pregnant, concerns, household, danger, area)


def _language(locale: str) -> str:
    # "ja@easy" (やさしい日本語) is Japanese; "zh_Hans" is Chinese; "pt_BR" Portuguese.
    return locale.split("@")[0].split("_")[0].lower()


def _speaks(p: ProviderInfo, lang: str) -> bool:
    return any(_language(x) == lang for x in p.languages)


def choose_provider(
    service: str, area: str | None, locale: str, providers: Iterable[ProviderInfo]
) -> tuple[ProviderInfo | None, str]:
    """Pick a provider inside `service`: area, then language, then municipality-wide.

    Returns the provider (or None) and how it was chosen ("area", "language", "wide", "none").
    Ties keep the order the municipality file lists providers in; inside an area, one
    speaking the resident's language comes first.
    """
    lang = _language(locale)
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
    """Apply `policy` (default: DOMAIN.md's, from tsunagi/rules/default.yaml): the first
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

    urgent = [(signal, Reason(reason)) for test, signal, reason in policy.urgent if test(a, domains, held)]
    signals += [signal for signal, _ in urgent]
    reasons = [r for _, r in urgent] + reasons
    priority = "urgent" if urgent else "normal"

    provider, choice = choose_provider(service, a.area, locale, providers)
    if provider is None and service != "takikan":
        reasons.append(Reason("provider_missing"))
        service = "takikan"
        provider, choice = choose_provider(service, a.area, locale, providers)
    if provider is not None:
        reasons.append(Reason(f"provider_{choice}"))
    return Decision(
        service=service, priority=priority, domains=list(domains), signals=signals, rule=rule.id,
        provider_id=provider.id if provider else None, provider_choice=choice, reasons=reasons,
        rules_version=policy.version,
    )


def render_reason(reason: Reason | Mapping[str, Any], gettext: Callable[[str], str],
                  locale: str = "ja", custom: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The reason in the reader's language; `gettext` is bound to that language.

    `custom` holds a municipality's own reasons (from its rules file), per locale.
    """
    code = reason.code if isinstance(reason, Reason) else reason["code"]
    params = dict(reason.params if isinstance(reason, Reason) else reason.get("params", {}))
    text = REASON_TEXTS.get(code)
    if text is None:
        own = (custom or {}).get(code)
        if not own:
            return code
        return own.get(locale) or own.get(locale.split("_")[0].split("@")[0]) or own.get("en") or own["ja"]
    if "service" in params:
        params["service"] = gettext(SERVICES.get(params["service"], params["service"]))
    translated = gettext(text)
    return translated % params if params else translated
