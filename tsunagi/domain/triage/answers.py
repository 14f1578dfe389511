"""The canonical answers of the default intake form (DOMAIN.md, "Default triage policy"):
their keys and choices, defined once for the triage, the forms, the API schema, the
OpenAPI document and the outreach app (which gets them from the form spec API)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

SUBJECTS = ("self", "family", "someone_else")
AGE_BANDS = ("under_6", "6_17", "18_39", "40_64", "65_plus", "unknown")
YES_NO = ("yes", "no")
PREGNANT = ("yes", "no", "unknown")
# The area answer of a resident who does not know the district: routed as without an area.
AREA_UNKNOWN = "unknown"
CONCERNS = (
    "elder_care", "disability", "child_rearing", "pregnancy", "school", "money", "work",
    "housing", "food", "health", "mental_health", "isolation", "caregiving",
    "family_relations", "violence", "language_procedures", "other",
)
HOUSEHOLD = ("lives_alone", "elderly_65_plus", "child_under_18", "disabled_member")
DANGER = ("yes", "no", "unsure")

# One-choice and many-choice answers with their choices; `area` is a district code.
SINGLE: dict[str, tuple[str, ...]] = {"subject": SUBJECTS, "age_band": AGE_BANDS, "pregnant": PREGNANT,
                                      "danger_now": DANGER}
MULTI: dict[str, tuple[str, ...]] = {"concerns": CONCERNS, "household": HOUSEHOLD}
REQUIRED = ("subject", "age_band", "danger_now")
KEYS = ("subject", "age_band", "pregnant", "concerns", "household", "danger_now", "area")


class InvalidAnswers(ValueError):
    """The answers are not canonical; `errors` maps each question id to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    def under(self, prefix: str) -> "InvalidAnswers":
        """The same errors, named inside a larger body (`answers.age_band`)."""
        return InvalidAnswers({f"{prefix}.{k}": v for k, v in self.errors.items()})


@dataclass(frozen=True)
class Answers:
    subject: str
    age_band: str
    pregnant: str
    concerns: frozenset[str]
    household: frozenset[str]
    danger_now: str
    area: str | None = None

    def as_record(self) -> dict[str, Any]:
        """The answers as stored with the intake (without the area, kept on its own)."""
        return {"subject": self.subject, "age_band": self.age_band, "pregnant": self.pregnant,
                "concerns": sorted(self.concerns), "household": sorted(self.household),
                "danger_now": self.danger_now}


def select(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical answers among a form's answers, left out when not given."""
    return {k: raw[k] for k in KEYS if raw.get(k) not in (None, "")}


def so_far(raw: Mapping[str, Any]) -> Answers:
    """Answers given so far (a form half filled in), unknown values as not given: for
    questions the policy can answer early, such as whether the case is urgent."""
    def one(key: str) -> str:
        value = raw.get(key)
        return value if isinstance(value, str) and value in SINGLE[key] else ""

    def many(key: str) -> frozenset[str]:
        value = raw.get(key)
        return frozenset(v for v in value if v in MULTI[key]) if isinstance(value, (list, tuple)) else frozenset()

    return Answers(one("subject"), one("age_band"), one("pregnant"), many("concerns"), many("household"),
                   one("danger_now"))


def validate_answers(raw: Mapping[str, Any], districts: Iterable[str] | None = None) -> Answers:
    """Check raw answers against the canonical keys and values.

    `pregnant` defaults to "no", `concerns` and `household` to empty; the others are
    required. `area`, when given, must be one of `districts` (if those are known).

    :raise InvalidAnswers: with one message per wrong or missing answer.
    """
    if not isinstance(raw, Mapping):
        raise InvalidAnswers({"answers": "must be an object"})
    errors: dict[str, str] = {}
    for key in raw:
        if key not in KEYS:
            errors[str(key)] = "unknown question"

    def one(key: str, default: str | None = None) -> str:
        allowed = SINGLE[key]
        value = raw.get(key, default)
        if value is None:
            errors[key] = "required"
        elif value not in allowed:
            errors[key] = f"must be one of {', '.join(allowed)}"
        return value if isinstance(value, str) else ""

    def many(key: str) -> frozenset[str]:
        allowed = MULTI[key]
        value = raw.get(key, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            errors[key] = "must be a list of choices"
            return frozenset()
        wrong = [v for v in value if v not in allowed]
        if wrong:
            errors[key] = f"unknown choice {wrong[0]!r}; choices are {', '.join(allowed)}"
        return frozenset(value)

    subject = one("subject")
    age = one("age_band")
    pregnant = one("pregnant", "no")
    concerns = many("concerns")
    household = many("household")
    danger = one("danger_now")
    area = raw.get("area")
    if area == AREA_UNKNOWN:
        area = None
    if area is not None:
        allowed = tuple(districts) if districts is not None else None
        if not isinstance(area, str) or (allowed is not None and area not in allowed):
            errors["area"] = f"must be one of {', '.join(allowed or ())}" if allowed else "must be a district code"
    if errors:
        raise InvalidAnswers(errors)
    return Answers(subject, age, pregnant, concerns, household, danger, area)
