"""Settings: defaults here, then `TSUNAGI_*` environment variables, then the factory's
`config` argument (tests)."""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

from tsunagi.domain import ROOT, sealed

DEFAULTS = {
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "DEMO": False,
    # Keys that seal personal data at rest (tsunagi.domain.sealed): comma-separated, the
    # first encrypts. Or DATA_KEYS_FILE, a file outside the database holding them.
    "DATA_KEYS": None,
    "DATA_KEYS_FILE": None,
    # Base URL printed in QR codes; behind a proxy set it to the public https address.
    "BASE_URL": None,
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: none,
    # the headers are ignored). The client address they give keys rate limits and the audit.
    "PROXY_HOPS": 0,
    "KIOSK_DRAFT_TTL_MINUTES": 60,
    # Whether a kiosk page needs an enrolled device (tsunagi.domain.kiosk_devices); default:
    # yes, except in the demo, where any browser may try the public kiosks.
    "KIOSK_ENROLMENT": None,
    # POSTs per enrolled kiosk device (the journey takes about fifteen).
    "KIOSK_RATE_LIMIT": "60 per minute",
    # Kiosk idle reset: a warning after this many seconds without input, then a countdown
    # (WCAG 2.2.1 wants at least 20 s to answer it) before the screen is cleared.
    "KIOSK_IDLE_SECONDS": 90,
    "KIOSK_WARNING_SECONDS": 20,
    # Directory of the intake form specs (<form id>.yaml); default: the forms/ package.
    "FORMS_DIR": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "FOLLOW_UP_RATE_LIMIT": "6 per minute",
    "LOGIN_RATE_LIMIT": "6 per minute",
    # Outreach app: how long a session token lives after the worker signs in.
    "SESSION_TOKEN_HOURS": 12,
    "BABEL_DEFAULT_LOCALE": "ja",
    # Provider side (issue: inbox)
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "OVERDUE_BUSINESS_DAYS": 2,
    "OVERDUE_URGENT_HOURS": 4,
    "DUPLICATE_WINDOW_DAYS": 30,
    # The coordinator's counts show any count from 1 to this minus 1 as "<N" (page, CSV, charts).
    "REPORT_MIN_CELL": 3,
    "INTERRUPT_AFTER_FAILED_CONTACTS": 3,
    "FOLLOW_UP_DAYS_AFTER_CLOSURE": 180,
    # Retention: days after a case ended (closed, interrupted, never shared) until its
    # identifying fields and answers are erased by `flask retention purge`; the statistics stay.
    "RETENTION_DAYS_AFTER_END": 1825,
    # Notification email; without SMTP_HOST messages are kept in the outbox only.
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_SENDER": "tsunagi@localhost",
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    # `flask jobs run`: how often it wakes (webhook deliveries go out then), and how long a
    # runner holds a job before another may take it over (a runner that died).
    "JOBS_TICK_SECONDS": 15,
    "JOBS_LEASE_MINUTES": 10,
    # An office hears of its new intakes in one digest at most this often (urgent ones at once).
    "NOTIFY_DIGEST_MINUTES": 30,
    # How often overdue intakes are looked for (a reminder to the office, once per intake),
    # and how many hours past the deadline the coordinator is told of them.
    "OVERDUE_REMINDER_MINUTES": 15,
    "OVERDUE_ESCALATE_HOURS": 24,
    # Webhooks: attempts before giving up, the first retry's wait (doubling each time), timeout.
    "WEBHOOK_MAX_ATTEMPTS": 8,
    "WEBHOOK_RETRY_SECONDS": 60,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    # The delivery log keeps ended deliveries this many days (the daily retention job).
    "WEBHOOK_LOG_DAYS": 90,
    # A municipality's own rules file (see tsunagi/domain/triage/default.yaml); default: DOMAIN.md's,
    # and in the demo municipalities/demo-rules.yaml (DOMAIN.md's, with a rule on the demo's question).
    "TRIAGE_RULES_FILE": None,
    # The municipality's data file (the one `flask municipality load` reads): the app asks its
    # own `questions:` with the intake form, and the rules may read them; default: the demo's.
    "MUNICIPALITY_FILE": None,
}


