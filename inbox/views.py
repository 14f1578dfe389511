"""Provider pages: sign in, inbox, intake detail with lifecycle actions, coordinator's
board and directory, user management, the demo outbox.

Access rules live in tsunagi.access and tsunagi.lifecycle; views only parse and render.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import aliased, load_only

from forms.builder import KioskDeviceForm, LoginForm, WebhookForm
from inbox import bp
from tsunagi.domain import (
    access,
    accounts,
    case_team,
    intakes,
    kiosk_devices,
    lifecycle,
    municipality,
    overdue,
    reports,
    webhooks,
    worklist,
)
from tsunagi.domain.consent import ConsentRequired, may_share, withdraw
from tsunagi.domain.models import (
    AuditEvent,
    District,
    Intake,
    IntakeEvent,
    JobLock,
    KioskDevice,
    Location,
    OutboxMessage,
    Provider,
    User,
    Webhook,
    WebhookDelivery,
)
from tsunagi.domain.vocabulary import (
    ACTION_LABELS,
    ACTION_ORDER,
    CONFIRMED_ACTIONS,
    CONTACT_KINDS,
    CONTACT_RESULTS,
    JST,
    KIOSK_KINDS,
    LOCALES,
    MEETING_DECISIONS,
    MEETING_KINDS,
    MULTI_AGENCY,
    NEEDS_REASON,
    OFFICE_ROLES,
    OUTCOME_LABELS,
    OUTCOMES,
    PROVIDER_ROLES,
    REFUSALS,
    RETURN_REASONS,
    SERVICES,
    STATUS_LABELS,
    STATUSES,
    TRANSITIONS,
    WAITING,
    typed,
)
from tsunagi.web import dashboard, errors
from tsunagi.web.context import (
    lifecycle_settings,
    notify_after_transition,
    overdue_policy,
    present_settings,
    send_notifications,
)
from tsunagi.web.extensions import account_key, db, failed_attempt, limiter, login_manager
from tsunagi.web.present import detail as intake_detail
from tsunagi.web.present import row_labels, summary

login_manager.login_view = "inbox.login"
login_manager.login_message = _l("Please sign in.")


@login_manager.user_loader
def load_user(user_id: str):
    """The session carries "id:epoch"; a raised epoch (disabled user) ends the session."""
    uid, _, epoch = user_id.partition(":")
    user = db.session.get(User, int(uid)) if uid.isdigit() else None
    if user is None or not user.active or str(user.session_epoch) != epoch:
        return None
    return user


@bp.before_request
def session_limits():
    """Idle timeout and absolute lifetime of a provider's session."""
    if not current_user.is_authenticated:
        return None
    now = datetime.now(timezone.utc).timestamp()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if now - session.get("seen_at", 0) > idle or now - session.get("login_at", 0) > absolute:
        logout_user()
        session.clear()
        flash(_l("Your session ended. Please sign in again."))
        return redirect(url_for("inbox.login"))
    session["seen_at"] = now
    return None


def _location_names() -> dict[str, str]:
    return {loc.code: municipality.localized(loc.name, str(get_locale() or "ja"))
            for loc in db.session.scalars(select(Location))}


def _account_key() -> str:
    return account_key("login", request.form.get("username"))


def _failed(response) -> bool:
    return failed_attempt(response.status_code, 302)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_account_key,
               deduct_when=_failed)
@limiter.limit("30 per minute", methods=["POST"], deduct_when=_failed)
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.username.data, form.password.data)
        if user is not None and user.role != "outreach_worker":
            db.session.commit()
            session.clear()  # a new session at login: nothing carried over from before
            login_user(user)
            now = datetime.now(timezone.utc).timestamp()
            session["login_at"] = session["seen_at"] = now
            return redirect(url_for("inbox.index"))
        error = _l("The user name or password is not correct.")
    return render_template("inbox/login.html", form=form, error=error), 200 if error is None else 401


@bp.post("/logout")
@login_required
def logout():
    if not FlaskForm().validate_on_submit():
        abort(400)
    # Signing out ends the session on the server too: a copy of the old cookie no longer
    # opens the inbox (the signed cookie alone would stay valid until its timeout).
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("inbox.login"))


def _require_reader() -> None:
    if not access.reads_intakes(current_user):
        abort(403)


