"""What each case status means to the resident, in plain words (msgids)."""
from tsunagi.services import N_

STATUS_TEXTS: dict[str, str] = {
    "received": N_("Your consultation has been received. %(provider)s will contact you."),
    "not_shared": N_("As you chose, your answers were not sent to anyone. You can contact the office below yourself."),
    "accepted": N_("%(provider)s has taken on your consultation."),
    "contacted": N_("%(provider)s has contacted you."),
    "in_support": N_("%(provider)s is supporting you."),
    "closed": N_("Your consultation is closed. If things change, you can contact %(provider)s again at any time."),
    "returned": N_("Your consultation has been passed to %(provider)s, which fits it better."),
    "transferred": N_("Your consultation has been passed to %(provider)s, which fits it better."),
    "interrupted": N_("We could not reach you. Please contact %(provider)s when you can."),
}

EMERGENCY_TEXTS: dict[str, str] = {
    "police": N_("Police (danger, violence, crime)"),
    "fire_ambulance": N_("Ambulance and fire"),
    "child_abuse": N_("Child abuse hotline"),
    "domestic_violence": N_("Domestic violence hotline"),
    "mental_health": N_("Mental health and suicide prevention line"),
}
