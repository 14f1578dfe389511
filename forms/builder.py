"""WTForms classes built from form specs (one class per step), with CSRF from Flask-WTF."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields import DateField, EmailField, TelField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from forms.spec import FormSpec, Question, Step


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _field(q: Question) -> Field:
    label = _l(q.label)
    required = [InputRequired(message=_l("Please choose an answer."))] if q.required else [Optional()]
    if q.type in ("single", "district", "yesno"):
        choices = [SelectChoice(c.value, _l(c.label)) for c in q.choices]
        if q.type == "yesno":
            choices = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
        return RadioField(label, choices=choices, validators=required,
                          validate_choice=True)
    if q.type == "multiple":
        validators = (
            [InputRequired(message=_l("Please choose at least one answer."))]
            if q.required else [Optional()]
        )
        return MultiCheckboxField(label, choices=[SelectChoice(c.value, _l(c.label)) for c in q.choices],
                                  validators=validators)
    if q.type == "phone":
        return TelField(label, validators=[Optional(), Regexp(
            r"^\+?[0-9][0-9\- ()]{5,19}$",
            message=_l("Please enter a phone number using digits, for example 090-1234-5678."))])
    if q.type == "email":
        return EmailField(label, validators=[Optional(), Regexp(
            r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            message=_l("Please enter an email address, for example name@example.jp."))])
    if q.type == "date":
        return DateField(label, validators=required if q.required else [Optional()])
    length = [Length(max=q.max_length, message=_l("Please write at most %(max)d characters."))] if q.max_length else []
    base = [InputRequired(message=_l("Please fill this in."))] if q.required else [Optional()]
    cls = TextAreaField if q.multiline else StringField
    return cls(label, validators=base + length)


# Keyed by the spec object's id; the spec is kept with its class so that a spec read again
# after a restart in the same process can never get a dead spec's id, and its old labels.
_classes: dict[tuple[int, str], tuple[FormSpec, type[FlaskForm]]] = {}


def step_form(spec: FormSpec, step_id: str) -> type[FlaskForm]:
    """The form class of one step, built once per loaded spec. District choices are set
    on each instance (their labels depend on the resident's language)."""
    key = (id(spec), step_id)
    if key not in _classes or _classes[key][0] is not spec:
        step: Step = spec.step(step_id)  # type: ignore[assignment]
        fields = {q.id: _field(q) for q in step.questions}
        _classes[key] = (spec, type(f"{spec.id}-{step_id}", (FlaskForm,), fields))
    return _classes[key][1]
