"""People and places: the centre, its staff, beneficiaries and their invitation links
(administrative records, kept when the content of a bilan is destroyed)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime, status_type


class Centre(Base):
    __tablename__ = "centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SignInState:
    """What the server keeps about a person's sign-ins (a mixin of both kinds of account).

    ``session_generation`` is copied into the session at sign-in and compared on every
    request: raising it (logout, new password, deactivation) ends every open session of the
    person. ``failed_sign_ins`` and ``sign_in_locked_until`` are the per-account back-off
    after wrong passwords."""

    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    sign_in_locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def end_sessions(self) -> None:
        """Every session opened so far stops working at its next request."""
        self.session_generation = (self.session_generation or 0) + 1


class StaffUser(SignInState, UserMixin, Base):
    """A counsellor (conseiller) or a centre admin; logs in with email and password."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # "counsellor" | "admin"
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Mail me when a questionnaire of one of my bilans is completed (set on the account
    #: page; off by default).
    notify_completions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    centre: Mapped[Centre] = relationship()

    kind = "staff"

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.active


class SignInWay(StrEnum):
    """How a beneficiary chose to come back after the first visit."""

    PASSWORD = "password"  # the address on record and a password, at /connexion
    MAIL = "mail"  # a single-use link mailed on request, at /nouveau-lien


class Beneficiary(SignInState, UserMixin, Base):
    """The person doing the bilan; enters through an invitation link, then comes back the
    way they chose on the first visit (:attr:`way_back`)."""

    __tablename__ = "beneficiary"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sign_in_way: Mapped[SignInWay | None] = mapped_column(
        status_type(SignInWay, "sign_in_way"), nullable=True
    )
    language: Mapped[str] = mapped_column(String(2), default="fr")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    kind = "beneficiary"

    def get_id(self) -> str:
        return f"beneficiary:{self.id}"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def way_back(self) -> SignInWay | None:
        """The way chosen to come back; a password set before the choice existed counts as
        that choice; None: not chosen yet (the first visit asks before anything else)."""
        if self.sign_in_way is not None:
            return self.sign_in_way
        return SignInWay.PASSWORD if self.password_hash else None


class Invitation(Base):
    """A single-use, expiring link. Only the SHA-256 of the token is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    beneficiary: Mapped[Beneficiary] = relationship()


class StaffToken(Base):
    """A single-use, expiring link mailed to a staff member: to set the first password of an
    invited account (``purpose="invite"``) or to choose a new one (``"reset"``). Only the
    SHA-256 of the token is stored; a new link of the same purpose revokes the older ones."""

    __tablename__ = "staff_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(10))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    staff_user: Mapped[StaffUser] = relationship()
