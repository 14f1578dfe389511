"""`flask --app wsgi ...` commands for municipal IT: load data, accounts, triage.

Translation catalogs are handled by `script/translate` (tsunagi.translations), which
works without a running app: the app refuses to start while a consent text is untranslated.
"""
from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, select

from tsunagi.domain import accounts, data_keys, directory, idempotency, municipality, sealed, session_tokens
from tsunagi.domain.datafile import DataFileError
from tsunagi.domain.models import DataKey, User
from tsunagi.domain.triage.answers import InvalidAnswers
from tsunagi.domain.vocabulary import ROLES
from tsunagi.web.extensions import db

municipality_cli = AppGroup("municipality", help="Municipality data (districts, providers...).")
users_cli = AppGroup("users", help="Provider-side accounts.")
demo_cli = AppGroup("demo", help="Demo data (only with TSUNAGI_DEMO=1).")
triage_cli = AppGroup("triage", help="Try the triage rules.")


def require_schema() -> None:
    """Stop with what to do, not a traceback, on a database that was never migrated."""
    if not inspect(db.engine).has_table("district"):
        raise click.ClickException("the database has no tables yet: run `flask --app wsgi db upgrade` "
                                   "(and `flask --app wsgi municipality load FILE`) first")
maintenance_cli = AppGroup("maintenance", help="Housekeeping to run daily (cron or a systemd timer).")


def _load(path: str):
    try:
        return municipality.load_file(path)
    except DataFileError as exc:
        raise click.ClickException(str(exc)) from None


def _check_questions(spec, path: str) -> None:
    """The file's own questions fit the intake forms (their steps) and the app's rules
    read only questions and choices they have."""
    from forms.spec import forms_dir, load_form_file, with_questions
    from tsunagi.domain.triage.rules import load_policy

    try:
        for form in sorted({*forms_dir().glob("intake-*.yaml"), forms_dir() / "intake-default.yaml"}):
            with_questions(load_form_file(form), tuple(spec.questions), path)
        load_policy(current_app.config["TRIAGE_RULES_FILE"], spec.own_questions())
    except DataFileError as exc:
        raise click.ClickException(str(exc)) from None


@municipality_cli.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--require-translations", is_flag=True,
              help="Fail when a name or opening hours lacks a rendering in a shipped locale.")
def municipality_check(path: str, require_translations: bool) -> None:
    """Validate a municipality file without loading it, and list per locale the names and
    hours it does not translate (residents then read the Japanese name, romanised)."""
    spec = _load(path)
    _check_questions(spec, path)
    click.echo(f"{path}: ok ({len(spec.districts)} districts, {len(spec.locations)} locations, "
               f"{len(spec.providers)} providers, {len(spec.questions)} own questions)")
    missing = municipality.missing_translations(spec)
    for locale, gaps in missing.items():
        click.echo(f"{locale}: {len(gaps)} untranslated: {', '.join(gaps)}")
    if not missing:
        click.echo(f"every name and opening hours in {len(municipality.TRANSLATED_LOCALES)} locales besides Japanese")
    elif require_translations:
        sys.exit(1)


@municipality_cli.command("furigana")
@click.argument("path", type=click.Path(dir_okay=False))
def municipality_furigana(path: str) -> None:
    """Print the Japanese names in PATH with the readings residents will see (漢字[かんじ]);
    correct a wrong one under `furigana:` in the file."""
    from tsunagi.domain.furigana import Reader, project_dictionary

    spec = _load(path)
    reader = Reader({**project_dictionary(), **spec.furigana})
    texts = [spec.name.ja] + [item.name.ja for section in (spec.districts, spec.locations, spec.providers)
                              for item in section]
    texts += [p.hours.ja for p in spec.providers]
    for text in dict.fromkeys(t for t in texts if t):
        click.echo("".join(base if reading is None else f"{base}[{reading}]"
                           for base, reading in reader.segments(text)))


@municipality_cli.command("load")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
@click.option("--demo", is_flag=True, help="Load the shipped demo municipality.")
def municipality_load(path: str | None, demo: bool) -> None:
    """Validate PATH and write it to the database (rows are matched by code)."""
    if bool(path) == demo:
        raise click.UsageError("give a PATH or --demo")
    spec = _load(str(municipality.DEMO_FILE) if demo else path)
    municipality.apply(db.session, spec)
    db.session.commit()
    click.echo(f"loaded {spec.code}: {len(spec.districts)} districts, {len(spec.locations)} locations, "
               f"{len(spec.providers)} providers")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--provider", "provider_code", help="Provider code (for provider roles).")
