"""Form specs: the YAML files in forms/ that describe an intake form step by step.

Labels are English msgids translated through the Babel catalogs; `forms.extract` feeds
them to `pybabel extract`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tsunagi.datafile import Problem, load_model

FORMS_DIR = Path(__file__).resolve().parent
QuestionType = Literal["single", "multiple", "text", "phone", "email", "date", "district", "yesno"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    value: str
    label: str


class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: QuestionType
    label: str
    required: bool = False
    choices: list[Choice] = []
    sensitive: bool = False
    personal: bool = False
    multiline: bool = False
    max_length: int | None = None


class Step(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    questions: list[Question] = Field(min_length=1)
    # Show the step only when each named earlier answer is one of the listed values.
    show_if: dict[str, list[str]] = {}

    def shown(self, answers: dict) -> bool:
        for qid, values in self.show_if.items():
            given = answers.get(qid)
            given = given if isinstance(given, list) else [given]
            if not any(v in values for v in given):
                return False
        return True


class FormSpec(Strict):
    id: str
    version: int
    steps: list[Step] = Field(min_length=1)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def questions(self) -> list[Question]:
        return [q for s in self.steps for q in s.questions]


class ConsentSpec(Strict):
    id: str
    version: int
    paragraphs: list[str] = Field(min_length=1)


def _check(spec: FormSpec) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, tuple] = {}
    for si, step in enumerate(spec.steps):
        for qid in step.show_if:
            if qid not in seen:
                problems.append(((("steps", si, "show_if", qid)), f"condition on {qid!r}, which no earlier step asks"))
        for qi, q in enumerate(step.questions):
            where = ("steps", si, "questions", qi, "id")
            if q.id in seen:
                problems.append((where, f"question id {q.id!r} appears twice"))
            seen[q.id] = where
            if q.type in ("single", "multiple") and not q.choices:
                problems.append((where, f"question {q.id!r} of type {q.type} has no choices"))
    return problems


@lru_cache(maxsize=None)
def load_form(form_id: str = "intake-default") -> FormSpec:
    """:raise DataFileError: the spec is malformed; the message names file and question."""
    return load_model(FORMS_DIR / f"{form_id}.yaml", FormSpec, _check)


@lru_cache(maxsize=None)
def load_consent(consent_id: str = "consent-default") -> ConsentSpec:
    return load_model(FORMS_DIR / f"{consent_id}.yaml", ConsentSpec)
