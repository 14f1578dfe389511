from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import case, select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from forms.spec import load_form
from inbox import bp
from tsunagi import accounts, intakes, municipality
from tsunagi.consent import may_share
from tsunagi.explain import policy
from tsunagi.extensions import db, limiter, login_manager
from tsunagi.i18n import LOCALES, gettext_in
from tsunagi.models import AuditEvent, Intake, User
from tsunagi.services import SERVICES

login_manager.login_view = "inbox.login"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


def _provider_id() -> int:
    if current_user.role not in accounts.PROVIDER_ROLES or current_user.provider_id is None:
        abort(403)
    return current_user.provider_id


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=lambda r: r.status_code != 302)
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.username.data, form.password.data)
        if user is not None:
            db.session.commit()
            session.clear()  # a new session at login: nothing carried over from before
            login_user(user)
            return redirect(url_for("inbox.index"))
        error = _l("The user name or password is not correct.")
    return render_template("inbox/login.html", form=form, error=error), 200 if error is None else 401


@bp.post("/logout")
@login_required
def logout():
    if not FlaskForm().validate_on_submit():
        abort(400)
    logout_user()
    session.clear()
    return redirect(url_for("inbox.login"))


@bp.get("/")
@login_required
def index():
    """Intakes routed to the signed-in user's provider: urgent first, then oldest."""
    provider_id = _provider_id()
    rows = db.session.scalars(
        select(Intake).where(Intake.provider_id == provider_id)
        .order_by(case((Intake.priority == "urgent", 0), else_=1), Intake.created_at, Intake.id)
    )
    return render_template("inbox/index.html", intakes=list(rows), services=SERVICES,
                           logout_form=FlaskForm())


@bp.get("/intakes/<intake_id>")
@login_required
def detail(intake_id: str):
    """One intake. 404 for anyone else's: its existence is not revealed. Audited."""
    provider_id = _provider_id()
    intake = db.session.get(Intake, intake_id)
    if intake is None or intake.provider_id != provider_id:
        abort(404)
    db.session.add(AuditEvent(actor_id=current_user.id, action="intake_read", intake_id=intake.id,
                              remote_addr=request.remote_addr))
    db.session.commit()
    spec = load_form(intake.form_id)
    ja = gettext_in("ja")
    answers = []
    for q in spec.questions():
        if q.personal or q.id not in intake.answers:
            continue
        value = intake.answers[q.id]
        labels = {c.value: c.label for c in q.choices}
        if q.type == "yesno":
            labels = {"yes": "Yes", "no": "No"}
        shown = [ja(labels.get(v, v)) for v in (value if isinstance(value, list) else [value])]
        answers.append((ja(q.label), "、".join(shown) if shown else "—"))
    view = intakes.decision_view(db.session, intake.decision, ja, "ja", policy())
    area = municipality.localized(
        next((d.name for d in _districts() if d.code == intake.area), None), "ja") if intake.area else ""
    return render_template(
        "inbox/detail.html", intake=intake, answers=answers, decision=view, area=area,
        shared=may_share(intake), services=SERVICES, language=LOCALES.get(intake.locale, intake.locale),
        location=municipality.localized(intake.location.name, "ja"), logout_form=FlaskForm(),
    )


def _districts():
    from tsunagi.models import District

    return db.session.scalars(select(District))