@click.option("--email", help="Where notification emails go.")
def users_create(username: str, role: str, provider_code: str | None, email: str | None) -> None:
    """Create an account; prints its API token once. Asks for a password, except for a
    provider_system account (a provider's own software), which has a token only."""
    password = None
    if role != "provider_system":
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        _user, token = accounts.create_user(db.session, username, password, role, provider_code, email=email)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created {username} ({role}); API token (shown once): {token}")


@demo_cli.command("setup")
def demo_setup() -> None:
    """Load the demo municipality and (re)create demo accounts with fresh passwords.

    Writes them to instance/demo-credentials.json. Refuses outside demo mode.
    """
    if not current_app.config["DEMO"]:
        raise click.ClickException("demo accounts exist only in demo mode (TSUNAGI_DEMO=1)")
    spec = _load(str(municipality.DEMO_FILE))
    municipality.apply(db.session, spec)
    wanted = [(p.code, "provider_staff", p.code) for p in spec.providers]
    wanted += [("coordinator", "coordinator", None), ("admin", "admin", None),
               ("outreach", "outreach_worker", None)]
    credentials = []
    for username, role, provider_code in wanted:
        password = secrets.token_urlsafe(12)
        existing = db.session.scalar(select(User).where(User.username == username))
        if existing is None:
            _user, token = accounts.create_user(db.session, username, password, role, provider_code,
                                                email=f"{username}@demo.invalid")
        else:  # intakes refer to the account (witness, audit): keep it, renew its secrets
            token = accounts.reset_credentials(existing, password)
        credentials.append({"username": username, "password": password, "api_token": token,
                            "role": role, "provider": provider_code})
    db.session.commit()
    path = Path(current_app.instance_path) / "demo-credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    click.echo(f"demo accounts written to {path}")


@triage_cli.command("explain")
def triage_explain() -> None:
    """Read {"answers": {...}, "area"?, "locale"?} on stdin; print the decision as JSON."""
    from tsunagi.web.context import explain

    require_schema()
    try:
        payload = json.loads(sys.stdin.read() or "null")
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"stdin is not JSON: {exc}") from None
    try:
        decision = explain(db.session, payload)
    except InvalidAnswers as exc:
        raise click.ClickException(f"invalid answers: {exc}") from None
    click.echo(json.dumps(decision, ensure_ascii=False, indent=2))


