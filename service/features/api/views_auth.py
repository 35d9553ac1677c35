"""Bearer authentication of the API and its rate limit (keyed by token)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from service import access
from service.dates import utcnow
from service.extensions import client_address, db
from service.features.api import tokens
from service.models import ApiToken
from service.web.problems import ApiProblem

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_RATE = "300/minute"
#: How often a token's last use is written down.
LAST_USE_STEP = dt.timedelta(minutes=1)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _lookup(raw: str) -> ApiToken | None:
    """The stored token for ``raw`` (looked up once per request: the rate limiter's key
    and the authentication both need it)."""
    if "api_token_lookup" not in g:
        g.api_token_lookup = tokens.find_token(db.session, raw)
    found: ApiToken | None = g.api_token_lookup
    return found


def rate_key() -> str:
    """The rate limiter's key: a known token (its id), else the client's address, so that
    made-up tokens share the address's one bucket instead of getting a fresh one each."""
    raw = _bearer()
    token = _lookup(raw) if raw else None
    if token is not None:
        return f"api:{token.id}"
    return "api-anon:" + client_address()


def rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT") or DEFAULT_RATE)


def _unauthorised(message: Any) -> ApiProblem:
    return ApiProblem(401, message, headers=[("WWW-Authenticate", 'Bearer realm="boussole"')])


def authenticate(scope: str) -> ApiToken:
    """The request's token, which must carry ``scope``: 401 (none, unknown, expired,
    revoked) or 403 (scope missing) otherwise. Notes its last use."""
    raw = _bearer()
    if raw is None:
        raise _unauthorised(
            _l("Jeton d’API manquant : envoyez l’en-tête « Authorization: Bearer bsl_… ».")
        )
    token = _lookup(raw)
    now = utcnow()
    if token is None:
        raise _unauthorised(_l("Jeton d’API inconnu."))
    if token.revoked_at is not None:
        raise _unauthorised(_l("Ce jeton d’API a été révoqué."))
    if not access.api_token_usable(token, now):
        raise _unauthorised(_l("Ce jeton d’API a expiré."))
    if not access.api_token_allows(token, scope, now):
        raise ApiProblem(403, _l("Ce jeton d’API n’a pas le droit « %(scope)s ».", scope=scope))
    last = token.last_used_at
    if last is None or now - last >= LAST_USE_STEP:
        # Noted to the minute: a write per call would queue every read behind SQLite's
        # one writer (bench/bench_api.py), for a date the admin page shows to the minute.
        token.last_used_at = now
        db.session.commit()
    g.api_token = token
    return token


def requires(scope: str) -> Callable[[F], F]:
    """Mark a view as needing ``scope`` (documented in the OpenAPI document)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["token"] = authenticate(scope)
            return view(*args, **kwargs)

        wrapper.api_scope = scope  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate
