"""Kiosk journey: language → question steps (→ emergency contacts) → review → consent → receipt.

Views are thin: they keep the draft, build the step's form from the spec and call the
intake services. Every page is `no-store`; finishing or quitting deletes everything.
"""
from __future__ import annotations

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, select
from wtforms import SelectChoice

from forms.builder import ConsentForm, EnrolForm, step_form
from forms.spec import load_consent, load_form
from kiosk import bp, drafts
from tsunagi.domain import intakes, kiosk_devices, municipality
from tsunagi.domain.consent import CONTACT_PROBLEMS, ConsentGiven, contact_problem, remember_text
from tsunagi.domain.models import District, Intake, Location, Provider
from tsunagi.domain.triage.answers import InvalidAnswers
from tsunagi.domain.triage.answers import select as canonical_answers
from tsunagi.domain.triage.reasons import for_residents
from tsunagi.domain.vocabulary import IDENTIFYING, KIOSK_KINDS, LOCALES
from tsunagi.web.context import (
    consent_text,
    emergency_contacts,
    notify_after_submit,
    office_card,
    overdue_policy,
    policy,
    render_fixed,
    send_notifications,
)
from tsunagi.web.extensions import db, failed_attempt, limiter
from tsunagi.web.i18n import spec_gettext
from tsunagi.web.receipt import follow_up_address, follow_up_url, inline_svg, receipt_facts

FORM_ID = "intake-default"
# Question types whose answers are labels the product wrote, not the resident's own words.
CHOSEN = ("single", "multiple", "yesno", "district")


# Built once: every kiosk request runs it, and building the statement cost as much as running it.
_ACTIVE_KIOSK = select(Location).where(Location.code == bindparam("code"), Location.active.is_(True))


@bp.url_value_preprocessor
def _kiosk_and_locale(_endpoint: str | None, values: dict | None) -> None:
    """Every /k/<location>/<locale>/... page: 404 unless the location is an active kiosk
    (library or hub) and the locale is shipped; the kiosk is `g.kiosk`."""
    values = values or {}
    if values.get("locale") is not None and values["locale"] not in LOCALES:
        abort(404)
    if "location" in values:
        loc = db.session.scalar(_ACTIVE_KIOSK, {"code": values["location"]})
        if loc is None or loc.kind not in KIOSK_KINDS:
            abort(404)
        g.kiosk = loc
        if current_app.config["KIOSK_ENROLMENT"]:
            device = kiosk_devices.find(db.session, request.cookies.get(current_app.config["KIOSK_COOKIE_NAME"]))
            if device is None or device.location_id != loc.id:
                # Not this place's kiosk: no journey, and a page that says how to set it up.
                g.pop("kiosk")
                abort(make_response(render_template("kiosk/not_enrolled.html"), 403))
            g.kiosk_device = device


def _device_key() -> str:
    return f"kiosk-device:{g.kiosk_device.id}"


# An enrolled kiosk's posts are limited per device (a script left running at a kiosk is
# slowed there); the open demo kiosks are not enrolled and not limited this way.
limiter.limit(lambda: current_app.config["KIOSK_RATE_LIMIT"], key_func=_device_key, methods=["POST"],
              exempt_when=lambda: g.get("kiosk_device") is None)(bp)


@limiter.request_filter
def _kiosk_page_read() -> bool:
    """Every kiosk limit is on posts: the pages a kiosk reads skip resolving limits (the
    limiter asks this filter first), work it did on every kiosk GET for none."""
    return request.method in ("GET", "HEAD") and request.blueprint == "kiosk"


