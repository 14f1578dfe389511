"""Resident-facing pages: the kiosk journey and the follow-up page."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/kiosk")

from kiosk import ruby, views  # noqa: E402,F401

ruby.init(bp)
