"""tsunagi: intake and routing for 重層的支援体制整備事業.

`create_app` is the only module that imports the audience packages (kiosk, outreach,
inbox, api); see docs/architecture.md for the floors beneath them.
"""
from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests); see tsunagi.web.config."""
    from forms import spec as form_specs
    from forms.spec import load_consent
    from tsunagi.domain import data_keys, municipality, sealed
    from tsunagi.domain.triage.rules import load_policy
    from tsunagi.web import cli, errors, fonts, i18n, security
    from tsunagi.web import config as settings
    from tsunagi.web.extensions import csrf, db, limiter, login_manager

    # The instance folder (SQLite file, demo key and credentials) may be moved with
    # TSUNAGI_INSTANCE_PATH; it must be known before any other setting is read. The shared
    # templates and static files (the error page, the residents' stylesheet) are the web
    # floor's.
    app = Flask(__name__, instance_path=os.environ.get("TSUNAGI_INSTANCE_PATH") or None,
                template_folder="web/templates", static_folder="web/static", static_url_path="/static/shared")
    settings.init_app(app, config)
    # The municipality's own questions (its data file's `questions:`), which the rules may
    # read. A broken file, or a rule naming an unknown question or choice, stops start-up
    # here, with file, rule and line in the message.
    city_file = app.config["MUNICIPALITY_FILE"]
    questions = municipality.questions_in(city_file) if city_file else ()
    app.extensions["tsunagi.questions"] = questions
    app.extensions["tsunagi.policy"] = load_policy(app.config["TRIAGE_RULES_FILE"],
                                                   tuple(q.canonical() for q in questions))
    db.init_app(app)
    # Keys that cannot open what the database holds stop start-up here, naming the key id.
    engine = app.extensions["tsunagi.db"].kw["bind"]
    try:
        data_keys.check(engine, sealed.ring())
    finally:
        # The check's connection is closed, not pooled: no worker forked from a preloaded
        # app inherits it, and a refused start leaves nothing open.
        engine.dispose()
    i18n.init_app(app)
    fonts.init_app(app)
    # Consent the resident did not understand is no consent: its text must exist in every
    # shipped locale, or the app does not start.
    consent_text = load_consent()
    i18n.require_translations(consent_text.paragraphs, f"consent text {consent_text.id} v{consent_text.version}")
    # So must the intake forms: a malformed or untranslated spec names its file and question.
    form_specs.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    register_blueprints(app)
    return app


def register_blueprints(app: Flask) -> None:
    from api import bp as api_bp
    from inbox import bp as inbox_bp
    from kiosk import bp as kiosk_bp
    from outreach import bp as outreach_bp
    from tsunagi.web.health import bp as health_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(inbox_bp, url_prefix="/provider")
    app.register_blueprint(outreach_bp, url_prefix="/outreach")
    app.register_blueprint(api_bp, url_prefix="/api")
