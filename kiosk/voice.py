"""Read-aloud audio from the server, for kiosks whose browser has no voice of its own.

A question is read as the kiosk's script reads it with a device voice: its title, then its
choices, joined by ". " (readings in brackets left out). Only these texts, built here from
the form spec, the catalogs and the municipality's districts, can ever be spoken: the URL
carries a hash, and a hash that is not one of them is a 404. What a resident typed never
reaches the speech engine. The audio is made ahead by `flask voice build`; one still missing
is made while its page is read (or, at the latest, on its first request), and kept under
instance/voice/, served with a year's cache.
"""
from __future__ import annotations

import logging
import os
import subprocess
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
from flask import abort, current_app, request, send_file, url_for
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from forms.spec import load_form
from kiosk import bp
from kiosk.views import CHOSEN, FORM_ID, step_form_in
from tsunagi.domain import furigana, speech
from tsunagi.domain.models import District
from tsunagi.domain.vocabulary import LOCALES
from tsunagi.web.extensions import db

logger = logging.getLogger(__name__)
YEAR = 365 * 24 * 3600
voice_cli = AppGroup("voice", help="Read-aloud audio for the kiosks.")
_known: dict[tuple, dict[str, tuple[speech.Voice, str]]] = {}
_known_lock = threading.Lock()


def folder() -> Path:
    return Path(current_app.instance_path) / "voice"


def spoken(field, question) -> str:
    """The words of one question as they are read aloud: the title, then each choice."""
    parts = [str(field.label.text)]
    if question.type in CHOSEN:
        parts += [str(option.label.text) for option in field]
    return ". ".join(furigana.without_authored(p).strip() for p in parts)


def texts(locale: str) -> list[str]:
    """Every text a kiosk in `locale` may read aloud, in the order of the form."""
    spec = load_form(FORM_ID)
    found: list[str] = []
    with force_locale(locale):
        for step in spec.steps:
            form = step_form_in(spec, step, locale, meta={"csrf": False})
            found += [spoken(form[q.id], q) for q in step.questions]
    return list(dict.fromkeys(found))


def catalog() -> dict[str, tuple[speech.Voice, str]]:
    """Hash → (voice, text) for every speakable text, rebuilt when the districts or the
    form spec change."""
    districts = tuple(db.session.execute(select(District.code, District.name).order_by(District.position)))
    version = (id(load_form(FORM_ID)), repr(districts))
    with _known_lock:
        if version not in _known:
            catalog = {}
            for locale in LOCALES:
                voice = speech.voice_for(locale)
                if voice is not None:
                    catalog |= {voice.key(text): (voice, text) for text in texts(locale)}
            _known.clear()
            _known[version] = catalog
        return _known[version]


@bp.app_template_global()
def read_aloud_audio(field, question) -> str | None:
    """The address of a question's server audio on this page, or None: no server voice
    for the page's language."""
    locale = (request.view_args or {}).get("locale")
    voice = speech.voice_for(locale) if locale in LOCALES else None
    if voice is None:
        return None
    text = spoken(field, question)
    _make_soon(voice, text)
    return url_for("kiosk.voice", key=voice.key(text))


_pending: set[str] = set()
_maker: dict[int, ThreadPoolExecutor] = {}


def _make_soon(voice: speech.Voice, text: str) -> None:
    """Start making a question's audio while the page is read, when `flask voice build` has
    not made it: a long Japanese question takes Open JTalk seconds, which a resident would
    otherwise wait after pressing the button."""
    target = folder()
    key = voice.key(text)
    if (target / f"{key}.wav").is_file():
        return
    with _known_lock:
        if key in _pending:
            return
        _pending.add(key)
        # One maker thread per process (made after gunicorn's fork, never inherited).
        maker = _maker.setdefault(os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice"))

    def make() -> None:
        try:
            speech.cached(target, voice, text)
        except (OSError, subprocess.SubprocessError, wave.Error):
            logger.exception("read-aloud audio could not be made")
        finally:
            with _known_lock:
                _pending.discard(key)

    maker.submit(make)


@bp.get("/static/voice/<key>.wav")
def voice(key: str):
    """One question's audio: the same for everyone, so it may be kept by any cache."""
    if not speech.KEY.match(key):
        abort(404)
    path = folder() / f"{key}.wav"
    if not path.is_file():
        found = catalog().get(key)
        if found is None:
            abort(404)
        try:
            path = speech.cached(folder(), *found)
        except (OSError, subprocess.SubprocessError, wave.Error):
            current_app.logger.exception("read-aloud audio could not be made")
            abort(503)
    response = send_file(path, mimetype="audio/wav", max_age=YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


@voice_cli.command("build")
def voice_build() -> None:
    """Make the audio of every question ahead, so no kiosk waits for it."""
    with current_app.test_request_context():
        made = 0
        for key, (voice_, text) in catalog().items():
            if not (folder() / f"{key}.wav").is_file():
                speech.cached(folder(), voice_, text)
                made += 1
        click.echo(f"read-aloud audio: {len(catalog())} texts, {made} made now, in {folder()}")
        silent = [locale for locale in LOCALES if speech.voice_for(locale) is None]
        if silent:
            click.echo("no server voice (the device's voice only) for: " + ", ".join(silent))


bp.cli.add_command(voice_cli)
