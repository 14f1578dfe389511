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
# TSUNAGI_RATELIMIT_STORAGE_URI points at a shared store.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
