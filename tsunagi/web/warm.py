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
    """In each worker after the fork: the dictionary's pages, mapped in the master, are
    mapped into this process by a first use (a file mapping is not copied by fork)."""
    if "tsunagi.db" not in getattr(app, "extensions", {}):
        return
    from tsunagi.domain import furigana

    furigana.Reader().segments("相談窓口の受付時間 住所 電話番号")
