"""Warming a served app before it answers anyone (gunicorn.conf.py).

A worker used to do on its first requests the work that never changes while it runs:
compiling the templates, loading each locale's catalog and Babel's locale data, opening
the furigana dictionary, building the QR encoder's tables, reading the holiday calendar.
Its first resident waited for it, and its memory grew by a third after it was counted as
idle (docs/performance.md, Memory). Here that work is done in gunicorn's master before the
fork, so every worker starts with it done and shares those pages, and each worker touches
the dictionary's mapped file once before it accepts a connection.

The requests are read-only pages of the app's own; the only rows they may store are the
write-once records a first form request keeps (the consent text and form version shown,
the hash pepper when none was made yet).
The engine is disposed afterwards, so no worker inherits a connection.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import inspect

# Read-only pages whose first answer fills the caches a resident's first request would:
# the form in every locale (catalogs, consent text, furigana for Japanese), the
# directory, the health check.
PAGES = ("/healthz", "/api/v1/directory", "/api/v1/openapi.json")


def warm_master(app) -> None:
    """Do the first requests' fixed work in this process (gunicorn's master). Any other
    WSGI app served with this gunicorn.conf.py (the benches' minimal app) is left alone."""
    if "tsunagi.db" not in getattr(app, "extensions", {}):
        return
    from tsunagi.domain import furigana, overdue
    from tsunagi.domain.vocabulary import FURIGANA_LOCALES, LOCALES
    from tsunagi.web import receipt

    for name in app.jinja_env.list_templates(extensions=("html", "txt", "svg", "xml")):
        app.jinja_env.get_template(name)
    engine = app.extensions["tsunagi.db"].kw["bind"]
    if inspect(engine).has_table("municipality"):  # migrated and loaded (script/server does both first)
        client = app.test_client()
        for locale in LOCALES:
            client.get(f"/api/v1/forms/intake-default?locale={locale}")
        for path in PAGES:
            client.get(path)
    # What a submit uses besides the database: the QR encoder and the business-day calendar.
    receipt.qr_svg("https://tsunagi.invalid/f#" + "0" * 43)
    overdue.add_business_days(datetime.now(timezone.utc), 2)
    if FURIGANA_LOCALES:
        furigana.Reader().segments("相談窓口の受付時間")
    engine.dispose()


def warm_worker(app) -> None:
    """In each worker after the fork, before it accepts a connection: the dictionary's
    pages, mapped in the master, are mapped into this process by a first use (a file
    mapping is not copied by fork), and one submit is rehearsed and rolled back
    (`rehearse_submit`)."""
    if "tsunagi.db" not in getattr(app, "extensions", {}):
        return
    from tsunagi.domain import furigana

    furigana.Reader().segments("相談窓口の受付時間 住所 電話番号")
    rehearse_submit(app)


# A submit as the outreach app sends it, with nothing about anyone: the answers of the
# form's first example, consent to share (so it is routed and an office is told), no contact.
REHEARSAL = {"form_id": "intake-default", "locale": "ja", "channel": "outreach",
             "answers": {"subject": "self", "age_band": "65_plus", "concerns": ["elder_care"], "danger_now": "no"},
             "consent": {"mode": "self", "scopes": {"share_with_provider": True, "multi_agency_meeting": False,
                                                    "contact_methods": []}}}


def rehearse_submit(app) -> bool:
    """Run the API's submit once in this process and roll it back: validation, consent,
    triage, routing, sealing, the follow-up secrets and QR code, the receipt, the tallies
    and the notification are done as for a resident and nothing is kept (no row, no mail:
    mail is sent only after a commit). A worker's first resident no longer waits for the
    statements to be compiled and the libraries' code to be paged in, and that memory is
    the worker's before it is counted as idle. Needs an active outreach location; without
    one (or an unmigrated database) there is nothing to rehearse. Returns whether it ran."""
    from sqlalchemy import select

    from forms.spec import load_consent
    from tsunagi.domain.models import Location
    from tsunagi.web.context import consent_text, notify_after_submit
    from tsunagi.web.extensions import db

    engine = app.extensions["tsunagi.db"].kw["bind"]
    create = app.extensions.get("tsunagi.submit_rehearsal")  # the API's submit, registered by api.intakes
    if create is None or not inspect(engine).has_table("location"):
        return False
    with app.test_request_context("/api/v1/intakes", method="POST"):
        session = db.session
        try:
            code = session.scalar(select(Location.code).where(Location.kind == "outreach", Location.active.is_(True))
                                  .order_by(Location.id).limit(1))
            if code is None:
                return False
            body = {**REHEARSAL, "location": code,
                    "consent": {**REHEARSAL["consent"], "version": consent_text(session, load_consent(), "ja")[1]}}
            intake = create(body)
            notify_after_submit(session, intake)
            session.flush()
        except Exception as exc:  # a refusal (another form, another consent text) or the database
            logging.getLogger(__name__).info("no submit rehearsed: %r", exc)
            return False
        finally:
            session.rollback()
    return True
