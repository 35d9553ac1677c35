"""The document de synthèse (versions, items proposed to it) and the action plan."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.crypto import EncryptedText
from service.dates import utcnow
from service.db import Base
from service.models.types import UTCDateTime


class SynthesisVersion(Base):
    """A version of the document de synthèse (three legal sections). Versions are kept
    until the beneficiary approves one; the approved version is locked."""

    __tablename__ = "synthesis_version"
    __table_args__ = (UniqueConstraint("bilan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    circumstances: Mapped[str] = mapped_column(EncryptedText, default="")
    competences: Mapped[str] = mapped_column(EncryptedText, default="")
    project: Mapped[str] = mapped_column(EncryptedText, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Sent to the beneficiary for reading (None: still a draft only counsellors see).
    shared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The beneficiary's observations.
    observations: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SynthesisItem(Base):
    """A result proposed for the synthesis ("export to synthesis"); it enters the document
    only once the beneficiary approves it: an element of a questionnaire
    (``assignment_id``), or of the competence portfolio (``assignment_id`` None: the
    portfolio's summary, or the gap analysis of one target, ``gap_target_id``)."""

    __tablename__ = "synthesis_item"
    __table_args__ = (UniqueConstraint("bilan_id", "assignment_id", "element"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), nullable=True
    )
    #: "summary", "scales" or "chart:<key>" (e.g. "chart:riasec_hexagon") of a
    #: questionnaire; "portfolio" or "gap:<target id>" of the portfolio.
    element: Mapped[str] = mapped_column(String(60))
    gap_target_id: Mapped[int | None] = mapped_column(
        ForeignKey("gap_target.id", ondelete="CASCADE"), nullable=True
    )
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decision: Mapped[str] = mapped_column(String(20), default="pending")  # approved | refused
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ActionItem(Base):
    """An action of the action plan (owner: the beneficiary by default)."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(EncryptedText)
    owner: Mapped[str] = mapped_column(String(100), default="bénéficiaire")
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(
        String(20), default="a_faire"
    )  # en_cours | fait | abandonne
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Added from the gap analysis: the target fiche and the competence to develop.
    gap_target_id: Mapped[int | None] = mapped_column(
        ForeignKey("gap_target.id", ondelete="SET NULL"), nullable=True
    )
    gap_code_ogr: Mapped[int | None] = mapped_column(Integer, nullable=True)
