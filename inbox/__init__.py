"""Provider-facing pages: sign in, the inbox of intakes routed to the provider, details."""
from flask import Blueprint

from tsunagi.domain.vocabulary import PROVIDER_LOCALE
from tsunagi.web import context, i18n

bp = Blueprint("inbox", __name__, template_folder="templates")
# The offices read Japanese; notification emails link to the inbox.
i18n.speaks(bp, PROVIDER_LOCALE)
context.staff_inbox(bp, "index")

from inbox import views  # noqa: E402,F401
