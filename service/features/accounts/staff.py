"""Staff accounts: counsellors and centre admins, created by an admin (or the first one on
the command line), invited by a mailed single-use link to set their password, deactivated
and reactivated, and able to reset a forgotten password by a mailed link.

Links are random tokens stored hashed (:class:`service.models.StaffToken`), valid for a
limited time, used once; a new link of the same purpose revokes the older ones. A
counsellor is deactivated only once the running bilans they follow have another counsellor:
a bilan is never left without one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.dates import utcnow
from service.features.accounts.service import find_beneficiary, find_staff, password_problem
from service.models import Bilan, StaffToken, StaffUser, bilan_counsellor
from service.models.states import RUNNING
from service.security import MIN_PASSWORD_LENGTH, hash_password, new_token, token_hash

ROLES = ("counsellor", "admin")
#: How long a link stays valid.
INVITE_HOURS = 7 * 24
RESET_HOURS = 2
NAME_MAX = 200
EMAIL_MAX = 254


class StaffError(ValueError):
    """A refused change; ``field`` names the form field to blame (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class TokenError(ValueError):
    """The link is unknown, expired, already used or replaced; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def role_label(role: str) -> str:
    return str({"counsellor": _("Conseiller ou conseillère"), "admin": _("Administration")}[role])


def staff_of(session: Session, centre_id: int) -> list[StaffUser]:
    """The centre's staff, active first, then by name."""
    rows = session.scalars(select(StaffUser).where(StaffUser.centre_id == centre_id)).all()
    return sorted(rows, key=lambda s: (not s.active, s.name.casefold(), s.id))


def create_staff(
    session: Session, centre_id: int, *, role: str, email: str, name: str
) -> StaffUser:
    """A new account without a password yet (it is set through an invitation link)."""
    email = email.strip().lower()
    name = " ".join(name.split())
    for field, text in (("name", name), ("email", email)):
        if any(ord(ch) < 32 for ch in text):
            raise StaffError(_("Ce champ contient un caractère non autorisé."), field)
    if role not in ROLES:
        raise StaffError(_("Rôle inconnu : choisissez conseiller ou administration."), "role")
    if not name:
        raise StaffError(_("Indiquez le nom de la personne."), "name")
    if len(name) > NAME_MAX:
        raise StaffError(_("%(max)s caractères au plus.", max=NAME_MAX), "name")
    if "@" not in email or len(email) > EMAIL_MAX or " " in email:
        raise StaffError(
            _("Saisissez une adresse e-mail complète, par exemple nom@exemple.fr."), "email"
        )
    if find_staff(session, email) is not None or find_beneficiary(session, email) is not None:
        raise StaffError(_("Cette adresse e-mail est déjà utilisée par un autre compte."), "email")
    staff = StaffUser(centre_id=centre_id, email=email, name=name, role=role, password_hash="")
    session.add(staff)
    session.flush()
    return staff


def has_password(staff: StaffUser) -> bool:
    return bool(staff.password_hash)


def issue_token(session: Session, staff: StaffUser, purpose: str) -> str:
    """A fresh link for ``purpose`` ("invite" or "reset"); older unused ones are revoked.
    Returns the token, shown or mailed once."""
    hours = INVITE_HOURS if purpose == "invite" else RESET_HOURS
    now = utcnow()
    session.execute(
        update(StaffToken)
        .where(
            StaffToken.staff_user_id == staff.id,
            StaffToken.purpose == purpose,
            StaffToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = new_token()
    session.add(
        StaffToken(
            staff_user_id=staff.id,
            purpose=purpose,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def token_owner(session: Session, token: str) -> tuple[StaffToken, StaffUser]:
    """The valid link and its account, or :class:`TokenError` (nothing is changed)."""
    row = session.scalars(
        select(StaffToken).where(StaffToken.token_hash == token_hash(token))
    ).first()
    if row is None:
        raise TokenError("unknown")
    if row.used_at is not None:
        raise TokenError("used")
    if row.expires_at <= utcnow():
        raise TokenError("expired")
    staff = row.staff_user
    if not staff.active:
        raise TokenError("unknown")  # a deactivated account looks like no account
    return row, staff


def set_password_with_token(session: Session, token: str, password: str) -> StaffUser:
    """Use the link once: check the password, store its hash. The caller commits."""
    row, staff = token_owner(session, token)
    check_password(password, staff)
    row.used_at = utcnow()
    staff.password_hash = hash_password(password)
    staff.end_sessions()  # a reset link also signs out a session someone else holds
    return staff


def check_password(password: str, staff: StaffUser) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(
            _("Au moins %(n)s caractères.", n=MIN_PASSWORD_LENGTH),
            "password",
        )
    problem = password_problem(password, [staff.email, staff.name])
    if problem:
        raise StaffError(problem, "password")


def running_bilans(session: Session, staff: StaffUser) -> list[Bilan]:
    """The bilans ``staff`` follows that have not ended yet."""
    return list(
        session.scalars(
            select(Bilan)
            .join(bilan_counsellor, bilan_counsellor.c.bilan_id == Bilan.id)
            .where(bilan_counsellor.c.staff_user_id == staff.id, Bilan.status.in_(RUNNING))
            .order_by(Bilan.id)
        )
    )


def successors(session: Session, staff: StaffUser) -> list[StaffUser]:
    """Who can take over ``staff``'s bilans: the centre's other active counsellors."""
    return [
        s
        for s in staff_of(session, staff.centre_id)
        if s.id != staff.id and s.active and s.role == "counsellor"
    ]


def reassign(session: Session, bilans: Sequence[Bilan], old: StaffUser, new: StaffUser) -> int:
    """``new`` follows ``bilans`` instead of ``old``; returns how many changed hands."""
    if not new.active or new.role != "counsellor" or new.centre_id != old.centre_id:
        raise StaffError(
            _("Choisissez un conseiller ou une conseillère actif du centre."), "successor"
        )
    moved = 0
    for bilan in bilans:
        if old in bilan.counsellors:
            bilan.counsellors.remove(old)
        if new not in bilan.counsellors:
            bilan.counsellors.append(new)
        moved += 1
    session.flush()
    return moved


def deactivate(
    session: Session, staff: StaffUser, *, by: StaffUser | None, successor: StaffUser | None
) -> int:
    """Deactivate ``staff``: their running bilans go to ``successor`` first (required when
    there are any). ``by`` is the admin doing it (None: the command line). Returns how many
    bilans changed hands. The caller commits."""
    if by is not None and staff.id == by.id:
        raise StaffError(_("Vous ne pouvez pas désactiver votre propre compte."))
    if not staff.active:
        raise StaffError(_("Ce compte est déjà désactivé."))
    if staff.role == "admin" and not any(
        s.active and s.role == "admin" and s.id != staff.id
        for s in staff_of(session, staff.centre_id)
    ):
        raise StaffError(_("Le centre doit garder au moins un compte d’administration actif."))
    bilans = running_bilans(session, staff)
    moved = 0
    if bilans:
        if successor is None:
            raise StaffError(
                _("Cette personne suit encore des bilans en cours : choisissez qui les reprend."),
                "successor",
            )
        moved = reassign(session, bilans, staff, successor)
    staff.active = False
    staff.end_sessions()
    session.execute(
        update(StaffToken)
        .where(StaffToken.staff_user_id == staff.id, StaffToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return moved


def reactivate(staff: StaffUser) -> None:
    if staff.active:
        raise StaffError(_("Ce compte est déjà actif."))
    staff.active = True