class ConfigError(RuntimeError):
    pass


def _demo_secret(instance: Path) -> str:
    # The demo keeps one generated key in the instance folder so that every gunicorn
    # worker signs sessions with the same key.
    path = instance / "secret-key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _demo_data_keys(instance: Path) -> str:
    # Demo only: the key sits beside the SQLite file, so it protects nothing there; a
    # municipality sets TSUNAGI_DATA_KEYS (or a key file) from its secret store.
    path = instance / "data-keys"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(sealed.new_key() + "\n")
        path.chmod(0o600)
    return path.read_text()


def data_keys(app: Flask) -> sealed.KeyRing:
    """The data keys from the settings.

    :raise ConfigError: none set outside the demo, an unreadable key file, or a malformed key.
    """
    try:
        if app.config.get("DATA_KEYS"):
            return sealed.parse_keys(str(app.config["DATA_KEYS"]))
        if app.config.get("DATA_KEYS_FILE"):
            path = Path(app.config["DATA_KEYS_FILE"])
            try:
                text = path.read_text()
            except OSError as exc:
                raise ConfigError(f"TSUNAGI_DATA_KEYS_FILE {path}: {exc.strerror}") from None
            return sealed.parse_keys(text, f"TSUNAGI_DATA_KEYS_FILE {path}")
        if app.config["DEMO"]:
            return sealed.parse_keys(_demo_data_keys(Path(app.instance_path)), "the demo's data-keys file")
        return sealed.parse_keys(None)
    except sealed.DataKeyError as exc:
        raise ConfigError(f"{exc} Or set TSUNAGI_DEMO=1 to run the demo." if not app.config["DEMO"] else str(exc)) from None


def init_app(app: Flask, overrides: dict | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("TSUNAGI")
    if overrides:
        app.config.from_mapping(overrides)
    instance = Path(app.instance_path)
    if not app.config["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'tsunagi.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        if app.config.get("TESTING"):
            app.config["SECRET_KEY"] = secrets.token_hex(32)
        elif app.config["DEMO"]:
            app.config["SECRET_KEY"] = _demo_secret(instance)
        else:
            raise ConfigError(
                "TSUNAGI_SECRET_KEY is not set. Generate one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`, "
                "or set TSUNAGI_DEMO=1 to run the demo."
            )
    if not app.config["MUNICIPALITY_FILE"] and (app.config["DEMO"] or app.config.get("TESTING")):
        # The demo's own questions; a municipality names its file, or asks none of its own
        # (never the demo's interpreter question by default).
        app.config["MUNICIPALITY_FILE"] = str(ROOT / "municipalities" / "demo.yaml")
    if not app.config["TRIAGE_RULES_FILE"] and app.config["DEMO"]:
        app.config["TRIAGE_RULES_FILE"] = str(ROOT / "municipalities" / "demo-rules.yaml")
    if app.config["KIOSK_ENROLMENT"] is None:
        app.config["KIOSK_ENROLMENT"] = not app.config["DEMO"]
    app.config["KIOSK_COOKIE_NAME"] = "tsunagi_kiosk"
    sealed.use(data_keys(app))
    if str(app.config.get("BASE_URL") or "").startswith("https://"):
        # Served over HTTPS: the session cookie is sent only over TLS, and the __Host-
        # prefix keeps it to this host and path (no subdomain can set or read it).
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["KIOSK_COOKIE_NAME"] = "__Host-tsunagi_kiosk"
        if app.config.get("SESSION_COOKIE_NAME") in (None, "session"):
            app.config["SESSION_COOKIE_NAME"] = "__Host-session"
            app.config["SESSION_COOKIE_PATH"] = "/"
            app.config["SESSION_COOKIE_DOMAIN"] = None
