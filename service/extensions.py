"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from service.db import Database

db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
#: Rate limits of the sign-in and link pages (per client address); storage from
#: RATELIMIT_STORAGE_URI: memory by default, Redis in production (docs/deployment.md).
limiter = Limiter(key_func=get_remote_address)
