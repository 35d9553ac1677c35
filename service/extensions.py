"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from service.db import Database

db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


#: Rate limits of the sign-in and link pages (per client address); storage from
#: RATELIMIT_STORAGE_URI: memory by default, Redis in production (docs/deployment.md).
def client_address() -> str:
    """The client's address: ``REMOTE_ADDR``, or, behind ``FORWARDED_PROXIES`` trusted
    proxies (nginx: 1), the address the nearest of them saw in ``X-Forwarded-For``."""
    hops = int(current_app.config.get("FORWARDED_PROXIES") or 0)
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address)
