"""Notification emails to providers: only counts and a link, never names or needs.

Sent through SMTP when TSUNAGI_SMTP_HOST is set; always kept in the outbox table (the
demo's outbox page shows it). Takes a `Session`; the caller commits.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Callable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tsunagi.domain.models import Intake, OutboxMessage, User
from tsunagi.domain.vocabulary import WAITING

Send = Callable[[OutboxMessage], None]
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


def notify_provider(session: Session, provider_id: int, inbox_url: str,
                    gettext: Callable[[str], str]) -> list[OutboxMessage]:
    """Write to the outbox, for the provider's users, how many intakes wait for them (and
    how many are urgent), in the caller's transaction: the message is committed with the
    intake that caused it, or not at all. `deliver` sends it after the commit."""
    new, urgent = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Intake.priority == "urgent", 1), else_=0)), 0))
        .select_from(Intake).where(Intake.provider_id == provider_id, Intake.status.in_(WAITING))).one()
    recipients = session.scalars(select(User.email).where(
        User.provider_id == provider_id, User.active.is_(True), User.email.is_not(None)))
    subject = gettext("Tsunagi: %(new)s new intakes (%(urgent)s urgent)") % {"new": new, "urgent": urgent}
    body = gettext("%(new)s intakes are waiting for your office, %(urgent)s of them urgent.\n"
                   "Open the inbox to see them:\n%(url)s\n") % {"new": new, "urgent": urgent, "url": inbox_url}
    messages = [OutboxMessage(recipient=address, subject=subject, body=body) for address in recipients]
    session.add_all(messages)
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
