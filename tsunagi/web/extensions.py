"""Flask extensions, created unbound; `create_app` binds them."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from tsunagi.web.db import Database

db = Database()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Limits are declared per view; storage is in memory per worker unless
# TSUNAGI_RATELIMIT_STORAGE_URI points at a shared store (redis://…, for several workers
# or servers). The client address is the one ProxyFix took from the trusted proxies.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def failed_attempt(status: int, success: int) -> bool:
    """Whether a sign-in or code lookup answered `status` counts against its limits: a
    refusal of what the client sent does; success, a 429 already counted, and the server's
    own trouble (a busy database's 503) do not."""
    return status != success and status < 500 and status != 429


def account_key(prefix: str, name: object) -> str:
    """Limits of failed sign-ins are per account *and* client address: an attacker guessing
    one account's password from one address is slowed there, while its owner signs in from
    their own address (the per-address limit still caps one attacker over all accounts)."""
    account = name.strip().lower()[:64] if isinstance(name, str) else ""
    return f"{prefix}:{account}:{get_remote_address()}"
