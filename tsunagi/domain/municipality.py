"""The municipality as data: districts, locations, providers and emergency contacts.

A municipality edits one YAML file; `load_file` validates it (errors name the file, the
path inside it and the line) and `apply` writes it to the database, updating rows by code.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain import ROOT, models
from tsunagi.domain.datafile import DataFileError, Problem, Strict, load_model
from tsunagi.domain.furigana import FuriganaError, Reader, check_dictionary, project_dictionary
from tsunagi.domain.triage.answers import RESERVED, OwnQuestion
from tsunagi.domain.vocabulary import EMERGENCY_KINDS, LOCALES, SERVICES, language_of

DEMO_FILE = ROOT / "municipalities" / "demo.yaml"

Code = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")


# Beside the locales, a name may carry its reading in kana and its romanisation; loading
# the file fills in both from the furigana reader where the file does not give them.
READING, ROMAJI = "ja-Hrkt", "ja-Latn"
# The locales a resident may read the municipality's names in, besides Japanese.
TRANSLATED_LOCALES = tuple(loc for loc in LOCALES if language_of(loc) != "ja")
NAME_KEYS = {*LOCALES, *(language_of(loc) for loc in LOCALES), READING, ROMAJI}


class Localized(Strict):
    """A proper name in Japanese, with renderings in other locales (keys: a shipped locale
    such as `vi` or `zh_Hans`, or its language such as `pt`), and optionally its reading
    (`ja-Hrkt`) and romanisation (`ja-Latn`)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    ja: str = Field(min_length=1)

    @model_validator(mode="after")
    def _non_empty(self) -> "Localized":
        for key, value in (self.model_extra or {}).items():
            if key not in NAME_KEYS:
                known = ", ".join(k for k in LOCALES if k != "ja")
                raise ValueError(f"unknown locale {key!r} (known: {known}, or {READING}/{ROMAJI})")
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"the {key!r} text must be a non-empty string")
        return self


class DistrictSpec(Strict):
    code: str = Code
    name: Localized


class LocationSpec(Strict):
    code: str = Code
    kind: Literal["library", "hub", "outreach"]
    name: Localized
    district: str | None = None


class ProviderSpec(Strict):
    code: str = Code
    name: Localized
    service: str
    districts: list[str] | Literal["all"]
    languages: list[str] = Field(min_length=1)
    phone: str = Field(pattern=r"^[0-9#+][0-9-]{1,20}$")
    hours: Localized
    active: bool = True
    # Among providers of a service that fit equally (same area, same language), the
    # lower preference is chosen first; equal preferences keep the file's order.
    preference: int = 0

    @field_validator("service")
    @classmethod
    def _known_service(cls, value: str) -> str:
        if value not in SERVICES:
            raise ValueError(f"{value!r} is not one of {', '.join(SERVICES)}")
        return value


class EmergencyContact(Strict):
    kind: Literal[EMERGENCY_KINDS]  # type: ignore[valid-type]
    number: str = Field(pattern=r"^[0-9#][0-9-]{1,20}$")
    # When the line answers ("always": 24 hours, every day), whether a call costs, and the
    # languages it answers in (locale codes): shown beside the number.
    hours: Literal["always"] | Localized
    cost: Literal["free", "charged"]
    languages: list[str] = Field(min_length=1)


class QuestionChoice(Strict):
    value: str = Field(pattern=r"^[a-z0-9][a-z0-9_]{0,31}$")
    label: Localized


