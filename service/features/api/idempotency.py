"""``Idempotency-Key`` on the API's POST routes: a retried POST creates nothing twice.

The client sends ``Idempotency-Key: <key>`` (1 to 255 printable ASCII characters) with a
POST. The first request with that key claims it (a row of ``api_idempotency_key``, one
per token and key), runs, and its successful response (status, body, ``Location``) is
kept 24 hours. Then, for the same token and key:

- the same request (same method, path and body: the fingerprint) gets the kept response
  again, same status and body, with ``Idempotent-Replayed: true``, and nothing is done;
- another request (another body, path or method) is a 422 problem naming
  ``Idempotency-Key``;
- while the first request still runs (two sent at once), a 409 problem.

A request that fails (a problem answer, 4xx or 5xx) keeps nothing and releases the key:
nothing was written (each view works in one transaction), the client may correct it and
send it again with the same key. A POST without the header works as before. Keys older
than 24 hours are deleted by ``boussole purge`` (:func:`purge`) and, for one key, when it
is sent again.

This module holds the rules (no HTTP: the contracts of tests/test_contracts.py keep
``flask.request`` in the views); the decorator that reads the request is
:func:`service.features.api.views_idempotency.idempotent`. Applying it to a POST route
(any helper's)::

    from service.features.api.views_idempotency import idempotent

    @blp.route("/things")
    class Things(MethodView):
        @idempotent          # outermost: above _document, blp.arguments, blp.response
        @_document
        @blp.arguments(ThingSchema)
        @blp.response(201, ThingSchema)
        @requires("things:write")
        def post(self, token, data): ...

It must sit above ``blp.response`` (it keeps the finished response) and needs nothing of
the view: it finds the token from the ``Authorization`` header itself (an unknown,
revoked or expired token goes straight to the view, whose ``requires`` answers 401). It
documents the header and the 409/422 problems in the OpenAPI document. A claim left by a
request that died mid-way (the process killed) is taken over after
:data:`ABANDONED_AFTER`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.models import ApiIdempotencyKey
from service.web.problems import ApiProblem

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_MAX = 255
KEPT = dt.timedelta(hours=24)
#: A claim without a response this old is a request that died: the key is taken over.
ABANDONED_AFTER = dt.timedelta(minutes=5)

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX},
    "description": (
        "Clé d’idempotence (1 à 255 caractères ASCII imprimables) : une nouvelle tentative"
        " avec la même clé et le même corps rejoue la réponse gardée (24 h) sans rien"
        " recréer. / Idempotency key: a retry with the same key and body replays the kept"
        " response (24 h) and creates nothing."
    ),
}


def _field() -> list[dict[str, str]]:
    return [{"field": HEADER, "in": "header"}]


def check_key(raw: str) -> str:
    """The key, or a 400 problem naming the header (empty, too long, not printable ASCII)."""
    if not 1 <= len(raw) <= KEY_MAX or any(not 0x20 <= ord(c) <= 0x7E for c in raw):
        raise ApiProblem(
            400,
            _l(
                "L’en-tête « Idempotency-Key » doit compter de 1 à %(n)s caractères ASCII"
                " imprimables.",
                n=KEY_MAX,
            ),
            errors=_field(),
        )
    return raw


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of the method, the path and the body (a JSON body in canonical form: the
    same object sent with its keys in another order is the same request)."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode("ascii"), path.encode("utf-8"), canonical):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def claim(
    session: Session, token_id: int, key: str, print_: str, now: dt.datetime
) -> ApiIdempotencyKey:
    """Claim ``key`` for this request (committed at once, so that a concurrent request
    sees it): the new claim (``status`` None), or the finished one whose response is to be
    replayed; raises the 409/422 problems."""
    for _attempt in range(2):
        row = session.scalars(
            select(ApiIdempotencyKey).where(
                ApiIdempotencyKey.token_id == token_id, ApiIdempotencyKey.key == key
            )
        ).first()
        if row is not None:
            stale = now - row.created_at >= KEPT
            abandoned = row.status is None and now - row.created_at >= ABANDONED_AFTER
            if stale or abandoned:
                session.delete(row)
                session.commit()
                row = None
        if row is not None:
            if row.fingerprint != print_:
                raise ApiProblem(
                    422,
                    _l(
                        "Cette clé « Idempotency-Key » a déjà servi pour une autre demande"
                        " (autre corps ou autre route) : prenez une nouvelle clé."
                    ),
                    errors=_field(),
                )
            if row.status is None:
                raise ApiProblem(
                    409,
                    _l(
                        "Une demande avec cette clé « Idempotency-Key » est en cours :"
                        " attendez sa réponse avant de réessayer."
                    ),
                    errors=_field(),
                )
            return row
        fresh = ApiIdempotencyKey(token_id=token_id, key=key, fingerprint=print_, created_at=now)
        session.add(fresh)
        try:
            session.commit()
        except IntegrityError:  # another request claimed it between our read and write
            session.rollback()
            continue
        return fresh
    raise ApiProblem(
        409,
        _l(
            "Une demande avec cette clé « Idempotency-Key » est en cours : attendez sa"
            " réponse avant de réessayer."
        ),
        errors=_field(),
    )


def purge(session: Session, now: dt.datetime) -> int:
    """Delete the keys older than 24 hours; how many (the caller commits)."""
    result = session.execute(
        delete(ApiIdempotencyKey).where(ApiIdempotencyKey.created_at < now - KEPT)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(session: Session, claim_id: int) -> None:
    """Give up a claim (the request failed: nothing was written); committed."""
    session.rollback()
    session.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.id == claim_id))
    session.commit()


def keep(session: Session, claim_id: int, status: int, body: str, location: str | None) -> None:
    """Keep the response of a claimed request for its retries; committed."""
    row = session.get(ApiIdempotencyKey, claim_id)
    if row is not None:
        row.status = status
        row.body = body
        row.location = location
        session.commit()
