"""The HTTP side of ``Idempotency-Key`` (the rules and how to apply the decorator:
:mod:`service.features.api.idempotency`): reads the header and the body, replays a kept
response with ``Idempotent-Replayed: true``."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import request
from werkzeug.wrappers import Response

from service import access
from service.audit import audit
from service.dates import utcnow
from service.extensions import db
from service.features.api import idempotency as store
from service.models import ApiIdempotencyKey, ApiToken

F = TypeVar("F", bound=Callable[..., Any])

#: The audit log's action of a replayed answer.
REPLAY_ACTION = "api_idempotent_replay"


def _token() -> ApiToken | None:
    from service.features.api.views_auth import _bearer, _lookup

    raw = _bearer()
    token = _lookup(raw) if raw else None
    if token is None or not access.api_token_usable(token, utcnow()):
        return None
    return token


def _replay(row: ApiIdempotencyKey) -> Response:
    headers = [(store.REPLAYED, "true")]
    if row.location:
        headers.append(("Location", row.location))
    return Response(row.body or "", int(row.status or 200), headers, mimetype="application/json")


def idempotent(view: F) -> F:
    """Honour ``Idempotency-Key`` on a POST view (see the module docstring)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw = request.headers.get(store.HEADER)
        if raw is None:
            return view(*args, **kwargs)
        token = _token()
        if token is None:  # the view's ``requires`` answers 401
            return view(*args, **kwargs)
        key = store.check_key(raw)
        session = db.session
        print_ = store.fingerprint(request.method, request.path, request.get_data(cache=True))
        found = store.claim(session, token.id, key, print_, utcnow())
        if found.status is not None:
            # a kept answer may hold personal data (a person's name): its replay is logged
            audit(session, token, REPLAY_ACTION)
            session.commit()
            return _replay(found)
        claim_id = found.id
        try:
            response = view(*args, **kwargs)
        except BaseException:
            store.release(session, claim_id)
            raise
        if not isinstance(response, Response) or not 200 <= response.status_code < 300:
            store.release(session, claim_id)
            return response
        store.keep(
            session,
            claim_id,
            response.status_code,
            response.get_data(as_text=True),
            response.headers.get("Location"),
        )
        return response

    # the header in the OpenAPI document, beside the route's own parameters
    apidoc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
    apidoc.setdefault("arguments", {}).setdefault("parameters", []).append(dict(store.HEADER_DOC))
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    wrapper.idempotent = True  # type: ignore[attr-defined]
    return cast(F, wrapper)
