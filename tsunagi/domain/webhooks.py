"""Signed webhooks: an office's own system is told of each event on its intakes, so it
need not poll the inbox API.

Each event (routed, returned, transferred, status_changed) becomes one `WebhookDelivery`
per office with a webhook, written in the transaction that caused it; `deliver_due`
POSTs it later (the jobs runner). The body carries no personal data: the event, the
intake's opaque id, its status and priority, the office's code and times. The header
`Tsunagi-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`
lets the office check where it came from and when (reject an old `t`: a replay). A
failure is retried with exponential backoff, up to `Settings.max_attempts`. The secret
is sealed at rest and never written to a log or the delivery log. Takes a `Session`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from tsunagi.domain.models import Intake, Provider, Webhook, WebhookDelivery
from tsunagi.domain.vocabulary import WEBHOOK_EVENTS

SIGNATURE_HEADER = "Tsunagi-Signature"
logger = logging.getLogger(__name__)


class WebhookError(ValueError):
    """A webhook that cannot be registered: `code` names the field for the form."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Settings:
    max_attempts: int = 8
    retry_seconds: int = 60  # the first retry; each next waits twice as long
    timeout_seconds: int = 10
    batch: int = 100


def register(session: Session, provider: Provider, url: str, secret: str) -> Webhook:
    """Set (or replace) `provider`'s webhook.

    :raise WebhookError: the URL is not http(s) with a host, or the secret is shorter than 16
        characters (an HMAC key anyone could guess protects nothing)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. a broken IPv6 literal
        host = None
    if host is None or parts.scheme not in ("http", "https") or len(url) > 500:
        raise WebhookError("url", "the address must be an http or https URL")
    if len(secret) < 16:
        raise WebhookError("secret", "the secret must have at least 16 characters")
    hook = session.get(Webhook, provider.id)
    if hook is None:
        hook = Webhook(provider_id=provider.id, url=url, secret=secret)
        session.add(hook)
    else:
        hook.url, hook.secret = url, secret
    session.flush()
    return hook


def remove(session: Session, provider: Provider) -> None:
    hook = session.get(Webhook, provider.id)
    if hook is not None:
        session.delete(hook)
        session.flush()


def record(session: Session, intake: Intake, event: str, *, to_provider: int | None = None,
           now: datetime | None = None) -> WebhookDelivery | None:
    """Queue `event` on `intake` for the webhook of `to_provider` (default: the office that
    has the intake now), if it has one. `provider` in the body is the office that has it."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    owner = to_provider or intake.provider_id
    if owner is None or session.get(Webhook, owner) is None:
        return None
    now = now or datetime.now(timezone.utc)
    delivery = WebhookDelivery(provider_id=owner, event=event, body="", next_attempt_at=now)
    session.add(delivery)
    session.flush()
    provider = session.get(Provider, intake.provider_id) if intake.provider_id else None
    delivery.body = json.dumps({
        "delivery": delivery.id, "event": event, "intake_id": intake.id, "status": intake.status,
        "priority": intake.priority, "provider": provider.code if provider else None, "occurred_at": now.isoformat(),
        "routed_at": intake.routed_at.isoformat() if intake.routed_at else None,
    }, separators=(",", ":"), sort_keys=True)
    session.flush()
    return delivery


def signature(secret: str, timestamp: int, body: str) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: str, *, now: datetime, tolerance: timedelta = timedelta(minutes=5)) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    fields = dict(part.partition("=")[::2] for part in header.split(","))
    if not fields.get("t", "").isdigit() or "v1" not in fields:
        return False
    timestamp = int(fields["t"])
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header.strip())


def _post(url: str, body: str, headers: dict[str, str], timeout: int) -> int:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only: register)
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def attempt(session: Session, delivery: WebhookDelivery, settings: Settings, now: datetime) -> bool:
    """POST one delivery now and record how it went; True when the office answered 2xx."""
    hook = session.get(Webhook, delivery.provider_id)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    if hook is None:  # the office removed its webhook meanwhile
        delivery.last_status, delivery.last_error, delivery.gave_up_at = None, "no webhook", now
        return False
    headers = {SIGNATURE_HEADER: signature(hook.secret, int(now.timestamp()), delivery.body),
               "Tsunagi-Event": delivery.event, "Tsunagi-Delivery": str(delivery.id)}
    try:
        status, error = _post(hook.url, delivery.body, headers, settings.timeout_seconds), None
    except (OSError, ValueError) as exc:  # unreachable, refused, timed out, TLS
        status, error = None, type(exc).__name__
    delivery.last_status = status
    if status is not None and 200 <= status < 300:
        delivery.delivered_at, delivery.last_error = now, None
        return True
    delivery.last_error = error or f"HTTP {status}"
    # The office and the outcome only: the URL may hold a token, and the secret never goes out.
    logger.warning("webhook delivery %s to office %s failed (%s), attempt %s",
                   delivery.id, delivery.provider_id, delivery.last_error, delivery.attempts)
    if delivery.attempts >= settings.max_attempts:
        delivery.gave_up_at = now
    else:
        delivery.next_attempt_at = now + timedelta(seconds=settings.retry_seconds * 2 ** (delivery.attempts - 1))
    return False


def deliver_due(session: Session, settings: Settings = Settings(), now: datetime | None = None) -> tuple[int, int]:
    """Attempt every delivery that is due; commits after each. Returns (delivered, failed)."""
    now = now or datetime.now(timezone.utc)
    due = list(session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.gave_up_at.is_(None),
                                      WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id).limit(settings.batch)))
    delivered = failed = 0
    for delivery in due:
        if attempt(session, delivery, settings, now):
            delivered += 1
        else:
            failed += 1
        session.commit()
    return delivered, failed


def purge(session: Session, before: datetime) -> int:
    """Delete the log of deliveries that ended (delivered or given up) before `before`."""
    return session.execute(delete(WebhookDelivery).where(
        or_(WebhookDelivery.delivered_at < before, WebhookDelivery.gave_up_at < before))).rowcount or 0
