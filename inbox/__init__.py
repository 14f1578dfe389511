"""Provider-facing pages: sign in, the inbox of intakes routed to the provider, details."""
from flask import Blueprint

bp = Blueprint("inbox", __name__, template_folder="templates")

from inbox import views  # noqa: E402,F401
