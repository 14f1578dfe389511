"""Every WTForms class of the product: the kiosk's steps built from form specs (one class
per step), the consent form and the provider sign-in, with CSRF from Flask-WTF."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields import DateField, EmailField, TelField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from forms.extract import spec_context
from forms.spec import FormSpec, OwnText, Question, Step
from tsunagi.domain.vocabulary import EMAIL_PATTERN, PHONE_PATTERN, typed


def typed_filter(value):
    """Typed text as the product validates it (full-width digits and all): NFKC."""
    return typed(value) if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _choice(text: str):
    """A form-spec text, lazily translated with its msgctxt (Yes/No: a fact)."""
    context = spec_context(text)
    return lazy_pgettext(context, text) if context else _l(text)


def _own_field(q: Question) -> Field:
    """A municipality's question: one choice, many choices or a short text."""
    label = OwnText(q.texts or {})
    choices = [SelectChoice(c.value, OwnText(c.texts or {"ja": c.label})) for c in q.choices]
    if q.type == "single":
        return RadioField(label, choices=choices, validate_choice=True, validators=(
            [InputRequired(message=_l("Please choose an answer."))] if q.required else [Optional()]))
    if q.type == "multiple":
        return MultiCheckboxField(label, choices=choices, validators=(
            [InputRequired(message=_l("Please choose at least one answer."))] if q.required else [Optional()]))
    length = [Length(max=q.max_length, message=_l("Please write at most %(max)d characters."))] if q.max_length else []
    base = [InputRequired(message=_l("Please fill this in."))] if q.required else [Optional()]
    return StringField(label, filters=[typed_filter], validators=base + length)


def _field(q: Question) -> Field:
    if q.own:
        return _own_field(q)
    label = _l(q.label)
    required = [InputRequired(message=_l("Please choose an answer."))] if q.required else [Optional()]
    if q.type in ("single", "district", "yesno"):
        choices = [SelectChoice(c.value, _choice(c.label)) for c in q.choices]
        if q.type == "yesno":
            choices = [SelectChoice("yes", lazy_pgettext("answer to a question of fact", "Yes")),
                       SelectChoice("no", lazy_pgettext("answer to a question of fact", "No"))]
        return RadioField(label, choices=choices, validators=required,
                          validate_choice=True)
    if q.type == "multiple":
        validators = (
            [InputRequired(message=_l("Please choose at least one answer."))]
            if q.required else [Optional()]
        )
        return MultiCheckboxField(label, choices=[SelectChoice(c.value, _choice(c.label)) for c in q.choices],
                                  validators=validators)
    if q.type == "phone":
        return TelField(label, filters=[typed_filter], validators=[Optional(), Regexp(
            PHONE_PATTERN,
            message=_l("Please enter a phone number using digits, for example 090-1234-5678."))])
    if q.type == "email":
        return EmailField(label, filters=[typed_filter], validators=[Optional(), Regexp(
            EMAIL_PATTERN,
            message=_l("Please enter an email address, for example name@example.jp."))])
    if q.type == "date":
        return DateField(label, validators=required if q.required else [Optional()])
    length = [Length(max=q.max_length, message=_l("Please write at most %(max)d characters."))] if q.max_length else []
    base = [InputRequired(message=_l("Please fill this in."))] if q.required else [Optional()]
    cls = TextAreaField if q.multiline else StringField
    return cls(label, filters=[typed_filter], validators=base + length)


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


class ConsentForm(FlaskForm):
    share = RadioField(
        _l("May we send your answers to the support office named above?"),
        # TRANSLATORS: the resident's answer to "May we send your answers...?": a permission given or refused.
        choices=[SelectChoice("yes", _l("Yes, send them")),
                 # TRANSLATORS: refusing permission: the answers are sent to nobody.
                 SelectChoice("no", _l("No, do not send them"))],
        validators=[InputRequired(message=_l("Please choose an answer."))],
    )
    multi_agency_meeting = RadioField(
        _l("If needed, may the offices that help you talk about your situation together at a "
           "multi-agency support meeting? They keep it confidential."),
        # TRANSLATORS: agreeing to the meeting ("yes, I agree"), not stating a fact.
        choices=[SelectChoice("yes", lazy_pgettext("answer giving or refusing permission", "Yes")),
                 # TRANSLATORS: refusing the meeting ("no, I do not agree").
                 SelectChoice("no", lazy_pgettext("answer giving or refusing permission", "No"))],
        validators=[InputRequired(message=_l("Please choose an answer."))],
    )
    contact_methods = MultiCheckboxField(
        _l("How may the office contact you? Choose all that are fine."),
        choices=[SelectChoice("phone", _l("Phone call")), SelectChoice("sms", _l("Text message (SMS)")),
                 SelectChoice("email", _l("Email")), SelectChoice("visit", _l("Home visit")),
                 SelectChoice("none", _l("Please do not contact me; I will contact them"))],
    )
    contact_time = StringField(
        _l("When is a good time to contact you? (optional)"),
        filters=[typed_filter],
        validators=[Optional(), Length(max=200, message=_l("Please write at most %(max)d characters."))],
    )

    def validate(self, extra_validators=None) -> bool:
        # "No, do not send" ends the questions: the meeting and the ways of contact are
        # neither asked nor kept.
        if self.share.data == "no":
            self.multi_agency_meeting.validators = [Optional()]
            self.contact_methods.validators = [Optional()]
        valid = super().validate(extra_validators)
        if self.share.data == "no":
            self.multi_agency_meeting.data = "no"
            self.contact_methods.data = []
            self.contact_time.data = ""
        return valid


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), filters=[typed_filter], validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class EnrolForm(FlaskForm):
    """The one-time code that sets up a browser as a kiosk (tsunagi.domain.kiosk_devices)."""
    code = StringField(_l("Set-up code"), filters=[typed_filter], validators=[InputRequired(), Length(max=40)])


class KioskDeviceForm(FlaskForm):
    """A new kiosk device: its place and a name staff recognise it by."""
    location = SelectField(_l("Place"), validators=[InputRequired()])
    label = StringField(_l("Name of the device"), filters=[typed_filter], validators=[InputRequired(), Length(max=80)])
class WebhookForm(FlaskForm):
    """An office's webhook, set by the admin: the address its system listens on and the
    shared secret the signatures are made with (never shown again)."""

    provider = SelectField(_l("Office"), validators=[InputRequired()])
    url = StringField(_l("Address (URL)"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                      validators=[InputRequired(), Length(max=500)])
    secret = PasswordField(_l("Secret (at least 16 characters)"), validators=[InputRequired(), Length(min=16, max=200)])
