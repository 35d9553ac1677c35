"""Account operations behind the sign-in pages (no Flask globals: the session is passed in).

Passwords are checked so that the time taken does not tell whether an account exists: one
argon2 verification is always made, against a decoy hash when nobody matches.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import dates
from service.features.accounts.invitations import create_invitation
from service.models import Beneficiary, SignInWay, StaffUser
from service.security import hash_password, needs_rehash, password_weakness, verify_password


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def password_matches(stored_hash: str | None, password: str) -> bool:
    """``verify_password``, but as slow for a missing hash as for a real one."""
    if not stored_hash:
        verify_password(_decoy_hash(), password)
        return False
    return verify_password(stored_hash, password)


FIRST_DELAY_SECONDS = 30
LONGEST_DELAY_SECONDS = 3600


def check_sign_in(account: StaffUser | Beneficiary, password: str, *, free_failures: int) -> bool:
    """Whether ``password`` signs ``account`` in now, with the per-account back-off: after
    ``free_failures`` wrong passwords in a row, the account refuses every password for 30 s,
    then twice as long after each new failure (at most an hour). A locked or deactivated
    account gives the same answer as a wrong password. The caller commits."""
    now = dates.utcnow()
    locked_until = account.sign_in_locked_until
    if locked_until is not None and locked_until > now:
        password_matches(None, password)  # the same time as a real check
        return False
    if not password_matches(account.password_hash, password):
        account.failed_sign_ins = (account.failed_sign_ins or 0) + 1
        beyond = account.failed_sign_ins - free_failures
        if beyond >= 0:
            delay = min(FIRST_DELAY_SECONDS * 2**beyond, LONGEST_DELAY_SECONDS)
            account.sign_in_locked_until = now + dt.timedelta(seconds=delay)
        return False
    if not account.is_active:
        return False
    account.failed_sign_ins = 0
    account.sign_in_locked_until = None
    if account.password_hash and needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)  # today's argon2 parameters
    return True


def password_problem(password: str, personal: list[str | None]) -> str | None:
    """What is wrong with a new password, in words for the person, or None (the length is
    checked by the forms)."""
    reason = password_weakness(password, [p for p in personal if p])
    if reason == "personal":
        return str(_("Le mot de passe ne peut pas reprendre votre adresse e-mail ou votre nom."))
    if reason == "guessable":
        return str(
            _(
                "Ce mot de passe est trop facile à deviner (mot courant, suite ou répétition"
                " de caractères). Choisissez par exemple une phrase de plusieurs mots."
            )
        )
    return None


def find_staff(session: Session, email: str) -> StaffUser | None:
    return session.scalars(select(StaffUser).where(func.lower(StaffUser.email) == email)).first()


def find_beneficiary(session: Session, email: str) -> Beneficiary | None:
    return session.scalars(
        select(Beneficiary).where(func.lower(Beneficiary.email) == email)
    ).first()


def email_in_use(session: Session, email: str, *, beneficiary_id: int) -> bool:
    """Whether another account (staff or another beneficiary) already signs in with ``email``."""
    other = find_beneficiary(session, email)
    return find_staff(session, email) is not None or (
        other is not None and other.id != beneficiary_id
    )


def set_beneficiary_password(
    person: Beneficiary, password: str, *, email: str | None = None
) -> None:
    """Store the argon2 hash of ``password`` (and ``email`` if given): the person now comes
    back with a password. The caller commits."""
    if email is not None:
        person.email = email
    person.password_hash = hash_password(password)
    person.sign_in_way = SignInWay.PASSWORD
    person.end_sessions()  # sessions opened before the new password end


class NoAddress(ValueError):
    """Sign-in links by mail need an address on record."""


def needs_way_back(person: Beneficiary) -> bool:
    """Whether the person has still to choose how to come back (the first visit asks this
    before anything else)."""
    return person.way_back is None


def choose_mail_links(person: Beneficiary) -> None:
    """The person comes back through links mailed on request: their password, if any, is
    removed (one way back, the one they chose). The caller commits.

    Raises :class:`NoAddress` when no address is on record (the counsellor adds one).
    """
    if not person.email:
        raise NoAddress(person.id)
    person.sign_in_way = SignInWay.MAIL
    person.password_hash = None
    person.end_sessions()


def issue_link(session: Session, email: str, *, days: int) -> tuple[Beneficiary, str] | None:
    """A new invitation for the beneficiary who signs in with ``email``, or None.

    Staff addresses get nothing: this form never opens a beneficiary's space to staff, and
    staff passwords are reset by an admin.
    """
    person = find_beneficiary(session, email)
    if person is None:
        return None
    return person, create_invitation(session, person, days=days)
