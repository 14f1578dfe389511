"""Form specs: the YAML files that describe an intake form step by step.

Labels are English msgids translated through the Babel catalogs; `forms.extract` feeds
them to `pybabel extract`. The intake forms are read from the `FORMS_DIR` setting (default:
this package); the app checks them when it starts (`init_app`), so a malformed spec or a
label without a translation in some shipped locale stops start-up, naming the file and the
question. Editing a label and restarting shows the new label: no code is involved.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Literal, get_args

import yaml
from flask import Flask, current_app, has_app_context
from flask_babel import get_locale
from markupsafe import escape
from pydantic import Field, ValidationInfo, field_validator

from tsunagi.domain.datafile import DataFileError, Problem, Strict, dotted, line_of, load_model
from tsunagi.domain.municipality import QuestionSpec, question_text
from tsunagi.web.i18n import MissingTranslations, missing_translations

FORMS_DIR = Path(__file__).resolve().parent
QuestionType = Literal["single", "multiple", "text", "phone", "email", "date", "district", "yesno"]
QUESTION_TYPES = get_args(QuestionType)
# Choices a question of these types gets from code or data, not from the spec.
YESNO = ("yes", "no")


class Choice(Strict):
    value: str = Field(min_length=1)
    label: str = Field(min_length=1)
    # A municipality's own choice: its words per locale (then `label` is the Japanese).
    texts: dict[str, str] | None = None

    def text(self, gettext: Callable[[str], str], locale: str) -> str:
        return own_text(self.texts, locale) if self.texts else gettext(self.label)


class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: QuestionType
    label: str = Field(min_length=1)
    required: bool = False
    choices: list[Choice] = []
    sensitive: bool = False
    personal: bool = False
    multiline: bool = False
    max_length: int | None = None
    # A question of the municipality's own (its data file's `questions:`): its label per
    # locale (then `label` is the Japanese); no msgid.
    texts: dict[str, str] | None = None

    @property
    def own(self) -> bool:
        return self.texts is not None

    def text(self, gettext: Callable[[str], str], locale: str) -> str:
        """The label as a reader of `locale` reads it (`gettext` bound to that locale)."""
        return own_text(self.texts, locale) if self.texts else gettext(self.label)

    @field_validator("type", mode="before")
    @classmethod
    def known_type(cls, value: Any, info: ValidationInfo) -> Any:
        # Said here so that the message names the question, not only its position.
        if value not in QUESTION_TYPES:
            raise ValueError(f"question {info.data.get('id')!r} has unknown type {value!r}; "
                             f"types: {', '.join(QUESTION_TYPES)}")
        return value

    def msgids(self) -> list[str]:
        """Texts a resident reads for this question (yes/no labels come from code; a
        municipality's own question has its words in its data file)."""
        if self.own:
            return []
        return [self.label, *(c.label for c in self.choices)]


class Step(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)
    # Show the step only when each named earlier answer is one of the listed values.
    show_if: dict[str, list[str]] = {}
    # A municipality's own step: its title per locale (then `title` is the Japanese).
    texts: dict[str, str] | None = None

    def heading(self, gettext: Callable[[str], str], locale: str) -> str:
        return own_text(self.texts, locale) if self.texts else gettext(self.title)

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
    asked = {q.id: q for q in spec.questions()}
    seen: dict[str, Question] = {}
    step_ids: set[str] = set()
    for si, step in enumerate(spec.steps):
        if step.id in step_ids:
            problems.append((("steps", si, "id"), f"step id {step.id!r} appears twice"))
        step_ids.add(step.id)
        for qid, values in step.show_if.items():
            where = ("steps", si, "show_if", qid)
            if qid not in asked:
                problems.append((where, f"step {step.id!r}: condition on question {qid!r}, which this form does not ask"))
            elif qid not in seen:
                problems.append((where, f"step {step.id!r}: condition on question {qid!r}, which no earlier step asks"))
            else:
                allowed = _values(seen[qid])
                wrong = [v for v in values if allowed is not None and v not in allowed]
                if wrong:
                    problems.append((where, f"step {step.id!r}: condition on question {qid!r} with "
                                            f"{', '.join(map(repr, wrong))}, not among its choices"))
        for qi, q in enumerate(step.questions):
            where = ("steps", si, "questions", qi, "id")
            if q.id in seen:
                problems.append((where, f"question id {q.id!r} appears twice"))
            seen[q.id] = q
            if q.type in ("single", "multiple") and not q.choices:
                problems.append((where, f"question {q.id!r} of type {q.type} has no choices"))
            values: set[str] = set()
            for ci, choice in enumerate(q.choices):
                if choice.value in values:
                    problems.append((("steps", si, "questions", qi, "choices", ci, "value"),
                                     f"question {q.id!r} has the choice value {choice.value!r} twice"))
                values.add(choice.value)
    return problems


def _values(q: Question) -> set[str] | None:
    """The answers a question can have, when the spec fixes them (districts are data)."""
    if q.type == "yesno":
        return set(YESNO)
    if q.type in ("single", "multiple"):
        return {c.value for c in q.choices}
    return None


def own_text(texts: dict[str, str], locale: str) -> str:
    return question_text(texts, locale)


class OwnText:
    """A municipality's own words (a question of its data file), in the language of the
    request when the page shows them."""

    def __init__(self, texts: dict[str, str]):
        self.texts = texts

    def __str__(self) -> str:
        return own_text(self.texts, str(get_locale() or "ja"))

    def __html__(self) -> str:
        return str(escape(str(self)))


# What the municipality's question types are on the form.
OWN_TYPES = {"choice": "single", "multi_choice": "multiple", "short_text": "text"}


def _own_question(q: QuestionSpec) -> Question:
    return Question(
        id=q.id, type=OWN_TYPES[q.type], label=q.label.ja, required=q.required,
        choices=[Choice(value=c.value, label=c.label.ja, texts=c.label.model_dump()) for c in q.choices],
        # A short text may identify the resident: asked, kept and shown like the free text.
        personal=q.type == "short_text", sensitive=q.type == "short_text",
        max_length=q.max_length, texts=q.label.model_dump(),
    )


def with_questions(spec: FormSpec, questions: tuple[QuestionSpec, ...], source: Path | str = "municipality file") -> FormSpec:
    """`spec` with the municipality's own `questions` asked in their steps: at the end of
    a step of the form, or in a new step of their own, placed before the form's last step
    (the contact details stay last).

    :raise DataFileError: a question in a new step without its `step_title`, or an id the
        form already asks (file, question and line named)."""
    if not questions:
        return spec
    steps = [s.model_copy() for s in spec.steps]
    asked = {q.id for q in spec.questions()}
    problems: list[Problem] = []
    for i, q in enumerate(questions):
        if q.id in asked:
            problems.append((("questions", i, "id"), f"question id {q.id!r} is already asked by the form {spec.id}"))
            continue
        step = next((s for s in steps if s.id == q.step), None)
        if step is None:
            if q.step_title is None:
                known = ", ".join(s.id for s in spec.steps)
                problems.append((("questions", i, "step"), f"question {q.id!r}: unknown step {q.step!r} of the form "
                                 f"{spec.id} (steps: {known}); for a new step give its step_title"))
                continue
            step = Step(id=q.step, title=q.step_title.ja, questions=[_own_question(q)],
                        texts=q.step_title.model_dump())
            steps.insert(max(len(steps) - 1, 0), step)
        else:
            index = steps.index(step)
            steps[index] = step.model_copy(update={"questions": [*step.questions, _own_question(q)]})
        asked.add(q.id)
    if problems:
        try:
            node = yaml.compose(Path(source).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (OSError, yaml.YAMLError):
            node = None
        raise DataFileError(source, [f"{dotted(loc)}" + (f" (line {line})" if (line := line_of(node, loc)) else "")
                                     + f": {msg}" for loc, msg in problems])
    return spec.model_copy(update={"steps": steps})


# Merged specs, by (spec, questions): kept with both so that no id is reused.
_merged: dict[tuple[int, int], tuple[FormSpec, tuple, FormSpec]] = {}


def _own_questions() -> tuple[tuple[QuestionSpec, ...], str]:
    if has_app_context():
        return (current_app.extensions.get("tsunagi.questions") or (),
                current_app.config.get("MUNICIPALITY_FILE") or "municipality file")
    return (), ""


def _with_own(spec: FormSpec) -> FormSpec:
    """`spec` with the running app's municipality questions (an intake form only)."""
    questions, source = _own_questions()
    if not questions or not spec.id.startswith("intake-"):
        return spec
    key = (id(spec), id(questions))
    found = _merged.get(key)
    if found is None or found[0] is not spec or found[1] is not questions:
        found = _merged[key] = (spec, questions, with_questions(spec, questions, source))
    return found[2]


def forms_dir() -> Path:
    """The running app's `FORMS_DIR`, else this package."""
    if has_app_context() and current_app.config.get("FORMS_DIR"):
        return Path(current_app.config["FORMS_DIR"])
    return FORMS_DIR


def load_form(form_id: str = "intake-default") -> FormSpec:
    """The form spec `form_id` from the app's forms directory, read once per start.

    With the municipality's own questions of the running app (its data file).

    :raise DataFileError: the spec is malformed; the message names file and question."""
    return _with_own(load_form_file(forms_dir() / f"{form_id}.yaml"))


def form_source(form_id: str) -> str:
    """The current spec of `form_id` as written (kept with the versions served)."""
    return (forms_dir() / f"{form_id}.yaml").read_text(encoding="utf-8")


def load_form_version(form_id: str, version: int) -> FormSpec | None:
    """The spec an intake was answered with: the current one if the version matches, else
    the copy kept in the forms directory's `archive/` (`<form_id>.v<version>.yaml`).
    Before a municipality bumps `version`, it copies the old file there, so old intakes
    stay readable. None when no such version is kept.
    """
    current = load_form(form_id)
    if current.version == version:
        return current
    path = forms_dir() / "archive" / f"{form_id}.v{version}.yaml"
    if not path.exists():
        return None
    spec = load_form_file(path)
    return spec if spec.version == version else None


def form_versions(form_id: str) -> list[int]:
    """The versions an intake may have been answered with: the current one, then those
    kept in `archive/` (an intake taken offline before the form changed is accepted)."""
    versions = [load_form(form_id).version]
    for path in sorted((forms_dir() / "archive").glob(f"{form_id}.v*.yaml")):
        number = path.name[len(form_id) + 2:-len(".yaml")]
        if number.isdigit() and int(number) not in versions and load_form_version(form_id, int(number)):
            versions.append(int(number))
    return versions


@lru_cache(maxsize=None)
def load_form_file(path: Path) -> FormSpec:
    """:raise DataFileError: the spec is malformed; the message names file and question."""
    return load_model(path, FormSpec, _check)


def untranslated(spec: FormSpec, path: Path | str) -> list[str]:
    """One line per step or question with a text missing from some shipped locale's
    catalog, naming the file, the question and the locale."""
    missing = missing_translations(sorted({m for s in spec.steps for m in (s.title, *(
        t for q in s.questions for t in q.msgids()))}))
    lines = []
    for locale, msgids in missing.items():
        gone = set(msgids)
        for si, step in enumerate(spec.steps):
            if step.title in gone:
                lines.append(f"{path}: steps[{si}] {step.id!r}: title {step.title!r} has no {locale} translation")
            for qi, q in enumerate(step.questions):
                for text in q.msgids():
                    if text in gone:
                        what = "label" if text == q.label else "choice label"
                        lines.append(f"{path}: steps[{si}].questions[{qi}] question {q.id!r}: {what} {text!r} "
                                     f"has no {locale} translation")
    return lines


def init_app(app: Flask) -> None:
    """Read every form spec in the app's forms directory afresh and check it: valid, and
    every text translated in every shipped locale.

    :raise DataFileError: a spec is malformed (file, question and line named).
    :raise MissingTranslations: a text has no translation in some locale (file and question named).
    """
    load_form_file.cache_clear()  # a restart shows what the files say now
    directory = Path(app.config["FORMS_DIR"] or FORMS_DIR)
    # The kiosk's form must be there even if a municipality's directory forgot it.
    for path in sorted({*directory.glob("intake-*.yaml"), directory / "intake-default.yaml"}):
        spec = load_form_file(path)
        # The municipality's questions must fit the form (their steps exist, or are new).
        with_questions(spec, app.extensions.get("tsunagi.questions") or (),
                       app.config.get("MUNICIPALITY_FILE") or "municipality file")
        lines = untranslated(spec, path)
        if lines:
            raise MissingTranslations(
                f"{path} is not translated in every shipped locale (run `script/translate update`, "
                "translate the new entries, then `script/translate compile`):\n" + "\n".join(lines))


@lru_cache(maxsize=None)
def load_consent(consent_id: str = "consent-default") -> ConsentSpec:
    return load_model(FORMS_DIR / f"{consent_id}.yaml", ConsentSpec)


@lru_cache(maxsize=None)
def archived_consents(consent_id: str = "consent-default") -> tuple[ConsentSpec, ...]:
    """Earlier versions of a consent text, kept in `archive/` (`<id>.v<version>.yaml`):
    an intake taken offline under one of them is accepted after the text changed."""
    return tuple(load_model(path, ConsentSpec) for path in sorted((FORMS_DIR / "archive").glob(f"{consent_id}.v*.yaml")))