@triage_cli.command("check")
@click.argument("cases_file", type=click.Path(dir_okay=False))
def triage_check(cases_file: str) -> None:
    """Run a table of cases (YAML: name, answers, area?, locale?, expect) against the rules.

    Prints PASS or FAIL per case with what differed; exits 1 when any case fails.
    """
    from tsunagi.domain.triage.cases import load_cases
    from tsunagi.web.context import explain

    require_schema()
    try:
        cases = load_cases(cases_file)
    except DataFileError as exc:
        raise click.ClickException(str(exc)) from None
    failed = 0
    for case in cases:
        payload = {"answers": case.answers, "locale": case.locale}
        if case.area:
            payload["area"] = case.area
        try:
            decision = explain(db.session, payload)
        except InvalidAnswers as exc:
            failed += 1
            click.echo(f"FAIL  {case.name}: invalid answers ({exc})")
            continue
        got = {"service": decision["service"], "priority": decision["priority"], "rule": decision["rule"],
               "provider": (decision["provider"] or {}).get("id"),
               "first_contact": (decision.get("first_contact") or {}).get("service")}
        diffs = [f"{k}: expected {v}, got {got[k]}" for k, v in case.expect.model_dump().items()
                 if v is not None and got[k] != v]
        if diffs:
            failed += 1
            click.echo(f"FAIL  {case.name}: " + "; ".join(diffs))
        else:
            click.echo(f"PASS  {case.name}: {got['service']} ({got['rule']}, {got['priority']})")
    click.echo(f"{len(cases) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@maintenance_cli.command("purge")
def maintenance_purge() -> None:
    """Delete what can never be used again: idempotency records older than a week (their
    encrypted responses hold follow-up secrets) and expired or revoked session tokens."""
    records = idempotency.purge(db.session)
    tokens = session_tokens.purge(db.session)
    db.session.commit()
    click.echo(f"purged {records} idempotency records, {tokens} session tokens")


retention_cli = AppGroup("retention", help="Erase what is kept no longer (run daily from cron or a timer).")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be erased and deleted; change nothing.")
def retention_purge(dry_run: bool) -> None:
    """Erase the identifying fields, answers, messages and notes of cases that ended more than
    TSUNAGI_RETENTION_DAYS_AFTER_END days ago (the statistics stay); delete abandoned kiosk
    drafts, week-old idempotency records and dead session tokens."""
    from tsunagi.web.jobs import retention_run

    require_schema()
    days = int(current_app.config["RETENTION_DAYS_AFTER_END"])
    done = retention_run(dry_run=dry_run)
    click.echo(f"retention: cases ended more than {days} days ago" + (" (dry run: nothing changed)" if dry_run else ""))
    for line in (done.lines()[:4] if dry_run else done.lines()):
        click.echo(("would be: " if dry_run else "") + line)


keys_cli = AppGroup("keys", help="The data keys that seal personal data at rest.")


@keys_cli.command("new")
def keys_new() -> None:
    """Print a fresh data key (to put first in TSUNAGI_DATA_KEYS before `keys rotate`)."""
    click.echo(sealed.new_key())


@keys_cli.command("status")
def keys_status() -> None:
    """Which key encrypts, which keys the database still needs, how many rows are left."""
    require_schema()
    ring = sealed.ring()
    click.echo(f"primary key: {ring.primary}; configured: {', '.join(ring.ids)}")
    click.echo(f"keys in use by the database: {', '.join(db.session.scalars(select(DataKey.kid)))}")
    for table, left in data_keys.left_to_rotate(db.session).items():
        click.echo(f"{table}: {left} rows not sealed with the primary key")


@keys_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Rows re-sealed per commit.")
def keys_rotate(batch: int) -> None:
    """Re-seal every row with the first key of TSUNAGI_DATA_KEYS, in batches; stopped, it
    continues where it was. Afterwards the other keys may be removed from the setting."""
    require_schema()

    def report(p: data_keys.Progress) -> None:
        click.echo(f"{p.table}: {p.done} re-sealed, {p.left} left")

    done = data_keys.rotate(db.session, batch=batch, report=report)
    click.echo(f"{done} rows re-sealed with key {sealed.ring().primary}; the database now needs only that key")


directory_cli = AppGroup("directory", help="The offices as an Open Referral HSDS 3.0 directory (JSON).")


@directory_cli.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output.")
def directory_export(output: str | None) -> None:
    """The loaded municipality's offices, places, areas, languages, phones and hours as HSDS JSON."""
    require_schema()
    try:
        text = directory.dumps(directory.export(db.session))
    except directory.DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@directory_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def directory_import(path: str) -> None:
    """Write an HSDS directory (as `directory export` writes it) into the loaded
    municipality's offices and places, matched by code; the municipality file stays the
    source of truth (`municipality load` writes it again)."""
    require_schema()
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        directory.load(db.session, document)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    db.session.commit()
    click.echo(f"{path}: imported {len(document.get('services') or [])} services")


jobs_cli = AppGroup("jobs", help="Scheduled work: digests, reminders, webhooks, retention.")


@jobs_cli.command("run")
@click.option("--once", is_flag=True, help="One pass over the jobs that are due, then exit (for cron).")
def jobs_run(once: bool) -> None:
    """Run the scheduled jobs (notification digests, overdue reminders, webhook deliveries,
    the daily retention purge), each once per its interval however many runners there are.
    Without --once, a pass every TSUNAGI_JOBS_TICK_SECONDS until stopped (SIGTERM or Ctrl-C)."""
    import signal
    import threading

    from tsunagi.domain.jobs import holder_name
    from tsunagi.web import jobs

    require_schema()
    app, holder = current_app._get_current_object(), holder_name()
    if once:
        for name, what in jobs.run_once(app, holder):
            click.echo(f"{name}: {what}")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"jobs runner {holder}: a pass every {app.config['JOBS_TICK_SECONDS']} s")
    jobs.run_forever(app, holder, stop, click.echo)


def init_app(app: Flask) -> None:
    for group in (municipality_cli, users_cli, demo_cli, triage_cli, maintenance_cli, keys_cli, retention_cli,
                  directory_cli, jobs_cli):
        app.cli.add_command(group)
