"""Notification emails to providers: only counts and a link, never names or needs.

When: an urgent intake at once (`notify_provider`, in the submit's transaction); the
others in one digest per office at most every N minutes (`digest`, from the jobs
runner); the receiving office when an intake is returned or transferred to it
(`passed_on`); the office when its intakes become overdue, and the coordinator when they
stay overdue longer (`overdue_reminders`). Sent through SMTP when TSUNAGI_SMTP_HOST is
set; always kept in the outbox table (the demo's outbox page shows it). Takes a
`Session`; the caller commits.
"""
from __future__ import annotations

import logging
import smtplib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Callable

from sqlalchemy import case, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from tsunagi.domain import overdue
from tsunagi.domain.models import Intake, IntakeNotice, OutboxMessage, Provider, User
from tsunagi.domain.vocabulary import WAITING

Send = Callable[[OutboxMessage], None]


@dataclass(frozen=True)
class Links:
    """Where a message points: the inbox, its overdue filter, the coordinator's board."""

    inbox: str
    overdue: str
    board: str
logger = logging.getLogger(__name__)


def smtp_sender(host: str, port: int = 25, sender: str = "tsunagi@localhost",
                username: str | None = None, password: str | None = None, starttls: bool = False) -> Send:
    def send(message: OutboxMessage) -> None:
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = sender, message.recipient, message.subject
        email.set_content(message.body)
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            if starttls:
                smtp.starttls()
            if username:
                smtp.login(username, password or "")
            smtp.send_message(email)

    return send


def _waiting(session: Session, provider_id: int) -> tuple[int, int]:
    """How many intakes wait for the office, and how many of them are urgent (the index only)."""
    return tuple(session.execute(
        select(func.count(), func.coalesce(func.sum(case((Intake.priority == "urgent", 1), else_=0)), 0))
        .select_from(Intake).where(Intake.provider_id == provider_id, Intake.status.in_(WAITING))).one())


def _write(session: Session, recipients, subject: str, body: str) -> list[OutboxMessage]:
    messages = [OutboxMessage(recipient=address, subject=subject, body=body) for address in recipients]
    session.add_all(messages)
    session.flush()
    return messages


def _office_addresses(session: Session, provider_id: int):
    return session.scalars(select(User.email).where(
        User.provider_id == provider_id, User.active.is_(True), User.email.is_not(None)))


def notify_provider(session: Session, provider_id: int, links: Links,
                    gettext: Callable[[str], str]) -> list[OutboxMessage]:
    """Write to the outbox, for the provider's users, how many intakes wait for them (and
    how many are urgent), in the caller's transaction: the message is committed with the
    intake that caused it, or not at all. `deliver` sends it after the commit."""
    new, urgent = _waiting(session, provider_id)
    subject = gettext("Tsunagi: %(new)s new intakes (%(urgent)s urgent)") % {"new": new, "urgent": urgent}
    body = gettext("%(new)s intakes are waiting for your office, %(urgent)s of them urgent.\n"
                   "Open the inbox to see them:\n%(url)s\n") % {"new": new, "urgent": urgent, "url": links.inbox}
    return _write(session, _office_addresses(session, provider_id), subject, body)


def _not_noticed(kind: str):
    """The intake has no notice of `kind` for its current routing."""
    return ~exists().where(IntakeNotice.intake_id == Intake.id, IntakeNotice.kind == kind,
                           IntakeNotice.routed_at == Intake.routed_at)


def _mark(session: Session, ids: list[str], kind: str) -> None:
    """Record notices of `kind` for `ids`, copying each routing time as the database keeps
    it (so it compares equal, whatever precision the column was written with)."""
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        session.execute(insert(IntakeNotice).from_select(
            ["intake_id", "kind", "routed_at"],
            select(Intake.id, literal(kind), Intake.routed_at).where(Intake.id.in_(chunk), _not_noticed(kind))))


def digest(session: Session, links: Links, gettext: Callable[[str], str]) -> list[OutboxMessage]:
    """One message per office that received intakes not yet counted in a digest: how many
    came, how many wait, how many are urgent. The jobs runner calls it once per interval
    (TSUNAGI_NOTIFY_DIGEST_MINUTES), so an office hears at most that often."""
    rows = session.execute(select(Intake.id, Intake.provider_id).where(
        Intake.provider_id.is_not(None), Intake.status.in_(WAITING), _not_noticed("digest"))).all()
    _mark(session, [row.id for row in rows], "digest")
    messages: list[OutboxMessage] = []
    for provider_id, new in sorted(Counter(row.provider_id for row in rows).items()):
        waiting, urgent = _waiting(session, provider_id)
        subject = gettext("Tsunagi: %(new)s new intakes (%(urgent)s urgent)") % {"new": new, "urgent": urgent}
        body = gettext("%(new)s new intakes came to your office since the last message. %(waiting)s intakes are "
                       "waiting, %(urgent)s of them urgent.\nOpen the inbox to see them:\n%(url)s\n") % {
            "new": new, "waiting": waiting, "urgent": urgent, "url": links.inbox}
        messages += _write(session, _office_addresses(session, provider_id), subject, body)
    session.flush()
    return messages


