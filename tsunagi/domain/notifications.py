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

from sqlalchemy import func, select
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
                    gettext: Callable[[str], str], send: Send | None = None) -> list[OutboxMessage]:
    """Tell the provider's users how many intakes wait for them (and how many are urgent)."""
    waiting = select(func.count()).select_from(Intake).where(
        Intake.provider_id == provider_id, Intake.status.in_(WAITING))
    new = session.scalar(waiting)
    urgent = session.scalar(waiting.where(Intake.priority == "urgent"))
    recipients = session.scalars(select(User.email).where(
        User.provider_id == provider_id, User.active.is_(True), User.email.is_not(None)))
    subject = gettext("Tsunagi: %(new)s new intakes (%(urgent)s urgent)") % {"new": new, "urgent": urgent}
    body = gettext("%(new)s intakes are waiting for your office, %(urgent)s of them urgent.\n"
                   "Open the inbox to see them:\n%(url)s\n") % {"new": new, "urgent": urgent, "url": inbox_url}
    messages = []
    for address in recipients:
        message = OutboxMessage(recipient=address, subject=subject, body=body)
        session.add(message)
        if send is not None:
            try:
                send(message)
                message.sent_at = datetime.now(timezone.utc)
            except (OSError, smtplib.SMTPException):
                # The intake is routed whatever the mail server does; the message stays
                # unsent in the outbox. No address or content in the log.
                logger.warning("notification mail could not be sent; kept in the outbox")
        messages.append(message)
    session.flush()
    return messages
