"""JSON API for machines: the outreach PWA, provider systems, municipal staff's tools."""
from flask import Blueprint

from tsunagi.extensions import csrf

bp = Blueprint("api", __name__)
# Bearer tokens or no credentials at all: no cookies, so no CSRF to guard against.
csrf.exempt(bp)

from api import follow_up, intakes, provider, tokens, views  # noqa: E402,F401