def passed_on(session: Session, intake: Intake, action: str, links: Links,
              gettext: Callable[[str], str]) -> list[OutboxMessage]:
    """Tell the office an intake was just returned (つなぎもどし) or transferred to, in the
    transition's transaction: that one came, and the link; nothing about the resident."""
    if intake.provider_id is None:
        return []
    if action == "return":
        subject = gettext("Tsunagi: an intake was returned to your office")
        body = gettext("Another office returned an intake to your office.")
    elif action == "hand_back":
        subject = gettext("Tsunagi: the multi-agency team handed a case to your office")
        body = gettext("The multi-agency team named your office the lead office of a case. "
                       "The team stays on the case as a cooperating office.")
    else:
        subject = gettext("Tsunagi: an intake was transferred to your office")
        body = gettext("An intake was transferred to your office.")
    waiting, urgent = _waiting(session, intake.provider_id)
    body += "\n" + gettext("%(new)s intakes are waiting for your office, %(urgent)s of them urgent.\n"
                           "Open the inbox to see them:\n%(url)s\n") % {"new": waiting, "urgent": urgent, "url": links.inbox}
    return _write(session, _office_addresses(session, intake.provider_id), subject, body)


def overdue_reminders(session: Session, policy: overdue.Policy, links: Links, gettext: Callable[[str], str], *,
                      escalate_after: timedelta, now: datetime | None = None) -> list[OutboxMessage]:
    """Remind each office of its intakes that became overdue (once per intake and routing),
    and tell the coordinators of those still waiting `escalate_after` past their deadline
    (once too). Counts per office only."""
    now = now or datetime.now(timezone.utc)
    waiting = session.execute(
        select(Intake.id, Intake.provider_id, Intake.priority, Intake.routed_at, Intake.status,
               (~_not_noticed("reminder")).label("reminder"), (~_not_noticed("escalation")).label("escalation"))
        .where(Intake.status.in_(WAITING), Intake.provider_id.is_not(None),
               Intake.routed_at < now - timedelta(hours=min(policy.urgent_hours, 24))))
    reminders: Counter[int] = Counter()
    escalations: Counter[int] = Counter()
    marks: dict[str, list[str]] = {"reminder": [], "escalation": []}
    for row in waiting:
        if not overdue.is_overdue(row, policy, now):
            continue
        for kind, counter, due in (("reminder", reminders, True),
                                   ("escalation", escalations, now > overdue.deadline(row, policy) + escalate_after)):
            if due and not getattr(row, kind):
                counter[row.provider_id] += 1
                marks[kind].append(row.id)
    for kind, ids in marks.items():
        _mark(session, ids, kind)
    messages: list[OutboxMessage] = []
    for provider_id, n in sorted(reminders.items()):
        subject = gettext("Tsunagi: %(n)s intakes are overdue") % {"n": n}
        body = gettext("%(n)s intakes at your office passed their deadline without being accepted.\n"
                       "Open the inbox to see them:\n%(url)s\n") % {"n": n, "url": links.overdue}
        messages += _write(session, _office_addresses(session, provider_id), subject, body)
    if escalations:
        hours = int(escalate_after.total_seconds() // 3600)
        offices = {p.id: p for p in session.scalars(select(Provider).where(Provider.id.in_(escalations)))}
        lines = "".join(f"- {offices[pid].name.get('ja') or offices[pid].code}: {n}\n"
                        for pid, n in sorted(escalations.items()))
        subject = gettext("Tsunagi: %(n)s intakes are still overdue") % {"n": sum(escalations.values())}
        body = (gettext("These offices have intakes that are more than %(hours)s hours past their deadline:")
                % {"hours": hours} + "\n" + lines
                + gettext("Open the board to see them:\n%(url)s\n") % {"url": links.board})
        coordinators = session.scalars(select(User.email).where(
            User.role == "coordinator", User.active.is_(True), User.email.is_not(None)))
        messages += _write(session, coordinators, subject, body)
    session.flush()
    return messages


def deliver(messages: list[OutboxMessage], send: Send) -> int:
    """Send committed outbox messages; returns how many went (the caller commits their
    `sent_at`). A mail server that fails loses nothing: the message stays unsent in the outbox."""
    sent = 0
    for message in messages:
        try:
            send(message)
            message.sent_at = datetime.now(timezone.utc)
            sent += 1
        except (OSError, smtplib.SMTPException):
            # No address or content in the log.
            logger.warning("notification mail could not be sent; kept in the outbox")
    return sent