@bp.get("/")
@login_required
def index():
    """Intakes the user may see: urgent first, then oldest. Filters: status, service,
    area, overdue=1."""
    if not access.reads_intakes(current_user):
        if access.manages_users(current_user):
            return redirect(url_for("inbox.users"))
        abort(403)
    parts = access.visible_parts(current_user)
    status, service, area = (request.args.get(k) or None for k in ("status", "service", "area"))
    if service:
        parts = [q.where(Intake.service == service) for q in parts]
    if area:
        parts = [q.where(Intake.area == area) for q in parts]
    # Open cases, urgent first, then by deadline, one page at a time (tsunagi.domain.worklist).
    try:
        found = worklist.page(db.session, parts, status=status, after=request.args.get("after") or None)
    except ValueError:  # an unknown status or a cursor that is not an intake id
        abort(400)
    rows = found.rows
    now = datetime.now(timezone.utc)
    read = access.read_ids_for(db.session, current_user, rows)
    settings = present_settings()
    duplicates = intakes.duplicates_among(db.session, access.visible_intakes(current_user), rows,
                                          settings.duplicate_window_days)
    items = [summary(db.session, settings, i, read, now, duplicates) for i in rows]
    if request.args.get("overdue") == "1":
        items = [i for i in items if i["overdue"]]
    districts = list(db.session.scalars(select(District).order_by(District.position)))
    following = None
    if found.next:
        args = {k: v for k, v in request.args.items() if k != "after" and v}
        following = url_for("inbox.index", **args, after=found.next)
    return render_template("inbox/index.html", items=items, services=SERVICES, statuses=STATUSES,
                           labels=row_labels(), locales=LOCALES, locations=_location_names(),
                           districts=districts, filters=request.args, form=FlaskForm(), following=following)


@bp.post("/search")
@login_required
def search():
    """Find the case of a resident on the phone by receipt code, phone number or email
    (posted, so it never sits in a URL or a log). Each intake found is audited as read."""
    _require_reader()
    if not FlaskForm().validate_on_submit():
        abort(400)
    found = worklist.search(db.session, access.visible_intakes(current_user), request.form.get("q", ""))
    for intake in found:
        access.audit(db.session, current_user, "intake_search", intake.id, request.remote_addr)
    db.session.commit()
    now = datetime.now(timezone.utc)
    settings = present_settings()
    read = access.read_ids_for(db.session, current_user, found)
    duplicates = intakes.duplicates_among(db.session, access.visible_intakes(current_user), found,
                                          settings.duplicate_window_days)
    items = [summary(db.session, settings, i, read, now, duplicates) for i in found]
    districts = list(db.session.scalars(select(District).order_by(District.position)))
    return render_template("inbox/index.html", items=items, services=SERVICES, statuses=STATUSES,
                           labels=row_labels(), locales=LOCALES, locations=_location_names(),
                           districts=districts, filters={}, form=FlaskForm(), following=None, searched=True)


@bp.errorhandler(access.NoSuchIntake)
def no_such_intake(exc):
    db.session.rollback()
    access.audit_denied(db.session, exc, request.remote_addr)  # refused reads are audited too
    db.session.commit()
    return errors.page(404)  # the same answer whether it exists or not


@bp.errorhandler(lifecycle.TransitionRefused)
@bp.errorhandler(case_team.CaseTeamRefused)
@bp.errorhandler(ConsentRequired)
def refused(exc):
    """A lifecycle action the rules refuse: said on the intake's page in the staff's
    language, nothing changed."""
    db.session.rollback()
    code = getattr(exc, "code", "consent_required")
    if code == "forbidden":
        return errors.page(403)
    flash(refusal_text(code, getattr(exc, "params", {})), "error")
    return redirect(url_for("inbox.detail", intake_id=request.view_args["intake_id"]))


def refusal_text(code: str, params: dict) -> str:
    params = dict(params)
    if "status" in params:
        params["status"] = gettext(STATUS_LABELS[params["status"]])
    return gettext(REFUSALS.get(code, REFUSALS["unknown_action"]), **params)


