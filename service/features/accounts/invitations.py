"""Invitation links: random, expiring, single-use; only their hash is stored.

Opening a link (GET or HEAD, as a mail scanner does) only looks at it
(:func:`check_invitation`); the page's button (a POST) redeems it. A new link revokes the
person's older unused ones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.dates import utcnow
from service.models import Beneficiary, Invitation, SignInWay
from service.security import new_token, token_hash


class InvitationError(ValueError):
    """The link is unknown, expired or already used; ``reason`` says which, and ``way`` how
    the link's owner chose to come back (None when unknown or not chosen)."""

    def __init__(self, reason: str, *, way: SignInWay | None = None):
        self.reason = reason
        self.way = way
        super().__init__(reason)


def create_invitation(session: Session, beneficiary: Beneficiary, *, days: int) -> str:
    """Create a link for ``beneficiary`` valid ``days`` days; returns the token (shown once)."""
    token = new_token()
    _revoke_unused(session, beneficiary.id)
    session.add(
        Invitation(
            beneficiary_id=beneficiary.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + dt.timedelta(days=days),
        )
    )
    session.flush()
    return token


def _revoke_unused(session: Session, beneficiary_id: int) -> None:
    """End the person's unused links that are still valid: they now read as expired."""
    now = utcnow()
    session.execute(
        update(Invitation)
        .where(
            Invitation.beneficiary_id == beneficiary_id,
            Invitation.used_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(expires_at=now)
    )


def check_invitation(session: Session, token: str) -> Beneficiary:
    """The beneficiary a usable link belongs to, changing nothing; raises InvitationError
    as :func:`redeem_invitation` would."""
    return _usable(session, token, lock=False)[1]


def redeem_invitation(session: Session, token: str) -> Beneficiary:
    """Mark the invitation used and return its beneficiary, or raise InvitationError.

    A used link opens the space again only while its owner has not yet chosen how to come
    back (a first visit left before the choice): otherwise such a person, with no address
    and no password, would be locked out until the counsellor made a new link.
    """
    invitation, person = _usable(session, token, lock=True)
    if invitation.used_at is None:
        invitation.used_at = utcnow()
    return person


def _usable(session: Session, token: str, *, lock: bool) -> tuple[Invitation, Beneficiary]:
    query = select(Invitation).where(Invitation.token_hash == token_hash(token))
    invitation = session.scalars(query.with_for_update() if lock else query).first()
    if invitation is None:
        raise InvitationError("unknown")
    person = invitation.beneficiary
    if invitation.expires_at <= utcnow():
        raise InvitationError("expired", way=person.way_back)
    if invitation.used_at is not None and person.way_back is not None:
        raise InvitationError("used", way=person.way_back)
    return invitation, person
