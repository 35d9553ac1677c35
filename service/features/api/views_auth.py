"""Bearer authentication of the API and its rate limit (keyed by token)."""

from __future__ import annotations

import functools
import hashlib
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


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_key() -> str:
    """The rate limiter's key: the token (its hash), else the client's address."""
    raw = _bearer()
    if raw:
        return "api:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:32]
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
    token = tokens.find_token(db.session, raw)
    now = utcnow()
    if token is None:
        raise _unauthorised(_l("Jeton d’API inconnu."))
    if token.revoked_at is not None:
        raise _unauthorised(_l("Ce jeton d’API a été révoqué."))
    if not access.api_token_usable(token, now):
        raise _unauthorised(_l("Ce jeton d’API a expiré."))
    if not access.api_token_allows(token, scope, now):
        raise ApiProblem(403, _l("Ce jeton d’API n’a pas le droit « %(scope)s ».", scope=scope))
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