def _posted_intake(intake_id: str) -> Intake:
    """The intake a form posts about: one the user may read (else 404), with a valid CSRF
    token (else 400)."""
    _require_reader()
    intake = access.readable_intake(db.session, current_user, intake_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    return intake


def audit(action: str, intake_id: str | None) -> None:
    access.audit(db.session, current_user, action, intake_id, request.remote_addr)


def _office_names(key: str = "code") -> dict:
    """Every office's code (or id) -> its name as staff read it (Japanese, like the rest of
    the page)."""
    return {getattr(p, key): municipality.localized(p.name, "ja") for p in db.session.scalars(select(Provider))}


def _leads(intake: Intake) -> bool:
    """The user is staff of the intake's lead office."""
    return (current_user.role in PROVIDER_ROLES and current_user.provider_id is not None
            and current_user.provider_id == intake.provider_id)


def _names_offices(intake: Intake) -> bool:
    """Who names and ends cooperating offices: the lead office's staff and the coordinator."""
    return _leads(intake) or (current_user.role == "coordinator" and intake.provider_id is not None)


# How staff read the case events that are not lifecycle actions (ACTION_LABELS has those).
EVENT_LABELS = {
    "office_added": _l("Cooperating office named"),
    "office_ended": _l("Cooperating office left the case"),
    "meeting": _l("Meeting decision"),
    "meeting_consent": _l("The resident agreed to the multi-agency support meeting"),
    "consent_withdrawn": _l("Consent withdrawn"),
    "follow_up_revoked": _l("QR and receipt code revoked, new ones issued"),
}
CONSENT_MODE_LABELS = {"verbal": _l("told staff, who heard it"), "written": _l("in writing")}
WITHDRAWN_VIA_LABELS = {"follow_up": _l("by the resident, on their follow-up page"),
                        "provider": _l("recorded by an office")}


def _label(table: dict, code) -> str:
    """The translated label of `code` in `table` (N_ msgids or lazy strings); the code itself
    if unknown (codes are never personal data)."""
    label = table.get(code) if isinstance(code, str) else None
    return str(code) if label is None else gettext(label) if isinstance(label, str) else str(label)


def _history(events: list[dict], offices: dict[str, str]) -> list[dict]:
    """The intake's events as staff read them: what happened, its details translated, the
    staff's own words apart. Older events (no `action`) keep their one stored line."""
    lines = []
    for e in events:
        action, details = e.get("action"), e.get("details") or {}
        if action is None:
            lines.append({**e, "label": None, "details": [], "note": e.get("reason")})
            continue
        label = _label(ACTION_LABELS, action) if action in ACTION_LABELS else _label(EVENT_LABELS, action)
        said = []
        if details.get("why"):
            said.append(gettext("reason: %(reason)s", reason=_label(RETURN_REASONS, details["why"])))
        if details.get("to"):
            said.append(gettext("to %(office)s", office=offices.get(details["to"], details["to"])))
        if details.get("outcome"):
            said.append(gettext("outcome: %(outcome)s", outcome=_label(OUTCOME_LABELS, details["outcome"])))
        if details.get("lead"):
            said.append(gettext("lead office: %(office)s", office=offices.get(details["lead"], details["lead"])))
        if details.get("office"):
            said.append(gettext("office: %(office)s", office=offices.get(details["office"], details["office"])))
        if details.get("kind"):
            said.append(_label(MEETING_KINDS, details["kind"]))
        if details.get("held_on"):
            said.append(gettext("held on %(date)s", date=details["held_on"]))
        if details.get("decision"):
            said.append(_label(MEETING_DECISIONS, details["decision"]))
        if details.get("mode"):
            said.append(_label(CONSENT_MODE_LABELS, details["mode"]))
        if details.get("via"):
            said.append(_label(WITHDRAWN_VIA_LABELS, details["via"]))
        lines.append({**e, "label": label, "details": said, "note": e.get("note")})
    return lines


def _today() -> date:
    return datetime.now(JST).date()  # staff count days in Japan time


@bp.get("/intakes/<intake_id>")
@login_required
def detail(intake_id: str):
    """One intake; 404 for anyone else's (its existence is not revealed). Every opening is
    audited (who, which intake, when, from where), without copying the data."""
    _require_reader()
    intake = access.open_intake(db.session, current_user, intake_id, request.remote_addr)
    db.session.commit()
    data = intake_detail(db.session, present_settings(), intake)
    actions = [a for a in ACTION_ORDER
               if intake.status in TRANSITIONS[a][0] and lifecycle.may_act(current_user, intake, a)]
    providers = list(db.session.scalars(select(Provider).where(Provider.active.is_(True),
                                                               Provider.id != intake.provider_id)
                                        .order_by(Provider.service, Provider.id)))
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.intake_id == intake.id)
                               .order_by(AuditEvent.id.desc()).limit(50))
    names = _office_names()

    def office_label(p: Provider) -> str:
        return f"{municipality.localized(p.name, 'ja')}（{gettext(SERVICES[p.service])}）"

    team = case_team.offices_on(db.session, intake)
    on_case = {p.id for _role, p in team}
    cooperating = case_team.reads_as_cooperating(db.session, current_user, intake)
    meetings = sorted((e for e in data["events"] if e.get("action") == "meeting"),
                      key=lambda e: ((e["details"] or {}).get("held_on") or "", e["at"]), reverse=True)
    return render_template(
        "inbox/detail.html", intake=intake, data=data, actions=actions,
        outcomes=OUTCOMES, providers=providers, form=FlaskForm(), services=SERVICES,
        confirmed=CONFIRMED_ACTIONS, return_reasons=RETURN_REASONS, needs_reason=NEEDS_REASON,
        offices=[(p.code, office_label(p)) for p in providers],
        # a hand-back names a lead office: never the team itself
        lead_offices=[(p.code, office_label(p)) for p in providers if p.service != MULTI_AGENCY],
        addable=[(p.code, office_label(p)) for p in providers if p.id not in on_case],
        team=[(role, p.code, names.get(p.code, p.code)) for role, p in team], office_roles=OFFICE_ROLES,
        lead_name=names.get(intake.provider.code) if intake.provider else None,
        cooperating=cooperating, leads=_leads(intake), names_offices=_names_offices(intake),
        shares_with_team=case_team.shares_with_cooperating(intake), may_share=may_share(intake),
        records_meetings=_names_offices(intake) or cooperating, logs_contacts=_leads(intake) or cooperating,
        meeting_kinds=MEETING_KINDS, meeting_decisions=MEETING_DECISIONS, meetings=meetings,
        contact_kinds=CONTACT_KINDS, contact_results=CONTACT_RESULTS,
        contacts=case_team.contacts(db.session, intake), provider_names=_office_names("id"),
        # Contacts an outreach team made before the resident consented carry its place, not an office.
        place_names={loc.id: municipality.localized(loc.name, "ja") for loc in db.session.scalars(select(Location))},
        today=_today().isoformat(), history=_history(data["events"], names),
        may_revoke=lifecycle.may_act(current_user, intake, "accept") or current_user.role == "coordinator",
        trail=list(trail), new_code=session.pop("new_code", None),
        can_do=[a for a in TRANSITIONS if lifecycle.may_act(current_user, intake, a)])


@bp.post("/intakes/<intake_id>/transitions")
@login_required
def act(intake_id: str):
    """One action button of the intake page. The irreversible ones carry a ticked `confirm`;
    the banner on the next page says what happened and, when the intake left, where to."""
    intake = _posted_intake(intake_id)
    action = request.form.get("action", "")
    if action in CONFIRMED_ACTIONS and request.form.get("confirm") != "yes":
        raise lifecycle.TransitionRefused("confirm_required", "the action was not confirmed")
    reason = request.form.get("reason")
    from_status, from_provider = intake.status, intake.provider_id
    lifecycle.transition(
        db.session, intake, action, current_user,
        reason=typed(reason) if reason else reason, to_provider=typed(request.form.get("to_provider") or "") or None,
        outcome=request.form.get("outcome") or None, return_reason=request.form.get("return_reason") or None,
        to_service=request.form.get("to_service") or None, settings=lifecycle_settings(),
    )
    audit("intake_" + action, intake.id)
    outbox = notify_after_transition(db.session, intake, action, from_status, from_provider)
    db.session.commit()
    send_notifications(db.session, outbox)
    flash(done_text(action, intake), "success")
    if access.can_read(current_user, intake):
        return redirect(url_for("inbox.detail", intake_id=intake_id))
    return redirect(url_for("inbox.index"))  # returned or transferred away


def done_text(action: str, intake: Intake) -> str:
    """What the banner says after `action`: the new status, the outcome, or the office the
    intake went to (it has then left this inbox)."""
    if action in ("return", "transfer"):
        office = municipality.localized(intake.provider.name, str(get_locale() or "ja"))
        if access.can_read(current_user, intake):
            return gettext("Passed to %(office)s.", office=office)
        return gettext("Passed to %(office)s. It has left your inbox.", office=office)
    if action == "hand_back":
        office = municipality.localized(intake.provider.name, str(get_locale() or "ja"))
        return gettext("Handed back to %(office)s, which now leads the case. The team stays on it.", office=office)
    if action == "close":
        return gettext("Closed: %(outcome)s.", outcome=gettext(OUTCOME_LABELS[intake.outcome]))
    if action == "contact_failed":
        return gettext("Failed contact attempt recorded (%(n)s so far).", n=intake.failed_contacts)
    return gettext("Done: the intake is now %(status)s.", status=gettext(STATUS_LABELS[intake.status]))


@bp.post("/intakes/<intake_id>/follow-up/revoke")
@login_required
def revoke(intake_id: str):
    intake = _posted_intake(intake_id)
    secrets = lifecycle.revoke_follow_up(db.session, intake, current_user)
    audit("follow_up_revoked", intake.id)
    db.session.commit()
    # Shown once on the next page, to be read to the resident; never logged.
    session["new_code"] = secrets.grouped_code
    return redirect(url_for("inbox.detail", intake_id=intake_id))


@bp.post("/intakes/<intake_id>/consent/withdraw")
@login_required
def withdraw_consent(intake_id: str):
    """Record a withdrawal the resident asked for by phone or at the desk."""
    intake = _posted_intake(intake_id)
    if not lifecycle.may_act(current_user, intake, "accept"):
        abort(403)
    withdraw(db.session, intake, via="provider", by_user_id=current_user.id)
    audit("consent_withdrawn", intake.id)
    db.session.commit()
    return redirect(url_for("inbox.detail", intake_id=intake_id))


# --- several offices on one case (tsunagi.domain.case_team) ----------------------------

OFFICE_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def _office_code(value: str | None) -> str | None:
    """An office code as posted, or None for anything that cannot be one (the domain then
    refuses it as an unknown office)."""
    return value if isinstance(value, str) and OFFICE_CODE.fullmatch(value) else None


def _note() -> str | None:
    note = request.form.get("note")
    return typed(note)[:2000] or None if note else None


def _back(intake: Intake):
    if access.can_read(current_user, intake):
        return redirect(url_for("inbox.detail", intake_id=intake.id))
    return redirect(url_for("inbox.index"))  # the office left the case


@bp.post("/intakes/<intake_id>/offices")
@login_required
def add_office(intake_id: str):
    """The lead office or the coordinator names a cooperating office."""
    intake = _posted_intake(intake_id)
    code = _office_code(request.form.get("office"))
    row = case_team.add_office(db.session, intake, current_user, code, _note())
    audit("intake_office_added", intake.id)
    db.session.commit()
    office = municipality.localized(row.provider.name, "ja")
    if case_team.shares_with_cooperating(intake):
        flash(gettext("%(office)s now works on this case as a cooperating office.", office=office), "success")
    else:
        flash(gettext("%(office)s is named as a cooperating office. It will see the case once the resident "
                      "agrees to the multi-agency support meeting.", office=office), "success")
    return redirect(url_for("inbox.detail", intake_id=intake.id))


@bp.post("/intakes/<intake_id>/offices/<code>/end")
@login_required
def end_office(intake_id: str, code: str):
    """A cooperating office leaves the case: ended by the lead or the coordinator, or by itself."""
    intake = _posted_intake(intake_id)
    office_code = _office_code(code)
    case_team.end_office(db.session, intake, current_user, office_code)
    audit("intake_office_ended", intake.id)
    db.session.commit()
    office = _office_names().get(office_code, office_code)
    flash(gettext("%(office)s no longer works on this case.", office=office), "success")
    return _back(intake)


@bp.post("/intakes/<intake_id>/meeting-consent")
@login_required
def meeting_consent(intake_id: str):
    """The lead office records that the resident told it they agree to the 重層的支援会議."""
    intake = _posted_intake(intake_id)
    if request.form.get("resident_agreed") != "yes":
        raise lifecycle.TransitionRefused("confirm_required", "the agreement was not confirmed")
    recorded = case_team.record_meeting_consent(db.session, intake, current_user, mode="verbal")
    audit("intake_meeting_consent", intake.id)
    db.session.commit()
    flash(gettext("Recorded: the resident agreed to the multi-agency support meeting. The cooperating offices now see the case.")
          if recorded else gettext("The resident's agreement to the multi-agency support meeting was already recorded."), "success")
    return redirect(url_for("inbox.detail", intake_id=intake.id))


@bp.post("/intakes/<intake_id>/meetings")
@login_required
def record_meeting(intake_id: str):
    """A decision a meeting took about the case (plan, re-plan, end, interruption)."""
    intake = _posted_intake(intake_id)
    try:
        event = case_team.record_meeting(db.session, intake, current_user, kind=request.form.get("kind", ""),
                                         decision=request.form.get("decision", ""),
                                         held_on=request.form.get("held_on", ""), note=_note())
    except ConsentRequired:
        db.session.rollback()
        flash(gettext("The resident has not agreed to the multi-agency support meeting, so no decision of one "
                      "can be recorded. Record their agreement first, or record the decision of a support "
                      "meeting under the Social Welfare Act (art. 106-6)."), "error")
        return redirect(url_for("inbox.detail", intake_id=intake.id))
    audit("intake_meeting", intake.id)
    db.session.commit()
    flash(gettext("Meeting decision recorded: %(decision)s.",
                  decision=gettext(MEETING_DECISIONS[event.details["decision"]])), "success")
    return redirect(url_for("inbox.detail", intake_id=intake.id))


