"""API tokens (issue 14): a centre's admin creates them for its other software. The token
itself is shown once; only its SHA-256 is stored (``token_hash``), with its first
characters (``prefix``) so that the admin pages can tell tokens apart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.crypto import EncryptedText
from service.dates import utcnow
from service.db import Base
from service.models.people import Centre, StaffUser
from service.models.types import UTCDateTime

#: The scopes a token may carry, in the order of the admin page.
API_SCOPES = ("instruments:read", "bilans:write", "answers:write", "results:read")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated, each one of API_SCOPES
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    prefix: Mapped[str] = mapped_column(String(16))  # "bsl_" and 8 characters, to tell apart
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    centre: Mapped[Centre] = relationship()
    creator: Mapped[StaffUser | None] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def get_id(self) -> str:
        """The audit log's actor: ``api:<id>:<name>`` (the name cut to the column's 40)."""
        return f"api:{self.id}:{self.name}"[:40]


class ApiIdempotencyKey(Base):
    """An ``Idempotency-Key`` a token sent with a POST (:mod:`service.features.api.idempotency`):
    the request's fingerprint (SHA-256 of method, path and body), then the response given
    (status, body, ``Location``) so that a retry gets it again. ``status`` is None while
    the first request runs. The body may hold personal data (a beneficiary's name): it is
    encrypted. Kept 24 hours."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    location: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


#: The decisions a person records about sharing their results with one API token.
SHARING_DECISIONS = ("accepted", "refused", "withdrawn")


class ResultsSharing(Base):
    """One decision of a person about sending the results of one bilan to one API token
    (the centre's software named by the token): accepted, refused, or an agreement
    withdrawn. Append-only, like :class:`service.models.Consent`: each decision is a new
    row, the latest one for a (bilan, token) pair counts, and the history stays as the
    evidence of a recorded, per-recipient agreement (who, which recipient under which
    name, when). Administrative: kept when the content of the bilan is destroyed."""

    __tablename__ = "results_sharing"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    api_token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id"), index=True)
    #: The token's name as the person read it when deciding (an admin may not rename a
    #: token today, but the evidence must not depend on that).
    recipient_name: Mapped[str] = mapped_column(String(80))
    decision: Mapped[str] = mapped_column(String(10))  # one of SHARING_DECISIONS
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def accepted(self) -> bool:
        return self.decision == "accepted"