class QuestionSpec(Strict):
    """A question of the municipality's own, asked with the intake form: `choice` (one),
    `multi_choice` (many) or `short_text`. Its words are the municipality's, per locale,
    like its office names. A short text may identify the resident: kept only with consent
    to share (sealed, like the free text), never read by a rule, never logged."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    type: Literal["choice", "multi_choice", "short_text"]
    # The form step it is asked in: a step of the form (about, concerns, contact...), or a
    # new step of the municipality's, which then needs its `step_title`.
    step: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    step_title: Localized | None = None
    label: Localized
    choices: list[QuestionChoice] = []
    required: bool = False
    max_length: int | None = Field(default=None, ge=1, le=500)

    @model_validator(mode="after")
    def _shape(self) -> "QuestionSpec":
        if self.id in RESERVED:
            raise ValueError(f"question id {self.id!r} is one of the form's own keys ({', '.join(RESERVED)})")
        if self.type == "short_text":
            if self.choices:
                raise ValueError("a short_text question has no choices")
            if self.max_length is None:
                raise ValueError("a short_text question needs its max_length")
        else:
            if len(self.choices) < 2:
                raise ValueError(f"a {self.type} question needs at least two choices")
            if self.max_length is not None:
                raise ValueError("max_length is for short_text questions")
        return self

    def canonical(self) -> OwnQuestion:
        """The question as the answers and the rules know it."""
        return OwnQuestion(self.id, self.type, tuple(c.value for c in self.choices), self.required,
                           self.max_length)


class MunicipalitySpec(Strict):
    code: str = Code
    name: Localized
    has_welfare_office: bool
    districts: list[DistrictSpec] = Field(min_length=1)
    locations: list[LocationSpec] = Field(min_length=1)
    providers: list[ProviderSpec] = Field(min_length=1)
    emergency_contacts: list[EmergencyContact] = Field(min_length=1)
    # Readings for the furigana on Japanese pages, for names the analyzer misreads:
    # {word: reading in kana}, e.g. {市立: しりつ}.
    furigana: dict[str, str] = Field(default_factory=dict)
    # The municipality's own questions on the intake form (QuestionSpec).
    questions: list[QuestionSpec] = []

    def own_questions(self) -> tuple[OwnQuestion, ...]:
        return tuple(q.canonical() for q in self.questions)

    @field_validator("furigana")
    @classmethod
    def _readings(cls, value: dict[str, str]) -> dict[str, str]:
        try:
            return check_dictionary(value, "furigana")
        except FuriganaError as error:
            raise ValueError(str(error).removeprefix("furigana: ")) from None



def _references(spec: MunicipalitySpec) -> list[Problem]:
    """Codes must be unique per section and districts must exist."""
    problems: list[Problem] = []
    for section in ("districts", "locations", "providers"):
        seen: set[str] = set()
        for i, item in enumerate(getattr(spec, section)):
            if item.code in seen:
                problems.append(((section, i, "code"), f"code {item.code!r} appears twice"))
            seen.add(item.code)
    districts = {d.code for d in spec.districts}
    known = ", ".join(sorted(districts))
    for i, loc in enumerate(spec.locations):
        if loc.district is not None and loc.district not in districts:
            problems.append((("locations", i, "district"), f"unknown district {loc.district!r} (known: {known})"))
    for i, prov in enumerate(spec.providers):
        if prov.districts != "all":
            for j, d in enumerate(prov.districts):
                if d not in districts:
                    problems.append((("providers", i, "districts", j), f"unknown district {d!r} (known: {known})"))
    seen_questions: set[str] = set()
    for i, q in enumerate(spec.questions):
        if q.id in seen_questions:
            problems.append((("questions", i, "id"), f"question id {q.id!r} appears twice"))
        seen_questions.add(q.id)
        values: set[str] = set()
        for j, c in enumerate(q.choices):
            if c.value in values:
                problems.append((("questions", i, "choices", j, "value"),
                                 f"question {q.id!r} has the choice {c.value!r} twice"))
            values.add(c.value)
    return problems


def load_file(path: Path | str) -> MunicipalitySpec:
    """:raise DataFileError: the file is unreadable or invalid; the message says where."""
    return load_model(path, MunicipalitySpec, _references)


def questions_in(path: Path | str) -> tuple[QuestionSpec, ...]:
    """The own questions of the municipality file at `path` (read once per content).

    :raise DataFileError: the file is unreadable or invalid; the message says where."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise DataFileError(path, [f"cannot read: {exc.strerror}"]) from None
    return _questions(str(path), digest)


@lru_cache(maxsize=8)
def _questions(path: str, _digest: str) -> tuple[QuestionSpec, ...]:
    return tuple(load_file(path).questions)


def question_text(text: Localized | dict[str, Any], locale: str) -> str:
    """A question's words for a reader of `locale`: the file's rendering, else English,
    else Japanese (`flask municipality check` lists what is missing)."""
    data = text.model_dump() if isinstance(text, Localized) else text
    return translation(data, locale) or data.get("en") or data["ja"]


def _upsert(session: Session, model: type, code: str, **values: Any) -> Any:
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        row = model(code=code)
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    return row