@bp.post("/intakes/<intake_id>/contacts")
@login_required
def log_contact(intake_id: str):
    """One contact made or tried, by the lead or a cooperating office."""
    intake = _posted_intake(intake_id)
    entry = case_team.log_contact(db.session, intake, current_user, kind=request.form.get("kind", ""),
                                  result=request.form.get("result", ""),
                                  contacted_on=request.form.get("contacted_on", ""),
                                  next_contact_on=request.form.get("next_contact_on") or None, note=_note())
    audit("intake_contact", intake.id)
    db.session.commit()
    if entry.result == "not_reached":
        flash(gettext("Contact recorded: not reached (%(n)s failed contact attempts so far).",
                      n=intake.failed_contacts), "success")
    else:
        flash(gettext("Contact recorded."), "success")
    return redirect(url_for("inbox.detail", intake_id=intake.id))


PASSED_ON_PAGE = 100


@bp.get("/passed-on")
@login_required
def passed_on():
    """Cases our office passed on (returned, transferred, handed back): where each is now,
    its status and how it ended, nothing about the resident (実施要綱 L5100-5104)."""
    if current_user.role not in PROVIDER_ROLES or current_user.provider_id is None:
        abort(403)
    try:
        page = int(request.args.get("page") or 1)
    except ValueError:
        abort(400)
    if not 1 <= page <= 10_000:
        abort(400)
    mine = current_user.provider_id
    found = list(db.session.scalars(case_team.passed_on_by(mine).offset((page - 1) * PASSED_ON_PAGE)
                                    .limit(PASSED_ON_PAGE + 1)))
    rows, more = found[:PASSED_ON_PAGE], len(found) > PASSED_ON_PAGE
    when = dict(db.session.execute(
        select(IntakeEvent.intake_id, func.max(IntakeEvent.at))
        .where(IntakeEvent.intake_id.in_([i.id for i in rows]), IntakeEvent.from_provider_id == mine)
        .group_by(IntakeEvent.intake_id)).all()) if rows else {}
    audit("passed_on_list", None)
    db.session.commit()
    names = _office_names()
    items = [{"id": i.id, "short": i.id[:8], "passed_on": when.get(i.id),
              "office": names.get(i.provider.code) if i.provider else None, "status": i.status,
              "outcome": i.outcome, "readable": access.can_read(current_user, i)} for i in rows]
    return render_template("inbox/passed_on.html", items=items, form=FlaskForm(),
                           following=url_for("inbox.passed_on", page=page + 1) if more else None)


def _coordinator() -> None:
    if current_user.role != "coordinator" or not current_user.active:
        abort(403)


BOARD_PAGE = 100


def _board_part(condition, after: str | None):
    """One section of the board: the waiting intakes of `condition` oldest first, a page at
    a time after the intake `after` (keyset: received time, then id)."""
    # The waiting intakes in the words of their partial index (ix_intake_waiting).
    query = access.visible_intakes(current_user).where(Intake.status.in_(worklist.words(sorted(WAITING))), condition)
    if after is not None:
        if not (1 <= len(after) <= 32 and after.isalnum()):
            abort(400)
        last = aliased(Intake)
        query = query.where(tuple_(Intake.created_at, Intake.id) >
                            select(last.created_at, last.id).where(last.id == after).scalar_subquery())
    # Only what the board shows and the overdue rule reads: no personal data is opened.
    rows = list(db.session.scalars(query.order_by(Intake.created_at, Intake.id).limit(BOARD_PAGE + 1).options(
        load_only(Intake.id, Intake.created_at, Intake.status, Intake.priority, Intake.routed_at,
                  Intake.provider_id, raiseload=True))))
    return rows[:BOARD_PAGE], (rows[BOARD_PAGE - 1].id if len(rows) > BOARD_PAGE else None)


@bp.get("/board")
@login_required
def board():
    """The coordinator's board: urgent intakes not yet accepted, and overdue ones, oldest
    first, BOARD_PAGE of each at a time (?urgent_after= / ?late_after=: the last of the page
    before), with how many there are in all."""
    _coordinator()
    now = datetime.now(timezone.utc)
    policy = overdue_policy()
    args = {k: request.args.get(k) or None for k in ("urgent_after", "late_after")}
    urgent, urgent_next = _board_part(Intake.priority == "urgent", args["urgent_after"])
    found, late_next = _board_part(overdue.late_clause(policy, now), args["late_after"])
    late = [(i, overdue.deadline(i, policy)) for i in found if overdue.is_overdue(i, policy, now)]
    # The totals from the waiting tallies (a few rows per day, however many intakes wait).
    urgent_total = reports.waiting_total(db.session, "urgent")
    late_total = reports.overdue_total(db.session, policy, now)

    def following(key: str, value: str | None) -> str | None:
        return url_for("inbox.board", **{k: v for k, v in args.items() if v and k != key}, **{key: value}) \
            if value else None
    return render_template("inbox/board.html", urgent=urgent, late=late, services=SERVICES, form=FlaskForm(),
                           urgent_total=urgent_total, late_total=late_total,
                           urgent_following=following("urgent_after", urgent_next),
                           late_following=following("late_after", late_next))


