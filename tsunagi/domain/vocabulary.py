"""The product's vocabulary: every code, status, role, locale and pattern, defined once.

Modules that need only a word (`WAITING`, `JST`, a role) import it from here, not from
the behaviour that first needed it. Texts are English msgids, marked with `N_` and
translated where they are rendered.
"""
from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is rendered."""
    return message


# --- routing targets (DOMAIN.md, "The routing targets") ------------------------------
# | code     | provider (Japanese)                        |
# |----------|--------------------------------------------|
# | houkatsu | 地域包括支援センター                       |
# | shogai   | 障害者相談支援事業 / 基幹相談支援センター  |
# | kodomo   | 利用者支援事業 (こども家庭センター型 ほか) |
# | jiritsu  | 自立相談支援事業                           |
# | choson   | 福祉事務所未設置町村相談事業               |
# | takikan  | 多機関協働事業                             |
SERVICES: dict[str, str] = {
    "houkatsu": N_("community general support center (older people)"),
    "shogai": N_("disability consultation support"),
    "kodomo": N_("children and family center"),
    "jiritsu": N_("life and work consultation (self-reliance support)"),
    "choson": N_("town consultation desk (no welfare office)"),
    "takikan": N_("multi-agency team"),
}
MULTI_AGENCY = "takikan"
PRIORITIES = ("urgent", "normal")

# --- locales -------------------------------------------------------------------------
# Shipped locales, each named in its own script for the language picker. `ja@easy` is
# やさしい日本語 (easy Japanese, the register municipalities use for everyone): CLDR has no
# code for it, so it is Japanese with the modifier `easy`; its pages carry `lang="ja"`.
LOCALES: dict[str, str] = {
    "ja": "日本語",
    "ja@easy": "やさしい にほんご",
    "en": "English",
    "zh_Hans": "中文（简体）",
    "zh_Hant": "中文（繁體）",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "fil": "Filipino",
    "pt_BR": "Português (Brasil)",
    "es": "Español",
    "ne": "नेपाली",
    "id": "Bahasa Indonesia",
    "th": "ภาษาไทย",
    "my": "မြန်မာဘာသာ",
}
PROVIDER_LOCALE = "ja"


def language_of(locale: str) -> str:
    """The language of a locale: "ja@easy" (やさしい日本語) is Japanese, "zh_Hans" Chinese,
    "pt_BR" Portuguese."""
    return locale.split("@")[0].split("_")[0].lower()


# Japanese locales that show furigana, and whether a page starts with them shown.
FURIGANA_LOCALES: dict[str, bool] = {"ja": False, "ja@easy": True}
JST = ZoneInfo("Asia/Tokyo")

# --- places, channels, consent -------------------------------------------------------
LOCATION_KINDS = ("library", "hub", "outreach")
KIOSK_KINDS = ("library", "hub")
CHANNELS = ("kiosk", "outreach")
CONTACT_METHODS = ("phone", "sms", "email", "visit", "none")
# The typed detail each way of contact needs, and the choice that excludes the others
# (tsunagi.domain.consent.contact_problem; the outreach app gets them with the form spec).
CONTACT_NEEDS = {"phone": "phone", "sms": "phone", "email": "email"}
CONTACT_ALONE = "none"
CONSENT_MODES = ("self", "verbal", "proxy")
# What a resident typed that identifies them: stored only with consent to share.
IDENTIFYING = ("name", "phone", "email", "free_text")

# --- patterns a resident's input must match (forms, API schema, OpenAPI, outreach app) --
PHONE_PATTERN = r"^\+?[0-9][0-9\- ()]{5,25}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def typed(text: str) -> str:
    """What a person typed, as the product compares and validates it: NFKC (a Japanese
    keyboard's full-width ０９０－１２３４ is 090-1234; half-width ｶﾅ becomes カナ), without
    control characters,
    the long-vowel mark and dashes between digits read as hyphens, edges trimmed."""
    # Control characters (U+0000 above all, which PostgreSQL cannot store) are no one's words.
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", unicodedata.normalize("NFKC", text))
    text = re.sub(r"(?<=[0-9])[\u2010-\u2015\u2212\u30fc\uff70](?=[0-9])", "-", text)
    return text.strip()

# --- roles (tsunagi.domain.access says what each may do) -----------------------------
PROVIDER_ROLES = ("provider_staff", "provider_lead", "provider_system")
ROLES = (*PROVIDER_ROLES, "coordinator", "admin", "outreach_worker")
# Roles that sign in to the outreach app. Provider staff use the inbox and its session.
OUTREACH_ROLES = ("outreach_worker",)

# --- case lifecycle (DOMAIN.md, "Case lifecycle") ------------------------------------
STATUSES = ("not_shared", "received", "returned", "transferred", "accepted", "contacted",
            "in_support", "closed", "interrupted")
WAITING = frozenset({"received", "returned", "transferred"})  # not yet accepted
# The HL7 FHIR R4 Task.status of each status (the referral export); not_shared is never exported.
FHIR_TASK_STATUS = {"received": "requested", "transferred": "requested", "returned": "rejected",
                    "accepted": "accepted", "contacted": "in-progress", "in_support": "in-progress",
                    "closed": "completed", "interrupted": "failed"}
# action: (statuses it may start from, status it leads to; None keeps the status)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "accept": (WAITING, "accepted"),
    "return": (WAITING, "returned"),
    "transfer": (WAITING | {"accepted"}, "transferred"),
    "contact_failed": (frozenset({"accepted", "contacted", "in_support"}), None),
    "contacted": (frozenset({"accepted"}), "contacted"),
    "start_support": (frozenset({"contacted"}), "in_support"),
    "close": (frozenset({"accepted", "contacted", "in_support"}), "closed"),
    "interrupt": (frozenset({"accepted", "contacted", "in_support"}), "interrupted"),
    "reopen": (frozenset({"closed", "interrupted"}), "accepted"),
    # つなぎもどし as the outline means it (L618-632, L1234-1238): the multi-agency team, its
    # plan made, names the lead office; the team stays on the case as a cooperating office.
    "hand_back": (frozenset({"accepted", "contacted", "in_support"}), None),
}
NEEDS_REASON = frozenset({"return", "transfer", "interrupt", "reopen"})
# Actions that hand an intake to another office: it is routed anew, and that office is told.
PASSING_ON = frozenset({"return", "transfer", "hand_back"})
# Webhook events (docs/notifications.md): a routing, a hand-over by action, any other status change.
WEBHOOK_EVENTS = ("routed", "returned", "transferred", "status_changed")
WEBHOOK_EVENT_OF_ACTION = {"return": "returned", "transfer": "transferred", "hand_back": "transferred"}
OUTCOMES = ("connected", "resolved", "declined", "no_contact", "moved_away", "other")
# How staff read statuses, actions and outcomes (the inbox, its banners, the counts).
STATUS_LABELS: dict[str, str] = {
    "not_shared": N_("not shared"),
    # TRANSLATORS: a status: delivered to the office, which has not yet taken it on (not "accepted").
    "received": N_("received"),
    "returned": N_("returned (re-routed)"), "transferred": N_("transferred"),
    # TRANSLATORS: a status: the office has taken the case on (more than "received": another word).
    "accepted": N_("accepted"),
    "contacted": N_("contacted"),
    "in_support": N_("in support"), "closed": N_("closed"), "interrupted": N_("interrupted"),
}
ACTION_LABELS: dict[str, str] = {
    "accept": N_("Accept"), "return": N_("Return (re-route)"), "transfer": N_("Transfer"),
    "contact_failed": N_("Record a failed contact attempt"), "contacted": N_("Mark contacted"),
    "start_support": N_("Start support"), "close": N_("Close"), "interrupt": N_("Interrupt"),
    "reopen": N_("Reopen"), "hand_back": N_("Hand back to a lead office"),
}
OUTCOME_LABELS: dict[str, str] = {
    "connected": N_("connected to support"), "resolved": N_("resolved"), "declined": N_("declined"),
    "no_contact": N_("no contact"), "moved_away": N_("moved away"), "other": N_("other"),
}
# The order an office is offered the actions open now: the most likely next step first.
ACTION_ORDER = ("accept", "contacted", "start_support", "hand_back", "close", "contact_failed", "return",
                "transfer", "interrupt", "reopen")
# Actions that cannot be taken back by the one who takes them: the case leaves the office
# (return, transfer) or ends (close, interrupt). The inbox asks to confirm them.
CONFIRMED_ACTIONS = frozenset({"return", "transfer", "close", "interrupt", "hand_back"})
# Why an office returns an intake (つなぎもどし, 実施要綱 L618-632); the re-routing listens:
# another service or a named office, the multi-agency team, or the next suitable office.
RETURN_REASONS: dict[str, str] = {
    "wrong_service": N_("Another kind of office fits better"),
    "wrong_area": N_("The resident lives in another office's area"),
    "needs_team": N_("Needs the multi-agency team"),
    "other": N_("Another reason"),
}
# Why a lifecycle action was refused (TransitionRefused.code, ConsentRequired), as staff read it.
REFUSALS: dict[str, str] = {
    "unknown_action": N_("This action does not exist."),
    "forbidden": N_("You may not act on this intake."),
    "invalid_transition": N_("This action is not open while the intake is %(status)s."),
    "reason_required": N_("Please write the reason."),
    "unknown_provider": N_("Please choose an office that is open."),
    "same_provider": N_("The intake is already with this office."),
    "no_provider": N_("No other office can take this intake. Please ask the coordinator."),
    "provider_required": N_("Please choose the office that covers the resident's area."),
    "unknown_service": N_("Please choose the kind of office that fits."),
    "unknown_return_reason": N_("Please choose why you return the intake."),
    "contact_attempts_required": N_("Record at least %(needed)s failed contact attempts first (%(done)s so far)."),
    "outcome_required": N_("Please choose the outcome."),
    "confirm_required": N_("Please tick the box to confirm."),
    "consent_required": N_("The resident's consent does not allow this sharing."),
    "not_team": N_("Only the multi-agency team hands a case back to a lead office."),
    "already_on_case": N_("This office already works on the case."),
    "not_on_case": N_("This office does not work on the case."),
    "unknown_meeting": N_("Please choose the meeting and its decision."),
    "meeting_date_required": N_("Please give the date of the meeting (not in the future)."),
    "unknown_contact": N_("Please choose how the contact was made and how it went."),
    "contact_date_required": N_("Please give the date of the contact (not in the future)."),
    "next_contact_in_past": N_("The next planned contact cannot be before the contact."),
}

# --- several offices on one case (tsunagi.domain.case_team) ---------------------------
# The office an intake is routed to (Intake.provider) is its lead office; cooperating
# offices work on it beside the lead (実施要綱 L589-596, L1210-1216) and read it only while
# the resident's consent covers sharing among the offices of the 重層的支援会議.
OFFICE_ROLES: dict[str, str] = {"lead": N_("lead office"), "cooperating": N_("cooperating office")}
# The two meetings, never one name (DOMAIN.md, "Consent"): the 重層的支援会議 discusses a
# case with the resident's consent (the multi_agency_meeting scope); the 支援会議
# (社会福祉法 106条の6) may share without consent under a duty of confidentiality, by the
# municipality's decision.
MEETING_KINDS: dict[str, str] = {
    "multi_agency_meeting": N_("Multi-agency support meeting (with the resident's consent)"),
    "support_meeting": N_("Support meeting under the Social Welfare Act (art. 106-6, under a duty of confidentiality)"),
}
# What such a meeting decides about a case (実施要綱 L1429-1457).
MEETING_DECISIONS: dict[str, str] = {
    "plan": N_("Plan agreed"), "replan": N_("Re-plan agreed"),
    "closure": N_("End of support decided"), "interruption": N_("Interruption of support decided"),
}
# Continued contact (実施要綱 L1461-1532): how staff reached out and how it went.
CONTACT_KINDS: dict[str, str] = {"visit": N_("Home visit"), "call": N_("Phone call"), "letter": N_("Letter"),
                                 "in_person": N_("Met in person"), "other": N_("Other")}
CONTACT_RESULTS: dict[str, str] = {"reached": N_("Reached the person"), "not_reached": N_("Could not reach them"),
                                   "left_word": N_("Left a message")}

# What each case status means to the resident, in plain words.
STATUS_TEXTS: dict[str, str] = {
    # TRANSLATORS: the office has got it but not yet taken it on: not the verb of "has taken on" below.
    "received": N_("Your consultation has been received. %(provider)s will contact you."),
    "not_shared": N_("As you chose, your answers were not sent to anyone. You can contact the office below yourself."),
    # TRANSLATORS: the office has taken the case on and is responsible for it: not the verb of "received".
    "accepted": N_("%(provider)s has taken on your consultation."),
    "contacted": N_("%(provider)s has contacted you."),
    "in_support": N_("%(provider)s is supporting you."),
    "closed": N_("Your consultation is closed. If things change, you can contact %(provider)s again at any time."),
    "returned": N_("Your consultation has been passed to %(provider)s, which fits it better."),
    "transferred": N_("Your consultation has been passed to %(provider)s, which fits it better."),
    "interrupted": N_("We could not reach you. Please contact %(provider)s when you can."),
}
# The status as the resident reads it when no office receives the intake for another reason.
WITHDRAWN_TEXT = N_("You withdrew your consent: your details were deleted and nothing more is shared. "
                    "You can still contact %(provider)s yourself.")
NOT_ROUTED_TEXT = N_("No office could receive your answers. Please call or visit %(provider)s yourself.")

# --- the coordinator's counts (tsunagi.domain.reports), as staff read them ----------
REPORT_SECTIONS: dict[str, str] = {
    "location": N_("Where"), "kind": N_("Kind of place"), "channel": N_("Channel"), "language": N_("Language"),
    "service": N_("Service"), "priority": N_("Priority"), "need": N_("Needs seen by the triage"),
    "age_band": N_("Age"), "subject": N_("Who the consultation is about"), "area": N_("Area"),
    "status": N_("Status"), "outcome": N_("Outcome"),
    "gap": N_("Resource gaps: intakes for which a kind of office had none"),
}
LOCATION_KIND_LABELS: dict[str, str] = {"library": N_("library"), "hub": N_("community hub"),
                                        "outreach": N_("outreach team")}
CHANNEL_LABELS: dict[str, str] = {"kiosk": N_("kiosk"), "outreach": N_("outreach")}
PRIORITY_LABELS: dict[str, str] = {"urgent": N_("Urgent"), "normal": N_("Normal")}
NEED_LABELS: dict[str, str] = {"elderly": N_("older people"), "disability": N_("disability"),
                               "child": N_("children and child-rearing"), "poverty": N_("living and work")}
SUBJECT_LABELS: dict[str, str] = {"self": N_("the resident"), "family": N_("a family member"),
                                  "someone_else": N_("someone else")}
# A count with no value in its section: no need named, no area given, not closed yet.
REPORT_NONE_LABELS: dict[str, str] = {"need": N_("none named"), "outcome": N_("not closed yet")}
REPORT_UNKNOWN = N_("unknown")

# --- emergency contacts a municipality lists -----------------------------------------
EMERGENCY_ALWAYS = N_("24 hours, every day")
EMERGENCY_COSTS = {"free": N_("Free call"), "charged": N_("Call charges apply")}
EMERGENCY_TEXTS: dict[str, str] = {
    "police": N_("Police (danger, violence, crime)"),
    "fire_ambulance": N_("Ambulance and fire"),
    "child_abuse": N_("Child abuse hotline"),
    "domestic_violence": N_("Domestic violence hotline"),
    "mental_health": N_("Mental health and suicide prevention line"),
}
EMERGENCY_KINDS = tuple(EMERGENCY_TEXTS)