@bp.route("/k/enrol", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=lambda response: failed_attempt(response.status_code, 302))
def enrol():
    """Set up this browser as a kiosk with the one-time code from the office's kiosk page."""
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            device, token = kiosk_devices.enrol(db.session, form.code.data)
        except kiosk_devices.CodeRefused:
            form.code.errors = [_("This code does not set up a kiosk. A code works once, for 30 minutes: "
                                  "ask the office for a new one.")]
        else:
            db.session.commit()
            response = redirect(url_for("kiosk.choose_language", location=device.location.code))
            response.set_cookie(current_app.config["KIOSK_COOKIE_NAME"], token, max_age=5 * 365 * 24 * 3600,
                                httponly=True, samesite="Strict", path="/",
                                secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
            return response
    return render_template("kiosk/enrol.html", form=form), 422 if form.errors else 200


def _draft_or_restart(loc: Location, locale: str):
    draft = drafts.current(loc)
    if draft is None:
        return None, redirect(url_for("kiosk.welcome", location=loc.code, locale=locale))
    return draft, None


def _is_urgent(answers: dict) -> bool:
    """Whether the answers so far are urgent: the policy decides, as in triage."""
    return bool(policy().urgency(_visible_answers(answers)))


def _visible_steps(answers: dict):
    return [s for s in load_form(FORM_ID).steps if s.shown(answers)]


def _visible_answers(answers: dict) -> dict:
    """Only the answers of steps still shown: an answer to a step that a later change hid
    (pregnancy, after the age became 65+) must not reach triage."""
    shown = {q.id for s in _visible_steps(answers) for q in s.questions}
    return {k: v for k, v in answers.items() if k in shown}


def _unanswered(answers: dict):
    """The first shown step with a required question left empty, or None."""
    for s in _visible_steps(answers):
        if any(q.required and answers.get(q.id) in (None, "", []) for q in s.questions):
            return s
    return None


def _district_choices(locale: str):
    rows = db.session.scalars(select(District).order_by(District.position))
    return [SelectChoice(d.code, municipality.localized(d.name, locale)) for d in rows]


def step_form_in(spec, step, locale: str, **kwargs) -> FlaskForm:
    """The form of `step` as the resident meets it: the municipality's districts among
    the choices, in `locale`. `kwargs` go to the form (data, meta)."""
    form = step_form(spec, step.id)(**kwargs)
    for q in step.questions:
        if q.type == "district":
            getattr(form, q.id).choices = _district_choices(locale) + [
                SelectChoice(c.value, spec_gettext(c.label)) for c in q.choices]
    return form


def _titled(step, locale: str):
    """A step as its page shows it: a municipality's own step with its title in `locale`."""
    return step.model_copy(update={"title": step.heading(_, locale)}) if step.texts else step


def _answers_for_triage(answers: dict) -> dict:
    out = canonical_answers(_visible_answers(answers), policy().questions)
    out.setdefault("pregnant", "no")
    return out


@bp.get("/")
def home():
    """Demo landing: the kiosks of the municipality, the follow-up page, provider login."""
    kiosks = db.session.scalars(
        select(Location).where(Location.kind.in_(KIOSK_KINDS), Location.active.is_(True))
        .order_by(Location.id))
    return render_template("kiosk/home.html", kiosks=list(kiosks), localized=municipality.localized)


@bp.get("/k/<location>/")
def choose_language(location: str):
    loc = g.kiosk
    # The picker offers the quick exit (and runs the idle reset) only while a resident's
    # draft exists: a kiosk at rest has nothing to clear.
    in_progress = drafts.current(loc) is not None
    return render_fixed("kiosk/language.html", (loc.code, repr(loc.name), in_progress),
                        lambda: {"loc": loc, "name": municipality.localized(loc.name, "ja"), "in_progress": in_progress})


@bp.get("/k/<location>/<locale>/")
def welcome(location: str, locale: str):
    loc = g.kiosk
    emergency = emergency_contacts()
    return render_fixed("kiosk/welcome.html", (loc.code, repr(emergency)),
                        lambda: {"loc": loc, "locale": locale, "form": FlaskForm(), "emergency": emergency})


@bp.post("/k/<location>/<locale>/start")
def start(location: str, locale: str):
    loc = g.kiosk
    if not FlaskForm().validate_on_submit():
        abort(400)
    drafts.start(loc)
    first = _visible_steps({})[0]
    return redirect(url_for("kiosk.step", location=loc.code, locale=locale, step_id=first.id))


@bp.route("/k/<location>/<locale>/q/<step_id>", methods=["GET", "POST"])
def step(location: str, locale: str, step_id: str):
    """One group of questions. Invalid answers re-show the step with errors; what was
    typed stays in the form. Reached with `?from=review` (a "change" link), a valid answer
    goes back to the review screen, which sends on to any step the change made necessary."""
    loc = g.kiosk
    spec = load_form(FORM_ID)
    current_step = spec.step(step_id)
    if current_step is None:
        abort(404)
    draft, restart = _draft_or_restart(loc, locale)
    if restart:
        return restart
    steps = _visible_steps(draft.answers)
    if current_step not in steps:
        return redirect(url_for("kiosk.step", location=location, locale=locale, step_id=steps[0].id))
    form = step_form_in(spec, current_step, locale, data=draft.answers)
    if form.validate_on_submit():
        values = {q.id: getattr(form, q.id).data for q in current_step.questions}
        was_urgent = _is_urgent(draft.answers)
        drafts.save(draft, **values)
        steps = _visible_steps(draft.answers)
        index = steps.index(current_step)
        following = steps[index + 1].id if index + 1 < len(steps) else None
        from_review = request.args.get("from") == "review"
        if _is_urgent(draft.answers) and not was_urgent and not draft.urgent_seen:
            # Urgent never waits for the rest of the form (DOMAIN.md, priority).
            return redirect(url_for("kiosk.urgent", location=location, locale=locale,
                                    next=None if from_review else following))
        if following is None or from_review:
            return redirect(url_for("kiosk.review", location=location, locale=locale))
        return redirect(url_for("kiosk.step", location=location, locale=locale, step_id=following))
    index = steps.index(current_step)
    back = steps[index - 1].id if index else None
    return render_template(
        "kiosk/step.html", loc=loc, locale=locale, form=form, step=_titled(current_step, locale),
        number=index + 1, total=len(steps), back=back,
    ), 200 if request.method == "GET" else 422


@bp.route("/k/<location>/<locale>/urgent", methods=["GET", "POST"])
def urgent(location: str, locale: str):
    loc = g.kiosk
    draft, restart = _draft_or_restart(loc, locale)
    if restart:
        return restart
    spec = load_form(FORM_ID)
    following = request.args.get("next")
    if following is not None and spec.step(following) is None:
        following = None
    form = FlaskForm()
    if form.validate_on_submit():
        draft.urgent_seen = True
        db.session.commit()
        if following:
            return redirect(url_for("kiosk.step", location=location, locale=locale, step_id=following))
        return redirect(url_for("kiosk.review", location=location, locale=locale))
    return render_template("kiosk/urgent.html", loc=loc, locale=locale, form=form,
                           emergency=emergency_contacts(), next=following)


def _shown_value(q, value, locale: str):
    """An answer as the resident reads it: choice labels in their language, text as typed;
    a list for multiple choice, None when nothing was given."""
    if value in (None, "", []):
        return None
    if q.type == "yesno":
        labels = {"yes": pgettext("answer to a question of fact", "Yes"),
                  "no": pgettext("answer to a question of fact", "No")}
    elif q.type == "district":
        labels = {c.value: c.label for c in _district_choices(locale)} | {c.value: spec_gettext(c.label) for c in q.choices}
    else:
        labels = {c.value: c.text(spec_gettext, locale) for c in q.choices}
    if q.type == "multiple":
        return [labels.get(v, v) for v in value]
    return labels.get(value, str(value)) if labels else str(value)


@bp.get("/k/<location>/<locale>/review")
def review(location: str, locale: str):
    """Every shown step with its answers and a link back to change them, before consent.
    A required answer still missing sends the resident to its step first."""
    loc = g.kiosk
    draft, restart = _draft_or_restart(loc, locale)
    if restart:
        return restart
    if draft.intake_id is not None:
        return redirect(url_for("kiosk.receipt", location=location, locale=locale))
    missing = _unanswered(draft.answers)
    if missing is not None:
        return redirect(url_for("kiosk.step", location=location, locale=locale, step_id=missing.id,
                                **{"from": "review"}))
    sections = [{
        "step": _titled(s, locale),
        "change": url_for("kiosk.step", location=location, locale=locale, step_id=s.id, **{"from": "review"}),
        # What the resident typed is shown as typed: no furigana guessed over a name.
        "answers": [(q.text(_, locale), _shown_value(q, draft.answers.get(q.id), locale), q.type not in CHOSEN)
                    for q in s.questions],
    } for s in _visible_steps(draft.answers)]
    return render_template("kiosk/review.html", loc=loc, locale=locale, sections=sections)


def _consent_text(locale: str):
    """The consent text about to be shown, kept by its hash (tsunagi.domain.consent)."""
    spec = load_consent()
    paragraphs, digest = consent_text(db.session, spec, locale)
    remember_text(db.session, text_id=spec.id, text_version=spec.version, locale=locale,
                  paragraphs=paragraphs, digest=digest)
    db.session.commit()
    return spec, paragraphs, digest


@bp.route("/k/<location>/<locale>/consent", methods=["GET", "POST"])
def consent(location: str, locale: str):
    loc = g.kiosk
    draft, restart = _draft_or_restart(loc, locale)
    if restart:
        return restart
    if draft.intake_id is None and _unanswered(draft.answers) is not None:
        # A step is missing (e.g. the resident jumped ahead): the review sends them there.
        return redirect(url_for("kiosk.review", location=location, locale=locale))
    answers = _answers_for_triage(draft.answers)
    try:
        parsed = intakes.parse_answers(db.session, answers, policy().questions)
    except InvalidAnswers:
        first = _visible_steps(draft.answers)[0]
        return redirect(url_for("kiosk.step", location=location, locale=locale, step_id=first.id))
    decision = intakes.route(db.session, parsed, locale, policy())
    provider = db.session.get(Provider, decision.provider_id) if decision.provider_id else None
    # Where "No" to the meeting sends a team intake: said before Send.
    without_team = decision.without_team()
    first_contact = (db.session.get(Provider, without_team.provider_id)
                     if without_team is not decision and without_team.provider_id else None)
    spec, paragraphs, digest = _consent_text(locale)
    form = ConsentForm()
    identifying = {k: draft.answers.get(k) for k in IDENTIFYING}
    valid = form.validate_on_submit()
    if valid and draft.intake_id is None:
        problem = contact_problem(tuple(form.contact_methods.data or ()), identifying)
        if problem:
            form.contact_methods.errors = [_(CONTACT_PROBLEMS[problem])]
            valid = False
    if valid:
        if draft.intake_id is None:
            given = ConsentGiven(
                text_id=spec.id, text_version=spec.version, text_hash=digest,
                locale=locale, share_with_provider=form.share.data == "yes", channel="kiosk",
                location_id=loc.id, contact_methods=tuple(form.contact_methods.data or ()),
                multi_agency_meeting=form.multi_agency_meeting.data == "yes",
                contact_time=(form.contact_time.data or "").strip() or None,
            )
            submitted = intakes.submit(
                db.session, form_id=FORM_ID, form_version=load_form(FORM_ID).version,
                locale=locale, channel="kiosk", location=loc, answers=answers,
                identifying=identifying, consent=given,
                policy=policy(), decision=decision,
            )
            db.session.flush()  # the intake exists before the draft refers to it
            draft.intake_id = submitted.intake.id
            draft.receipt = {"token": submitted.secrets.token, "code": submitted.secrets.grouped_code}
            # The answers are in the intake now; the draft keeps only what the receipt shows.
            draft.answers = {}
            outbox = notify_after_submit(db.session, submitted.intake)
            db.session.commit()
            send_notifications(db.session, outbox)
        return redirect(url_for("kiosk.receipt", location=location, locale=locale))
    return render_template("kiosk/consent.html", loc=loc, locale=locale, form=form,
                           paragraphs=paragraphs, provider=provider, first_contact=first_contact,
                           reasons=intakes.decision_view(db.session, decision.to_record(), for_residents(_), locale,
                                                         policy())["reasons"],
                           localized=municipality.localized), 422 if form.errors else 200


@bp.get("/k/<location>/<locale>/receipt")
def receipt(location: str, locale: str):
    loc = g.kiosk
    draft, restart = _draft_or_restart(loc, locale)
    if restart:
        return restart
    if not draft.receipt or not draft.intake_id:
        return redirect(url_for("kiosk.consent", location=location, locale=locale))
    intake = db.session.get(Intake, draft.intake_id)
    # The office that has it, or where to go when nothing was sent.
    provider = intake.provider or (db.session.get(Provider, intake.decision["provider_id"])
                                   if intake.decision.get("provider_id") else None)
    base = current_app.config["BASE_URL"] or request.host_url
    url = follow_up_url(base, draft.receipt["token"])
    return render_template(
        "kiosk/receipt.html", loc=loc, locale=locale, intake=intake, provider=provider,
        office=office_card(provider, locale) if provider else None,
        facts=receipt_facts(intake, overdue_policy(), locale), address=follow_up_address(base),
        qr=inline_svg(url, _("QR code to follow your consultation")), code=draft.receipt["code"],
        form=FlaskForm(), emergency=emergency_contacts() if intake.priority == "urgent" else [],
    )


@bp.post("/k/<location>/finish", defaults={"locale": None})
@bp.post("/k/<location>/<locale>/finish")
def finish(location: str, locale: str | None):
    """Finish, quit or idle reset: delete the draft, clear the session and the browser's
    site data, back to the language picker. Without a locale it serves the picker itself."""
    drafts.end()
    response = redirect(url_for("kiosk.choose_language", location=g.kiosk.code))
    if g.get("kiosk_device") is None:
        response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    else:
        # An enrolled kiosk keeps its device cookie: everything else goes, the session too.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        config = current_app.config
        response.delete_cookie(config["SESSION_COOKIE_NAME"], path=config.get("SESSION_COOKIE_PATH") or "/",
                               domain=config.get("SESSION_COOKIE_DOMAIN"))
    return response


@bp.get("/f")
def follow_up_page():
    """The QR's target. The token stays in the URL fragment; the page's script posts it to
    /api/v1/follow-up, so it never appears in a request line or a log."""
    return render_template("kiosk/follow_up.html")