@bp.get("/directory")
@login_required
def directory():
    _coordinator()
    providers = db.session.scalars(select(Provider).order_by(Provider.service, Provider.id))
    return render_template("inbox/directory.html", providers=list(providers), services=SERVICES,
                           form=FlaskForm())


def _span() -> reports.Period:
    """?period=fy|month|week&on=YYYY-MM-DD (default: this fiscal year, April to March), or
    the span ?from=YYYY-MM-DD&to=YYYY-MM-DD of older links."""
    today = reports.day_of(datetime.now(timezone.utc))
    try:
        if request.args.get("from") or request.args.get("to"):
            start = date.fromisoformat(request.args.get("from") or reports.period("fy", today).start.isoformat())
            end = date.fromisoformat(request.args.get("to") or today.isoformat())
            if end < start:
                abort(400)
            return reports.Period("custom", start, end)
        kind = request.args.get("period") or "fy"
        if kind not in reports.PERIOD_KINDS:
            abort(400)
        return reports.period(kind, date.fromisoformat(request.args.get("on") or today.isoformat()))
    except (ValueError, OverflowError):
        abort(400)


def _csv(text: str, name: str):
    response = current_app.response_class(text.encode("utf-8"), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _counts(span: reports.Period, charts: bool = True):
    threshold = current_app.config["REPORT_MIN_CELL"]
    board = reports.dashboard(db.session, span, overdue_policy())
    locale = str(get_locale() or "ja")
    return threshold, dashboard.figures(board, threshold), dashboard.sections(
        db.session, board, threshold, locale, charts=charts)


@bp.get("/stats")
@login_required
def stats():
    """The coordinator's dashboard for a fiscal year, month or week: counts by place,
    channel, language, service, need, age, subject, area, status and outcome, unique
    persons, response times, returns, transfers, overdue intakes and resource gaps, with
    small counts suppressed. ?format=csv: the same as CSV (?lang=en: in English)."""
    _coordinator()
    span = _span()
    if request.args.get("format") == "csv":
        def build() -> str:
            _threshold, figs, found = _counts(span, charts=False)
            return dashboard.to_csv(dashboard.dashboard_rows(figs, found))
        return _csv(dashboard.in_language(request.args.get("lang"), build),
                    f"tsunagi-counts-{span.start}-{span.end}.csv")
    threshold, figs, found = _counts(span)
    return render_template("inbox/stats.html", span=span, figures=figs, sections=found, threshold=threshold,
                           kinds=reports.PERIOD_KINDS, form=FlaskForm())


@bp.get("/stats/report")
@login_required
def yearly_report():
    """The fiscal year's report, as a printable page or (?format=csv) CSV: intakes by month
    and service, then the dashboard's figures and breakdowns."""
    _coordinator()
    today = reports.day_of(datetime.now(timezone.utc))
    try:
        year = int(request.args.get("fy") or reports.period("fy", today).start.year)
        span = reports.period("fy", date(year, 4, 1))
    except (ValueError, OverflowError):
        abort(400)

    def build() -> str:
        threshold, figs, found = _counts(span, charts=False)
        return dashboard.to_csv(dashboard.yearly_rows(dashboard.yearly(db.session, span, threshold), figs, found))
    if request.args.get("format") == "csv":
        return _csv(dashboard.in_language(request.args.get("lang"), build), f"tsunagi-report-fy{year}.csv")
    threshold, figs, found = _counts(span, charts=False)
    return render_template("inbox/report.html", span=span, year=year, figures=figs, sections=found,
                           report=dashboard.yearly(db.session, span, threshold), threshold=threshold,
                           form=FlaskForm())


@bp.get("/users")
@login_required
def users():
    if not access.manages_users(current_user):
        abort(403)
    query = select(User).order_by(User.username)
    if current_user.role != "admin":
        query = query.where(User.provider_id == current_user.provider_id)
    return render_template("inbox/users.html", users=list(db.session.scalars(query)), form=FlaskForm())


@bp.post("/users/<int:user_id>/disable")
@login_required
def disable_user(user_id: int):
    other = db.session.get(User, user_id)
    if other is None or not access.can_manage(current_user, other):
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    accounts.disable(other)
    audit("user_disabled", None)
    db.session.commit()
    return redirect(url_for("inbox.users"))


@bp.get("/outbox")
@login_required
def outbox():
    """Notification emails as sent (or, without SMTP, as they would be sent)."""
    if current_user.role not in ("coordinator", "admin"):
        abort(403)
    since = datetime.now(timezone.utc) - timedelta(days=30)
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.created_at >= since)
                                  .order_by(OutboxMessage.id.desc()).limit(200))
    # Whether the jobs runner sends the digests, and when the next one goes.
    digest = db.session.get(JobLock, "digest")
    return render_template("inbox/outbox.html", messages=list(messages), form=FlaskForm(), digest=digest,
                           digest_minutes=current_app.config["NOTIFY_DIGEST_MINUTES"])


