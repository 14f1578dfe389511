"""Reason codes of the triage and their English source texts (msgids), rendered in the
reader's language; translations live in translations/. A municipality's rules file may
define reasons of its own, with their texts per locale."""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple

from tsunagi.domain.vocabulary import N_, SERVICES, language_of

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
    "provider_named": N_("Named by the office that returned it"),
    "provider_missing": N_("No provider of this kind is available: the multi-agency team takes it"),
    "first_contact_no_meeting": N_("The multi-agency team can take this only with your agreement to a multi-agency support meeting. "
                                   "%(service)s is your first contact instead and may ask you about the meeting again."),
    "first_contact_no_team": N_("There is no multi-agency team office: %(service)s is your first contact."),
}

# What the resident reads instead, where the staff text uses a technical or stigmatising term
# ("8050", hikikomori, young carer, 多機関協働): plain words about what happens next. Staff
# pages keep REASON_TEXTS; the consent screen and the receipt use `for_residents`.
RESIDENT_TEXTS: dict[str, str] = {
    "rule_multi_domain": N_("Your worries touch %(count)s areas: a team that links several offices plans "
                            "the help with you"),
    "rule_8050": N_("Help for the whole family: an adult at home and an older family member may both "
                    "need support"),
    "rule_carer": N_("Help for you too: you look after a family member while young or while raising "
                     "children"),
    "rule_no_domain": N_("Your worries do not fit one office: a team that links several offices contacts "
                         "you first"),
    "provider_missing": N_("No office of this kind is available: a team that links several offices helps "
                           "instead"),
    "first_contact_no_meeting": N_("The team that links several offices can help only if you agree to the "
                                   "multi-agency support meeting. %(service)s is your first contact instead "
                                   "and may ask you about the meeting again."),
    "first_contact_no_team": N_("There is no team that links several offices here: %(service)s is your first "
                                "contact."),
}
_PLAIN = {REASON_TEXTS[code]: text for code, text in RESIDENT_TEXTS.items()}


def for_residents(gettext: Callable[[str], str]) -> Callable[[str], str]:
    """`gettext` for a resident's screen: a reason's staff text becomes its plain text
    (RESIDENT_TEXTS) before it is translated; every other text is translated as it is."""

    def translate(message: str) -> str:
        return gettext(_PLAIN.get(message, message))

    return translate


class Reason(NamedTuple):
    """A message code with its parameters; rendered in the reader's language later.
    (A tuple rather than a frozen dataclass: thousands are made per second.)"""

    code: str
    params: Mapping[str, Any] = MappingProxyType({})


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
        return own.get(locale) or own.get(language_of(locale)) or own.get("en") or own["ja"]
    if "service" in params:
        params["service"] = gettext(SERVICES.get(params["service"], params["service"]))
    translated = gettext(text)
    return translated % params if params else translated
