"""Invitation links: random, expiring, single-use; only their hash is stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
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
    session.add(
        Invitation(
            beneficiary_id=beneficiary.id,
            token_hash=token_hash(token),
            expires_at=utcnow() + dt.timedelta(days=days),
        )
    )
    session.flush()
    return token


def redeem_invitation(session: Session, token: str) -> Beneficiary:
    """Mark the invitation used and return its beneficiary, or raise InvitationError.

    A used link opens the space again only while its owner has not yet chosen how to come
    back (a first visit left before the choice): otherwise such a person, with no address
    and no password, would be locked out until the counsellor made a new link.
    """
    invitation = session.scalars(
        select(Invitation).where(Invitation.token_hash == token_hash(token)).with_for_update()
    ).first()
    if invitation is None:
        raise InvitationError("unknown")
    person = invitation.beneficiary
    if invitation.expires_at <= utcnow():
        raise InvitationError("expired", way=person.way_back)
    if invitation.used_at is not None:
        if person.way_back is None:
            return person
        raise InvitationError("used", way=person.way_back)
    invitation.used_at = utcnow()
    return person
