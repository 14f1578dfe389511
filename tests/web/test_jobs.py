"""`flask jobs run`: the office's digest, the notice of a return or transfer and the
overdue reminders through a real SMTP server on loopback; signed webhooks to a real HTTP
receiver on loopback, retried after a failure; one run per interval across runners."""
from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, ROOT
from tests.inbox.test_inbox import login
from tests.kiosk_helpers import Journey, csrf_token
from tsunagi.domain import accounts, jobs, webhooks
from tsunagi.domain.models import Intake, JobLock, WebhookDelivery

ELDERLY_KITA = {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "kita"}
CONTACT = {"name": "Ana Lima", "phone": "090-1111-2222"}
PRIVATE = ("Ana", "Lima", "090-1111-2222", "health", "65")


def mails(smtp_server) -> list[tuple[list[str], str, str]]:
    """(recipients, subject, body) of each message the SMTP server received."""
    out = []
    for recipients, content in smtp_server.received:
        message = email.message_from_bytes(content.encode(), policy=email.policy.default)
        out.append((recipients, str(make_header(decode_header(message["Subject"]))),
                    message.get_content()))
    return out


@pytest.fixture
def mail_app(app, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, BASE_URL="https://city.example.jp")
    return app


def run_jobs(app) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_office_gets_one_digest_per_interval_and_urgent_intakes_at_once(mail_app, session, demo, smtp_server):
    accounts.create_user(session, "kita-staff", PASSWORD, "provider_staff", "houkatsu-kita", email="kita@example.jp")
    session.commit()
    for _ in range(2):
        Journey(mail_app.test_client()).answer_all(ELDERLY_KITA, CONTACT)
    assert smtp_server.received == []  # no message per intake
    assert "digest: 1 digest messages" in run_jobs(mail_app)
    [(recipients, subject, body)] = mails(smtp_server)
    assert recipients == ["kita@example.jp"]
    assert "2" in subject and "https://city.example.jp/provider/" in body
    for private in PRIVATE:
        assert private not in subject + body, private
    # within the interval: no second digest, though a third intake came
    Journey(mail_app.test_client()).answer_all(ELDERLY_KITA, CONTACT)
    assert "digest" not in run_jobs(mail_app)
    assert len(smtp_server.received) == 1
    # an urgent intake does not wait for the digest
    Journey(mail_app.test_client()).answer_all({**ELDERLY_KITA, "concerns": ["violence"], "danger_now": "yes"}, CONTACT)
    assert len(smtp_server.received) == 2
    # the next digest counts what came since the last one (the urgent one too)
    session.execute(JobLock.__table__.update().where(JobLock.name == "digest")
                    .values(due_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    session.commit()
    assert "digest: 1 digest messages" in run_jobs(mail_app)
    assert "2" in mails(smtp_server)[2][1]


def test_the_receiving_office_is_told_of_a_return_and_a_transfer(mail_app, session, provider_users, make_intake,
                                                                 smtp_server):
    for user in session.scalars(select(accounts.User)):
        user.email = f"{user.username}@example.jp"
    session.commit()
    intake = make_intake().intake  # at houkatsu-minami
    minami = mail_app.test_client()
    login(minami, "houkatsu-minami")
    page = minami.get(f"/provider/intakes/{intake.id}")
    minami.post(f"/provider/intakes/{intake.id}/transitions",
                data={"action": "transfer", "to_provider": "houkatsu-kita", "reason": "moved", "confirm": "yes",
                      "csrf_token": csrf_token(page.text)})
    [(recipients, subject, body)] = mails(smtp_server)
    assert recipients == ["houkatsu-kita@example.jp"] and "転送" in subject
    assert "https://city.example.jp/provider/" in body
    kita = mail_app.test_client()
    login(kita, "houkatsu-kita")
    page = kita.get(f"/provider/intakes/{intake.id}")
    back = kita.post(f"/provider/intakes/{intake.id}/transitions", follow_redirects=True,
              data={"action": "return", "return_reason": "wrong_area", "to_provider": "houkatsu-minami", "reason": "area",
                    "confirm": "yes", "csrf_token": csrf_token(page.text)})
    session.refresh(intake)
    assert back.status_code == 200
    assert (intake.status, intake.provider.code) == ("returned", "houkatsu-minami")
    recipients, subject, body = mails(smtp_server)[1]
    assert recipients == ["houkatsu-minami@example.jp"] and "つなぎもどし" in subject
    for private in ("山田", "花子", "090-1234-5678", "moved"):
        assert private not in subject + body, private


def test_overdue_intakes_remind_the_office_then_the_coordinator(mail_app, session, provider_users, make_intake,
                                                                smtp_server):
    accounts.create_user(session, "coord", PASSWORD, "coordinator", email="coord@example.jp")
    session.scalar(select(accounts.User).where(accounts.User.username == "houkatsu-minami")).email = "minami@example.jp"
    urgent = {"subject": "self", "age_band": "65_plus", "danger_now": "yes", "area": "minami"}
    late, later, fresh = make_intake(answers=urgent).intake, make_intake().intake, make_intake().intake
    assert (late.priority, later.priority, late.provider_id) == ("urgent", "normal", later.provider_id)
    now = datetime.now(timezone.utc)
    late.routed_at = now - timedelta(hours=5)  # past its 4 hours, not yet 24 h more
    later.routed_at = now - timedelta(days=14)  # past its 2 business days and 24 h more
    session.add(JobLock(name="digest", due_at=now + timedelta(hours=1)))  # this test is not about the digest
    session.commit()
    assert "overdue: 2 overdue reminders" in run_jobs(mail_app)
    (office_to, office_subject, office_body), (coord_to, coord_subject, coord_body) = mails(smtp_server)
    assert office_to == ["minami@example.jp"] and "2" in office_subject and "overdue=1" in office_body
    assert coord_to == ["coord@example.jp"] and "1" in coord_subject and "/provider/board" in coord_body
    assert "地域包括支援センター" in coord_body
    for private in ("山田", "花子", "090-1234-5678", late.id, later.id, fresh.id):
        assert private not in office_body + coord_body, private
    # once per intake: the next pass (made due) sends nothing new
    session.execute(JobLock.__table__.update().where(JobLock.name == "overdue").values(due_at=now))
    session.commit()
    assert "overdue: nothing to do" in run_jobs(mail_app)
    assert len(smtp_server.received) == 2


class Receiver:
    """A provider's system on loopback: records each POST and answers with the next status."""

    def __init__(self, statuses):
        self.requests: list[tuple[dict, str]] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/tsunagi/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


SECRET = "s3cret-shared-with-the-office"


def expected_signature(headers: dict, body: str) -> bool:
    """The receiver's own check (not the product's): HMAC-SHA256 over "<t>.<body>"."""
    fields = dict(part.split("=", 1) for part in headers["Tsunagi-Signature"].split(","))
    mac = hmac.new(SECRET.encode(), f"{fields['t']}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, fields["v1"])


def test_webhooks_are_signed_retried_after_a_failure_and_logged(app, session, provider_users, make_intake):
    accounts.create_user(session, "admin", PASSWORD, "admin")
    session.commit()
    admin = app.test_client()
    login(admin, "admin")
    with Receiver([500]) as receiver:
        page = admin.get("/provider/webhooks")
        assert page.status_code == 200
        short = admin.post("/provider/webhooks", data={"provider": "houkatsu-minami", "url": receiver.url,
                                                       "secret": "short", "csrf_token": csrf_token(page.text)})
        assert short.status_code == 422
        for url in ("file:///etc/passwd", "http://[::1", "https://", "http://" + "a" * 500):
            bad = admin.post("/provider/webhooks", data={"provider": "houkatsu-minami", "url": url,
                                                         "secret": SECRET, "csrf_token": csrf_token(page.text)})
            assert bad.status_code == 422, url
        other = admin.post("/provider/webhooks", data={"provider": "nowhere", "url": receiver.url,
                                                       "secret": SECRET, "csrf_token": csrf_token(page.text)})
        assert other.status_code == 422
        saved = admin.post("/provider/webhooks", data={"provider": "houkatsu-minami", "url": receiver.url,
                                                       "secret": SECRET, "csrf_token": csrf_token(page.text)})
        assert saved.status_code == 302
        Journey(app.test_client(), location="hub-minami").answer_all(
            {"subject": "self", "age_band": "65_plus", "concerns": ["health"], "danger_now": "no", "area": "minami"},
            CONTACT)
        intake = session.scalar(select(Intake))
        assert intake.provider.code == "houkatsu-minami"
        t0 = datetime.now(timezone.utc)
        assert webhooks.deliver_due(session, now=t0) == (0, 1)  # the receiver answered 500
        [(headers, body)] = receiver.requests
        assert expected_signature(headers, body)
        payload = json.loads(body)
        assert payload["event"] == "routed" and payload["intake_id"] == intake.id
        assert payload["status"] == "received" and payload["provider"] == "houkatsu-minami"
        for private in ("Ana", "Lima", "090-1111-2222", "health", "65_plus", "山田"):
            assert private not in body, private
        # exponential backoff: not again before the first retry's wait, then once
        assert webhooks.deliver_due(session, now=t0 + timedelta(seconds=30)) == (0, 0)
        assert webhooks.deliver_due(session, now=t0 + timedelta(seconds=61)) == (1, 0)
        assert len(receiver.requests) == 2 and receiver.requests[1][1] == body
        assert expected_signature(*receiver.requests[1])
        assert receiver.requests[1][0]["Tsunagi-Signature"] != headers["Tsunagi-Signature"]  # signed anew
        # a status change is an event too
        staff = session.scalar(select(accounts.User).where(accounts.User.username == "houkatsu-minami"))
        api = app.test_client()
        moved = api.post(f"/api/v1/intakes/{intake.id}/transitions", json={"action": "accept"},
                         headers={"Authorization": f"Bearer {provider_users['houkatsu-minami']}"})
        assert moved.status_code == 200, staff
        assert webhooks.deliver_due(session, now=t0 + timedelta(seconds=62)) == (1, 0)
        assert json.loads(receiver.requests[2][1])["event"] == "status_changed"
        assert json.loads(receiver.requests[2][1])["status"] == "accepted"
    log = admin.get("/provider/webhooks").text
    assert "routed" in log and "status_changed" in log and "500" in log
    assert SECRET not in log
    delivery = session.scalar(select(WebhookDelivery).order_by(WebhookDelivery.id))
    assert delivery.attempts == 2 and delivery.delivered_at is not None and SECRET not in delivery.body


def test_a_webhook_that_keeps_failing_is_given_up(session, demo, make_intake):
    from tests.browser.conftest import free_port

    office = make_intake().intake.provider
    webhooks.register(session, office, f"http://127.0.0.1:{free_port()}/", SECRET)  # nothing listens
    intake = make_intake().intake
    webhooks.record(session, intake, "routed")
    session.commit()
    settings = webhooks.Settings(max_attempts=3, retry_seconds=10)
    at = datetime.now(timezone.utc)
    waits = []
    for _ in range(3):
        assert webhooks.deliver_due(session, settings, now=at) == (0, 1)
        delivery = session.scalar(select(WebhookDelivery))
        waits.append(delivery.next_attempt_at - at)
        at = delivery.next_attempt_at
    assert waits[:2] == [timedelta(seconds=10), timedelta(seconds=20)]
    assert delivery.gave_up_at is not None and delivery.last_status is None
    assert webhooks.deliver_due(session, settings, now=at + timedelta(days=1)) == (0, 0)


@pytest.mark.commits
def test_two_runners_at_once_claim_a_job_once(engine, connection):
    """Eight runners claim the same job at the same moment: exactly one gets it."""
    now = datetime.now(timezone.utc)
    barrier = threading.Barrier(8)
    results = []

    def runner(i):
        with Session(engine) as session:
            barrier.wait()
            results.append(jobs.claim(session, "race", every=timedelta(minutes=30), lease=timedelta(minutes=5),
                                      now=now, holder=f"runner-{i}"))

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


@pytest.mark.commits
def test_two_jobs_run_once_commands_at_the_same_time_run_each_job_once(database_url, connection, tmp_path):
    env = {**os.environ, "TSUNAGI_DATABASE_URL": database_url, "TSUNAGI_SECRET_KEY": "x" * 64,
           "TSUNAGI_INSTANCE_PATH": str(tmp_path)}
    flask = Path(sys.executable).parent / "flask"
    subprocess.run([flask, "--app", "wsgi", "municipality", "load", "--demo"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    commands = [subprocess.Popen([flask, "--app", "wsgi", "jobs", "run", "--once"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [c.communicate(timeout=120) for c in commands]
    assert [c.returncode for c in commands] == [0, 0], outputs
    lines = "".join(out for out, _err in outputs).splitlines()
    ran = sorted(line.split(":", 1)[0] for line in lines)
    assert ran == sorted(["digest", "overdue", "webhooks", "unsent_mail", "retention"]), outputs


def test_the_delivery_log_forgets_ended_deliveries_after_its_days(session, demo, make_intake):
    intake = make_intake().intake
    webhooks.register(session, intake.provider, "https://office.example.jp/hook", SECRET)
    old, recent, pending = (webhooks.record(session, intake, "routed") for _ in range(3))
    now = datetime.now(timezone.utc)
    old.delivered_at, recent.gave_up_at = now - timedelta(days=91), now - timedelta(days=1)
    session.commit()
    assert webhooks.purge(session, now - timedelta(days=90)) == 1
    assert {d.id for d in session.scalars(select(WebhookDelivery))} == {recent.id, pending.id}


def test_a_receiver_can_verify_a_signature_and_refuse_a_replay():
    now = datetime.now(timezone.utc)
    body = '{"event":"routed"}'
    header = webhooks.signature(SECRET, int(now.timestamp()), body)
    assert expected_signature({"Tsunagi-Signature": header}, body)
    assert webhooks.verify(SECRET, header, body, now=now)
    assert not webhooks.verify(SECRET, header, body + " ", now=now)
    assert not webhooks.verify("another-secret-of-16+", header, body, now=now)
    assert not webhooks.verify(SECRET, header, body, now=now + timedelta(minutes=6))
    assert not webhooks.verify(SECRET, "v1=abc", body, now=now)


def test_the_outbox_page_says_when_the_next_digest_goes(app, session, demo):
    accounts.create_user(session, "coord", PASSWORD, "coordinator")
    session.commit()
    coordinator = app.test_client()
    login(coordinator, "coord")
    assert "flask jobs run" in coordinator.get("/provider/outbox").text  # the runner never ran
    run_jobs(app)
    page = coordinator.get("/provider/outbox").text
    assert "flask jobs run" not in page and "30 分おき" in page