def _admin() -> None:
    if current_user.role != "admin" or not current_user.active:
        abort(403)


WEBHOOK_ERRORS = {"url": _l("The address must be an http or https URL."),
                  "secret": _l("The secret must have at least 16 characters.")}


def _offices(form: WebhookForm) -> list[Provider]:
    providers = list(db.session.scalars(select(Provider).where(Provider.active.is_(True)).order_by(Provider.code)))
    form.provider.choices = [(p.code, p.name["ja"]) for p in providers]
    return providers


def _webhook_page(form: WebhookForm, status: int = 200):
    providers = _offices(form)
    hooks = {h.provider_id: h for h in db.session.scalars(select(Webhook))}
    deliveries = list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(100)))
    return render_template("inbox/webhooks.html", form=form, providers=providers, hooks=hooks,
                           deliveries=deliveries, remove_form=FlaskForm()), status


@bp.get("/webhooks")
@login_required
def webhooks_page():
    """The admin's page of the offices' webhooks and the delivery log (no secret is shown)."""
    _admin()
    return _webhook_page(WebhookForm(formdata=None))


@bp.post("/webhooks")
@login_required
def set_webhook():
    """Set an office's webhook; a refused address or secret shows the page again (422)."""
    _admin()
    form = WebhookForm()
    _offices(form)  # the choices the form validates against
    if not form.validate_on_submit():
        return _webhook_page(form, 422)
    provider = db.session.scalar(select(Provider).where(Provider.code == form.provider.data))
    try:
        webhooks.register(db.session, provider, form.url.data, form.secret.data)
    except webhooks.WebhookError as exc:
        form.form_errors.append(WEBHOOK_ERRORS[exc.code])
        return _webhook_page(form, 422)
    audit("webhook_set", None)
    db.session.commit()
    flash(gettext("Webhook saved for %(office)s.", office=provider.name["ja"]), "success")
    return redirect(url_for("inbox.webhooks_page"))


@bp.post("/webhooks/<code>/remove")
@login_required
def remove_webhook(code: str):
    _admin()
    provider = db.session.scalar(select(Provider).where(Provider.code == code))
    if provider is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    webhooks.remove(db.session, provider)
    audit("webhook_removed", None)
    db.session.commit()
    flash(gettext("Webhook removed for %(office)s.", office=provider.name["ja"]), "success")
    return redirect(url_for("inbox.webhooks_page"))


def _manages_kiosks() -> None:
    if current_user.role not in ("coordinator", "admin"):
        abort(403)


def _kiosk_places() -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.kind.in_(KIOSK_KINDS), Location.active.is_(True))
                                   .order_by(Location.id)))


@bp.route("/kiosks", methods=["GET", "POST"])
@login_required
def kiosks():
    """The kiosk devices: add one (its set-up code is shown once), see which are set up, revoke."""
    _manages_kiosks()
    places = _kiosk_places()
    form = KioskDeviceForm()
    form.location.choices = [(p.code, p.name["ja"]) for p in places]
    issued = None
    if form.validate_on_submit():
        place = next(p for p in places if p.code == form.location.data)
        device, code = kiosk_devices.add(db.session, place, form.label.data, current_user.id)
        audit("kiosk_device_added", None)
        db.session.commit()
        issued = {"label": device.label, "code": code, "until": device.code_expires_at,
                  "url": url_for("kiosk.enrol", _external=True)}
    return render_template("inbox/kiosks.html", devices=kiosk_devices.listing(db.session), form=form,
                           issued=issued, now=datetime.now(timezone.utc)), 422 if form.errors else 200


@bp.post("/kiosks/<int:device_id>/revoke")
@login_required
def revoke_kiosk(device_id: int):
    _manages_kiosks()
    device = db.session.get(KioskDevice, device_id)
    if device is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    kiosk_devices.revoke(device)
    audit("kiosk_device_revoked", None)
    db.session.commit()
    flash(gettext("The device %(label)s is revoked: it no longer serves the kiosk.", label=device.label), "success")
    return redirect(url_for("inbox.kiosks"))
