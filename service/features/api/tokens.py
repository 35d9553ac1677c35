"""API tokens: made, stored hashed, found again from the ``Authorization`` header, revoked.

A token is ``bsl_`` followed by ``secrets.token_urlsafe(32)`` (43 characters, 256 bits);
the database keeps its SHA-256 (hex) and its first 12 characters (to tell tokens apart on
the admin page), never the token. No HTTP here: the API's views turn the outcome into
401/403 problems.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.dates import utcnow
from service.models import API_SCOPES, ApiToken

PREFIX = "bsl_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
NAME_MAX = 80


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TokenRefused(ValueError):
    """A token that cannot be created; ``field`` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


def create_token(
    session: Session,
    *,
    centre_id: int,
    name: str,
    scopes: Iterable[str],
    days: int,
    created_by: int | None,
    now: dt.datetime | None = None,
) -> NewToken:
    """A new token (the caller commits); raises :class:`TokenRefused` (French message)."""
    from flask_babel import gettext as _

    name = (name or "").strip()
    chosen = [s for s in API_SCOPES if s in set(scopes)]
    if not name:
        raise TokenRefused(_("Indiquez le nom du jeton (le logiciel qui l’utilisera)."), "name")
    if len(name) > NAME_MAX:
        raise TokenRefused(
            _("Le nom du jeton ne doit pas dépasser %(n)s caractères.", n=NAME_MAX), "name"
        )
    if not chosen or len(chosen) != len(set(scopes)):
        raise TokenRefused(_("Choisissez au moins un droit parmi ceux proposés."), "scopes")
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(_("La durée de validité va de 1 à %(n)s jours.", n=MAX_DAYS), "days")
    now = now or utcnow()
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        centre_id=centre_id,
        name=name,
        scopes=" ".join(chosen),
        token_hash=hash_token(raw),
        prefix=raw[:12],
        created_by=created_by,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return NewToken(token=token, raw=raw)


def find_token(session: Session, raw: str) -> ApiToken | None:
    """The token whose hash is ``raw``'s (revoked and expired ones too), or None."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()


def tokens_of(session: Session, centre_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.centre_id == centre_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(token: ApiToken, now: dt.datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
