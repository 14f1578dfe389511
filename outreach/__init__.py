"""The outreach app: an installable PWA for outreach workers (home visits, pop-up
consultations), mounted at /outreach/. It works offline: intakes wait in an encrypted
queue on the phone and are sent with an Idempotency-Key when there is a connection."""
from flask import Blueprint

from tsunagi.web import ruby

bp = Blueprint("outreach", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")
# The Japanese shell carries the readings; the page shows or hides them.
ruby.for_shell(bp, "shell")

from outreach import views  # noqa: E402,F401