def apply(session: Session, spec: MunicipalitySpec) -> models.Municipality:
    """Write `spec` to the database, updating rows by code. The caller commits.

    Rows that disappeared from the file are deactivated, not deleted: intakes refer to them.
    """
    reader = Reader({**project_dictionary(), **spec.furigana})

    def name(text: Localized) -> dict[str, str]:
        return name_record(text, reader)

    muni = _upsert(
        session,
        models.Municipality,
        spec.code,
        name=name(spec.name),
        has_welfare_office=spec.has_welfare_office,
        emergency_contacts=[c.model_dump(mode="json") for c in spec.emergency_contacts],
        furigana=dict(spec.furigana),
    )
    session.flush()
    for pos, d in enumerate(spec.districts):
        _upsert(session, models.District, d.code, municipality_id=muni.id, name=name(d.name), position=pos)
    for loc in spec.locations:
        _upsert(
            session, models.Location, loc.code, municipality_id=muni.id, kind=loc.kind,
            name=name(loc.name), district=loc.district, active=True,
        )
    for p in spec.providers:
        _upsert(
            session, models.Provider, p.code, municipality_id=muni.id, name=name(p.name),
            service=p.service, districts=[] if p.districts == "all" else list(p.districts),
            municipality_wide=p.districts == "all", languages=list(p.languages), phone=p.phone,
            hours=p.hours.model_dump(), active=p.active, preference=p.preference,
        )
    for model, codes in (
        (models.Location, {x.code for x in spec.locations}),
        (models.Provider, {x.code for x in spec.providers}),
    ):
        for row in session.scalars(select(model).where(model.code.not_in(codes))):
            row.active = False
    session.flush()
    return muni


_FIRST = select(models.Municipality).order_by(models.Municipality.id)  # built once: pages ask at every request


def current(session: Session) -> models.Municipality | None:
    """The municipality, read once per session (a request's): it is asked for by routing,
    receipts and pages alike."""
    muni = session.info.get("tsunagi.municipality")
    if muni is None:
        muni = session.info["tsunagi.municipality"] = session.scalar(_FIRST)
    return muni


def translation(text: dict[str, Any] | None, locale: str) -> str | None:
    """The file's own rendering of a name for `locale` (exact, then its language), or None.
    やさしい日本語 (ja@easy) is Japanese: its names are the Japanese ones."""
    if not text:
        return None
    if language_of(locale) == "ja":
        return text.get(locale) or text.get("ja")
    return text.get(locale) or text.get(language_of(locale)) or None


def localized(text: dict[str, Any] | None, locale: str) -> str:
    """A name for a reader of `locale`: the file's rendering, else the official Japanese
    name with its romanisation ("北部地区 (Hokubu chiku)"), which a resident can match to
    the sign on the door and say aloud; never another language's rendering."""
    if not text:
        return ""
    found = translation(text, locale)
    if found:
        return found
    official = text.get("ja") or next(iter(text.values()))
    return f"{official} ({text[ROMAJI]})" if text.get(ROMAJI) else official


def name_record(text: Localized, reader: Reader) -> dict[str, str]:
    """What is stored for a name: its renderings, plus its reading and romanisation."""
    record = text.model_dump()
    record.setdefault(READING, reader.reading(text.ja))
    record.setdefault(ROMAJI, reader.romaji(text.ja))
    return record


def missing_translations(spec: MunicipalitySpec) -> dict[str, list[str]]:
    """Per locale, the names, hours and question texts in the file that have no rendering in it."""
    texts: list[tuple[str, Localized]] = [("name", spec.name)]
    for section in (spec.districts, spec.locations, spec.providers):
        for item in section:
            texts.append((f"{item.code}.name", item.name))
    texts += [(f"{p.code}.hours", p.hours) for p in spec.providers]
    texts += [(f"emergency {c.kind}.hours", c.hours) for c in spec.emergency_contacts
              if isinstance(c.hours, Localized)]
    for q in spec.questions:
        texts.append((f"question {q.id}.label", q.label))
        if q.step_title is not None:
            texts.append((f"question {q.id}.step_title", q.step_title))
        texts += [(f"question {q.id}.choice {c.value}", c.label) for c in q.choices]
    missing: dict[str, list[str]] = {}
    for locale in TRANSLATED_LOCALES:
        gaps = [where for where, text in texts if not translation(text.model_dump(), locale)]
        if gaps:
            missing[locale] = gaps
    return missing
