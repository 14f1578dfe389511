"""The canonical answers of the default intake form (DOMAIN.md, "Default triage policy"):
their keys and choices, defined once for the triage, the forms, the API schema, the
OpenAPI document and the outreach app (which gets them from the form spec API)."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Literal, Mapping

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
# Keys a municipality's own question may not take: the canonical answers and the
# identifying fields of the form (tsunagi.domain.vocabulary.IDENTIFYING).
RESERVED = (*KEYS, "name", "phone", "email", "free_text")
OwnKind = Literal["choice", "multi_choice", "short_text"]


@dataclass(frozen=True)
class OwnQuestion:
    """A question a municipality adds to the form (its data file's `questions:`): one
    choice, many choices, or a short text. A short text may identify the resident: it is
    kept only with consent to share, like the free text, and no rule may read it."""

    id: str
    kind: OwnKind
    choices: tuple[str, ...] = ()
    required: bool = False
    max_length: int | None = None

    @property
    def multi(self) -> bool:
        return self.kind == "multi_choice"

    @property
    def identifying(self) -> bool:
        return self.kind == "short_text"


Questions = tuple[OwnQuestion, ...]
_NONE: Mapping[str, Any] = MappingProxyType({})


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
    # The answers to the municipality's own choice questions: {id: choice} or {id: frozenset}.
    own: Mapping[str, Any] = field(default_factory=lambda: _NONE)
    # Its short-text answers: possibly identifying, never read by a rule.
    own_text: Mapping[str, str] = field(default_factory=lambda: _NONE, repr=False)

    def as_record(self) -> dict[str, Any]:
        """The answers as stored with the intake (without the area, kept on its own, and
        without short texts, which are kept only with consent: `identifying_record`)."""
        record = {"subject": self.subject, "age_band": self.age_band, "pregnant": self.pregnant,
                  "concerns": sorted(self.concerns), "household": sorted(self.household),
                  "danger_now": self.danger_now}
        for key, value in self.own.items():
            record[key] = sorted(value) if isinstance(value, frozenset) else value
        return record

    def identifying_record(self) -> dict[str, str]:
        """The short-text answers to the municipality's questions, stored (sealed, with the
        answers) only when the resident agrees to share, like the free text."""
        return dict(self.own_text)

    def own_answer(self, key: str) -> Any:
        """A municipality question's answer for a rule: the choice (None if not given), or
        the set of choices."""
        return self.own.get(key)


def select(raw: Mapping[str, Any], questions: Questions = ()) -> dict[str, Any]:
    """The canonical answers, and those to the municipality's own `questions`, among a
    form's answers, left out when not given."""
    keys = (*KEYS, *(q.id for q in questions))
    return {k: raw[k] for k in keys if raw.get(k) not in (None, "", [])}


def _own_so_far(raw: Mapping[str, Any], questions: Questions) -> dict[str, Any]:
    own: dict[str, Any] = {}
    for q in questions:
        value = raw.get(q.id)
        if q.identifying:
            continue
        if q.multi:
            if isinstance(value, (list, tuple)):
                own[q.id] = frozenset(v for v in value if v in q.choices)
        elif isinstance(value, str) and value in q.choices:
            own[q.id] = value
    return own


def so_far(raw: Mapping[str, Any], questions: Questions = ()) -> Answers:
    """Answers given so far (a form half filled in), unknown values as not given: for
    questions the policy can answer early, such as whether the case is urgent."""
    def one(key: str) -> str:
        value = raw.get(key)
        return value if isinstance(value, str) and value in SINGLE[key] else ""

    def many(key: str) -> frozenset[str]:
        value = raw.get(key)
        return frozenset(v for v in value if v in MULTI[key]) if isinstance(value, (list, tuple)) else frozenset()

    return Answers(one("subject"), one("age_band"), one("pregnant"), many("concerns"), many("household"),
                   one("danger_now"), own=MappingProxyType(_own_so_far(raw, questions)))


def validate_answers(raw: Mapping[str, Any], districts: Iterable[str] | None = None,
                     questions: Questions = ()) -> Answers:
    """Check raw answers against the canonical keys and values, and against the
    municipality's own `questions` (their keys, with their choices only).

    `pregnant` defaults to "no", `concerns` and `household` to empty; the others are
    required. `area`, when given, must be one of `districts` (if those are known).

    :raise InvalidAnswers: with one message per wrong or missing answer.
    """
    if not isinstance(raw, Mapping):
        raise InvalidAnswers({"answers": "must be an object"})
    errors: dict[str, str] = {}
    asked = {q.id: q for q in questions}
    for key in raw:
        if key not in KEYS and key not in asked:
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
    own, own_text = _own_answers(raw, questions, errors)
    if errors:
        raise InvalidAnswers(errors)
    return Answers(subject, age, pregnant, concerns, household, danger, area,
                   own=MappingProxyType(own), own_text=MappingProxyType(own_text))


def _own_answers(raw: Mapping[str, Any], questions: Questions,
                 errors: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers to the municipality's questions; what is wrong goes into `errors`."""
    own: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for q in questions:
        value = raw.get(q.id)
        # Not given: null, or an empty list or text (a choice is a choice or null).
        if value is None or (isinstance(value, (list, str)) and not value and (q.multi or q.identifying)):
            if q.required:
                errors[q.id] = "required"
            continue
        if q.identifying:
            if not isinstance(value, str):
                errors[q.id] = "must be a text"
            elif q.max_length is not None and len(value) > q.max_length:
                errors[q.id] = f"must be at most {q.max_length} characters"
            else:
                texts[q.id] = value
        elif q.multi:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                errors[q.id] = "must be a list of choices"
                continue
            wrong = [v for v in value if v not in q.choices]
            if wrong:
                errors[q.id] = f"unknown choice {wrong[0]!r}; choices are {', '.join(q.choices)}"
            else:
                own[q.id] = frozenset(value)
        elif not isinstance(value, str) or value not in q.choices:
            errors[q.id] = f"must be one of {', '.join(q.choices)}"
        else:
            own[q.id] = value
    return own, texts
